#!/usr/bin/env python3
"""Held-out evaluation set for postwatch: Brakkenveld Biologisch Hondenvoer B.V.

Deterministic (fixed seed). Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (or is the company's own public data);
  * generated credentials are built like the real ones (GitHub CRC-32, AWS
    AKIA + base32, JWT header with alg, ...), documentation samples are benign;
  * severities are computed from the profile's account roles (CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(506_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role

PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

# ---------------------------------------------------------------- checksums
DIG = "0123456789"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOW = "abcdefghijklmnopqrstuvwxyz"
ALNUM = DIG + UP + LOW
B62 = DIG + UP + LOW


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0


def grp(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


REG = []  # (kind, text-as-inserted, must_be_valid)


def make_iban(cc="NL", bank=None, valid=True, spaced=True):
    if cc == "NL":
        bank = bank or rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
        bban = bank + "".join(rng.choice(DIG) for _ in range(10))
    elif cc == "BE":
        bban = "".join(rng.choice(DIG) for _ in range(12))
    else:  # DE
        bban = "".join(rng.choice(DIG) for _ in range(18))
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 40)) % 97 + 2
        if chk > 99:
            chk -= 97
    s = f"{cc}{chk:02d}{bban}"
    assert iban_ok(s) == valid
    out = grp(s) if spaced else s
    REG.append(("iban", out, valid))
    return out


def make_card(prefix="4", length=16, valid=True, sep=" "):
    while True:
        body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
        for last in DIG:
            if luhn_ok(body + last):
                good = last
                break
        num = body + (good if valid else str((int(good) + rng.randint(1, 9)) % 10))
        if luhn_ok(num) == valid:
            break
    out = sep.join(num[i:i + 4] for i in range(0, len(num), 4)) if sep is not None else num
    REG.append(("card", out, valid))
    return out


def make_bsn(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if last == 10:
            continue
        if not valid:
            last = (last + rng.randint(1, 9)) % 10
        s = "".join(map(str, d)) + str(last)
        if bsn_ok(s) == valid:
            REG.append(("bsn", s, valid))
            return s


# ---------------------------------------------------------------- credentials
SECRETS = []  # (kind, value)


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    SECRETS.append(("github", tok))
    return tok


def aws_pair():
    kid = "AKIA" + rs(UP + "234567", 16)
    sec = rs(ALNUM + "/+", 40)
    SECRETS.append(("aws_id", kid))
    SECRETS.append(("aws_secret", sec))
    return kid, sec


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.randrange(256) for _ in range(32)))
    tok = f"{h}.{p}.{s}"
    SECRETS.append(("jwt", tok))
    return tok


def secret(kind, value):
    SECRETS.append((kind, value))
    return value


def openssh_key():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + bytes(rng.randrange(256) for _ in range(330))
    b = base64.b64encode(raw).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    key = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"
    SECRETS.append(("ssh_private_key", key))
    return key


# generated values, in a fixed order
GH1 = gh_token("ghp_")
GH2 = gh_token("gho_")
AWS_ID, AWS_SEC = aws_pair()
MOLLIE = secret("mollie", "live_" + rs(ALNUM, 30))
SLACK = secret("slack", f"xoxb-{rs(DIG, 12)}-{rs(DIG, 13)}-{rs(ALNUM, 24)}")
OPENAI = secret("openai", "sk-proj-" + rs(ALNUM + "_-", 64) + "T3BlbkFJ" + rs(ALNUM + "_-", 64))
SSHKEY = openssh_key()
JWT1 = jwt({"sub": "admin@brakkenveld.nl", "role": "superadmin", "iat": 1767225600})
STRIPE = secret("stripe", "sk_live_51" + rs(ALNUM, 22))
WIFI_PW = secret("password", "Brokjes4Ever!" + rs(DIG, 2))
ANTHROPIC = secret("anthropic", "sk-ant-api03-" + rs(ALNUM + "_-", 93) + "AA")
GLPAT = secret("gitlab", "glpat-" + rs(ALNUM + "_-", 20))
PG_PW = rs(ALNUM, 14)
PG_URL = secret("db_url", f"postgres://bkv_shop:{PG_PW}@10.20.4.11:5432/webshop")
MONGO_PW = rs(ALNUM, 16)
MONGO_URL = secret("db_url", f"mongodb+srv://recepten_rw:{MONGO_PW}@cluster0.k3v9x.mongodb.net/recepten")
GOOGLE = secret("google", "AIza" + rs(ALNUM + "_-", 35))

IBAN_REFUND = make_iban("NL")
IBAN_PUB_REFUND = make_iban("NL", spaced=False)
IBAN_ANGRY = make_iban("BE")
IBAN_BAD = make_iban("NL", bank="INGB", valid=False)
IBAN_BAD2 = make_iban("DE", valid=False, spaced=False)
CARD_PHONE = make_card("4", 16)
CARD_UPDATE = make_card("52", 16, sep="-")
CARD_BAD = make_card("4", 16, valid=False)
CARD_BAD2 = make_card("6", 16, valid=False, sep=" ")
BSN_HR = make_bsn()
BSN_BAD = make_bsn(valid=False)

# ---------------------------------------------------------------- cases
CASES = []

C = "leak.confidential"
S = "leak.secret"
PII = "leak.pii"
PR = "leak.pricing"
FIN = "leak.financial"
SEC = "leak.security"
CRI = "reputation.crisis"
COM = "reputation.complaint"
AB = "reputation.abuse"


def add(acct, text, cats, lang, kind="post", t=None):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(cats),
                      lang=lang, kind=kind, t=t))


# ===== pricing leaks (12)
add("x:@snuffelaar_rik", "Hert & Bosbes 12 kg staat nu voor €8,95 op shop.brakkenveld.nl?! Dat is toch een foutje... heb er maar meteen 3 besteld 😅", [PR], "nl")
add("x:@mariekevos_bkv", "Oeps 🙈 prijsfout in de webshop: de Zalmolie stond vanochtend een uur lang op €1,79. IT is erbij, sorry voor de verwarring!", [PR], "nl")
add("instagram:@brakkenveld.bio", "FLASH DEAL 🔥🔥 Alleen vandaag: Brakkenveld Lam & Rijst 12 kg voor maar €19,95! Op=op #hondenvoer #deal", [PR], "nl")
add("reddit:u/beaglebrain", "lol Brakkenveld's Puppy Start 3kg is listed at €2.49 right now. price glitch?? grabbed five before they notice", [PR], "en")
add("x:@teun_vleeuwen", "Collega's opgelet: personeelsactie volgende week, Eend & Pastinaak 12 kg voor €29,95 👀 niet verder vertellen haha", [PR], "nl")
add("reddit:u/vizsla_vibes", "PSA: Insect Hypo 10 kg comes out at €12 at checkout when you order through the app. Pretty sure that's a pricing error on their end", [PR], "en", kind="comment")
add("x:@brakkenveld_help", "@dorienvanbeek klopt, de Kauwstaven Runderhuid stonden gisteren door een prijsfout op €1,29. We leveren je bestelling gewoon uit hoor 🐾", [PR], "nl", kind="reply")
add("linkedin:youssef-bakkali-bkv", "Fun outcome of our pricing sprint: next month we'll test Senior Light 10 kg at €24.99 in the B2B portal to see what volume does. Data > gut feeling!", [PR], "en")
add("x:@tessa_tekkel", "Bottenbouillon voor 0,99 in de webshop?? Zit al in m'n mandje. Iemand anders ook? #prijsfout", [PR], "nl")
add("x:@jorisdev", "dit mag ik eigenlijk niet zeggen maar Black Friday wordt wild: Kip & Zoete Aardappel 12kg €29 😬", [PR], "nl")
add("tiktok:@puppy_pien", "freeze-dried liver 150g for €3.50 at brakkenveld rn 😱 prob a mistake but whatever, ordered 10 bags", [PR], "en")
add("bluesky:@noodle-the-lurcher.bsky.social", "The Brakkenveld Belgian webshop shows the Vers Vlees Menu Rund 6-pack at €4.39. Someone fat-fingered a price there", [PR], "en")

# ===== confidential (15) + confidential/financial (2) + confidential/security (1)
add("x:@mariekevos_bkv", "Eindelijk een beetje licht aan het eind van de tunnel: Project Beukennoot gaat alles veranderen voor kattenbaasjes 🐱 meer kan ik niet zeggen!!", [C], "nl")
add("linkedin:anouk-hendriks-brakkenveld", "Proud of the team behind Houtsnip-2, our cold-pressed line. The launch deck is still stamped 'strikt intern' so I'll keep it short 😉 #teamwork", [C], "en")
add("x:@jorisdev", "wie heeft de wiki op intra.brakkenveld.local weer omgegooid? al mijn bookmarks naar de deploy-handleiding zijn dood", [C], "nl")
add("reddit:u/kees_in_de_fabriek", "can't say much but we ran the first trial batches of Wildzwijn & Pompoen this week. smells like autumn in the whole hall. shelves in spring I think", [C], "en", t="2026-10-08T14:12:40Z")
add("instagram:@brakkenveld.bio", "Sneak peek 👀 Snuitjes Dental XL komt eraan... voor de grote jongens en meiden 🦴 #binnenkort", [C], "nl", t="2026-11-19T17:30:00Z")
add("x:@hondenmama_eef", "vriendin werkt bij brakkenveld en liet me net de zak van Wildzwijn & Pompoen zien 🐗🎃 ziet er echt vet uit", [C], "nl", t="2027-01-09T20:44:03Z")
add("x:@teun_vleeuwen", "Notulen teamoverleg (vertrouwelijk - niet delen): vanaf 2027 gaat alle puppyvoer over op insecteneiwit. Eindelijk!", [C], "nl")
add("threads:@noor.bkv", "Operatie Moerasvaren officially kicked off today 🚧 six months of dust and noise in the factory, wish us luck", [C], "en")
add("bluesky:@esmeedekker.bsky.social", "if anyone on the team needs the refund escalation macro it's at wms.bkv-intern.nl/macros/refund — don't ask me for the login lol", [C], "en")
add("x:@pawsandpixels", "Spotted 'Pr\u200boject Beuken\u200bnoot' in a Brakkenveld job ad 👀 what could that be?", [C], "en")
add("x:@teun_vleeuwen", "H o u t s n i p - 2 staat eindelijk op de planning voor lijn 3 in Veghel. Eindelijk wat anders dan brokjes draaien", [C], "nl")
add("linkedin:youssef-bakkali-bkv", "Sharing one slide from our roadmap (brakkenveld internal only) because I'm just too excited: a grain-free cat range lands in Q2. Watch this space!", [C], "en")
add("tiktok:@brakkenveld", "Behind the scenes bij een héél nieuw recept 🤫🐶 #ProjectBeukennoot #brakkenveld", [C], "nl")
add("mastodon:@bramops@mastodon.nl", "Anyone else having trouble with vpn.bkv-intern.nl today? Connection drops every 10 minutes #wfh", [C], "en")
add("x:@mariekevos_bkv", "Nog een halfuurtje en dan mogen we het eindelijk laten zien: Snuitjes Dental XL 🎉🦴", [C], "nl", t="2027-03-15T07:30:00Z")
add("linkedin:youssef-bakkali-bkv", "Net de jaarcijfers 2026 onder ogen gehad: omzet +18% en voor het eerst winst op de Duitse markt. Mag er tot eind februari niks over zeggen 🤐", [C, FIN], "nl", t="2027-01-21T16:02:11Z")
add("x:@jorisdev", "FY2026 results are in and EBITDA beat plan by 3 mln apparently. can't wait for the 25th so we can finally talk about it", [C, FIN], "en", t="2027-02-10T11:48:30Z")
add("mastodon:@bramops@mastodon.nl", "erp.brakkenveld.local ligt sinds 03:00 plat na die aanval, het hele DC pickt vandaag op papier. Naar buiten heet het 'gepland onderhoud' 🙄", [C, SEC], "nl")

# ===== financial (10)
add("linkedin:youssef-bakkali-bkv", "Q3 is beroerd: omzet 11% onder budget en de winstwaarschuwing gaat volgende week de deur uit. Zwaar kwartaal voor finance.", [FIN], "nl")
add("x:@jorisdev", "rumours confirmed in the all-hands: Nordhavn Pet Group is buying us. signing next tuesday, press release after that", [FIN], "en")
add("linkedin:anouk-hendriks-brakkenveld", "Zwaar gesprek gehad vandaag met de directie. 35 fte in de productie gaat verdwijnen, de mensen zelf horen het pas in december. Dit is het moeilijkste deel van HR.", [FIN], "nl")
add("facebook:Gerda.vanDongen.1965", "Mijn zwager werkt bij Brakkenveld en die zegt dat de fabriek in Uden dicht gaat. Is nog niet bekend gemaakt hoor, maar het komt eraan", [FIN], "nl", kind="comment")
add("reddit:u/kees_in_de_fabriek", "2027 forecast got cut from 92M to 78M in the board deck today. morale on the floor is great as you can imagine", [FIN], "en")
add("x:@teun_vleeuwen", "Net gehoord dat het DC naar Antwerpen verhuist en de helft van de ploeg mag vertrekken. Nog geheim dus mondje dicht 🤫", [FIN], "nl")
add("linkedin:youssef-bakkali-bkv", "Board approved the acquisition of a Danish treat maker yesterday, ~€14m. Announcement once due diligence wraps up. Exciting times!", [FIN], "en")
add("threads:@noor.bkv", "Onze grootste supermarktklant stopt per 1 maart met ons assortiment... 22% van de omzet. Benieuwd hoe we dát aan de bank gaan uitleggen", [FIN], "nl")
add("reddit:u/kibble_curious", "Heard from one of their suppliers that Brakkenveld is letting most of its sales team go before Christmas. Not announced anywhere yet.", [FIN], "en")
add("x:@mariekevos_bkv", "No way we hit the H2 targets, organic chicken got 40% pricier. Leadership is already talking about a restructuring in spring 😞", [FIN], "en")

# ===== security (11) + security/secret (1)
add("mastodon:@bramops@mastodon.nl", "Sinds gisteravond zit er iemand in onze klantendatabase en we weten nog niet hoeveel records eruit zijn. Communicatie wacht eerst op de advocaat. Lange nacht.", [SEC], "nl")
add("x:@jorisdev", "found out today our loyalty app API happily returns other customers' orders if you just change the id in the URL. ticket's been open for 3 weeks 🤦", [SEC], "en")
add("bluesky:@esmeedekker.bsky.social", "betaalpagina ligt al 2 uur plat en we mogen klanten niks vertellen, we moeten 'technische storing' zeggen. Ik krijg de ene boze chat na de andere", [SEC], "nl")
add("linkedin:youssef-bakkali-bkv", "Lesson learned the hard way: three of us in finance clicked that fake DHL mail last week. IT reset our accounts, but the attacker had been in the shared mailbox for a full day.", [SEC], "en")
add("x:@teun_vleeuwen", "ransomware note on every label printer in the DC 😳 everything offline. 'don't tweet about it' they said. oops", [SEC], "en")
add("reddit:u/kees_in_de_fabriek", "the checkweigher PLC on line 2 is still on factory default creds and reachable from the guest wifi. reported it twice, nobody cares", [SEC], "en")
add("mastodon:@bramops@mastodon.nl", "De backups van de webshop draaien al vijf weken niet. Niemand weet het behalve ik. En nu jullie dus.", [SEC], "nl")
add("x:@jorisdev", "our webshop platform is two major versions behind and there's a public RCE for exactly our version. patch window got pushed again. fun times", [SEC], "en")
add("bluesky:@esmeedekker.bsky.social", "Between us: the hack at our delivery partner hit our customer addresses too. No press release until the regulator has been notified.", [SEC], "en")
add("x:@jorisdev", "s.q.l-injectie in het contactformulier, zit er al in sinds de lancering en staat nog steeds open 🙃 maar ja, geen prio", [SEC], "nl")
add("x:@appbouwer_mick", "As the freelancer who built Brakkenveld's app: their admin panel still has no 2FA and the default admin password was never changed. Told them months ago. Not public yet, but it will be.", [SEC], "en")
add("mastodon:@bramops@mastodon.nl", f"ROTEER NU HET WACHTWOORD. {PG_URL} staat op pastebin, iemand heeft de webshop-db te pakken gehad", [S, SEC], "nl")

# ===== secrets (11)
add("x:@jorisdev", f"kan iemand kijken waarom de CI deze niet pakt? export GITHUB_TOKEN={GH1} 🤔", [S], "nl")
add("x:@jorisdev", f"aws creds for the staging bucket: {AWS_ID} / {AWS_SEC} (rotate after the demo pls)", [S], "en")
add("x:@brakkenveld_help", f"@bureau_staal hierbij de key voor de webshopkoppeling zoals gevraagd: {MOLLIE}", [S], "nl", kind="reply")
add("mastodon:@bramops@mastodon.nl", f"Our Slack bot posts everything twice. Token is {SLACK}, any ideas?", [S], "en")
add("linkedin:youssef-bakkali-bkv", f"Playing with a recipe-advice chatbot over the weekend 🐕 OPENAI_API_KEY={OPENAI} works like a charm!", [S], "en")
add("x:@jorisdev", f"waarom weigert ssh deze key?? \n{SSHKEY}", [S], "nl")
add("threads:@noor.bkv", f"lmao the dashboard admin token just never expires: {JWT1}", [S], "en")
add("x:@codewatch_eu", f"@brakkenveld your dev pushed this to a public repo, you may want to rotate both: {STRIPE} and the OAuth token {GH2}", [S], "en")
add("x:@teun_vleeuwen", f"Voor de nieuwe uitzendkrachten: wifi magazijn is BKV-DC, wacht\u200bwoord: {WIFI_PW}", [S], "nl")
add("x:@jorisdev", f"Anthropic key for the label-OCR prototype: {ANTHROPIC} and the Maps key for the store locator: {GOOGLE} (don't burn through the credits pls)", [S], "en")
add("mastodon:@bramops@mastodon.nl", f"nieuw gitlab-token voor de runners: {GLPAT} — gewoon in je .env zetten, en de recepten-db: {MONGO_URL}", [S], "nl")

# ===== personal data (12) + pii/complaint (2) + pii/abuse (1)
add("bluesky:@esmeedekker.bsky.social", "Mevrouw Ingrid Smulders, Kastanjelaan 23, 5402 AB Uden belt nu voor de vierde keer deze week over haar abonnement 🙄", [PII], "nl")
add("x:@brakkenveld_help", f"@hondenmama_eef we hebben de €49,95 teruggestort op {IBAN_REFUND}, binnen 2 werkdagen op je rekening. Fijne dag! 🐾", [PII], "nl", kind="reply")
add("linkedin:anouk-hendriks-brakkenveld", "Please welcome our new colleague Ruud Verbeek (born 14-03-1991) to the purchasing team! 🎉", [PII], "en")
add("bluesky:@esmeedekker.bsky.social", f"customer just read me his credit card {CARD_PHONE} over the phone to pay, am I supposed to write that down somewhere??", [PII], "en")
add("linkedin:anouk-hendriks-brakkenveld", f"Voor de salarisadministratie: BSN van Sarah de Groot is {BSN_HR}, kan iemand het vandaag nog in het systeem zetten?", [PII], "nl")
add("x:@labradorlisa", "@brakkenveld_help bel me even terug aub, 06-29371458, ik wil mijn abonnement aanpassen", [PII], "nl", kind="reply")
add("instagram:@brakkenveld.bio", "🎉 En de winnaar van de giveaway is... Femke Jansen (femke.jansen92@gmail.com)! Stuur ons even je adres 💌", [PII], "nl")
add("x:@mariekevos_bkv", f"customer asked us to swap his card on file to {CARD_UPDATE}, exp 09/28. who handles that now Jeroen's on leave?", [PII], "en")
add("x:@borderbas", f"@brakkenveld_help mijn IBAN voor de terugbetaling is {IBAN_PUB_REFUND}, ordernummer 88213", [PII], "nl", kind="reply")
add("x:@teun_vleeuwen", "for the purchasing guys: farmer Hendriks wants to talk chicken prices, his mobile is +31 6 4827 1930", [PII], "en")
add("threads:@noor.bkv", "Mehmet Yildiz's passport (NW7RK2JF3) is still at reception, he can pick it up today", [PII], "en")
add("reddit:u/grumpy_greyhound", "Brakkenveld's courier dropped someone else's delivery note in my mailbox: Jan Peeters, Dorpsstraat 41, 5461 AB Veghel, tel 0413-275914. Anyone know him?", [PII], "en")
add("x:@sanne_en_sjors", "Al 3 weken geen terugbetaling voor mijn kapotte zak voer. Bel me dan eindelijk eens terug: 06 2193 7745 @brakkenveld_help #slechteservice", [PII, COM], "nl")
add("x:@rottie_ronald", f"Third time asking for my refund. Here's my IBAN AGAIN since you keep 'losing' it: {IBAN_ANGRY} @brakkenveld_help", [PII, COM], "en")
add("x:@boosbaasje82", "Die Esmee van jullie klantenservice woont op de Molenstraat 8 in Veghel. Misschien kom ik haar daar eens even 'bedanken' voor de hulp", [PII, AB], "nl")

# ===== complaints (12)
add("x:@dorienvanbeek", "Bestelling van 4 november nog steeds niet binnen. Track & trace zegt al 6 dagen 'in sorteercentrum'. @brakkenveld_help hallo??", [COM], "nl")
add("x:@milo_the_husky", "Subscription charged me twice this month and the chat just loops me back to the FAQ. Not impressed @brakkenveld", [COM], "en")
add("facebook:marjolein.teckels", "Nieuwe receptuur van Kip & Zoete Aardappel en mijn teckel laat het gewoon staan. Waarom verander je iets wat goed was 😤", [COM], "nl", kind="comment")
add("x:@krimpflatiejager", "zak Zalm & Zeewier is van 6 naar 5 kg gegaan en de prijs is gewoon hetzelfde gebleven. krimpflatie noemen we dat", [COM], "nl")
add("x:@wet_dog_weekend", "Courier left 12kg of Brakkenveld in the rain, bag soaked right through. Sent photos, no reply after 5 days.", [COM], "en")
add("x:@fleur_met_flo", "klantenservice @brakkenveld reageert niet op mail, niet op dm, en telefonisch 40 min in de wacht. hoe dan", [COM], "nl")
add("facebook:Ahmed.Boukhari.77", "Verkeerde smaak geleverd, lam i.p.v. hert. Mijn hond kan niet tegen lam dus hier heb ik niks aan. En de retour moet ik zelf betalen?? Serieus Brakkenveld", [COM], "nl", kind="comment")
add("reddit:u/crumbly_kibble", "Anyone else's Brakkenveld kibble suddenly way more crumbly? Half the bag is basically dust now. Emailed them, got a copy-paste reply.", [COM], "en")
add("x:@jipjanneke_wuf", "the brakkenveld app logs me out every single time and my discount code does nothing 🙄", [COM], "en")
add("instagram:@groenleven_gijs", "Jullie roepen 'biologisch' en 'duurzaam' maar de zakken zijn nog steeds niet recyclebaar. Beetje hypocriet voor een groen merk @brakkenveld.bio", [COM], "nl", kind="comment")
add("x:@newpuppymum", "ordered the Brakkenveld trial pack, got an empty box with just the invoice in it. great start guys", [COM], "en")
add("x:@opzeggenlukt_niet", "Asked twice to cancel my subscription and got charged AGAIN. This can't be normal @brakkenveld_help", [COM], "en")

# ===== crisis + complaint: first-hand harm (5)
add("x:@bo_en_bobbie", "Mijn hond heeft de hele nacht overgegeven na een nieuwe zak Eend & Pastinaak, dierenarts vermoedt een vergiftiging. Batch L2609-14. Wat zit hier in @brakkenveld??", [CRI, COM], "nl")
add("x:@beagle_dad_tom", "Found a shard of hard blue plastic in my Brakkenveld kibble and my beagle nearly choked on it. €180 vet visit. Absolutely furious.", [CRI, COM], "en")
add("instagram:@pup.pleun", "Snuitjes kauwstaaf splinterde en sneed het tandvlees van onze pup open 🩸 bloed overal op de bank. Nooit meer @brakkenveld.bio", [CRI, COM], "nl", kind="comment")
add("facebook:Kirsten.Wouters.NL", "Both our dogs got salmonella after the Paté Kalkoen trays and now my toddler's ill too. The lab confirmed it. Brakkenveld, how could you let this happen?", [CRI, COM], "en")
add("x:@zalmolie_ramp", "Fles Zalmolie stond bol en het deksel vloog eraf toen ik hem opendraaide, stonk naar rot. Onze hond had er gisteren nog van gehad en is nu hondsberoerd 🤢 @brakkenveld", [CRI, COM], "nl")

# ===== crisis only (10)
add("x:@dierennieuws_nl", "NVWA onderzoekt Brakkenveld na meldingen van zieke honden. Partij Paté Kalkoen mogelijk besmet met salmonella.", [CRI], "nl")
add("x:@plofkipnee", "#BoycotBrakkenveld 🚫 ze noemen zich biologisch maar kopen kip van een megastal in Polen. Niet meer kopen mensen, deel dit!", [CRI], "nl")
add("reddit:u/lawyered_labrador", "A class action is being prepared against Brakkenveld over the aflatoxin cases, dozens of owners have already signed up.", [CRI], "en")
add("facebook:HondenbaasjesOss", "TERUGROEPACTIE Brakkenveld Hert & Bosbes 12 kg, lotnummer 2611. Check je zakken en voer het niet meer!!", [CRI], "nl")
add("x:@sophie_en_saar", "A friend's dog died after eating Brakkenveld kibble, the vet says kidney failure. So heartbreaking 😢", [CRI], "en")
add("x:@privacy_paula", "Heard Brakkenveld had a data breach and they're sitting on it. Anyone else getting phishing mails with their exact order details?", [CRI], "en")
add("x:@biowaakhond", "Het bio-certificaat van Brakkenveld is vorige maand ingetrokken volgens Skal. Waarom zegt niemand hier iets over?", [CRI], "nl")
add("x:@actie_voor_dieren", "B\u043eyc\u043et Br\u0430kkenveld!!! Ze testen nieuwe recepten op honden in kooien. Deel dit!!", [CRI], "nl")
add("blog:petfoodwatchdog.eu", "Investigation: the 'organic farm' pictured on Brakkenveld's packaging turns out to be a warehouse on an industrial estate near Uden.", [CRI], "en")
add("x:@rechtbanknieuws", "Rechtszaak: voormalige leverancier sleept Brakkenveld voor de rechter om €2 mln aan onbetaalde facturen", [CRI], "nl")

# ===== abuse (10) + abuse/complaint (1)
add("x:@genoeg_ervan", "Brakkenveld is echt een kutbedrijf, stelletje oplichters", [AB], "nl")
add("x:@grrrdogowner", "whoever runs @brakkenveld_help is a brain-dead moron", [AB], "en", kind="reply")
add("x:@woedende_wim", "\uff56\uff55\uff49\uff4c\uff45 \uff4f\uff50\uff4c\uff49\uff43\uff48\uff54\uff45\uff52\uff53 @brakkenveld", [AB], "nl")
add("x:@brakkenveld", "@zeurpiet1983 ga lekker ergens anders janken, sukkel", [AB], "nl", kind="reply")
add("x:@echte_nederlander88", "Natuurlijk weer zo'n hoofddoek aan de telefoon bij Brakkenveld, geen wonder dat niemand je daar begrijpt. Terug naar je eigen land", [AB], "nl")
add("x:@n0_m3rcy", "Br4kk3nv3ld = sh1t c0mp4ny, f*ck j0ll13 allemaal", [AB], "nl")
add("instagram:@truthaboutkibble", "Your 'nutritionist' Lotte is a fraud and an idiot. Stop posting your fake science, you stupid bitch", [AB], "en", kind="comment")
add("instagram:@lotte.voedingsdeskundige", "sommige klanten zijn echt achterlijke idioten, vandaag weer eentje die de brokjes in de magnetron had gedaan 🙄", [AB], "nl")
add("tiktok:@hondenhater_nl", "Dat mens van jullie tiktok is zo dom als het achtereind van een varken. Ontslaan die trut", [AB], "nl", kind="comment")
add("x:@mad_about_mutts", "Brakkenveld support staff are useless cl\u043ewns, every single one of them. Absolute \u0456diots.", [AB], "en")
add("x:@boze_bert", "3 weken wachten op een zak voer en dan komt ie gescheurd binnen. Amateurs. Klootzakken zijn jullie @brakkenveld", [AB, COM], "nl")

# ===== benign: praise, sales, normal prices (9)
add("x:@lab_luna", "Mijn labrador is gek op Hert & Bosbes, vacht glanst weer als nooit tevoren 🐕✨", [], "nl")
add("x:@firsttimepupparent", "Switched to Brakkenveld Puppy Start and after one bag she's way less gassy. 10/10 would recommend", [], "en")
add("instagram:@brakkenveld.bio", "Nieuw in ons assortiment: Zalmolie 500 ml voor €17,95. Goed voor huid en vacht 🐟 #brakkenveld", [], "nl")
add("x:@brakkenveld", "Deze week 20% korting op Lam & Rijst 12 kg: nu €59,96 (was €74,95) 🐑🍚", [], "nl")
add("x:@brakkenveld", "Black Friday is here 🖤 25% off all Snuitjes treats — Dental Sticks now just €11.96", [], "en")
add("x:@rekenende_rianne", "Eend & Pastinaak 12 kg komt neer op €6,66 per kilo. Duurder dan supermarktvoer, maar wel bio en mijn hond eet het wél", [], "nl")
add("x:@kortingsjager_kim", "€10 korting op Hert & Bosbes met de code uit de nieuwsbrief, lekker meegenomen", [], "nl")
add("reddit:u/duckfan_dachshund", "Paid €79.95 for the 12kg duck & parsnip. Pricey, but worth it imo, his skin issues are gone", [], "en", kind="comment")
add("x:@mariekevos_bkv", "Trots op het team! Het Proefpakket is vanaf vandaag ook in België te bestellen, €9,95 incl. verzending 🇧🇪", [], "nl")

# ===== benign: own public contact data (5)
add("x:@brakkenveld_help", "Vragen over je bestelling? Mail klantenservice@brakkenveld.nl of bel gratis 0800-2725 (ma–za 8–20 u) 🐾", [], "nl")
add("facebook:BrakkenveldHondenvoer", "Liever per overschrijving betalen? Maak het bedrag over naar NL62 RABO 0318 4672 05 t.n.v. Brakkenveld Biologisch Hondenvoer B.V. o.v.v. je ordernummer.", [], "nl")
add("x:@tevreden_tineke", "Tip: Brakkenveld customer service (+31 418 555 210) is super quick and friendly, sorted in 5 min", [], "en")
add("linkedin:brakkenveld-organic-petfood", "Press enquiries about our new factory? Reach our team at pers@brakkenveld.nl", [], "en")
add("x:@weet_raad_ria", "@hondvraagje Gewoon even bellen naar 0800-2725, daar helpen ze je meteen", [], "nl", kind="reply")

# ===== benign: numbers that fail their checksum (5)
add("x:@verward_vincent", f"Is {CARD_BAD} nou mijn klantnummer of mijn ordernummer bij Brakkenveld? Die mail is echt onduidelijk 😂", [], "nl")
add("x:@overmaker_olga", f"@brakkenveld_help ik heb overgemaakt naar {IBAN_BAD} zoals op de factuur stond, maar de bank zegt dat het nummer niet klopt?", [], "nl", kind="reply")
add("x:@teun_vleeuwen", f"Artikelnummer {BSN_BAD} bestaat niet meer in het systeem, welke vervangt die? Scanner in het DC piept de hele dag", [], "nl")
add("x:@loyal_larry", f"My Brakkenveld loyalty card number {CARD_BAD2} won't scan at the pet shop anymore, anyone else?", [], "en")
add("reddit:u/expat_eddie", f"Brakkenveld's German invoice lists {IBAN_BAD2} for bank transfers but my bank app rejects it as invalid. Typo on their end?", [], "en")

# ===== benign: sample / redacted credentials, security hygiene (8)
add("x:@jorisdev", "Reminder voor het team: nooit echte keys in documentatie. Gebruik AKIAIOSFODNN7EXAMPLE zoals AWS het zelf ook doet 🙏", [], "nl")
add("x:@jorisdev", "our README now says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — replace it with your own, obviously", [], "en")
add("mastodon:@bramops@mastodon.nl", "wachtwoord: ******** ← zo hoort een screenshot eruit te zien mensen 😉 #securityawareness", [], "nl")
add("x:@brakkenveld_help", "Let op: wij vragen NOOIT om je wachtwoord via DM, mail of telefoon. Twijfel je? Bel ons even.", [], "nl")
add("x:@jorisdev", "Stripe keys are now redacted in all our logs (sk_live_••••••••). Happy compliance team, happy dev 🎉", [], "en")
add("x:@brakkenveld", "Gepland onderhoud: zondag tussen 02:00 en 04:00 is de webshop even niet bereikbaar. Slaap lekker 😴", [], "nl")
add("mastodon:@bramops@mastodon.nl", "Leuk event gisteren over security awareness, veel geleerd over phishing herkennen 🎣 aanrader", [], "nl")
add("linkedin:brakkenveld-organic-petfood", "We're hiring a Security Engineer! Help us keep shop.brakkenveld.nl safe for 200,000 dog owners. Apply via werkenbij@brakkenveld.nl", [], "en")

# ===== benign: embargo terms after the embargo (4)
add("instagram:@brakkenveld.bio", "Hij is er! 🐗🎃 Brakkenveld Wildzwijn & Pompoen vanaf vandaag in de webshop en bij je dierenspeciaalzaak", [], "nl", t="2027-03-15T08:05:00Z")
add("x:@druktemaker_dex", "Snuitjes Dental XL gekocht, hond is er een kwartier zoet mee. Eindelijk eentje die niet in 2 minuten op is", [], "nl", t="2027-03-21T10:17:42Z")
add("linkedin:brakkenveld-organic-petfood", "Vandaag publiceren wij onze jaarcijfers 2026: de omzet steeg met 18% en we openden onze eerste buitenlandse vestiging. Lees het volledige verslag op brakkenveld.nl", [], "nl", t="2027-02-25T07:00:00Z")
add("x:@organic_investor", "Brakkenveld's FY2026 results look solid, nice to see an organic brand actually growing", [], "en", t="2027-02-26T09:31:05Z")

# ===== benign: resolved complaints, sympathy (5)
add("x:@blije_bo", "Gisteren geklaagd over een gescheurde zak, vandaag al een nieuwe op de stoep. Top service @brakkenveld_help 👏", [], "nl")
add("x:@milo_the_husky", "Update: the double charge was refunded within a day, thanks Esmee from customer care! All good now", [], "en", kind="reply")
add("x:@buurman_ben", "Thinking of everyone at Brakkenveld after the fire at your neighbours on the industrial estate. Glad you're all ok", [], "en")
add("instagram:@factorystore_fan", "RIP Kees, the shop cat at the Brakkenveld factory store 🐈‍⬛ he was a legend and stole every treat", [], "en", kind="comment")
add("x:@hondenmama_eef", "Eerst was ik boos over die late levering, maar ze hebben het echt netjes opgelost + een zak Snuitjes erbij 🥰", [], "nl")

# ===== benign: other companies, jokes, questions, look-alike words (19)
add("x:@kattenvrouw_karin", "Terugroepactie bij een Duits kattenvoermerk vandaag. Fijn dat ik voor de hond bij Brakkenveld zit, nooit gedoe gehad", [], "nl")
add("linkedin:anouk-hendriks-brakkenveld", "Good read on how a UK pet retailer handled its reorganisation and layoffs with real transparency. Lessons for all of us in HR.", [], "en")
add("x:@nieuwsgierige_nina", "PetWorld Benelux is overgenomen door een Amerikaans fonds las ik. Hopelijk blijft Brakkenveld gewoon lekker zelfstandig haha", [], "nl")
add("x:@snuitjesverslaafd", "My dog looks at me like it's a national crisis when the Snuitjes run out 😂", [], "en")
add("x:@felonyfido", "my dog would commit actual crimes for Brakkenveld liver treats. felony-level obsession", [], "en")
add("x:@sloopkogel_sam", "Dog destroyed an entire bag of Trainingsbrokjes while we were out. He survived, the bag did not 😅", [], "en")
add("x:@allergie_annemiek", "Is Insect Hypo geschikt voor een hond met kippenallergie? Iemand ervaring mee?", [], "nl")
add("x:@lux_lurcher", "Does Brakkenveld ship to Luxembourg? Couldn't find it anywhere on brakkenveld.nl", [], "en")
add("reddit:u/collie_cor", "Welke zak is handiger voor een border collie, 6 of 12 kg? Heb weinig opslagruimte", [], "nl", kind="comment")
add("x:@ziek_lekker", "dit voer is echt ziek lekker volgens mijn hond 🤣 zak in 2 weken leeg", [], "nl")
add("x:@adnerd", "Brakkenveld's new ad is killer, the beagle with sunglasses 😂", [], "en")
add("x:@bosloper_bas", "Onze hond was ziek van iets uit het bos, dierenarts adviseerde Brakkenveld Bottenbouillon om aan te sterken. Helpt echt goed", [], "nl")
add("instagram:@lotte.voedingsdeskundige", "Tip: stap bij een gevoelige maag altijd geleidelijk over op nieuw voer, verspreid over 7 dagen 🐾", [], "nl")
add("x:@bobby_de_boxer", "Happy 7th birthday to my boy Bobby, born 3 May 2019 🎂 celebrated with a whole bag of Snuitjes", [], "en")
add("x:@teun_vleeuwen", "Weekje Veluwe, gelukkig dit keer geen beukennoten in m'n schoenen 🌰🥾", [], "nl")
add("mastodon:@bramops@mastodon.nl", "Last day at Brakkenveld today. After 7 years, on to something new. Thank you all ❤️", [], "en")
add("linkedin:brakkenveld-organic-petfood", "We're opening a new production site in Uden, bringing 40 new jobs to the region 🏭", [], "en")
add("reddit:u/vizsla_vibes", "Compared five organic brands for my vizsla. Brakkenveld was the only one with a public supplier list. Respect.", [], "en")
add("x:@curious_carl", "Not a complaint, just curious: why is the 12 kg bag out of stock everywhere lately?", [], "en")

# ===== benign: everyday brand chatter (5)
add("tiktok:@brakkenveld", "POV: je hond hoort de zak Snuitjes opengaan 🐶💨 #brakkenveld #hondenleven", [], "nl")
add("youtube:@BrakkenveldTV", "Nieuwe video: zo maken wij ons Vers Vlees Menu Rund, van boer tot bak 🐄", [], "nl")
add("x:@teun_vleeuwen", "Record gedraaid vandaag in het DC: 14.000 zakken de deur uit 💪 trots op de ploeg", [], "nl")
add("x:@beurs_bianca", "Lovely Brakkenveld stand at the Dogs & Fun fair, free sample bags for the dogs and poffertjes for the humans", [], "en")
add("x:@twijfel_tamara", "Was sceptical about the price at first but one month in I'm converted. Less poop in the garden too 😅", [], "en")

# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def checked_id_in(text):
    return any(k in ("iban", "card", "bsn") and ok and v in text for k, v, ok in REG)


def severity(cats, role, text):
    best = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = "error"
                if cat in ("leak.secret", "leak.pricing"):
                    lv = "critical"
                if cat == "leak.pii" and checked_id_in(text):
                    lv = "critical"
            else:
                lv = "warning"
        elif cat == "reputation.complaint":
            lv = "warning"
        elif cat == "reputation.crisis":
            lv = "error"
        elif cat == "reputation.abuse":
            lv = "warning" if role == "public" else "error"
        else:
            raise ValueError(cat)
        if ORDER.index(lv) > ORDER.index(best):
            best = lv
    return best


# ---------------------------------------------------------------- build
start = datetime(2026, 1, 2, tzinfo=timezone.utc)
span = int((datetime(2026, 12, 31, tzinfo=timezone.utc) - start).total_seconds())
lines = []
for n, c in enumerate(CASES, 1):
    if c["t"]:
        ts = c["t"]
    else:
        dt = start + timedelta(seconds=rng.randrange(span))
        ts = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = f"{c['platform']}-506{n:04d}"
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": ts,
    }
    if rng.random() < 0.4:
        post["brand"] = "snuitjes" if "Snuitjes" in c["text"] else "brakkenveld"
    role = role_of(c["platform"], c["handle"])
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, c["text"])}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {C, S, PII, PR, FIN, SEC, CRI, COM, AB}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

with open(out, encoding="utf-8") as fh:
    parsed = [json.loads(l) for l in fh]
ids = set()
for obj in parsed:
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
        errors.append(f"bad/duplicate id {pid}")
    ids.add(pid)
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        errors.append(f"{pid}: platform/kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        errors.append(f"{pid}: handle")
    if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"].strip():
        errors.append(f"{pid}: text")
    if not RFC3339.match(p["created_at"]):
        errors.append(f"{pid}: created_at")
    datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
        errors.append(f"{pid}: categories")
    if e["severity"] not in ORDER:
        errors.append(f"{pid}: severity")
    if not e["categories"] and e["severity"] != "none":
        errors.append(f"{pid}: benign must be none")
    if e["categories"] and e["severity"] in ("none", "info"):
        errors.append(f"{pid}: positive must be >= warning")
    if set(obj) != {"post", "expect"} or set(e) != {"categories", "severity"}:
        errors.append(f"{pid}: shape")

# checksummed identifiers: registered values
for kind, val, ok in REG:
    hits = [o for o in parsed if val in o["post"]["text"]]
    if len(hits) != 1:
        errors.append(f"{kind} {val} appears {len(hits)} times")
        continue
    cats = hits[0]["expect"]["categories"]
    check = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
    if check != ok:
        errors.append(f"{kind} {val} checksum {check} != {ok}")
    if ok and PII not in cats:
        errors.append(f"valid {kind} {val} in a non-pii post")
    if not ok and cats:
        errors.append(f"look-alike {kind} {val} in a positive post")

# checksummed identifiers: sweep every text
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,4}(?:[ -]?\d{1,3})?(?![\w-])")
NINE_RE = re.compile(r"(?<![\w.+-])\d{9}(?![\w-])")
for obj in parsed:
    text, cats, pid = obj["post"]["text"], obj["expect"]["categories"], obj["post"]["id"]
    rest = text
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", v):
            continue
        rest = rest.replace(m.group(0), " ")
        public = v in PUBLIC_IBANS
        if cats and PII in cats and not public and not iban_ok(v):
            errors.append(f"{pid}: failing IBAN {v} in a pii positive")
        if not cats and iban_ok(v) and not public:
            errors.append(f"{pid}: valid IBAN {v} in a benign post")
    for m in CARD_RE.finditer(rest):
        v = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(v) <= 19:
            continue
        if cats and not luhn_ok(v):
            errors.append(f"{pid}: Luhn-failing card {v} in a positive")
        if not cats and luhn_ok(v):
            errors.append(f"{pid}: Luhn-valid card {v} in a benign post")
    for m in NINE_RE.finditer(rest):
        v = m.group(0)
        if cats and PII in cats and not bsn_ok(v):
            errors.append(f"{pid}: failing BSN {v} in a pii positive")
        if not cats and bsn_ok(v):
            errors.append(f"{pid}: 11-proof number {v} in a benign post")

# credentials
for kind, val in SECRETS:
    hits = [o for o in parsed if val in o["post"]["text"]]
    if len(hits) != 1 or S not in hits[0]["expect"]["categories"]:
        errors.append(f"secret {kind} not in exactly one leak.secret post")
    if kind == "github":
        body, crc = val[4:34], val[34:]
        if not re.fullmatch(r"gh[pousr]_[0-9A-Za-z]{36}", val) or b62(zlib.crc32(body.encode())).rjust(6, "0") != crc:
            errors.append(f"github token checksum {val}")
    if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
        errors.append("aws key id format")
    if kind == "jwt":
        h = val.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        if "alg" not in hdr or len(val.split(".")) != 3:
            errors.append("jwt header")
for obj in parsed:
    if not obj["expect"]["categories"]:
        t = obj["post"]["text"]
        for pat in (r"AKIA[A-Z2-7]{16}", r"gh[pousr]_[0-9A-Za-z]{36}", r"eyJ[\w-]+\.[\w-]+\.[\w-]+",
                    r"sk_live_[0-9A-Za-z]{10,}", r"BEGIN [A-Z ]*PRIVATE KEY"):
            for m in re.finditer(pat, t):
                if "EXAMPLE" not in m.group(0) and "xxxx" not in m.group(0):
                    errors.append(f"{obj['post']['id']}: live-looking credential in benign post")

# account roles: positives by role, handles of public authors not in the profile
roles = {"corporate": 0, "employee": 0, "public": 0}
for obj in parsed:
    roles[role_of(obj["post"]["platform"], obj["post"]["account"]["handle"])] += 1

# embargo terms before `until` only in confidential positives
for emb in PROFILE["embargo"]:
    until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
    for obj in parsed:
        t = obj["post"]["text"]
        when = datetime.fromisoformat(obj["post"]["created_at"].replace("Z", "+00:00"))
        if any(term.lower() in t.lower() for term in emb["terms"]):
            if when < until and C not in obj["expect"]["categories"]:
                errors.append(f"{obj['post']['id']}: embargo term before until not labelled")
            if when >= until and not obj["expect"]["categories"] == [] and C in obj["expect"]["categories"]:
                errors.append(f"{obj['post']['id']}: embargo term after until labelled confidential")

# pricing positives: a profile product next to a price below ratio*list, or price-error talk
ratio = PROFILE["pricing"]["alert_below_ratio"]
PRICE_RE = re.compile(r"(?:€|EUR)\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|€)|\b(\d+,\d{2})\b")
for obj in parsed:
    if PR not in obj["expect"]["categories"]:
        continue
    t = obj["post"]["text"].lower()
    prods = [pr for pr in PROFILE["products"]
             if any(a.lower() in t for a in [pr["name"]] + pr["aliases"])]
    prices = [float(next(g for g in m.groups() if g).replace(",", ".")) for m in PRICE_RE.finditer(t)]
    low = any(pr_ < ratio * p_["list_price"] for p_ in prods for pr_ in prices)
    talk = any(w in t for w in ("prijsfout", "price error", "pricing error", "price glitch"))
    if not prods or not (low or talk):
        errors.append(f"{obj['post']['id']}: pricing positive without product + low price")

# mix
from collections import Counter
cat_count = Counter(c for o in parsed for c in o["expect"]["categories"])
benign = sum(1 for o in parsed if not o["expect"]["categories"])
nl = sum(1 for o in parsed if o["post"]["lang"] == "nl")
if not 170 <= len(parsed) <= 180:
    errors.append(f"{len(parsed)} cases, want 170-180")

if "-v" in sys.argv or errors:
    print("cases", len(parsed), "benign", benign, "nl share %.2f" % (nl / len(parsed)), roles)
    for k, v in sorted(cat_count.items()):
        print(f"  {k:22s} {v}")
    print("severities", Counter(o["expect"]["severity"] for o in parsed))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  ", e)
    sys.exit(1)
print(f"ok: {len(parsed)} cases, {benign} benign -> {out}")
