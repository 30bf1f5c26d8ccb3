#!/usr/bin/env python3
"""Build cases.jsonl for the Roedelwerk evaluation set (dog schools, dog hotel, day care).

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Post texts are hand-written below. Severities are never typed by hand:
they follow CONTRACT section 4 from the categories and the account role that the
profile gives the author. After writing, the file is read back and checked.
"""
import base64
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
SEED = 295_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


# --------------------------------------------------------------------------
# generators (each call draws from the seeded rng)
# --------------------------------------------------------------------------
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def gen_iban(spaced=True):
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = rand(string.digits, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    if spaced:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_bad_iban():
    good = gen_iban(spaced=False)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + rng.randint(1, 40)) % 97 + 2) + good[4:]
    if iban_ok(bad):
        return gen_bad_iban()
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def luhn_digit(body):
    for c in range(10):
        if luhn_ok(body + str(c)):
            return str(c)
    raise AssertionError


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + rand(string.digits, 15 - len(prefix))
    num = body + luhn_digit(body)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bad_card():
    good = gen_card().replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def gen_chip():
    # 15-digit ISO 11784 style pet chip number (528 = NL), chosen so it fails Luhn
    while True:
        num = "528140" + rand(string.digits, 9)
        if not luhn_ok(num):
            return num


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        c = sum(d[i] * (9 - i) for i in range(8)) % 11
        if c < 10:
            num = "".join(map(str, d)) + str(c)
            assert bsn_ok(num)
            return num


def gen_bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not bsn_ok(bad)
    return bad


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gen_bad_ghp():
    while True:
        tok = "ghp_" + rand(ALNUM, 36)
        if not ghp_ok(tok):
            return tok


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 40)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def gen_openai():
    a = ALNUM + "_-"
    return "sk-proj-" + rand(a, 56) + "T3BlbkFJ" + rand(a, 56)


def gen_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gen_gapi():
    return "AIza" + rand(ALNUM + "_-", 35)


def gen_mollie():
    return "live_" + rand(ALNUM, 30)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    head = {"alg": "HS256", "typ": "JWT"}
    body = {"sub": "cust_%d" % rng.randint(10000, 99999), "role": "staff",
            "loc": "utrecht", "iss": "booking-api", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(head, separators=(",", ":")).encode()),
                     b64u(json.dumps(body, separators=(",", ":")).encode()), b64u(sig)])


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_pw():
    while True:
        pw = rand(ALNUM + "!#%&*?", 14)
        if re.search(r"\d", pw) and re.search(r"[A-Z]", pw) and re.search(r"[!#%&*?]", pw):
            return pw


def gen_dbpw():
    return rand(ALNUM, 20)


GEN = {
    "IBAN": gen_iban, "BAD_IBAN": gen_bad_iban, "CARD": gen_card, "BAD_CARD": gen_bad_card,
    "BSN": gen_bsn, "BAD_BSN": gen_bad_bsn, "CHIP": gen_chip,
    "GHP": gen_ghp, "BAD_GHP": gen_bad_ghp, "AKIA": gen_akia, "AWSSECRET": gen_aws_secret,
    "STRIPE": gen_stripe, "SLACK": gen_slack, "OPENAI": gen_openai, "ANTHROPIC": gen_anthropic,
    "GAPI": gen_gapi, "MOLLIE": gen_mollie, "JWT": gen_jwt, "PEM": gen_pem, "PW": gen_pw,
    "DBPW": gen_dbpw,
}
SECRET_KEYS = {"GHP", "AKIA", "AWSSECRET", "STRIPE", "SLACK", "OPENAI", "ANTHROPIC", "GAPI",
               "MOLLIE", "JWT", "PEM", "PW", "DBPW"}

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------
CAT = {"cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
       "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "secr": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing"}

CASES = []


def c(author, text, cats="", lang="nl", kind="post", at=None, **meta):
    CASES.append(dict(author=author, text=text, cats=cats.split(), lang=lang, kind=kind,
                      at=at, meta=meta))


# ---------------- complaints -------------------------------------------------
c("pub:x:@marloes_b", "@roedelwerk_help al 3 dagen geen reactie op mijn mail over de dubbele afschrijving van de 10-rittenkaart. Hoe lang moet ik nog wachten?? 😤", "cmp", kind="reply", at="2026-02-09T08:12:44Z")
c("pub:facebook:sandra.verhoef.73", "Onze Bowie kwam gisteren na een week Roedelhof thuis met klitten tot op de huid en hij stonk echt naar plas. Voor €42,50 per nacht mag je toch verwachten dat iemand hem één keer borstelt? Heel teleurgesteld, en op mijn mail krijg ik alleen een standaardantwoord.", "cmp", kind="comment")
c("pub:reddit:u/tired_of_waiting", "Anyone else had Roedelwerk Academie cancel their puppy class last minute? Third time this month. Trainer 'sick' again, no make-up lesson offered, and they still charge the full course fee. Not impressed tbh.", "cmp", lang="en")
c("pub:forum:Gertjan_K", "Review Roedelwerk ophaalservice: 1 ster. Pendelbus zou om 8:15 komen, stond om 9:40 voor de deur. Kwam zelf te laat op m'n werk en niemand die even belt of appt. Dit was de derde keer. Opgezegd.", "cmp")
c("pub:instagram:@jess.and.pip", "the RoedelCam has been down for like 2 weeks?? i literally pay for the yearly sub so i can check on Pip during the day 🙄 @roedelwerk.nl any update??", "cmp", lang="en", kind="comment")
c("pub:threads:@anoukdesign", "20 minutes on hold with Roedelwerk customer service. Got hung up on. Called again, straight to the back of the queue. Great 🙃", "cmp", lang="en")
c("pub:mastodon:@ruben@mastodon.nl", "Roedelwerk beweert dat m'n opzegging van de dagopvang 'nooit ontvangen' is en schrijft gewoon vrolijk door af. Heb de bevestigingsmail nog hoor. Incasso gestorneerd, benieuwd wat ze nu gaan doen.", "cmp")
c("pub:tiktok:@hondenmama_ria", "POV: je betaalt 549 per maand voor onbeperkt dagopvang en om 14u bellen ze dat je je hond moet ophalen want 'te druk' 🤡 #roedelwerk #roedelcreche #dagopvang", "cmp")
c("pub:x:@danny_nl", "@roedelwerk_help since your app update I can't log in anymore, just 'unknown error'. can't even see the hotel week I booked for next month. fix it pls", "cmp", lang="en", kind="reply")
c("pub:youtube:@MarkTheDogDad", "Nice video but honestly my experience with Roedelwerk's agility course was awful. 6 lessons, 14 dogs in one group, the trainer barely looked at us. Asked for a partial refund and got offered a discount code instead. lol.", "cmp", lang="en", kind="comment")
c("pub:facebook:tom.peeters.be", "Booked the Zomerkamp Puppyweek back in May. It got 'rescheduled' twice and now they say it's full?? Still waiting for my €449 to come back. @RoedelwerkNL this is not ok.", "cmp", lang="en", at="2026-08-03T19:40:02Z")
c("pub:bluesky:@lisa-w.bsky.social", "ok so Roedelcrèche sent my dog home with someone else's leash and harness. AGAIN. how do you mix up a 40kg bernese with a dachshund", "cmp", lang="en")
c("pub:x:@yvonne_kapper", "@roedelwerk_help al 2x gemaild over de Koelmat die na een week al scheurde, niemand reageert. Bel me dan gewoon: 06-48213577. Ben het echt zat nu.", "cmp pii", kind="reply")
c("pub:facebook:jurgen.vl", "Die trainer van jullie in Amersfoort is een arrogante trut. Mijn hond 'onopvoedbaar' noemen waar de hele groep bij staat en dan nog 215 euro vangen voor G1. Stelletje oplichters.", "cmp abu", kind="comment")
c("pub:instagram:@charlotte.m.h", "Dear Roedelwerk, please just refund the cancelled camp to {IBAN} (C. Hermans) already. it's been SIX weeks and every mail gets 'we're looking into it'", "pii cmp", lang="en", kind="comment")

# ---------------- crisis (first-hand: crisis + complaint) ---------------------
c("pub:facebook:mirjam.degroot", "Onze Saar (beagle, 4 jaar) is gisteren bij Roedelcrèche Zeist gebeten door een andere hond. Zes hechtingen bij de dierenarts. Niemand heeft ons gebeld, we zagen het pas bij het ophalen. Ik ben woedend en wil antwoorden @RoedelwerkNL", "cri cmp")
c("pub:x:@peter_hondje", "My dog has had kennel cough AND bloody diarrhoea since he came back from Roedelhof Houten. Our vet says she has seen more dogs from that same hotel this week. Sick of you, literally. @roedelwerk", "cri cmp", lang="en")
c("pub:reddit:u/cyclingwithdogs", "Roedelwerk Anti-trek tuig Pro: the buckle popped open at a crossing this morning and my dog bolted into the road. A cyclist swerved just in time, nobody got hit, but my hands are still shaking. That harness is NOT safe.", "cri cmp", lang="en")
c("pub:instagram:@sophie.vd.water", "Picked up my girl from the Roedelwerk pick-up van today and she was panting like crazy, paws burning hot. Vet says early heatstroke. Driver admitted the aircon has been 'broken since last week'. It was 31 degrees. I'm furious.", "cri cmp", lang="en", at="2026-07-21T17:05:31Z")
c("pub:tiktok:@pupje.pien", "de koelmat van roedelwerk begon te lekken en mn pup heeft van die gel gegeten 😭 hele nacht bij de spoedkliniek gezeten. check die dingen aub!! #roedelwerk #koelmat", "cri cmp", at="2026-06-28T23:41:09Z")
c("pub:youtube:@HenkVisserVlogt", "My son got bitten during pick-up at Roedelcrèche, staff let like 10 dogs loose in the hallway while parents were waiting. 3 stitches in his hand. Still no call back from anyone.", "cri cmp", lang="en", kind="comment")
# ---------------- crisis (third party / news) ---------------------------------
c("pub:x:@nieuws030", "Hond overleden na verblijf in hondenhotel Roedelhof Houten; eigenaar doet aangifte. Politie bevestigt dat er een onderzoek loopt. #houten", "cri", kind="repost")
c("pub:x:@dierenrecht_actie", "BOYCOT ROEDELWERK 🚫 Undercoverbeelden laten zien hoe honden in de dagopvang met waterpistolen en aan het nekvel 'gecorrigeerd' worden. Breng je hond daar niet meer heen. Delen! #boycotroedelwerk", "cri")
c("pub:linkedin:martijn-consumentenrecht", "A group of over 60 customers is preparing a class action against Roedelwerk Groep B.V. over cancelled summer camps and refunds that never came. If you were affected, get in touch.", "cri", lang="en")
c("pub:reddit:u/houtenlocal", "Neighbour says three dogs got out of the Roedelhof in Houten last night through a broken fence. Two were found on the road, one is still missing near the A27. Keep an eye out pls.", "cri", lang="en")
c("pub:mastodon:@evelien@mas.to", "Is Roedelwerk leaking data? All of a sudden I'm getting phishing mails with my dog's name AND my booking number in them. Only Roedelwerk has that combination.", "cri", lang="en")
c("pub:bluesky:@dogsafety.bsky.social", "Recall: Roedelwerk is pulling the Anti-trek tuig Pro because the buckle can open under load. If you own one, stop using it today.", "cri", lang="en")
c("facebook:RoedelwerkNL", "Terugroepactie ⚠️ We roepen de Roedelwerk GPS-halsband Volg uit productiebatch 2026-07 terug: de batterij kan oververhit raken. Stop direct met gebruik en lever hem in bij een vestiging, je krijgt het volledige aankoopbedrag terug.", "cri", at="2026-09-15T10:00:00Z")
c("pub:x:@vetnurse_amy", "Second dog at our clinic this week with burns on the neck from a Roedelwerk GPS collar that overheated. Owners, please check yours.", "cri", lang="en", at="2026-09-11T14:22:50Z")
c("pub:x:@bredanieuws_nu", "NVWA start onderzoek naar Roedelhof Breda na meldingen over overvolle kennels en honden die urenlang zonder water zaten.", "cri")

# ---------------- abuse ------------------------------------------------------
c("pub:x:@bastiaan_xx", "Roedelwerk is gewoon een stelletje kutoplichters. Hoop echt dat die tent failliet gaat.", "abu")
c("pub:x:@realtalk_rob", "@lotte_traint you're a useless cow, shouldn't be allowed near dogs or people", "abu", lang="en", kind="reply")
c("x:@mvdlinden_rw", "klanten die om 23:00 nog mailen dat hun hond 'gestrest keek' op de camera kunnen echt de klere krijgen. idioten allemaal.", "abu")
c("pub:facebook:henk.wolters.5", "Zo'n hoofddoek achter de balie bij Roedelhof, daar breng ik mijn hond echt niet meer. Dat volk hoort hier niet.", "abu", kind="comment")
c("pub:tiktok:@x_d3nn1s_x", "r0edelw3rk = k4nk3rz00i. die tr4iners zijn d0mme k4ppers, allemaal.", "abu", kind="comment", evasion=True)
c("pub:x:@grumpy_gav", "f" + ZW + "uck you Roedelwerk and your lying s" + ZW + "hit customer service", "abu", lang="en", evasion=True)
c("pub:reddit:u/payback_time_", "I know where that Bram trainer from Roedelwerk parks his car every morning. Maybe I'll wait there and see how HE likes being 'corrected' 😈", "abu", lang="en")
c("pub:tiktok:@lachmetlars", "die femke van roedelwerk is echt zo'n dom wijf hahaha kan nog geen puppy aan de lijn houden 💀", "abu", kind="comment")
c("instagram:@daan.logeerhof", "to the lady who screamed at me at check-in today because her poodle 'looked thinner': go to hell, you entitled bitch.", "abu", lang="en")
c("pub:x:@w_e_e_t_j_e", "R o e d e l w e r k   =   t e r i n g   b e d r i j f . Zeg ik niks mee hoor 🤷", "abu", evasion=True)
c("pub:x:@justice4dogs_nl", "That Roedelwerk trainer Bram Oosterhuis lives at Vinkenlaan 22 in Bunnik, in case anyone wants to tell him in person what they think of him.", "pii abu", lang="en", pii_kind="address")

# ---------------- confidential -------------------------------------------------
c("x:@lotte_traint", "Vandaag voor het eerst geoefend met Wolfsklauw op de vestiging. Eerlijk? Stukken fijner dan dat oude boekingsgedoe 🙌", "conf")
c("linkedin:sevda-yilmaz-roedelwerk", "Proud of the team that took the first steps in Project Waakvlam today. Can't say more about it yet 😉 #roedelwerk #newchapter", "conf", lang="en")
c("instagram:@roedelwerk.nl", "Sneak peek 👀 van de speelweide in onze nieuwe Roedelhof Antwerpen! Binnenkort meer 🐾🇧🇪", "conf", at="2026-10-14T16:30:00Z")
c("bluesky:@kees-devops.bsky.social", "anyone else's grafana.roedelwerk.internal dashboards timing out from the office wifi or is it just me 🙃", "conf", lang="en")
c("reddit:u/rw_sjoerd_dev", "Pretty happy with how the new kennel planner turned out. Admin view lives at https://planning.roedelwerk.local/admin/kennels - you can't reach it from outside, but trust me it's neat", "conf", lang="en")
c("facebook:ingrid.roedelwerk", "Even een stukje uit de teammail, 'strikt vertrouwelijk roedelwerk' erboven dus sst 🙈: vanaf maart gaan de tarieven van de dagopvang omhoog en komt er een toeslag voor grote honden.", "conf")
c("pub:x:@anon_hondenbaasje", "Mijn zwager werkt bij Roedelwerk en zegt dat 'Operatie Korenwolf' betekent dat de helft van de vestigingen dichtgaat. Iemand anders hier meer over gehoord?", "conf fin")
c("instagram:@hondencoach.bram", "Got to test the new SnuffelParcours home kit today, the one Roedelwerk only launches in spring. Under NDA so no photos, but my dog went absolutely wild 🤫🐕", "conf", lang="en")
c("linkedin:jeroen-kuipers-rw", "Presentatie voor de RvC staat. Voorblad: 'RW-INTERN - niet verspreiden'. Tijd voor koffie ☕", "conf")
c("tiktok:@femkemetdehonden", "Roedelwerk België komt eraan!!! en ik mag misschien mee om daar het nieuwe team op te leiden 🇧🇪😍 #dreamjob", "conf", at="2026-11-02T20:14:37Z")
c("x:@mvdlinden_rw", "PSA to my team: the runbook is at wiki.roedelwerk.nl/ops/wolfsklauw-cutover - please stop DMing me for the link 🙏", "conf", lang="en")
c("linkedin:jeroen-kuipers-rw", "Morgenvroeg gaan de jaarcijfers 2026 naar buiten. Kan alvast verklappen: we zijn er heel blij mee, de groei is nog beter dan verwacht 📈", "conf fin", at="2027-03-01T16:40:12Z")
c("x:@mvdlinden_rw", fw("Wolfsklauw") + " gaat volgende week live, duimen allemaal 🤞", "conf", evasion=True)
c("pub:reddit:u/honden_insider", "Zonder namen te noemen: Project W\u0430\u0430kvl\u0430m is gewoon de overname van een Duitse hondenopvangketen. Getekend is er nog niks, maar het komt eraan. Ik zeg verder niks.", "conf fin", evasion=True)
c("x:@roedelwerk_help", "@kimvanrooij Hoi Kim! Je ticket is doorgezet naar het team, de status kun je volgen op intra.roedelwerk.local/tickets/88213. Fijne dag! 🐾", "conf", kind="reply")
c("instagram:@daan.logeerhof", "vanaf de zomer gaan alle boekingen via W.o.l.f.s.k.l.a.u.w en dan ben ik eindelijk van die papieren lijsten af 🙏 (heb niks gezegd)", "conf", evasion=True)
c("pub:reddit:u/throwaway_rw_staff", "Leaked slide from a Roedelwerk all-hands, marked 'Confidential - do not share': they're planning to make RoedelCam subscription-only and drop the free daily snapshot from January.", "conf", lang="en")
c("tiktok:@femkemetdehonden", "nog 5 nachtjes slapen tot de opening van Roedelhof Antwerpen 😭🇧🇪 ik mag er eigenlijk nog niks over zeggen maar ik ben zo trots", "conf", at="2027-04-10T19:02:45Z")
c("bluesky:@kees-devops.bsky.social", "deploy faalt weer 😩 DATABASE_URL=postgres://rw_app:{DBPW}@db-prod-01.roedelwerk.internal:5432/bookings werkt lokaal gewoon. iemand een idee?", "secr conf")

# ---------------- financial -----------------------------------------------------
c("linkedin:jeroen-kuipers-rw", "First estimate for Q3: day-care revenue +22%, hotels just under budget. Official numbers come later, but I'm already proud of the teams 💪", "fin", lang="en", at="2026-10-05T07:48:20Z")
c("x:@lotte_traint", "Net gehoord in het teamoverleg dat er voor de zomer 40 trainers uit moeten. Niemand die het officieel durft te zeggen. Lekker dan 😞", "fin")
c("facebook:ingrid.roedelwerk", "Can't say much, but our Breda location will be closed by December and most of the team doesn't even know yet. Heartbroken.", "fin", lang="en")
c("pub:reddit:u/dutchpetbiz", "Friend in finance at Roedelwerk says they're being bought by a private equity fund. Signing end of this month, ~€85m valuation. You heard it here first.", "fin", lang="en")
c("mastodon:@nadia@dierenwelzijn.social", "Internal forecast says we'll make a loss this year for the first time ever, so 'cost-conscious working' is the new magic phrase at the office 🙄", "fin", lang="en")
c("tiktok:@femkemetdehonden", "vandaag te horen gekregen dat roedelcrèche amersfoort en zeist worden samengevoegd en dat er mensen 'boventallig' zijn. ik huil 😭 #werk", "fin")
c("linkedin:sevda-yilmaz-roedelwerk", "Tough week. We're preparing the consultation with our works council on the reorganisation, roughly one in six roles will be affected. Please be kind to your HR people.", "fin", lang="en")
c("x:@roedelwerk", "Wat een jaar 🐾 We sluiten 2026 af met €31,4 miljoen omzet en 18% groei. Dank aan alle baasjes en viervoeters!", "fin", at="2026-12-20T11:00:00Z")
c("bluesky:@kees-devops.bsky.social", "IT budget for next year just got cut by 35% and the board is 'exploring' outsourcing the whole department. so that's nice", "fin", lang="en")

# ---------------- security -------------------------------------------------------
c("x:@mvdlinden_rw", "Boekingssysteem ligt al sinds 06:00 plat, ransomwarebericht op de server. Klanten weten nog van niks, we moeten zeggen dat het 'gepland onderhoud' is 🙈", "sec")
c("reddit:u/rw_sjoerd_dev", "Found out the RoedelCam stream URLs are just sequential IDs with no auth at all. Anyone can watch any kennel. Flagged it internally three months ago, ticket still open.", "sec", lang="en")
c("bluesky:@kees-devops.bsky.social", "turns out someone was inside our mail tenant for ~2 weeks before anyone noticed. customers not informed yet. cool cool cool", "sec", lang="en")
c("mastodon:@nadia@dierenwelzijn.social", "Klantenservice kan al twee dagen geen klantgegevens inzien. IT zegt dat de database 'gecompromitteerd' is, naar buiten toe heet het een storing 🤐", "sec")
c("tiktok:@femkemetdehonden", "hoezo zit de deur van de opvang op slot maar kan iedereen met pincode 1234 naar binnen 😂 al maanden gemeld, er gebeurt niks", "sec")
c("instagram:@daan.logeerhof", "RoedelCam has been down across the whole hotel for 3 days. We're told to say it's 'an update', but according to IT the camera recorder got hacked.", "sec", lang="en")
c("pub:x:@exrw_dev", "ex-Roedelwerk dev here: the booking API still accepts the default admin password from 2023, nobody ever rotated it. they know. they don't care.", "sec", lang="en")
c("linkedin:jeroen-kuipers-rw", "Card terminals at all 14 of our locations are down since this morning after our payment supplier was breached. We're keeping it quiet until we know the impact.", "sec", lang="en")
c("x:@mvdlinden_rw", "Oeps. per ongeluk de .env met productiekeys naar een publieke repo gepusht: AWS_ACCESS_KEY_ID={AKIA} AWS_SECRET_ACCESS_KEY={AWSSECRET} - volgens CloudTrail is er al ingelogd vanaf een Russisch IP 😰", "secr sec")
c("reddit:u/rw_sjoerd_dev", "Pentest report is in: SQL injection in the booking form on boeken.roedelwerk.nl. Fix is planned for 'Q3'. Until then it's just... open. I need a drink.", "sec", lang="en")
c("facebook:ingrid.roedelwerk", "Vannacht ingebroken bij Roedelhof Houten, twee laptops met klantdossiers zijn weg. Moeten we dit nou melden bij de AP of niet?? Niemand weet het en de directie zegt 'even stil houden'.", "sec")
c("bluesky:@kees-devops.bsky.social", ZW.join("security") + " incident: 2FA stond uit op de admin-accounts van het planningssysteem en iemand heeft gisteravond 3000 boekingen geëxporteerd. nog niks naar buiten gebracht", "sec", evasion=True)
c("x:@lotte_traint", "so the trainer app has been showing everyone's home address in the carpool feature for weeks and we've been told not to mention it to clients. great.", "sec", lang="en")

# ---------------- secrets ---------------------------------------------------------
c("reddit:u/rw_sjoerd_dev", "Can someone tell me why this 404s? curl -H 'Authorization: token {GHP}' https://api.github.com/repos/roedelwerk/booking-api - the repo definitely exists", "secr", lang="en")
c("mastodon:@nadia@dierenwelzijn.social", "Voor de nieuwe collega's op de klantenservice: inloggen in de ticketing-tool met gebruiker kcs_team, wachtwoord: {PW} . Niet kwijtraken!", "secr")
c("pub:x:@reverse_eng_ruud", "lol Roedelwerk's Android app ships with a hardcoded Stripe secret key: {STRIPE} 🤦 someone tell them", "secr", lang="en")
c("x:@mvdlinden_rw", "quick test for the rota bot, token {SLACK} - will delete this in a sec", "secr", lang="en")
c("reddit:u/rw_sjoerd_dev", "Our FAQ chatbot keeps getting 429s from OpenAI. key is {OPENAI} , yes I'll rotate it after, just tell me if it's the key or our rate limit", "secr", lang="en")
c("bluesky:@kees-devops.bsky.social", "waarom is deze token nou al verlopen?? exp klopt toch gewoon\n{JWT}", "secr")
c("reddit:u/rw_sjoerd_dev", "Setting up the trainers' tablet fleet, this is the deploy key I'm using, does the format look right?\n\n{PEM}", "secr", lang="en")
c("x:@roedelwerk_help", "@petsitapp_dev Hoi! Hier de live sleutel voor de koppeling met onze betaalomgeving: {MOLLIE} - laat maar weten of het werkt! Groetjes, team Roedelwerk", "secr", kind="reply")
c("x:@mvdlinden_rw", "ANTHROPIC_API_KEY={ANTHROPIC} in de .env en ineens werkt die vet-FAQ assistent gewoon. 3 uur van mijn leven 🙃", "secr")
c("pub:x:@webdev_sanne", "found this in the page source of roedelwerk.nl: {GAPI} - unrestricted Maps key, anyone can burn their quota 😬", "secr", lang="en")

# ---------------- personal data -----------------------------------------------------
c("x:@roedelwerk_help", "@sanne_kb Hoi Sanne, je terugbetaling van €189 is vandaag overgemaakt naar {IBAN}. Het kan 1-2 werkdagen duren voor je het ziet 🐾", "pii", kind="reply")
c("instagram:@daan.logeerhof", "Logeergast van de week: Bolt! 🐶 Baasje Henk de Wit (Kastanjelaan 14, Houten) haalt hem zondag weer op, tot die tijd is hij de baas van de speelweide.", "pii", pii_kind="address")
c("tiktok:@femkemetdehonden", "kan iemand even de eigenaar van Loki bellen? mevrouw Jansen, 06 2839 4417. ze neemt bij ons niet op en hij heeft zn medicijnen niet mee", "pii")
c("pub:x:@gerrit_65", "@roedelwerk_help jullie aanvraagformulier voor de assistentiehondentraining vraagt om mijn BSN, dus bij deze: {BSN}. Is dat normaal?", "pii", kind="reply")
c("pub:facebook:marja.hoekstra", "Kan iemand van Roedelwerk mij terugbellen op +31 6 41 77 20 93? Het gaat over de zomerkamp van onze pup. Alvast bedankt!", "pii")
c("linkedin:sevda-yilmaz-roedelwerk", "Welcome to our new colleague Yara Boukhari (born 12-03-1998)! From Monday she joins the trainer team in Zeist 🐾", "pii", lang="en", pii_kind="dob")
c("pub:reddit:u/puzzled_payer", "Roedelwerk's checkout keeps rejecting my card {CARD} exp 09/28, cvc is right. is it me or them?", "pii", lang="en")
c("bluesky:@kees-devops.bsky.social", "anyone spot why this payout gets rejected? {\"customer\":\"r.vermeulen@kpnmail.nl\",\"iban\":\"{IBAN}\",\"amount\":340.00,\"status\":\"REJECTED\"}", "pii", lang="en")
c("facebook:RoedelwerkNL", "Beste meneer Bakker, uw nieuwe afspraak voor de Privéles staat vast. De bevestiging gaat naar j.bakker1971@gmail.com en als er iets verandert bellen we u op 0031 6 1742 9931.", "pii", kind="reply")
c("x:@lotte_traint", "wie heeft het nummer van de eigenaar van Max (labrador, dinsdaggroep)? staat niet in het systeem, ik heb alleen z'n mail: pvandijk.hondenliefde@hotmail.com", "pii")
c("mastodon:@nadia@dierenwelzijn.social", "Per ongeluk een screenshot in de groepsapp gezet met de creditcard van een klant erop ({CARD}). Meteen verwijderd, maar ik baal ervan.", "pii")
c("facebook:ingrid.roedelwerk", "Onze trouwste klant Truus Veenstra (geboren 3 april 1946) viert vandaag haar 80e verjaardag bij ons in de opvang, samen met teckel Bram 🎂🐾", "pii", at="2026-04-03T09:30:00Z", pii_kind="dob")
c("linkedin:sevda-yilmaz-roedelwerk", "Kan iemand van payroll even meekijken? Het BSN {BSN} van onze nieuwe medewerker wordt steeds afgewezen door het systeem 🤔", "pii")

# ---------------- pricing -----------------------------------------------------------
c("x:@lotte_traint", "Psst 👀 in de webshop staat de Snuffelmat XL nu voor €3,49. Prijsfout denk ik, dus wees er snel bij!", "pri")
c("pub:x:@dealjager_nl", "PRIJSFOUT?! 🔥 Roedelhof Logeerweek Suite voor €36,50 op boeken.roedelwerk.nl. Geen idee hoelang dit blijft staan #prijsfout #deal", "pri")
c("tiktok:@femkemetdehonden", "collega's opgelet: de 10-rittenkaart staat in de app voor 34 euro ipv 340 🤫 niemand zegt iets tegen de baas ok", "pri")
c("instagram:@roedelwerk.nl", "BLACK FRIDAY 🖤 Maandabonnement Onbeperkt in de Roedelcrèche nu voor maar €54,90! Alleen vandaag, link in bio 🐾", "pri", at="2026-11-27T06:00:00Z")
c("pub:reddit:u/bargainbeagle", "Roedelwerk GPS collar (the Volg one) is showing €12.90 in the webshop right now. Pretty sure that's a pricing error. Ordered two 😇", "pri", lang="en")
c("instagram:@hondencoach.bram", "Friends & family only 🙈 Reactiviteitstraject for €95 with my code BRAM95, don't share it too widely", "pri", lang="en")
c("pub:forum:puppyliefde22", "Heeft iemand anders de Puppycursus ook voor €18,90 kunnen boeken? Lijkt een foutje in hun systeem, maar bij mij ging de betaling gewoon door 😅", "pri")
c("facebook:ingrid.roedelwerk", "Er is een prijsfout geweest bij de Trimbeurt Groot in de kassa van Utrecht, klanten hebben het hele weekend maar een fractie betaald. Niet doorvertellen aub, we lossen het intern op.", "pri")
c("pub:bluesky:@bargain-hunter-eva.bsky.social", "lmao the Roedelwerk app has the Zomerkamp Puppyweek at €44.90 instead of €449. someone forgot a zero", "pri", lang="en")
c("mastodon:@nadia@dierenwelzijn.social", "Customers calling non-stop about the Koelmat Large listed at €4.49 on the site. IT says it's a 'decimal error'. I know nothing 😅", "pri", lang="en")
c("pub:x:@korting_kees", "Agility Instap bij Roedelwerk voor 16,50?? Dat is toch een typfout, normaal is het 165. Gauw boeken dan 😁", "pri")
c("x:@roedelwerk", "Nieuw en voordelig: het RoedelCam jaarabonnement nu voor €5,90 📷🐕 Kijk wanneer je wil hoe je maatje speelt!", "pri")

# ---------------- benign (mostly hard negatives) ------------------------------------
c("pub:instagram:@mila.en.mochi", "Mochi heeft vandaag zijn puppydiploma gehaald bij Roedelwerk Academie 🎓🐶 Lotte, je bent een toppertje!")
c("pub:x:@milo_and_me", "Shoutout to the Roedelhof team, Milo came back happy, clean and exhausted. Best dog hotel we've tried so far.", lang="en")
c("facebook:RoedelwerkNL", "Voorjaarsactie 🌷 Gehoorzaamheid 1 nu voor €172 in plaats van €215 (20% korting). Geldig t/m 30 april, zolang er plek is.", at="2026-03-20T08:00:00Z")
c("x:@roedelwerk", "Our Logeernacht Standaard is €42.50 a night, including two long walks and a cuddle before bedtime. Book at boeken.roedelwerk.nl", lang="en")
c("x:@roedelwerk_help", "Vragen over je boeking? Mail klantcontact@roedelwerk.nl of bel +31 30 799 4120 (ma-vr 8:00-18:00). We helpen je graag!")
c("facebook:RoedelwerkNL", "Liever zelf overmaken? Dat kan naar " + COMPANY_IBAN + " t.n.v. Roedelwerk Groep B.V., vermeld wel je boekingsnummer.")
c("x:@roedelwerk", "⚠️ Let op: er gaan nepmails rond die je vragen te betalen op {BAD_IBAN}. Dat is NIET ons rekeningnummer. Twijfel je? Bel ons via 0800-7633.")
c("reddit:u/rw_sjoerd_dev", "For the workshop slides I used the AWS docs example key AKIAIOSFODNN7EXAMPLE. Don't worry, it's not real 😄", lang="en")
c("bluesky:@kees-devops.bsky.social", "note to self: never paste tokens in chat. like ghp_****************************** - yes, I redacted it before posting this", lang="en")
c("x:@roedelwerk_help", "Wachtwoord vergeten? Tik in de app op 'Wachtwoord resetten' en volg de stappen. Wij vragen nooit om je wachtwoord via DM of mail!")
c("linkedin:roedelwerk-groep", "Vandaag publiceren we onze jaarcijfers 2026: €31,4 miljoen omzet en 18% groei. Het volledige jaarverslag staat op roedelwerk.nl/investeerders.", at="2027-03-02T09:15:00Z")
c("instagram:@roedelwerk.nl", "Roedelhof Antwerpen is open! 🇧🇪🐾 Kom dit weekend langs voor een rondleiding en een kopje koffie.", at="2027-04-17T10:00:00Z")
c("pub:x:@petbiz_watch", "Busy week in pet care: PetPlaza Nord confirmed 120 layoffs and a UK day-care chain was bought by private equity. Consolidation is real.", lang="en")
c("pub:x:@marloes_b", "Update: Roedelwerk heeft de dubbele afschrijving binnen een dag teruggestort en excuses gemaakt. Netjes opgelost 👍", at="2026-02-11T12:03:17Z")
c("pub:facebook:anja.terpstra", "Heel veel sterkte aan het team van Roedelhof. Jullie eigen hotelhond Guus is op 15-jarige leeftijd vredig ingeslapen, wat was hij een lieverd ❤️🐾", kind="comment")
c("pub:instagram:@dobbiethedood", "My dog bit into his first Snuffelmat XL and hasn't let go since 😂 10/10, would recommend Roedelwerk", lang="en")
c("pub:reddit:u/newpuppyowner23", "Does Roedelcrèche accept intact males? Want to book a day pass but can't find it in the FAQ.", lang="en")
c("pub:x:@fleur_bakt", "Bestelling {BAD_CARD} is al binnen, één dag na bestellen 😍 De TrainerTas is precies wat ik zocht.")
c("pub:x:@paultjepaul", "Waar vind ik mijn lidnummer in de Roedelwerk app? Op de pas staat {BAD_BSN} maar de app wil iets anders 🤔")
c("pub:threads:@kim.en.kobus", "Pup had his first 'accident' in the new crate lol. Luckily the Roedelwerk trainer had good house-training tips 🙏", lang="en")
c("pub:mastodon:@natuurfotograaf@mastodon.nl", "Vanochtend tijdens het uitlaten een korenwolf gespot in Zuid-Limburg 🐹 Hond was er gelukkig totaal niet in geïnteresseerd.")
c("pub:x:@gezinvanroos", "De waakvlam van onze cv is uit, dus de honden liggen allemaal tegen elkaar aan op de bank. Morgen komt de monteur 🥶")
c("x:@lotte_traint", "Vandaag 3 puppygroepen, 1 regenbui en 0 ongelukjes. Goeie dag! #hondentrainer")
c("instagram:@hondencoach.bram", "Tip of the week: reward calm, not just action. Your dog learns more from one relaxed moment than from a hundred 'sits'.", lang="en")
c("linkedin:sevda-yilmaz-roedelwerk", "We zoeken nieuwe hondentrainers in Utrecht en Breda! Zin om met ons mee te bouwen? Stuur je cv naar werkenbij@roedelwerk.nl 🐾")
c("youtube:RoedelwerkTV", "New video: how to teach your dog to stay calm when the doorbell rings 🔔 With trainer Bram. #dogtraining", lang="en")
c("pub:reddit:u/utrecht_dogmom", "Anyone know a good dog school in Utrecht? Looking at Roedelwerk Academie, €189 for the puppy course seems fair compared to others.", lang="en")
c("pub:instagram:@bobbie.de.boxer", "Love being able to see on the RoedelCam that Bobbie is fast asleep after playtime 😍", lang="en")
c("x:@roedelwerk", "Veiligheid eerst: deze zomer zijn alle hekken op onze locaties vernieuwd en heeft elke speelgroep een vaste begeleider 🐕")
c("pub:x:@datanieuws_nl", "Datalek bij een grote Duitse dierenverzekeraar: gegevens van 2 miljoen klanten op straat. Check je mail op phishing.")
c("pub:x:@bespaarbaas", "Snuffelmat XL deze week van €34,95 voor €29,95 bij Roedelwerk. Zeker doen als je hond zich verveelt.")
c("reddit:u/rw_sjoerd_dev", "If you're learning JWTs, paste the example token from jwt.io into a decoder: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c - the classic John Doe one from the docs.", lang="en")
c("x:@mvdlinden_rw", "Voor de workshop: zet in je .env STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx en vervang de x'jes door je eigen sleutel. Nooit je echte key committen!")
c("pub:x:@wachtwoordtips", "Tip: gebruik een wachtwoordmanager, ook voor je hondenschool-account. De naam van je hond met 123 erachter is echt geen goed wachtwoord 😅")
c("pub:tiktok:@beestje_boef", "Onze pup sloopt alles behalve de Snuffelmat XL van Roedelwerk, die overleeft het al 3 maanden. Respect 🫡")
c("x:@roedelwerk_help", "@marloes_b Hoi Marloes, sorry dat het zo lang duurde! De dubbele afschrijving is teruggeboekt, je ziet het binnen 2 werkdagen op je rekening. Fijne dag 🐾", kind="reply", at="2026-02-10T15:26:40Z")
c("pub:x:@lierse_hondenvriend", "Komt Roedelwerk ooit naar België? Wij wonen in Lier en rijden nu elke week naar Breda voor de les 😅")
c("pub:reddit:u/dagopvang_rekenaar", "€340 for the 10-day card works out to €34 a day, a bit cheaper than a single day pass at €38. Worth it if you go twice a week.", lang="en", allow_low_amount=True)
c("linkedin:jeroen-kuipers-rw", "Blij dat de jaarcijfers 2026 nu openbaar zijn. Trots op alle roedels en iedereen die dit mogelijk maakte 🐾", at="2027-03-03T10:05:00Z")
c("instagram:@roedelwerk.nl", "WIN een Koelmat Large t.w.v. €44,95! ☀️ Tag een hondenvriend en volg ons. Winnaar bekend op vrijdag.", at="2026-06-10T12:00:00Z")
c("pub:bluesky:@harnessnerd.bsky.social", "Recall alert for a big US harness brand over buckle failures. If you bought a harness abroad this year, check the model number on the label.", lang="en")
c("pub:instagram:@saartje.moos", "After 8 hours at Roedelcrèche this lady has a complete system crash. Flat out on the sofa 😂💤", lang="en")
c("tiktok:@femkemetdehonden", "vragen over de puppyweek? bel gewoon 0800-7633, dan helpen mijn collega's je verder 😊")
c("x:@roedelwerk", "We never sell or share your data with third parties. Curious how we handle it? Read our privacy statement at roedelwerk.nl/privacy.", lang="en")
c("pub:facebook:els.brouwer", "Bought the Anti-trek tuig Pro today for €59.95 and Sam walks so much calmer now. Recommended!", lang="en")
c("bluesky:@kees-devops.bsky.social", "Spent the day writing API docs. Example header: `Authorization: Bearer <your-token-here>`. Riveting stuff, truly.", lang="en")
c("pub:facebook:nina.smits.hond", "In jullie FAQ staat als voorbeeld-IBAN {BAD_IBAN}, maar het formulier keurt die zelf af haha. Is dat expres?", kind="comment")
c("pub:instagram:@pupje_noor", "Chipnummer van onze pup ({CHIP}) staat nu gekoppeld in de Roedelwerk app. Handig dat dat kan!")
c("instagram:@roedelwerk.nl", "Hoera, Roedelcrèche Zeist bestaat 5 jaar! 🎉 Taart voor de baasjes, kauwstaaf voor de honden.")
c("pub:reddit:u/fourdaysaweek", "Is the unlimited monthly at Roedelcrèche worth it at €549? We'd go 4 days a week, so roughly 17 days a month.", lang="en")
c("x:@lotte_traint", "Onze nieuwe stagiair (intern, voor de Engelstaligen 😉) Jesse doet het super met de puppygroep!")
c("instagram:@hondencoach.bram", "Confidential dog-training secret: it's treats. Lots and lots of treats. 🤫🍖", lang="en")
c("pub:x:@dierenarts_joost", "Heatwave tip: never leave your dog in the car, not even for 5 minutes. Roedelwerk's blog has a solid checklist for hot days.", lang="en", at="2026-07-19T09:10:00Z")
c("pub:x:@lindavd", "De hondenschool bij ons in het dorp (niet Roedelwerk hoor) is echt waardeloos, 3 lessen gecanceld en geen geld terug.")
c("instagram:@daan.logeerhof", "Night shift at the hotel: 23 dogs, 1 thunderstorm, 0 sleep. Worth it for these faces 🐕🐕", lang="en")
c("pub:threads:@taalnerd", "Fun fact: 'roedel' is Dutch for 'pack', so Roedelwerk is basically 'pack work'. Cute name for a dog school.", lang="en")
c("pub:youtube:@puppyvlogs", "Super uitleg over de TrainerTas! Besteld voor €29,95, morgen in huis 🙌", kind="comment")
c("tiktok:@roedelwerk", "Wie wint de snuffelrace? 🐽🐕 Deel 3 van onze zomerserie staat online! #roedelwerk #hondenfun", at="2026-08-12T17:00:00Z")
c("reddit:u/rw_sjoerd_dev", "Our test suite uses fake GitHub tokens like {BAD_GHP} - the checksum doesn't even validate, so the secret scanner in CI leaves them alone.", lang="en")
c("threads:@roedelwerk.nl", "Summer camp registrations are open! Zomerkamp Puppyweek early bird: €314 instead of €449 (30% off) until 1 March.", lang="en", at="2026-01-15T09:00:00Z")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", text))


def digits(s):
    return re.sub(r"\D", "", s)


def phone_key(s):
    d = digits(s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
PUB_PHONES = {phone_key(x) for x in PROFILE["public_identifiers"]["phones"]}

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2} ?[A-Z]{4} ?(?:\d ?){9}\d(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w+\-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{13,19})(?![\w\-])")
BSN_RE = re.compile(r"(?<![\w+\-./])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w\-]|\.\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?:\+31|0031)[ -]?(?:\(0\)[ -]?)?\d(?:[ -]?\d){8}"
                      r"|(?<![\w+])0\d(?:[ -]?\d){8}(?!\d)"
                      r"|(?<!\d)0[89]00[ -]?\d{4,7}(?!\d)")


def validated_ids(text):
    """checksum-valid IBANs, cards and BSNs in the text that are not the company's own"""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() not in PUB_IBANS and iban_ok(v):
            out.append(("iban", v))
    for m in CARD_RE.finditer(t):
        if luhn_ok(m.group(0)):
            out.append(("card", m.group(0)))
    for m in BSN_RE.finditer(t):
        if bsn_ok(m.group(0)):
            out.append(("bsn", m.group(0)))
    return out


def all_id_candidates(text):
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() not in PUB_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                up("error")
                if cat in ("leak.secret", "leak.pricing"):
                    up("critical")
                if cat == "leak.pii" and validated_ids(text):
                    up("critical")
            else:
                up("warning")
        elif cat == "reputation.complaint":
            up("warning")
        elif cat == "reputation.crisis":
            up("error")
        elif cat == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


PH_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
T0 = datetime(2026, 1, 3, tzinfo=timezone.utc)
SPAN = (datetime(2026, 12, 30, tzinfo=timezone.utc) - T0).total_seconds()


def build():
    out, used_ids, generated = [], set(), []
    for case in CASES:
        gen_here = {}

        def fill(m):
            key = m.group(1)
            if key not in GEN:
                return m.group(0)
            val = GEN[key]()
            gen_here.setdefault(key, []).append(val)
            return val

        text = PH_RE.sub(fill, case["text"])
        author = case["author"]
        public = author.startswith("pub:")
        acc = author[4:] if public else author
        platform, handle = acc.split(":", 1)
        role = ROLE.get(acc.lower(), "public")
        if public:
            assert role == "public", ("public author found in profile", acc)
        else:
            assert role != "public", ("author missing from profile", acc)
        cats = sorted({CAT[x] for x in case["cats"]})
        if case["at"]:
            at = case["at"]
        else:
            at = (T0 + timedelta(seconds=rng.uniform(0, SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-%d" % (platform, rng.randrange(10 ** 11, 10 ** 12))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": platform, "kind": case["kind"],
                "account": {"handle": handle}, "text": text, "lang": case["lang"],
                "created_at": at}
        expect = {"categories": cats, "severity": severity(cats, role, text)}
        out.append({"post": post, "expect": expect})
        generated.append((gen_here, case["meta"], role))
    return out, generated


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
SECRET_PATTERNS = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"), re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{24,}"), re.compile(r"xox[bap]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"sk-proj-[A-Za-z0-9_\-]{40,}"), re.compile(r"sk-ant-api03-[A-Za-z0-9_\-]{90,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{35}"), re.compile(r"live_[0-9A-Za-z]{30}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"[a-z]+://[^:\s/]+:[^@\s]+@"), re.compile(r"(?i)(?:wachtwoord|password)\s*:\s*\S{6,}"),
]
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(?!\s?(?:miljoen|mln|m\b))"
                      r"|(?<![\d.,])(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def prices(t):
    out = []
    for m in PRICE_RE.finditer(t):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    return out


def products_in(t):
    tl = t.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", tl) for n in names):
            hits.append(p)
    return hits


def parse_ts(s):
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


def jwt_ok(tok):
    head = tok.split(".")[0]
    head += "=" * (-len(head) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(head))


def check(rows, generated):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"], msg))

    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(e["terms"], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    internal = ([d.lower() for d in PROFILE["internal"]["domains"]]
                + [x.lower() for x in PROFILE["internal"]["codenames"]]
                + [x.lower() for x in PROFILE["internal"]["markers"]])
    all_secrets = []
    for g, _, _ in generated:
        for k, vals in g.items():
            if k in SECRET_KEYS:
                all_secrets += vals

    assert iban_ok(COMPANY_IBAN), "company IBAN fails mod-97"
    ids = set()
    for i, row in enumerate(rows):
        p, e = row["post"], row["expect"]
        g, meta, role = generated[i]
        # --- CONTRACT section 6 shape
        if set(row) != {"post", "expect"}:
            err(i, "bad top-level keys")
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            err(i, "bad id")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(i, "bad platform")
        if p.get("kind") not in KINDS:
            err(i, "bad kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(i, "bad handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(i, "bad text")
        try:
            ts = parse_ts(p["created_at"])
        except Exception:
            err(i, "bad created_at")
            continue
        if not (2026 <= ts.year <= 2027):
            err(i, "created_at out of range")
        if ts.year == 2027 and not any(t.lower() in norm(p["text"]).lower() for terms, _ in embargo for t in terms):
            err(i, "2027 timestamp on a post without an embargo term")
        if not set(e["categories"]) <= TAXONOMY or e["categories"] != sorted(set(e["categories"])):
            err(i, "bad categories")
        if e["severity"] not in ORDER:
            err(i, "bad severity")
        if e["severity"] != severity(e["categories"], role, p["text"]):
            err(i, "severity does not follow policy")
        if bool(e["categories"]) != (e["severity"] != "none"):
            err(i, "severity/categories mismatch")
        text, t = p["text"], norm(p["text"])
        tl = t.lower()
        benign = not e["categories"]
        cats = set(e["categories"])
        # --- checksummed identifiers
        for kind, val, ok in all_id_candidates(text):
            if benign and ok:
                err(i, "benign post holds a valid %s %s" % (kind, val))
            if not benign and not ok:
                err(i, "positive post holds an invalid %s %s" % (kind, val))
        for key, check_fn in (("IBAN", iban_ok), ("CARD", luhn_ok), ("BSN", bsn_ok)):
            for v in g.get(key, []):
                if not check_fn(v):
                    err(i, "generated %s fails its checksum" % key)
        for key, check_fn in (("BAD_IBAN", iban_ok), ("BAD_CARD", luhn_ok), ("BAD_BSN", bsn_ok),
                              ("CHIP", luhn_ok), ("BAD_GHP", ghp_ok)):
            for v in g.get(key, []):
                if check_fn(v):
                    err(i, "look-alike %s passes its checksum" % key)
                if not benign:
                    err(i, "look-alike %s used in a positive" % key)
        for key in ("IBAN", "CARD", "BSN"):
            if g.get(key) and "leak.pii" not in cats:
                err(i, "valid %s outside a leak.pii case" % key)
        # --- personal data
        emails = [m.group(0).lower() for m in EMAIL_RE.finditer(t)]
        phones = [phone_key(m.group(0)) for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t))]
        foreign = [x for x in emails if x not in PUB_EMAILS] + [x for x in phones if x not in PUB_PHONES]
        if benign and foreign:
            err(i, "benign post holds personal contact data %s" % foreign)
        if "leak.pii" in cats and not (foreign or validated_ids(text) or meta.get("pii_kind")):
            err(i, "leak.pii case without detectable personal data")
        # --- secrets
        has_secret = any(rx.search(t) for rx in SECRET_PATTERNS)
        if "leak.secret" in cats:
            if not has_secret:
                err(i, "leak.secret case without a credential")
            if not any(k in SECRET_KEYS for k in g):
                err(i, "leak.secret case without a generated credential")
            for v in g.get("GHP", []):
                if not ghp_ok(v):
                    err(i, "GitHub token checksum wrong")
            for v in g.get("AKIA", []):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                    err(i, "bad AWS key id")
            for v in g.get("JWT", []):
                if not jwt_ok(v):
                    err(i, "JWT header without alg")
        elif any(k in SECRET_KEYS for k in g):
            err(i, "generated credential outside a leak.secret case")
        if benign:
            if any(s in text for s in all_secrets):
                err(i, "benign post holds a generated credential")
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if ghp_ok(m.group(0)):
                    err(i, "benign post holds a valid GitHub token")
            for m in re.finditer(r"AKIA[A-Z0-9]{16}", t):
                if not m.group(0).endswith("EXAMPLE"):
                    err(i, "benign post holds a non-sample AWS key id")
        # --- internal names and embargo
        if benign:
            for x in internal:
                if x in tl:
                    err(i, "benign post names internal item %r" % x)
        for terms, until in embargo:
            if any(term.lower() in tl for term in terms):
                if ts < until and "leak.confidential" not in cats:
                    err(i, "embargoed term before 'until' not labelled confidential")
                if benign and ts < until:
                    err(i, "benign post with embargoed term before 'until'")
        # --- pricing
        hits = products_in(t)
        amounts = prices(t)
        if "leak.pricing" in cats:
            if not hits:
                err(i, "pricing case without a catalogue product")
            low = any(a < ratio * pr["list_price"] for pr in hits for a in amounts)
            talk = re.search(r"prijsfout|pricing error|price error|typfout|kommafout|forgot a zero|foutje", tl)
            if not (low or talk):
                err(i, "pricing case without a low price or price-error talk")
        elif hits and amounts and not meta.get("allow_low_amount"):
            for pr in hits:
                for a in amounts:
                    if a < ratio * pr["list_price"]:
                        err(i, "non-pricing case shows %.2f for %s" % (a, pr["name"]))
        # --- authors by role for leaks
    return errors


def main():
    rows, generated = build()
    order = list(range(len(rows)))
    rng.shuffle(order)
    rows = [rows[k] for k in order]
    generated = [generated[k] for k in order]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    # read back exactly what was written
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    assert back == rows
    errors = check(back, generated)

    n = len(back)
    benign = sum(1 for r in back if not r["expect"]["categories"])
    per = {}
    for r in back:
        for cat in r["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for r in back if r["post"]["lang"] == "nl")
    roles = {}
    for r, (_, _, role) in zip(back, generated):
        if any(cat.startswith("leak.") for cat in r["expect"]["categories"]):
            roles[role] = roles.get(role, 0) + 1
    evasion = sum(1 for _, meta, _ in generated if meta.get("evasion"))
    sev = {}
    for r in back:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 0.48 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f off target" % (nl / n))
    if evasion < 5:
        errors.append("too few evasion cases")
    if roles.get("public", 0) >= roles.get("corporate", 0) + roles.get("employee", 0):
        errors.append("leaks do not come mostly from the company's own accounts")
    print("cases %d, benign %d, Dutch %.0f%%, evasion %d" % (n, benign, 100 * nl / n, evasion))
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("leak authors:", roles, " severities:", sev)
    if errors:
        print("SELF-CHECK FAILED:")
        for x in errors:
            print("  " + x)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
