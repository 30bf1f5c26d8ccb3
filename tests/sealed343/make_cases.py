#!/usr/bin/env python3
"""Evaluation set 343 for postwatch: Schemerhof Lighting B.V. (fictional LED / smart
street-lighting manufacturer).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own published identifiers excepted);
  * generated credentials are well-formed (GitHub CRC-32, AWS key id alphabet, JWT header);
  * embargo terms before `until` are labelled leak.confidential, benign ones are after it;
  * pricing positives name a catalogue product with a price under the alert ratio (or talk
    of a price error), benign prices are not under it.
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
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(343)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rstr(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "GB": 22, "DE": 22, "BE": 16}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return cc + "%02d" % (98 - n % 97) + bban


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            bsn = "".join(map(str, d)) + str(s)
            if bsn_ok(bsn):
                return bsn


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- credentials
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rstr(30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_id():
    return "AKIA" + rstr(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rstr(40, string.ascii_letters + string.digits + "/+")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1780000000 + rng.randint(0, 9000000)
    payload = b64url(json.dumps({"sub": "svc-planning", "iss": "citygrid-api", "role": "dispatcher",
                                 "iat": iat, "exp": iat + 30 * 86400}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def ssh_key():
    def sstr(b):
        return len(b).to_bytes(4, "big") + b
    pub = sstr(b"ssh-ed25519") + sstr(bytes(rng.randrange(256) for _ in range(32)))
    chk = bytes(rng.randrange(256) for _ in range(4))
    priv = (chk + chk + sstr(b"ssh-ed25519") + sstr(pub[-32:])
            + sstr(bytes(rng.randrange(256) for _ in range(64))) + sstr(b"deploy@ota-01") + b"\x01\x02\x03\x04\x05")
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + (1).to_bytes(4, "big") + sstr(pub) + sstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "-_"

GEN = {
    "GHP1": github_token("ghp_"),
    "AWSID1": aws_id(), "AWSSECRET1": aws_secret(),
    "AWSID2": aws_id(), "AWSSECRET2": aws_secret(),
    "STRIPE1": "sk_live_" + rstr(24),
    "SLACK1": "xoxb-" + str(rng.randint(10**11, 10**12 - 1)) + "-" + str(rng.randint(10**12, 10**13 - 1)) + "-" + rstr(24),
    "OPENAI1": "sk-proj-" + rstr(64, URLSAFE) + "T3BlbkFJ" + rstr(64, URLSAFE),
    "ANTKEY": "sk-ant-api03-" + rstr(93, URLSAFE) + "AA",
    "GLPAT": "glpat-" + rstr(20, URLSAFE),
    "SSHKEY1": ssh_key(),
    "JWT1": jwt(),
    "IBAN1": group4(make_iban("NL", "RABO" + "".join(rng.choice(string.digits) for _ in range(10)))),
    "IBAN2": group4(make_iban("GB", "NWBK" + "".join(rng.choice(string.digits) for _ in range(14)))),
    "CARD1": group4(make_card("4532")),
    "CARD2": group4(make_card("5413")),
    "BSN1": make_bsn(),
    "BSN2": make_bsn(),
    "COMPANY_IBAN": group4(PROFILE["public_identifiers"]["ibans"][0]),
}
# format the second BSN the way it is often written on paper: 1234.56.789
GEN["BSN2"] = GEN["BSN2"][:4] + "." + GEN["BSN2"][4:6] + "." + GEN["BSN2"][6:]


def fill(text):
    def rep(m):
        return GEN[m.group(1)]
    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text)


# ---------------------------------------------------------------- cases
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "secret": "leak.secret", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
CASES = []


def P(cats, platform, handle, lang, text, kind=None, at=None):
    CASES.append(dict(cats=[CAT[c] for c in cats], platform=platform, handle=handle, lang=lang,
                      text=text, kind=kind, at=at))


# ======================= reputation.complaint (single) =======================
P(["complaint"], "x", "@bas_klust", "nl",
  "Alweer een Lumen 9W die de geest geeft. Derde in een half jaar. 'Gaat 15 jaar mee' staat er op de doos 🙄 @schemerhof_help")
P(["complaint"], "reddit", "u/harbourlights", "en",
  "Schemerhof Home Bridge drops off my wifi every single night around 3am. Support's answer is "
  "'have you tried restarting it'. Yes. Forty times. Anyone found an actual fix or do I just return the thing?")
P(["complaint"], "x", "@noor_tuin", "nl",
  "@schemerhof_help 16 dagen geleden een Tuinpiek set besteld, nog steeds geen track & trace en mijn mails "
  "worden niet beantwoord. Wat is hier aan de hand?", kind="reply")
P(["complaint"], "facebook", "Gerrit.Wolters.71", "nl",
  "Sinds de gemeente die nieuwe StraatSlim lampen van Schemerhof heeft neergezet schijnt er een soort bouwlamp "
  "recht mijn slaapkamer in. Gemeente zegt 'bel Schemerhof', Schemerhof zegt 'bel de gemeente'. Ondertussen "
  "slaap ik met een zonnebril op.")
P(["complaint"], "x", "@jwhitfield", "en",
  "@schemerhof_help the TwistDim hums like a mosquito anywhere under 50%. Sent it back on the 3rd, still no "
  "refund. What's the holdup?", kind="reply")
P(["complaint"], "instagram", "@sanne.woont", "nl",
  "Glowline ledstrip na drie weken: de helft is ineens blauwig ipv warm wit. Zo jammer, zag er eerst echt mooi "
  "uit in de keuken 😕 #schemerhof #ledstrip")
P(["complaint"], "x", "@frankiedj", "en",
  "schemerhof app logged me out AGAIN and now my lights won't turn on. am i supposed to find the loo with my "
  "phone torch or what")
P(["complaint"], "linkedin", "peter-oakes-facilities", "en",
  "Ordered 12 Vlak 60x60 panels from Schemerhof for our office refit. Four arrived with cracked diffusers, the "
  "boxes looked like they'd been used for football practice. Replacement 'within 10 working days'. Not great "
  "when the electrician is booked for Monday.")
P(["complaint"], "x", "@mirjam_p", "en",
  "45 minutes on hold with Schemerhof customer service and then the line just drops. I'm done.")
P(["complaint"], "forum", "tweakerbart", "nl",
  "Iemand ervaring met de Nachtoog sensor van Schemerhof? Die van mij reageert pas als ik al halverwege de oprit "
  "sta, gevoeligheid op max. Voor €79 verwacht ik toch wel iets meer dan dit.")

# ======================= first-hand harm: crisis + complaint =======================
P(["crisis", "complaint"], "x", "@ilse_b", "nl",
  "Gisteravond begon mijn Lumen Smart lamp in de gang te smeulen, fitting helemaal zwart en het hele huis rook "
  "naar verbrand plastic. Als ik niet thuis was geweest... @schemerhof_help dit is echt niet oké, ik wil weten "
  "wat hier aan de hand is")
P(["crisis", "complaint"], "reddit", "u/sparkymcgee", "en",
  "PSA: got a proper jolt off my Schemerhof Glowline power adapter while plugging it in. Arm was tingling for an "
  "hour. The casing has a gap near the prongs, you can literally see the metal through it. How is this on sale in the EU?")
P(["crisis", "complaint"], "facebook", "Marieke.Pronk", "nl",
  "Onze dochter komt al weken met hoofdpijn thuis en gisteren kreeg ze een migraineaanval in de klas. Juf heeft "
  "het uitgezocht: de Vlak panelen van Schemerhof die deze zomer zijn opgehangen flikkeren. Wij hebben thuis "
  "precies dezelfde in de studeerkamer en daar heeft ze het ook. Wie gaat dit oplossen??")
P(["crisis", "complaint"], "x", "@dan_fixes", "en",
  "Installed a Schemerhof TwistDim last month. Tonight it got hot enough to melt the wall plate, I smelled it "
  "before I saw it. Could have burned the house down. Absolutely livid.")
P(["crisis", "complaint"], "x", "@wiebe_fietst", "nl",
  "Vanochtend op de fiets tegen een omgewaaide lichtmast van Schemerhof geknald, lag gewoon half over het "
  "fietspad. Pols gebroken. Die dingen staan er pas twee maanden! Wie gaat dit betalen?")

# ======================= reputation.crisis (single) =======================
P(["crisis"], "x", "@nieuws_apeldoorn", "nl",
  "Gemeente Apeldoorn haalt ruim 2.000 lichtmasten van Schemerhof weg na brand in een armatuur aan de Laan van "
  "Westenenk. Onderzoek naar de oorzaak loopt. #Apeldoorn")
P(["crisis"], "x", "@privacyfirst_jo", "en",
  "#BoycottSchemerhof — their 'smart' CityNode streetlights log every phone that walks past. Tell your council "
  "not to renew the contract. RT if you agree.")
P(["crisis"], "tiktok", "@dataweetje", "en",
  "So Schemerhof is just selling the location data from those smart lampposts to marketing companies?? That's a "
  "massive data breach, how is this even legal 😳 #privacy #schemerhof")
P(["crisis"], "x", "@omroep_gld", "nl",
  "Provincie Gelderland stapt naar de rechter: Schemerhof zou kapotte slimme verlichting langs provinciale wegen "
  "niet hebben gerepareerd ondanks garantie. De provincie eist €3,2 miljoen.")
P(["crisis"], "bluesky", "@homesafety.bsky.social", "en",
  "Recall notice: Schemerhof is recalling Tuinpiek garden light sets sold between March and June over a fire "
  "risk in the transformer. Check the batch number on the plug.")
P(["crisis"], "x", "@tvkijker_nl", "nl",
  "Zit net naar Zembla te kijken. Schemerhof heeft dus jarenlang te gunstige energielabels op de dozen gezet. "
  "Wat een schandaal.")
P(["crisis"], "reddit", "u/oakfield_dad", "en",
  "Kid on our street got a shock touching a Schemerhof streetlight pole where the service hatch was hanging open. "
  "He's in hospital, stable. Council says they're 'investigating'. Check the poles in your neighbourhood.")
P(["crisis"], "x", "@weert_actueel", "nl",
  "Grote brand bij de fabriek van Schemerhof op het industrieterrein in Weert. Rookpluim tot ver in de omtrek, "
  "houd ramen en deuren gesloten. #NLAlert")
P(["crisis"], "facebook", "Henk.Scholte.Echt", "nl",
  "Niks meer kopen bij Schemerhof zolang ze Chinese chips met afluistermogelijkheden in onze lantaarnpalen "
  "stoppen. DELEN!! #boycot")
P(["crisis"], "x", "@mk_tech", "en",
  "A class action is being put together against Schemerhof over the Home Bridge update that bricked thousands of "
  "units. Lawyers are collecting names this week.")

# ======================= complaint + abuse =======================
P(["complaint", "abuse"], "x", "@rickvanos", "nl",
  "Klantenservice van Schemerhof is echt een stelletje incompetente debielen. Drie keer gebeld over m'n kapotte "
  "SolarPaal, drie keer een ander verhaal. Clowns.")
P(["complaint", "abuse"], "x", "@gaz_makes", "en",
  "@schemerhof_help your Home Bridge update bricked my entire setup and you want me to 'log a ticket'? useless "
  "pricks, the lot of you", kind="reply")
P(["complaint", "abuse"], "x", "@dennis040", "nl",
  "k4nk3rb3drijf. Hallux na 2 maanden al dood in de werkplaats en niemand die reageert op m'n mails @schemerhof_help")

# ======================= reputation.abuse (single) =======================
P(["abuse"], "x", "@xxmeindertxx", "nl",
  "Die Marloes van Schemerhof marketing is echt de domste trut die ik ooit in een reclame heb gezien. Wie heeft "
  "haar aangenomen?")
P(["abuse"], "x", "@oldsparky", "en",
  "Schemerhof's CEO is a lying scumbag. Hope he chokes on his bonus.")
P(["abuse"], "facebook", "Ria.Koster.22", "nl",
  "Weer zo'n hoofddoek aan de telefoon bij Schemerhof. Leer eerst eens fatsoenlijk Nederlands of ga terug naar "
  "je eigen land.")
P(["abuse"], "x", "@lampenhater", "nl",
  # Cyrillic look-alikes: е (U+0435), о (U+043E), а (U+0430)
  "Schemerhof zijn \u0435\u0435n st\u0435ll\u0435tj\u0435 kl\u043e\u043etz\u0430kk\u0435n, allemaal")
P(["abuse"], "reddit", "u/grumpy_sparks", "en",
  "f*** schemerhof and f*** every clown who works there, honestly")
P(["abuse"], "x", "@kevin_vdlinde", "nl",
  "@janvink_ dan repareer je je lamp toch lekker zelf, sukkel", kind="reply")
P(["abuse"], "x", "@dirkhoekstra_led", "en",
  "Another braindead councillor asking if our LEDs 'spread 5G'. Morons, every single one of them.")
P(["abuse"], "instagram", "@truckerjoost", "nl",
  "@yara.bouzid.design ik weet waar je werkt hoor. ik wacht je wel op bij de uitgang, eens kijken of je dan nog "
  "zo lacht", kind="comment")
P(["abuse"], "x", "@spl1t_", "nl",
  "S c h e m e r h o f  =  k u t b e d r i j f")

# ======================= leak.pii =======================
P(["pii"], "x", "@schemerhof_help", "nl",
  "@hbakker_ehv Dag meneer Bakker, we sturen de vervangende Lumen Smart naar Lindelaan 14, 5611 AB Eindhoven. "
  "Klopt dat adres nog?", kind="reply")
P(["pii"], "x", "@schemerhof_help", "nl",
  "@ans_jansen Excuses voor het wachten, mevrouw Jansen! Een collega belt u vanmiddag terug op 06-41829375.",
  kind="reply")
P(["pii"], "facebook", "SchemerhofLighting", "nl",
  "Hoi Joris, de terugbetaling van €219 voor de Beacon 100 is vandaag overgemaakt naar J.P. de Wit, <<IBAN1>>. "
  "Reken op 1 à 2 werkdagen.", kind="comment")
P(["pii"], "linkedin", "anouk-verhoeven-hr", "nl",
  "Kan iemand van de salarisadministratie even kijken waarom Daan Meijer niet in het systeem komt? BSN <<BSN1>>, "
  "startdatum 1 september. Hij moet wel zijn eerste salaris krijgen 😅")
P(["pii"], "x", "@dirkhoekstra_led", "nl",
  "Voor wie de wethouder van Oss zoekt over de aanbesteding: Karin Mulder, privé k.mulder1971@gmail.com of "
  "06 19 44 27 81, werkt sneller dan via de griffie")
P(["pii"], "linkedin", "sander-koopmans-shf", "en",
  "Finance, can you retry this one? Customer Peter Hall, card <<CARD1>> exp 09/28, the order for 40 "
  "StraatSlim 120 units keeps failing at checkout.")
P(["pii"], "bluesky", "@schemerhof.bsky.social", "en",
  "Hi Emma Clarke, your replacement Home Bridge is on its way to 22 Birchfield Road, Leeds LS6 2QT. Let us know "
  "when it lands!", kind="reply")
P(["pii"], "instagram", "@yara.bouzid.design", "nl",
  "Gefeliciteerd Fleur de Groot, onze beste modelmaker! Geboren op 12-03-1992 en nog steeds de jongste van geest 🎂🎉")
P(["pii", "complaint"], "x", "@roos_vermeulen", "nl",
  "@schemerhof_help bel me nou gewoon even, 06 23 84 71 90, of mail naar r.vermeulen@ziggo.nl. Al drie weken "
  "geen antwoord over mijn kapotte Parkline paaltjes", kind="reply")
P(["pii", "complaint"], "x", "@callum_r", "en",
  "@schemerhof_help third time I'm sending this: my IBAN is <<IBAN2>>. The refund for the returned panels was "
  "promised 5 weeks ago. Where is it?", kind="reply")
P(["pii"], "x", "@marco_vl", "nl",
  "Portemonnee gevonden bij de Jumbo in Veldhoven, van Henk van Dam, monteur bij Schemerhof volgens zijn pasje. "
  "Adres op het rijbewijs: Kerkstraat 8, 5504 Veldhoven. Henk, stuur me een DM!")
P(["pii"], "reddit", "u/nosy_neighbour_uk", "en",
  "The Schemerhof installer left a work order on my doorstep that's meant for next door: 'Mrs. A. Verbeek, "
  "06-51234987, BSN <<BSN2>>'. Dropping it round to her now.")
P(["pii"], "forum", "lichtpuntje_shop", "nl",
  "Bestelling doorgezet naar Schemerhof voor klant Piet Hendriks, geb. 04-07-1958, tel 0493-312845. Levering "
  "Tuinpiek set graag voor vrijdag.")
P(["pii"], "threads", "@tim.schemerhof", "nl",
  "Wie pakt deze op? Mevr. de Boer, Dorpsstraat 3 in Best, wil dat de lichtmast voor haar raam 2 meter opschuift. "
  "Ze is bereikbaar op 06-28471936.")
P(["pii"], "x", "@lisa_nachtploeg", "nl",
  "Tankpas van de bus kwijt 🤦‍♀️ als iemand hem vindt bij de Shell in Helmond: <<CARD2>>, op naam van "
  "Schemerhof Lighting. DM me!")

# ======================= leak.secret =======================
P(["secret"], "x", "@kevin_vdlinde", "nl",
  "iemand enig idee waarom de pipeline blijft falen? heb GH_TOKEN=<<GHP1>> gewoon in de env gezet maar hij "
  "zegt nog steeds 401 🤔")
P(["secret"], "reddit", "u/gertjan_fw", "en",
  "boto3 keeps throwing AccessDenied on our firmware bucket, what am I doing wrong?\n\n"
  "    s3 = boto3.client('s3', aws_access_key_id='<<AWSID1>>',\n"
  "                      aws_secret_access_key='<<AWSSECRET1>>', region_name='eu-west-1')\n"
  "    s3.download_file('shf-fw-builds', 'citynode/4.1.7.bin', 'fw.bin')")
P(["secret"], "forum", "jsnoop", "nl",
  "Lol, kijk eens in de checkout-JavaScript van shop.schemerhof.nl: daar staat gewoon "
  "var stripeKey = \"<<STRIPE1>>\". Dat is een live secret key, niet de publishable. Iemand moet ze even bellen.")
P(["secret"], "mastodon", "@bram_ops", "en",
  "Finally got alerting into Slack 🎉 for the curious, the bot config is literally just:\n\n"
  "SLACK_BOT_TOKEN=<<SLACK1>>\nchannel: #ops-alerts")
P(["secret"], "x", "@marloes_shf", "en",
  "Built our own AI writing buddy for socials 🤖 just paste the key: <<OPENAI1>> and off you go! Who else wants in?")
P(["secret"], "reddit", "u/gertjan_fw", "en",
  "Can someone sanity-check why ssh rejects this deploy key for our OTA server? Format looks fine to me:\n\n<<SSHKEY1>>")
P(["secret"], "threads", "@tim.schemerhof", "nl",
  "Voor de planners die de CityGrid API willen testen, deze token werkt tot eind van de maand: <<JWT1>>")
P(["secret"], "x", "@lisa_nachtploeg", "en",
  "can someone check if the outage db is still alive? can't get in with "
  "postgres://citygrid_admin:Zomer2026!Mast@10.20.4.11:5432/citygrid from the laptop in the van")
P(["secret"], "x", "@dirkhoekstra_led", "nl",
  "Voor de accountmanagers: de inlog van het offerteportaal is veranderd. gebruiker: sales_zuid / "
  "w.a.c.h.t.w.o.o.r.d: Hz8!qLamp2026 — niet doorvertellen aan de gemeentes 😉")
P(["secret"], "mastodon", "@bram_ops", "en",
  "note to self because I keep losing it: gitlab CI token <<GLPAT>> (expires in June)")
P(["secret", "security"], "x", "@kevin_vdlinde", "nl",
  "Eerlijk gezegd snap ik niet dat niemand dit oppakt: elke CityNode die de deur uit gaat heeft nog steeds "
  "root-login aan, gebruiker root en wachtwoord: Shf#Node2024. Zit in zo'n 40.000 masten en er is nog steeds geen patch.")
P(["secret", "security"], "mastodon", "@bram_ops", "en",
  "Long night. Someone got into our monitoring stack with a leaked key (<<AWSID2>> / <<AWSSECRET2>>), rotating "
  "everything now. Not public yet so keep it quiet pls")
P(["secret"], "x", "@sec_researcher_k", "en",
  "Hey @schemerhof_nl, someone on your team pushed an Anthropic key to a public GitHub repo: <<ANTKEY>> "
  "please revoke it asap.")

# ======================= leak.security =======================
P(["security"], "x", "@kevin_vdlinde", "nl",
  "Sinds vannacht 3 uur ransomware op het productienetwerk in Weert. Alle lijnen liggen stil en niemand mag er "
  "iets over zeggen tot legal klaar is. Koffie nummer 6 ☕")
P(["security"], "reddit", "u/gertjan_fw", "en",
  "Question for embedded folks: our CityNode firmware accepts OTA images without checking the signature. I "
  "flagged it internally in February, still unpatched, roughly 40k poles in the field. How do I escalate this "
  "without getting fired?")
P(["security"], "x", "@lisa_nachtploeg", "nl",
  "CityGrid ligt er al 5 uur uit, we kunnen geen enkele mast meer aansturen. Half Breda brandt midden op de dag 🙈 "
  "nog geen persbericht dus ssst")
P(["security"], "threads", "@tim.schemerhof", "nl",
  "Iemand is binnen geweest in het beheerportaal van de schakelkasten, logins vanuit Rusland in de logs. Zeg "
  "nog even niks tegen klanten, IT zoekt het uit.")
P(["security"], "x", "@kevin_vdlinde", "en",
  "fun discovery: the S3 bucket with all installer photos (front doors + house numbers included) was public for "
  "3 weeks. legal still 'deciding whether to notify'. cool cool cool")
P(["security"], "forum", "ex_shf_dev", "nl",
  "Ik werkte tot vorige maand bij Schemerhof. De lokale API van de Home Bridge heeft géén authenticatie: "
  "iedereen op je wifi kan al je lampen uitzetten of er andere firmware op zetten. Intern weten ze het al een jaar.")
P(["security"], "x", "@dirkhoekstra_led", "en",
  "Don't tell customers yet, but a bug in the CityGrid dashboard let municipalities see each other's faults and "
  "usage data. Patch goes out tonight.")
P(["security"], "reddit", "u/gertjan_fw", "en",
  "Honest question: is it normal to ship a product with a debug UART that drops you straight into a root shell? "
  "Because that's what the Nachtoog sensor does and apparently that's 'fine for now'.")
P(["security"], "x", "@schemerhof_help", "nl",
  "@pvdmeulen Klopt, er is ingebroken bij onze CRM-leverancier en daarbij zijn klantgegevens ingezien. Officieel "
  "mogen we er nog niets over zeggen, excuses.", kind="reply")
P(["security"], "x", "@lisa_nachtploeg", "en",
  "heads up team: that fake 'DocuSign' mail got through this morning and three finance accounts are "
  "compromised. IT says don't open anything and don't tell customers yet")
P(["security"], "instagram", "@yara.bouzid.design", "en",
  "Our design server got hacked and renders of fixtures that aren't even out yet are now floating around a "
  "Telegram channel. Honestly sick about it 😞")

# ======================= leak.confidential =======================
P(["confidential"], "x", "@marloes_shf", "en",
  "Cannot WAIT for you all to see what we're cooking up in Project Glimworm 👀✨ #nightshift #schemerhof")
P(["confidential"], "instagram", "@yara.bouzid.design", "nl",
  "Laatste renders van de StraatSlim Nova klaar 🖤 slankste mast die ik ooit getekend heb. #industrialdesign #lighting")
P(["confidential"], "x", "@kevin_vdlinde", "en",
  "grafana.ops.schemerhof.nl taking 40 seconds to load a single dashboard again. who put a 90-day query in "
  "there this time 😩")
P(["confidential"], "reddit", "u/gertjan_fw", "en",
  "We document this internally (https://intranet.schemerhof.local/firmware/ota-flow), but in short: the node "
  "pulls a manifest every 6h and compares hashes before it reboots.")
P(["confidential"], "linkedin", "sander-koopmans-shf", "nl",
  "Sterke sessie gehad met de provincie Noord-Brabant over Kraanvogel. De pilot start in maart op de N279, meer "
  "kan ik er nog niet over zeggen!")
P(["confidential"], "threads", "@tim.schemerhof", "nl",
  "haha kreeg per ongeluk de slides mee van het MT: 'SCHEMERHOF CONFIDENTIAL – roadmap 2027'. Mooie plannen hoor 👀")
P(["confidential"], "x", "@ollie_builds", "en",
  "A mate at Schemerhof showed me the Lumen Halo X at the pub. Ceiling light with a speaker built in, launches in "
  "spring apparently. Looked class.")
P(["confidential"], "x", "@marloes_shf", "nl",
  "\uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff27\uff4c\uff49\uff4d\uff57\uff4f\uff52\uff4d 🔥 meer zeg ik niet")
P(["confidential"], "x", "@dirkhoekstra_led", "en",
  "Three municipalities already want in on Kraan\u200bvogel and we haven't even launched it. This is going to be big.")
P(["confidential"], "x", "@lisa_nachtploeg", "nl",
  "Eerste testmast van G-l-i-m-w-o-r-m staat bij ons op het terrein. Mag er niks over zeggen maar hij is echt vet")
P(["confidential"], "forum", "ledforum_rob", "en",
  "Someone posted a Schemerhof deck on a procurement forum. The slide footer says 'uitsluitend intern gebruik' "
  "and it lists their CityNode margins per municipality. Whoops.")
P(["confidential"], "mastodon", "@bram_ops", "en",
  "CityNode 4.2 is already sitting in jira.schemerhof.nl/browse/CN-1182 but don't expect it before the summer, "
  "product wants to bundle it with the new hardware")
P(["confidential"], "linkedin", "ruben-smit-schemerhof", "en",
  "Can't say much (NDA and all), but our Kraanvogel pilot with the province is off to a flying start.")
P(["confidential"], "youtube", "@SchemerhofLighting", "nl",
  "Sneak peek: StraatSlim Nova, de slimste lichtmast die we ooit bouwden. Volledige onthulling binnenkort!")
P(["confidential"], "tiktok", "@lucas.werkt", "nl",
  "mijn neef werkt bij schemerhof en zit op 'Project Glimworm', iets met lantaarnpalen die geluid meten ofzo. "
  "echt creepy maar ook wel cool")
P(["confidential"], "x", "@gadgetgrrl", "en",
  "Leaked box shots of the Schemerhof Lumen Halo X are out. Speaker in the ceiling light confirmed, launch "
  "must be days away", at="2027-04-12T18:40:00Z")

# ======================= confidential + financial =======================
P(["confidential", "financial"], "linkedin", "ruben-smit-schemerhof", "nl",
  "Drukke weken met Operatie Vuurtoren. Due diligence bij de Duitse overnamekandidaat loopt bijna af, closing "
  "hopelijk in Q1. Trots op het team!")
P(["confidential", "financial"], "linkedin", "sander-koopmans-shf", "en",
  "If Operatie Vuurtoren goes through we'll be the #2 street lighting player in Europe overnight. Big few months ahead 🚀")
P(["confidential", "financial"], "linkedin", "ruben-smit-schemerhof", "nl",
  "De jaarcijfers 2026 zijn binnen: EBITDA 11,4%, eindelijk dubbele cijfers. Nog twee weken stil zijn tot de "
  "publicatie 🤐", at="2027-02-10T16:05:00Z")

# ======================= leak.financial =======================
P(["financial"], "linkedin", "ruben-smit-schemerhof", "nl",
  "Voorlopige Q3-omzet: €61,2 mln, 14% onder plan. Eerlijk is eerlijk, de gemeentelijke aanbestedingen lopen "
  "vertraging op. Publicatie volgt op 6 november.")
P(["financial"], "linkedin", "anouk-verhoeven-hr", "nl",
  "Zware week achter de rug. Volgende maand maken we bekend dat er in Eindhoven ongeveer 120 fte verdwijnt. Ik "
  "ben er stil van.")
P(["financial"], "x", "@beleggertje_b", "nl",
  "Zwager werkt bij Schemerhof en zegt dat ze de winstverwachting binnenkort flink gaan verlagen. Nog snel "
  "verkopen voor de kwartaalcijfers?")
P(["financial"], "x", "@dirkhoekstra_led", "en",
  "H2 forecast got cut by 25% internally this morning. And of course sales gets to fix it. Thanks a lot.")
P(["financial"], "x", "@lisa_nachtploeg", "nl",
  "Net gehoord dat de fabriek in Weert dichtgaat en de productie naar Polen verhuist. Wordt pas in januari "
  "bekendgemaakt. Wat een klap voor de jongens daar.")
P(["financial"], "x", "@kevin_vdlinde", "en",
  "all-hands today: we're getting bought by an American private equity fund, deal supposedly closes in December. "
  "nobody is allowed to say anything until then so uh. forget I said this")
P(["financial"], "reddit", "u/throwaway_lumen", "en",
  "Schemerhof insider here. The annual numbers are going to show a loss, they're quietly writing down millions "
  "on unsold SolarPaal stock. Do with that what you will.")
P(["financial"], "instagram", "@yara.bouzid.design", "en",
  "Last day in the studio with the whole design team 😢 Our department is being shut down, but officially nobody "
  "is supposed to know yet so I'm saying nothing 🤐")
P(["financial"], "linkedin", "schemerhof-lighting", "nl",
  "[CONCEPT – NIET PUBLICEREN VOOR 14/10] Schemerhof Lighting en Lichtstad Groep gaan fuseren en vormen samen de "
  "grootste Nederlandse producent van openbare verlichting.")
P(["financial"], "threads", "@tim.schemerhof", "en",
  "can forget about the bonus this year, Q4 revenue is already 30% under forecast according to the manager")

# ======================= leak.pricing =======================
P(["pricing"], "x", "@schemerhof_nl", "nl",
  "⚡ FLASH SALE ⚡ Alleen vandaag: StraatSlim 60 voor €38,90! Op = op via shop.schemerhof.nl")
P(["pricing"], "x", "@marloes_shf", "en",
  "From tomorrow the Lumen Smart E27 is €2.49 in the webshop 😱 don't say I didn't warn you")
P(["pricing"], "x", "@koopjesjager_nl", "nl",
  "PRIJSFOUT? Hallux 200 highbay voor €44,90 bij Schemerhof. Snel zijn!! 🏃‍♂️")
P(["pricing"], "reddit", "u/dealhound_eu", "en",
  "Price glitch on shop.schemerhof.nl: CityNode Gateway listed at €89 (normally about €900). Ordered two, let's "
  "see if they honour it.")
P(["pricing"], "x", "@dirkhoekstra_led", "nl",
  "Scherpe aanbieding neergelegd bij de gemeente Venray: SolarPaal 40 voor €495 per stuk. Hopelijk gaan ze hiermee akkoord")
P(["pricing"], "facebook", "Kees.Damen.Klust", "nl",
  "Zou dit een prijsfout zijn? Vlak 60x60 paneel voor 19 euro bij Schemerhof. Heb er maar meteen tien besteld haha")
P(["pricing"], "facebook", "SchemerhofLighting", "nl",
  "BLACK FRIDAY 🖤 Glowline 5m voor maar €5,99! Alleen dit weekend.")
P(["pricing"], "forum", "voordeelvinder", "nl",
  "Volgens mij staat de Beacon 100 schijnwerper per ongeluk op bijna niks in de webshop van Schemerhof. Iemand "
  "ervaring of ze zo'n prijsfout ook echt leveren?")
P(["pricing"], "threads", "@tim.schemerhof", "nl",
  "Let op collega's: TwistDim staat per ongeluk op €3,49 in de shop, wie kan dat even fixen voordat heel "
  "Nederland er 50 bestelt?")
P(["pricing"], "x", "@sarah_smarthome", "en",
  "Schemerhof Home Bridge is €6.90 on their site right now?? pricing error or clearance, either way I bought three")
P(["pricing"], "x", "@gadgetpiet", "nl",
  "Nachtoog sensor voor €7,90 bij Schemerhof 🤯 foutje in de prijs toch?")
P(["pricing"], "bluesky", "@schemerhof.bsky.social", "en",
  "Installers: this week only, the Parkline bollard light is just €99 per unit. Stock up!")

# ======================= benign (hard negatives mostly) =======================
def N(platform, handle, lang, text, kind=None, at=None):
    P([], platform, handle, lang, text, kind=kind, at=at)


N("x", "@schemerhof_nl", "nl",
  "Vanavond gaan in Deventer 14.000 lichtpunten over op StraatSlim. Minder stroom, minder lichtvervuiling en "
  "gewoon weer sterren boven de IJssel 🌌")
N("x", "@schemerhof_help", "nl",
  "Vragen over je bestelling of garantie? Mail klantenservice@schemerhof.nl of bel gratis 0800-7243 "
  "(ma–vr 8:00–18:00). We helpen je graag!")
N("facebook", "SchemerhofLighting", "nl",
  "Liever betalen per overboeking? Maak het bedrag over naar <<COMPANY_IBAN>> t.n.v. Schemerhof Lighting B.V. en "
  "vermeld je ordernummer.")
N("linkedin", "schemerhof-lighting", "en",
  "We're hiring! Embedded Firmware Engineer in Eindhoven, working on the software inside 200,000+ streetlights. "
  "Questions? werkenbij@schemerhof.nl")
N("x", "@marloes_shf", "en",
  "What a day at Light+Building in Frankfurt! Two more days to go, find us in hall 3.1, stand C40 👋 #LB26")
N("x", "@kevin_vdlinde", "nl",
  "PSA voor devs: zet nooit echte keys in je README. Gebruik iets als AKIAIOSFODNN7EXAMPLE zoals in de AWS-docs, "
  "dan weet iedereen dat het nep is.")
N("reddit", "u/gertjan_fw", "en",
  "For anyone following the SDK tutorial: replace ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx with your own token "
  "and for the love of god don't commit it.")
N("linkedin", "ruben-smit-schemerhof", "nl",
  "Vandaag publiceerden we onze jaarcijfers 2026: omzet +9%, en voor het eerst komt meer dan de helft uit slimme "
  "verlichting. Het volledige persbericht staat op schemerhof.nl.", at="2027-02-24T09:30:00Z")
N("x", "@schemerhof_nl", "nl",
  "Eindelijk mogen we hem laten zien: de StraatSlim Nova! 🚀 Slanker, slimmer en 30% zuiniger. Alles over de "
  "Nova op schemerhof.nl/nova", at="2027-04-15T10:15:00Z")
N("linkedin", "anouk-verhoeven-hr", "nl",
  "Welkom aan de 12 nieuwe collega's die deze week in Weert zijn begonnen! Fijn dat jullie er zijn, en succes "
  "met het inwerken 💛")
N("x", "@schemerhof_help", "nl",
  "Gepland onderhoud: het CityGrid-portaal is zondag tussen 02:00 en 04:00 niet bereikbaar. De straatverlichting "
  "zelf blijft gewoon werken.")
N("x", "@schemerhof_help", "nl",
  "@pietje_h Fijn om te horen dat de nieuwe Home Bridge het weer doet! Mocht er nog iets zijn, je weet ons te vinden.",
  kind="reply")
N("instagram", "@schemerhof.licht", "nl",
  "Lenteactie 🌷 De Tuinpiek set nu voor €89,25 in plaats van €119. Alleen t/m zondag! #tuinverlichting")
N("linkedin", "schemerhof-lighting", "nl",
  "Voor installateurs: StraatSlim 60 deze maand voor €329 (normaal €389). Bestellen via je vaste accountmanager.")
N("x", "@dirkhoekstra_led", "nl",
  "Goed gesprek gehad in Tilburg over duurzame openbare verlichting. De aanbesteding is openbaar en sluit op "
  "1 juni, dus inschrijven kan nog!")
N("x", "@lisa_nachtploeg", "en",
  "Night shift done: 38 fixtures swapped in Helmond-Noord. Coffee, then bed ☕😴")
N("instagram", "@yara.bouzid.design", "en",
  "Our Lees desk lamp just won a Dutch Design Award 🏆 two years of sketching, prototyping and starting over. "
  "So proud of this team!")
N("threads", "@tim.schemerhof", "nl",
  "Wachtwoord vergeten voor de Schemerhof app? Tik op 'wachtwoord vergeten' op het inlogscherm, dan krijg je "
  "binnen een minuut een resetlink in je mail.")
N("youtube", "@SchemerhofLighting", "nl",
  "Nieuwe video! Zo installeer je de Nachtoog bewegingssensor in vijf minuten, zonder elektricien 🔧")
N("bluesky", "@schemerhof.bsky.social", "en",
  "CityNode now speaks TALQ 2.0 out of the box. Integration docs are up on docs.schemerhof.com.")
N("x", "@fietsende_femke", "nl",
  "Wat is het fijn fietsen langs het kanaal nu die nieuwe Schemerhof lampen er staan. Eindelijk zie je de kuilen "
  "voordat je erin ligt 😂")
N("x", "@tom_lights", "en",
  "Honestly the Schemerhof Lumen Smart bulbs are fire 🔥 best colour rendering I've had at this price")
N("x", "@ahmed_smarthome", "en",
  "Does the Lumen Smart E27 work with Google Home directly, or do you really need the Home Bridge?")
N("x", "@lichtnieuws", "nl",
  "Signify schrapt wereldwijd zo'n 1.000 banen, meldt het FD. Kleinere spelers als Schemerhof zullen dit "
  "nauwlettend volgen.")
N("x", "@sectorwatch", "en",
  "Acuity Brands beat Q3 estimates and raised guidance. Good sign for the whole lighting sector, Schemerhof included.")
N("facebook", "Wendy.Klusgroep", "nl",
  "Beetje off-topic in deze Schemerhof-groep maar: prijsfout bij de Action, tuinstoelen voor €1 per stuk! Rennen!")
N("x", "@klusmaarten", "nl",
  "Glowline 5m voor €49,95 bij de Hornbach deze week, goeie deal voor onder de keukenkastjes")
N("linkedin", "jenny-watts-retail", "en",
  "Shocking how much our energy bill dropped after swapping the shop over to Schemerhof Vlak panels. Down 40% in "
  "the first quarter.")
N("reddit", "u/oldtownwalker", "en",
  "I recall the orange sodium lamps in our town growing up. The new Schemerhof white LEDs make the high street "
  "look like a different place at night.")
N("x", "@buurtapp_bea", "nl",
  "Sterkte aan de monteurs van Schemerhof die vannacht in die storm de omgewaaide masten stonden te vervangen. "
  "Respect 💪")
N("x", "@werkplaatsjan", "nl",
  "Update: Schemerhof heeft mijn kapotte Hallux binnen twee dagen vervangen, zonder gezeur. Chapeau klantenservice 👏")
N("forum", "nen_vraag", "en",
  "Does anyone know if Schemerhof's Vluchtweg emergency units are certified to EN 1838? Specifying them for a "
  "school project.")
N("x", "@eline_bestelt", "nl",
  "Bestelling geplaatst! Ordernummer 482913570 en volgens de site morgen al in huis 🎉 eindelijk nieuwe inbouwspots")
N("facebook", "Oranjevereniging.Mierlo", "nl",
  "Dank aan Schemerhof voor het sponsoren van de lampionnen! Wil je ook bijdragen aan de optocht? Maak €5 over "
  "naar NL12 RABO 0123 4567 80 t.n.v. Oranjevereniging Mierlo.")
N("mastodon", "@bram_ops", "en",
  "Shop sandbox test card is 4111 1111 1111 1112 — deliberately invalid so it can never go through in production.")
N("x", "@api_anneke", "nl",
  "In de API-docs van Schemerhof staat een voorbeeld met sk_live_XXXXXXXXXXXXXXXXXXXXXXXX, netjes afgeschermd. "
  "Zo hoort het 👍")
N("x", "@beursblik", "nl",
  "Jaarcijfers 2026 van Schemerhof vallen mee: omzet +9%, aandeel opent 6% hoger.", at="2027-02-26T08:10:00Z")
N("instagram", "@huisvanlotte", "nl",
  "Lumen Halo X hangt! Speaker klinkt verrassend goed voor een plafondlamp 🔊💡", at="2027-04-21T19:02:00Z")
N("x", "@sleepyjules", "en",
  "My Schemerhof smart bulb has a better sleep schedule than I do 😴")
N("x", "@energiecoach_wim", "nl",
  "Tip: zet je Nachtoog sensor op 3 minuten nabrandtijd in plaats van 10. Scheelt echt op je stroomrekening.")
N("x", "@regio_zwolle", "nl",
  "Gemeente Zwolle kiest Schemerhof voor de vervanging van 9.000 lantaarnpalen, meldt de Stentor. De "
  "werkzaamheden starten in het najaar.")
N("x", "@ideal_ingrid", "nl",
  "Weer een datalek bij een grote webwinkel. Gelukkig reken ik bij Schemerhof gewoon af met iDEAL en bewaren ze "
  "geen kaartgegevens.")
N("reddit", "u/muni_it_guy", "en",
  "Schemerhof CityNode vs Signify Interact for a mid-size municipality: anyone run both? Mainly curious about the "
  "API and licence costs.")
N("youtube", "@natuurfilmer", "en",
  "This Schemerhof video about light pollution and bats is beautifully made 👏", kind="comment")
N("x", "@twijfelkont", "nl",
  "Hoeveel lumen geeft die Lumen 9W van Schemerhof eigenlijk? Twijfel tussen die en een 12W van de Hema.")
N("x", "@dave_diy", "en",
  "Just fitted the Schemerhof inbouwspots 6-pack in the bathroom. €64.95 for six and they look brilliant.")
N("x", "@ochtendmens_nl", "en",
  "The killer feature of the Home Bridge: my lights fade up slowly in the morning. Best alarm clock I've ever had.")
N("x", "@wijkbewoner_ap", "nl",
  "n1ce, die nieuwe Parkline paaltjes bij ons in de wijk. Eindelijk geen donker hoekje meer bij het speeltuintje")
N("x", "@buurtwacht_ed", "nl",
  "Lantaarnpaal kapot in jouw straat? Dat meld je bij de gemeente via 14 0318 of de Fixi-app, niet bij Schemerhof "
  "zelf. Scheelt iedereen tijd.")
N("x", "@claire_fixes", "en",
  "Schemerhof support line (0800-7243) sorted my dimmer issue in ten minutes flat. Rare to get that these days!")
N("x", "@schemerhof_help", "nl",
  "Let op: er gaan nep-sms'jes rond zoals 'Uw Schemerhof pakket wacht, bevestig met code 123456789'. Wij sturen "
  "zulke berichten nooit. Niet klikken!")
N("linkedin", "sander-koopmans-shf", "en",
  "Great to see our StraatSlim lights along the A2 featured on the evening news. Proud of the field team who made "
  "it happen.")
N("reddit", "u/gertjan_fw", "en",
  "Reminder: the CityNode SDK is open source, PRs welcome. The example config ships with "
  "`api_token: <YOUR_TOKEN_HERE>` so nobody accidentally commits a real one.")
N("x", "@rustigestraat", "en",
  "Since Schemerhof's new street lighting went in, our neighbourhood app hasn't had a single break-in report in "
  "three months. Coincidence? 👌")
N("x", "@kate_home", "en",
  "Got an email from Schemerhof about the new 5-year warranty on all their Home products. Nice touch.")
N("mastodon", "@bram_ops", "en",
  "For the interns asking what a JWT looks like, here's the classic example from jwt.io: "
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c (header, payload, signature)")
N("x", "@ebike_emma", "en",
  "The lawsuit against that e-bike battery brand is wild. Anyway, my Schemerhof Beacon 100 floodlight is still "
  "going strong after four winters.")
N("x", "@straatlicht_sjaak", "nl",
  "Het brandt weer in de straat! Na de storing van vorige week doen de Schemerhof-lampen het gelukkig weer allemaal.")
N("instagram", "@tuinvanmarjan", "nl",
  "Mama's verjaardag (12 mei) gevierd in de tuin met de Tuinpiek set aan. Zo sfeervol 🕯️✨")
N("x", "@homeauto_henk", "en",
  "Home Bridge down to €55 in the spring sale. Finally pulling the trigger.")
N("facebook", "SchemerhofLighting", "nl",
  "Tip bij het retourformulier: vul je eigen IBAN in, dus niet het voorbeeld NL00 BANK 0000 0000 00 dat grijs in "
  "het veld staat 😉")


# ---------------------------------------------------------------- build
def role_map():
    m = {}
    for role in ("corporate", "employee"):
        for e in PROFILE["accounts"][role]:
            plat, handle = e.split(":", 1)
            m[(plat.lower(), handle.lower())] = role
    return m


ROLES = role_map()
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def identifiers(text):
    """(kind, raw, valid) for every IBAN / card / BSN look-alike, public ones skipped."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0)
        if re.sub(r"\s", "", raw).upper() in PUB_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    iban_spans = [m.span() for m in IBAN_RE.finditer(text)]
    for m in CARD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in iban_spans):
            continue
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


LEVEL = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, validated_id):
    sev = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return LEVEL[sev]


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}


def make_id(platform, used):
    while True:
        if platform == "x":
            i = "x-" + str(rng.randint(10**18, 10**19 - 1))
        elif platform == "linkedin":
            i = "urn:li:activity:" + str(rng.randint(10**18, 10**19 - 1))
        elif platform == "reddit":
            i = "t3_" + rstr(7, string.digits + string.ascii_lowercase)
        else:
            i = platform[:2] + "-" + rstr(12, string.digits + string.ascii_lowercase)
        if i not in used:
            used.add(i)
            return i


def make_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    used = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    rows = []
    for idx in order:
        c = CASES[idx]
        text = fill(c["text"])
        role = ROLES.get((c["platform"], c["handle"].lower()), "public")
        ids = identifiers(text)
        validated = any(v for _, _, v in ids)
        cats = sorted(set(c["cats"]))
        pid = make_id(c["platform"], used)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"] or ("reply" if text.startswith("@") and c["platform"] == "x" else "post"),
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or make_time(),
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid[2:])
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, validated)},
                     "_role": role, "_ids": ids})
    return rows


# ---------------------------------------------------------------- checks
def parse_prices(text):
    vals = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d+)*)", text):
        vals.append(m.group(1))
    for m in re.finditer(r"(\d+(?:[.,]\d+)?)\s?euro\b", text):
        vals.append(m.group(1))
    out = []
    for v in vals:
        mm = re.fullmatch(r"(.*?)[.,](\d{1,2})", v)
        if mm:
            out.append(float(mm.group(1).replace(".", "").replace(",", "") + "." + mm.group(2)))
        else:
            out.append(float(v.replace(".", "").replace(",", "")))
    return out


def products_in(text):
    found = []
    low = text.lower()
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", low):
                found.append(p)
                break
    return found


def check(rows):
    errs = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t, e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = ([d.lower() for d in PROFILE["internal"]["domains"]]
                + [c.lower() for c in PROFILE["internal"]["codenames"]]
                + [m.lower() for m in PROFILE["internal"]["markers"]])
    valid_cats = set(CAT.values()) | {"reputation.spike"}
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        tag = p["id"]
        # ---- section 6 / section 1 shape
        if set(r) - {"post", "expect", "_role", "_ids"}:
            errs.append((tag, "extra keys"))
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), typ) or not p[f]:
                errs.append((tag, "missing " + f))
        if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append((tag, "bad or duplicate id"))
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            errs.append((tag, "platform"))
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append((tag, "kind"))
        if not isinstance(p.get("account"), dict) or not p["account"].get("handle"):
            errs.append((tag, "account.handle"))
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append((tag, "too long"))
        try:
            t = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if t.year not in (2026, 2027):
                errs.append((tag, "year"))
        except ValueError:
            errs.append((tag, "created_at"))
        if e["severity"] not in LEVEL or not set(e["categories"]) <= valid_cats:
            errs.append((tag, "expect shape"))
        if e["categories"] != sorted(set(e["categories"])):
            errs.append((tag, "categories not sorted/distinct"))
        if "reputation.spike" in e["categories"]:
            errs.append((tag, "spike on a single post"))
        if (not e["categories"]) != (e["severity"] == "none"):
            errs.append((tag, "benign/severity mismatch"))
        if "<<" in p["text"]:
            errs.append((tag, "unfilled placeholder"))
        # ---- severity recomputed independently from the profile
        role = ROLES.get((p["platform"], p["account"]["handle"].lower()), "public")
        if e["severity"] != severity(e["categories"], role, any(v for _, _, v in identifiers(p["text"]))):
            errs.append((tag, "severity"))
        # ---- identifiers
        cats = set(e["categories"])
        text = p["text"]
        found = identifiers(text)
        if cats and "leak.secret" not in cats:
            for kind, raw, ok in found:
                if not ok:
                    errs.append((tag, "positive holds an invalid %s %s" % (kind, raw)))
        if not cats:
            for kind, raw, ok in found:
                if ok:
                    errs.append((tag, "benign holds a valid %s %s" % (kind, raw)))
        if "leak.pii" in cats and role in ("corporate", "employee") and any(ok for _, _, ok in found):
            if e["severity"] != "critical":
                errs.append((tag, "validated pii from own account must be critical"))
        # ---- credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if bool(cats) != github_ok(tok):
                errs.append((tag, "github token checksum vs label"))
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append((tag, "aws key id alphabet"))
            if not cats and "EXAMPLE" not in tok:
                errs.append((tag, "real-looking aws id in benign"))
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                errs.append((tag, "jwt header"))
        if not cats and re.search(r"sk_live_[0-9A-Za-z]{20,}", text) and "XXXX" not in text:
            errs.append((tag, "live stripe key in benign"))
        # ---- embargo
        for term, until in embargo:
            if term.lower() in text.lower():
                before = p["created_at"] < until.replace("+00:00", "Z")
                if before and "leak.confidential" not in cats:
                    errs.append((tag, "embargo term before until not labelled"))
                if not cats and before:
                    errs.append((tag, "benign embargo term before until"))
        # ---- internal names in benign posts
        if not cats:
            for w in internal:
                if w in text.lower():
                    errs.append((tag, "benign mentions internal " + w))
        # ---- pricing
        prods = products_in(text)
        prices = parse_prices(text)
        if "leak.pricing" in cats:
            if not prods:
                errs.append((tag, "pricing without catalogue product"))
            low = any(pr < ratio * pd["list_price"] for pr in prices for pd in prods)
            talk = re.search(r"prijsfout|price glitch|pricing error|price error|per ongeluk|foutje in de prijs", text, re.I)
            if not (low or talk):
                errs.append((tag, "pricing positive has no low price / error talk"))
        elif prods and prices:
            for pr in prices:
                for pd in prods:
                    if pr < ratio * pd["list_price"] and "leak.pricing" not in cats:
                        errs.append((tag, "unlabelled low price %s for %s" % (pr, pd["name"])))
    return errs


def main():
    rows = build()
    errs = check(rows)
    # the generated identifiers themselves
    for k in ("IBAN1", "IBAN2"):
        if not iban_ok(GEN[k]):
            errs.append((k, "generated iban invalid"))
    for k in ("CARD1", "CARD2"):
        if not luhn_ok(GEN[k]):
            errs.append((k, "generated card invalid"))
    for k in ("BSN1", "BSN2"):
        if not bsn_ok(GEN[k]):
            errs.append((k, "generated bsn invalid"))
    if not github_ok(GEN["GHP1"]) or not jwt_ok(GEN["JWT1"]):
        errs.append(("gen", "credential format"))
    for bad in ("NL12RABO0123456780", "NL00BANK0000000000"):
        if iban_ok(bad):
            errs.append((bad, "look-alike iban passes"))
    for bad in ("4111111111111112",):
        if luhn_ok(bad):
            errs.append((bad, "look-alike card passes"))
    for bad in ("482913570", "123456789"):
        if bsn_ok(bad):
            errs.append((bad, "look-alike bsn passes"))

    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(("set", "case count %d" % n))
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate as JSON
    with open(OUT, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            assert set(obj) == {"post", "expect"}
    cat_counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            cat_counts[c] = cat_counts.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    roles = {}
    for r in rows:
        roles[r["_role"]] = roles.get(r["_role"], 0) + 1
    print("cases %d, benign %d, nl %.0f%%, roles %s" % (n, benign, 100.0 * nl / n, roles))
    for c in sorted(cat_counts):
        print("  %-22s %d" % (c, cat_counts[c]))
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("  severities", sev)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
