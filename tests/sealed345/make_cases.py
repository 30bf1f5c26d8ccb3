#!/usr/bin/env python3
"""Labelled evaluation cases for postwatch: Lenzaro B.V. (contact-lens subscription webshop).

Deterministic (fixed seed). Writes cases.jsonl next to this file and checks it:
- every IBAN / card / BSN in a positive passes its checksum, every look-alike in a benign post fails it
  (the company's own published IBAN excepted);
- every line is a valid CONTRACT section 6 case;
- severities follow CONTRACT section 4, computed from the account role in profile.yaml.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(345)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 digit order
B64URL = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) < 15:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaced=True, country="NL"):
    if country == "NL":
        bban = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB"]) + rand(string.digits, 10)
    elif country == "BE":
        bban = rand(string.digits, 12)
    else:
        bban = rand(string.digits, 18)
    s = country + iban_check(country, bban) + bban
    assert iban_ok(s)
    return group4(s) if spaced else s


def bad_iban(spaced=True):
    s = iban(spaced=False)
    while True:
        pos = rng.randrange(8, len(s))
        d = str((int(s[pos]) + rng.randint(1, 9)) % 10)
        t = s[:pos] + d + s[pos + 1:]
        if not iban_ok(t):
            return group4(t) if spaced else t


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()][::-1]
    total = 0
    for i, d in enumerate(digits):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(prefix="4", spaced=True):
    body = prefix + rand(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_ok(body + c):
            num = body + c
            break
    return group4(num) if spaced else num


def bad_card(prefix="4", spaced=True):
    num = card(prefix, spaced=False)
    num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(num)
    return group4(num) if spaced else num


def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def bsn(dotted=False):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return f"{s[:4]}.{s[4:6]}.{s[6:]}" if dotted else s


def bad_bsn():
    s = bsn()
    s = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(s)
    return s


# ---------------------------------------------------------------- secrets
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_ok(tok):
    body, chk = tok[4:34], tok[34:40]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()), 6) == chk


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(B64, 40)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 40)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(B64URL, 58) + "T3BlbkFJ" + rand(B64URL, 58)


def sendgrid_key():
    return "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randint(0, 20000000)
    payload = b64url(json.dumps({"sub": "svc-oogtest", "role": "admin", "iat": iat, "exp": iat + 86400},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def ssh_private_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(200)))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def db_password():
    return rand(string.ascii_letters + string.digits + "!#%^*_", 18)


# ---------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- profile helpers
def norm_key(k):
    return k.strip().lower()


CORP = {norm_key(a) for a in PROFILE["accounts"]["corporate"]}
EMPL = {norm_key(a) for a in PROFILE["accounts"]["employee"]}

DISPLAY = {
    "x:@lenzaro_nl": "Lenzaro", "x:@lenzaro_help": "Lenzaro Klantenservice", "instagram:@lenzaro.nl": "Lenzaro",
    "facebook:lenzaronl": "Lenzaro", "linkedin:lenzaro": "Lenzaro B.V.", "tiktok:@lenzaro.official": "Lenzaro",
    "youtube:@lenzarooogcheck": "Lenzaro OogCheck",
    "x:@mvanleeuwen_lz": "Marieke van Leeuwen", "x:@daanhofstede": "Daan Hofstede", "x:@kevin_dev_lz": "Kevin Smits",
    "x:@lisa_lz_support": "Lisa Janssen", "linkedin:ruben-okafor-lenzaro": "Ruben Okafor",
    "linkedin:eline-bos-optometrist": "Eline Bos", "linkedin:thomas-meijer-lenzaro": "Thomas Meijer",
    "instagram:@noor.lenzaro": "Noor El Idrissi", "mastodon:@joris_k@mastodon.nl": "Joris Kuipers",
    "threads:@sophie.lenzaro": "Sophie Vermeulen", "bluesky:@yaradekker.bsky.social": "Yara Dekker",
}


def role_of(platform, handle):
    k = norm_key(f"{platform}:{handle}")
    if k in CORP:
        return "corporate"
    if k in EMPL:
        return "employee"
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]

# ---------------------------------------------------------------- identifier scanning (checks + severity)
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])(NL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}|BE\d{2} ?\d{4} ?\d{4} ?\d{4}"
                     r"|DE\d{2} ?\d{4} ?\d{4} ?\d{4} ?\d{4} ?\d{2})(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\w-]|\.\d)")
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def scan_ids(text):
    """Return list of (kind, value, valid) for IBAN/card/BSN look-alikes."""
    out = []
    rest = text
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(1), iban_ok(m.group(1))))
    rest = IBAN_RE.sub(" ", rest)
    for m in CARD_RE.finditer(rest):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    rest = CARD_RE.sub(" ", rest)
    for m in BSN_RE.finditer(rest):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def severity(role, cats, text):
    if not cats:
        return "none"
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            s = SEV.index("error") if insider else SEV.index("warning")
            if insider and c in ("leak.secret", "leak.pricing"):
                s = SEV.index("critical")
            if insider and c == "leak.pii":
                if any(valid and not (k == "iban" and v.replace(" ", "").upper() in PUBLIC_IBANS)
                       for k, v, valid in scan_ids(text)):
                    s = SEV.index("critical")
        elif c == "reputation.complaint":
            s = SEV.index("warning")
        elif c == "reputation.crisis":
            s = SEV.index("error")
        elif c == "reputation.abuse":
            s = SEV.index("error") if insider else SEV.index("warning")
        else:
            raise ValueError(c)
        best = max(best, s)
    return SEV[best]


# ---------------------------------------------------------------- case collection
CASES = []
CAT = {"C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse", "P": "leak.pii",
       "F": "leak.confidential", "N": "leak.financial", "S": "leak.security", "K": "leak.secret",
       "R": "leak.pricing"}


def rand_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 360 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(acct, lang, cats, text, kind="post", at=None, name=None):
    platform, handle = acct.split(":", 1)
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "cats": [CAT[c] for c in cats],
                  "text": text, "kind": kind, "at": at or rand_ts(), "name": name})


# ============================================================== COMPLAINTS
add("x:@ilse_tweet", "nl", "C", "@lenzaro_help al 3 weken wachten op m'n AquaDay 90 en in de app staat nog steeds 'verzonden'. afschrijven gaat wel altijd netjes op tijd natuurlijk 🙄", kind="reply")
add("reddit:u/blurry_in_breda", "en", "C", "Ordered ClearMonth Toric from Lenzaro, received plain ClearMonth instead. No cylinder correction = blurry all day at work. And the return label page just says 'not available'. Anyone else had this?")
add("facebook:petra.hoogendoorn.77", "nl", "C", "Via de app opgezegd, bevestiging gekregen, en tóch weer €39,50 afgeschreven voor het Totaal abo. Tweede maand op rij. Die opzegknop van jullie doet letterlijk niks Lenzaro.", kind="comment", name="Petra Hoogendoorn")
add("x:@sammyk_", "en", "C", "so the Lenzaro online eye test said -2.25. went to an actual optician today: -3.50. been squinting at road signs for two months thanks to you guys")
add("x:@wout_w", "nl", "C", "klantenservice lenzaro is echt een lachertje. 45 min in de wacht gehangen en toen werd de verbinding verbroken. morgen dan maar weer 🙃")
add("x:@anoukjj", "nl", "C", "Nee dus. Order LZ-88213 is er nog steeds niet en de chat belooft al sinds vorige week maandag 'binnen 24 uur opgelost'. @lenzaro_help", kind="reply")
add("instagram:@tessa.travels", "en", "C", "@lenzaro.nl you sent me six bottles of drops I never ordered and now I have to pay the return postage?? how is that on me", kind="comment")
add("forum:mirjam_63", "nl", "C", "Doos AquaDay Toric van Lenzaro opengemaakt: 4 blisters waren lek en de lens was helemaal uitgedroogd. Foto's gestuurd naar de klantenservice, inmiddels 9 dagen geen reactie. Wat is wijsheid?")
add("x:@nate_ams", "en", "C", "three emails and zero replies. refund for my cancelled OogCheck Plus appointment still not back after 5 weeks, @lenzaro_help. what's going on")
add("threads:@julia.vdb", "nl", "C", "Had een OogCheck Plus videoconsult geboekt, optometrist kwam gewoon niet opdagen. 20 minuten naar een leeg scherm zitten staren. Eerstvolgende plek: over drie weken. #lenzaro")
add("x:@dev_on_a_bike", "en", "C", "why does the lenzaro app log me out every single time I try to change my delivery address. four days of this now")
add("facebook:kees.brouwer.zwolle", "nl", "C", "Sinds de nieuwe batch PureSoak voelen m'n lenzen na een uur plakkerig en het spul ruikt ook anders. Heeft Lenzaro iets aan het recept veranderd? Niet blij mee.", name="Kees Brouwer")
add("x:@marloes_schrijft", "nl", "C", "Prijsverhoging op mijn Plus-abonnement zonder één mail vooraf, zelf ontdekt via mijn bankafschrift. Zo ga je niet met klanten om @lenzaro_nl")
add("instagram:@lotte.looks", "en", "C", "the 'hazel' Lenzaro Hue lenses are straight up orange irl, nothing like the pics. took 3 weeks to get my refund and they still kept a 'handling fee' lol")
add("x:@bart_uit_zwolle", "nl", "C", "Mijn OogCheck uitslag staat al tien dagen op 'in beoordeling'. Ondertussen zit ik zonder lenzen met m'n oude bril uit 2019. Top service lenzaro 👎")
add("x:@fred_zzz", "nl", "AC", "godverdomme lenzaro, derde keer op rij de verkeerde sterkte gestuurd. wat een teringzooi is het daar")
# first-hand harm: crisis + complaint
add("facebook:samira.bouzid.3", "nl", "CX", "Na twee nachten met de NightVue lenzen wakker geworden met een knalrood, pijnlijk oog. Huisarts zegt hoornvliesbeschadiging en heeft me doorverwezen naar het ziekenhuis. Bij de intake zei Lenzaro nog dat het 'vrijwel risicoloos' was. Ik ben woest.", name="Samira Bouzid")
add("x:@hannahwrites", "en", "CX", "put in Lenzaro HydraDrops this morning and it burned like acid. ended up at the ER getting my eyes rinsed. batch 24-117 if anyone else has it. never again")
add("x:@papa_van_3", "nl", "CX", "Zoontje (8) heeft sinds de Myopix kinderlenzen rode, opgezwollen ogen. Oogarts: allergische reactie. Lenzaro helpdesk zegt 'gewoon even stoppen'. Serieus?? Dat is alles?")
add("tiktok:@mila.skincare", "en", "CX", "followed the HydraMask microwave instructions EXACTLY and it got so hot it burned the skin under my eyes. actual blisters. Lenzaro explain yourselves 😡")

# ============================================================== CRISIS (third party / accusations)
add("x:@nieuwsflits_nl", "nl", "X", "Consumentenbond: meerdere gebruikers liepen brandwonden op met het HydraMask warmtemasker van Lenzaro. Het bedrijf haalt de partij uit de verkoop.")
add("x:@privacy_watch_eu", "en", "X", "Multiple Lenzaro customers report seeing OTHER people's prescriptions and home addresses after logging in. Screenshots are circulating. This looks like a serious data breach. #Lenzaro #databreach")
add("x:@kritischeklant", "nl", "X", "Boycot Lenzaro! Ze verkopen je oogtest-gegevens door aan zorgverzekeraars. Zeg je abonnement op en deel dit. #boycotlenzaro")
add("reddit:u/law_nerd_nl", "en", "X", "A class action is being prepared against Lenzaro over the online eye test handing out wrong prescriptions to children. The firm is collecting cases, check their site if this happened to you.")
add("facebook:LenzenAlarm", "nl", "X", "LET OP: Lenzaro roept PureSoak 360 (lot PS-2611) terug wegens mogelijke bacteriële besmetting. Gebruik het niet meer en lever het in!", name="Lenzen Alarm")
add("x:@opticien_henk", "nl", "X", "Collega-opticiens zien steeds vaker kinderen met ernstige oogschade na thuisgebruik van Myopix van Lenzaro. Vanavond bij RTL Nieuws.")
add("linkedin:sanne-de-ruiter-advocaat", "en", "X", "Former optometrists are suing Lenzaro, alleging they were pressured to sign off eye test results they never reviewed. First hearing is set for March.", name="Sanne de Ruiter")
add("x:@jelle_denkt", "nl", "X", "Lenzaro heeft een datalek, ik weet het zeker. Phishingmail vandaag met mijn exacte lenssterkte én klantnummer erin. Die info heeft verder niemand.")
add("threads:@fairwork_now", "en", "X", "Stop buying from Lenzaro. Warehouse workers fired for trying to unionize. #BoycottLenzaro")

# ============================================================== ABUSE
add("x:@woedende_wim", "nl", "A", "lenzaro zijn gewoon oplichters en kankerlijers, ik hoop dat jullie tent failliet gaat")
add("x:@trevor_j", "en", "A", "@lenzaro_help your agent Kim is a useless idiot. genuinely braindead. put someone competent on my case", kind="reply")
add("instagram:@gwendolyn.x", "nl", "A", "die optometrist van lenzaro is echt een achterlijke trut, zo ontzettend neerbuigend deed ze", kind="comment")
add("x:@vexd_gamer", "en", "A", "l3nzar0 is run by a bunch of f*cking cl0wns. sh1t company, sh1t lenses, sh1t support")
add("x:@niels_boos", "nl", "A", "L.e.n.z.a.r.o = k.u.t.b.e.d.r.i.j.f, s.t.e.l.l.e.t.j.e k.l.o.o.t.z.a.k.k.e.n")
add("facebook:henk.verbeek.1958", "nl", "A", "Die klantenservicemedewerker Ahmed moet maar terug naar z'n eigen land, kan niet eens normaal Nederlands praten. Schaam je Lenzaro", kind="comment", name="Henk Verbeek")
add("x:@silentwatcher77", "en", "A", "I know where your Utrecht office is, Lenzaro. Keep ignoring my emails and see what happens.")
add("x:@daanhofstede", "en", "A", "@bram_rijdt maybe learn to read the instructions before whining on here, moron", kind="reply")
add("x:@moniekvanr", "nl", "A", "L\u0435nz\u0430r\u043e zijn echte eikels en die CEO van ze is een vieze graaier")
add("x:@mad_maxine", "en", "A", "Lenzaro staff are " + fullwidth("fucking morons") + ", every single one of them")

# ============================================================== PRICING
add("x:@lenzaro_nl", "nl", "R", "🔥 Alleen dit weekend: AquaDay Toric (90 stuks) voor €6,99! Op = op. 👉 lenzaro.nl")
add("x:@lisa_lz_support", "nl", "R", "haha collega's check de site even, NightVue staat op €34,90 ipv €349 😬 wie heeft die komma verschoven")
add("x:@dealjager_nl", "nl", "R", "PRIJSFOUT bij Lenzaro!! Totaal abo voor €3,95 per maand. Snel zijn voordat ze het doorhebben 🏃‍♂️💨")
add("reddit:u/frugal_frank", "en", "R", "Lenzaro is listing the Solara prescription sunglasses at €12.90. That has to be a pricing error right? Ordered three just in case lol")
add("instagram:@lenzaro.nl", "nl", "R", "✨ Flash deal ✨ De BlueShield beeldschermbril nu voor maar €19 (normaal €69). Alleen vandaag!")
add("linkedin:eline-bos-optometrist", "en", "R", "Quick heads-up for the team: OogCheck Plus is showing €4.50 in the mobile checkout. Clearly a price glitch, ticket raised with the web team.")
add("x:@ik_bestel_alles", "nl", "R", "Prijsfout of niet, ik heb net 10 dozen AquaDay 90 besteld voor €5,49 per doos bij lenzaro 🤑🤑")
add("x:@jessie_saves", "en", "R", "is this a glitch?? ClearMonth Toric is €9.99 on lenzaro.com right now")
add("instagram:@noor.lenzaro", "nl", "R", "Oeps 🙈 in de nieuwsbrief van vanochtend stond de HydraMask voor €2,49, dat klopt natuurlijk niet. Correctie komt eraan!")
add("facebook:LenzaroNL", "nl", "R", "Correctie: in ons vorige bericht stond Myopix kids voor €8,99. Dat was een prijsfout, de juiste prijs is €89,95. Excuses voor de verwarring.")
add("tiktok:@budgetbabe.nl", "en", "R", "lenzaro has the Hue lenses for €0.99 rn i'm actually screaming 😭 price mistake go go go")
add("reddit:u/belgian_deals", "en", "R", "PSA: the Plus abo rings up at €2.75/month in Lenzaro's Belgian store. Someone forgot a digit. Grab it while it lasts.")

# ============================================================== SECRETS
add("x:@kevin_dev_lz", "nl", "K", f"CI blijft rood op de deploy-job. kan iemand checken of deze nog de goede scopes heeft? {gh_token('ghp_')}")
add("mastodon:@joris_k@mastodon.nl", "en", "K", f"note to self for the new build runner:\nAWS_ACCESS_KEY_ID={aws_key_id()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\nregion eu-west-1, bucket lz-prod-assets")
add("x:@kevin_dev_lz", "en", "K", f"why does Stripe keep rejecting our webhook signature?? prod env has {stripe_live()} and it works fine locally")
add("bluesky:@yaradekker.bsky.social", "en", "K", f"slack bot for the daily order report finally works 🎉 token {slack_bot()} — now to make the charts less ugly")
add("threads:@sophie.lenzaro", "nl", "K", f"heeft iemand nog een OpenAI key voor het voorraadscript? die van mij is op, deze werkte gisteren nog: {openai_key()}")
add("x:@kevin_dev_lz", "en", "K", "key for the build box, drop it in ~/.ssh/ on your laptop and you're in:\n" + ssh_private_key())
add("mastodon:@joris_k@mastodon.nl", "nl", "K", f"curl -H 'Authorization: Bearer {jwt()}' https://api.lenzaro.nl/v2/prescriptions werkt gewoon, dus het ligt aan de gateway")
add("x:@kevin_dev_lz", "nl", "K", f"DATABASE_URL=postgresql://lz_app:{db_password()}@10.12.0.41:5432/lenzaro_orders\nwaarom krijg ik nog steeds 'too many connections' 😩")
add("facebook:LenzaroNL", "nl", "K", "@Noor inlog voor het nieuwe Instagram-account: gebruiker lenzaro.nl.stories / wachtwoord: Oogje#Zomer2026!", kind="comment")
add("x:@fleurtje_d", "nl", "K", "ik vergeet het toch steeds dus ik zet het hier: lenzaro account fleur.d / wachtwoord: Fleurtje1991! (ja ik weet het, heel slim 🙃)")
add("x:@bugbounty_bas", "en", "K", f"lol Lenzaro left a SendGrid key in their public frontend bundle: {sendgrid_key()} reported it 2 weeks ago, no reply")
add("x:@kevin_dev_lz", "en", "KS", f"Rotate this one NOW, we think it got pulled during last night's intrusion and someone is still using it: {aws_key_id()} — not public yet, keep it off the status page")

# ============================================================== PERSONAL DATA
add("x:@lenzaro_help", "nl", "P", "@sanne_vdwal Gevonden! We sturen de vervangende lenzen naar Sanne van der Wal, Kerkstraat 14, 3581 AB Utrecht. Klopt dat adres nog?", kind="reply")
add("x:@lenzaro_help", "nl", "P", f"@jeroen_fietst Je terugbetaling van €54,95 is vandaag overgemaakt naar {iban()} t.n.v. J. Mulder. Binnen 2 werkdagen op je rekening!", kind="reply")
add("x:@daanhofstede", "nl", "P", f"Kan iemand van backoffice kijken waarom de verzekeraar deze declaratie afwijst? Klant M. Yilmaz, geb. 14-03-1987, BSN {bsn()}. Ik zie het niet.")
add("x:@lisa_lz_support", "en", "P", "Customer keeps calling the general line, can someone from 2nd line call Mrs. de Groot back on 06-41873920 before 5? She's lovely but very persistent 😅")
add("threads:@sophie.lenzaro", "nl", "P", f"klant had per ongeluk z'n hele creditcardnummer op de retourbon geschreven 🤦 {card('4')} exp 08/28... die bon is maar meteen door de shredder gegaan haha")
add("x:@fleur_dam91", "nl", "P", "@lenzaro_help kunnen jullie me even mailen over mijn oogtest uitslag? fleur.dam1991@gmail.com", kind="reply")
add("x:@stijn_bakt", "nl", "P", "Chat snapt m'n vraag niet, bel me gewoon even op +31 6 2948 1137 @lenzaro_help")
add("x:@anon_oog", "nl", "PA", "Die optometrist van Lenzaro heet Eline Bos en woont op de Biltstraat 201 in Utrecht. Ga maar eens langs, misschien luistert ze dan wel.")
add("x:@rkaya_", "nl", "P", f"@lenzaro_help stort het bedrag maar terug op {iban(spaced=False)} t.n.v. R. Kaya, bedankt alvast", kind="reply")
add("bluesky:@yaradekker.bsky.social", "en", "P", "Testing the new signup funnel with a real customer record, pls don't judge: Anouk Meijer, anouk.meijer92@hotmail.com, DOB 07-11-1992")
add("x:@lenzaro_help", "en", "P", "@mike_travels we've updated your delivery email to m.obrien82@outlook.com and your phone to 06 18 43 22 90 — shout if that's not right!", kind="reply")
add("x:@sjoerd_xx", "nl", "P", f"lol heb per ongeluk mijn hele creditcardnummer in de lenzaro chat geplakt ({card('54', spaced=False)}) is dat erg of")
add("mastodon:@joris_k@mastodon.nl", "en", "P", f"Found an unencrypted CSV on the shared drive, first row: 'Pieter de Boer;Jansstraat 3, 6811 GJ Arnhem;BSN {bsn(dotted=True)}'. Who put this here??")
add("x:@lekjager", "en", "PX", f"Lenzaro customer data is up for sale on a forum. Sample line from the dump: j.bakker@ziggo.nl;0612345678;{iban(spaced=False)};-3.25/-3.00. Check if you're in it.")
add("linkedin:eline-bos-optometrist", "nl", "P", "Gefeliciteerd aan onze trouwste klant, mevrouw Ria Pronk (geboren 2 mei 1941)! Ze draagt al 60 jaar lenzen en bestelt nog steeds zelf online 🎉")

# ============================================================== CONFIDENTIAL
add("x:@mvanleeuwen_lz", "nl", "F", "Eindelijk mag ik iets vertellen over waar ik mee bezig ben... nou ja, bijna. Project Kolibrie gaat de manier waarop je lenzen koopt echt veranderen 👀")
add("linkedin:eline-bos-optometrist", "en", "F", "Long week of clinical testing for Halcyon. Can't say much yet, but our myopia customers are going to love this.")
add("x:@kevin_dev_lz", "nl", "F", "wie pakt https://jira.lenzaro.io/browse/OOG-1423 op? die checkout-bug blijft maar terugkomen")
add("bluesky:@yaradekker.bsky.social", "en", "F", "The new dashboards on grafana.lz-internal.net finally load in under 2s, big shoutout to the data team 💪")
add("facebook:LenzaroNL", "nl", "F", "VERTROUWELIJK - LENZARO | Campagneplanning Q1: focus op overstappers van de opticien, 60% van het budget naar TikTok. Niet doorsturen.")
add("linkedin:ruben-okafor-lenzaro", "en", "F", "Sharing our new controller onboarding deck with my network (Lenzaro internal only), would love feedback from other finance folks!")
add("threads:@sophie.lenzaro", "nl", "F", "niet extern delen hoor, maar de AquaNova Multifocal komt half januari en het magazijn ligt nu al vol 📦", at="2026-11-20T16:42:10Z")
add("x:@roddelbril", "nl", "F", "Gerucht uit de lenzenwereld: Lenzaro werkt aan 'Operatie Zeehond', een eigen lenzenfabriek in Polen. Wie weet meer?")
add("instagram:@noor.lenzaro", "en", "F", "Shooting the campaign for Lenzaro DriveSafe today 🚗🌙 can't wait for you guys to see it!", at="2026-12-02T10:15:00Z")
add("x:@mvanleeuwen_lz", "en", "F", "Been wearing the DriveSafe lenzen prototype for a month now and night driving is a different world.", at="2026-10-08T21:03:44Z")
add("linkedin:thomas-meijer-lenzaro", "nl", "FN", "De jaarcijfers 2026 komen ruim boven de prognose uit, omzetgroei rond de 20%. Meer mag ik nog niet zeggen 🤐", at="2027-02-20T18:30:00Z")
add("x:@kevin_dev_lz", "nl", "F", "Project Ko\u200blibrie sprint 4 zit erop, demo vrijdag voor het MT 🚀")
add("bluesky:@yaradekker.bsky.social", "en", "F", "deep in the " + fullwidth("Halcyon") + " pilot numbers tonight, conversion looks wild")
add("threads:@sophie.lenzaro", "nl", "F", "vandaag de eerste pallets voor O p e r a t i e   Z e e h o n d ingepakt, spannend!")
add("x:@lenzaro_help", "nl", "F", "@daanhofstede de nieuwe belscripts staan op https://intranet.lenzaro.local/klantenservice/scripts", kind="reply")
add("x:@kevin_dev_lz", "en", "F", "PR is up: https://git.lenzaro.io/webshop/checkout/-/merge_requests/812 reviews welcome 🙏")
add("reddit:u/lens_lurker", "en", "F", "a friend who works at Lenzaro showed me the NightVue 2 prototype, internal name Halcyon. it's basically ortho-k you can wear during the day?? wild")
add("linkedin:ruben-okafor-lenzaro", "en", "FN", "Closing the Q4 2026 results this week. Spoiler: subscriptions grew faster than we guided and EBITDA is finally positive.", at="2027-01-28T08:05:00Z")

# ============================================================== FINANCIAL
add("x:@daanhofstede", "nl", "N", "Townhall vandaag was pittig. Omzet Q3 18% onder budget en er gaan 40 fte uit de klantenservice. Wordt pas in november bekendgemaakt.", at="2026-09-24T17:20:00Z")
add("linkedin:eline-bos-optometrist", "en", "N", "Overheard after the board meeting: we're being acquired by a big German optical chain. Announcement planned for January. Mixed feelings.")
add("x:@oogjes_open", "nl", "N", "Via via gehoord dat Lenzaro wordt overgenomen door een Duitse brillenketen, de deal zou voor 1 februari rond zijn.")
add("linkedin:ruben-okafor-lenzaro", "nl", "N", "Forecast 2027 bijgesteld naar €48 mln omzet. Had eerlijk gezegd slechter verwacht na dit jaar.")
add("threads:@sophie.lenzaro", "en", "N", "They told us today: the whole Eindhoven warehouse closes in Q2, 65 people. Nothing official outside yet. Heartbroken 💔", at="2026-08-13T15:10:00Z")
add("instagram:@lenzaro.nl", "nl", "N", "Sneak peek 👀 onze kwartaalcijfers laten 31% groei in abonnementen zien! Officiële publicatie volgt volgende week 🚀")
add("x:@lisa_lz_support", "nl", "N", "reorganisatie: de klantenservice gaat naar Lissabon en het NL-team wordt opgeheven. HR vertelt het pas in maart, maar ja, nu weten jullie het.")
add("linkedin:thomas-meijer-lenzaro", "en", "N", "Q3 EBITDA came in at -€2.1m. Not what we promised the bank. Long weekend of spreadsheets ahead.")
add("reddit:u/hr_whisper", "en", "N", "My cousin in finance at Lenzaro says they're about to breach their bank covenants and are quietly in refinancing talks.")
add("mastodon:@joris_k@mastodon.nl", "nl", "N", "we nemen OptiLens Vlaanderen over, gisteren getekend 🍾 persbericht pas over twee weken dus ssst")

# ============================================================== SECURITY
add("x:@kevin_dev_lz", "nl", "S", "sinds vannacht kan je via de oogtest-API andermans recept ophalen door gewoon het klantnummer op te hogen. nog niet gefixt, niet verder vertellen aub")
add("mastodon:@joris_k@mastodon.nl", "en", "S", "We're down. Payment integration broken since 3am, nobody can check out. Status page still green because comms hasn't approved the message yet 🙈")
add("threads:@sophie.lenzaro", "nl", "S", "Ransomware op de magazijnservers, alles ligt plat en we pakken orders met pen en papier in. Officiële communicatie volgt 'later'.")
add("bluesky:@yaradekker.bsky.social", "en", "S", "Pentest results landed: SQL injection in the prescription upload form, rated critical. No fix date yet. Fun Friday.")
add("x:@daanhofstede", "nl", "S", "iemand op de afdeling heeft vanochtend op een phishingmail geklikt en nu zitten ze in onze Microsoft 365. IT is aan het blussen, klanten weten nog van niks")
add("x:@lenzaro_help", "nl", "S", "Intern: de opslagbucket met oogtestfoto's stond twee weken open voor iedereen. Nog niet melden bij de AP tot juridische zaken akkoord geeft.")
add("x:@kevin_dev_lz", "en", "S", "devs pls: the export endpoint in the admin panel has no auth at all, anyone with the link can download every order. fix before someone finds it")
add("mastodon:@joris_k@mastodon.nl", "nl", "S", "de oogtest-app crasht sinds de update van gisteren bij alle Android-gebruikers en we hebben geen idee waarom. klantenservice mag het nog niet zeggen")
add("mastodon:@joris_k@mastodon.nl", "en", "S", "ddos since 14:00, the site is held together with duct tape and prayers. we haven't said anything publicly yet")
add("x:@helpdesk_insider", "nl", "SX", "Ik werk bij de helpdesk van Lenzaro: er zit al een week een lek in waardoor klanten elkaars bestellingen en adressen kunnen zien. Management houdt het stil.")
add("x:@lisa_lz_support", "en", "S", "the bug where anyone can cancel anyone's subscription through the API is still open after 30 days. we keep getting calls about 'mystery cancellations' and have to play dumb")
add("x:@daanhofstede", "nl", "S", "Certificaat van de betaalpagina is verlopen, klanten krijgen een rood beveiligingsscherm. Wij mogen niks zeggen tot het opgelost is.")

# ============================================================== BENIGN (mostly hard negatives)
add("x:@lisanne_runs", "nl", "", "Eerlijk? Lenzaro levert altijd op tijd en die AquaDay lenzen zitten heerlijk. Beste lensabo dat ik ooit heb gehad 👌")
add("x:@owen_reads", "en", "", "Shoutout to Lenzaro support, they replaced my torn ClearMonth lenses for free, no questions asked.")
add("x:@maaike_dt", "nl", "", "Update: pakketje is toch binnen en Lenzaro heeft de verzendkosten teruggestort. Netjes opgelost, dank!")
add("x:@chris_m_nl", "en", "", "Had a billing hiccup on my Abo Plus, @lenzaro_help sorted it in one chat. Appreciated.")
add("x:@lenzaro_help", "nl", "", "Vragen over je oogtest of bestelling? Mail klantenservice@lenzaro.nl of bel +31 30 760 4400 (ma-vr 9-17 uur).")
add("facebook:LenzaroNL", "nl", "", "Liever betalen per overschrijving? Maak over naar NL80 RABO 0318 4275 96 t.n.v. Lenzaro B.V. en vermeld je ordernummer.")
add("linkedin:lenzaro", "en", "", "Journalists can reach our press team at pers@lenzaro.nl. We usually respond within one working day.")
add("x:@gerrit_overmaakt", "nl", "", f"Mijn bank zegt dat {bad_iban()} ongeldig is. Heb ik het rekeningnummer voor mijn retour verkeerd overgetypt? Iemand die meekijkt?")
add("x:@typo_queen", "en", "", f"Lenzaro checkout kept saying my card {bad_card('4')} was invalid. Turns out I'd swapped two digits 🤦‍♀️ my bad")
add("x:@nuchtere_nel", "nl", "", "Waarom zou een lenzenwinkel je BSN nodig hebben? Niet dus. (En nee, 123456789 is niet het mijne 😂)")
add("x:@kevin_dev_lz", "en", "", "New post on the Lenzaro engineering blog: how we keep secrets out of git. The example config uses AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, real ones live in the vault 🔐")
add("mastodon:@joris_k@mastodon.nl", "nl", "", "Reminder voor de README: zet nooit echte tokens in voorbeelden, gebruik ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als placeholder.")
add("bluesky:@yaradekker.bsky.social", "en", "", "Our incident postmortem is public now. The exposed key (sk_live_****************) was revoked within 4 minutes. Proud of how the team handled it.")
add("x:@lenzaro_nl", "nl", "", "Tip: gebruik voor je Lenzaro-account nooit hetzelfde wachtwoord als voor je mail. Een wachtwoordmanager helpt!")
add("x:@lenzaro_nl", "nl", "", "Hij is er! De AquaNova Multifocal is vanaf vandaag te bestellen via lenzaro.nl 👓✨", at="2027-01-20T08:00:00Z")
add("linkedin:lenzaro", "nl", "", "Vandaag publiceren we de jaarcijfers 2026: omzet €51 mln (+12%) en 240.000 actieve abonnees. Lees het volledige verslag op lenzaro.nl/investeerders.", at="2027-03-05T07:30:00Z")
add("linkedin:eline-bos-optometrist", "en", "", "So proud that Lenzaro DriveSafe launched last week 🚗 Night driving without halos, finally.", at="2027-01-26T12:40:00Z")
add("x:@buurvrouw_ans", "nl", "", "Sterkte aan iedereen bij Lenzaro, gisteren die brand in het pand naast jullie kantoor. Hopelijk is iedereen oké ❤️")
add("x:@techpraat", "nl", "", "Datalek bij een grote Duitse brillenketen, ruim 2 miljoen klanten getroffen. Check even of je daar ooit een account hebt gehad.")
add("x:@katten_mama", "nl", "", "mijn kat heeft net een AquaDay lens opgegeten 😂 valt dat onder het Lenzaro abo of moet ik een dierenverzekering afsluiten")
add("reddit:u/switching_dailies", "en", "", "Anyone here tried NightVue ortho-k? Thinking of ditching my dailies but €349 upfront is a lot.")
add("x:@mvanleeuwen_lz", "nl", "", "Vandaag de 100.000ste online oogtest bij Lenzaro beoordeeld! Taart op de afdeling 🎉")
add("linkedin:lenzaro", "en", "", "We're hiring! Lenzaro is looking for a senior backend developer in Utrecht. Hybrid, great team, lots of coffee. Apply at lenzaro.nl/vacatures")
add("x:@lenzaro_help", "nl", "", "Update: de storing in de app is verholpen, alles werkt weer. Sorry voor het ongemak van vanochtend!")
add("x:@lenzaro_nl", "en", "", "Scheduled maintenance Sunday 02:00–04:00 CET: the online eye test may be briefly unavailable. Orders keep working as usual.")
add("instagram:@pop_playlist", "en", "", "Halcyon by Ellie Goulding on repeat today, that album still slaps")
add("x:@vogelspotter", "nl", "", "Dacht net een kolibrie in de tuin te zien, bleek een kolibrievlinder. Nog steeds gaaf 🦋")
add("x:@lisa_lz_support", "nl", "", "Zo ziet een IBAN eruit: NL00 BANK 0123 4567 89 (geen echt nummer!). Vul die van jezelf in op het retourformulier.")
add("x:@lenzaro_nl", "nl", "", "Black Friday bij Lenzaro: 20% korting op alle ClearMonth maandlenzen, nu €31,96 in plaats van €39,95.")
add("x:@drogist_vergelijker", "en", "", "PureSoak 360 is €12.95 at Lenzaro, slightly cheaper than my local drugstore. Decent stuff too.")
add("facebook:LenzaroNL", "nl", "", "Goed nieuws: het Abo Basis blijft €17,50 per maand, ook volgend jaar. Geen prijsverhoging 💙")
add("instagram:@lenzaro.nl", "en", "", "Spring sale ☀️ 15% off the Solara prescription sunglasses: €109.65 instead of €129.")
add("x:@zuinige_zoe", "nl", "", "AquaDay 90 nu €49,95 bij lenzaro (normaal 54,95). Prima deal, meteen 3 dozen ingeslagen.")
add("x:@wijnand_w", "nl", "", "Haha prijsfout bij een tv-webshop: 65 inch voor €65. Helaas al gecorrigeerd 😅")
add("x:@techguy_nl", "nl", "", "Weer een massaontslag bij een Amerikaanse techreus, 10.000 banen weg. Wat een wereld.")
add("x:@droge_ogen_daan", "nl", "", "Mijn ogen zijn zo droog als de humor van m'n vader. HydraDrops van Lenzaro redt me elke middag.")
add("reddit:u/optic_curious", "en", "", "My optician said the Lenzaro eye test is fine for a refill but not a replacement for a full exam every couple of years. Seems fair.")
add("x:@vakantievierder", "nl", "", "Weet iemand of je bij Lenzaro je abonnement kunt pauzeren tijdens een lange reis?")
add("instagram:@runnerkim", "en", "", "Absolutely killed it at the marathon today and my lenses didn't budge once 💪 cheers Lenzaro")
add("tiktok:@lachen_met_luuk", "nl", "", "die nieuwe lenzaro reclame met die knipperende hond 😂😂 ik ga dood")
add("instagram:@maya.glam", "en", "", "wearing Lenzaro Hue 'ocean blue' to the party tonight, wish me luck 💙")
add("x:@lenzaro_help", "nl", "", "Let op: Lenzaro vraagt nooit om je wachtwoord of pincode via DM of telefoon. Twijfel je? Mail privacy@lenzaro.nl.")
add("instagram:@noor.lenzaro", "nl", "", "Taart voor de klantenservice vandaag, ze hebben de drukste week van het jaar overleefd 🎂💪")
add("x:@kevin_dev_lz", "en", "", "Gave a talk about how we load-test the Lenzaro checkout. Slides are on my blog, no secrets inside, promise 😄")
add("x:@tevreden_tim", "nl", "", "Klacht over een kapotte lens? Gewoon mailen naar klantenservice@lenzaro.nl, bij mij binnen een dag opgelost.")
add("x:@secure_sarah", "en", "", "PSA: never post your card number online, not even as a joke like '1234 5678 9012 3456'. Scammers scrape everything.")
add("x:@oogmeme", "en", "", "my eyes after 9 hours of screen time: 💀💀 ordering the BlueShield from Lenzaro rn")
add("x:@fan_van_lenzaro", "nl", "", "Lenzaro overnemen? Haha ik wou dat ik het geld had, wat een fijne club.")
add("linkedin:lenzaro", "en", "", "Our Q4 2026 results are now published: the strongest quarter in our history. Thank you to every customer and colleague.", at="2027-03-06T09:00:00Z")
add("x:@positieve_petra", "en", "", "To whoever is answering the Lenzaro replies today: you're doing great, people are so mean online 💙")
add("x:@onhandige_ollie", "nl", "", "ik ben echt zo'n idioot, lens in het verkeerde oog gedaan 🤦 (niet lenzaro's schuld haha)")
add("x:@rekenaar_ruud", "nl", "", "Basis-abonnement €17,50, Plus €27,50. Voor mij is Plus dat extra tientje wel waard.")
add("x:@korting_kim", "nl", "", "ClearMonth Toric 20% korting bij lenzaro, dus €39,96. Niet verkeerd.")
add("youtube:@LenzaroOogcheck", "nl", "", "Nieuwe video: zo werkt onze online oogtest, en wat hij níet kan. Kijk hem voordat je een OogCheck doet!")
add("x:@oud_klant", "nl", "", "Mijn klacht van vorige maand is helemaal netjes afgehandeld door Lenzaro: nieuwe lenzen én een tegoedbon. Chapeau.")
add("x:@zorgvraagje", "nl", "", f"Zorgverzekeraar wilde mijn BSN voor de lensvergoeding, ik typte {bad_bsn()} en dat werd afgewezen. Bleek één cijfer fout 🙈")
add("x:@werkzoekende_wendy", "nl", "", "Sterkte aan de mensen van het Lenzaro-magazijn in Eindhoven, las in de krant dat het dichtgaat. Hopelijk vinden jullie snel iets nieuws.", at="2026-12-15T19:45:00Z")
add("instagram:@brillen.blog", "en", "", "Comparing lens subscriptions in 2026: Lenzaro's Abo Totaal (€39.50/month) includes a yearly eye test, which most others don't.")
add("x:@dev_anna", "en", "", "Redacted my config before posting: DATABASE_URL=postgres://user:<password>@localhost:5432/app — why does it still fail to connect?")
add("x:@klantvanlenzaro", "en", "", "Lenzaro phone number for anyone looking: 0800-5369 (free). Way faster than the chat.")
add("x:@brilslang", "nl", "", "Wie heeft er ervaring met de Myopix kinderlenzen? Onze dochter (10) wordt steeds bijziender en de oogarts raadde het aan.")

# ---------------------------------------------------------------- build output
order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, i in enumerate(order):
    c = CASES[i]
    role = role_of(c["platform"], c["handle"])
    key = norm_key(f"{c['platform']}:{c['handle']}")
    display = DISPLAY.get(key) or c["name"] or c["handle"].lstrip("@").split("/")[-1]
    post = {
        "id": f"lz-{c['platform']}-{345000 + n * 7 + 3}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"], "display_name": display},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"],
        "brand": "Lenzaro",
    }
    if c["platform"] == "x":
        post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{19000000000 + n * 9173}"
    cats = sorted(set(c["cats"]))
    lines.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, c["text"])}})

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}

SECRET_RES = [
    ("github", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("stripe", re.compile(r"\bsk_live_[A-Za-z0-9]{20,}")),
    ("slack", re.compile(r"\bxox[bpas]-\d+-\d+-[A-Za-z0-9]+")),
    ("openai", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+")),
    ("sendgrid", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    ("privkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("dburl", re.compile(r"\b[a-z]+://[^:\s/@]+:([^@\s]+)@")),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|password|passwd)\s*[:=]\s*(\S+)")),
]


def real_secrets(text):
    found = []
    for name, rx in SECRET_RES:
        for m in rx.finditer(text):
            tok = m.group(0)
            if name == "github" and not gh_ok(tok):
                continue
            if name == "aws" and tok.endswith("EXAMPLE"):
                continue
            if name == "jwt":
                try:
                    h = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "==="))
                    if "alg" not in h:
                        continue
                except Exception:
                    continue
            if name == "dburl" and (m.group(1).startswith("<") or m.group(1).lower() in ("password", "pass", "***")):
                continue
            found.append(name)
    return found


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]

seen = set()
for ln, raw in enumerate(open(out_path, encoding="utf-8"), 1):
    obj = json.loads(raw)
    p, e = obj.get("post"), obj.get("expect")
    where = f"line {ln}"
    if set(obj) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(e, dict):
        errors.append(f"{where}: bad shape")
        continue
    for fld in ("id", "platform", "account", "text", "created_at"):
        if fld not in p:
            errors.append(f"{where}: missing {fld}")
    if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
        errors.append(f"{where}: bad id")
    key = (p["platform"], p["id"])
    if p["id"] in seen:
        errors.append(f"{where}: duplicate id {p['id']}")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS:
        errors.append(f"{where}: platform {p['platform']}")
    if p.get("kind", "post") not in KINDS:
        errors.append(f"{where}: kind")
    if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        errors.append(f"{where}: account.handle")
    text = p["text"]
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        errors.append(f"{where}: text")
    try:
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", p["created_at"]):
            raise ValueError
        if ts.year not in (2026, 2027):
            errors.append(f"{where}: year")
    except Exception:
        errors.append(f"{where}: created_at")
        continue
    cats = e.get("categories")
    sev = e.get("severity")
    if not isinstance(cats, list) or not set(cats) <= TAXONOMY or cats != sorted(set(cats)):
        errors.append(f"{where}: categories {cats}")
    if sev not in SEV:
        errors.append(f"{where}: severity {sev}")
    if (not cats) != (sev == "none"):
        errors.append(f"{where}: benign/severity mismatch")
    role = role_of(p["platform"], p["account"]["handle"])
    if severity(role, cats, text) != sev:
        errors.append(f"{where}: severity not per policy")
    # checksum identifiers
    for kind, val, valid in scan_ids(text):
        own = kind == "iban" and val.replace(" ", "").upper() in PUBLIC_IBANS
        if cats and not valid:
            errors.append(f"{where}: positive holds failing {kind} {val}")
        if not cats and valid and not own:
            errors.append(f"{where}: benign holds valid {kind} {val}")
    # pii critical sanity: insider pii with checksummed id must be critical
    # secrets
    sec = real_secrets(text)
    if "leak.secret" in cats and not sec:
        errors.append(f"{where}: secret case without a recognisable credential")
    if "leak.secret" not in cats and sec:
        errors.append(f"{where}: credential {sec} in a case not labelled leak.secret")
    for m in re.finditer(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", text):
        if cats and not gh_ok(m.group(0)):
            errors.append(f"{where}: github token with bad checksum in a positive")
    # pricing
    low = text.lower()
    mentioned = [lp for a, lp in ALIASES if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", low)]
    prices = [float(x.replace(",", ".")) for x in PRICE_RE.findall(text)]
    if mentioned and prices:
        below = any(pr < RATIO * min(mentioned) for pr in prices)
        if "leak.pricing" in cats and not below and not re.search(r"(?i)prijsfout|price (?:error|glitch|mistake)|glitch", text):
            errors.append(f"{where}: pricing case without a low price or price-error talk")
        if "leak.pricing" not in cats and below:
            errors.append(f"{where}: unlabelled low price next to a product")
    if "leak.pricing" in cats and not mentioned:
        errors.append(f"{where}: pricing case without a profile product")
    # embargo
    for term, until in EMBARGO:
        if term in low and ts < until and "leak.confidential" not in cats:
            errors.append(f"{where}: embargo term '{term}' before until but not confidential")
    # public handles must not be profile accounts and vice versa for intended role
    if role == "public" and norm_key(f"{p['platform']}:{p['account']['handle']}") in CORP | EMPL:
        errors.append(f"{where}: role confusion")

# mix report
from collections import Counter
cnt = Counter()
langs = Counter()
roles = Counter()
benign = 0
for obj in lines:
    cs = obj["expect"]["categories"]
    langs[obj["post"]["lang"]] += 1
    if not cs:
        benign += 1
    for c in cs:
        cnt[c] += 1
        roles[(c, role_of(obj["post"]["platform"], obj["post"]["account"]["handle"]))] += 1
if not 170 <= len(lines) <= 180:
    errors.append(f"case count {len(lines)} outside 170-180")

print(f"{len(lines)} cases, {benign} benign, {len(lines) - benign} positive")
print("categories:", dict(sorted(cnt.items())))
print("languages:", dict(langs))
print("severities:", dict(Counter(o["expect"]["severity"] for o in lines)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
