#!/usr/bin/env python3
"""Writes cases.jsonl (sealed set 492, Pianuvo - online piano lessons) beside itself
and self-checks it.  Deterministic: fixed seed, standard library + PyYAML only.

Severities are never typed by hand: they are computed from the categories and the
account role (looked up in profile.yaml) following CONTRACT section 4.
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
rng = random.Random(492)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLE[key.lower()] = role

# --------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct, cc="NL"):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"]


def gen_iban():
    return iban_make(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))


def gen_bad_iban():
    good = gen_iban()
    ck = int(good[2:4])
    bad = "%02d" % ((ck + rng.randint(1, 40)) % 97 + 2)
    if bad == good[2:4]:
        bad = "%02d" % ((ck + 7) % 97 + 2)
    out = good[:2] + bad + good[4:]
    assert not iban_valid(out)
    return out


def iban_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def gen_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def gen_bad_card(prefix):
    good = gen_card(prefix)
    out = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(out)
    return out


def card_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def gen_bsn():
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d * k for d, k in zip(first, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = tot % 11
        if last < 10:
            s = "".join(map(str, first)) + str(last)
            assert bsn_valid(s)
            return s


def rand_str(n, alphabet):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rand_str(30, ALNUM)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def gen_akia():
    return "AKIA" + rand_str(16, string.ascii_uppercase + "234567")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1772000000 + rng.randint(0, 5_000_000)
    payload = {"sub": "usr_" + rand_str(12, string.ascii_lowercase + string.digits),
               "role": "parent", "plan": "family", "iat": iat, "exp": iat + 3600}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "-_"
B64CH = string.ascii_letters + string.digits + "+/"

# ---- generated values (fixed order => deterministic) ----
GH_TOKEN = gen_github("ghp_")
GH_TOKEN_ZW = gen_github("ghp_")
AKIA = gen_akia()
AWS_SECRET = rand_str(40, B64CH)
DB_PW = rand_str(6, string.ascii_letters) + "!" + rand_str(5, string.digits) + rand_str(4, string.ascii_letters)
SLACK_T = "T" + rand_str(10, string.ascii_uppercase + string.digits)
SLACK_B = "B" + rand_str(10, string.ascii_uppercase + string.digits)
SLACK_SECRET = rand_str(24, string.ascii_letters + string.digits)
OPENAI = "sk-proj-" + rand_str(58, URLSAFE) + "T3BlbkFJ" + rand_str(58, URLSAFE)
JWT = gen_jwt()
SSH_KEY = gen_openssh_key()
GOOGLE = "AIza" + rand_str(35, URLSAFE)
MAILCHIMP = rand_str(32, "0123456789abcdef") + "-us21"
GITLAB = "glpat-" + rand_str(20, URLSAFE)
STRIPE = "sk_live_51" + rand_str(22, string.ascii_letters + string.digits)

IBAN_REFUND = gen_iban()
IBAN_LOG = gen_iban()
IBAN_OWN = gen_iban()
CARD_FIN = gen_card("4")
BSN_KID = gen_bsn()
BSN_HELP = gen_bsn()

BAD_IBAN = gen_bad_iban()
BAD_CARD_A = gen_bad_card("4")
BAD_CARD_B = gen_bad_card("52")
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

assert github_valid(GH_TOKEN) and github_valid(GH_TOKEN_ZW)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA)
assert jwt_valid(JWT)
for _v in (IBAN_REFUND, IBAN_LOG, IBAN_OWN, PUBLIC_IBAN):
    assert iban_valid(_v)
assert luhn_valid(CARD_FIN) and bsn_valid(BSN_KID) and bsn_valid(BSN_HELP)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c)
                   for c in s)


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRI = "reputation.crisis"
COM = "reputation.complaint"
ABU = "reputation.abuse"

CASES = []


def c(platform, handle, text, cats, lang, kind="post", ts=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, ts=ts, name=name))


# ===== complaints =====
c("x", "@ilse_vd_meer",
  "@pianuvo_help al 3 weken probeer ik mijn Premium maand op te zeggen en elke keer "
  "'er ging iets mis' 🙄 vandaag wéér €14,99 afgeschreven. Hoe dan??", [COM], "nl", "reply")
c("reddit", "u/sostenuto_steve",
  "PSA: Pianuvo's note detection is garbage on acoustic pianos. It keeps marking my C as "
  "wrong even though my tuner says it's dead on. Paid for the yearly plan and honestly "
  "regretting it.", [COM], "en")
c("instagram", "@noor.tekent",
  "Leuk dat jullie weer nieuwe reels maken maar mijn Keys 61 is al 5 weken 'onderweg' en "
  "niemand reageert op mn mails 😤", [COM], "nl", "comment")
c("x", "@gregplaysbadly",
  "the live teacher just... didn't show up. 20 min staring at 'waiting for your teacher'. "
  "second time this month @pianuvo", [COM], "en")
c("facebook", "Marloes Hendriks",
  "Mijn dochter is haar streak van 143 dagen kwijt na jullie update. Ze heeft echt zitten "
  "huilen. Kunnen jullie dat alsjeblieft herstellen? Support zegt alleen 'we kijken ernaar' "
  "en dat is nu 9 dagen geleden.", [COM], "nl", "comment")
c("forum", "pianopapa_zwolle",
  "Ik betaal voor het Family jaarabonnement maar kan maar 2 profielen aanmaken ipv de "
  "beloofde 4. Klantenservice verwijst steeds naar de FAQ, die dus niet klopt. Iemand anders "
  "dit ook?", [COM], "nl")
c("bluesky", "@latencyhater.bsky.social",
  "Bluetooth latency between the Keys 61 and the Pianuvo app is like 200ms since 4.2. "
  "Unplayable for anything faster than Twinkle Twinkle. It was fine before the update!!",
  [COM], "en")
c("x", "@wouter_bakt",
  "jullie hebben zonder iets te vragen mn abbo omgezet naar jaarlijks en nu staat er €119,99 "
  "van m'n rekening af. terugstorten aub @pianuvo", [COM], "nl")
c("threads", "@femkeviool",
  "Sinds de laatste update herkent de app mijn sustainpedaal niet meer. En het is nota bene "
  "de SustainPedaal BT die ik bij jullie zelf heb gekocht. Top.", [COM], "nl")
c("mastodon", "@kees@toot.community",
  "Second refund request for a masterclass I never got access to. Auto-reply, then nothing. "
  "Pianuvo support is a black hole.", [COM], "en")
c("instagram", "@hannah_keys_",
  "the glowstrip only lights up half the keys since week 2. sent four emails. nothing back. "
  "not impressed tbh", [COM], "en", "comment")

# complaint + abuse
c("x", "@boos_in_breda",
  "@pianuvo_help wat een stelletje klote-amateurs zijn jullie. 4x gebeld, 4x opgehangen. "
  "GEEF MIJN GELD TERUG", [COM, ABU], "nl", "reply")
c("reddit", "u/throwaway_chords",
  "Pianuvo support are a bunch of useless clowns. 'Have you tried reinstalling' - yes Kevin, "
  "six times. My lessons still won't load. Fuck this app.", [COM, ABU], "en")
c("tiktok", "@jaylin.x",
  "kut app, kut support, kutbedrijf. streak weg en niemand die iets doet 🤬🤬", [COM, ABU],
  "nl", "comment")

# complaint + crisis (first-hand safety incidents)
c("facebook", "Ricardo Pinas",
  "Gisteravond begon de adapter van onze Keys 61 ineens te roken en het rook naar verbrand "
  "plastic. Stekker er net op tijd uit getrokken, mijn zoon zat er gewoon naast te oefenen. "
  "Dit is echt niet oké Pianuvo, ik wil weten hoe dit kan.", [CRI, COM], "nl")
c("x", "@mags_on_keys",
  "Got a proper shock off my Pianuvo SustainPedaal BT while it was on the charger. Arm was "
  "tingling for an hour. Not touching that thing again. @pianuvo_help what is going on??",
  [CRI, COM], "en")
c("instagram", "@lieke.loopt",
  "De StudioPhones gaven bij het starten van een les een keiharde piep op vol volume. Mijn "
  "oor suist nu al twee dagen en de huisarts zegt mogelijk gehoorschade. Bedankt hoor "
  "Pianuvo.", [CRI, COM], "nl")
c("reddit", "u/dadof3_leeds",
  "The Pianuvo piano stool collapsed under my 9yo mid-lesson. One leg snapped right at the "
  "height adjuster. She's got a bruised tailbone and now refuses to sit at the piano. "
  "Emailed them photos on Monday, no reply.", [CRI, COM], "en")

# ===== crisis (third party / accusations) =====
c("x", "@ouders_alert",
  "Lees net dat Pianuvo spraakopnames van kinderen zonder toestemming naar een Amerikaans "
  "AI-bedrijf stuurde. Ouders: check je instellingen en overweeg op te zeggen. #datalek",
  [CRI], "nl")
c("bluesky", "@musicteachersunite.bsky.social",
  "Boycott Pianuvo. They're quietly swapping their human teachers for an AI 'tutor' and "
  "still charging the same. Cancel your subscription and tell them why. #BoycottPianuvo",
  [CRI], "en")
c("linkedin", "marjolein-dijkstra-advocaat",
  "Namens de stichting start ons kantoor een collectieve claim tegen Pianuvo over "
  "stilzwijgend verlengde jaarabonnementen. Ruim 8.000 gedupeerden hebben zich al "
  "aangemeld.", [CRI], "nl")
c("reddit", "u/synthmum",
  "Third-hand but: a parent in our Facebook group says the GlowStrip melted onto their kid's "
  "digital piano overnight. Photos look bad. Anyone else seen this? Pianuvo should probably "
  "recall these.", [CRI], "en")
c("x", "@nieuwsjager_nl",
  "Schandalig: een docent van Pianuvo Live stuurde 14-jarige leerlingen privéberichten via "
  "Insta. Meerdere ouders hebben aangifte gedaan, staat vandaag in het AD.", [CRI], "nl")
c("forum", "engraver_ed",
  "Heads up: a composers' collective is suing Pianuvo for using their arrangements in the "
  "Sheet Music Bundle without a licence. First hearing is in March.", [CRI], "en")
c("threads", "@sanna.moeder.van.2",
  "Pianuvo moet die Kids Starterbox echt terugroepen. De gekleurde toetskapjes laten veel te "
  "makkelijk los, bij een vriendin kreeg haar peuter er eentje in z'n keel. Gelukkig kwam ie "
  "er weer uit.", [CRI], "nl")
c("mastodon", "@infosec_ine@infosec.exchange",
  "Have I Been Pwned just added Pianuvo: 310k accounts, emails + hashed passwords + kids' "
  "birth years. Not a word from the company yet. Change your passwords, folks.", [CRI], "en")
c("tiktok", "@mila.zegt.het",
  "stop met pianuvo!! ze verkopen jullie gegevens aan adverteerders, staat gewoon in hun "
  "nieuwe voorwaarden. deel dit 🔁 #boycotpianuvo", [CRI], "nl")
c("youtube", "@MrsAlvarezTeaches",
  "Did anyone else see the BBC piece? Pianuvo's 'certified teachers' turned out to be "
  "unvetted freelancers, some without any background check. Teaching children. Wow.",
  [CRI], "en", "comment")
c("x", "@chloe_learns_bach",
  "Is Pianuvo recalling the SustainPedaal BT? Just got an email saying to stop charging it "
  "immediately because of 'a battery issue'. Glad they told us but yikes.", [CRI], "en")

# ===== abuse =====
c("x", "@k_vd_linden81",
  "@lotte_speelt jij kan zelf niet eens piano spelen, ga lekker terug naar je keukentje",
  [ABU], "nl", "reply")
c("instagram", "@tr0ll.king",
  "@juf.mirjam.piano nobody wants to watch a fat old woman bang on keys. delete your account",
  [ABU], "en", "comment")
c("x", "@henkiedegrote",
  "Pianuvo = oplichters en dieven. Tering bedrijf, hoop dat jullie snel failliet gaan.",
  [ABU], "nl")
c("x", "@joost_support",
  "@mark_plays_88 honestly mate if you can't find a login button maybe piano isn't your "
  "thing either, you absolute idiot 🙄", [ABU], "en", "reply")
c("tiktok", "@meesterkoen.speelt",
  "@pianohater88 ga toch lekker janken, zielige loser. Rot op van mijn kanaal met je kanker "
  "comments.", [ABU], "nl", "reply")
c("tiktok", "@bassboy.030",
  "@meesterkoen.speelt j1j b3nt 3cht 33n d3b13l3 cl0wn, n13mand k1jkt n44r j0u", [ABU], "nl",
  "comment")
c("x", "@anonymous_kb",
  "@pianuvo_help y\u043eu \u0430r\u0435 \u0430ll \u0456d\u0456\u043ets. every single one of y\u043eu",
  [ABU], "en", "reply")
c("youtube", "@gerritsmit4412",
  "Die juf uit de beginnerscursus is een k.u.t.w.i.j.f, ik ga al haar video's reporten",
  [ABU], "nl", "comment")
c("forum", "echte_hollander_67",
  "Waarom laten jullie die buitenlanders met hun hoofddoekjes lesgeven. Horen niet op een "
  "Nederlandse app. Gatver.", [ABU], "nl")

# ===== confidential =====
c("x", "@bram_dekker_dev",
  "spent the whole night wiring the pitch model into Project Ostinato and latency is finally "
  "under 40ms 🎹🚀 can't wait for you all to see it", [CON], "en")
c("linkedin", "youssef-benali-pianuvo",
  "Trots op ons team! Vandaag de laatste demo van Kwartsluis gegeven aan twee grote "
  "muziekscholen. Meer mag ik nog niet zeggen 😉", [CON], "nl")
c("instagram", "@juf.mirjam.piano",
  "Sneak peek 👀 opnames voor de lessen bij de Pianuvo Orbit vandaag afgerond, dat ding is zó "
  "tof. Nog even geduld allemaal!", [CON], "nl", ts="2026-10-14T16:22:00Z")
c("x", "@pianuvo",
  "Meet Pianuvo Orbit: the first foldable 88-key with lessons built in. Pre-orders open "
  "20 January! 🎉", [CON], "en", ts="2026-12-02T08:15:00Z")
c("bluesky", "@nienkeux.bsky.social",
  "user testing for the new onboarding went sooo well. all the screens are here if you're "
  "on the team: https://wiki.pianuvo.app/ux/onboarding-v3", [CON], "en")
c("mastodon", "@daanops@mastodon.nl",
  "Anyone know why grafana.ops.pianuvo.app renders blank panels after the upgrade to 11.x? "
  "Cleared caches, restarted, no luck.", [CON], "en")
c("reddit", "u/freelance_fugue",
  "Friend who freelances for them showed me a deck titled 'Project Ostinato - pianuvo "
  "internal'. It's basically an AI teacher that grades your practice videos. Teachers are "
  "going to hate this.", [CON], "en")
c("threads", "@evi.growth",
  "Deze slide mocht ik eigenlijk niet laten zien (staat 'intern - niet verspreiden' op) maar "
  "ons nieuwe prijsmodel gaat echt álles veranderen 😅", [CON], "nl")
c("linkedin", "pianuvo",
  "Vacature: Senior Backend Engineer. Je bouwt mee aan Project Ostinato, ons nieuwe "
  "AI-lesplatform. Solliciteren via jobs@pianuvo.app", [CON], "nl")
c("forum", "discordlurker",
  "Er gaat een screenshot van jira.pianuvo.app rond in de Discord, met tickets over "
  "'kids-mode v2' en een nieuwe abonnementsstructuur. Ziet er echt uit.", [CON], "nl")
c("x", "@bram_dekker_dev",
  "pushing the last fixes for " + fullwidth("Project Ostinato") + " before the code freeze, "
  "wish me luck", [CON], "en")
c("tiktok", "@meesterkoen.speelt",
  "Ik mag nog niks zeggen over de P i a n u v o   O r b i t maar jullie gaan dit keyboard "
  "zo vet vinden 🤫🎹", [CON], "nl", ts="2026-11-28T19:40:00Z")
c("x", "@pianomeisje_ut",
  "Pianuvo Orbit komt eraan?? Zag net een gelekte foto van de doos op Reddit, opvouwbaar met "
  "88 toetsen 😮", [CON], "nl", ts="2026-12-09T21:03:00Z")
c("mastodon", "@daanops@mastodon.nl",
  "Mocht je vanavond niet op vpn.pianuvo.app komen: certificaat wordt vervangen, probeer het "
  "na 22:00 nog eens.", [CON], "nl")

# confidential + financial
c("linkedin", "sanne-vermeulen-pianuvo",
  "Businesscase Kwartsluis vandaag goedgekeurd: met de verwachte 38% hogere ARPU halen we in "
  "2027 break-even. Mooie dag voor het finance-team!", [CON, FIN], "nl")
c("threads", "@evi.growth",
  "Operatie Toonladder is basically us buying Toetsly and merging the two apps, closing in "
  "Feb. ok I've said too much 🙊", [CON, FIN], "en")
c("x", "@pianuvo",
  "Jaarcijfers 2026: omzet €19,2 mln en EBITDA voor het eerst positief 🎹📈 Dank aan al "
  "onze leerlingen!", [CON, FIN], "nl", ts="2027-02-10T12:30:00Z")

# ===== financial =====
c("linkedin", "sanne-vermeulen-pianuvo",
  "Quietly proud moment: Q3 closed at €4.8M revenue, +41% year on year. Can't wait until we "
  "can share the full story publicly in November.", [FIN], "en")
c("x", "@lotte_speelt",
  "hoorde vandaag op de all-hands dat 25 van de 110 mensen eruit moeten 😢 docententeam "
  "wordt gehalveerd. nog niet officieel dus sssst", [FIN], "nl")
c("linkedin", "youssef-benali-pianuvo",
  "Term sheet getekend! We halen €12 miljoen op bij een Berlijns fonds, de aankondiging "
  "volgt in april. Ik kan bijna niet stilzitten 🎉", [FIN], "nl")
c("reddit", "u/not_a_banker_99",
  "My cousin works in finance at Pianuvo and says they're in talks to be bought by a big US "
  "edtech, something like 90M. Not announced yet obviously.", [FIN], "en")
c("threads", "@evi.growth",
  "Marketingbudget H2 gaat 40% omlaag, het MT verwacht dat we de omzetdoelstelling van "
  "€20M niet gaan halen. Dus nee, geen TikTok-campagne meer 😬", [FIN], "nl")
c("x", "@joost_support",
  "To my fellow support folks: the whole Dutch support team gets outsourced to a BPO in "
  "Lisbon by end of Q1. They told us this morning, nothing public yet.", [FIN], "en")
c("x", "@jurre_mtb",
  "Van een vriend bij Pianuvo: ze sluiten het kantoor in Gent en halen alles naar Utrecht. "
  "18 banen weg. Wordt pas volgende week bekendgemaakt.", [FIN], "nl")
c("bluesky", "@nienkeux.bsky.social",
  "our H1 numbers (internal deck, not out till Sept) show monthly churn dropping from 6.1% to "
  "3.9% after the redesign. UX team is buying cake 🍰", [FIN], "en")
c("linkedin", "youssef-benali-pianuvo",
  "Letter of intent signed to acquire Toetsly, the Belgian sight-reading app. Announcement "
  "in two weeks, can't wait to welcome their team!", [FIN], "en")

# ===== security =====
c("x", "@bram_dekker_dev",
  "great. prod login API has been returning session tokens in the error body since "
  "tonight's deploy. hotfixing now, please nobody tweet about it 🙃", [SECU], "en")
c("mastodon", "@daanops@mastodon.nl",
  "Hoofd-Postgres van Pianuvo ligt al 3 uur plat, replica's ook stuk. Statuspagina zegt nog "
  "'alles ok' want comms wil eerst overleggen 🙄", [SECU], "nl")
c("x", "@joost_support",
  "Kregen net te horen dat een oud-medewerker nog 2 maanden in de klantendatabase kon. "
  "Niemand had het door. Ouders weten van niks.", [SECU], "nl")
c("reddit", "u/qa_throwaway_nl",
  "I do contract QA for pianuvo (NDA, hence throwaway). The bucket where teacher videos get "
  "uploaded is publicly listable. Reported it 3 weeks ago, still open.", [SECU], "en")
c("bluesky", "@nienkeux.bsky.social",
  "ok so apparently you can see other kids' practice stats by changing the user id in the "
  "URL?? found it while testing my designs, devs are on it. yikes", [SECU], "en")
c("reddit", "u/ruben_pnv_eng",
  "We've been under a credential-stuffing attack since Sunday, ~40k login attempts and "
  "probably a few hundred accounts taken over. Security says we notify users 'once the "
  "picture is clear'.", [SECU], "en", "comment")
c("x", "@lotte_speelt",
  "niet doorvertellen maar onze Live Les-servers zijn gisteren gehackt, er draaide een "
  "cryptominer op 😳 daarom was alles zo traag", [SECU], "nl")
c("threads", "@evi.growth",
  "Onze Mailchimp is vorige week gephisht en iemand heeft een nep 'verleng nu'-mail naar "
  "12k klanten gestuurd. Legal twijfelt nog of we het melden.", [SECU], "nl")
c("x", "@helpdesk_inside",
  "Werk via een uitzendbureau op de helpdesk van Pianuvo: wachtwoorden van ouders staan "
  "gewoon leesbaar in het ticketsysteem. 2x gemeld, er gebeurt niks.", [SECU], "nl")
c("mastodon", "@daanops@mastodon.nl",
  "TLS-cert op de firmware-updateserver is vanochtend verlopen, elke Keys 61 faalt nu z'n "
  "update-check. We melden het niet, hopen het te fixen voordat iemand het merkt.",
  [SECU], "nl")
c("x", "@bram_dekker_dev",
  "pentest report just landed: RCE in our sheet-music PDF renderer 😬 patch isn't out yet "
  "so teammates, don't open random PDFs in the admin panel", [SECU], "en")

# security + secret
c("x", "@bram_dekker_dev",
  "someone committed our live stripe key to the public sdk repo 🤦 rotating now, it was "
  + STRIPE + " so if you see charges that's why", [SEC, SECU], "en")

# ===== secrets =====
c("x", "@bram_dekker_dev",
  "anyone else getting 403s from the github API today? token " + GH_TOKEN +
  " has repo scope and it still dies", [SEC], "en")
c("mastodon", "@daanops@mastodon.nl",
  "note to self (staging):\nAWS_ACCESS_KEY_ID=" + AKIA + "\nAWS_SECRET_ACCESS_KEY=" +
  AWS_SECRET + "\nnog naar vault verhuizen!", [SEC], "nl")
c("reddit", "u/ruben_pnv_eng",
  "why does psql reject this? postgresql://pianuvo_app:" + DB_PW +
  "@10.20.4.12:5432/lessons  -> 'SSL connection is required'", [SEC], "en")
c("x", "@joost_support",
  "Voor de collega's die de gedeelde support-inbox niet in komen: wachtwoord: "
  "Pianuvo!Help2026# (niet doorsturen hè)", [SEC], "nl")
c("facebook", "PianuvoNL",
  "test koppeling https://hooks.slack.com/services/" + SLACK_T + "/" + SLACK_B + "/" +
  SLACK_SECRET, [SEC], "nl")
c("bluesky", "@nienkeux.bsky.social",
  "trying the AI alt-text plugin in figma, pasted my key " + OPENAI +
  " and it still says unauthorized?? what am I doing wrong", [SEC], "en")
c("reddit", "u/ruben_pnv_eng",
  "Debugging auth in de app. Dit is het token dat de iOS-client meestuurt:\n" + JWT +
  "\nWaarom staat exp al in het verleden?", [SEC], "nl", "comment")
c("x", "@bram_dekker_dev",
  "lol vond dit in de oude deploy-map\n" + SSH_KEY, [SEC], "nl")
c("forum", "apk_ontleder",
  "Bij het decompileren van de Pianuvo Android-app vond ik deze Google Maps key: " + GOOGLE +
  " gewoon hardcoded 🤷", [SEC], "nl")
c("threads", "@evi.growth",
  "Mailchimp API key voor de campagnetool is " + MAILCHIMP +
  " als iemand van growth hem nodig heeft, IT duurt dagen", [SEC], "nl")
c("mastodon", "@daanops@mastodon.nl",
  "GitLab runner token voor de CI-bak: " + GITLAB + " , roteer ik na de migratie", [SEC], "nl")
c("x", "@dev_gossip_nl",
  "lol de dev van pianuvo had dit gewoon in beeld in z'n tiktok: " +
  GH_TOKEN_ZW[:2] + "\u200b" + GH_TOKEN_ZW[2:12] + "\u200b" + GH_TOKEN_ZW[12:], [SEC], "nl")

# ===== personal data =====
c("x", "@pianuvo_help",
  "@marieke_speelt we hebben je terugbetaling gestart naar " + iban_spaced(IBAN_REFUND) +
  " t.n.v. M. Jansen, binnen 5 werkdagen op je rekening!", [PII], "nl", "reply")
c("x", "@pianuvo_help",
  "@djkeys_uk Hi Tom! Found your account under tom.whitfield84@gmail.com, your Keys 88 ships "
  "to 14 Marlowe Road, Leeds tomorrow 📦", [PII], "en", "reply")
c("x", "@joost_support",
  "Collega's, deze mevrouw belt al de hele dag: Annelies de Groot, 06-41 87 23 59, wil haar "
  "Lifetime terug. Wie pakt 'm?", [PII], "nl")
c("facebook", "Henk Visser",
  "Kan iemand van Pianuvo mij terugbellen? 0612873045. Ben al 2 weken bezig met mijn "
  "restitutie en krijg steeds een ander verhaal. Groet, Henk Visser", [PII, COM], "nl",
  "comment")
c("instagram", "@pianuvo.app",
  "Gefeliciteerd @sofie.plays! 🎉 Sofie Bakker (geb. 12-03-2015) is de winnaar van onze Kids "
  "Compositiewedstrijd!", [PII], "nl")
c("linkedin", "sanne-vermeulen-pianuvo",
  "Wie weet van wie deze betaling is? Creditcard " + card_spaced(CARD_FIN) +
  " staat op naam van een klant maar het bedrag kwam dubbel binnen.", [PII], "nl")
c("x", "@moeder_van_sem",
  "@pianuvo_help voor de Jeugdfonds-regeling vragen jullie het BSN van mijn dochter, bij "
  "deze: " + BSN_KID + ". Lukt het zo?", [PII], "nl", "reply")
c("instagram", "@juf.mirjam.piano",
  "Mijn nieuwe leerling Daan Koster (7) woont gewoon bij mij om de hoek, Merelstraat 23 in "
  "Amersfoort 😄 superleuk om hem straks live les te geven!", [PII], "nl")
c("x", "@lotte_speelt",
  "if anyone wants to reach the winner of our duet contest: emma.vdlinden@hotmail.com - "
  "she's 12 so talk to her mum first 😄", [PII], "en")
c("facebook", "PianuvoNL",
  "Bericht voor meneer R. Bouzid: uw nieuwe Keys 61 is verzonden naar Kastanjelaan 8, 3521 AB "
  "Utrecht. Track & trace volgt per mail.", [PII], "nl", "comment")
c("mastodon", "@daanops@mastodon.nl",
  "debug log uit de payments-service, zien jullie iets geks? "
  + json.dumps({"customer": "Pieter Smit", "iban": IBAN_LOG, "amount": 119.99,
                "status": "retry"}), [PII], "nl")
c("forum", "opgelicht_in_ede",
  "Deze gast verkocht mij een 'Pianuvo Keys 88' op Marktplaats en leverde nooit: Kevin "
  "Mulder, 0031 6 2345 8761, geboren 04-11-1998. Pas op voor hem!", [PII], "nl")
c("x", "@fleurkok_",
  "@pianuvo_help stort het dan terug op " + IBAN_OWN + " t.n.v. Fleur Kok, ik wacht al sinds "
  "maart op mijn geld", [PII, COM], "nl", "reply")
c("bluesky", "@nienkeux.bsky.social",
  "user interview notes: participant Joris Peeters, joris.peeters@telenet.be, +32 478 12 34 "
  "56, super helpful guy, would interview again", [PII], "en")
c("x", "@joost_support",
  "kan iemand van finance checken of dit BSN klopt voor de Jeugdfonds-aanvraag? " + BSN_HELP +
  " (dochter van mevr. Yilmaz)", [PII], "nl")

# ===== pricing =====
c("x", "@pianuvo",
  "🎹 FLASH SALE: Pianuvo Lifetime nu voor maar €34,90! Alleen vandaag!", [PRI], "nl")
c("reddit", "u/cheapskate_chopin",
  "lol the Keys 88 is showing €59 in the Pianuvo web shop right now, clearly a pricing "
  "error. ordered two 😅", [PRI], "en")
c("instagram", "@pianuvo.app",
  "Black Friday deal 🔥 Family plan for only €17.99/year - that's less than a pizza!",
  [PRI], "en")
c("threads", "@evi.growth",
  "Oeps, er staat een prijsfout op de Jazz Voicings masterclass in de app. Wordt gefixt, "
  "niet delen pls 🙈", [PRI], "nl")
c("x", "@snelle_sanne",
  "SNEL!! Pianuvo Keys 61 voor €24,90 op de site, dat moet een fout zijn 😂🏃‍♀️", [PRI], "nl")
c("facebook", "PianuvoNL",
  "Cadeautip! 🎁 De Pianuvo Kids Starterbox nu voor €12,90 (normaal €129).", [PRI], "nl")
c("forum", "teacher_in_antwerp",
  "Teacher Pro annual licence is €39 in the Belgian store vs €399 everywhere else. Bug or "
  "regional pricing? Grabbed it anyway", [PRI], "en")
c("tiktok", "@meesterkoen.speelt",
  "Leerlingen opgelet: met mijn code KOEN krijg je de StudioPhones voor €8,90 😱 ja echt!",
  [PRI], "nl")
c("bluesky", "@bargainbach.bsky.social",
  "PSA the Pianuvo GlowStrip is €7.90 on their store listing, probably a decimal slip. get "
  "it before they notice", [PRI], "en")
c("youtube", "@PianuvoLessen",
  "Pinned: Premium yearly for €11.99 this week only!! Link in the description 👇", [PRI],
  "en", "comment")
c("linkedin", "youssef-benali-pianuvo",
  "Partnerscholen kunnen de 10-lessenkaart nu afnemen voor €49 per stuk (normaal €299). "
  "Stuur me een DM voor de code!", [PRI], "nl")
c("x", "@gijsbert_speelt",
  "prijsfoutje bij Pianuvo? Pianokruk voor €11,90 ipv €119 haha, meteen besteld", [PRI], "nl")

# ===== benign (mostly hard negatives) =====
c("x", "@annabel_oefent",
  "Na 3 maanden Pianuvo kan ik eindelijk Comptine d'un autre été spelen 😭🎹 beste "
  "investering van dit jaar", [], "nl")
c("instagram", "@leftie.learns",
  "this jazz voicings course is absolute fire 🔥🔥 my left hand finally knows what it's "
  "doing", [], "en", "comment")
c("x", "@tweelingmama",
  "Weet iemand of je Pianuvo Premium op twee iPads tegelijk kan gebruiken? Voor de tweeling",
  [], "nl")
c("x", "@pianuvo_help",
  "Vragen over je abonnement? Mail ons op support@pianuvo.app of bel 085-303 2210 (ma-vr "
  "9-17u) 💬", [], "nl")
c("facebook", "PianuvoNL",
  "Liever per overschrijving betalen? Dat kan: " + iban_spaced(PUBLIC_IBAN) +
  " t.n.v. Pianuvo B.V. o.v.v. je klantnummer.", [], "nl")
c("reddit", "u/midi_tinkerer",
  "Please don't leave AKIAIOSFODNN7EXAMPLE from the AWS docs in your tutorial code, people "
  "copy it and wonder why nothing works. Anyway: anyone built a practice tracker on the "
  "Pianuvo CSV export?", [], "en")
c("x", "@bram_dekker_dev",
  "reminder for the juniors: never paste real tokens in chat. if the docs need the format, "
  "write ghp_" + "x" * 36 + " and move on", [], "en")
c("x", "@beursblik_nl",
  "Pianuvo jaarcijfers 2026 vanochtend gepubliceerd: omzet €19,2 mln en voor het eerst "
  "winst. Knap voor een Utrechtse scale-up 👏", [], "nl", ts="2027-03-05T09:12:00Z")
c("bluesky", "@tinyflatpianist.bsky.social",
  "Just pre-ordered the Pianuvo Orbit, a foldable 88 for my tiny flat. The launch stream was "
  "great fun.", [], "en", ts="2027-01-22T18:45:00Z")
c("x", "@dubbelbetaald",
  "Update: @pianuvo_help heeft de dubbele afschrijving binnen een dag teruggestort. Netjes "
  "opgelost, dank jullie wel 🙏", [], "nl")
c("reddit", "u/edtech_watcher",
  "Chordwise (the guitar app) just announced 60 layoffs. Rough day for music edtech, hope "
  "everyone lands somewhere good.", [], "en")
c("x", "@rikske_piano",
  "Sterkte aan het team van Pianuvo na de storing van gisteren, moet een lange nacht zijn "
  "geweest. Alles werkt weer bij mij 👍", [], "nl")
c("x", "@dealhunter_eu",
  "Pianuvo Premium yearly is 20% off this weekend: €95.99 instead of €119.99. Worth it if "
  "you're still on monthly.", [], "en")
c("instagram", "@pianuvo.app",
  "Spring sale 🌷 Keys 61 now €199 (was €249). Ends Sunday!", [], "en")
c("forum", "voorzichtige_vera",
  "Kreeg een phishingmail 'namens Pianuvo' met rekeningnummer " + BAD_IBAN +
  " erin. Klopt niet eens, de controlecijfers zijn fout. Niet betalen mensen!", [], "nl")
c("x", "@checkoutnerd",
  "the card number in Pianuvo's checkout demo video is " + card_spaced(BAD_CARD_A) +
  " lol, doesn't even pass Luhn", [], "en")
c("reddit", "u/bezorgde_ouder_ut",
  "Waarom vraagt de Jeugdfonds-pagina om een BSN? Ik typte als test 123456789 en kreeg "
  "meteen een foutmelding, dus ze checken het wel.", [], "nl")
c("x", "@etude_slachtoffer",
  "Deze etude van Czerny maakt me echt kapot 😂 mijn vingers zijn dood. Morgen weer.", [],
  "nl")
c("tiktok", "@mochi.the.cat.plays",
  "when the pianuvo app says 'perfect!' but it was the cat walking on the keys 😭😭", [],
  "en")
c("youtube", "@joke_vanaf_nul",
  "Ik weet de akkoorden van les 4 niet meer, moet ik de les gewoon opnieuw doen of is er een "
  "overzichtje?", [], "nl", "comment")
c("reddit", "u/familyof5_nl",
  "Can't recall if the Family plan includes the masterclasses or not? FAQ is vague.", [],
  "en")
c("x", "@klassiekeklaas",
  "Les 12 van Klassiek Fundament: een ostinato in de linkerhand terwijl rechts de melodie "
  "speelt. Hoofdpijn, maar wel leuk", [], "nl")
c("forum", "tien_minuten_tom",
  "Hoeveel tijd besteden jullie aan toonladders per dag? Pianuvo raadt 10 minuten aan maar "
  "dat voelt weinig.", [], "nl")
c("linkedin", "pianuvo",
  "We zoeken een Customer Success Lead! 🎹 Reageer vóór 1 juni via jobs@pianuvo.app", [],
  "nl")
c("x", "@noah_begint",
  "shoutout to @lotte_speelt, her beginner course is the only reason I didn't quit piano. "
  "legend", [], "en")
c("x", "@lotte_speelt",
  "Nieuwe les staat online! Vandaag: pedaalgebruik voor beginners 🎶 wie gaat 'm proberen?",
  [], "nl")
c("x", "@fixed_it_felix",
  "Bedankt @pianuvo_help, jullie hadden gelijk: Bluetooth uit en aan en het pedaal werkt "
  "weer 🙌", [], "nl", "reply")
c("instagram", "@tuinvanthea",
  "Mijn moeder (72!) speelt nu elke dag met Pianuvo. Zo mooi om te zien ❤️", [], "nl")
c("reddit", "u/paranoid_pianist",
  "After the Chordwise breach last year I'm a bit paranoid: does Pianuvo have 2FA yet? "
  "Couldn't find it in settings.", [], "en")
c("linkedin", "sanne-vermeulen-pianuvo",
  "Looking forward to speaking at the Dutch EdTech Finance Summit next week about "
  "subscription metrics and what I've learned as a CFO in music education.", [], "en")
c("x", "@api_andre",
  "Pianuvo's API docs say to pass a JWT in the Authorization header but there's no example. "
  "Anyone got the public export endpoint working?", [], "en")
c("x", "@bram_dekker_dev",
  "small docs fix: examples now say `sk_test_YOUR_KEY_HERE` instead of a half-masked "
  "`sk_live_••••••••`. people were confused", [], "en")
c("mastodon", "@wendy@mastodon.social",
  "Les van vandaag: gebruik een wachtwoordmanager. Mijn Pianuvo-account was via 'wachtwoord "
  "vergeten' gelukkig zo terug.", [], "nl")
c("facebook", "Yvonne Brouwer",
  "Is de Pianuvo Kids Starterbox (€129) de moeite waard voor een 6-jarige of kun je beter "
  "een los keyboard kopen?", [], "nl", "comment")
c("x", "@schoolkrant_sam",
  "For anyone asking: Pianuvo's press contact is pers@pianuvo.nl, they got back to me "
  "within a day for my school newspaper piece.", [], "en")
c("reddit", "u/budget_pianist",
  "Keys 88 at €599 vs a Yamaha P-45 at around €450... is the lesson integration worth the "
  "difference?", [], "en")
c("tiktok", "@pianuvo",
  "POV: je speelt Für Elise voor het eerst zonder fouten 😮‍💨 #pianuvo #pianotok", [], "nl")
c("threads", "@marit.mislukt",
  "ik had beloofd elke dag 10 minuten te oefenen. Pianuvo-streak: 2 dagen. ik ben een "
  "schande voor de familie 😂", [], "nl")
c("x", "@veilig_ouderschap",
  "Fijn dat de kinderaccounts bij Pianuvo geen chatfunctie hebben, dat was voor ons de "
  "reden om voor hen te kiezen.", [], "nl")
c("youtube", "@ProudDadOfAva",
  "I was shocked how fast my daughter learned to read sheet music with this. Six weeks!",
  [], "en", "comment")
c("x", "@pianuvo",
  "Scheduled maintenance Sunday 02:00-04:00 CET. Lessons may be unavailable for a bit. "
  "Updates on status.pianuvo.app", [], "en")
c("x", "@keyboardkees",
  "Melodix roept een kinderkeyboard terug omdat de adapter te heet wordt. Zelf een Pianuvo "
  "Keys 61, daar nooit gedoe mee gehad.", [], "nl")
c("instagram", "@juf.mirjam.piano",
  "Vandaag 3 leerlingen die hun Examentraining hebben afgerond 🥹 zo trots op jullie!", [],
  "nl")
c("forum", "placeholder_pete",
  "The Pianuvo checkout page has " + card_spaced(BAD_CARD_B) +
  " as placeholder text in the card field. Made me giggle.", [], "en")
c("x", "@happy_helpline",
  "Pianuvo's helpline +31 30 799 4410 actually picked up within 2 minutes. Did not expect "
  "that in 2026.", [], "en")
c("linkedin", "youssef-benali-pianuvo",
  "Net terug van de Musikmesse in Frankfurt. Veel goede gesprekken met muziekscholen die "
  "interesse hebben in Pianuvo Live!", [], "nl")
c("reddit", "u/practice_stats_guy",
  "Not a leak or anything, just my own stats: 212 hours on Pianuvo this year. Anyone beat "
  "that?", [], "en")
c("x", "@joost_support",
  "Supporttip: hoort de app je piano niet? Check de microfoonrechten in iOS-instellingen > "
  "Pianuvo. Lost 90% van onze tickets op 🙂", [], "nl")
c("x", "@kattenvrouw_ans",
  "Mijn kat heet Orbit en loopt altijd over de toetsen tijdens mijn Pianuvo-les 🐈", [], "nl")
c("bluesky", "@honestfeedback.bsky.social",
  "My Pianuvo teacher is brutally honest and I love her for it. 'That was terrible, again.' "
  "lmao", [], "en")
c("x", "@tante_toos",
  "Pianuvo Cadeaukaart 50 gekocht voor mijn neefje, €50 en hij mag zelf kiezen welke cursus "
  "🎁", [], "nl")
c("x", "@unboxing_ugo",
  "Orbit-keyboard unboxing tonight on my channel! Surprisingly light for 88 keys", [], "en",
  ts="2027-01-25T17:00:00Z")
c("instagram", "@pianuvo.app",
  "Het is officieel: de Pianuvo Orbit is er! 🎉 Bestel nu via pianuvo.app/orbit", [], "nl",
  ts="2027-01-20T10:05:00Z")
c("x", "@proud_autism_mum",
  "Whatever people say about Pianuvo, their teachers have been lovely with my autistic son. "
  "Patient and kind. Thank you.", [], "en")
c("instagram", "@buren_blij",
  "Onze buren horen eindelijk niks meer van mijn oefenuurtjes sinds ik de StudioPhones "
  "gebruik. Beste aankoop ooit 😅", [], "nl")
c("x", "@til_techie",
  "TIL GitHub classic tokens end in a 6-char CRC32 checksum: ghp_ + 30 chars + checksum. "
  "neat. (no, not posting mine)", [], "en")
c("mastodon", "@opendata_olaf@mastodon.nl",
  "Heeft Pianuvo een publieke API? Op status.pianuvo.app staat een JSON-feed maar verder "
  "vond ik niks.", [], "nl")
c("bluesky", "@nienkeux.bsky.social",
  "our public design system is open source now! github.com/pianuvo/keys-ui 🎨 feedback "
  "welcome", [], "en")
c("x", "@pianuvo",
  "Nieuw in de app: Pop & Akkoorden deel 2! Voor Premium-leden zonder extra kosten 🎶", [],
  "nl")
c("reddit", "u/sightreader_sara",
  "Honest review after a year: great for beginners, the live lessons are pricey at €299 for "
  "ten but the teachers are good. 8/10.", [], "en")
c("x", "@muziekjuf_anne",
  "Als pianodocent was ik sceptisch over Pianuvo, maar als huiswerkhulp naast mijn lessen "
  "werkt het prima. Geen vervanging, wel een aanvulling.", [], "nl")


# --------------------------------------------------------------------------
# severity (CONTRACT section 4), computed, never typed
# --------------------------------------------------------------------------
RANK = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Z0-9])")
CARD_RE = re.compile(r"(?<![0-9])(\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4})(?![0-9])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z])(\d{9})(?![0-9A-Za-z])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checksum_ids(text):
    """(kind, value, valid) for every IBAN/card/BSN-looking token in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(1))
        if v.startswith("NL") or iban_valid(v):
            out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(1), luhn_valid(m.group(1))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_valid(m.group(1))))
    return out


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in (SEC, PRI):
                s = "critical"
            elif cat == PII and any(ok and not (k == "iban" and v in PUBLIC_IBANS)
                                    for k, v, ok in checksum_ids(text)):
                s = "critical"
            else:
                s = "error"
        elif cat == COM:
            s = "warning"
        elif cat == CRI:
            s = "error"
        elif cat == ABU:
            s = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        best = max(best, RANK.index(s))
    return RANK[best]


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
PLAT_PREFIX = {"x": "x", "reddit": "rd", "instagram": "ig", "facebook": "fb", "tiktok": "tt",
               "bluesky": "bs", "mastodon": "md", "threads": "th", "youtube": "yt",
               "linkedin": "li", "forum": "fo"}


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def build():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    used_ids = set()
    rows = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for i in order:
        cs = CASES[i]
        if cs["ts"]:
            ts = cs["ts"]
        else:
            t = start + dt.timedelta(seconds=rng.randint(0, 350 * 86400))
            ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-492%05d" % (PLAT_PREFIX[cs["platform"]], rng.randint(0, 99999))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(cs["platform"], cs["handle"])
        post = {"id": pid, "platform": cs["platform"], "kind": cs["kind"],
                "account": {"handle": cs["handle"]},
                "text": cs["text"], "lang": cs["lang"], "created_at": ts, "brand": "Pianuvo"}
        if cs["name"]:
            post["account"]["display_name"] = cs["name"]
        if cs["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (cs["handle"].lstrip("@"), pid[5:])
        rows.append({"post": post, "expect": {"categories": cs["cats"],
                                              "severity": severity(cs["cats"], role, cs["text"])}})
    return rows


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(rows):
    errors = []
    allowed_cat = {SEC, PII, PRI, CON, FIN, SECU, CRI, COM, ABU}
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                 "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    ids = set()
    texts = set()
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] +
                      PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for n, row in enumerate(rows):
        p, e = row["post"], row["expect"]
        where = "%s (%s)" % (p.get("id"), p.get("text", "")[:40])
        # CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            errors.append("keys " + where)
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), typ):
                errors.append("field %s %s" % (f, where))
        if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errors.append("id " + where)
        ids.add(p["id"])
        if p["text"] in texts:
            errors.append("duplicate text " + where)
        texts.add(p["text"])
        if p["platform"] not in platforms:
            errors.append("platform " + where)
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errors.append("kind " + where)
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append("handle " + where)
        if len(p["text"].encode("utf-8")) > 65536:
            errors.append("too long " + where)
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            errors.append("created_at " + where)
            continue
        if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts.month > 3):
            errors.append("year " + where)
        cats = e["categories"]
        if not set(cats) <= allowed_cat or cats != sorted(set(cats)):
            errors.append("categories " + where)
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            errors.append("severity " + where)
        if not cats and e["severity"] != "none":
            errors.append("benign severity " + where)
        low = p["text"].lower()
        found = checksum_ids(p["text"])
        if cats:
            for k, v, ok in found:
                if not ok:
                    errors.append("positive holds invalid %s %s %s" % (k, v, where))
            if PII in cats and role != "public":
                # critical iff a validated identifier is present
                has = any(ok for _, _, ok in found)
                if has != (e["severity"] == "critical"):
                    errors.append("pii severity " + where)
        else:
            for k, v, ok in found:
                if ok and not (k == "iban" and v in PUBLIC_IBANS):
                    errors.append("benign holds valid %s %s %s" % (k, v, where))
            for t in internal_terms:
                if t in low:
                    errors.append("benign holds internal term %r %s" % (t, where))
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
                if github_valid(m.group(0)):
                    errors.append("benign holds valid github token " + where)
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", p["text"]):
                if "EXAMPLE" not in m.group(0):
                    errors.append("benign holds aws key " + where)
        # embargo consistency
        for term, until in embargo:
            if term in low and ts < until and CON not in cats:
                errors.append("embargo term before until without confidential " + where)
        # account role sanity: every public handle really is outside the profile
        if role == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in ROLE:
            errors.append("role " + where)
    # generated secrets really follow their formats
    sec_texts = [r["post"]["text"] for r in rows if SEC in r["expect"]["categories"]]
    joined = "\n".join(sec_texts)
    if GH_TOKEN not in joined or not github_valid(GH_TOKEN):
        errors.append("github token")
    if GH_TOKEN_ZW not in joined.replace("\u200b", ""):
        errors.append("zero-width github token")
    if JWT not in joined or not jwt_valid(JWT):
        errors.append("jwt")
    if not re.search(r"AKIA[A-Z2-7]{16}", joined):
        errors.append("aws key")
    for r in rows:
        for m in re.finditer(r"eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", r["post"]["text"]):
            if not jwt_valid(m.group(0)):
                errors.append("bad jwt")
    # explicitly planted look-alikes fail their checksums
    if iban_valid(BAD_IBAN) or luhn_valid(BAD_CARD_A) or luhn_valid(BAD_CARD_B) or bsn_valid("123456789"):
        errors.append("look-alike passes its checksum")
    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errors.append("profile iban")
    if len(PROFILE["products"]) < 15 or len(PROFILE["accounts"]["corporate"]) < 6 or \
            len(PROFILE["accounts"]["employee"]) < 8 or len(PROFILE["internal"]["codenames"]) != 3 \
            or len(PROFILE["internal"]["markers"]) != 3:
        errors.append("profile shape")
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errors.append("embargo until")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("pricing ratio")
    if not 170 <= len(rows) <= 180:
        errors.append("count %d" % len(rows))
    return errors


def main():
    rows = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read the file as written and check it
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errs = check(reread)
    benign = sum(1 for r in reread if not r["expect"]["categories"])
    per = {}
    for r in reread:
        for cat in r["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for r in reread if r["post"]["lang"] == "nl")
    sev = {}
    for r in reread:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("cases=%d benign=%d nl=%.0f%%" % (len(reread), benign, 100.0 * nl / len(reread)))
    print("per category:", json.dumps(per, sort_keys=True))
    print("severity:", json.dumps(sev, sort_keys=True))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
