#!/usr/bin/env python3
"""Build the labelled evaluation set sealed463 (Korvel Natuursteen B.V.).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials (with their real checksums).  Writes cases.jsonl next to this file
and checks it: CONTRACT section 6 shape, checksums of every IBAN / card / BSN
(valid in positives, invalid look-alikes in negatives), secret formats, and
severities computed from CONTRACT section 4 using the account role in
profile.yaml.
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
rng = random.Random(463)

SEC, PII, PRI, CON = "leak.secret", "leak.pii", "leak.pricing", "leak.confidential"
FIN, SECU = "leak.financial", "leak.security"
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {SEC, PII, PRI, CON, FIN, SECU, CRI, COM, ABU, "reputation.spike"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) < 15 or s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1
    except ValueError:
        return False


def luhn_ok(s):
    d = [int(x) for x in re.sub(r"\D", "", s)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(s):
    d = [int(x) for x in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * v for w, v in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0 and tot != 0


# --------------------------------------------------------------------------
# identifier generators
# --------------------------------------------------------------------------
def _iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(cc="NL", spaced=False):
    if cc == "NL":
        bban = rng.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "ASNB", "KNAB"]) + \
            "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "BE":
        bban = "".join(rng.choice(string.digits) for _ in range(12))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    v = cc + _iban_check(cc, bban) + bban
    assert iban_ok(v)
    return group4(v) if spaced else v


def bad_iban(spaced=False):
    while True:
        v = iban("NL")
        v = v[:2] + "%02d" % ((int(v[2:4]) + rng.randint(1, 90)) % 100) + v[4:]
        if not iban_ok(v):
            return group4(v) if spaced else v


def card(kind="visa", sep=" "):
    prefix = {"visa": "4" + rng.choice(["539", "917", "024", "716"]),
              "mc": rng.choice(["51", "52", "53", "54", "55"]) + str(rng.randint(10, 99))}[kind]
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for chk in range(10):
        if luhn_ok(body + str(chk)):
            num = body + str(chk)
            break
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(sep=" "):
    num = re.sub(r"\D", "", card("visa", ""))
    num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn(style="plain"):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * v for w, v in zip(range(9, 1, -1), d))
        last = s % 11
        if last <= 9 and (s - last) != 0:
            num = "".join(map(str, d)) + str(last)
            assert bsn_ok(num)
            if style == "dots":
                return num[:4] + "." + num[4:6] + "." + num[6:]
            return num


def bad_bsn():
    while True:
        num = "".join(str(rng.randint(0, 9)) for _ in range(9))
        if num[0] != "0" and not bsn_ok(num):
            return num


def mobile(style="dash"):
    d = "6" + str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    if style == "dash":
        return "0" + d[0] + "-" + d[1:]
    if style == "intl":
        return "+31 " + d[0] + " " + d[1:5] + " " + d[5:]
    if style == "plain":
        return "0" + d
    if style == "spaced_pairs":
        return "06 " + " ".join(d[1:][i:i + 2] for i in range(0, 8, 2))
    if style == "0031":
        return "0031 " + d[0] + " " + d[1:]
    raise ValueError(style)


def landline(area="040"):
    return area + "-" + str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(6))


# --------------------------------------------------------------------------
# credential generators (built the way the real ones are)
# --------------------------------------------------------------------------
def rnd(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(B32, 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def stripe_live():
    return "sk_live_51" + rnd(string.ascii_letters + string.digits, 97)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 12, 10 ** 13),
                              rnd(string.ascii_letters + string.digits, 24))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    try:
        part = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return "alg" in hdr and len(tok.split(".")) == 3
    except Exception:
        return False


def google_key():
    return "AIza" + rnd(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + rnd(URLSAFE, 20)


def openai_key():
    return "sk-proj-" + rnd(URLSAFE, 58) + "T3BlbkFJ" + rnd(URLSAFE, 58)


def anthropic_key():
    return "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"


def sendgrid_key():
    return "SG." + rnd(URLSAFE, 22) + "." + rnd(URLSAFE, 43)


def mollie_live():
    return "live_" + rnd(string.ascii_letters + string.digits, 30)


def ssh_private_key():
    body = base64.b64encode(b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    w = rng.choice(["Graniet", "Kwarts", "Beitel", "Zaagblad", "Steenkoud", "Marmer"])
    return w + rnd(string.digits, 3) + rng.choice("!#$%&*") + rnd(string.ascii_letters, 3)


# --------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"
CYR = str.maketrans({"e": "\u0435", "o": "\u043e", "a": "\u0430", "K": "\u041a", "p": "\u0440", "c": "\u0441"})


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
CASES = []
_START = dt.datetime(2026, 1, 3, 7, 0, tzinfo=dt.timezone.utc)


def when_rand():
    t = _START + dt.timedelta(minutes=rng.randint(0, 350 * 24 * 60))
    return t.strftime("%Y-%m-%dT%H:%M:00Z")


def c(platform, handle, lang, text, cats=(), when=None, kind="post", brand=None, show_lang=True):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      when=when or when_rand(), kind=kind, brand=brand, show_lang=show_lang))


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ============================ complaints ==================================
c("x", "@maartje_bakt", "nl",
  "@korvel_klantenservice 3e keer dat de monteur niet komt opdagen voor ons Kashmir White werkblad. "
  "Keuken staat al 5 weken zonder blad, we koken op een campingstel. Dit is echt belachelijk 😤", [COM], kind="reply")
c("x", "@jvdmeer_ehv", "nl",
  "nee dus. offerte was 'all-in' en nu ineens €340 extra voor uitsparing kookplaat + afvoer. "
  "stond nergens. @korvel_nl lekker transparant hoor", [COM], kind="reply")
c("facebook", "Ingrid.Sluiter.77", "nl",
  "Vandaag de grafsteen van mijn vader voor het eerst gezien. Zijn naam is verkeerd gehakt: 'Hendrick' in plaats "
  "van 'Hendrik'. Ik heb de tekst drie keer gecontroleerd en getekend. Ik weet niet of ik moet huilen of "
  "schreeuwen. Korvel, bel me alsjeblieft terug, er neemt niemand op.", [COM], brand="Korvel Memoria")
c("x", "@tomhulshof", "en",
  "Paid Korvel in full in March for a Blue Pearl worktop. It's now June. Every call: 'next week'. Every email: "
  "nothing. Starting to think my money is sitting in a quarry somewhere #korvel #badservice", [COM],
  when="2026-06-11T19:42:00Z")
c("instagram", "@huisje.boompje.keuken", "nl",
  "Na 4 maanden al kringen in ons Bianco Sardo blad 😩 olijfolievlekken die er niet meer uit gaan. "
  "'Volledig geïmpregneerd' zeiden ze bij Korvel... zal wel. Tips iemand? Klantenservice reageert niet",
  [COM])
c("reddit", "u/dutch_reno_guy", "en",
  "PSA for anyone in NL looking at Korvel for stone countertops: they measured our kitchen wrong by 4cm, the slab "
  "doesn't sit against the wall, and now they want us to pay for a second template visit. Would not recommend.",
  [COM])
c("forum", "ria_w", "nl",
  "Urnmonument Kiem besteld bij Korvel in januari, beloofd vóór de herdenking in april. Het is half mei en er staat "
  "nog steeds niks op het graf van mijn man. Op zo'n moment wil je gewoon dat het klopt. Ik ben er kapot van.",
  [COM], when="2026-05-16T10:05:00Z", brand="Korvel Memoria")
c("x", "@lukas_bauer_nl", "en",
  "korvel delivered our Steel Grey island top with a massive chip on the corner, fitter just shrugged and filled it "
  "with epoxy. 2k for this?? 🤬", [COM])
c("facebook", "Petra.vanRijn", "nl",
  "Factuur van Korvel binnen voor het reinigen van de steen van mijn ouders. €295 betaald en het mos zit er gewoon "
  "nog op, de letters zijn nog steeds groen. Foto's gestuurd, geen reactie. Jammer hoor.", [COM])
c("tiktok", "@keukenkoortsje", "en",
  "pov: you wait 9 weeks for your dream black granite counter and they install it with a visible seam right in the "
  "middle 🙃 @korvel_steen explain??", [COM])
c("mastodon", "@wim@mastodon.social", "nl",
  "Korvel leverde een Granito spoelbak die na 2 weken een haarscheur had. Garantie? 'Gebruiksschade.' Ik heb er "
  "een pan in gezet, meer niet. Nooit meer.", [COM])
c("x", "@sophieK_", "en",
  "3 weeks since I asked Korvel Memoria for a headstone quote. Nobody called back, two emails ignored. "
  "Grief is hard enough without chasing a company for basic service.", [COM])
c("linkedin", "martijn-roos-interieur", "en",
  "As a kitchen fitter I've installed Korvel worktops for years, but in the last months their finishing has gone "
  "downhill: wavy edges, badly polished sink cut-outs. Customers blame us for it. Not good enough, Korvel.", [COM])

# first-hand harm: complaint + crisis
c("x", "@nadia_elk", "nl",
  "Ons nieuwe Korvel werkblad is gisteravond in tweeën gebroken en naar beneden gekletterd. Mijn dochter stond er "
  "10 seconden eerder nog naast. De onderkasten waren niet goed ondersteund. Ik tril nog steeds 😡", [COM, CRI])
c("facebook", "Bert.Kolkman", "nl",
  "Bij het bezoeken van het graf van mijn moeder viel de nieuwe staande steen om toen ik ertegen leunde. Niet "
  "verankerd! Mijn voet zit in het gips. Korvel, dit had mijn kleinzoon kunnen zijn.", [COM, CRI],
  brand="Korvel Memoria")
c("reddit", "u/quartzlady", "en",
  "Korvel's fitters cut our Calacatta Quartzite top inside the house, no water, no extraction. Whole place covered "
  "in fine dust and my asthmatic son was at the GP that same night struggling to breathe. Absolutely unacceptable.",
  [COM, CRI])
c("x", "@ditisrob", "nl",
  "korvel steenzorg spray gebruikt precies volgens etiket, binnen 5 min brandende ogen en koppijn, alle ramen "
  "open. vriendin moest overgeven. wat zit daar in?? #korvel", [COM, CRI])
c("instagram", "@gerda.tuinhuis", "en",
  "The granite serving board from Korvel cracked in the oven (the leaflet literally says oven-safe!) and a shard "
  "sliced my hand open. 4 stitches. Not happy at all.", [COM, CRI])

# ============================ crisis (third party / scandal) ===============
c("x", "@nieuws_ehv", "nl",
  "Op begraafplaats Woensel is zaterdag een grafmonument omgevallen op een 8-jarig kind. Het monument zou vorig "
  "jaar door Korvel Natuursteen zijn geplaatst. Het kind is met een gebroken been naar het ziekenhuis gebracht.",
  [CRI], when="2026-08-09T13:20:00Z")
c("x", "@stopkinderarbeid_nl", "nl",
  "Korvel noemt zijn graniet 'eerlijk', maar de blokken komen uit groeves in Rajasthan waar kinderen sjouwen. "
  "Boycot Korvel tot ze hun keten openbaar maken! #boycotkorvel #eerlijksteen", [CRI])
c("linkedin", "mr-e-van-loon-advocaat", "en",
  "Today we filed a collective action on behalf of 34 former stone cutters against Korvel Natuursteen B.V. over "
  "silicosis caused by years of dry-cutting engineered quartz without proper protection.", [CRI])
c("x", "@bezorgde_klant", "nl",
  "Krijgen meer mensen phishingmails met hun Korvel-ordernummer en bestelde steen erin? Lijkt erop dat hun "
  "klantgegevens op straat liggen. Korvel, geef openheid! #datalek", [CRI])
c("reddit", "u/fitter_frank", "en",
  "Is Korvel quietly recalling Granito sinks? My supplier says there's a batch with resin defects that crack under "
  "boiling water and they're swapping them without telling anyone.", [CRI])
c("facebook", "Stichting.Grafbehoud.Heidehof", "nl",
  "Schandalig: bij het ruimen van graven op Heidehof heeft Korvel ook stenen van graven met lopende grafrechten "
  "meegenomen en vermalen. Families zijn woedend en stappen naar de rechter.", [CRI])
c("tiktok", "@begraafplaatsmoeder", "nl",
  "dat filmpje van een korvel monteur die een grafsteen staat te bewerken met een moker terwijl de familie erbij "
  "staat gaat terecht viral. respectloos. #boycotkorvel", [CRI])
c("bluesky", "@consumentenwaakhond.bsky.social", "en",
  "Korvel has issued a recall for Steenzorg spray bottles: the trigger head can fail and spray solvent into your "
  "face. Check your cupboard and stop using it.", [CRI])
c("x", "@brabantflits", "nl",
  "Brand in de werkplaats van Korvel Natuursteen in Best. Twee medewerkers met rookvergiftiging naar het "
  "ziekenhuis, omwonenden moeten ramen en deuren gesloten houden.", [CRI])

# ============================ abuse =======================================
c("x", "@boos_op_korvel", "nl", "@korvel_klantenservice stelletje kankerlijers zijn jullie", [ABU], kind="reply")
c("instagram", "@xx_jaydee_xx", "nl",
  "@mees.graveert wat een lelijke kop heb jij zeg, blijf maar lekker achter je beitel verstopt 🤮", [ABU],
  kind="comment")
c("x", "@anoniemeklant01", "nl", "k0rv3l = 0pl1cht3rs & d13v3n. h0pp3l1jk g44n j3ll13 sn3l f1ll13t", [ABU])
c("x", "@rdkl_nl", "nl", "Korvel is een stelletje kutkoppen, dat is alles wat ik erover ga zeggen".translate(CYR),
  [ABU])
c("youtube", "MrStoneCold88", "en",
  "the guy polishing in this video is a total moron lmao, Korvel must hire the dumbest idiots they can find",
  [ABU], kind="comment")
c("facebook", "Henk.Stoer", "nl",
  "Die monteur van Korvel sprak amper Nederlands, typisch. Stuur die buitenlanders terug naar hun eigen land.",
  [ABU])
c("x", "@bram_oosting", "nl",
  "weer een zeurkous aan de lijn die denkt dat graniet van plastic is. mens ga toch in je eigen kutkeuken staan "
  "#idioot", [ABU])
c("x", "@hardcore_harry", "en", "k.o.r.v.e.l  s.t.a.f.f  a.r.e  f.u.c.k.i.n.g  w.a.n.k.e.r.s", [ABU])
c("threads", "@geenmedelijden", "nl",
  "@lisa_korvel ik weet waar je werkt en wanneer je dienst hebt. denk daar maar eens goed over na, trut", [ABU],
  kind="reply")
c("tiktok", "@steenhardkritisch", "nl", fullwidth("korvel tyfusbedrijf") + " 🖕", [ABU], kind="comment")
c("x", "@korvel_klantenservice", "nl",
  "@jandekker_71 Met alle respect meneer, maar u bent gewoon een ongelofelijke zeikerd.", [ABU], kind="reply")

# ============================ confidential =================================
c("x", "@bram_oosting", "nl",
  "Eerste proefplaten voor Project Obsidiaan vandaag uit de zaag, dit wordt echt iets 🔥 meer mag ik niet zeggen 🤐",
  [CON])
c("linkedin", "anouk-verbeek-korvel", "en",
  "Exciting times! Can't wait for our dealers to see Noctis Zwart at the Utrecht fair next month, the deepest black "
  "we have ever sourced. #stone #kitchens", [CON], when="2026-11-05T08:14:00Z")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "anyone else's gitlab runner randomly dying? ours at https://gitlab.korvel.nl/webshop/checkout/-/pipelines keeps "
  "timing out on the docker build step", [CON])
c("x", "@daanvdlinden", "nl",
  "Weet iemand waarom snijplan.korvel.local ineens zo traag is sinds de update? Vast de database weer 🙃", [CON])
c("x", "@lisa_korvel", "nl",
  "Zit de nieuwe presentatie door te lezen, 'alleen voor intern gebruik' staat erop... de garantievoorwaarden worden "
  "flink strenger, klanten gaan dit niet leuk vinden", [CON])
c("instagram", "@mees.graveert", "nl",
  "Sneak peek van de letterproef voor Zandloper 😍 nog even geheim, maar wat een mooi project #letterhakken", [CON])
c("linkedin", "hendrik-de-wit-korvel", "en",
  "Proud of the small team working on Operatie Kwartsiet. It will be a big step for Korvel in 2027.", [CON])
c("x", "@korvel_nl", "nl",
  "Binnenkort: Korvel Noctis. De zwartste werkbladen die we ooit maakten. Houd onze site in de gaten! 🖤",
  [CON], when="2026-12-10T16:00:00Z")
c("reddit", "u/kitchenplanner_nl", "en",
  "My cousin works at Korvel and showed me the dealer deck for 'Aurora Quartzite'. Looks like a Calacatta killer "
  "at half the price, launching early next year.", [CON], when="2026-10-20T21:33:00Z")
c("mastodon", "@sietske@mastodon.nl", "nl",
  "Planning voor volgende week staat op https://intranet.korvel.local/planning/montage-wk48 , collega's check even "
  "jullie ritten 🚚", [CON], when="2026-11-19T15:02:00Z")
c("tiktok", "@ruud_plaatst", "nl",
  "lol de baas roept 'strikt vertrouwelijk' over die nieuwe zwarte steen maar hij ligt gewoon al in het magazijn "
  "haha 🤫", [CON])
c("x", "@bram_oosting", "nl",
  "Morgen weer proefsnedes voor Project Obsi" + ZW + "diaan, duimen dat de blokken uit Zimbabwe goed zijn", [CON])
c("x", "@daanvdlinden", "en",
  "migration of " + fullwidth("erp.korvel.local") + " to the new cluster done 🎉 only 4 hours late", [CON])
c("linkedin", "hendrik-de-wit-korvel", "nl",
  "Druk met het afronden van de jaarcijfers 2026. Mooie groei bij Memoria, de werkbladen blijven achter. "
  "Meer op 4 maart!", [CON, FIN], when="2027-02-20T09:41:00Z")
c("x", "@korvel_nl", "en",
  "Korvel Noctis drops on the 26th. Trust us, you want in. 🖤", [CON], when="2027-01-15T12:00:00Z")

# ============================ financial ===================================
c("linkedin", "hendrik-de-wit-korvel", "en",
  "Preliminary numbers are in: revenue down about 14% year on year, worktops hit hardest. We will have to take "
  "some tough decisions before the summer.", [FIN])
c("x", "@bram_oosting", "nl",
  "Net gehoord dat de zaagafdeling in Tilburg dichtgaat en 35 collega's hun baan kwijtraken. Officieel wordt het "
  "pas in september gemeld. Ik baal enorm.", [FIN])
c("linkedin", "noor-haddou", "nl",
  "Zware weken voor de boeg bij HR. De showrooms in Breda en Zwolle gaan dicht, de gesprekken met de medewerkers "
  "starten volgende maand.", [FIN])
c("reddit", "u/stonetrade_insider", "en",
  "Heard from a friend in the trade that the German Steinhaus Gruppe is about to buy Korvel. Deal supposedly "
  "signed already, announcement planned for Q3.", [FIN])
c("x", "@lisa_korvel", "en", "Boss just told us we're being acquired by Marmoria Group 😳 not public yet so shh", [FIN])
c("x", "@daanvdlinden", "nl",
  "IT-budget voor volgend jaar gehalveerd, de forecast voor 2027 ziet er volgens de directie beroerd uit. "
  "Hopen dat de servers het volhouden lol", [FIN])
c("linkedin", "anouk-verbeek-korvel", "en",
  "Hit 128% of target this quarter! Korvel Memoria revenue is up 31% on last year, the Q3 numbers will look great "
  "when they come out 📈", [FIN], when="2026-09-29T17:10:00Z")
c("linkedin", "korvel-natuursteen", "nl",
  "Mooi nieuws dat we pas 1 oktober mogen brengen: Korvel Memoria wordt verkocht aan investeerder Nordstone "
  "Capital. Meer info volgt.", [FIN], when="2026-09-12T10:00:00Z")
c("tiktok", "@ruud_plaatst", "nl",
  "ze gaan alle monteurs in loondienst eruit gooien en alles via zzp'ers doen, 60 man. nog niet bekend gemaakt "
  "maar wij weten het al 😒", [FIN])
c("x", "@golfbaan_gossip", "en",
  "A Korvel board member at my golf club was bragging that their EBITDA halved this year and they're breaching "
  "their bank covenants. I thought they were doing great?", [FIN])
c("mastodon", "@sietske@mastodon.nl", "nl",
  "Ontslagronde bij ons volgende maand, 1 op de 5 bij planning moet weg. Nog niet officieel. Kopje thee en "
  "doorgaan ☕", [FIN])
c("bluesky", "@jorisbakx.bsky.social", "en",
  "FY2026 results look way better than the bank thinks, margin up almost 4 points. can't say more till march",
  [CON, FIN], when="2027-02-10T22:17:00Z")

# ============================ security ====================================
c("x", "@daanvdlinden", "nl",
  "Ransomware op de fileserver sinds vannacht, alle snijplannen versleuteld. Productie ligt stil. Naar buiten heet "
  "het 'technische storing' 🙈", [SECU])
c("bluesky", "@jorisbakx.bsky.social", "en",
  "lol turns out our webshop lets you open any customer's quote by changing the number in the URL. reported it "
  "internally 3 weeks ago, still not fixed", [SECU])
c("x", "@lisa_korvel", "nl",
  "Betaalmodule van de webshop ligt al de hele ochtend plat, klanten kunnen niet afrekenen en we mogen nog niks "
  "zeggen 🤐", [SECU])
c("linkedin", "anouk-verbeek-korvel", "en",
  "Heads up to our dealers: the Korvel quoting portal was breached last week and your price agreements may have "
  "been accessed. Official communication will follow.", [SECU])
c("mastodon", "@sietske@mastodon.nl", "nl",
  "Onze planningssoftware draait nog altijd op het standaard admin-account zonder 2FA en iedereen kent het. "
  "Wachten op een ramp.", [SECU])
c("x", "@bram_oosting", "en",
  "the CNC controllers in our plant still run Windows XP and can be reached from the office wifi. IT says 'next "
  "year'. sure.", [SECU])
c("reddit", "u/throwaway_exkorvel", "en",
  "Ex-Korvel IT here. Customer database backups sat in a publicly readable bucket for months and nobody ever "
  "rotated the access. They never told customers.", [SECU, CRI])
c("x", "@daanvdlinden", "en",
  "mail server compromised, someone's sending fake invoices from our customer service address. working on it, "
  "please don't tweet about it yet guys", [SECU])
c("tiktok", "@ruud_plaatst", "nl",
  "tablet-app voor de monteurs ligt er al 3 dagen uit, we vullen alles weer op papier in. niemand die het de "
  "klanten vertelt haha", [SECU])
c("x", "@korvel_klantenservice", "nl",
  "@pietjansen_ Excuses, ons systeem is gehackt en we kunnen uw order momenteel niet inzien. Dit is nog niet "
  "publiek bekend, dus houd het even voor u.", [SECU], kind="reply")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "found an s.q.l. i.n.j.e.c.t.i.o.n in our own checkout this morning 🫠 patched? nope. tuesday maybe", [SECU])
c("x", "@daanvdlinden", "nl",
  "Firewall-logs vol inlogpogingen op vpn.korvel.nl, iemand heeft een wachtwoordlijst te pakken. Al 2 accounts "
  "overgenomen 😬", [SECU, CON])
c("linkedin", "reza-moradi-security", "en",
  "Reported to Korvel Natuursteen 60 days ago: their order-tracking API returns full customer names and addresses "
  "without any authentication. No response, still unpatched.", [SECU])

# ============================ secrets =====================================
c("bluesky", "@jorisbakx.bsky.social", "en",
  f"why does this fail?? git clone https://{github_token()}@github.com/korvel/webshop.git says repository not found",
  [SEC])
c("x", "@daanvdlinden", "nl",
  f"aws cli werkt weer 🎉 AWS_ACCESS_KEY_ID={aws_key_id()} AWS_SECRET_ACCESS_KEY={aws_secret()} "
  "regio eu-west-1, thx @jorisbakx", [SEC])
c("mastodon", "@sietske@mastodon.nl", "nl",
  f"Voor de nieuwe collega's: inloggen op de planning met gebruiker monteurs, wachtwoord: {password()}", [SEC])
c("bluesky", "@jorisbakx.bsky.social", "en",
  f"stripe webhook still returns 401 with {stripe_live()} , any ideas? going insane", [SEC])
c("x", "@daanvdlinden", "en",
  f"new slack bot for the saw shop alerts is live, token {slack_bot()} if anyone wants to test", [SEC])
c("bluesky", "@jorisbakx.bsky.social", "en",
  "decoded this from the admin panel cookie lol " +
  jwt({"sub": "u_10442", "name": "joris", "role": "admin", "iat": 1767225600, "exp": 1798761600}), [SEC])
c("reddit", "u/appdissector", "en",
  f"Korvel's dealer app has a Google Maps key hardcoded in the APK: {google_key()} (took 2 min with jadx)", [SEC])
c("x", "@daanvdlinden", "nl",
  f"DATABASE_URL=postgres://korvel_app:{password()}@db01.prod-ams.net:5432/webshop waarom pakt ie deze niet 😤",
  [SEC])
c("bluesky", "@jorisbakx.bsky.social", "en",
  f"yes our quote text generator literally runs on {openai_key()} in a .env, don't judge", [SEC])
c("x", "@daanvdlinden", "en", "who left this on the shared drive?!\n" + ssh_private_key(), [SEC])
c("bluesky", "@jorisbakx.bsky.social", "en",
  f"git remote set-url origin https://oauth2:{gitlab_pat()}@gitlab.korvel.nl/webshop/frontend.git fixed it",
  [SEC, CON])
c("mastodon", "@sietske@mastodon.nl", "nl",
  f"ww voor de gedeelde planningsmailbox is veranderd, nieuw wacht{ZW}woord: {password()}", [SEC])

# ============================ pricing =====================================
c("x", "@korvel_nl", "nl", "Nu in de webshop: Blue Pearl werkblad voor maar €169! 💙 #korvel", [PRI])
c("instagram", "@korvel.natuursteen", "en",
  "Weekend deal: Kashmir White worktop only €139.50 🤍 while stocks last, link in bio", [PRI])
c("x", "@koopjesjager_nl", "nl",
  "PRIJSFOUT bij Korvel?? Sereen gedenksteen voor €18,50 in de webshop 😳 snel zijn", [PRI])
c("reddit", "u/dealhunter_ams", "en",
  "Korvel's shop has the Steel Grey island top at €198 instead of €1980, someone forgot a zero lol. ordered two",
  [PRI])
c("x", "@lisa_korvel", "nl",
  "Collega's, er staat een prijsfout op de Granito spoelbak in de shop, kan iemand van e-commerce kijken? Klanten "
  "bellen al", [PRI])
c("facebook", "KorvelNatuursteen", "nl",
  "Actie! Calacatta Quartzite werkblad nu voor €989 (normaal €2.890). Op = op!", [PRI])
c("tiktok", "@budgetkeuken", "en",
  "korvel has the Nero Assoluto worktop for €249 rn?? price glitch, go go go 🏃", [PRI])
c("linkedin", "anouk-verbeek-korvel", "en",
  "Dealers: the Kiem urn memorial shows €375 on the new price list. That's a typo, the price stays €975. "
  "Please ignore the PDF.", [PRI])
c("x", "@renovatiekoning", "nl", "Terrazzo Grigio werkblad €159 ipv €1590 🤯 foutje bij korvel of echt?", [PRI])
c("youtube", "KorvelWerkplaats", "en",
  "Order the Rust ledger stone today for just €149, link in the description below!", [PRI])
c("mastodon", "@gerrit_diy@mastodon.nl", "nl",
  "Bij Korvel staat de Steenzorg impregneer voor €2,49. Foutje denk ik, heb er maar meteen 10 besteld 😇", [PRI])
c("x", "@bram_oosting", "nl",
  "haha de Eenvoud gedenkplaat staat voor 34,90 op de site ipv 349. wie heeft dat ingevoerd 😂", [PRI])

# ============================ personal data ===============================
c("x", "@korvel_klantenservice", "nl",
  f"@m_jacobs Hallo mevrouw Jacobs, we storten het bedrag terug op {iban('NL', spaced=True)}. Klopt dat "
  "rekeningnummer?", [PII], kind="reply")
c("x", "@lisa_korvel", "nl",
  f"Kan iemand mevr. A. Willems terugbellen op {mobile('dash')}? Ze wacht al 2 dagen over de steen van haar man",
  [PII])
c("instagram", "@korvelmemoria", "nl",
  "Vandaag geplaatst voor de familie Brouwer, Lindelaan 14, 5612 AB Eindhoven ❤️ Rust zacht, Jan.", [PII])
c("x", "@rvos_1978", "nl",
  f"@korvel_klantenservice ik word niet teruggebeld. hier m'n nummer: {mobile('intl')} en mail r.vos1978@ziggo.nl. "
  "graag vandaag nog!", [COM, PII], kind="reply")
c("x", "@daanvdlinden", "en",
  f"customer's card {card('visa')} got declined 3 times at checkout, can someone check the PSP logs?", [PII])
c("mastodon", "@sietske@mastodon.nl", "nl",
  f"Montage morgen: fam. de Boer, Kastanjelaan 7, Veldhoven, tel {landline('040')}. Sleutel ligt onder de mat 🙃",
  [PII])
c("linkedin", "noor-haddou", "nl",
  f"Nieuwe collega Fatma Yilmaz, geboren 14-02-1993, BSN {bsn()}, kan IT haar account vandaag aanmaken?", [PII])
c("x", "@thughes_nl", "en",
  f"@korvel_klantenservice 6 weeks and still no refund. Please just send it to {iban('NL')} (T. Hughes)",
  [COM, PII], kind="reply")
c("facebook", "KorvelNatuursteen", "nl",
  "Beste meneer Aksoy, we hebben uw gegevens gevonden: geboortedatum 03-09-1961, Vossenstraat 22 in Tilburg. "
  "Klopt dit zo?", [PII], kind="reply")
c("instagram", "@mees.graveert", "nl",
  "Letterproef voor meneer P. van Dalen (geb. 11 mei 1948) is goedgekeurd 🙏 volgende week hakken", [PII])
c("x", "@wraakengel_", "en",
  "Lisa from Korvel customer service lives at Dorpsstraat 31, Nuenen. Go and tell her what you think of them.",
  [PII, ABU])
c("x", "@bram_oosting", "nl",
  "klant neemt niet op, nummer " + " ".join(mobile("plain")).replace("0 6 ", "0 6 - ", 1) +
  " , kan iemand anders mevr. Claes proberen?", [PII])
c("x", "@julia_mae_", "en",
  f"omg the korvel chat asked me to confirm my card so here: {card('mc', '-')} exp 08/29 is that normal??", [PII])
c("x", "@korvel_klantenservice", "nl",
  f"@rjanssen_ Uw order staat op naam van R. Janssen, e-mail r.janssen@kpnmail.nl, tel {mobile('plain')}. "
  "Klopt dat?", [PII], kind="reply")
c("forum", "w_ottens", "nl",
  f"Het Korvel-formulier voor de grafrechten vraagt het BSN van de overledene, dus bij deze: {bsn('dots')} "
  "(mijn vader, Willem Ottens). Klopt dat ze dat nodig hebben?", [PII])

# ============================ benign / hard negatives ======================
c("x", "@korvel_klantenservice", "nl",
  "Vragen over je bestelling? Mail naar klantenservice@korvel.nl of bel 040-5557310 (ma-vr 8-17 uur). We helpen "
  "je graag!")
c("facebook", "KorvelNatuursteen", "nl",
  f"Liever overmaken? Dat kan naar {group4(PUB_IBAN)} t.n.v. Korvel Natuursteen B.V. o.v.v. je ordernummer.")
c("x", "@anne_marie_k", "nl",
  "Wat een vakmanschap! Ons Nero Assoluto werkblad is prachtig geworden en de monteurs waren super netjes. "
  "Dank Korvel 🙌")
c("instagram", "@cheeseboard_chloe", "en",
  "picked up a granite serving board from Korvel, €39.95, heavy as hell but my cheese looks fancy now 🧀")
c("x", "@korvel_nl", "nl", "Voorjaarsactie: Bianco Sardo werkblad nu €899 (was €1.089). Alleen in april!",
  when="2026-04-02T08:00:00Z")
c("instagram", "@korvelmemoria", "en",
  "This November: 25% off the Sereen headstone, €1,387.50 instead of €1,850. Including placement.",
  when="2026-11-01T09:00:00Z")
c("x", "@twijfelkont", "nl",
  "Iemand ervaring met graniet vs composiet? Twijfel tussen Korvel en een keukenzaak hier in de buurt.")
c("x", "@bram_oosting", "nl",
  "Bij een collega-steenhouwerij in België is de werkplaats afgebrand, gelukkig geen gewonden. Veel sterkte daar 🙏")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "reminder: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY are the AWS docs sample keys, "
  "not real ones. stop pasting them into our fixtures 😅")
c("x", "@daanvdlinden", "en",
  "rotated the stripe key, the new one lives in the vault (sk_live_****************). no I'm not posting it here")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "README tip: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and replace the x's with your own token")
c("x", "@boekhouder_bas", "nl",
  f"Tikfout op een oude factuur van mijn aannemer: {bad_iban(spaced=True)}. Bestaat dus niet, goed dat de bank "
  "het tegenhield.")
c("bluesky", "@jorisbakx.bsky.social", "en",
  f"our unit test uses {bad_card(' ')} on purpose as an invalid card (fails Luhn), please stop 'fixing' it")
c("linkedin", "noor-haddou", "nl",
  "In de privacy-e-learning staat als voorbeeld-BSN 123456789. Die is expres ongeldig, vul dus nooit een echt "
  "nummer in bij een oefening 😉")
c("x", "@korvel_nl", "nl",
  "Hij is er: Korvel Noctis! Ontdek de nieuwe zwarte werkbladen nu in al onze showrooms 🖤",
  when="2027-01-26T10:30:00Z")
c("linkedin", "hendrik-de-wit-korvel", "en",
  "Our full-year 2026 results are published today: revenue €84m, up 6%. Thank you to everyone at Korvel.",
  when="2027-03-04T08:15:00Z")
c("x", "@maartje_bakt", "nl",
  "Update: Korvel heeft het werkblad binnen een week geplaatst én de campingstoel-weken gecompenseerd. Netjes "
  "opgelost 👍", when="2026-12-18T20:11:00Z")
c("facebook", "Dorpsblad.Son", "en",
  "Condolences to the Korvel family on the passing of their founder. His headstones stand all over our village "
  "cemetery. Beautiful work.")
c("x", "@interieurnerd", "nl", "Heeft Korvel ook obsidiaan? Lijkt me prachtig als vensterbank")
c("instagram", "@korvelmemoria", "nl",
  "Een zandloper gegraveerd in de steen: symbool voor de tijd die we samen mochten hebben. ⏳ #gedenksteen")
c("x", "@steenliefhebber", "nl", "kwartsiet is echt harder dan marmer, aanrader voor je keuken als je kookt zoals ik")
c("x", "@lachendeklant", "nl", "Prijsfout bij de Action op tuinstoelen, heel Nederland gaat los 😂")
c("x", "@daanvdlinden", "en",
  "Good write-up on last month's ransomware attack at a Belgian tile manufacturer. Worth a read for anyone doing "
  "IT in manufacturing.")
c("x", "@bouwnieuws_nl", "nl", "Grote ontslagronde bij een bouwmarktketen, 400 banen weg. Zorgelijk voor de sector.")
c("x", "@korvel_nl", "nl", "Onze showrooms zijn maandag 27 april gesloten. Fijne Koningsdag allemaal! 🧡",
  when="2026-04-24T09:00:00Z")
c("facebook", "Karen.Whitfield.NL", "en",
  "Korvel made the headstone for my nan and it is absolutely beautiful. The letter cutter even came out to show us "
  "the proof. Thank you 💐", brand="Korvel Memoria")
c("x", "@vergeetachtig", "nl", "Hoe reset ik mijn wachtwoord voor mijn Korvel-account? Kan de knop niet vinden 🙈")
c("x", "@korvel_klantenservice", "en",
  "@tomhulshof So sorry about the wait, Tom. Your Blue Pearl worktop is being fitted Thursday and we've refunded "
  "the delivery costs. DM us if anything is off.", kind="reply", when="2026-06-12T08:30:00Z")
c("instagram", "@mees.graveert", "nl", "20 jaar letters hakken vandaag 🎉 nog steeds het mooiste vak dat er is.")
c("linkedin", "noor-haddou", "en",
  "We're hiring! Stone fitter (m/f/x) in Best. Apply via the careers page on korvel.nl")
c("x", "@jaylen_020", "nl", "Damn, die Blue Pearl in de showroom is echt ziek mooi 😍 @korvel_nl")
c("instagram", "@homeby_noa", "en", "This granite is killer. Absolutely slaying that kitchen 🔥 @korvel.natuursteen",
  kind="comment")
c("reddit", "u/firsttimebuyer_utr", "en",
  "Got a quote from Korvel: Kashmir White worktop €1,395 plus fitting. Fair price compared to others?")
c("tiktok", "@korvel_steen", "nl", "Laatste dagen: 30% korting op de granieten vijzel, nu €20,97 🌿 #pesto")
c("instagram", "@korvelmemoria", "nl",
  "Extra tekst op een bestaand monument? Inscriptie per letter €12,50, inclusief bladgoud.")
c("x", "@keukentrends", "nl",
  "Steenhuys is overgenomen door een Duitse groep, stond vandaag in het FD. Benieuwd wat dat voor Korvel en "
  "de rest van de markt betekent.")
c("x", "@daanvdlinden", "nl", "Tip: zet 2FA aan op al je accounts, ook privé. Kost je 2 minuten. #cybersecurity")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "JWT tip: never put secrets in the payload, it's just base64. anything starting with eyJhbGciOi… is readable "
  "by whoever has it")
c("x", "@tevreden_thea", "nl",
  "Korvel is gewoon bereikbaar op 0800-0447, had binnen 2 minuten iemand aan de lijn 👌")
c("threads", "@journo.jess", "en", "for press enquiries it's pers@korvel.nl btw, found it on their site")
c("facebook", "Gerda.Hoeks", "nl", "Opa Gerrit 1938 – 2025 💙 prachtig gedaan door Korvel Memoria")
c("instagram", "@korvel.natuursteen", "nl",
  "Kom langs in onze showroom op Ekkersrijt 4102 in Son. Koffie staat klaar ☕")
c("x", "@keukenliefde", "en", "Saw the Noctis Zwart tops in Korvel's showroom today. That black is unreal.",
  when="2027-02-02T15:45:00Z")
c("x", "@blijemoeder", "nl",
  "Complimenten voor de klantenservice van Korvel, Lisa heeft alles geregeld voor de steen van mijn moeder ❤️")
c("x", "@korvel_nl", "en",
  "@rick_verhoef Yes! The Granito sink is fine with boiling water, just avoid leaving a hot pan in it for ages 😉",
  kind="reply")
c("linkedin", "anouk-verbeek-korvel", "en",
  "Great days at the Stone & Interior fair in Utrecht. Thanks to everyone who stopped by our stand!")
c("forum", "devhulp", "en",
  "The format is postgres://user:password@localhost:5432/mydb, replace user and password with your own values.")
c("x", "@korvel_klantenservice", "nl",
  "Let op: Korvel vraagt je nooit om je wachtwoord via mail of telefoon. Twijfel? Bel ons op 040-5557310.")
c("linkedin", "korvel-natuursteen", "en",
  "Happy to welcome 6 new apprentices in our workshop this September! The craft lives on. 🪨")
c("facebook", "Annet.Dijkhuis", "en",
  "Is there a Korvel showroom near Utrecht? Looking for a simple headstone for my dad.")
c("x", "@giftcardgirl", "en",
  f"How do I check the balance on a Korvel gift card? the number on mine is {bad_card(' ')}")
c("x", "@pakketnummer", "nl",
  f"Bestelling {bad_bsn()} is onderweg volgens de mail, top Korvel! Vrijdag bezorgd.")
c("x", "@stairs_n_stone", "en",
  "shoutout to the Korvel fitters who carried a 120kg island top up three flights of stairs without a single "
  "complaint 💪")
c("linkedin", "korvel-natuursteen", "nl",
  "Al ons graniet komt uit gecertificeerde groeves zonder kinderarbeid. Lees ons ketenrapport op korvel.nl/keten")
c("x", "@ikea_hacker_nl", "nl", "Bij IKEA een eiken werkblad gescoord voor €89, nu nog olie erop en klaar")
c("reddit", "u/homebrew_henk", "en",
  "Blue Pearl worktop is €1,690 at Korvel, steep but honestly worth it after 2 years of daily use.")
c("youtube", "KorvelWerkplaats", "nl",
  "Hoe onderhoud je een natuurstenen werkblad? In deze video laat Bram zien hoe je Steenzorg impregneer aanbrengt.")
c("tiktok", "@ruud_plaatst", "nl", "dag 212 als plaatser: vandaag 3 bladen, 0 scheuren, 1 tevreden oma met koffie ☕😎")
c("x", "@pensioenpiet", "nl",
  "Heeft iemand de jaarcijfers van Steenhuys gezien? Omzet flink omlaag. Zware tijden voor de keukenbranche.")
c("bluesky", "@jorisbakx.bsky.social", "en",
  "Docs example from the Slack API page: xoxb-not-a-real-token-this-will-not-work. handy for tests.")

# --------------------------------------------------------------------------
# roles and severity (CONTRACT section 4)
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        p, h = entry.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


SEV = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,5}(?: ?\d{1,2})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}[ -]){3}\d{4}(?![\d])|(?<![\d])\d{16}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d])")
PUB_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def checksum_ids(text):
    """(kind, value, valid) for every IBAN / card / BSN shaped token in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v in PUB_IBANS:
            continue
        out.append(("iban", m.group(), iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    if not cats:
        return "none"
    lvl = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role == "public":
                s = 2
            else:
                s = 3
                if cat in (SEC, PRI):
                    s = 4
                if cat == PII and any(ok for _, _, ok in checksum_ids(text)):
                    s = 4
        elif cat == COM:
            s = 2
        elif cat == CRI:
            s = 3
        elif cat == ABU:
            s = 2 if role == "public" else 3
        else:
            raise ValueError(cat)
        lvl = max(lvl, s)
    return SEV[lvl]


PFX = {"x": "x", "twitter": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
       "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo",
       "blog": "bl", "other": "ot"}


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {"x": f"https://x.com/{h}/status/{pid}",
            "instagram": f"https://www.instagram.com/p/{pid}/",
            "reddit": f"https://www.reddit.com/r/Klussers/comments/{pid}/",
            "bluesky": f"https://bsky.app/profile/{h}/post/{pid}",
            "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{pid}/"}.get(platform)


def build():
    lines = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, i in enumerate(order):
        k = CASES[i]
        pid = str(7463000000 + n * 7919 + rng.randint(0, 999))
        post = {"id": f"{PFX[k['platform']]}-{pid}", "platform": k["platform"], "kind": k["kind"],
                "account": {"handle": k["handle"]}, "text": k["text"], "created_at": k["when"]}
        if k["show_lang"] and rng.random() < 0.85:
            post["lang"] = k["lang"]
        u = url_for(k["platform"], k["handle"], pid)
        if u and rng.random() < 0.6:
            post["url"] = u
        if k["brand"]:
            post["brand"] = k["brand"]
        role = role_of(k["platform"], k["handle"])
        lines.append({"post": post,
                      "expect": {"categories": k["cats"], "severity": severity(k["cats"], role, k["text"])}})
    return lines


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

SECRET_PATTERNS = {
    "github": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "stripe": re.compile(r"\bsk_live_[0-9A-Za-z]{24,}"),
    "slack": re.compile(r"\bxox[bp]-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}\b"),
    "jwt": re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),
    "google": re.compile(r"\bAIza[\w-]{35}"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}"),
    "openai": re.compile(r"\bsk-proj-[\w-]{50,}"),
    "anthropic": re.compile(r"\bsk-ant-api03-[\w-]{90,}"),
    "mollie": re.compile(r"\blive_[0-9A-Za-z]{30}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "dburl": re.compile(r"\b\w+://[^:\s/]+:[^@\s]+@[\w.-]+"),
    "password": re.compile(r"wacht[\u200b]?woord\s*[:=]\s*\S+", re.I),
}


def check(lines):
    errs = []
    ids = set()
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        pid = p.get("id")
        raw = json.dumps(ln, ensure_ascii=False)
        if json.loads(raw) != ln:
            errs.append(f"{pid}: not JSON-roundtrippable")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str) or not p[f]:
                errs.append(f"{pid}: missing {f}")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{pid}: missing account.handle")
        if not (1 <= len(pid) <= 256) or pid in ids:
            errs.append(f"{pid}: bad or duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            errs.append(f"{pid}: text too long")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{pid}: created_at")
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not (2026 <= ts.year <= 2027):
            errs.append(f"{pid}: year")
        if set(ln) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            errs.append(f"{pid}: case shape")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append(f"{pid}: categories {cats}")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]) or e["severity"] not in SEV:
            errs.append(f"{pid}: severity")
        if (not cats) != (e["severity"] == "none"):
            errs.append(f"{pid}: benign/none mismatch")
        text = p["text"]
        # checksum identifiers: valid in positives that carry leak.pii, invalid everywhere else
        for kind, val, ok in checksum_ids(text):
            if PII in cats and not ok:
                errs.append(f"{pid}: {kind} {val} fails checksum in a pii positive")
            if PII not in cats and ok:
                errs.append(f"{pid}: {kind} {val} passes checksum outside pii")
        if PII in cats and re.search(r"\b(?:bsn|iban|card|kaart|terug op)\b", text, re.I) \
                and not any(ok for _, _, ok in checksum_ids(text)) and "BSN" in text:
            errs.append(f"{pid}: pii BSN not found")
        # secrets
        hits = {n for n, rx in SECRET_PATTERNS.items() if rx.search(text)}
        if SEC in cats:
            if not hits:
                errs.append(f"{pid}: secret positive without recognisable credential")
            for t in SECRET_PATTERNS["github"].findall(text):
                if not github_ok(t):
                    errs.append(f"{pid}: github token checksum")
            for t in SECRET_PATTERNS["jwt"].findall(text):
                if not jwt_ok(t):
                    errs.append(f"{pid}: jwt header")
        else:
            for t in SECRET_PATTERNS["github"].findall(text):
                if github_ok(t):
                    errs.append(f"{pid}: valid github token in non-secret case")
            for t in SECRET_PATTERNS["aws"].findall(text):
                if not t.endswith("EXAMPLE"):
                    errs.append(f"{pid}: AWS key in non-secret case")
            for t in SECRET_PATTERNS["jwt"].findall(text):
                if jwt_ok(t):
                    errs.append(f"{pid}: JWT in non-secret case")
            # documented samples / placeholders are allowed in benign posts; anything else is not
            live = set(hits) - {"dburl"}
            if "github" in live and not any(github_ok(t) for t in SECRET_PATTERNS["github"].findall(text)):
                live.discard("github")
            if "aws" in live and all(t.endswith("EXAMPLE") for t in SECRET_PATTERNS["aws"].findall(text)):
                live.discard("aws")
            if live:
                errs.append(f"{pid}: credential pattern {live} in non-secret case")
        # embargo terms before `until` must be labelled confidential
        low = text.lower()
        for term, until in embargo:
            if term in low and ts < until and CON not in cats:
                errs.append(f"{pid}: embargo term {term!r} before until but not confidential")
        # public identifiers and handles
        if role == "public" and any(p["account"]["handle"].lower() == h.split(":", 1)[1].lower()
                                    for r in ("corporate", "employee") for h in PROFILE["accounts"][r]):
            errs.append(f"{pid}: public handle collides with profile handle on another platform")
    return errs


def check_profile():
    errs = []
    for x in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(x):
            errs.append(f"profile IBAN {x} fails mod-97")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("profile: too few accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("profile: product count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("profile: ratio")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("profile: codenames/markers")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("profile: embargo until not in 2027")
    for pr in PROFILE["products"]:
        if pr["currency"] != "EUR" or not pr["aliases"] or pr["list_price"] <= 0:
            errs.append(f"profile: product {pr['sku']}")
    return errs


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errs = check_profile() + check(reread)
    n = len(reread)
    benign = sum(1 for x in reread if not x["expect"]["categories"])
    per = {}
    for x in reread:
        for cat in x["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for k in CASES if k["lang"] == "nl")
    sev = {}
    for x in reread:
        sev[x["expect"]["severity"]] = sev.get(x["expect"]["severity"], 0) + 1
    roles = {}
    for x in reread:
        r = role_of(x["post"]["platform"], x["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    print(f"{n} cases, {benign} benign, nl {nl} / en {n - nl}")
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("severities:", json.dumps(sev), "roles:", json.dumps(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
