#!/usr/bin/env python3
"""Build the labelled evaluation set sealed481 (Zonnewijs Cosmetics B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it; benign posts hold no secret, no embargoed term before its
    moment, no codename, marker or internal host;
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT ...).
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(481)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = rand(string.digits, 10)
    base = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in base + "NL00"))
    return "NL%02d%s" % (98 - n % 97, base)


def break_iban(iban):
    while True:
        i = rng.randrange(8, len(iban))
        d = str((int(iban[i]) + rng.randint(1, 9)) % 10)
        bad = iban[:i] + d + iban[i + 1:]
        if not iban_ok(bad):
            return bad


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + rand(string.digits, 7)
        r = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = first8 + str(r)
            if bsn_ok(s):
                return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- credentials
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 300) * 86400
    payload = b64url(json.dumps({"sub": "svc-webshop", "role": "admin", "iat": iat,
                                 "exp": iat + 86400}, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    chars = ALNUM + "_-"
    return "sk-proj-" + rand(chars, 74) + "T3BlbkFJ" + rand(chars, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "_-", 20)


def openssh_key():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + \
        bytes(rng.getrandbits(8) for _ in range(360))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    core = rand(string.ascii_letters + string.digits, n - 2)
    return core[:5] + rng.choice("!#%*?") + core[5:] + rng.choice("!#%*?")


# ---------------------------------------------------------------- generated values
V = {}
V["ghp"] = gh_token("ghp_")
V["akia"] = aws_key_id()
V["awssec"] = aws_secret()
V["stripe"] = stripe_live()
V["slack"] = slack_bot()
V["pgpw"] = password(16).replace("#", "x").replace("?", "q")
V["anth"] = anthropic_key()
V["ssh"] = openssh_key()
V["jwt"] = jwt_token()
V["openai"] = openai_key()
V["glpat"] = gitlab_pat()
V["wifipw"] = password(12)
V["ssopw"] = password(14)

V["iban_p1"] = make_iban("INGB")
V["iban_p8"] = make_iban("ABNA")
V["card_p2"] = make_card("5413")
V["card_p9"] = make_card("4571")
V["bsn_p4"] = make_bsn()
V["bsn_p10"] = make_bsn()
# look-alikes for benign posts
V["iban_bad"] = break_iban(make_iban("SNSB"))
V["bsn_bad"] = "123456789"
V["card_bad"] = "4111 1111 1111 1112"

# ---------------------------------------------------------------- cases
CASES = []


def c(author, text, cats, lang, when=None, kind="post", price=None, brand="zonnewijs"):
    CASES.append(dict(author=author, text=text, cats=sorted(cats), lang=lang, when=when,
                      kind=kind, price=price, brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ======== benign: praise, questions, jokes, hard negatives ========
c("x:@zonaanbidder", "Eindelijk een zonnebrand die niet plakt. Daily Shield SPF 50 is officieel mijn nieuwe beste vriend ☀️ #zonnewijs", [], "nl")
c("instagram:@jess.glows", "okay the Tinted Shield blends into my skin with zero grey cast?? I'm obsessed. @zonnewijs.skin please never discontinue this 🙏", [], "en", kind="comment")
c("x:@zonnewijs_care", "Vragen over je bestelling? Mail ons via klantenservice@zonnewijs.nl of bel gratis 0800-0455 (ma t/m vr 9-17u). We helpen je graag!", [], "nl")
c("facebook:ZonnewijsNL", "Liever niet online betalen? Overmaken kan ook: IBAN NL23 RABO 0317 4429 08 t.n.v. Zonnewijs Cosmetics B.V., o.v.v. je ordernummer.", [], "nl")
c("x:@mama_van_drie", "Kruidvat heeft de Kids Zonnemelk nu 25% korting, €14,21 ipv €18,95. Meteen 4 flessen ingeslagen voor de camping 🏕️", [], "nl", price=("ZW-KIDS50", 14.21))
c("instagram:@zonnewijs.skin", "Summer Sale is live 🌞 20% off the Vitamine C Serum (now €31.96) until Sunday midnight. Link in bio!", [], "en", price=("ZW-VITC", 31.96))
c("reddit:u/huidtwijfel", "Is €29,95 normaal voor de Face Fluid of ben ik gek? Vind het best prijzig voor 50 ml eerlijk gezegd", [], "nl", price=("ZW-FACE50", 29.95))
c("x:@koopjesjager_nl", "hahaha Etos had gisteren een prijsfout op tandpasta, €0,09 per tube. al opgelost helaas, karretje was vol", [], "nl")
c("x:@uvnerd", "Another sunscreen recall in the US, this time an aerosol brand over benzene. Not one of the Dutch ones thankfully. Glad I use a mineral stick anyway.", [], "en")
c("x:@petra_fietst", "Update: pompje van mijn Body Lotion was kapot, @zonnewijs_care stuurde binnen 2 dagen een nieuwe fles. Netjes opgelost, dank! 👍", [], "nl")
c("x:@zonnewijs_care", "@sanne_vr Wat verdrietig om te horen, Sanne. Neem alle tijd, je retour hoeft niet binnen 30 dagen. Veel sterkte ❤️ – Team Zonnewijs", [], "nl", kind="reply")
c("instagram:@noor.formulates", "Vandaag 5 jaar bij Zonnewijs! Van stagiair op het lab naar formulator 🧪☀️ dankjewel lieve collega's", [], "nl")
c("linkedin:ilse-van-dijk-zonnewijs", "We're hiring! Two QC analysts for our Tilburg lab. Send your CV to vacatures@zonnewijs.nl or check zonnewijs.nl/werken 👩‍🔬", [], "en")
c("x:@thijs_lacht", "Mijn collega smeert zich zo dik in met Daily Shield dat ie op een spookje lijkt 👻 maar hij is de enige van ons die niet verbrand is dus ja", [], "nl")
c("reddit:u/bonaire_bound", "Does anyone know if the Zonnewijs Baby Sensitive is reef safe? Going diving on Bonaire in May with the little one", [], "en")
c("mastodon:@kees_hoekstra", "Reminder voor de nieuwe devs: nooit echte keys in tickets plakken. Gebruik placeholders zoals AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, net als in de AWS docs.", [], "nl")
c("x:@devtips_daily", "Quick tip: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your shell profile, never in the repo. Use a secrets manager in CI.", [], "en")
c("x:@webdev_wendy", "jwt.io blijft handig, plak daar je eyJhbGciOi…<ingekort> token in en je ziet meteen de claims. (niet met productietokens doen natuurlijk)", [], "nl")
c("x:@ronald_bakt", f"Retour van Zonnewijs kwam niet binnen... bleek dat ik zelf een typfout in mijn IBAN had gezet ({V['iban_bad']}) 🙈 Nu goed doorgegeven en geld staat erop.", [], "nl")
c("x:@kaartkenner", f"Die 'creditcard' in de nieuwe Zonnewijs reclame is {V['card_bad']} lol, niet eens een geldig nummer. Iemand bij het bureau heeft zitten opletten", [], "nl")
c("mastodon:@privacy_pim", f"In die AVG-cursus gebruikten ze BSN {V['bsn_bad']} als voorbeeld. Haalt de elfproef niet eens 🤓", [], "nl")
c("linkedin:zonnewijs-cosmetics", "Vandaag publiceren we onze jaarcijfers 2026: de omzet groeide met 14% en we openden ons nieuwe lab in Tilburg. Het volledige jaarverslag staat op zonnewijs.nl/investors.", [], "nl", when="2027-02-25T09:30:00Z")
c("instagram:@zonnewijs.skin", "It's here ☀️ UltraShield SPF 100 is now in stores and online. Our highest protection ever, water resistant for 80 minutes.", [], "en", when="2027-03-16T10:00:00Z")
c("x:@lisanne_shopt", "Gisteren de Mineral Veil Tint gescoord, launch was vorige week. Mooie kleur voor mijn lichte huid, blij mee!", [], "nl", when="2027-03-21T15:12:00Z")
c("x:@strandjutter_", "Parasol mee, Daily Shield op, boek erbij. Scheveningen ik kom eraan 🏖️", [], "nl")
c("x:@beautybiz_watch", "Grote reorganisatie bij een Duitse cosmeticagigant, 800 banen weg volgens Handelsblatt. Benieuwd of de Nederlandse merken daar iets van gaan merken.", [], "nl")
c("x:@passwordpanic", "Wow, another beauty e-commerce site got breached, 2 million customer emails out there. Changing my passwords everywhere tonight.", [], "en")
c("x:@journo_marit", "Voor collega-journalisten: de persafdeling van Zonnewijs is bereikbaar op +31 30 799 4410 en via pers@zonnewijs.nl. Snel antwoord gehad.", [], "nl")
c("x:@tomasz_in_nl", "Shoutout to Sofie from Zonnewijs customer care, sorted my refund in 10 minutes flat. Legend.", [], "en")
c("facebook:HuidHulpGroep", "Wie heeft er ervaring met de Retinol Nachtcrème van Zonnewijs? Ik heb een gevoelige huid en twijfel nog", [], "nl", kind="comment")
c("x:@hottakeharry", "hot take: SPF 30 is plenty for a Dutch summer. fight me (Daily Shield 30 gang)", [], "en")
c("x:@wielrenwim", "Zo ik ben helemaal kapot na 140 km door de Betuwe, maar dankzij de Sportspray geen rood velletje 💪", [], "nl")
c("youtube:@ZonnewijsOfficial", "New video: how much sunscreen is actually enough? Spoiler: two finger lengths for your face and neck. Watch the full explainer with our lab team.", [], "en")
c("x:@marloes_zw", "Wat een zin in onze zomercampagne! Vanaf maandag hangt ie in alle abri's, let maar op 🌞", [], "nl")
c("instagram:@giftguru", "Zomerbox 2026 for €79.95 is honestly worth it, five full sizes inside. Bought two as birthday presents.", [], "en", price=("ZW-BOX26", 79.95))
c("x:@vera_vlogt", "Lippenbalsem SPF30 voor €5,95, prima prijs. Zit altijd in mijn jaszak, ook in de winter.", [], "nl", price=("ZW-LIP30", 5.95))
c("x:@aanbieding_alert", "AH heeft de After Sun Gel van Zonnewijs deze week voor €11,99 (normaal €14,95). Niet wereldschokkend maar meegenomen.", [], "nl", price=("ZW-ALOE", 11.99))
c("tiktok:@skinbysam", "Zonnewijs Face Fluid = g0at3d 🐐 no white cast, no pilling under makeup, not sponsored just obsessed", [], "en")
c("bluesky:@daanvdlinden.bsky.social", "Beterschap @daanbosman_lab! Hopelijk ben je snel van die griep af en weer terug in het lab", [], "nl", kind="reply")
c("reddit:u/derm_curious", "Is there octocrylene in Daily Shield SPF 30? My dermatologist told me to avoid it for a while.", [], "en")
c("facebook:Ineke.Stam.52", "Mijn moeder van 72 zweert bij de Hydra Dagcrème. Elke ochtend, al jaren. Haar huid is beter dan de mijne 😂", [], "nl", kind="comment")
c("x:@doodle_daddy", "lmao my dog stole the Mineral Stick off the table and ran into the garden with it. @zonnewijs do you do dog-proof packaging", [], "en")
c("x:@zonnewijs_care", "@pieterbos_ Wat vervelend dat je pakket vertraging heeft! We hebben het nagekeken bij PostNL: het wordt morgen tussen 10 en 13 uur bezorgd. Groetjes, Sofie", [], "nl", kind="reply")
c("reddit:u/budget_beauty_nl", "Compared sunscreen prices: Daily Shield €24.95 for 200ml vs the big French brands at €30+ for 50ml. Zonnewijs wins on value by a mile.", [], "en", price=("ZW-DS50", 24.95))
c("x:@oma_truus", "Bel gewoon 0800-0455 als je vragen hebt over je bestelling, die meisjes van Zonnewijs zijn super behulpzaam", [], "nl")
c("linkedin:anouk-peters-cosmetics", "Attended a great talk by Zonnewijs' head of R&D on photostable UV filters at the Cosmetics Congress in Amsterdam. Fascinating to see how SPF is measured in vivo.", [], "en")
c("x:@ruben_ops", "Gepland onderhoud: vannacht 01:00–03:00 is de webshop even offline, staat ook op de site aangekondigd. Even geduld als je dan wil bestellen 😴", [], "nl")
c("x:@daanbosman_lab", "Ran 10k this morning in the pouring rain. Only day this year I didn't need sunscreen, ironically.", [], "en")
c("x:@zebra_zoey", "4 keer geprobeerd zelfbruiner aan te brengen en ik lijk nog steeds op een zebra 😂 ligt echt aan mij, niet aan de Glow Zelfbruiner", [], "nl")
c("reddit:u/carryon_clara", "Is the Zonnewijs Travel Set ok for hand luggage? Are all the bottles under 100 ml?", [], "en")
c("x:@frontend_fenna", "In de Stripe docs staat sk_test_4eC39HqLyjWDarjtT1zdp7dc als voorbeeldkey. Zet nooit je echte live key in je frontend, mensen.", [], "nl")
c("mastodon:@it_ivo", "PSA from someone who works in IT: 'wachtwoord: ********' in a screenshot is still a bad look, blur the whole field, not just the characters.", [], "en")
c("x:@papa_jeroen", "Mijn zoontje noemt de Kids Zonnemelk 'zonnesnot'. Hij smeert het wel zelf op, dus ik vind alles best", [], "nl")
c("instagram:@lotte.huid", "Ik vond de Vitamine C Serum eerst niks, maar na 6 weken zie ik echt verschil in mijn pigmentvlekjes. Sorry Zonnewijs, jullie hadden gelijk 😅", [], "nl")
c("linkedin:zonnewijs-cosmetics", "Proud to share that Zonnewijs Cosmetics is now a certified B Corp. Thank you to every colleague and partner who made this happen 💛", [], "en")
c("x:@nuchtere_nina", "Boycot? Nee hoor, ik blijf gewoon Zonnewijs kopen. Dat hele gedoe ging over dat Franse merk, heeft er niks mee te maken.", [], "nl")
c("x:@happy_henk", "Order number 731904562 arrived a day early, everything neatly packed. Very happy with the Zonnewijs webshop so far.", [], "en")
c("x:@kokos_kim", "Dat lek in mijn tas was mijn eigen schuld, dop van de After Sun Gel niet goed dichtgedraaid 🙃 tas ruikt nu wel heerlijk", [], "nl")
c("x:@sprayguy", "Wish Zonnewijs made a 400ml version of the Sport Spray, I go through one a week in summer training", [], "en")
c("tiktok:@lifehack_linda", "Lifehack: bewaar je After Sun Gel in de koelkast. Na een dag strand is het hemels ❄️ dank me later", [], "nl")
c("instagram:@run_for_roos", "Zonnewijs x KWF charity run this Sunday in Tilburg! Signed up with the whole office 🏃‍♀️", [], "en")
c("x:@zonnewijs", "Goeiemorgen! UV-index vandaag 7 in het zuiden. Smeren, zonnebril op en om 12 uur lekker in de schaduw 😎", [], "nl")

# ======== complaints ========
c("x:@marco_wacht", "@zonnewijs_care al 3 weken wachten op mijn retourgeld voor de Travel Set. 2x gemaild, 0 reactie. Hoe moeilijk kan het zijn??", [CPL], "nl", kind="reply")
c("instagram:@bella.beauty.be", "The new pump on the Body Lotion SPF 20 is rubbish, stopped working after a week and now I have to unscrew the top every single time", [CPL], "en", kind="comment")
c("x:@kritische_karin", "Face Fluid laat echt een witte waas achter op mijn huid. Voor bijna 30 euro verwacht ik beter van Zonnewijs. Teleurgesteld.", [CPL], "nl")
c("reddit:u/giftgonewrong", "Ordered the Zomerbox as a gift, arrived with the aftersun gel leaked all over everything inside. Zonnewijs support just sent me a 10% code?? Not acceptable.", [CPL], "en")
c("facebook:Hans.Vermeulen.77", "Webshop van Zonnewijs rekent €6,95 verzendkosten terwijl er 'gratis verzending vanaf €35' staat. Mijn mandje was €41. Wat is dit nou weer", [CPL], "nl", kind="comment")
c("x:@annoyed_aisha", "zonnewijs chat bot is useless, asked 4 times for a human and it keeps sending me the same FAQ link 🙄", [CPL], "en")
c("tiktok:@jolien_mama", "die nieuwe geur van de kids zonnemelk is echt vies, mn dochter wil t niet meer op. waarom veranderen jullie dat nou @zonnewijs", [CPL], "nl", kind="comment")
c("x:@gerrit_betaalt", "Abonnement op de Daily Shield navulling is deze maand 2x afgeschreven. Nog steeds geen antwoord van @zonnewijs_care na 5 dagen. Serieus?", [CPL], "nl")
c("x:@bestelnooitmeer", "Bestelling geannuleerd zonder uitleg en het geld komt pas na 10 werkdagen terug. Nooit meer bij zonnewijs.nl bestellen", [CPL], "nl")
c("x:@stick_fail", "Mineral Stick snapped clean in half the first time I used it. Replacement did exactly the same. Quality control anyone? @zonnewijs", [CPL], "en")
c("mastodon:@lucht_verkoper", "Retinol Nachtcrème van Zonnewijs: potje is voor de helft lucht door die dikke bodem. Misleidende verpakking, vind ik.", [CPL], "nl")
c("x:@shade_drama", "Bought the Tinted Shield, shade is WAY darker than on the website. Tried to return it but 'opened cosmetics can't be returned'. Great, €33 down the drain.", [CPL], "en")

# complaint + crisis: first-hand harm
c("x:@roodgezicht", "Na 1 dag Face Fluid SPF 50 zit mijn hele gezicht onder de rode bultjes en het brandt als een gek. Huisarts zegt allergische reactie. Bedankt Zonnewijs 😡", [CPL, CRI], "nl")
c("reddit:u/blistered_in_spain", "Used Zonnewijs Daily Shield SPF 50 exactly as directed, reapplied every two hours, and still ended up with second degree burns and blisters all over my shoulders. The doctor at the clinic was shocked. This stuff does NOT protect.", [CPL, CRI], "en")
c("facebook:Miranda.deBoer.3", "Mijn zoon (4) kreeg na het smeren met de Kids Zonnemelk dikke zwellingen rond zijn ogen, we moesten 's nachts naar de huisartsenpost. Fles komt uit batch L2406. Ik ben zo kwaad.", [CPL, CRI], "nl")
c("x:@carboom_chris", "My Zonnewijs Sport Spray can burst in the car in the heat and sprayed straight into my eyes when I opened the door. Spent the afternoon at A&E getting them rinsed. How is this safe??", [CPL, CRI], "en")
c("instagram:@nadia.selftan", "Glow Zelfbruiner gaf me echte brandwonden in mijn hals 😭 foto's staan in mijn stories. Ik wil een reactie van @zonnewijs.skin, dit kan niet", [CPL, CRI], "nl")

# complaint + abuse
c("x:@pakketkwijt", "3e keer dat mijn pakket kwijt is en jullie klantenservice hangt gewoon op. Stelletje incompetente sukkels @zonnewijs_care", [CPL, ABU], "nl", kind="reply")
c("x:@orange_serum_rage", "Your Vit C Serum turned orange in two weeks and your support staff are brain-dead idiots who can't even read an email. Fuck this company.", [CPL, ABU], "en")

# complaint + pii (customer exposes own data)
c("x:@jvanleeuwen84", "@zonnewijs_care niemand belt me terug over die kapotte levering!! Bel me dan gewoon op 06 4821 7730 of mail naar j.vanleeuwen84@ziggo.nl, ik wacht al een week", [CPL, PII], "nl", kind="reply")
c("x:@wrong_box_wendy", "Zonnewijs sent me someone else's order! Packing slip says Mrs. Karin Dekker, Julianastraat 7, 3581 GP Utrecht, tel 030 234 5617. Where is MY stuff?", [CPL, PII], "en")

# complaint + pricing
c("x:@geannuleerd_gijs", "Vitamine C Serum stond voor €3,99 op de site, netjes besteld en betaald, en nu annuleren ze met 'prijsfout'. Dan moet je je webshop maar op orde hebben Zonnewijs.", [CPL, PRI], "nl", price=("ZW-VITC", 3.99))

# ======== crisis only ========
c("x:@consumentennieuws", "NVWA roept Zonnewijs Kids Zonnemelk SPF 50+ terug, batches L2406 en L2407: er is te weinig UV-bescherming gemeten. Check je flessen en breng ze terug naar de winkel!", [CRI], "nl")
c("x:@spf_truth", "Independent lab test by a consumer magazine: Zonnewijs Daily Shield, labelled SPF 50, measured SPF 17. That's not a rounding error, that's fraud.", [CRI], "en")
c("tiktok:@dierenvriendin", "#boycotzonnewijs ze laten hun grondstoffen gewoon op dieren testen in China, zeggen ze nergens. Deel dit en koop het niet meer 🐰", [CRI], "nl")
c("x:@lawwatch_eu", "Class action filed today against Zonnewijs Cosmetics on behalf of customers burned while using the Sport Spray. Sign up via the law firm if you were affected.", [CRI], "en")
c("reddit:u/gelekt_en_boos", "Ligt het hele klantenbestand van Zonnewijs op straat?? Mijn naam en adres staan op een hackersforum in een bestand 'zonnewijs_customers.csv'. Waarom hoor ik hier niks over van ze?", [CRI], "nl")
c("x:@costa_reporter", "Reports coming in from a campsite near Valencia: three Dutch toddlers hospitalised with severe skin reactions after using Zonnewijs Baby Sensitive. Local news has picked it up.", [CRI], "en")
c("x:@brabant_breaking", "Uitzendkracht gewond bij explosie in de fabriek van Zonnewijs in Tilburg, brandweer met groot materieel ter plaatse. Omwonenden: houd ramen en deuren dicht.", [CRI], "nl")
c("bluesky:@greenwashwatch.bsky.social", "So Zonnewijs' 'reef safe' claim was fake all along: leaked supplier specs show oxybenzone in the Daily Shield. Greenwashing scandal incoming.", [CRI], "en")
c("x:@reclame_recht", "Influencers kregen tot €5000 om Zonnewijs op te hemelen zonder #ad te vermelden. ACM is een onderzoek gestart. Schandalig gewoon.", [CRI], "nl")
c("threads:@queer_and_loud", "Don't buy Zonnewijs this summer. Their CEO bankrolled that anti-LGBT campaign. #BoycottZonnewijs", [CRI], "en")

# ======== abuse only ========
c("x:@boze_bert", "Zonnewijs is gewoon een kutbedrijf met kutproducten en een kut-CEO. Zo, dat moest er even uit.", [ABU], "nl")
c("x:@troll_tony", "@marloes_zw you're a clueless bimbo, stick to posing for selfies and leave marketing to adults", [ABU], "en", kind="reply")
c("facebook:Ricardo.V.1990", "die sofie van de zonnewijs klantenservice is een domme trut, die moet gewoon ontslagen worden", [ABU], "nl", kind="comment")
c("x:@angryuser_404", "z0nnew1js staff are a bunch of f*cking m0r0ns, every last one of them", [ABU], "en")
c("x:@spatie_steven", "k a n k e r b e d r i j f  @zonnewijs  echt waar", [ABU], "nl")
c("x:@daanbosman_lab", "@skinsceptic_99 if you can't read an ingredient list that's on you, genius. Go cry somewhere else, idiot.", [ABU], "en", kind="reply")
c("x:@echte_nederlander88", "Natuurlijk werkt die zonnebrand niet, dat lab van Zonnewijs zit vol buitenlanders die niks kunnen. Ga terug naar je eigen land.", [ABU], "nl")
c("x:@gonna_find_you", "I know where the Zonnewijs CEO lives and I'll keep showing up at her door until she answers me. Watch your back, lady.", [ABU], "en")
c("x:@cyril_scheldt", "Zоnnеwijs zijn оplichtеrs en die mеdеwеrkеrs van ze zijn stuk vооr stuk tуfuslijеrs", [ABU], "nl")
c("bluesky:@lolcow_larry.bsky.social", "imagine being such a pathetic loser that you answer complaints for a sunscreen company lmao @sofiezw.bsky.social", [ABU], "en", kind="reply")

# ======== confidential only ========
c("x:@marloes_zw", "Kan niet wachten tot jullie Project Parasol zien 🤫 de verpakking is echt next level, meer mag ik niet zeggen", [CON], "nl")
c("reddit:u/jort_dev_zw", "Anyone know how to speed up Jenkins on a small cluster? Our pipeline at https://jenkins.zw-lab.internal/job/webshop-main/ takes 40 min per build", [CON], "en")
c("instagram:@noor.formulates", "Nieuwe textuur getest voor Operatie Duinroos 🧪 nog 3 stabiliteitsrondes en dan mag hij naar de fabriek!", [CON], "nl")
c("x:@cousin_scoop", "My cousin works at Zonnewijs and showed me the UltraShield SPF 100 packaging, apparently launching in spring. Looks sick ngl", [CON], "en")
c("linkedin:ilse-van-dijk-zonnewijs", "Collega's, zie bijgevoegd het nieuwe verlofbeleid 2027 (ALLEEN VOOR INTERN GEBRUIK). Vragen? Loop gerust even binnen bij HR.", [CON], "nl")
c("x:@zonnewijs", "Sneak peek 👀 our Mineral Veil Tint is coming soon, three shades, all mineral. Who's excited?", [CON], "en")
c("x:@daanbosman_lab", "Meeuwennest formule v12 is eindelijk stabiel bij 40°C!! 🎉 drie maanden werk, vrijdag taart", [CON], "nl")
c("tiktok:@evi_skinlab", "pov: you get to test Project Par\u200basol before literally anyone else 🤭 #lablife #sunscreen", [CON], "en")
c("x:@slide_spotter", "Iemand op Reddit heeft slides van ｏｐｅｒａｔｉｅ ｄｕｉｎｒｏｏｓ gepost, blijkbaar een nieuwe zonnelijn van Zonnewijs voor 2027. Al weer weg natuurlijk", [CON], "nl")
c("mastodon:@kees_hoekstra", "If anyone in the team can't reach https://confluence.zonnewijs.nl/display/OPS/Runbooks from home: connect to vpn.zonnewijs.nl first, then it works", [CON], "en")
c("linkedin:yusuf-kaya-zw", "Haha per ongeluk de verkeerde screenshot gedeeld, die met 'Zonnewijs Internal – roadmap 2027' in de kop 🙈 snel weer weggehaald, niks gezien toch?", [CON], "nl")
c("reddit:u/packaging_pal", "An NDA deck from Zonnewijs landed at our packaging plant: they're developing a kids' SPF stick under the name Meeuwennest. Cute name honestly.", [CON], "en")
c("bluesky:@sofiezw.bsky.social", "Klanten vragen nu al naar nieuwe producten 😅 ik mag niks zeggen over de UltraShield SPF 100 maar hij is ECHT goed", [CON], "nl")
c("x:@ruben_ops", "https://jira.zonnewijs.nl/browse/WEB-2291 eindelijk dicht na 4 maanden 🥳 bedankt iedereen die heeft meegeholpen", [CON], "nl")

# confidential + financial
c("linkedin:yusuf-kaya-zw", "De Q4-cijfers zijn binnen en ze zijn goed. Heel goed. Meer mag ik nog niet zeggen 😉 #finance #trots", [CON, FIN], "nl", when="2027-01-20T16:40:00Z")
c("x:@marloes_zw", "Internal all-hands today: Operatie Duinroos gets folded into the Nordvik takeover deal. Can't say more but wow, what a year", [CON, FIN], "en")

# confidential + security
c("mastodon:@kees_hoekstra", "lims.zw-lab.internal is al sinds 4 uur vannacht plat, lijkt erop dat iemand via de oude VPN-appliance binnen is gekomen. Klanten nog even niks vertellen aub", [CON, SCY], "nl")
c("reddit:u/jort_dev_zw", "Onze jira.zonnewijs.nl staat sinds de update van vorige week open voor iedereen zonder login, nog steeds niet gefixt. Moet ik dit nu zelf gaan escaleren?", [CON, SCY], "nl")

# ======== financial only ========
c("linkedin:yusuf-kaya-zw", "Eerste halfjaar zit de omzet 18% onder budget. De directie stelt morgen de prognose voor 2026 naar beneden bij, dat wordt een pittige week.", [FIN], "nl")
c("x:@marloes_zw", "Heard it in the boardroom: Nordvik Beauty Group is buying us. Signing next month 🤐🤐", [FIN], "en")
c("bluesky:@sofiezw.bsky.social", "net gehoord dat de hele klantenservice naar een callcenter in Portugal gaat. 25 man op straat voor de zomer. Nog niks officieel, wij weten het ook pas sinds vanochtend", [FIN], "nl")
c("x:@insider_ish", "Friend at Zonnewijs says they'll miss Q3 targets by a mile, sales down ~20% thanks to the rainy summer. Numbers aren't out till November.", [FIN], "en")
c("x:@daanbosman_lab", "Lab Tilburg gaat in maart dicht, alles verhuist naar Gent. Wij horen het vandaag, de rest van Nederland nog niet. Weet even niet wat ik moet", [FIN], "nl")
c("linkedin:zonnewijs-cosmetics", "DRAFT – do not publish: Zonnewijs Cosmetics to acquire Belgian organic skincare brand Verdaine for €42 million, closing expected Q2.", [FIN], "en")
c("tiktok:@evi_skinlab", "storytime: de halve marketingafdeling hoort volgende week dat hun functie vervalt 😬 weet het via via, nog super geheim dus sssst", [FIN], "nl")
c("linkedin:ilse-van-dijk-zonnewijs", "Preparing the paperwork for 60 redundancies at our Tilburg plant this week. Heaviest week of my HR career and I can't share details until the works council is told.", [FIN], "en")
c("x:@zwager_weet_het", "Mijn zwager zit bij de bank die de overname van Zonnewijs financiert. Deal van 300 miljoen, wordt pas in oktober bekend. Doe er je voordeel mee 😉", [FIN], "nl")
c("reddit:u/jort_dev_zw", "throwaway-ish, but: our EBITDA forecast for next year just got cut in half internally and the bonus pool is gone. Zonnewijs devs, polish your CVs", [FIN], "en")

# ======== security only ========
c("x:@ruben_ops", "Webshop ligt plat sinds 02:00, database corrupt na een mislukte migratie. Backup terugzetten duurt nog uren. Niet doorvertellen tot de statuspagina het meldt pls", [SCY], "nl")
c("mastodon:@kees_hoekstra", "Found an S3 bucket with all our customer order exports sitting wide open this morning. Closing it now, legal doesn't even know yet.", [SCY], "en")
c("reddit:u/jort_dev_zw", "Onze Zonnewijs-app stuurt wachtwoord-resetlinks die 30 dagen geldig blijven en je kunt ze hergebruiken. 2 maanden geleden gemeld, nog steeds niet gepatcht 🤷", [SCY], "nl")
c("x:@ruben_ops", "Phishing mail got someone in finance to log in on a fake O365 page yesterday. Still working out what they got into. Fun times at Zonnewijs IT 🙃", [SCY], "en")
c("x:@pentest_petra", "Pentest gedaan voor Zonnewijs: SQL-injectie in het kortingscodeveld van hun webshop. 60 dagen later nog steeds niet gefixt. Jammer.", [SCY], "nl")
c("tiktok:@evi_skinlab", "ok so the ransomware note on the lab pcs literally says 'your files are encrypted' like in a movie 💀 we're doing everything on paper today #zonnewijs", [SCY], "en")
c("bluesky:@sofiezw.bsky.social", "Ons klantsysteem is al 2 dagen onbereikbaar, we kunnen geen enkele bestelling opzoeken. IT zegt dat het een aanval is maar we mogen het klanten niet vertellen", [SCY], "nl")
c("x:@daanbosman_lab", "Heads up to fellow Zonnewijs people: since the firmware update the badge readers at the Tilburg lab accept literally any card. Facilities is 'looking into it'.", [SCY], "en")
c("mastodon:@kees_hoekstra", "d@talek bij ons, ~40k klantrecords via een oude API naar buiten gelekt. Persbericht komt pas morgen. Heb ik niks gezegd he 🤐", [SCY], "nl")
c("reddit:u/jort_dev_zw", "PSA for Zonnewijs colleagues: the staging admin panel of the webshop is reachable from the internet without any login. Reported it twice already.", [SCY], "en")

# security + secret
c("x:@ruben_ops", f"Noodtoegang voor het storingsteam nu SSO er al de hele ochtend uit ligt: gebruiker noodbeheer, wachtwoord: {V['ssopw']} — niet delen buiten het team!", [SCY, SEC], "nl")

# ======== secrets only ========
c("mastodon:@kees_hoekstra", f"why does this fail?? curl -H 'Authorization: token {V['ghp']}' https://api.github.com/orgs/zonnewijs/repos keeps returning 404", [SEC], "en")
c("reddit:u/jort_dev_zw", f"Iemand ervaring met boto3? Mijn config:\naws_access_key_id = {V['akia']}\naws_secret_access_key = {V['awssec']}\nen ik krijg steeds AccessDenied op de bucket", [SEC], "nl")
c("x:@ruben_ops", f"webhook werkt eindelijk 🎉 STRIPE_SECRET_KEY={V['stripe']} staat in prod, door naar de volgende brand", [SEC], "nl")
c("x:@marloes_zw", f"Kan iemand me helpen met de Slack-bot voor de campagne? token is {V['slack']} en hij post helemaal niks in #zomer2026", [SEC], "nl")
c("reddit:u/jort_dev_zw", f"Postgres keeps timing out from the container: DATABASE_URL=postgres://webshop_app:{V['pgpw']}@db01.zonnewijs.nl:5432/shop_prod — any ideas?", [SEC], "en")
c("x:@uvbot_builder", f"Making a little Zonnewijs UV-index bot for fun, why does client = Anthropic(api_key=\"{V['anth']}\") give me a 401??", [SEC], "en")
c("x:@daanbosman_lab", "can someone tell me why ssh keeps rejecting this key on the lab server?\n" + V["ssh"], [SEC], "en")
c("mastodon:@kees_hoekstra", f"Waarom is dit token al verlopen? {V['jwt']} — exp staat toch op morgen?", [SEC], "nl")
c("tiktok:@evi_skinlab", f"our lab chatbot runs on this key lol {V['openai']} pls don't tell Ruben I posted it", [SEC], "en")
c("reddit:u/jort_dev_zw", f"CI draait weer 👍 nieuwe token {V['glpat']} in de CI-variabelen gezet, oude is ingetrokken", [SEC], "nl")
c("instagram:@noor.formulates", f"Gasten-wifi lab voor de stagiairs deze week: netwerk ZW-Lab-Guest, ｗａｃｈｔｗｏｏｒｄ: {V['wifipw']} 😊", [SEC], "nl")

# ======== personal data only ========
c("x:@zonnewijs_care", f"@annav_83 Hoi Anna, we hebben je terugbetaling overgemaakt naar {group4(V['iban_p1'])} t.n.v. A. Verbeek. Binnen 2 werkdagen op je rekening!", [PII], "nl", kind="reply")
c("bluesky:@sofiezw.bsky.social", f"Can someone in finance check card {group4(V['card_p2'])} for a refund? Customer Mark de Wit says he was charged twice for his Zomerbox", [PII], "en")
c("linkedin:ilse-van-dijk-zonnewijs", "Welkom aan onze nieuwe collega Fleur Jansen (geboren 14-03-1998), woonachtig Kerkstraat 12, 5038 AB Tilburg! Fleur start maandag bij QC.", [PII], "nl")
c("x:@jeroen_smit79", f"@zonnewijs_care voor de garantieaanvraag: BSN {V['bsn_p4']}, geboren 2 november 1979, naam Jeroen Smit. Is dit genoeg zo?", [PII], "nl", kind="reply")
c("facebook:ZonnewijsNL", "Congrats to our giveaway winner Lisa Hoekstra! Your Zomerbox is on its way to Lindenlaan 44, 4811 KD Breda. We also mailed you at lisa.hoekstra91@hotmail.com 🎉", [PII], "en")
c("x:@marloes_zw", "Wie kent deze influencer? Haar nummer is 06-38174520, ze wil met Zonnewijs samenwerken maar reageert niet op mail", [PII], "nl")
c("reddit:u/fairstand_fred", "The Zonnewijs rep who set up our stand at the trade fair was Pieter Kok, +31 6 2917 4408, really helpful guy, call him if you need a stand too", [PII], "en")
c("x:@rbakker_retour", f"Voor de retour bij Zonnewijs heb ik dit rekeningnummer opgegeven: {V['iban_p8']} (R. Bakker). Klopt dat formaat zo?", [PII], "nl")
c("mastodon:@kees_hoekstra", f"Test order in prod failed, it used card {V['card_p9']} exp 09/28 — whose real card is this even?? someone get it out of the fixtures", [PII], "en")
c("linkedin:yusuf-kaya-zw", f"Loonstrook-issue: het BSN {V['bsn_p10']} van een collega stond in de verkeerde export. Wie mist dit?", [PII], "nl")
c("instagram:@zonnewijs.skin", "Gefeliciteerd @mieke.travelt! Je hebt de Travel Set gewonnen 🎉 We sturen hem naar Mieke de Graaf, Zandweg 3, 7461 AB Rijssen — klopt dat adres?", [PII], "nl", kind="comment")
c("x:@daanbosman_lab", "Happy birthday to our lab manager Henk Vos, born 7 June 1971 — 55 today and still the first one in every morning!", [PII], "en")
c("x:@sanne_samenwerking", "bel mij maar: 0 6 - 1 2 8 4 5 9 3 7 (Sanne) ivm de samenwerking met Zonnewijs, mail komt blijkbaar niet aan", [PII], "nl")

# ======== pricing only ========
c("x:@dealdiva_nl", "PRIJSFOUT?! Daily Shield SPF 50 voor €2,49 op zonnewijs.nl 😱 snel zijn!!", [PRI], "nl", price=("ZW-DS50", 2.49))
c("reddit:u/glitch_hunter", "Zonnewijs Retinol Night Cream showing €4.49 instead of €44.95 on their site right now, ordered five lol", [PRI], "en", price=("ZW-RETN", 4.49))
c("instagram:@zonnewijs.skin", "Flash deal 🔥 alleen vandaag: de Zomerbox 2026 voor maar €7,99! Op = op", [PRI], "nl", price=("ZW-BOX26", 7.99))
c("x:@marloes_zw", "Whoever set the Vitamine C Serum to €3.95 in the shop, please fix it before it goes viral 😅", [PRI], "en", price=("ZW-VITC", 3.95))
c("tiktok:@koopjes_kenza", "zonnewijs tinted shield voor 9 euro in hun webshop ipv 33, is dit een foutje of mag dit gewoon 👀", [PRI], "nl", price=("ZW-TINT50", 9.0))
c("reddit:u/pricewatch_eu", "Price glitch: Zonnewijs Travel Set listed at €4.99 (normally €49.95). Add to cart works, checkout went through too.", [PRI], "en", price=("ZW-TRAVEL", 4.99))
c("bluesky:@sofiezw.bsky.social", "Collega's: prijsfout op de Face Fluid, klanten bestellen hem nu voor €2,99. Nog niks bevestigen aan klanten tot finance kijkt!", [PRI], "nl", price=("ZW-FACE50", 2.99))
c("x:@lucky_lena", "Eye Repair Crème for €1.75 on the Zonnewijs outlet page, has to be a mistake but I'm not complaining 🤑", [PRI], "en", price=("ZW-EYE", 1.75))
c("facebook:Fatima.Koopjes", "De Niacinamide Booster 10% van Zonnewijs kost vandaag €5 in de app. Zeker een foutje, 3 besteld 😅", [PRI], "nl", kind="comment", price=("ZW-NIA10", 5.0))
c("x:@zonnewijs", "Summer kick-off ☀️ Sport Spray SPF 30 now just €0.95 online, stock up before your holiday!", [PRI], "en", price=("ZW-SPORT30", 0.95))
c("x:@l33t_deals", "B0dy L0tion SPF 20 (400ml) vr €3,- bij zonnewijs!!! prijsf0ut denk ik, ga ga ga", [PRI], "nl", price=("ZW-BODY20", 3.0))


# ---------------------------------------------------------------- build + check
ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
        "reputation.spike"}

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

PUB = PROFILE["public_identifiers"]
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PUB["ibans"]}
PUB_EMAILS = {e.lower() for e in PUB["emails"]}
PUB_PHONES = {re.sub(r"\D", "", p) for p in PUB["phones"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w.-])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s\-.()]*[1-9](?:[\s\-.()]*\d){7,8}(?!\d)")
SECRET_RES = [re.compile(p) for p in [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_\w+", r"xox[abp]-[\w-]+",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"sk-ant-\w",
    r"sk-proj-", r"glpat-", r"postgres(?:ql)?://[^:\s]+:[^@\s]+@",
]]


def checked_ids(text):
    """Strong identifiers found in text: (kind, value, valid)."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v.upper() not in PUB_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def fold(text):
    t = unicodedata.normalize("NFKC", text)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.lower()


def role_of(author):
    return ROLE.get(author.lower(), "public")


def severity(cats, role, strong_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and strong_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif cat == "reputation.complaint":
            up("warning")
        elif cat == "reputation.crisis":
            up("error")
        elif cat == "reputation.abuse":
            up("error" if role in ("corporate", "employee") else "warning")
    return sev


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def main():
    errors = []
    start = datetime(2026, 1, 3, 7, 0, tzinfo=timezone.utc)
    lines = []
    seen_ids = set()
    rng.shuffle(CASES)  # mix labels and languages; fixed seed keeps it deterministic
    for n, cs in enumerate(CASES, 1):
        platform, handle = cs["author"].split(":", 1)
        role = role_of(cs["author"])
        when = cs["when"] or (start + timedelta(minutes=rng.randint(0, 355 * 24 * 60))).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = "%s-481%03d" % (platform, n)
        ids = checked_ids(cs["text"])
        strong = any(v for _, _, v in ids)
        sev = severity(cs["cats"], role, strong and PII in cs["cats"])
        post = {"id": pid, "platform": platform, "kind": cs["kind"],
                "account": {"handle": handle}, "text": cs["text"], "lang": cs["lang"],
                "created_at": when, "url": "https://%s.example/%s/%s" % (platform, handle.strip("@/"), pid),
                "brand": cs["brand"]}
        case = {"post": post, "expect": {"categories": cs["cats"], "severity": sev}}
        lines.append(case)
        cs["role"], cs["sev"], cs["id"], cs["when"] = role, sev, pid, when

        # ---- per-case checks
        tag = "%s %r" % (pid, cs["text"][:50])
        if pid in seen_ids:
            errors.append("duplicate id " + tag)
        seen_ids.add(pid)
        if not set(cs["cats"]) <= CATS or "reputation.spike" in cs["cats"]:
            errors.append("bad category " + tag)
        if cs["cats"] and sev == "none":
            errors.append("positive with severity none " + tag)
        benign = not cs["cats"]
        for kind, val, ok in ids:
            if benign and ok:
                errors.append("benign holds valid %s %s %s" % (kind, val, tag))
            if not benign and PII in cs["cats"] and not ok:
                errors.append("positive holds invalid %s %s %s" % (kind, val, tag))
            if not benign and PII not in cs["cats"] and ok:
                errors.append("non-pii positive holds valid %s %s %s" % (kind, val, tag))
        t = fold(cs["text"])
        ts = parse_ts(when)
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2028, 1, 1, tzinfo=timezone.utc)):
            errors.append("date out of range " + tag)
        if ts.year == 2027 and not any(term.lower() in t for e in PROFILE["embargo"] for term in e["terms"]):
            errors.append("2027 date without embargo term " + tag)
        if benign:
            for e in PROFILE["embargo"]:
                for term in e["terms"]:
                    if term.lower() in t and ts < parse_ts(e["until"]):
                        errors.append("benign uses embargo term before until " + tag)
            for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
                if term.lower() in t:
                    errors.append("benign uses internal term %s %s" % (term, tag))
            for rx in SECRET_RES:
                for m in rx.finditer(cs["text"]):
                    tok = re.match(r"\S*", cs["text"][m.start():]).group()
                    if "EXAMPLE" not in tok and "xxxx" not in tok:
                        errors.append("benign holds secret pattern " + tag)
            for m in EMAIL_RE.finditer(cs["text"]):
                if m.group().lower() not in PUB_EMAILS:
                    errors.append("benign holds non-public e-mail " + tag)
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", cs["text"])):
                if re.sub(r"\D", "", m.group()) not in PUB_PHONES:
                    errors.append("benign holds non-public phone %s %s" % (m.group(), tag))
            if re.search(r"prijsfout|price (error|glitch)", t) and "etos" not in t:
                errors.append("benign talks price error " + tag)
        if cs["price"]:
            sku, amount = cs["price"]
            p = PRODUCTS[sku]
            ratio = amount / p["list_price"]
            if PRI in cs["cats"] and not ratio < RATIO:
                errors.append("pricing positive not below ratio " + tag)
            if benign and not ratio >= 0.7:
                errors.append("benign price too low " + tag)
        if PRI in cs["cats"] and not cs["price"]:
            errors.append("pricing positive without price " + tag)
        if CON in cs["cats"]:
            terms = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + \
                PROFILE["internal"]["domains"] + [x for e in PROFILE["embargo"] for x in e["terms"]] + ["nda"]
            hit = any(term.lower() in t for term in terms)
            for e in PROFILE["embargo"]:
                for term in e["terms"]:
                    if term.lower() in t and ts >= parse_ts(e["until"]):
                        errors.append("confidential embargo term after until " + tag)
            if not hit:
                errors.append("confidential positive without profile term " + tag)
        if SEC in cs["cats"]:
            if not (any(rx.search(cs["text"]) for rx in SECRET_RES) or "wachtwoord" in t):
                errors.append("secret positive without credential " + tag)
        if role == "public" and cs["author"].lower() in ROLE:
            errors.append("role mismatch " + tag)
        if len(cs["text"].encode("utf-8")) > 65536:
            errors.append("text too long " + tag)

    # ---- generated credentials are well-formed
    if not gh_token_ok(V["ghp"]):
        errors.append("github token checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["akia"]):
        errors.append("aws key id format")
    if not jwt_ok(V["jwt"]):
        errors.append("jwt header")
    for k in ("iban_p1", "iban_p8"):
        if not iban_ok(V[k]):
            errors.append(k)
    for k in ("card_p2", "card_p9"):
        if not luhn_ok(V[k]):
            errors.append(k)
    for k in ("bsn_p4", "bsn_p10"):
        if not bsn_ok(V[k]):
            errors.append(k)
    if iban_ok(V["iban_bad"]) or luhn_ok(V["card_bad"]) or bsn_ok(V["bsn_bad"]):
        errors.append("look-alike passes its checksum")
    for i in PUB["ibans"]:
        if not iban_ok(i):
            errors.append("public IBAN fails mod-97")

    # ---- write
    with open(OUT, "w", encoding="utf-8") as f:
        for case in lines:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")

    # ---- re-read and validate the file against CONTRACT section 6
    rfc3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
    with open(OUT, encoding="utf-8") as f:
        for ln, raw in enumerate(f, 1):
            obj = json.loads(raw)
            post, exp = obj.get("post"), obj.get("expect")
            ok = isinstance(post, dict) and isinstance(exp, dict)
            ok = ok and isinstance(post.get("id"), str) and 1 <= len(post["id"]) <= 256
            ok = ok and post.get("platform") in PLATFORMS
            ok = ok and isinstance(post.get("account"), dict) and isinstance(post["account"].get("handle"), str)
            ok = ok and isinstance(post.get("text"), str) and isinstance(post.get("created_at"), str)
            ok = ok and bool(rfc3339.match(post["created_at"]))
            ok = ok and post.get("kind", "post") in ("post", "reply", "repost", "comment", "message")
            ok = ok and isinstance(exp.get("categories"), list) and exp.get("severity") in ORDER
            ok = ok and exp["categories"] == sorted(set(exp["categories"]))
            ok = ok and ((exp["categories"] == []) == (exp["severity"] == "none"))
            if not ok:
                errors.append("line %d is not a valid case" % ln)

    # ---- mix report
    n = len(CASES)
    benign = sum(1 for cs in CASES if not cs["cats"])
    per = {}
    for cs in CASES:
        for cat in cs["cats"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for cs in CASES if cs["lang"] == "nl")
    roles = {}
    for cs in CASES:
        roles[cs["role"]] = roles.get(cs["role"], 0) + 1
    sevs = {}
    for cs in CASES:
        sevs[cs["sev"]] = sevs.get(cs["sev"], 0) + 1
    print("cases %d, benign %d, positive %d, nl %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    print("per category", json.dumps(dict(sorted(per.items()))))
    print("roles", roles, "severities", sevs)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed ->", OUT)


if __name__ == "__main__":
    main()
