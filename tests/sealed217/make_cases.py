#!/usr/bin/env python3
"""Build the labelled evaluation set sealed217 (Molarix Mondzorg, dental clinics + patient app).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and checks it (checksums of identifiers, CONTRACT section 6 shape, severity policy of section 4).
Severities are computed from the account role in profile.yaml, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
R = random.Random(217217)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # digits 0-9A-Za-z

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0

def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0

def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")

def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)

# ---------------------------------------------------------------- generators
REG = []  # identifiers inserted into the text currently being built: (kind, value, valid)

def _reg(kind, value, valid):
    REG.append((kind, value, valid))
    return value

def _digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))

def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)

def _spaced(s, k=4):
    return " ".join(s[i:i + k] for i in range(0, len(s), k))

def iban(cc="NL", valid=True, spaced=False):
    if cc == "NL":
        bban = R.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"]) + _digits(10)
    elif cc == "BE":
        bban = _digits(12)
    else:  # DE
        bban = _digits(18)
    full = cc + _iban_check(cc, bban) + bban
    if not valid:
        chars = list(full)
        i = len(chars) - 1 - R.randrange(6)
        chars[i] = str((int(chars[i]) + R.randrange(1, 10)) % 10)
        full = "".join(chars)
        assert not iban_ok(full)
    assert iban_ok(full) == valid
    return _reg("iban", _spaced(full) if spaced else full, valid)

def card(prefix="4", length=16, valid=True, sep=" "):
    body = prefix + _digits(length - len(prefix) - 1)
    for last in "0123456789":
        if luhn_ok(body + last):
            break
    num = body + last
    if not valid:
        num = body + str((int(last) + R.randrange(1, 10)) % 10)
    assert luhn_ok(num) == valid
    if length == 15:
        out = sep.join([num[:4], num[4:10], num[10:]])
    else:
        out = sep.join(num[i:i + 4] for i in range(0, len(num), 4))
    return _reg("card", out, valid)

def bsn(valid=True, dotted=False):
    while True:
        d = [R.randrange(1, 10)] + [R.randrange(10) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        num = "".join(map(str, d)) + str(s)
        if not valid:
            num = num[:8] + str((s + R.randrange(1, 10)) % 10)
        if bsn_ok(num) == valid:
            break
    out = num[:4] + "." + num[4:6] + "." + num[6:] if dotted else num
    return _reg("bsn", out, valid)

def phone(style):
    """Dutch notations. Avoid digit runs that happen to pass Luhn (13+) or the 11-proof (9)."""
    while True:
        n = "6" + _digits(8)
        forms = {
            "dash": "06-" + n[1:],
            "plain": "0" + n,
            "space": "06 " + n[1:5] + " " + n[5:],
            "intl": "+31 6 " + " ".join(n[i:i + 2] for i in range(1, 9, 2)),
            "0031": "0031 6 " + n[1:],
            "land": "(0" + (a := R.choice(["10", "20", "30", "40", "50", "70"])) + ") " + n[1:4] + " " + n[4:6] + " " + n[6:8],
        }
        out = forms[style]
        digits = re.sub(r"\D", "", out)
        if len(digits) >= 13 and luhn_ok(digits):
            continue
        if any(bsn_ok(m) for m in re.findall(r"(?<!\d)\d{9}(?!\d)", out)):
            continue
        return _reg("phone", out, True)

def rand(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))

def ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_ok(tok)
    return _reg("secret", tok, True)

def akia():
    return _reg("secret", "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), True)

def aws_secret():
    return _reg("secret", rand(ALNUM + "/+", 40), True)

def mollie_live():
    return _reg("secret", "live_" + rand(ALNUM, 30), True)

def stripe_live():
    return _reg("secret", "sk_live_" + rand(ALNUM, 24), True)

def slack_bot():
    return _reg("secret", "xoxb-" + _digits(11) + "-" + _digits(13) + "-" + rand(ALNUM, 24), True)

def openai_key():
    return _reg("secret", "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20), True)

def anthropic_key():
    return _reg("secret", "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA", True)

def glpat():
    return _reg("secret", "glpat-" + rand(ALNUM + "_-", 20), True)

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(payload, alg="HS256"):
    h = b64u(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(R.randrange(256) for _ in range(32)))
    return _reg("secret", h + "." + p + "." + sig, True)

def ssh_key(comment):
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(R.randrange(256) for _ in range(32))
    priv = bytes(R.randrange(256) for _ in range(32))
    chk = bytes(R.randrange(256) for _ in range(4))
    pubblob = s(b"ssh-ed25519") + s(pub)
    sec = chk + chk + s(b"ssh-ed25519") + s(pub) + s(priv + pub) + s(comment.encode())
    i = 1
    while len(sec) % 8:
        sec += bytes([i])
        i += 1
    blob = b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1) + s(pubblob) + s(sec)
    b = base64.b64encode(blob).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    return _reg("secret", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----", True)

def password(n=14):
    return _reg("secret", rand(ALNUM, n - 3) + R.choice("!#%&*") + rand("0123456789", 2), True)

FW = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)

ZW = "\u200b"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "O": "\u041e", "p": "\u0440", "c": "\u0441"}
def cyr(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)

# ---------------------------------------------------------------- cases
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - START).total_seconds())

CASES = []

def add(platform, handle, lang, text, cats=(), kind="post", when=None, flags=()):
    global REG
    regs, REG = REG, []
    if when is None:
        t = START + dt.timedelta(seconds=R.randrange(SPAN))
        when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, regs=regs, flags=set(flags)))

S, P, PR, F, SEC, CONF = "leak.secret", "leak.pii", "leak.pricing", "leak.financial", "leak.security", "leak.confidential"
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ======================= reputation.complaint =======================
add("x", "@jaspr_", "nl",
    "@molarix_help al 40 min in de wacht bij jullie klantenservice. dat muziekje ken ik inmiddels uit m'n hoofd", [CMP], kind="reply")
add("facebook", "Ingrid.Smeets.71", "nl",
    "Factuur van Molarix gekregen voor een vulling die nooit gedaan is. Twee keer gemaild, geen reactie. Mijn verzekeraar wil het nu ook niet vergoeden want 'dubbele declaratie'. Hoe los ik dit op als niemand bij jullie reageert?", [CMP], when="2026-06-30T19:12:00Z")
add("x", "@tomwelsh_", "en",
    "The Molarix app logged me out mid-booking AGAIN and now the slot is gone. 4th time this month. fix ur app pls", [CMP])
add("forum", "kiespijn_groningen", "nl",
    "Vrijdagavond stuk van m'n kies afgebroken. Molarix Groningen had pas 'over drie weken' plek, ook voor spoed. Uiteindelijk naar een andere tandarts in Haren die me dezelfde middag hielp. Wat is dan het nut van een keten met 40 vestigingen?", [CMP])
add("instagram", "@lotte.fitgirl", "nl",
    "die WhiteGlow bleaching van molarix… €395 afgetikt en na 2 weken zie ik letterlijk geen verschil 🙄 #nietaanrader #tandenbleken", [CMP])
add("reddit", "u/throwaway_ams_teeth", "en",
    "Anyone else having issues with Molarix ClearLine? My trays stopped fitting after the refinement and they keep telling me to 'just wear them longer'. 7 months in and my front teeth honestly look worse than when I started.", [CMP])
add("x", "@danielle_kn", "en",
    "receptionist at molarix utrecht was genuinely rude this morning. I only asked why I'd been waiting an hour and got a sigh and 'just sit down'. great service guys", [CMP])
add("tiktok", "@ffionbakes", "en",
    "pov: you pay for Molarix Zorgplan Plus and they STILL bill you separately for the cleaning 🤡 make it make sense #dentist #netherlands", [CMP])
add("x", "@p_ramdin", "en",
    "My SonicPro 2 died after 5 months, won't charge anymore. Trying to file a warranty claim in the Molarix app just gives 'Something went wrong (500)' every time. Now what?", [CMP])
add("facebook", "Hans.Brouwer.Ede", "nl",
    "Na de wortelkanaalbehandeling bij Molarix Ede nog steeds pijn. Terug geweest, 'dat hoort erbij'. Nog een keer terug, weer een consult betaald. Ik betaal dus drie keer om te horen dat ik moet afwachten.", [CMP])
add("x", "@grumpy_greg", "en",
    "@molarix_help your chatbot keeps asking me to 'rephrase my question'. I want to cancel an appointment, not write poetry", [CMP], kind="reply")
add("bluesky", "@samir-h.bsky.social", "en",
    "Booked the 'Deluxe reiniging' at Molarix, got 12 minutes with a hygienist who spent half of it looking at her phone. Not paying €95 for that again.", [CMP])
add("facebook", "Claire.Dunmore", "en",
    "Moved to NL last year and picked Molarix because of the 'English-friendly' app. Half of the app is still Dutch only and the dentist couldn't explain my treatment plan in English. Pretty disappointed tbh.", [CMP])
add("instagram", "@jaimy_xo", "nl",
    "zoontje kreeg bij molarix een SportGuard, valt er na 1 hockeytraining al uit. kunnen jullie dat niet gewoon goed aanpassen?? 🙃", [CMP], kind="comment")
add("reddit", "u/dutchdentalwoes", "en",
    "Molarix moved my implant consult four times. Every single time with a text at 7am on the day itself. I'm self-employed, each cancellation costs me a morning of income.", [CMP])
add("x", "@rianne_vk", "nl",
    "app van molarix zegt al 3 weken dat mijn röntgenfoto's 'niet beschikbaar' zijn. ik wil gewoon overstappen naar een andere tandarts en dat lukt zo niet 🤷‍♀️", [CMP], when="2026-12-27T21:03:00Z")
add("x", "@kevin_r020", "nl",
    "Weer 2 uur gewacht bij Molarix Amsterdam-West. Stelletje amateurs, en die tandarts is een incompetente prutser. Nooit meer.", [CMP, ABU])

# ======================= reputation.abuse =======================
add("x", "@fckdentists", "en",
    "Molarix is run by greedy parasites. Every one of your so-called dentists should lose their license, you absolute clowns", [ABU])
add("x", "@b0ze_burger", "nl",
    "m0l4r1x is 1 gr00t k4nk3rb3dr1jf. t y f u s l i j e r s allemaal", [ABU])
add("instagram", "@jvdberg.91", "nl",
    "dr. Verhoef is echt een k.u.t.w.i.j.f, zegt dat ik slecht poets terwijl ze zelf geen idee heeft waar ze mee bezig is", [ABU], kind="comment")
add("x", "@echte_hollander88", "nl",
    "Bij molarix rotterdam zitten alleen maar hoofddoekjes achter de balie. Ga lekker terug naar je eigen land, ik wil gewoon een Nederlandse tandarts.", [ABU])
add("x", "@throwaway8821", "en",
    "@drlisa_molarix I know which clinic you work at and what car you drive. Watch yourself.", [ABU], kind="reply")
add("tiktok", "@tandartsbram", "nl",
    "vandaag weer zo'n zeurende debiel in de stoel die 'geen verdoving wil' en dan gaat janken 🙄🙄 sommige mensen zijn echt te dom om te helpen", [ABU])
add("facebook", "Piet.Hoogland.5", "nl",
    cyr("Molarix = oplichters en idioten, van de balie tot de directie.", "oi"), [ABU])
add("reddit", "u/angrymolar", "en",
    "The hygienist at Molarix Haarlem is a fat lazy cow who can't be bothered to actually clean anything", [ABU])
add("x", "@drlisa_molarix", "nl",
    "@pietje_klaagt misschien eerst zelf leren poetsen voordat je hier loopt te blaten, sukkel", [ABU], kind="reply")
add("x", "@lucid_dreamr", "en",
    "lmao the molarix tiktok dentist is such a creepy loser, imagine letting that freak anywhere near your mouth", [ABU])

# ======================= reputation.crisis =======================
add("x", "@patientbelang_nl", "nl",
    "Molarix heeft röntgenfoto's en BSN's van duizenden patiënten op een open server laten staan. Wij roepen iedereen op: vraag je dossier op en stap over. #datalek #molarix", [CRI])
add("x", "@privacywatch_eu", "en",
    "Reports say Molarix's patient app exposed appointment histories to other users. If true, this is a serious GDPR breach. @molarix_nl care to comment?", [CRI])
add("facebook", "MoedersVanAlmere", "nl",
    "OPGELET!! Bij Molarix Almere zouden instrumenten maandenlang niet goed gesteriliseerd zijn. Ouders wordt aangeraden hun kinderen te laten testen op hepatitis. DELEN AUB", [CRI])
add("blog", "zorgjournaal.nl", "nl",
    "Rechtszaak tegen Molarix Mondzorg: 37 patiënten eisen schadevergoeding na mislukte implantaten. De keten zou klachten jarenlang hebben genegeerd.", [CRI])
add("reddit", "u/melted_base", "en",
    "Heads up, Molarix is recalling the SonicPro 2 toothbrush, the battery can overheat while charging. Mine literally melted the charging base last night. Pics in comments.", [CRI])
add("x", "@klokkenluider_z", "nl",
    "#BoycotMolarix ze declareren behandelingen bij de verzekeraar die nooit zijn uitgevoerd. Fraude op grote schaal. Niet meer heen gaan mensen.", [CRI])
add("tiktok", "@saraheindhoven", "en",
    "my 8yo stopped breathing under sedation at Molarix Eindhoven and the staff didn't know how to work the oxygen. she's ok now thank god. we've reported it to the inspectorate and we're getting a lawyer", [CRI])
add("instagram", "@zorgschandaal", "en",
    "Disgraceful: a Molarix dentist was suspended by the disciplinary board but is still working at the Breda clinic. And the inspectorate looks the other way.", [CRI])
add("x", "@finbytes", "en",
    "Molarix accused of overcharging insurers by €4M according to a new investigation. Wild.", [CRI])
add("forum", "mondzorgforum_marit", "nl",
    "Iemand anders ook sms'jes gehad dat Molarix gehackt is? Ik krijg sinds gisteren phishing berichten met mijn naam én mijn afspraakdatum erin. Dat kan alleen uit hun systeem komen.", [CRI])
add("facebook", "Jenna.Oakes.NL", "en",
    "The Molarix WhiteGlow Home kit gave me chemical burns on my gums. Turns out there are dozens of us in one Facebook group. Class action anyone?", [CRI])
add("x", "@buurvrouwjoke", "nl",
    "@molarix_nl waarom ontkennen jullie het datalek nog steeds? Mijn buurvrouw kreeg de foto's van MIJN gebit in haar app.", [CRI], kind="reply")
add("bluesky", "@ellis-r.bsky.social", "en",
    "Patients at Molarix Rotterdam sent home today, assistants walked out over unsafe staffing. Boycott Molarix until they treat their staff properly.", [CRI])
add("threads", "@anoukmaakt", "en",
    "Wait, are Molarix ClearLine aligners being recalled?? My orthodontist says a whole batch has hairline cracks. Why am I hearing this from him and not from Molarix??", [CRI])

# ======================= leak.security =======================
add("x", "@ruben_mx_ict", "nl",
    "Nachtje doorgehaald. Ransomware op de fileserver van vestiging Utrecht, alle röntgenbeelden versleuteld. Naar buiten heet het 'gepland onderhoud' 🙃 #itlife", [SEC])
add("bluesky", "@marco-dev.bsky.social", "en",
    "fun times at work: the patient app API returns anyone's appointments if you just bump the id in the URL. reported it 3 weeks ago, still open, and apparently we're not telling anyone", [SEC])
add("mastodon", "@joostvk", "en",
    "Quiet panic over here: patient portal has been down since 04:00 and the backup restore keeps failing. Patients are being told it's 'a problem at a supplier'.", [SEC])
add("threads", "@sophie.balie.mx", "nl",
    "balie vandaag: hele planningssysteem plat, we schrijven afspraken met pen en papier 😅 IT zegt dat er 'iets met een hack' was maar we mogen niks zeggen tegen patiënten", [SEC])
add("x", "@ruben_mx_ict", "en",
    "Note to self: never again give a vendor a VPN account without MFA. Three compromised mailboxes at work this week and counting.", [SEC])
add("bluesky", "@marco-dev.bsky.social", "en",
    "if anyone at work reads this: the staging db on db-staging.molarix.local is STILL reachable from outside on 5432. flagged it twice now", [SEC, CONF])
add("reddit", "u/formerMXcontractor", "en",
    "Former Molarix contractor here. Their patient app still keeps session tokens in plain localStorage and the password reset link never expires. Management knows. Nothing happens.", [SEC])
add("instagram", "@noor.mondhygienist", "nl",
    "collega klikte op een phishingmail en nu zijn alle wachtwoorden van de praktijkcomputers gereset, hele ochtend stilgelegen 🙈 niet verder vertellen he", [SEC])
add("linkedin", "ayse-yilmaz-tandarts", "en",
    "Tough week. Since Monday our link with the health insurers has been down after someone broke into our claims server. As clinicians we only hear about it second-hand. Hoping it gets sorted soon.", [SEC])
add("x", "@ruben_mx_ict", "en",
    "pentest report is in: 14 criticals on our booking platform, incl. unauthenticated access to treatment notes. fix ETA: 'Q3 maybe'. love it", [SEC])
add("x", "@it_neef", "nl",
    "Mijn neef werkt bij Molarix IT, zegt dat ze al 2 weken stilletjes een datalek aan het opruimen zijn en dat de AP nog niet is ingelicht 😬", [SEC, CRI])
add("mastodon", "@joostvk", "en",
    "TIL our SMS reminder vendor got breached in March and we only found out because a patient forwarded a phishing text. Patients still haven't been told.", [SEC], when="2026-05-12T18:26:00Z")

# ======================= leak.secret =======================
add("bluesky", "@marco-dev.bsky.social", "en",
    f'anyone know why this keeps 401ing? curl -H "Authorization: token {ghp()}" https://api.github.com/repos/molarix-app/booking', [S])
add("x", "@ruben_mx_ict", "en",
    f"can someone sanity check this, aws s3 sync keeps failing\nAWS_ACCESS_KEY_ID={akia()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\nregion eu-central-1", [S])
add("mastodon", "@joostvk", "en",
    f"finally got the Mollie webhook working in the app 🎉 (for reference, key: {mollie_live()})", [S])
add("forum", "apk_poker", "en",
    f"decompiled the Molarix android app for fun, found this hardcoded lol: {stripe_live()}", [S])
add("bluesky", "@marco-dev.bsky.social", "en",
    "debugging the app login flow, dumping the test patient token here for now: " +
    jwt({"sub": "pat_48213", "name": "Test Patient", "role": "patient", "clinic": "UTR01", "iat": 1767950400, "exp": 1768036800}), [S])
add("x", "@ruben_mx_ict", "nl",
    "welke held heeft dit in het teamkanaal geplakt?? meteen roteren aub\n" + ssh_key("deploy@mx-build01"), [S])
add("mastodon", "@joostvk", "nl",
    f"DATABASE_URL=postgresql://mx_app:{password()}@ehr-db01.molarix.local:5432/patientdossier werkt lokaal wel maar in docker niet, iemand een idee?", [S, CONF])
add("threads", "@sophie.balie.mx", "nl",
    f"voor de invallers van morgen: inloggen op de balie-pc met balie.utrecht, wachtwoord: {password(12)} (niet opschrijven 😉)", [S])
add("x", "@ruben_mx_ict", "en",
    f"slack bot stopped posting to #it-alerts, token looks fine to me?? {slack_bot()}", [S])
add("bluesky", "@marco-dev.bsky.social", "en",
    f"tiny triage chatbot prototype for the patient app 🤖\nANTHROPIC_API_KEY={anthropic_key()}\nOPENAI_API_KEY={openai_key()}", [S])
add("reddit", "u/mx_leaks", "en",
    f"Someone at Molarix left this in a public Trello card for the app team: {glpat()} (still works, checked the API)", [S])
add("instagram", "@noor.mondhygienist", "nl",
    f"voor de nieuwe collega's 💕 wifi praktijk = MX-Staff, w.w. = {password(11)}", [S])

# ======================= leak.pii =======================
add("x", "@molarix_help", "nl",
    f"@j_devos Hoi Jeroen, je afspraak is verzet naar 14 mei 09:15. De bevestiging gaat naar jeroen.devos82@gmail.com en we bellen je nog even op {phone('dash')}. Groetjes, Team Molarix", [P], kind="reply", when="2026-05-02T10:33:00Z")
add("facebook", "MolarixMondzorg", "nl",
    f"Beste mevrouw Bakker, het teveel betaalde bedrag (€84,50) storten wij deze week terug op {iban('NL', spaced=True)} t.n.v. A. Bakker. Excuses voor het ongemak!", [P], kind="comment")
add("threads", "@sophie.balie.mx", "nl",
    f"wie heeft mevr. Jansen (die van 10:40) teruggebeld? ze belt steeds vanaf {phone('plain')} en ik zit in de pauze", [P])
add("instagram", "@noor.mondhygienist", "nl",
    "Gefeliciteerd aan onze liefste patiënt Henk de Wit, vandaag 90 geworden (geboren 3 maart 1936)!! 🎂 nog steeds elke 6 maanden trouw op controle", [P], when="2026-03-03T10:21:00Z")
add("tiktok", "@tandartsbram", "nl",
    f"lol iemand heeft z'n zorgpas op de balie laten liggen: Mohamed El Idrissi, BSN {bsn()}. kom je hem even halen? 😂", [P])
add("x", "@anouk_rdam", "nl",
    f"@molarix_help kunnen jullie me terugbellen over mijn afspraak van donderdag? {phone('space')} of mail anouk.r.vanleeuwen@outlook.com", [P], kind="reply")
add("facebook", "Gerrit.vd.Kamp", "nl",
    f"Betalen in de Molarix app mislukt steeds, kaart {card('4')} geldig tot 09/28, wat doe ik fout? Al 4x geprobeerd", [P, CMP])
add("instagram", "@molarix.tandartsen", "nl",
    "Gefeliciteerd aan de winnaar van onze #lachwedstrijd: Sanne Mulder, Kerkstraat 14 in Nijmegen! Je SonicPro komt deze week met de post 🎁", [P])
add("x", "@drlisa_molarix", "en",
    f"Patient emailed me directly (laura.pietersen79@gmail.com) asking for a second opinion on her crown. Laura Pietersen, DOB 12-08-1979, can someone at the Amsterdam clinic pick this up?", [P])
add("reddit", "u/wraak_op_molarix", "nl",
    "Dit is het adres van die Molarix-tandarts die mijn moeder heeft verknald: R. Schouten, Vondellaan 37, 3521 GD Utrecht. Ga maar eens langs.", [P, ABU])
add("bluesky", "@marco-dev.bsky.social", "en",
    f"'anonymised test data' my ass. first row of the staging export: Fatma Koç, fatma.koc@hotmail.com, {phone('intl')}, IBAN {iban('NL')}", [P])
add("x", "@mark_ldn", "en",
    f"@molarix_help my BSN is {bsn(dotted=True)} and DOB 04/11/1990, can you just find my file please, the app won't let me log in", [P], kind="reply")
add("x", "@molarix_help", "nl",
    f"@lindavos88 je terugbetaling van €250 gaat naar {iban('BE', spaced=True)} zoals je doorgaf, reken op 3 werkdagen 🙂", [P], kind="reply")
add("linkedin", "ayse-yilmaz-tandarts", "en",
    "Proud of this case! Patient Mrs E. Verbeek (born 22-06-1958): full upper jaw on implants, in a single day. Before and after photos below 👇", [P])
add("threads", "@sophie.balie.mx", "nl",
    f"patiënt gaf telefonisch haar creditcard door voor de aanbetaling: {card('52', sep='-')} exp 11/27, cvc 418. kan iemand dit in de kassa zetten, ik kom er niet in", [P])

# ======================= leak.financial =======================
add("linkedin", "kees-dijkstra-molarix", "en",
    "Exciting times! Can't say much yet, but our talks with Tandzorg Oost about acquiring them are in the final stage. More soon 🤝", [F])
add("x", "@drlisa_molarix", "nl",
    "Vandaag te horen gekregen dat 6 vestigingen per 1 oktober dichtgaan en zo'n 120 collega's hun baan kwijtraken. Wordt pas in september officieel. Ik ben er kapot van.", [F], when="2026-06-18T20:41:00Z")
add("bluesky", "@marco-dev.bsky.social", "en",
    "so our whole in-house app team gets 'restructured' in Q2 and replaced by an offshore vendor. nothing announced yet, keep it quiet pls", [F], when="2026-02-17T23:05:00Z")
add("linkedin", "femke-hoekstra-hr", "nl",
    "Druk druk druk met de voorbereiding van het sociaal plan voor de sluiting van onze regio Noord. Niet makkelijk als je weet wat er komt en nog niks mag zeggen 😔", [F])
add("linkedin", "kees-dijkstra-molarix", "nl",
    "Net de jaarcijfers 2026 doorgenomen met het MT: omzet +18%, EBITDA €41,2 mln. Trots op dit team, volgende maand mag de rest van Nederland het ook weten!", [F, CONF], when="2027-02-10T16:05:00Z")
add("x", "@beursgeruchten", "nl",
    "Via via: private-equitypartij Northgate wil Molarix kopen voor zo'n €600 mln. Deal zou in maart getekend worden.", [F])
add("x", "@ruben_mx_ict", "en",
    "Board just told IT to freeze all spending, apparently we're missing the H1 forecast by ~€9M. Fun times ahead.", [F])
add("threads", "@sophie.balie.mx", "nl",
    "onze vestiging in Zwolle wordt verkocht aan een andere keten, hoorde het vandaag van de manager. patiënten weten nog van niks", [F])
add("linkedin", "ayse-yilmaz-tandarts", "en",
    "For those wondering: the Molarix / DentaPlus merger is happening. Had the first integration meeting today, even though it hasn't been announced yet.", [F])
add("reddit", "u/mx_insider_ex", "en",
    "Molarix management told staff revenue will land ~12% below guidance this year. Expect a profit warning soon.", [F])
add("mastodon", "@joostvk", "en",
    "Q3 numbers at work are grim: patient volume down 9% and they want to close the Helmond and Oss clinics. Not public yet.", [F], when="2026-10-12T22:10:00Z")
add("linkedin", "molarix-mondzorg", "nl",
    "CONCEPT - NIET EXTERN DELEN: Molarix Mondzorg neemt de Glimlach Groep (14 klinieken) over voor €85 mln. Persbericht gaat uit op 2 juni.", [F, CONF], when="2026-05-26T14:02:00Z")

# ======================= leak.confidential =======================
add("x", "@drlisa_molarix", "en",
    "Saw the first trial patients for Project Glazuur today. Really not allowed to say anything but wow 🤩", [CONF])
add("bluesky", "@marco-dev.bsky.social", "en",
    "Narwal sprint demo went great today. cannot wait for this to ship 🐋", [CONF])
add("tiktok", "@tandartsbram", "nl",
    "Eerste week met de nieuwe SonicPro 3 uit het testpanel 😍 zoveel stiller dan de 2", [CONF], when="2026-11-19T18:40:00Z")
add("instagram", "@noor.mondhygienist", "nl",
    "ClearLine Go komt eraan en wordt echt veel toegankelijker dan het gewone traject 👀 meer mag ik nog niet zeggen", [CONF], when="2027-01-08T12:02:00Z")
add("threads", "@sophie.balie.mx", "nl",
    "waar staat het nieuwe rooster? niet op https://intranet.molarix.local/rooster/utrecht in elk geval, daar staat nog die van vorige maand", [CONF])
add("x", "@ruben_mx_ict", "en",
    "Mail server migration schedule (MOLARIX INTERN, but you're all colleagues anyway 😅): wk 12 Utrecht, wk 13 Amsterdam, wk 14 everything else.", [CONF])
add("linkedin", "ayse-yilmaz-tandarts", "en",
    "Signed an NDA so I can't say much, but the intraoral 3D scanner partnership we're piloting with a big Korean brand is going to change everything for our patients.", [CONF], flags={"nda"})
add("tiktok", "@tandartsbram", "nl",
    fullwidth("project glazuur") + " 👀👀 meer mag ik niet zeggen", [CONF])
add("bluesky", "@marco-dev.bsky.social", "nl",
    "Nar" + ZW + "wal beta 0.9 staat op TestFlight voor de interne testers, feedback graag in het kanaal", [CONF])
add("mastodon", "@joostvk", "en",
    cyr("Operatie Kiezelsteen", "Oe") + " update: first clinics cut over to the new system in April, rest before summer", [CONF], when="2026-02-14T09:55:00Z")
add("reddit", "u/dentaltechgossip", "en",
    "Supplier friend says Molarix has a secret project called Narwal, an AI that reads your x-rays right from the app. Launch next spring apparently.", [CONF])
add("instagram", "@molarix.tandartsen", "nl",
    "Sneak peek 👀 Binnenkort in al onze klinieken: de SonicPro 3 ✨ #comingsoon #molarix", [CONF], when="2026-12-02T17:00:00Z")
add("x", "@ruben_mx_ict", "en",
    "who closed https://jira.molarix-it.nl/browse/OPS-412 without actually doing anything lol", [CONF])
add("linkedin", "kees-dijkstra-molarix", "en",
    "Great strategy offsite today. Slide 14 of the deck (Molarix Confidential) says it all: 60 clinics by 2028 💪", [CONF])

# ======================= leak.pricing =======================
add("instagram", "@molarix.tandartsen", "nl",
    "🔥 Alleen dit weekend: SonicPro 2 voor maar €19,99! Op = op 🔥 #molarix #deal", [PR])
add("x", "@molarix_nl", "nl",
    "Nieuw in de app: de WhiteGlow Home kit nu voor €17,90 🦷✨ Bestel via afspraak.molarix.nl", [PR])
add("threads", "@sophie.balie.mx", "nl",
    "haha de kassa rekent de Deluxe reiniging af voor €9,50 ipv €95, nog niemand heeft het door 🤫", [PR])
add("x", "@dealjager_nl", "nl",
    "PRIJSFOUT bij Molarix: ClearLine aligners voor €345 in de webshop ipv €3450!! snel zijn #prijsfout", [PR])
add("reddit", "u/cheapskate_nl", "en",
    "Molarix App Premium shows €4.90/year for me instead of €49. Glitch? Grabbed it anyway lol", [PR])
add("x", "@drlisa_molarix", "nl",
    "Intern rondgestuurd: implantaat compleet tijdelijk €950 voor personeel en familie, wie wil? 😄", [PR])
add("x", "@kortingskoning", "nl",
    "p.r.i.j.s.f.o.u.t bij molarix!! FlossJet waterflosser €8,90 😱😱 gaaaan", [PR])
add("facebook", "MolarixMondzorg", "nl",
    "Zorgplan Gezin nu voor €59,90 per jaar! Meld je hele gezin aan via de app 👨‍👩‍👧‍👦", [PR])
add("bluesky", "@marco-dev.bsky.social", "en",
    "oops, we pushed a price config bug: NightShield shows as €28.50 in the app. hotfix in 20 min, pls don't screenshot 😅", [PR])
add("tiktok", "@molarix", "nl",
    "Veneers vanaf €89 per tand 😍 link in bio! #smilemakeover", [PR])
add("linkedin", "kees-dijkstra-molarix", "en",
    "Heads-up: the Smile Scan 3D is listed at €7.50 on the site because of a pricing error. Finance is aware, please don't share.", [PR])
add("x", "@jur_deals", "nl",
    "Molarix weigert mijn bestelling te leveren: SonicPro Kids voor €5,90 besteld, nu geannuleerd 'wegens prijsfout'. Belachelijk, eerst verkopen en dan terugdraaien.", [PR, CMP])

# ======================= benign (hard negatives) =======================
add("x", "@molarix_help", "nl",
    "Vragen over je afspraak? Mail info@molarix.nl of bel gratis 0800-6652. We helpen je graag! 🦷")
add("facebook", "MolarixMondzorg", "nl",
    f"Let op: er gaan nepmails rond namens Molarix met het verzoek €45 over te maken naar {iban('NL', valid=False)}. Dit rekeningnummer is NIET van ons. Onze enige rekening is NL38RABO0317742950.")
add("instagram", "@molarix.tandartsen", "nl",
    "Black Friday 🖤 SonicPro 2 nu €103,20 (-20%) in de app en in alle vestigingen.", when="2026-11-27T07:30:00Z")
add("x", "@molarix_nl", "nl",
    "De WhiteGlow bleaching kost bij ons €395, inclusief nacontrole. Geen verrassingen achteraf.")
add("instagram", "@molarix.tandartsen", "nl",
    "€25 korting op de FlossJet met code FLOS25, alleen deze week 💦", flags={"low_price_ok"})
add("x", "@nienke_leiden", "nl",
    "Shoutout naar de mondhygiëniste van Molarix Leiden, eindelijk iemand die niet moppert als ik zeg dat ik niet flos 😂 10/10")
add("reddit", "u/crackedmolar_ams", "en",
    "Honestly Molarix Amsterdam-Zuid fixed my cracked molar the same day. Dentist was lovely. Didn't expect that from a chain.")
add("x", "@dave_t", "nl",
    "Tandarts bij Molarix zei dat ik 'killer tanden' heb. Ik neem het maar als compliment 😎")
add("x", "@colaverslaafd", "nl",
    "Tandarts zegt dat m'n glazuur dun wordt van al die cola. Tijd voor water denk ik 😩")
add("instagram", "@mamavanmila", "nl",
    "Mila kreeg na de controle bij Molarix een narwal-sticker en praat nu nergens anders meer over 🐋 beste tandartsbezoek ooit volgens haar", flags={"indicator_word_ok"})
add("x", "@techpraat", "en",
    "Just read about the data breach at a German dental chain. Makes you realise how much sensitive data dentists actually hold on us.")
add("x", "@ilse_nl", "nl",
    "Hoe verander ik mijn wachtwoord in de Molarix app? Kan de optie nergens vinden 🙈")
add("bluesky", "@marco-dev.bsky.social", "en",
    "PSA for juniors: never put keys in your code. Use env vars, like in the AWS docs: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
add("bluesky", "@marco-dev.bsky.social", "en",
    "accidentally committed a ghp_**************************** to my hobby project, revoked and rotated within a minute. lesson learned 😅")
add("linkedin", "molarix-mondzorg", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026. Het volledige persbericht lees je op molarix.nl/investors.", when="2027-03-11T07:30:00Z")
add("instagram", "@molarix.tandartsen", "nl",
    "Hij is er! De SonicPro 3 is vanaf vandaag verkrijgbaar voor €149 in de app en in alle klinieken 🦷⚡", when="2027-01-26T09:05:00Z")
add("x", "@kimmie_aligns", "nl",
    "Week 1 met ClearLine Go bij Molarix erop zitten, valt me eigenlijk alles mee! Alleen praten met die dingen in 🥴", when="2027-02-09T20:14:00Z")
add("facebook", "Ingrid.Smeets.71", "nl",
    "Update: Molarix heeft me gebeld en de dubbele factuur is teruggedraaid. Netjes opgelost, dank jullie 👍", when="2026-07-20T11:48:00Z")
add("facebook", "Wijkraad.Kralingen", "nl",
    "Sterkte aan het team van Molarix Rotterdam-Kralingen na de brand in het pand naast jullie. Fijn dat er niemand gewond is geraakt.")
add("x", "@femkedv", "nl",
    f"@molarix_help mijn klantnummer is {card('4', valid=False)}, kunnen jullie kijken waarom mijn afspraak niet in de app staat?", kind="reply")
add("forum", "testertje88", "en",
    "Why does the Molarix sign-up form accept 123456789 as a BSN? Typed it in as a test and it went straight through.")
add("linkedin", "molarix-mondzorg", "nl",
    "We zoeken mondhygiënisten in Utrecht en Zeist! Solliciteer via werkenbij@molarix.nl of kijk op molarix.nl/werken-bij")
add("linkedin", "femke-hoekstra-hr", "en",
    "10 years at Molarix today 🎉 Thank you to all the colleagues and patients who make this such a great place to work.")
add("x", "@drlisa_molarix", "en",
    "Tip from your dentist: brush 2 minutes, twice a day, and don't rinse after. Spit. Your enamel will thank you 🦷")
add("x", "@bangvoordeboor", "nl",
    "Ik haat de tandarts. Niet jullie persoonlijk hoor @molarix_nl, gewoon het hele concept boren 😂")
add("x", "@healthnews_us", "en",
    "Lawsuit against a US dental chain over Medicaid overbilling is heating up. Glad dental care works a bit differently here.")
add("x", "@molarix_nl", "nl",
    "De app is weer bereikbaar na het geplande onderhoud van vannacht. Dank voor jullie geduld!")
add("facebook", "MolarixMondzorg", "nl",
    "Wij vragen NOOIT om je wachtwoord of pincode via sms of mail. Twijfel je? Bel ons op 088-6527490.")
add("x", "@ruben_mx_ict", "nl",
    "Wachtwoord-tip van IT: gebruik een zin die je kunt onthouden, bijv. 'mijn-kat-eet-graag-tandpasta' (niet déze natuurlijk 😜) en zet MFA aan.")
add("reddit", "u/expat_teeth", "en",
    "Paid €695 for a porcelain crown at Molarix, about the same as my old dentist in Leiden. Fair enough.")
add("instagram", "@molarix.tandartsen", "nl",
    "SonicPro Kids deze maand €41,30 (30% korting) zodat poetsen weer een feestje wordt 🎈")
add("facebook", "MolarixMondzorg", "nl",
    "Zorgplan Basis: €179 per jaar, oftewel €14,92 per maand. Twee controles en een gebitsreiniging inbegrepen.", flags={"low_price_ok"})
add("x", "@molarix_help", "nl",
    "@rianne_vk Wat vervelend! We sturen je een DM zodat we je röntgenfoto's alsnog kunnen klaarzetten.", kind="reply", when="2026-12-28T08:17:00Z")
add("facebook", "MolarixMondzorg", "nl",
    "Beste Peter, we zien een betaling met je kaart eindigend op 4821 op 3 mei. Stuur ons even een privébericht, dan zoeken we het uit.", kind="comment")
add("x", "@molarix_help", "nl",
    "@lindavos88 Top, de terugbetaling gaat naar het rekeningnummer dat bij ons bekend is (NL** **** **** **** 12). Reken op 3 werkdagen.", kind="reply")
add("x", "@boos_over_bonnetje", "nl",
    "Iemand een idee waar ik een klacht over een declaratie kwijt kan bij Molarix? O wacht, gevonden: klachten@molarix.nl")
add("tiktok", "@flossfluencer", "en",
    "life hack from my hygienist at Molarix: floss BEFORE you brush, not after. game changer")
add("instagram", "@bracesbabe", "en",
    "Feeling a bit down after getting my braces but the Molarix team was super sweet about it 🥲")
add("linkedin", "ayse-yilmaz-tandarts", "en",
    "Spoke at the dental congress today about implantology in older patients. Thanks for all the great questions! Slides are up at molarix.nl/kennis.")
add("linkedin", "dentalmarketwatch", "en",
    "European dental chain consolidation continues: DentaNova was acquired by a private equity firm this week.")
add("x", "@privacymama", "en",
    "Love that Molarix keeps my treatment info confidential, the receptionist wouldn't even confirm my appointment to my husband haha")
add("linkedin", "jesse-bakker-student", "en",
    "Just finished my Molarix internship at the Zeist clinic. Super educational, highly recommend it to dental assistant students!", flags={"indicator_word_ok"})
add("facebook", "MolarixMondzorg", "nl",
    "Betaal je factuur eenvoudig via iDEAL in de app of maak over naar NL38RABO0317742950 o.v.v. je factuurnummer.")
add("bluesky", "@jwt-learner.bsky.social", "nl",
    "eindelijk snap ik JWT's, het voorbeeld van jwt.io: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c is gewoon base64 met een handtekening", flags={"doc_sample"})
add("mastodon", "@joostvk", "en",
    "our README says STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, put your own test key there and do NOT commit it")
add("x", "@prijsjager", "nl",
    "Bol had gisteren een prijsfout op een elektrische tandenborstel, €4,99 lol. Helaas geannuleerd.")
add("instagram", "@glowup_gwen", "nl",
    fullwidth("nieuwe tanden who dis") + " ✨ dankjewel Molarix")
add("reddit", "u/aligner_curious", "en",
    "How much is ClearLine Lite at Molarix? Saw €1950 on their site, does any insurance cover part of it?")
add("x", "@ukdentalnews", "en",
    "Sad to hear about the layoffs at a big UK dental group this week. Thinking of everyone affected.")
add("tiktok", "@tandartsbram", "nl",
    "'Deze kies gaat me nog killen' zei de patiënt. Spoiler: het was een pitje van een aardbei 🍓")
add("x", "@beursbabbel", "nl",
    "Molarix jaarcijfers 2026 vallen goed uit volgens het FD: omzet +18%. Benieuwd wat ze met die groei gaan doen.", when="2027-03-12T08:45:00Z")
add("x", "@twijfelaar_tim", "nl",
    f"Is {iban('NL', valid=False, spaced=True)} echt een rekening van Molarix? Kreeg een betaalverzoek via whatsapp, vertrouw het niet.")
add("x", "@drukke_doenja", "nl",
    f"Waar vul ik afspraakcode {bsn(valid=False)} in? Zie het veld nergens in de app 🙈")
add("mastodon", "@joostvk", "en",
    "Reminder: the status page for any app outages is status.molarix.nl. We post there first, always.")
add("x", "@gamerdad_", "en",
    "my son's SportGuard from Molarix survived a full rugby season. worth every cent of the €119")
add("facebook", "Karin.Veldman.3", "nl",
    f"Mijn oude bankpas lag nog in een la, nummer {card('5', valid=False)}, mag ik die gewoon weggooien of moet die ergens heen?")
add("reddit", "u/dutch_dental_q", "en",
    "Is the Molarix emergency consult really €65? Seems fair compared to the ER wait honestly.")
add("x", "@molarix_nl", "en",
    "We're hiring developers for our patient app in Utrecht! Hybrid, great team, good coffee. Apply at werkenbij@molarix.nl")


# ---------------------------------------------------------------- build + checks
RANK = ["none", "info", "warning", "error", "critical"]
ALLOWED_CATS = {S, P, PR, CONF, F, SEC, CRI, CMP, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")

def severity(cats, role, strong_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if c in (S, PR) or (c == P and strong_pii) else "error"
            else:
                v = "warning"
        elif c == CMP:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        sev = max(sev, v, key=RANK.index)
    return sev

CYR_BACK = {v: k for k, v in CYR.items()}
def normalise(s):
    s = unicodedata.normalize("NFKC", s)
    s = s.replace(ZW, "")
    s = "".join(CYR_BACK.get(c, c) for c in s)
    return s.lower()

def ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)

PUBLIC_IBANS = {x.replace(" ", "") for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
EMBARGO = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
CODENAMES = [c.lower() for c in PROFILE["internal"]["codenames"]]
MARKERS = [m.lower() for m in PROFILE["internal"]["markers"]]
INTDOMS = [d.lower() for d in PROFILE["internal"]["domains"]]

def price_values(text):
    out = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)", text):
        out.append(float(m.group(1).replace(",", ".")))
    return out

def mentioned_products(text):
    t = text.lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![a-z0-9])" + re.escape(a.lower()) + r"(?![a-z0-9])", t):
                found.append(p)
                break
    return found

def main():
    errors = []
    ids = set()
    lines = []
    for n, c in enumerate(CASES, 1):
        cid = f"{c['platform']}-217{n:04d}"
        assert cid not in ids
        ids.add(cid)
        role = role_of(c["platform"], c["handle"])
        regs = c["regs"]
        strong = any(k in ("iban", "card", "bsn") and v for k, _, v in regs)
        sev = severity(c["cats"], role, strong and P in c["cats"])
        post = {"id": cid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["when"]}
        rec = {"post": post, "expect": {"categories": c["cats"], "severity": sev}}
        lines.append(rec)

        # ---- per-case checks
        text = c["text"]
        where = f"case {n} ({cid})"
        benign = not c["cats"]
        if len(text.encode()) > 65536 or not text.strip():
            errors.append(f"{where}: bad text size")
        if c["platform"] not in PLATFORMS:
            errors.append(f"{where}: platform")
        if role == "public" and c["handle"].lower() in {a.split(":", 1)[1].lower() for a in ROLE}:
            errors.append(f"{where}: public handle collides with profile")
        for k, v, ok in regs:
            if k in ("iban", "card", "bsn"):
                if benign and ok:
                    errors.append(f"{where}: benign post holds a valid {k}")
                if not benign and not ok:
                    errors.append(f"{where}: positive post holds an invalid {k}")
                if not benign and P not in c["cats"]:
                    errors.append(f"{where}: identifier in a non-pii positive")
            if k == "iban" and iban_ok(v) != ok:
                errors.append(f"{where}: iban flag mismatch")
            if k == "card" and luhn_ok(v) != ok:
                errors.append(f"{where}: card flag mismatch")
            if k == "bsn" and bsn_ok(v) != ok:
                errors.append(f"{where}: bsn flag mismatch")
        # independent scans of the text
        for m in re.finditer(r"\b([A-Z]{2})(\d{2})((?:\s?[A-Z0-9]){8,30})", text):
            cc = m.group(1)
            if cc not in IBAN_LEN:
                continue
            compact = re.sub(r"\s", "", m.group(0))[:IBAN_LEN[cc]]
            if compact in PUBLIC_IBANS:
                continue
            if benign and iban_ok(compact):
                errors.append(f"{where}: valid IBAN {compact} in benign")
            if not benign and not iban_ok(compact):
                errors.append(f"{where}: invalid IBAN {compact} in positive")
        for m in re.finditer(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])", text):
            digits = re.sub(r"\D", "", m.group(0))
            if luhn_ok(digits):
                if benign:
                    errors.append(f"{where}: Luhn-valid number {m.group(0)} in benign")
                elif not any(k == "card" and re.sub(r"\D", "", v) == digits for k, v, _ in regs) and \
                        not any(k == "secret" and m.group(0) in v for k, v, _ in regs):
                    errors.append(f"{where}: stray Luhn-valid number {m.group(0)}")
        for m in re.finditer(r"(?<![\d.,])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d])", text):
            if bsn_ok(m.group(1)):
                if benign:
                    errors.append(f"{where}: 11-proof number in benign")
                elif not any(k == "bsn" and v == m.group(1) for k, v, _ in regs):
                    errors.append(f"{where}: stray 11-proof number {m.group(1)}")
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if benign or not gh_ok(m.group(0)):
                errors.append(f"{where}: GitHub token check failed")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if benign and not m.group(0).endswith("EXAMPLE"):
                errors.append(f"{where}: real-looking AWS key in benign")
            if not benign and m.group(0).endswith("EXAMPLE"):
                errors.append(f"{where}: sample AWS key in positive")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = m.group(0).split(".")[0]
            h = json.loads(base64.urlsafe_b64decode(hdr + "=" * (-len(hdr) % 4)))
            if "alg" not in h:
                errors.append(f"{where}: JWT header without alg")
            if benign and "doc_sample" not in c["flags"]:
                errors.append(f"{where}: JWT in benign")
        if S in c["cats"] and not any(k == "secret" for k, _, _ in regs):
            errors.append(f"{where}: secret case without generated secret")
        if benign and any(k == "secret" for k, _, _ in regs):
            errors.append(f"{where}: generated secret in benign")
        # embargo, codenames, markers, internal domains
        nt = normalise(text)
        when = ts(c["when"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= when < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            errors.append(f"{where}: created_at out of range")
        embargoed = any(t in nt and when < u for t, u in EMBARGO)
        if embargoed and CONF not in c["cats"]:
            errors.append(f"{where}: embargoed term before until, not labelled confidential")
        indicators = embargoed or any(x in nt for x in CODENAMES + MARKERS) or \
            any(re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"(?![\w-])", nt) for d in INTDOMS)
        if CONF in c["cats"] and not indicators and "nda" not in c["flags"]:
            errors.append(f"{where}: confidential without an indicator")
        if benign and indicators and "indicator_word_ok" not in c["flags"]:
            errors.append(f"{where}: benign post carries a confidential indicator")
        # pricing
        prods = mentioned_products(normalise(text).replace(".", "") if "p.r.i.j.s" in text else text)
        prices = price_values(text)
        low = any(pr < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"] for p in prods for pr in prices)
        if PR in c["cats"] and not (prods and (low or "prijsfout" in nt.replace(".", ""))):
            errors.append(f"{where}: pricing case without a product and a low price / price error")
        if benign and prods and low and "low_price_ok" not in c["flags"]:
            errors.append(f"{where}: benign post with a product below the alert ratio")

    # ---- set-level checks
    benign_n = sum(1 for r in lines if not r["expect"]["categories"])
    per_cat = {k: 0 for k in sorted(ALLOWED_CATS)}
    for r in lines:
        for k in r["expect"]["categories"]:
            per_cat[k] += 1
            if k not in ALLOWED_CATS:
                errors.append(f"unknown category {k}")
        if r["expect"]["categories"] != sorted(set(r["expect"]["categories"])):
            errors.append("categories not sorted/unique")
        if not r["expect"]["categories"] and r["expect"]["severity"] != "none":
            errors.append("benign with severity")
        if r["expect"]["categories"] and r["expect"]["severity"] in ("none", "info"):
            errors.append("positive without severity")
    if not 170 <= len(lines) <= 180:
        errors.append(f"{len(lines)} cases, want 170-180")
    nl = sum(1 for r in lines if r["post"]["lang"] == "nl")

    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for r in lines:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read: every line valid JSON with the CONTRACT section 6 shape
    with open(out, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            r = json.loads(line)
            p = r["post"]
            for k in ("id", "platform", "text", "created_at"):
                if not isinstance(p.get(k), str) or not p[k]:
                    errors.append(f"line {i}: {k}")
            if not isinstance(p.get("account", {}).get("handle"), str):
                errors.append(f"line {i}: account.handle")
            if not 1 <= len(p["id"]) <= 256:
                errors.append(f"line {i}: id length")
            dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            if set(r["expect"]) != {"categories", "severity"} or r["expect"]["severity"] not in RANK:
                errors.append(f"line {i}: expect shape")

    roles = {}
    for r, c in zip(lines, CASES):
        roles.setdefault(role_of(c["platform"], c["handle"]), [0, 0])[0 if r["expect"]["categories"] else 1] += 1
    print(f"{len(lines)} cases, {benign_n} benign, nl {nl} ({100*nl/len(lines):.0f}%)")
    print("per category:", json.dumps(per_cat))
    print("roles (positive, benign):", roles)
    sevs = {}
    for r in lines:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print("severities:", sevs)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")

if __name__ == "__main__":
    main()
