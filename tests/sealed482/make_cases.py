#!/usr/bin/env python3
"""Evaluation set sealed482 for postwatch: Merelhof Dierapotheek (veterinary medicines webshop).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and self-checks it (checksums of identifiers, secret formats, CONTRACT section 6
shape, severities computed from the profile's account roles per CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 4822026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
PRC = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"
ALL_CATS = {CMP, CRI, ABU, PII, SEC, PRC, CON, FIN, SCY, "reputation.spike"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0


def make_bsn():
    while True:
        cand = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(cand):
            return cand


# ---------------------------------------------------------------- secrets
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1780000000 + rng.randint(0, 9000000)
    body = b64u(json.dumps({"sub": "usr_%d" % rng.randint(1000, 9999), "role": "admin",
                            "iss": "mh-admin-api", "iat": iat, "exp": iat + 4 * 86400},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def rand_str(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(32))
           + b"\x00\x00\x00\x90" + bytes(rng.getrandbits(8) for _ in range(8))
           + b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(100)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


GH1 = gh_token("ghp_")
GH2 = gh_token("ghs_")
AK = aws_key_id()
AS = aws_secret()
SK = "sk_live_" + rand_str(24)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand_str(24))
OA = "sk-proj-" + rand_str(40, B64URL) + "T3BlbkFJ" + rand_str(40, B64URL)
PEM = openssh_key()
JWT = make_jwt()
PW1 = rand_str(6) + "!" + rand_str(5)
PW2 = rand_str(4) + "#" + rand_str(7)
MOLLIE = "live_" + rand_str(30)
SG = "SG." + rand_str(22, B64URL) + "." + rand_str(43, B64URL)

# personal identifiers (valid)
IBAN_JOS = make_iban("NL", "RABO0318842675")
IBAN_ONEILL = make_iban("NL", "ABNA0592817346")
IBAN_SUP = make_iban("NL", "TRIO0212349876")
CARD1 = make_card("4", 16)
CARD2 = make_card("52", 16)
BSN1 = make_bsn()
BSN2 = make_bsn()

# look-alikes (must fail their check)
def break_iban(iban):
    cd = int(iban[2:4])
    return iban[:2] + "%02d" % ((cd + 7) % 97 or 11) + iban[4:]


FAKE_IBAN = break_iban(make_iban("NL", "RABO0123456789"))
FAKE_CARD = "4000 1234 5678 9011"
FAKE_BSN = "204918375"
FAKE_GH = "ghp_" + "x" * 36

# ---------------------------------------------------------------- cases
CASES = []


def P(platform, handle, lang, cats, text, kind="post", when=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, price=price, name=name))


# ===== complaints =====
P("x", "@hondenmama_ria", "nl", [CMP],
  "@merelhof_help al 9 dagen wachten op de Vermilex Plus voor mn 2 honden. track & trace zegt 'in behandeling' sinds vorige week dinsdag. beetje jammer als je hond al wormen heeft hè 🙄",
  kind="reply")
P("x", "@CatLadyLeeds", "en", [CMP],
  "Ordered Thyrovet for my old girl from Merelhof and got the 2.5 mg instead of the 5 mg. Now waiting on a return label while she needs her pills every single day. Not impressed tbh")
P("facebook", "Marloes van Dijk", "nl", [CMP],
  "Koelverpakking van de Glucavet kwam lauwwarm aan, koelelement compleet gesmolten. Ik durf dit niet bij mijn suikerkat te gebruiken. Klantenservice zegt 'kan gewoon hoor'. Echt?? Jullie zijn een APOTHEEK Merelhof",
  kind="comment")
P("reddit", "u/throwaway_spaniel", "en", [CMP],
  "Merelhof charged my card twice for one order of Carprodyn. Support says the refund takes 'up to 14 business days'. Fourteen. For their mistake. Anyone else had this?")
P("instagram", "@lotje_en_loebas", "nl", [CMP],
  "Pakket met de Dermisan lag gewoon in de regen voor de deur, doos doorweekt en de fles half leeggelopen. En dan de melding van Merelhof: 'afgeleverd bij voordeur' 🤦‍♀️ top",
  kind="comment")
P("x", "@horsegirl_emma", "en", [CMP],
  "@merelhofvet your chat bot keeps telling me to 'log in' when I'm LITERALLY logged in. third time today. just let me talk to a human about my horse's order pls",
  kind="reply")
P("forum", "Bassetbaas", "nl", [CMP],
  "Ervaringen met Merelhof? Ik ben er klaar mee. Bestelling zonder reden geannuleerd, pas na drie mails mijn geld terug, en nu is de Ocularis ineens 'niet leverbaar' terwijl hij gisteren nog op voorraad stond. Ik ga gewoon terug naar de praktijk.")
P("x", "@jvdl1971", "en", [CMP],
  "No leaflet in the Carprodyn from @merelhofvet. Just a loose blister strip in a plastic baggie. Is that how a pharmacy is supposed to do it?")
P("tiktok", "@bolletje.de.kat", "nl", [CMP],
  "3e maand op rij dat mijn Renalvet abonnement gewoon NIET verstuurd wordt. moet ik nou echt elke maand zelf gaan bellen?? 😤😤",
  kind="comment")
P("x", "@dan_in_delft", "en", [CMP],
  "Merelhof support closed my ticket as 'resolved' without a single reply. The ticket was about a missing item. The item is still missing. Resolved for who exactly")
P("mastodon", "@nadia@dier.social", "en", [CMP],
  "Tried to cancel my Pulvira auto-ship with Merelhof. No cancel button anywhere on the account page, you have to phone them during office hours. Classic dark pattern.")
P("x", "@ruiterpad_anne", "nl", [CMP],
  "@merelhof_help waarom krijg ik eerst een mail dat mijn Equiverm verzonden is en 2 dagen later dat hij 'helaas uitverkocht' is?? zit hier met een paard dat gisteren ontwormd had moeten worden",
  kind="reply")
# complaint + abuse
P("x", "@gerard_bulldog", "nl", [CMP, ABU],
  "@merelhofvet stelletje prutsers. 2 weken geen Cardiopet voor mn hartpatiëntje en niemand neemt de telefoon op. Echt een kutbedrijf.",
  kind="reply")
P("x", "@mike_k9dad", "en", [CMP, ABU],
  "Merelhof is run by absolute clowns. Wrong meds, wrong dose, and the idiot on the phone told me to 'just halve the tablets'. Useless morons, the lot of you.")
# first-hand safety incident: crisis + complaint
P("facebook", "Jolanda Smeets", "nl", [CRI, CMP],
  "Onze Sedacalm verdamper van Merelhof is vannacht in het stopcontact gaan smelten. Zwarte plek op de muur en de hele woonkamer stonk naar verbrand plastic. Als we niet wakker waren geworden... Merelhof, reageer alsjeblieft, dit is gevaarlijk!!")
P("x", "@biscuit_the_beagle", "en", [CRI, CMP],
  "My dog was sick all night after his first Vermilex Plus tablet from Merelhof. The vet says the tablets smell off and they crumble when you touch them. €340 emergency bill. @merelhofvet what is in these??")
P("instagram", "@konijnenhol_zwolle", "nl", [CRI, CMP],
  "Gebruikte de VetTherm van Merelhof bij ons konijn en het puntje brak gewoon AF. Dierenarts heeft het eruit moeten halen 😢 hoe kan zoiets verkocht worden #merelhof")
P("facebook", "Rachel Owens", "en", [CRI, CMP],
  "Merelhof sent me the DOG version of Tekaro instead of the cat one. That is not a small mix-up, that stuff can kill a cat. I only noticed because I read the box before putting it on her. Really, really sloppy.")
P("x", "@tim_and_tiger", "en", [CRI, CMP],
  "Just got a proper shock off the Sedacalm diffuser adapter, the plug was hanging half loose in the casing. This is dangerous @merelhofvet, pull it from sale")

# ===== crisis (third party / scandal / lawsuits / recalls / breach) =====
P("x", "@petsafe_watch", "en", [CRI],
  "BOYCOTT Merelhof. They ship prescription painkillers for dogs without checking anything — a friend 'uploaded' a photo of her grocery receipt as the prescription and the Carprodyn arrived two days later. This is how pets die. #boycottmerelhof")
P("x", "@marieke_katten", "en", [CRI],
  "Did anyone else get an email from Merelhof Dierapotheek saying your data 'may have been accessed by third parties'? Address, order history, even my pet's name... great. Just great.")
P("blog", "dierennieuws.nl", "nl", [CRI],
  "Inspectie onderzoekt online dierapotheek Merelhof na meldingen van verkeerd geleverde diergeneesmiddelen. Volgens de toezichthouder gaat het om zeker twaalf gevallen sinds de zomer.")
P("reddit", "u/ear_drop_enjoyer", "en", [CRI],
  "Heads up: Merelhof is recalling batch L2611 of the Otiflux ear drops, apparently contamination. If you bought in September check your bottle. Their site doesn't even mention it yet.")
P("x", "@annie_uit_assen", "nl", [CRI],
  "Kat van mijn buurvrouw is overleden na een Tekaro pipet voor honden, besteld bij Merelhof. Volgens haar zat er gewoon een kattensticker op de doos. Vreselijk. Deel dit aub 💔")
P("x", "@consumentrecht_nl", "en", [CRI],
  "Class action against Merelhof over the auto-renewing 'subscriptions' is now open for sign-ups. Lawyer thread below 👇 #merelhof")
P("facebook", "Sylvia Bakker", "en", [CRI],
  "STOP ordering from Merelhof!!! They ship out expired meds, my cousin works in their warehouse and sees it every week. SHARE!! #boycott #merelhof")
P("x", "@nl_techdesk", "en", [CRI],
  "BREAKING: Dutch online pet pharmacy Merelhof reportedly hit by ransomware; customer prescriptions allegedly posted on a leak site, local media report.")
P("x", "@dierenartsjoost", "nl", [CRI],
  "Collega's waarschuwen voor de Gewricura van Merelhof: uit een labtest blijkt dat de tabletten niet bevatten wat er op het etiket staat. Zorgwekkend.")
P("tiktok", "@zoe.en.haar.dieren", "nl", [CRI],
  "dus de hond van mijn collega is in de kliniek beland met een overdosis omdat merelhof 100mg Carprodyn stuurde ipv 50mg. dit is echt schandalig",
  kind="comment")

# ===== abuse =====
P("x", "@hendrikus_77", "nl", [ABU],
  "@ilse_dierenarts jij bent echt de domste 'dierenarts' die ik ooit heb meegemaakt. ga lekker ergens anders pillen tellen trut",
  kind="reply")
P("x", "@gymbro_dave", "en", [ABU], "merelhof staff are a bunch of lazy idiots lmao")
P("instagram", "@xx_jordy_xx", "nl", [ABU],
  "met zo'n kop zou ik me ook achter een balie verstoppen haha lelijkerd 🤮", kind="comment")
P("x", "@zzzaaap", "nl", [ABU],
  "m3r3lh0f is een k@nkerz00i, die hele klantenservice mag d00dv4llen")
P("x", "@angry_pug_owner", "en", [ABU],
  "hope that whole Merelhof warehouse burns down with the fat manager still inside")
P("facebook", "Ronald Peeters", "nl", [ABU],
  "Waarom laat Merelhof zo'n hoofddoek de chat doen? Ga terug naar je eigen land Noor, hier spreken we Nederlands",
  kind="comment")
P("threads", "@kees.magazijn", "nl", [ABU],
  "klanten die 4x bellen over een pakketje van 12 euro zijn gewoon achterlijke zeurkousen. sorry niet sorry")
P("reddit", "u/pillpusher_hater", "en", [ABU],
  "the Merelhof CEO is a greedy parasite and a f***ing liar, don't let his LinkedIn smile fool you")
P("x", "@woedend_in_weert", "nl", [ABU],
  "merelhof klantenservice = k u t w i j v e n die er helemaal niks van snappen")
P("x", "@rage_quit_88", "en", [ABU],
  "Ｍｅｒｅｌｈｏｆ ｓｕｐｐｏｒｔ ａｒｅ ｆｕｃｋｉｎｇ ｍｏｒｏｎｓ")

# ===== pricing =====
P("x", "@ruud_kuipers_dev", "nl", [PRC],
  "oeps, Gewricura staat in de shop voor €5,80 ipv €58,00. komma verschoven bij de import 🙈 fix komt eraan",
  price=("MH-GWR-120", 5.80))
P("x", "@merelhofvet", "nl", [PRC],
  "Alleen vandaag: Tekaro Spot-on Hond 20-40 kg voor maar €3,49! 🐕 Op = op",
  price=("MH-TEK-H", 3.49))
P("x", "@koopjesjager_nl", "nl", [PRC],
  "lol merelhof heeft de Glucavet pen-kit voor €11,90 staan ipv 119, direct 4 besteld 😂 #prijsfout",
  price=("MH-GLC-PEN", 11.90))
P("reddit", "u/frugal_fido", "en", [PRC],
  "Price glitch at Merelhof: Cardiopet 2.5mg is listed at €4.56 right now. Probably a decimal thing, grab it before they notice.",
  price=("MH-CDP-25", 4.56))
P("x", "@dealhunter_dan", "en", [PRC],
  "PRICE ERROR at Merelhof!! Renalvet 4kg for 9.95 🤑 be quick people",
  price=("MH-RNV-4", 9.95))
P("linkedin", "jeroen-tervoort", "nl", [PRC],
  "Voorproefje voor Black Friday bij Merelhof: de Pulvira vlooienband voor €14,99 per stuk. Ik verklap verder niks 😉",
  price=("MH-PLV-B", 14.99))
P("instagram", "@merelhof.dierapotheek", "en", [PRC],
  "Carprodyn 50 mg, 100 tabs — now only €6.49 while stocks last 🐶💊",
  price=("MH-CRP-50", 6.49))
P("facebook", "Wendy Hoekstra", "nl", [PRC],
  "Is dit een fout op de site? De Equiverm pasta staat op 2,15 euro. Normaal betaal ik 21,50.",
  kind="comment", price=("MH-EQV-P", 2.15))
P("x", "@sparky_the_spaniel", "en", [PRC],
  "merelhof pricing error on the Sedacalm diffuser, €2.99. checkout went through fine, we'll see if they honour it",
  price=("MH-SDC-V", 2.99))
P("tiktok", "@daan.pakt.in", "nl", [PRC],
  "collega's zeggen dat de Dermisan nu voor 1,85 in de webshop staat 😭 wie heeft dat gedaan haha, we pakken ons suf",
  price=("MH-DRM-250", 1.85))
P("x", "@kattenkwijl", "nl", [PRC],
  "Otiflux oordruppels staan op 'gratis' in mijn winkelwagen bij Merelhof?? prijsfout of cadeautje 🤔")
P("bluesky", "@lottevdmeer.bsky.social", "en", [PRC],
  "Whoever set Thyrovet to €3.87 in the Google Shopping feed: we're at 200 orders already. Please fix 😬",
  price=("MH-THY-5", 3.87))

# ===== financial =====
P("linkedin", "noor-bakkali-merelhof", "nl", [FIN],
  "Trots op dit team 🎉 Q3-omzet €14,2 mln, +31% jaar op jaar, en de EBITDA voor het eerst positief. Publicatie volgt pas volgende maand, maar ik kon het echt niet voor me houden.")
P("x", "@bramvos_ops", "nl", [FIN],
  "gerucht op kantoor: we worden overgenomen door een Duitse dierenketen, deal zou in maart rond zijn. iemand bij finance die het kan bevestigen? 👀")
P("threads", "@kees.magazijn", "nl", [FIN],
  "magazijn Nieuwegein gaat per 1 april dicht, 40 man eruit. wij horen het vandaag in de kantine, officieel is er nog niks gezegd. lekker dan")
P("linkedin", "jeroen-tervoort", "en", [FIN],
  "Can't share details yet, but Merelhof will be acquiring a Belgian competitor in Q1. Signing was yesterday evening. Big things coming!")
P("bluesky", "@lottevdmeer.bsky.social", "en", [FIN],
  "marketing budget cut by 40% next year because the 2027 revenue forecast got revised down to €52M. fun times in the office today")
P("x", "@ruud_kuipers_dev", "nl", [FIN, CON],
  "Project Grutto is dus gewoon de overname van die Vlaamse webshop. Hele catalogus moet in januari gemigreerd zijn 😅")
P("linkedin", "noor-bakkali-merelhof", "en", [FIN],
  "Board signed off on the reorg yesterday: customer service moves to Porto and the NL team goes from 35 to 12 people. Announcement planned for after the holidays. Tough week.")
P("reddit", "u/bearded_accountant", "en", [FIN],
  "My brother-in-law works in finance at Merelhof. They're going to miss their H2 forecast by about 20% and are quietly shopping the company to private equity.")
P("mastodon", "@sjoerd_mh", "nl", [FIN, CON],
  "Net gehoord dat 'Operatie Zandhaas' gewoon een bezuinigingsronde is: drie afdelingen samengevoegd, 25 fte minder. En wij maar denken dat het over een nieuw magazijn ging.")
P("instagram", "@femke.achterdebalie", "nl", [FIN],
  "dus de apotheek wordt in juni uitbesteed aan een externe partij en wij mogen daar 'solliciteren' 🙃 officieel hoor je het pas na de zomer, maar ja")
P("linkedin", "noor-bakkali-merelhof", "nl", [FIN, CON],
  "Voorlopige jaarcijfers 2026 zijn binnen: omzet €61 mln, nettowinst €2,3 mln. Nog even stilhouden tot maart, maar wat een jaar!",
  when="2026-12-15T16:42:10Z")
P("x", "@insider_retail_nl", "nl", [FIN],
  "Via via: de bank heeft de kredietlijn van Merelhof niet verlengd en ze zoeken koortsachtig een investeerder. Ik zou niks vooruit betalen.")

# ===== confidential =====
P("x", "@ruud_kuipers_dev", "nl", [CON],
  "kan iemand me toegang geven tot https://wiki.merelhof.local/display/WEB/Checkout-v3 ? vanaf thuis krijg ik alleen een 403")
P("instagram", "@femke.achterdebalie", "nl", [CON],
  "Sneak peek 👀 de dozen met de nieuwe Tekaro Duo staan al bij ons in het magazijn! Ik zeg verder niks 🤐",
  when="2026-11-27T13:05:00Z")
P("linkedin", "jeroen-tervoort", "en", [CON],
  "So excited about Bleekveld — the vet video-consult platform we're building. Launching next spring, can't say more yet!")
P("x", "@merelhof_help", "nl", [CON],
  "@sanne_hondje Hoi Sanne! Collega's: de retourprocedure staat op intra.merelhof.local/klantenservice/retouren, volg die even voor deze klant 🙏",
  kind="reply")
P("bluesky", "@lottevdmeer.bsky.social", "en", [CON],
  "Slide deck for the Gewricura Forte launch is DONE 🙌 every page stamped MERELHOF CONFIDENTIAL, legal is thorough lol",
  when="2026-12-03T10:20:00Z")
P("tiktok", "@daan.pakt.in", "nl", [CON],
  "dozen inpakken voor 'Operatie Zandhaas' whatever dat ook mag zijn, overal stickers met NIET EXTERN DELEN 😂📦")
P("reddit", "u/anouk_mh", "en", [CON],
  "anyone know why gitlab.merelhof-it.nl keeps rejecting my SSO since this morning? asking for a friend (the friend is me)")
P("x", "@prijsradar_nl", "nl", [CON],
  "Iemand heeft een memo van Merelhof gelekt, kop: 'UITSLUITEND INTERN – prijsstrategie 2027'. Staat op een forum, ze gaan de verzendkosten flink omhoog gooien.")
P("x", "@ilse_dierenarts", "nl", [CON],
  "Fijne dag gehad met het Bleekveld-team! Straks kunnen baasjes gewoon via video met mij overleggen 🐾📱")
P("forum", "oud_collega_mh", "en", [CON, SCY],
  "Former employee here. The internal dashboard at grafana.mh-ops.nl was reachable without any login for months, order volumes, customer counts, everything. Not sure it's fixed.")
P("x", "@bramvos_ops", "nl", [CON],
  "Ｐｒｏｊｅｃｔ Ｇｒｕｔｔｏ loopt alweer vertraging op, weekend doorwerken dus 🥲")
P("instagram", "@femke.achterdebalie", "nl", [CON],
  "Koffie en taart voor de kick-off van Bl\u0435\u0435kv\u0435ld vandaag ☕🍰")
P("bluesky", "@lottevdmeer.bsky.social", "nl", [CON],
  "Operatie Zand\u200bhaas kick-off vandaag 🐇 benieuwd wat het wordt")
P("tiktok", "@daan.pakt.in", "nl", [CON],
  "op alle planningsborden staat P-r-o-j-e-c-t G-r-u-t-t-o, iemand een idee wat dat is? 🤔")

# ===== security =====
P("mastodon", "@sjoerd_mh", "en", [SCY],
  "Spent the whole night cleaning up after someone got into our order database through an old admin panel nobody remembered. Customers haven't been told. Legal is 'still deciding'.")
P("x", "@bramvos_ops", "nl", [SCY],
  "webshop ligt er al 3 uur uit, certificaat op de load balancer verlopen 🙃 en er staat nog steeds niks op de statuspagina")
P("x", "@ruud_kuipers_dev", "en", [SCY],
  "fun fact: our checkout API still trusts whatever order total the browser sends it. reported it 6 months ago. ticket still open. ¯\\_(ツ)_/¯")
P("threads", "@kees.magazijn", "nl", [SCY],
  "alle handscanners in het magazijn liggen plat sinds vanochtend, er zou 'iets met een virus' zijn. we mogen er niks over zeggen tegen chauffeurs")
P("reddit", "u/anouk_mh", "en", [SCY],
  "Support agent here. We've been told to call the login problems 'maintenance'. They're not. Password reset links were being sent to a third-party analytics script for a week.")
P("linkedin", "noor-bakkali-merelhof", "nl", [SCY],
  "Kort bericht aan collega's: onze incassopartner is gehackt, we hebben alle incasso's stilgezet tot nader order. Nog niet naar buiten brengen aub.")
P("bluesky", "@lottevdmeer.bsky.social", "en", [SCY],
  "our newsletter tool got phished last week and someone sent 3k mails from our account before anyone noticed. comms is still 'working on a statement' 🙃")
P("mastodon", "@sjoerd_mh", "nl", [SCY, CON],
  "Pentestrapport binnen: SQL-injectie in de zoekfunctie van shop.merelhofvet.nl, en de admin op intra.merelhof.local is gewoon vanaf internet bereikbaar. Nog niks gefixt.")
P("tiktok", "@daan.pakt.in", "nl", [SCY],
  "systeem lag er de hele nacht uit dus niks van gisteren is verstuurd, klanten weten van niks 🫣 #nachtdienst")
P("x", "@ilse_dierenarts", "en", [SCY],
  "Team, the prescription upload portal has been showing other customers' prescriptions to random users since this morning's update. IT knows. Please don't upload anything today.")
P("x", "@bramvos_ops", "nl", [SCY],
  "r4ns0mw4r3 op de fileserver vannacht, laatste backup is 2 dagen oud. niet doorvertellen 🤫")
P("linkedin", "jeroen-tervoort", "en", [SCY],
  "Heads-up to our B2B partners: the Merelhof vet portal saw a credential stuffing attack this weekend, roughly 800 practice accounts affected. The official notice goes out Monday.")

# ===== secrets =====
P("x", "@ruud_kuipers_dev", "nl", [SEC],
  f"wie heeft de CI gesloopt?? `export GH_TOKEN={GH1}` gaf vanochtend nog gewoon toegang tot alle repo's, nu 401")
P("x", "@bramvos_ops", "en", [SEC],
  f"ok who touched the IAM policy\n\naws_access_key_id = {AK}\naws_secret_access_key = {AS}\n\nstill AccessDenied on the backup bucket 😤")
P("reddit", "u/anouk_mh", "en", [SEC],
  f"Not a dev, just trying to get our refund script going again. It dies at `stripe.api_key = \"{SK}\"` with a timeout. Does Stripe block home IPs or something?")
P("x", "@merelhof_help", "nl", [SEC],
  f"test webhook klantenservice-bot, negeren aub 🙏 token {SLACK}")
P("bluesky", "@lottevdmeer.bsky.social", "en", [SEC],
  f"made a tiny caption bot for our Insta over lunch 🤓 OPENAI_API_KEY={OA} + 20 lines of python and it's better at puns than me")
P("mastodon", "@sjoerd_mh", "nl", [SEC],
  f"Iemand een idee waarom de bastion deze key weigert? Rechten staan op 600.\n\n{PEM}")
P("x", "@ruud_kuipers_dev", "en", [SEC],
  f"for whoever is testing the admin API today, this one is valid till Friday:\nAuthorization: Bearer {JWT}")
P("x", "@bramvos_ops", "nl", [SEC],
  f"staging praat ineens met prod?? DATABASE_URL=postgres://mh_shop:{PW1}@merelhof-prod.c4r8xk2lq1zd.eu-central-1.rds.amazonaws.com:5432/shop wie heeft dit in de .env gezet")
P("mastodon", "@sjoerd_mh", "en", [SEC, CON],
  f"note to self: stock sync still runs on mysql://root:{PW2}@db01.intra.merelhof.local:3306/voorraad, rotate after the holidays")
P("threads", "@kees.magazijn", "nl", [SEC],
  "voor de nachtploeg: de pakbonprinter vraagt weer om inlog. gebruiker: magazijn, wachtwoord: Nieuwegein#2026! (niet weer op het whiteboard schrijven 😅)")
P("x", "@webdev_joris", "en", [SEC],
  f"Building the Merelhof checkout integration and Mollie keeps saying unauthorized with {MOLLIE}. Test mode works fine. Ideas? #mollie #woocommerce")
P("forum", "scriptkiddie_nl", "nl", [SEC],
  f"Grappig, bij Merelhof staat de SendGrid-key gewoon in de JavaScript van de webshop: {SG} ... iemand die ze even mailt?")

# ===== personal data =====
P("x", "@merelhof_help", "nl", [PII],
  f"@jos_brinkman Hoi Jos, je terugbetaling staat klaar naar {group4(IBAN_JOS)} t.n.v. J. Brinkman. Binnen 3 werkdagen op je rekening! 🐾",
  kind="reply")
P("facebook", "MerelhofDierapotheek", "nl", [PII],
  "Beste mevrouw Verschuur, we bellen u morgenochtend terug op 06-41872953 over de levering van de Glucavet. Excuses voor het ongemak!",
  kind="comment")
P("instagram", "@femke.achterdebalie", "nl", [PII],
  "Deze lieve meneer, Henk Jansen van de Lindelaan 14 in Zeist, komt al 6 jaar elke week de Renalvet voor zijn Minoes ophalen 🥰 #vastekla nt".replace("vastekla nt", "vasteklant"))
P("reddit", "u/anouk_mh", "en", [PII],
  f"Customer just typed her whole card number into the chat: {group4(CARD1)} exp 08/28. Why do people do this 😩")
P("linkedin", "noor-bakkali-merelhof", "nl", [PII],
  f"Kan iemand van salarisadministratie helpen? BSN {BSN1} van Pieter de Graaf (startte 1 mei) staat niet in het systeem.")
P("x", "@karin_en_kwispel", "nl", [PII, CMP],
  "@merelhof_help bel me nou eens terug, jullie beloven het al 3x en het gebeurt nooit. 06 2847 1936, ordernr 5518203",
  kind="reply")
P("x", "@sarah_and_the_pups", "en", [PII],
  "@merelhofvet my email is sarah.mcallister84@outlook.com, can you resend the invoice for the Gewricura? thanks!",
  kind="reply")
P("instagram", "@merelhof.dierapotheek", "nl", [PII],
  "🎉 Gefeliciteerd aan onze 100.000e klant: Marieke Dijkstra (geboren 14-07-1979) uit Harderwijk! Er komt een cadeaupakket aan voor haar twee katten 🐈🐈")
P("x", "@ilse_dierenarts", "en", [PII],
  "Note for the evening shift: owner is Tom Hendriks, +31 6 5510 2387, t.hendriks@kpnmail.nl. Please call him about the Cardiopet dose before 8pm.")
P("x", "@boze_baas_breda", "nl", [PII, ABU],
  "Die zogenaamde dierenarts Ilse Hoogland woont op de Kastanjelaan 31 in Utrecht. Ga haar maar eens vertellen wat je van haar 'advies' vindt. Incompetent wijf.")
P("facebook", "MerelhofDierapotheek", "nl", [PII],
  "Hoi Sandra! We zien je bestelling. Klopt je adres nog: Sandra Mulder, Vondelstraat 88-2, 1054 GE Amsterdam? Dan sturen we het vandaag opnieuw 📦",
  kind="comment")
P("threads", "@kees.magazijn", "nl", [PII],
  "pakket van mevrouw Yildiz is weer retour gekomen, tel 020-6183725. kan iemand van de klantenservice haar even bellen?")
P("x", "@ronan_oneill", "en", [PII, CMP],
  f"@merelhof_help refund STILL not here after 3 weeks. My IBAN is {IBAN_ONEILL} (R. O'Neill), please check you've got the right one this time",
  kind="reply")
P("tiktok", "@daan.pakt.in", "nl", [PII],
  f"klant heeft z'n BSN op de retourbon geschreven 🙄 {BSN2[:4]}.{BSN2[4:6]}.{BSN2[6:]} … waarom zou je dat doen")
P("reddit", "u/wrong_parcel_wendy", "en", [PII, CRI, CMP],
  "Just found someone else's invoice in my Merelhof parcel. Gerrit Bos, born 03/11/1962, Dorpsstraat 7, Ede, plus his dog's whole medication list. That's a data leak, right? Seriously sloppy.")

# ===== benign (hard negatives and plain chatter) =====
P("x", "@merelhofvet", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@merelhofvet.nl of bel gratis 0800-6373. We helpen je graag! 🐾")
P("facebook", "MerelhofDierapotheek", "nl", [],
  "Liever betalen via overschrijving? Maak het bedrag over naar NL20INGB0007391254 t.n.v. Merelhof Dierapotheek B.V. o.v.v. je ordernummer.")
P("x", "@trijntje_terrier", "nl", [],
  "Top service van Merelhof! Binnen een dag de Vermilex Plus in huis en een handgeschreven kaartje voor Bello erbij ❤️")
P("x", "@owen_and_olive", "en", [],
  "Shoutout to the pharmacist at Merelhof who phoned me to double check the Thyrovet dose for my cat. That's what I call care.")
P("facebook", "Petra Willems", "nl", [],
  "Weet iemand of de Tekaro Spot-on ook veilig is voor een pup van 12 weken? Op de site van Merelhof staat vanaf 8 weken maar ik twijfel nog",
  kind="comment")
P("facebook", "Marloes van Dijk", "nl", [],
  "Update: Merelhof heeft het netjes opgelost. Vandaag een nieuwe Glucavet pen-kit met goede koeling ontvangen én de verzendkosten terug. Zo hoort het 👍",
  kind="comment")
P("x", "@purrfect_pixel", "en", [],
  "My cat's reaction to the Sedacalm diffuser: immediately fell asleep on my keyboard. 10/10, would chill again 😹")
P("x", "@newsjunkie_ed", "en", [],
  "Huge data breach at a German pet webshop, 2 million customers affected. Honestly glad I order from a Dutch pharmacy.")
P("instagram", "@max.the.goldie", "en", [],
  "Anyone else's dog completely obsessed with the Gewricura chews? Mine thinks they're treats and sits at the cupboard every morning 😂",
  kind="comment")
P("x", "@merelhofvet", "nl", [],
  "Deze week 20% korting op Gewricura kauwtabletten: van €58,00 voor €46,40. Goed voor stramme gewrichten 🦴",
  price=("MH-GWR-120", 46.40))
P("instagram", "@merelhof.dierapotheek", "en", [],
  "Black Friday is here 🖤 25% off all Pulvira collars: €31.88 instead of €42.50. Ends Monday midnight.",
  price=("MH-PLV-B", 31.88))
P("x", "@budgetbaasje", "nl", [],
  "Tekaro Spot-on Hond bij Merelhof €34,95, bij mijn dierenarts €52. Scheelt best wat per jaar 💸",
  price=("MH-TEK-H", 34.95))
P("x", "@merelhofvet", "nl", [],
  "Vermilex Plus: 3 halen, 2 betalen, alleen deze week. Vergeet niet je hond elke 3 maanden te ontwormen 🐶")
P("x", "@ruud_kuipers_dev", "en", [],
  "PSA for juniors: never commit keys. If you see AKIAIOSFODNN7EXAMPLE in a repo that's just the AWS docs sample, but the real ones look exactly like it. Use a secrets manager.")
P("x", "@bramvos_ops", "en", [],
  f"rotated every token after the yearly audit, the old one was {FAKE_GH} so don't bother looking 😄")
P("x", "@merelhof_help", "nl", [],
  "Wachtwoord vergeten? Klik bij 'Inloggen' op 'Wachtwoord vergeten' en je krijgt binnen 5 minuten een mail. Lukt het niet? Stuur ons een DM 💬")
P("x", "@twijfelkont_tom", "nl", [],
  f"Moet ik voor de terugbetaling dit rekeningnummer opgeven? {FAKE_IBAN} Krijg steeds 'ongeldig IBAN' bij Merelhof, zal wel een tikfout zijn")
P("reddit", "u/cardboard_cat", "en", [],
  f"lol my Merelhof tracking number looks like a credit card: {FAKE_CARD}. almost had a heart attack")
P("x", "@inlogellende", "nl", [],
  f"Klantnummer {FAKE_BSN} wordt niet herkend bij het inloggen op de Merelhof app, iemand tips?")
P("x", "@merelhofvet", "nl", [],
  "Eindelijk! De Tekaro Duo is er: vlooien én teken in één pipet. Vanaf vandaag in de shop 🎉",
  when="2027-01-21T09:00:00Z")
P("linkedin", "merelhof-dierapotheek", "nl", [],
  "Vandaag publiceerden we onze jaarcijfers 2026: omzet €61 mln en voor het eerst een nettowinst. Dank aan alle collega's en klanten! Het volledige verslag staat op merelhofvet.nl/investeerders.",
  when="2027-03-04T08:15:00Z")
P("x", "@hondenvriend_henk", "nl", [],
  "Sterkte aan Ilse van Merelhof met het verlies van haar eigen hond. Ze heeft onze Bobby zo vaak geholpen 💔")
P("x", "@vet_facts_eu", "en", [],
  "FYI: this week's EU recall is for a generic fluralaner brand, not anything sold by Merelhof. Their pharmacist confirmed it on the phone. Check your batch numbers anyway.")
P("linkedin", "noor-bakkali-merelhof", "nl", [],
  "We zoeken een junior controller! Zin in cijfers én dieren? Stuur je cv naar werkenbij@merelhofvet.nl 🐾📊")
P("x", "@ilse_dierenarts", "nl", [],
  "Tip: geef de Thyrovet altijd rond hetzelfde tijdstip, met of zonder voer maar wél elke dag hetzelfde. Katten houden van ritme 🐱")
P("instagram", "@femke.achterdebalie", "nl", [],
  "Drukke dag achter de balie maar wat een lieve baasjes vandaag 🥰 #dierenapotheek #werkenbijmerelhof")
P("threads", "@kees.magazijn", "nl", [],
  "nieuwe sorteerband draait als een zonnetje, we hebben vandaag alles voor 17u de deur uit gekregen 📦💪")
P("mastodon", "@sjoerd_mh", "en", [],
  "New blog post: why we moved our customers to passkeys. Passwords had a good run. Long live WebAuthn 🔑")
P("x", "@taalnerd_tineke", "nl", [],
  "Hoe spreek je Merelhof eigenlijk uit? Meer-el-hof of Mee-rel-hof? Discussie aan de ontbijttafel 😂")
P("x", "@vetstudent_ams", "en", [],
  "pharmacology exam tomorrow: NSAIDs, thyroid meds, dewormers, the lot. if you hear screaming from Amsterdam that's me")
P("youtube", "@MerelhofTV", "nl", [],
  "Nieuwe video: zo geef je je kat een pil zonder gekrab 🎥 Met tips van onze dierenarts. #MerelhofTV")
P("tiktok", "@merelhofvet", "en", [],
  "POV: your dog hears the Merelhof parcel hit the doormat 🐶📦 #dogsoftiktok")
P("x", "@vogelaar_wim", "nl", [],
  "Eerste grutto's van het jaar gespot in de polder bij Nieuwegein! 🐦 Lente komt eraan")
P("x", "@chatty_charlie", "en", [],
  "Tried Merelhof's chat support expecting a bot, got a real person in 2 minutes. Weird feeling in 2026 🤖")
P("instagram", "@sammy.the.dachshund", "en", [],
  "My dog hates the vet but the Merelhof box? Best day of his life 😂📦", kind="comment")
P("facebook", "MerelhofDierapotheek", "nl", [],
  "Let op: er gaan phishingmails rond die zogenaamd van Merelhof komen. Wij vragen nooit om je wachtwoord of pincode. Twijfel je? Stuur de mail door naar klantenservice@merelhofvet.nl.")
P("x", "@merelhof_help", "nl", [],
  "Vannacht tussen 23:00 en 01:00 is de webshop in gepland onderhoud. Daarna kun je gewoon weer bestellen 💤")
P("x", "@queen_mittens", "en", [],
  "my cat is the actual CEO of this house. Merelhof delivers her Renalvet like she's royalty 👑")
P("x", "@thriftyterrier", "en", [],
  "Honestly thought Merelhof would be pricey but the Carprodyn was €64.90 there vs €89 at my vet.",
  price=("MH-CRP-50", 64.90))
P("facebook", "Gert Hofman", "nl", [],
  "Klopt het dat de Equiverm €21,50 kost bij Merelhof? Vind het wel prijzig voor één tube, maar bij de ruitersport is het nog duurder.",
  kind="comment", price=("MH-EQV-P", 21.50))
P("reddit", "u/devjobs_utrecht", "en", [],
  "Merelhof is hiring backend devs apparently. Anyone worked there? Heard the team is pretty chill.")
P("bluesky", "@lottevdmeer.bsky.social", "nl", [],
  "Onze nieuwe campagne 'Elk dier verdient de beste zorg' staat live! Trots op het team 💚")
P("linkedin", "jeroen-tervoort", "nl", [],
  "Mooi bezoek aan de Huisdierenbeurs in Utrecht. Veel goede gesprekken met baasjes en dierenartsen over hoe we ze nog beter kunnen helpen.")
P("x", "@puppy_chaos_jen", "en", [],
  "the word 'leak' means something very different when your puppy is 9 weeks old 😩 anyway Merelhof's Digestavet saved our carpet")
P("x", "@careful_vera", "en", [],
  "When I phoned Merelhof they asked for the last 4 digits of my card (**** **** **** 1234) to verify me. Is that normal?")
P("tiktok", "@daan.pakt.in", "nl", [],
  "dag 1 als orderpicker bij merelhof: 23.000 stappen en ik ruik naar kattenvoer 💀")
P("x", "@wormenwijsheid", "nl", [],
  "Merelhof heeft echt de duidelijkste uitlegvideo's over ontwormen. Eindelijk snap ik het verschil tussen Vermilex en Felimint.")
P("x", "@sentimental_sal", "en", [],
  "Dear Merelhof, please bring back the old boxes, the new ones are too cute to throw away 😭📦")
P("linkedin", "merelhof-dierapotheek", "en", [],
  "Proud to announce our partnership with the Utrecht veterinary faculty on safe medication use for pets. Press release at merelhofvet.nl/pers")
P("x", "@voetbalvader_frank", "nl", [],
  "Bleek veld vandaag bij de club na al die droogte 🥵 ballen stuiteren alle kanten op")
P("facebook", "Dierenasiel De Hooiberg", "nl", [],
  "Wat een verrassing! Merelhof doneerde vandaag een hele doos Tekaro en Vermilex aan ons asiel. Namens alle snuitjes: dankjewel! 🐾")
P("linkedin", "noor-bakkali-merelhof", "en", [],
  "Enjoyed presenting at the E-commerce Finance Summit on working capital for online pharmacies. Slides are on my profile (no company figures, sorry!).")
P("x", "@cyber_cynicus", "nl", [],
  "Nee hè, wéér een hack bij een grote retailer. Wanneer leren bedrijven het eens #datalek #beveiliging")
P("x", "@zoomies_zara", "en", [],
  "M E R E L H O F   D E L I V E R Y   S P E E D 🚀🚀🚀 ordered at 10pm, here by lunch")
P("x", "@ruud_kuipers_dev", "en", [],
  "Just shipped dark mode for the Merelhof webshop. Small thing, big happiness 🌙")
P("x", "@pipet_petra", "nl", [],
  "Tekaro Duo besteld bij Merelhof, eens kijken of het beter werkt dan die losse pipetjes 🤞",
  when="2027-01-26T19:44:00Z")
P("x", "@koopjesjager_nl", "nl", [],
  "Prijsfout bij een kledingwinkel gisteren, winterjas voor €4. Helaas geannuleerd 😅 #prijsfout")
P("x", "@merelhof_help", "en", [],
  "@dogdad_mike So sorry about the delay, Mike! Your Felimint is on its way today and we've refunded the shipping. Let us know when it arrives 🐾",
  kind="reply")
P("instagram", "@hobbyboer_henk", "nl", [],
  "Kippen weer gezond na een kuurtje Coccistop via Merelhof. Fijn dat ze ook aan ons pluimveehouders denken 🐔", kind="comment")
P("x", "@vetnurse_becky", "en", [],
  "Just to be clear for everyone in the replies: Merelhof wasn't involved in that recall story, it was a different company. Please don't spread rumours.")


# ---------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]


def norm_handle(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


ROLES = {}
for r in ("corporate", "employee"):
    for h in PROFILE["accounts"][r]:
        ROLES[h.lower()] = r


def role_of(platform, handle):
    return ROLES.get(norm_handle(platform, handle), "public")


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def phone_key(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "31" + d[4:]
    elif d.startswith("0"):
        d = "31" + d[1:]
    return d


PUBLIC_PHONES = {phone_key(p) for p in PROFILE["public_identifiers"]["phones"]}

ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
RE_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
RE_CARD = re.compile(r"(?<![\w.-])(\d{4}(?:[ -]?\d{4}){2}(?:[ -]?\d{1,7}))(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?:[\s\-()]*\d){9}(?!\d)")
RE_GH = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
RE_AKIA = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
RE_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")


def iban_candidates(text):
    return [m.replace(" ", "") for m in RE_IBAN.findall(text)]


def card_candidates(text):
    out = []
    for m in RE_CARD.findall(text):
        d = re.sub(r"\D", "", m)
        if 13 <= len(d) <= 19:
            out.append(d)
    return out


def bsn_candidates(text):
    return [re.sub(r"\D", "", m) for m in RE_BSN.findall(text)]


def strong_ids(text):
    t = ZW.sub("", text)
    if any(iban_ok(i) and i not in PUBLIC_IBANS for i in iban_candidates(t)):
        return True
    if any(luhn_ok(c) for c in card_candidates(t)):
        return True
    return any(bsn_ok(b) for b in bsn_candidates(t))


def severity(cats, role, text):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in (SEC, PRC):
                    s = "critical"
                if c == PII and strong_ids(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


def rand_time():
    start = datetime(2026, 1, 4, 6, 0, 0, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 340 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
          "forum": "fo", "blog": "bl"}
rows = []
for n, idx in enumerate(order, start=1):
    c = CASES[idx]
    when = c["when"] or rand_time()
    role = role_of(c["platform"], c["handle"])
    post = {
        "id": "%s-482%04d" % (PREFIX[c["platform"]], n * 7 + rng.randint(0, 6)),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": when,
        "brand": "merelhof",
    }
    rows.append({"post": post, "expect": {"categories": c["cats"],
                                          "severity": severity(c["cats"], role, c["text"])},
                 "_meta": c, "_role": role})


# ---------------------------------------------------------------- self-checks
errors = []


def fail(row, msg):
    errors.append("%s: %s" % (row["post"]["id"], msg))


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# profile sanity
for i in PROFILE["public_identifiers"]["ibans"]:
    assert iban_ok(i), i
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert 15 <= len(PROFILE["products"]) <= 25
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
for e in PROFILE["embargo"]:
    assert parse_ts(e["until"]).year == 2027
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
for p in PROFILE["products"]:
    assert p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"]

# generator sanity
assert gh_ok(GH1) and gh_ok(GH2) and not gh_ok(FAKE_GH)
assert RE_AKIA.fullmatch(AK) and jwt_ok(JWT)
for v in (IBAN_JOS, IBAN_ONEILL, IBAN_SUP):
    assert iban_ok(v)
assert luhn_ok(CARD1) and luhn_ok(CARD2) and bsn_ok(BSN1) and bsn_ok(BSN2)
assert not iban_ok(FAKE_IBAN) and not luhn_ok(FAKE_CARD) and not bsn_ok(FAKE_BSN)

ids = set()
VALID_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                   "mastodon", "bluesky", "threads", "forum", "blog", "other"}
INTERNAL_TERMS = ([d.lower() for d in PROFILE["internal"]["domains"]]
                  + [c.lower() for c in PROFILE["internal"]["codenames"]]
                  + [m.lower() for m in PROFILE["internal"]["markers"]])
PRICE_ERR = re.compile(r"prijsfout|price (?:error|glitch)|pricing error|glitch|komma|decimal|gratis|wie heeft dat", re.I)

for row in rows:
    post, exp, meta, role = row["post"], row["expect"], row["_meta"], row["_role"]
    text = post["text"]
    t = ZW.sub("", text)
    cats = exp["categories"]
    pos = bool(cats)
    # contract section 6 shape
    if post["id"] in ids:
        fail(row, "duplicate id")
    ids.add(post["id"])
    if not (1 <= len(post["id"]) <= 256):
        fail(row, "id length")
    if post["platform"] not in VALID_PLATFORMS:
        fail(row, "platform")
    if post["kind"] not in {"post", "reply", "repost", "comment", "message"}:
        fail(row, "kind")
    if not isinstance(post["account"]["handle"], str) or not post["account"]["handle"]:
        fail(row, "handle")
    if not text or len(text.encode("utf-8")) > 65536:
        fail(row, "text size")
    ts = parse_ts(post["created_at"])
    if ts.year not in (2026, 2027) or (ts.year == 2027 and ts > datetime(2027, 3, 31, tzinfo=timezone.utc)):
        fail(row, "created_at range")
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
        fail(row, "categories")
    if exp["severity"] not in ORDER:
        fail(row, "severity value")
    if pos and exp["severity"] in ("none", "info"):
        fail(row, "positive with none severity")
    if not pos and exp["severity"] != "none":
        fail(row, "benign not none")
    # identifiers
    ibans = [i for i in iban_candidates(t) if i not in PUBLIC_IBANS]
    cards = card_candidates(t)
    bsns = bsn_candidates(t)
    if pos:
        for i in ibans:
            if not iban_ok(i):
                fail(row, "positive has IBAN failing mod-97: " + i)
        for c in cards:
            if not luhn_ok(c):
                fail(row, "positive has card failing Luhn: " + c)
        for b in bsns:
            if not bsn_ok(b):
                fail(row, "positive has BSN failing 11-proof: " + b)
        if (ibans or cards or bsns) and PII not in cats:
            fail(row, "identifier without leak.pii")
    else:
        for i in ibans:
            if iban_ok(i):
                fail(row, "negative has valid IBAN " + i)
        for c in cards:
            if luhn_ok(c):
                fail(row, "negative has Luhn-valid card " + c)
        for b in bsns:
            if bsn_ok(b):
                fail(row, "negative has 11-proof BSN " + b)
        for e in RE_EMAIL.findall(t):
            if e.lower() not in PUBLIC_EMAILS:
                fail(row, "negative has private e-mail " + e)
        for p in RE_PHONE.findall(t):
            if phone_key(p) not in PUBLIC_PHONES:
                fail(row, "negative has phone " + p)
        low = t.lower()
        for term in INTERNAL_TERMS:
            if term in low:
                fail(row, "negative has internal term " + term)
        for g in RE_GH.findall(t):
            if gh_ok(g):
                fail(row, "negative has valid GitHub token")
        for a in RE_AKIA.findall(t):
            if "EXAMPLE" not in a:
                fail(row, "negative has AWS key id")
        for j in RE_JWT.findall(t):
            if jwt_ok(j.split(".")[0] + ".x.y"):
                fail(row, "negative has JWT")
        if re.search(r"PRIVATE KEY-----|sk_live_|xox[bpa]-|://[^/\s:]+:[^@\s]+@|live_[0-9A-Za-z]{20}|SG\.[\w-]{10}", t):
            fail(row, "negative has secret-like string")
        if re.search(r"wachtwoord\s*:\s*\S|password\s*:\s*\S", t, re.I):
            fail(row, "negative has password")
    # secrets in positives are well-formed
    if SEC in cats:
        for g in RE_GH.findall(t):
            if not gh_ok(g):
                fail(row, "GitHub token checksum")
        for j in RE_JWT.findall(t):
            if not jwt_ok(j):
                fail(row, "JWT header")
    for g in RE_GH.findall(t):
        if gh_ok(g) and SEC not in cats:
            fail(row, "valid GitHub token outside leak.secret")
    # pii strength consistent
    if PII in cats and role != "public" and strong_ids(t) != (exp["severity"] == "critical"):
        fail(row, "pii severity mismatch")
    # embargo
    for e in PROFILE["embargo"]:
        until = parse_ts(e["until"])
        for term in e["terms"]:
            if term.lower() in t.lower() and ts < until and CON not in cats:
                fail(row, "embargo term before until without leak.confidential: " + term)
    # internal terms in positives must carry leak.confidential (plain text only)
    if pos:
        low = t.lower()
        for term in INTERNAL_TERMS:
            if term in low and CON not in cats:
                fail(row, "internal term without leak.confidential: " + term)
    # pricing
    if meta["price"]:
        sku, price = meta["price"]
        prod = PRODUCTS[sku]
        if not any(a.lower() in t.lower() for a in prod["aliases"] + [prod["name"]]):
            fail(row, "price meta product not mentioned")
        ratio = price / prod["list_price"]
        if PRC in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
            fail(row, "pricing positive not below ratio")
        if not pos and ratio < 0.7:
            fail(row, "benign price too low")
    if PRC in cats and not meta["price"]:
        if not PRICE_ERR.search(t):
            fail(row, "pricing positive without price or price-error talk")
        if not any(a.lower() in t.lower() for p in PROFILE["products"] for a in p["aliases"]):
            fail(row, "pricing positive without product")
    # severity recomputed independently per CONTRACT section 4
    if exp["severity"] != severity(cats, role, text):
        fail(row, "severity not derived")

if errors:
    print("SELF-CHECK FAILED:\n  " + "\n  ".join(errors), file=sys.stderr)
    sys.exit(1)

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for row in rows:
        fh.write(json.dumps({"post": row["post"], "expect": row["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file
with open(out, encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]
assert len(lines) == len(rows)
for l in lines:
    assert set(l) == {"post", "expect"} and set(l["expect"]) == {"categories", "severity"}
    for k in ("id", "platform", "account", "text", "created_at"):
        assert k in l["post"]

# summary
from collections import Counter
cc = Counter(c for r in rows for c in r["expect"]["categories"])
benign = sum(1 for r in rows if not r["expect"]["categories"])
langs = Counter(r["post"]["lang"] for r in rows)
roles = Counter((r["_role"], bool(r["expect"]["categories"])) for r in rows)
sev = Counter(r["expect"]["severity"] for r in rows)
SIZE_OK = 170 <= len(rows) <= 180
print("cases %d, benign %d, positive %d" % (len(rows), benign, len(rows) - benign))
print("categories", dict(sorted(cc.items())))
print("langs", dict(langs), "nl share %.2f" % (langs["nl"] / len(rows)))
print("roles", dict(roles))
print("severity", dict(sev))
print("self-check OK ->", out)
assert SIZE_OK, len(rows)
