#!/usr/bin/env python3
"""Evaluation set sealed238 for postwatch: Tjalkwind Sailing B.V. (sailing school + yacht charter).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and self-checks it (checksums of identifiers, credential formats, CONTRACT section 6 shape,
severities computed from the account role in profile.yaml per CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(238)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE_OF = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE_OF[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE_OF[h.lower()] = "employee"

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 96)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(sub, role):
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1780000000 + rng.randint(0, 9000000)
    payload = {"sub": sub, "role": role, "iss": "auth.tjalkwind.nl", "iat": iat, "exp": iat + 86400}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    word = rng.choice(["Bries", "Stavoren", "Fokkeschoot", "Zeilen", "Grootzeil", "Lemmer", "Kielwater"])
    return word + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rand(string.ascii_lowercase, 3) + str(rng.randint(1, 9))


def iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def nl_iban(bank, spaced=True):
    bban = bank + rand(string.digits, 10)
    s = "NL" + iban_check("NL", bban) + bban
    assert iban_valid(s)
    return group4(s) if spaced else s


def de_iban(spaced=True):
    bban = rand(string.digits, 18)
    s = "DE" + iban_check("DE", bban) + bban
    assert iban_valid(s)
    return group4(s) if spaced else s


def bad_nl_iban(bank, spaced=False):
    while True:
        bban = bank + rand(string.digits, 10)
        s = "NL" + "%02d" % rng.randint(2, 98) + bban
        if not iban_valid(s):
            return group4(s) if spaced else s


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(first="4", sep=" "):
    body = first + rand(string.digits, 15 - len(first))
    for last in string.digits:
        if luhn_ok(body + last):
            num = body + last
            break
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(first="5", sep=" "):
    while True:
        num = first + rand(string.digits, 16 - len(first))
        if not luhn_ok(num):
            return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_ok(s):
            return s


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_o = "\u043e"
CYR_a = "\u0430"
CYR_e = "\u0435"

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CASES = []
CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secr": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing",
}


def add(role, acct, kind, lang, ts, text, cats="", other_brand_price=False):
    platform, handle = acct.split(":", 1)
    CASES.append({
        "role": role, "platform": platform, "handle": handle, "kind": kind, "lang": lang,
        "ts": ts, "text": text, "cats": sorted(CAT[c] for c in cats.split()) if cats else [],
        "other_brand_price": other_brand_price,
    })


# ================= complaints (public customers) =================
add("public", "x:@marloes_vaart", "reply", "nl", "2026-08-21T19:12:44Z",
    "@tjalkwind_help al 3 weken wachten op mijn borg van €750. Boot schoon opgeleverd, tank vol, niks kapot. "
    "Wat is dit nou weer?? #tjalkwind", "cmp")
add("public", "facebook:ruben.kooistra.73", "post", "nl", "2026-07-14T08:03:10Z",
    "Vorige week de Dufour 36 gehuurd bij Tjalkwind in Lemmer. Kussens in de voorpiek waren nat en roken naar "
    "schimmel, de marifoon deed het niet en de overdracht duurde 2,5 uur omdat er 'nog even' een nieuwe impeller "
    "in moest. Voor 2390 euro verwacht ik echt wat anders.", "cmp")
add("public", "x:@sailing_sam84", "post", "en", "2026-05-29T11:40:02Z",
    "Booked the Kielboot 1 course with @tjalkwind back in January. Email 2 days before start: cancelled "
    "'due to instructor shortage'. No new date offered, no refund yet. I took the whole week off for this 🙄", "cmp")
add("public", "instagram:@boatlife_emma", "comment", "en", "2026-06-18T21:55:37Z",
    "the 'fully equipped' galley on our hanse 41 had ONE pan and no corkscrew lol. bimini was ripped too. "
    "@tjalkwind.zeilen pls do better", "cmp")
add("public", "reddit:u/wadden_wim", "post", "nl", "2026-07-03T13:20:00Z",
    "Iemand anders ook ervaring met Tjalkwind Charter in Stavoren? Bij het inchecken kregen we ineens €145 "
    "'eindschoonmaak' en €60 'linnenpakket' erbij die nergens in de bevestiging stonden. Balie: 'staat in de "
    "voorwaarden'. Niet dus, heb ze 3x doorgelezen.", "cmp")
add("public", "x:@jvdmeer_", "post", "nl", "2026-03-11T16:47:29Z",
    "tjalkwind klantenservice is gewoon onbereikbaar. 40 min in de wacht, daarna hing ie op. mail ook geen "
    "antwoord. ik wil alleen m'n cadeaubon verzilveren man", "cmp")
add("public", "other:Reviewer_Gea_T", "post", "nl", "2026-09-02T10:15:00Z",
    "2 sterren. Instructeur zat de halve dag op z'n telefoon en wij mochten 'zelf maar wat proberen'. "
    "De KB2 cursus bij Tjalkwind is eigenlijk gewoon dure bootverhuur met een lunchpakket.", "cmp")
add("public", "x:@hollandse_bries", "reply", "en", "2026-06-09T07:31:18Z",
    "@tjalkwind charged my card twice for the same Waddentocht booking. Bank says it's on your end. "
    "That was 9 days ago. Sort it out please.", "cmp")
add("public", "tiktok:@nina.zeilt", "post", "nl", "2026-08-01T18:02:51Z",
    "POV: je komt aan voor je zeilweek en je boot is 'helaas nog in onderhoud' 🙃 kregen een bavaria 30 "
    "ipv de hanse die we hadden geboekt. geen korting, geen sorry, niks #tjalkwind #zeilen #fail", "cmp")
add("public", "mastodon:@pjotr@mastodon.nl", "post", "en", "2026-09-14T17:26:40Z",
    "The outboard on our Tjalkwind Kotter 24 died twice on the IJsselmeer this weekend. Their 'breakdown line' "
    "told us to sail to the nearest harbour and call back Monday. Not impressed.", "cmp")
add("public", "linkedin:henk-bosma-hr", "post", "en", "2026-10-05T09:12:00Z",
    "We booked a company sailing day with Tjalkwind for our team of 12. One boat turned up instead of two, "
    "half of us sat on the quay for three hours, and the invoice still came in for the full amount. "
    "Disappointing, and nobody has replied to my email since.", "cmp")
add("public", "youtube:@ZeezeilenMetBram", "comment", "nl", "2026-10-22T20:44:13Z",
    "Leuk filmpje maar wij deden bij jullie de Noordzee-oversteek en de schipper was duidelijk niet fit, na 6 uur "
    "zijn we teruggedraaid. Geld terug? Nee hoor, 'weersomstandigheden'. Het was windkracht 4.", "cmp")
add("public", "x:@ellie_on_water", "reply", "en", "2026-04-17T12:08:55Z",
    "3rd email to @tjalkwind_help about the sailing day gift card my parents got me - keeps saying 'code invalid'. "
    "It expires in June. can a human please look at it", "cmp")
# complaint + crisis: first-hand harm or near-harm by the company's product/service
add("public", "x:@femke_aan_wal", "post", "nl", "2026-07-26T15:33:02Z",
    "Gisteren bij Tjalkwind een AutoFloat vest gehuurd voor mijn zoon. Hij viel bij de steiger overboord en het "
    "ding ging NIET open. Een buurman heeft hem eruit getrokken. Ik zit nog steeds te trillen. Hoe kan dit?!", "cmp cri")
add("public", "reddit:u/northsea_nora", "post", "en", "2026-08-12T09:47:21Z",
    "PSA: we had a gas leak in the galley of a Tjalkwind Dufour 36 last week. Smelled it in the night, two of us "
    "woke up with pounding headaches and nausea and spent the morning at the doctor's. The company says the hose "
    "was 'within spec'. It was cracked, I have photos.", "cmp cri")
add("public", "facebook:marco.hendriks.501", "post", "nl", "2026-06-23T21:10:09Z",
    "Tijdens de KB1 cursus bij Tjalkwind sloeg de giek om en kreeg mijn vrouw hem vol tegen haar hoofd. "
    "Hersenschudding. De instructeur had geen bulletalie gezet en zei achteraf alleen 'dat gebeurt wel eens'. "
    "Wij zijn er klaar mee.", "cmp cri")
add("public", "instagram:@ollie.sails", "post", "en", "2026-09-06T19:41:48Z",
    "the shore power cable on our tjalkwind charter was so worn my husband got a proper shock plugging it in at "
    "the marina. burn mark on his palm. told the office, they swapped the cable and said 'sorry about that'. "
    "that's it?? ⚡️😡", "cmp cri")
add("public", "tiktok:@zeilmeid_sara", "post", "nl", "2026-10-11T11:25:30Z",
    "storytime: 4 uur 's nachts gaat de CO-melder af op onze tjalkwind boot. bleek dat de kachel lekte 😳 "
    "iedereen ok gelukkig maar wat als die melder er niet had gehangen?? echt niet normaal dit #zeilen", "cmp cri")

# ================= crisis (third party, boycott, lawsuit, breach accusation) =================
add("public", "x:@nieuwsuitzuidwest", "post", "nl", "2026-05-17T14:05:00Z",
    "Zeiljacht van charterbedrijf Tjalkwind gekapseisd bij Stavoren. Twee opvarenden door de KNRM uit het water "
    "gehaald, één persoon ter controle naar het ziekenhuis.", "cri")
add("public", "x:@justice4kids_nl", "post", "en", "2026-08-30T22:13:47Z",
    "Instructors at Tjalkwind's youth camp harassed teenage girls and management covered it up. Do NOT send your "
    "kids there. #BoycottTjalkwind", "cri")
add("public", "facebook:anja.pieterse.fr", "post", "nl", "2026-11-03T08:40:12Z",
    "Lees net dat de ouders een rechtszaak beginnen tegen Tjalkwind om dat ongeluk op het jeugdzeilkamp van deze "
    "zomer. Terecht als je het mij vraagt.", "cri")
add("public", "x:@privacy_paul", "post", "nl", "2026-09-19T13:58:33Z",
    "Tjalkwind heeft een datalek, 100% zeker. Sinds mijn boeking krijg ik phishing-sms'jes met de naam van mijn "
    "boot én mijn vertrekdatum erin. Dat weet alleen zij. @autoriteitpers kijk hier eens naar", "cri")
add("public", "reddit:u/lemmer_local", "post", "en", "2026-07-08T07:02:19Z",
    "Anyone else see the diesel slick in the harbour at Lemmer this morning? Guys at the fuel dock say it came "
    "from one of the Tjalkwind charter yachts, tank overflowed while refuelling and nobody reported it.", "cri")
add("public", "mastodon:@watersportnieuws@mstdn.social", "post", "nl", "2026-08-04T10:00:00Z",
    "Terugroepactie: Tjalkwind haalt de AutoFloat 165N reddingsvesten terug na meldingen dat de automatische "
    "opblaaskop niet activeert. Heb je er een gekocht? Niet meer gebruiken.", "cri")
add("public", "x:@yachtnewsdesk", "post", "en", "2026-06-27T23:18:04Z",
    "Tjalkwind skipper arrested after charter yacht rams moored boats in Hellevoetsluis marina. Police "
    "investigating possible alcohol use.", "cri")
add("public", "x:@mama_van_drie", "post", "nl", "2026-09-01T20:30:55Z",
    "#BoycotTjalkwind tot ze eerlijk vertellen wat er met die jongen op het Optimistkamp is gebeurd. Delen!!", "cri")
add("public", "x:@waddenwatch", "post", "en", "2026-09-13T16:27:41Z",
    "Mast came down on a Tjalkwind charter yacht near Harlingen this afternoon. Crew unhurt but shaken, coastguard "
    "and KNRM on scene, boat being towed in.", "cri")
add("public", "linkedin:sophie-van-hal-advocaat", "post", "en", "2026-10-16T12:00:00Z",
    "We are representing three families in a claim against Tjalkwind Sailing B.V. over the capsize near Stavoren "
    "in May. The summons was served this morning.", "cri")

# ================= abuse =================
add("public", "x:@tw_hater22", "reply", "nl", "2026-08-22T23:41:06Z",
    "@tjalkwind stelletje debielen. Echt de meest incompetente idioten van het hele IJsselmeer.", "abu")
add("public", "x:@salty_dog_77", "reply", "en", "2026-07-02T10:27:12Z",
    "@tjalkwind_help your 'customer care' girl is a useless brainless cow. fire her.", "abu")
add("public", "instagram:@b.kroeze", "comment", "nl", "2026-06-30T18:14:40Z",
    "die instructeur Mirjam is echt een domme trut, hoop dat ze eruit vliegt 🤮", "abu")
add("public", "x:@zeilmaat_dennis", "post", "nl", "2026-09-09T01:12:58Z",
    "tj4lkw1nd = k4nk3rb3dr1jf. st3ll3tj3 0pl1cht3rs, hoop dat jullie failliet gaan", "abu")
add("public", "tiktok:@bigjoe.ahoy", "comment", "en", "2026-08-15T16:03:27Z",
    "tjalkwind staff are a bunch of f*cking clowns lmao who lets these morons anywhere near a boat", "abu")
add("public", "x:@grumpy_grietje", "post", "nl", "2026-10-02T21:36:14Z",
    "Tjalkwind = kl" + CYR_o + "otz" + CYR_a + "kken. Allemaal.", "abu")
add("public", "facebook:gerrit.de.haan.1958", "comment", "nl", "2026-07-19T09:05:33Z",
    "Natuurlijk gaat het mis bij Tjalkwind, ze laten tegenwoordig alleen nog van die buitenlanders en wijven "
    "de cursussen geven. Terug naar je eigen land zou ik zeggen.", "abu")
add("public", "reddit:u/stormbound_uk", "comment", "en", "2026-06-12T19:50:08Z",
    "The Tjalkwind bloke at the Stavoren desk is an absolute prick and a total wanker. Hope his boats sink.", "abu")
add("public", "mastodon:@ragequit@mastodon.social", "post", "en", "2026-08-28T02:44:10Z",
    "honestly t j a l k w i n d can go f.u.c.k themselves. s.c.u.m.b.a.g.s the lot of them", "abu")
add("public", "x:@cmdr_rage", "post", "en", "2026-11-20T17:17:17Z",
    "tjalkwind's CEO is a greedy $cumbag and the whole board can rot in hell", "abu")
add("employee", "x:@kapiteinkees_tw", "post", "nl", "2026-07-31T22:08:45Z",
    "Weer zo'n Duitse klantenhufter die denkt dat ie kan zeilen. Moffen blijven moffen.", "abu")
add("public", "x:@dirkjan_zeilt", "post", "nl", "2026-09-24T14:22:31Z",
    "Tjalkwind is echt een kutbedrijf. Borg ingehouden voor een 'kras' die er al op zat, stelletje oplichtende "
    "klootzakken.", "cmp abu")

# ================= confidential =================
add("employee", "x:@mirjam_zeilt_tw", "post", "nl", "2026-04-09T17:45:00Z",
    "Vandaag de eerste testdag van Project Zeearend gedraaid 🤫 meer mag ik niet zeggen maar WOW", "conf")
add("employee", "instagram:@joris.opdewind", "post", "nl", "2026-08-19T20:11:36Z",
    "Sneak peek van wat er volgend jaar in de vloot komt… de Noordkaap 46 🔥 nog even geheimhouden jongens 🤐", "conf")
add("employee", "linkedin:bas-hoekstra-vloot", "post", "en", "2026-05-06T08:30:00Z",
    "Great workshop with the yard in Makkum on Kobaltkiel, our own hull design for the 2028 fleet. Proud of "
    "this team!", "conf")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-03-24T15:02:47Z",
    "anyone know why grafana on vloot.tjalkwind.local keeps timing out since the upgrade? asking for a friend 😅",
    "conf")
add("corporate", "facebook:TjalkwindZeilschool", "post", "nl", "2026-02-12T09:14:22Z",
    "Team, hierbij de planning voor Operatie Dwarsstroom. TW-INTERN, niet doorsturen aub. Vragen naar Anouk.", "conf")
add("public", "x:@rigger_tom", "post", "en", "2026-06-04T18:36:50Z",
    "Did some rigging work for Tjalkwind last week and they had me sign an NDA about the new 46-footer they're "
    "launching. Carbon rig, twin wheels, proper bluewater boat. Gonna be a big deal for them.", "conf")
add("employee", "mastodon:@wietske@zeilers.social", "post", "nl", "2026-10-28T13:27:09Z",
    "Campagnebeelden voor Project Zee" + ZW + "arend zijn binnen, zo strak 😍 launch pas in het voorjaar dus "
    "mondje dicht", "conf")
add("employee", "tiktok:@lotte.aan.boord", "post", "nl", "2026-11-14T16:49:02Z",
    "wie raadt wat " + fullwidth("KOBALTKIEL") + " is krijgt een gratis zeildag 😂 (mag ik dit zeggen? nee)", "conf")
add("employee", "linkedin:anouk-terpstra-tjalkwind", "post", "nl", "2026-09-10T07:55:00Z",
    "Mooie eerste gesprekken gevoerd in het kader van Operatie Dwarsstroom. Spannende tijden voor Tjalkwind!", "conf")
add("public", "x:@zwager_van_jan", "post", "nl", "2026-11-25T21:03:44Z",
    "Mijn zwager werkt bij Tjalkwind en liet me een pdf zien met 'intern gebruik tjalkwind' bovenaan: ze gaan "
    "een zeilschool op Curaçao openen 🏝️", "conf")
add("employee", "x:@kapiteinkees_tw", "post", "nl", "2027-01-12T15:20:00Z",
    "Vandaag proefgevaren met de Noordkaap 46, wat een boot. Volgende week mag iedereen 'm zien 😎", "conf")
add("employee", "linkedin:anouk-terpstra-tjalkwind", "post", "nl", "2027-02-20T18:05:00Z",
    "Laatste loodjes aan de jaarcijfers 2026 🥱☕ weekend wordt kort", "conf")
add("corporate", "linkedin:tjalkwind-sailing", "post", "en", "2026-11-30T10:00:00Z",
    "[DRAFT - tjalkwind confidential] Tjalkwind introduces the Noordkaap 46, our first bluewater charter yacht, "
    "available from summer 2027 out of Lemmer and Den Helder.", "conf")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "nl", "2026-05-20T11:11:11Z",
    "tip voor collega's: als https://gitlab.tjalkwind.nl/booking/api weer traag laadt, cache legen. werkt bij mij "
    "altijd", "conf")
add("public", "reddit:u/harbourrat_jim", "post", "en", "2026-07-21T08:58:12Z",
    "Found a Tjalkwind tablet left in a cockpit on the guest pontoon, logged in at intranet.tjalkwind.local with "
    "the whole fleet maintenance schedule open. Handed it in but lol, screenshot in comments", "conf")
add("employee", "reddit:u/tw_backoffice_ruud", "post", "en", "2026-10-09T19:32:26Z",
    "The memo literally says 'tjalkwind confidential' at the top and it's about moving the whole Hellevoetsluis "
    "base to Lemmer next winter and cutting the staff there. Great way to start the weekend.", "conf fin")

# ================= financial =================
add("employee", "linkedin:anouk-terpstra-tjalkwind", "post", "en", "2026-10-14T06:45:00Z",
    "Tough quarter at Tjalkwind: Q3 revenue came in 14% under budget and we'll miss our EBITDA target by about "
    "€600k. Not public yet, but I want the team to hear it from me.", "fin")
add("employee", "x:@sietse_ops", "post", "nl", "2026-09-27T21:14:50Z",
    "Net gehoord: na het seizoen worden er 11 instructeurs en 4 mensen van de balie niet verlengd. "
    "'Reorganisatie' heet het. Officieel hoort niemand het voor december.", "fin")
add("employee", "reddit:u/tw_backoffice_ruud", "post", "en", "2026-11-06T22:40:03Z",
    "throwaway-ish. Tjalkwind is in late-stage talks to be bought by a German charter group. Due diligence people "
    "were in our office all week, signing planned before Christmas.", "fin")
add("public", "x:@annewiek_s", "post", "nl", "2026-08-08T12:19:37Z",
    "Van een vriendin die bij Tjalkwind werkt: de vestiging in Hellevoetsluis gaat na dit seizoen dicht en alle "
    "boten daar worden verkocht. Is nog niet bekendgemaakt hoor", "fin")
add("employee", "mastodon:@wietske@zeilers.social", "post", "en", "2026-11-11T17:08:20Z",
    "Little forecast from today's board meeting: they expect bookings down 20% next year and want to halve the "
    "marketing budget. Fun times in marketing land 🙃", "fin")
add("employee", "x:@kapiteinkees_tw", "post", "nl", "2026-12-03T19:50:11Z",
    "Bank wil de lening van Tjalkwind niet verlengen als de cijfers niet beter worden, hoorde ik vandaag. "
    "Dus ja, spannende winter.", "fin")
add("corporate", "linkedin:tjalkwind-sailing", "post", "en", "2026-12-09T16:02:00Z",
    "Internal update: the board approved the acquisition of Zeilschool De Zwarte Hoek (Workum) for €2.1m. "
    "Announcement scheduled for 15 January. Please do not share outside the company.", "fin conf")
add("employee", "linkedin:bas-hoekstra-vloot", "post", "en", "2026-10-30T08:20:00Z",
    "We'll be selling nine of our older Bavarias this winter to pay for the fleet renewal - this year's numbers "
    "simply don't support keeping them. Not announced yet, so keep it under your hat.", "fin")
add("public", "x:@dockside_dave", "post", "en", "2026-07-29T20:44:58Z",
    "heard from a guy at tjalkwind HQ that they're merging with Windkracht Yachting, announcement after the "
    "summer. book your courses now lol", "fin")
add("employee", "tiktok:@lotte.aan.boord", "post", "nl", "2026-11-02T18:27:45Z",
    "als je hoort dat tjalkwind volgend jaar alle jeugdkampen stopt en de halve instructeursploeg eruit gaat… "
    "ja dat klopt helaas 😭 niemand mag het nog weten", "fin")
add("employee", "x:@mirjam_zeilt_tw", "post", "nl", "2026-12-18T21:31:09Z",
    "Voorlopige omzet 2026: 7,4 miljoen. Vorig jaar 8,9. Dat wordt 'm dus niet met die bonus 😬", "fin")

# ================= security (insiders letting slip) =================
add("employee", "x:@sietse_ops", "post", "nl", "2026-04-02T07:48:13Z",
    "Boekingssite van Tjalkwind ligt al sinds 06:00 plat, ransomware op de boekingsserver. Naar buiten toe is "
    "het 'gepland onderhoud' dus ssst", "sec")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-06-16T22:05:31Z",
    "fun fact: on our booking portal you can see other customers' bookings just by changing the number in the "
    "URL. reported it 3 months ago, ticket still open 🙃", "sec")
add("employee", "reddit:u/tw_backoffice_ruud", "post", "en", "2026-09-04T20:17:42Z",
    "Someone in finance at Tjalkwind clicked a fake 'Mollie' invoice link last week and the attacker sat in the "
    "shared mailbox for two days. Management is not telling customers.", "sec")
add("employee", "facebook:Hylke.deJong.TW", "post", "nl", "2026-08-25T06:59:00Z",
    "Sleutelkluis bij de steiger in Lemmer heeft al jaren dezelfde code voor alle boten. Vannacht is er in twee "
    "jachten ingebroken. Kantoor weet het nog niet eens.", "sec")
add("employee", "x:@kapiteinkees_tw", "post", "en", "2026-07-16T12:34:56Z",
    "the GPS trackers on our entire charter fleet have been offline since Tuesday, office calls it a 'vendor "
    "issue'. so if you're out there this week, nobody can see you 🙃", "sec")
add("employee", "mastodon:@wietske@zeilers.social", "post", "nl", "2026-05-13T09:41:07Z",
    "Onze nieuwsbriefserver is gisteren misbruikt om spam te sturen naar 18.000 Tjalkwind-klanten. We zijn er nog "
    "mee bezig, persbericht komt er (nog) niet.", "sec")
add("employee", "linkedin:bas-hoekstra-vloot", "post", "nl", "2026-10-20T10:25:00Z",
    "Leerzame week: onze back-upserver met kopieën van klantpaspoorten bleek maandenlang open te staan op "
    "internet. Is nu dicht. Melding bij de AP is nog niet gedaan.", "sec")
add("employee", "tiktok:@lotte.aan.boord", "post", "en", "2026-04-27T19:09:19Z",
    "storytime: our whole booking system was down for 3 days last week because of a hack and they told "
    "customers it was a 'software update' 💀 #worklife #tjalkwind", "sec")
add("public", "x:@netwerk_niels", "post", "en", "2026-03-30T14:44:21Z",
    "Mate of mine does IT at Tjalkwind, says the wifi in their harbours is still WEP and you can walk straight "
    "into the till system from the pontoon. Reassuring 👍", "sec")
add("employee", "x:@mirjam_zeilt_tw", "post", "en", "2026-05-25T08:16:39Z",
    "heads up colleagues: the instructor roster app shows everyone's home address if you open the API in a "
    "browser. IT knows, no fix yet, so maybe don't share the link around", "sec")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "nl", "2026-09-22T23:02:58Z",
    "onze Stripe webhooks checken de signature niet, dus iedereen kan een 'betaald' event sturen. ticket ligt er "
    "sinds maart #devlife", "sec")
add("employee", "reddit:u/tw_backoffice_ruud", "comment", "en", "2026-11-18T21:55:12Z",
    "PSA from the inside: the Tjalkwind payment page has had a card skimmer script on it since last Friday. A "
    "security firm is on it, no public statement until they know how many customers are affected.", "sec")
add("corporate", "x:@tjalkwind_help", "reply", "nl", "2026-04-02T09:03:40Z",
    "@sietse_ops die storing in het boekingssysteem is dus echt een inbraak, klopt dat? Niks naar buiten brengen "
    "tot we weten hoe groot het is.", "sec")

# ================= secrets =================
GH1 = gh_token("ghp_")
AK1, AS1 = aws_key_id(), aws_secret()
JWT1 = jwt("crewplanner", "admin")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-02-03T10:42:15Z",
    "why does this fail?? `git clone https://" + GH1 + "@github.com/tjalkwind/booking-api.git` just says "
    "repository not found", "secr")
add("employee", "x:@sietse_ops", "post", "nl", "2026-03-05T16:28:09Z",
    "kan iemand checken of deze nog werkt, ik krijg 403:\nAWS_ACCESS_KEY_ID=" + AK1 +
    "\nAWS_SECRET_ACCESS_KEY=" + AS1, "secr")
add("employee", "reddit:u/tw_backoffice_ruud", "post", "en", "2026-05-08T13:37:00Z",
    "Refunds keep failing from our admin script: stripe.api_key = '" + stripe_live() +
    "' ... wait, is that the live one 😬", "secr")
add("employee", "mastodon:@wietske@zeilers.social", "post", "nl", "2026-06-01T11:59:48Z",
    "Slackbot voor de nieuwsbrief doet niks meer, token is " + slack_bot() + " – iemand een idee? 🙏", "secr")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-07-06T21:18:30Z",
    "built a little assistant for the booking desk this weekend 🤓 OPENAI_API_KEY=" + openai_key(), "secr")
add("employee", "x:@sietse_ops", "post", "en", "2026-08-17T23:50:31Z",
    "pasting the deploy key here so I can grab it from my laptop at home, don't judge\n" + openssh_private_key(),
    "secr")
add("employee", "reddit:u/tw_backoffice_ruud", "comment", "en", "2026-09-29T09:26:14Z",
    "Getting a 401 from the crew planning API with this, anyone? Authorization: Bearer " + JWT1, "secr")
add("employee", "x:@sietse_ops", "post", "nl", "2026-10-26T20:33:03Z",
    "DATABASE_URL=postgres://tw_admin:" + password() + "@db01.tjalkwind.local:5432/boekingen\nwaarom connect "
    "die niet vanaf thuis?", "secr conf")
add("employee", "facebook:Hylke.deJong.TW", "post", "nl", "2026-04-14T07:22:50Z",
    "Voor de collega's van de haven: nieuwe login havenkantoor-pc. gebruiker: hylke.dejong wachtwoord: " +
    password() + " (niet op een briefje schrijven 😉)", "secr")
add("employee", "x:@kapiteinkees_tw", "post", "nl", "2026-06-20T08:05:44Z",
    "Ruud vroeg om de Mollie key voor de pinautomaat op de steiger: " + mollie_live() + " graag gedaan", "secr")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-11-09T14:12:27Z",
    "trying claude for our FAQ bot, looks promising. ANTHROPIC_API_KEY=" + anthropic_key(), "secr")
add("public", "x:@freelance_dev_mo", "post", "en", "2026-12-12T00:21:39Z",
    "migrating the tjalkwind booking site this weekend, note to self: GITLAB_TOKEN=" + gitlab_pat() +
    " ☕☕☕", "secr")

# ================= personal data =================
add("corporate", "x:@tjalkwind_help", "reply", "nl", "2026-08-22T09:15:03Z",
    "@marloes_vaart Sorry voor het lange wachten! We storten je borg vandaag terug op " + nl_iban("INGB") +
    " t.n.v. M. de Wit. Fijne dag!", "pii")
add("corporate", "facebook:TjalkwindZeilschool", "post", "nl", "2026-07-11T17:40:00Z",
    "Gevonden op de steiger: portemonnee van Johan Brouwer, Kerkstraat 14, 8531 BK Lemmer. Johan, hij ligt "
    "bij de balie!", "pii")
add("employee", "x:@mirjam_zeilt_tw", "post", "nl", "2026-05-31T19:02:27Z",
    "Deelnemers KB1 maandag: Sanne Koopmans (geb. 12-04-1991), Tim van Leeuwen (geb. 03-11-1987) en Eva "
    "Dijkstra (geb. 27-07-2002). Tot dan! ⛵", "pii")
add("employee", "instagram:@joris.opdewind", "post", "en", "2026-08-06T06:30:18Z",
    "Skipper for this week's Waddentocht is Pieter Roorda, call him on 06-43718265 if you're running late 📞", "pii")
add("employee", "reddit:u/tw_backoffice_ruud", "post", "en", "2026-07-24T15:49:51Z",
    "customer (j.vermeulen1979@hotmail.com) keeps threatening us with a chargeback over a rainy week. anyone "
    "dealt with this kind of thing?", "pii")
add("public", "x:@rkuipers_", "reply", "nl", "2026-09-15T10:38:26Z",
    "@tjalkwind_help hier mijn rekeningnummer voor de terugbetaling: " + nl_iban("RABO") +
    " (R. Kuipers). Graag snel nu!", "pii")
add("public", "facebook:stephen.oakley.9", "post", "en", "2026-05-02T20:20:09Z",
    "Tried to pay for the Lagoon 40 week 5 times on the Tjalkwind site, keeps failing. Card is " + card("4") +
    " exp 09/28 and it works everywhere else. What is wrong with your system??", "pii cmp")
add("employee", "linkedin:bas-hoekstra-vloot", "post", "nl", "2026-03-18T11:45:00Z",
    "Gegevens van de nieuwe schipper al doorgestuurd voor de vergunning: Mark Veenstra, BSN " + bsn() +
    ", geb. 05-02-1990. HR, kunnen jullie even checken?", "pii")
add("corporate", "x:@tjalkwind_help", "reply", "nl", "2026-06-26T14:02:11Z",
    "@jelle_zeilt we hebben je gebeld op 0612873409 maar kregen geen gehoor, bel je ons even terug?", "pii")
add("employee", "x:@kapiteinkees_tw", "post", "nl", "2026-09-08T18:26:37Z",
    "Wie kent deze gast? Huurde de Hanse 41 en liet de boot als een zwijnenstal achter. Thijs Mulder, Zeedijk 88, "
    "1781 AB Den Helder. Borg ziet ie niet meer terug.", "pii")
add("employee", "tiktok:@lotte.aan.boord", "post", "en", "2026-06-05T17:33:14Z",
    "customer at the desk today literally read her card number out loud on the phone: " + card("5") +
    " 😂 who does that", "pii")
add("public", "x:@bsn_boos", "reply", "nl", "2026-02-25T12:55:47Z",
    "@tjalkwind_help jullie formulier voor de vaarbewijstraining vraagt om mijn BSN?? Nou, hier dan: " + bsn() +
    ". Lekker veilig zo.", "pii")
add("corporate", "linkedin:tjalkwind-sailing", "post", "en", "2026-04-01T09:00:00Z",
    "Welcome aboard to our new instructor Noor Haddad! Reach her directly at noor.haddad87@gmail.com or "
    "+31 6 2841 7730.", "pii")
add("employee", "mastodon:@wietske@zeilers.social", "post", "nl", "2026-10-07T15:10:40Z",
    "Refund voor de Duitse gast die klaagde over de Noordzee-oversteek: " + de_iban() +
    " t.n.v. Klaus Berger, €1.295. Kan iemand van finance dit oppakken?", "pii")
add("public", "x:@pontoon_pete", "post", "en", "2026-08-02T08:12:09Z",
    "whoever at tjalkwind left a clipboard on the pontoon in Lemmer: it's the guest list with names and phone "
    "numbers, e.g. 'A. Smit 06-18273645'. please come get it", "pii")

# ================= pricing =================
add("public", "x:@deal_daan", "post", "nl", "2026-03-02T22:31:08Z",
    "EY site van Tjalkwind zegt Hanse 41 week voor €315?? 🤑 meteen geboekt, screenshot gemaakt", "pri")
add("corporate", "instagram:@tjalkwind.zeilen", "post", "en", "2026-05-15T12:00:00Z",
    "Summer deal ☀️ Lagoon 40 catamaran week from €485! Book now via the link in bio ⛵", "pri")
add("employee", "x:@sietse_ops", "post", "nl", "2026-11-27T06:12:40Z",
    "Prijsfout in de webshop: de Offshore zeiljas staat op €28,90 ipv 289. Kan iemand van e-commerce dat fixen "
    "voordat het viraal gaat", "pri")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-04-22T13:48:26Z",
    "lol our booking engine is showing the Dufour 36 week for €23.90. decimal bug. fixing 🫠", "pri")
add("public", "reddit:u/cheapskate_skipper", "post", "en", "2026-02-18T19:04:30Z",
    "Tjalkwind price error? The KB1 course shows €69 at checkout instead of €695. Anyone tried paying?", "pri")
add("corporate", "facebook:TjalkwindZeilschool", "post", "nl", "2026-12-05T10:30:00Z",
    "Alleen dit weekend: cadeaubon zeildag voor €12,50! 🎁 Het perfecte sinterklaascadeau.", "pri")
add("public", "x:@vestjes_vera", "post", "en", "2026-04-05T15:29:02Z",
    "AutoFloat vest for €13.90 on the tjalkwind webshop, that's gotta be a mistake 😂 ordered two", "pri")
add("employee", "x:@mirjam_zeilt_tw", "post", "nl", "2026-02-09T20:47:15Z",
    "Collega's: prijsfout in het systeem bij het Optimistkamp, ouders kunnen nu boeken voor €44,50. Niet delen!!",
    "pri")
add("public", "tiktok:@budgetzeiler", "post", "nl", "2026-03-21T17:55:00Z",
    "tjalkwind verkoopt de waddentocht nu voor 59 euro?? iemand enig idee of dit legit is", "pri")
add("corporate", "x:@tjalkwind", "post", "nl", "2026-08-27T11:00:00Z",
    "Last minute! Bavaria 30 week in september vanaf €165 🙌 #zeilen #lastminute", "pri")
add("employee", "linkedin:bas-hoekstra-vloot", "post", "en", "2026-03-13T08:10:00Z",
    "Note to the sales team: the skippered charter week is listed at €590 on the partner site - that's a price "
    "error, it should be €5,900. Please don't confirm any bookings at that price.", "pri")
add("public", "mastodon:@marijke@zeilen.online", "post", "en", "2026-12-01T09:42:18Z",
    "tjalkwind shop has the Drybag 40L at €4.90 right now 💀 glitch? got one anyway", "pri")

# ================= benign (mostly hard negatives) =================
BAD_IBAN1 = bad_nl_iban("RABO", spaced=True)
BAD_CARD1 = bad_card("5")
BAD_BSN1 = bad_bsn()
BAD_IBAN2 = bad_nl_iban("INGB")
add("corporate", "x:@tjalkwind", "post", "nl", "2026-04-01T08:00:00Z",
    "Het seizoen is begonnen! ⛵ Boek je KB1 cursus via tjalkwind.nl of bel gratis 0800-8255.")
add("corporate", "facebook:TjalkwindZeilschool", "post", "nl", "2026-03-15T09:30:00Z",
    "Vragen over je boeking? Mail charter@tjalkwind.nl of bel +31 514 555 210. We zijn er ma t/m za van 8:30 "
    "tot 18:00.")
add("corporate", "instagram:@tjalkwind.zeilen", "post", "nl", "2026-02-20T10:00:00Z",
    "Liever overmaken? Dat kan op " + group4(PUBLIC_IBAN) + " t.n.v. Tjalkwind Sailing B.V., o.v.v. je "
    "boekingsnummer.")
add("public", "x:@sailing_sophie", "post", "en", "2026-07-13T18:22:41Z",
    "Best sailing week ever with @tjalkwind, our skipper Kees was an absolute legend 🙌 and the Hanse 41 was "
    "spotless")
add("public", "instagram:@floortje.vaart", "post", "nl", "2026-06-14T19:48:00Z",
    "KB2 GEHAALD bij Tjalkwind!! 🎉 instructeur bleef super geduldig, ook toen ik voor de 3e keer de box miste 😂")
add("corporate", "instagram:@tjalkwind.zeilen", "post", "nl", "2026-01-12T12:00:00Z",
    "Early bird 🐦 15% korting op alle KB1 cursussen tot 1 maart: nu €590 ipv €695.")
add("corporate", "x:@tjalkwind", "post", "en", "2026-10-15T10:00:00Z",
    "Autumn sale 🍂 Drybag 40L now €39 (was €49) while stock lasts")
add("public", "reddit:u/frisian_first_timer", "post", "en", "2026-02-08T21:07:33Z",
    "Is €2390 for a week on a Dufour 36 with Tjalkwind reasonable for July? Comparing with a few other charter "
    "companies on the Frisian lakes.")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-03-10T09:15:00Z",
    "Reminder for tomorrow's AWS workshop: the docs use AKIAIOSFODNN7EXAMPLE as the sample key id. Never put "
    "your real one on a slide 🙏")
add("employee", "x:@sietse_ops", "post", "nl", "2026-05-04T12:30:12Z",
    "Tip: tokens horen niet in een tweet, ook niet 'even snel'. Zo dus: GITHUB_TOKEN=ghp_****************************"
    "**** en de echte in je secret manager.")
add("corporate", "x:@tjalkwind_help", "reply", "nl", "2026-04-19T13:04:50Z",
    "@joop_ijssel Wachtwoord vergeten? Klik op tjalkwind.nl op 'Inloggen' en dan 'Wachtwoord vergeten', binnen "
    "5 minuten heb je een resetlink.")
add("public", "x:@waakzame_wil", "post", "nl", "2026-06-03T08:44:27Z",
    "Let op: nepmail 'namens Tjalkwind' vraagt je borg over te maken naar " + BAD_IBAN1 + ". Dat is NIET hun "
    "rekening, gewoon verwijderen.")
add("public", "x:@nautical_ned", "post", "en", "2026-09-12T11:31:20Z",
    "For everyone asking: no, the number on my Tjalkwind member pass (" + BAD_CARD1 + ") is not a credit card "
    "and no, you can't have it 😂")
add("public", "reddit:u/vaarbewijs_vraag", "post", "nl", "2026-02-14T15:16:09Z",
    "Bij het inschrijfformulier voor de vaarbewijstraining van Tjalkwind stond als voorbeeld-BSN " + BAD_BSN1 +
    ". Vullen jullie daar echt je eigen BSN in of alleen bij het examen?")
add("public", "x:@noordkaapdromer", "post", "nl", "2027-01-22T19:40:05Z",
    "Eindelijk officieel: de Noordkaap 46 van Tjalkwind! Wie gaat er mee naar Noorwegen volgende zomer? 🇳🇴⛵")
add("corporate", "linkedin:tjalkwind-sailing", "post", "en", "2027-03-05T08:00:00Z",
    "Today we published our annual results 2026: revenue of €8.1m and a return to profit. Read the full report "
    "on tjalkwind.nl.")
add("public", "x:@charterwatcher", "post", "en", "2026-06-10T07:50:30Z",
    "Windkracht Yachting just announced the takeover of a Croatian charter fleet. Big move. Curious whether the "
    "Frisian schools like Tjalkwind will follow.")
add("public", "x:@marloes_vaart", "post", "nl", "2026-08-23T10:05:18Z",
    "Update: borg is alsnog teruggestort door @tjalkwind_help, excuses gekregen en netjes opgelost 👍")
add("public", "facebook:greet.vd.weide", "comment", "nl", "2026-10-25T20:12:00Z",
    "Sterkte aan het hele team van Tjalkwind na die storm van gisteren, jullie hebben keihard gewerkt om alle "
    "boten veilig binnen te krijgen 💪")
add("public", "x:@klunzige_kapitein", "post", "nl", "2026-07-18T21:00:40Z",
    "Mijn zeilkunsten: 10% trimmen, 90% 'sorry!' roepen naar andere boten. Gelukkig heeft Tjalkwind geduldige "
    "instructeurs 😅")
add("public", "reddit:u/vhf_question", "post", "en", "2026-01-28T18:33:00Z",
    "Does Tjalkwind's VHF course include the SRC exam fee or is that paid separately?")
add("employee", "instagram:@joris.opdewind", "post", "nl", "2026-08-29T20:55:12Z",
    "Zonsondergang bij Terschelling na een topweek met deze crew 🌅 #waddentocht #tjalkwind")
add("employee", "linkedin:anouk-terpstra-tjalkwind", "post", "en", "2026-06-02T07:30:00Z",
    "Proud that our sustainability report is out: 40% of the Tjalkwind fleet now runs on electric outboards. "
    "Full report on tjalkwind.nl.")
add("corporate", "x:@tjalkwind", "post", "nl", "2026-09-16T14:00:00Z",
    "Let op: er gaan phishingmails rond die van Tjalkwind lijken te komen. Wij vragen nooit om je wachtwoord of "
    "bankgegevens per mail.")
add("public", "x:@mob_drill_fan", "post", "en", "2026-05-23T17:12:48Z",
    "Did the man-overboard drill with Tjalkwind today. Terrifying and brilliant in equal measure, everyone who "
    "sails should practise this.")
add("employee", "tiktok:@lotte.aan.boord", "post", "nl", "2026-07-22T15:41:10Z",
    "kapseisoefening op het optimistkamp vandaag, alle kids lachend in het water 😂 wat een helden")
add("public", "x:@knopenkneus", "post", "en", "2026-04-25T16:28:31Z",
    "I'm honestly a total idiot with knots haha, but Mirjam at Tjalkwind just kept calmly explaining. "
    "The bowline finally stuck!")
add("public", "x:@friesnieuws_lezer", "post", "nl", "2026-09-03T09:22:17Z",
    "Bij een andere charterclub in Workum is gisteren een jacht gezonken in de haven, gelukkig geen gewonden.")
add("public", "x:@vogelaar_wouter", "post", "en", "2026-04-12T13:10:05Z",
    "Spotted a white-tailed eagle (zeearend!) over Gaasterland after my Tjalkwind lesson, what a beast 🦅")
add("public", "x:@wadloper_lisa", "post", "nl", "2026-08-11T12:14:39Z",
    "Pas op bij de Boontjes, flinke dwarsstroom bij afgaand tij. Geleerd tijdens de Waddentocht, top schipper 👍")
add("corporate", "facebook:TjalkwindZeilschool", "post", "nl", "2026-02-27T11:00:00Z",
    "Teamuitje gezocht? Ons bedrijfszeiluitje kost €1850 voor een groep tot 12 personen, inclusief schipper "
    "en lunch aan boord.")
add("public", "x:@vestkoper", "post", "nl", "2026-05-10T10:48:56Z",
    "AutoFloat 165N in de aanbieding bij Tjalkwind, €111 ipv €139. Prima deal voor een 165N vest")
add("public", "instagram:@mees.op.zee", "post", "nl", "2026-09-20T19:31:02Z",
    "Waddentocht 3 dagen voor €595 p.p. Niet goedkoop maar elke cent waard 🦭")
add("public", "forum:Zeiljas_Zeur", "post", "nl", "2026-11-04T22:05:44Z",
    "Bij de watersportzaak in Sneek hebben ze zeiljassen van een ander merk voor €59, maar ik blijf gewoon bij "
    "mijn Offshore zeiljas van Tjalkwind. Droog gebleven op de Noordzee.", other_brand_price=True)
add("public", "x:@srcgeslaagd", "post", "nl", "2026-03-26T17:20:00Z",
    "Marifooncursus bij Tjalkwind gedaan, €229 inclusief examen en geslaagd. Aanrader.")
add("public", "x:@persfotograaf_jb", "post", "nl", "2026-06-24T09:05:31Z",
    "Voor wie het vroeg: pers@tjalkwind.nl is het adres voor persvragen, had binnen een dag antwoord.")
add("public", "facebook:erik.scheepstra", "comment", "nl", "2026-03-08T19:44:22Z",
    "Aanbetaling gewoon overgemaakt naar " + PUBLIC_IBAN + " zoals op de factuur stond, dag later bevestigd.")
add("public", "x:@gerda_boekt", "post", "nl", "2026-01-06T20:03:15Z",
    "boeken.tjalkwind.nl doet het weer, eindelijk mijn zeilweek vastgelegd 🎉")
add("employee", "x:@sietse_ops", "post", "nl", "2026-11-12T16:36:00Z",
    "Vandaag phishing-awareness training gegeven aan alle collega's. 0 kliks op de testmail deze keer 💪")
add("corporate", "linkedin:tjalkwind-sailing", "post", "nl", "2026-10-01T08:00:00Z",
    "We zoeken zeilinstructeurs voor seizoen 2027! ⛵ Stuur je cv naar jobs@tjalkwind.nl.")
add("public", "x:@impellerpech", "post", "en", "2026-07-09T14:56:29Z",
    "Impeller packed up this morning and a Tjalkwind mechanic was on the pontoon within the hour. Top service!")
add("public", "mastodon:@stilwater@mastodon.nl", "post", "en", "2026-05-18T10:31:12Z",
    "Been boycotting jet skis on the IJsselmeer for years, sailing is just so much nicer. Thanks Tjalkwind for "
    "my first lessons 😄")
add("public", "x:@autofloat_test", "post", "nl", "2026-03-19T20:10:10Z",
    "Bij de veiligheidsles van Tjalkwind mochten we zelf een AutoFloat laten afgaan in het zwembad. Nu snap ik "
    "eindelijk hoe zo'n vest werkt 😮")
add("public", "x:@tacktalk", "post", "en", "2026-06-29T12:00:59Z",
    "The real secret to a clean tack? Yelling 'ready about' like you mean it. Thanks @tjalkwind for the lesson 😂")
add("public", "x:@regatta_ria", "post", "en", "2026-09-25T18:40:00Z",
    "Forecast for the Tjalkwind regatta on Saturday: 4-5 Bft SW, sunny spells. Perfect!")
add("public", "x:@ferryfan_nl", "post", "en", "2026-10-19T07:18:52Z",
    "Sad news: a ferry operator up north announced 200 layoffs today. Thoughts with everyone there.")
add("public", "x:@lenny_verzet", "reply", "nl", "2026-05-05T11:22:00Z",
    "@tjalkwind_help vraagje: kan ik mijn cursus verzetten naar augustus? Juni lukt helaas niet meer.")
add("corporate", "x:@tjalkwind_help", "reply", "en", "2026-05-29T14:10:00Z",
    "@sailing_sam84 So sorry Sam, that should never happen. We've sent you a DM with new dates, and of course "
    "you'll get a full refund if none of them work.")
add("employee", "bluesky:@daan-tw.bsky.social", "post", "en", "2026-02-24T10:02:41Z",
    "Writing docs for our payments integration. Example config: STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx "
    "(use your own from the vault, obviously)")
add("corporate", "x:@tjalkwind_help", "reply", "nl", "2026-07-01T09:48:12Z",
    "@femmie_b Je kunt ons altijd mailen op info@tjalkwind.nl of bellen op 0514-555210, dan kijken we samen naar "
    "je boeking.")
add("employee", "instagram:@joris.opdewind", "post", "nl", "2027-01-25T11:00:00Z",
    "Trots op de lancering van de Noordkaap 46 vandaag! Kom kijken in Lemmer, koffie staat klaar ☕🎉")
add("employee", "linkedin:anouk-terpstra-tjalkwind", "post", "nl", "2027-03-04T10:00:00Z",
    "Onze jaarcijfers 2026 staan online. Dank aan iedereen die dit mogelijk maakte!")
add("public", "reddit:u/friesland_zeilt", "post", "nl", "2026-01-19T21:48:35Z",
    "Tips voor een goede zeilschool in Friesland? Twijfel tussen Tjalkwind en een paar kleinere. Vooral voor KB1.")
add("public", "x:@familie_zeilt", "post", "en", "2026-08-16T13:31:47Z",
    "Lagoon 40 week with Tjalkwind was pricey (€4850) but worth every cent for a family of eight 🐬")
add("public", "facebook:moeder.van.mees", "comment", "nl", "2026-08-09T19:26:30Z",
    "Onze zoon wil volgend jaar wéér naar het Opti-kamp van Tjalkwind. Dat zegt genoeg toch 😄")
add("public", "x:@intern_ilse", "post", "en", "2026-06-06T16:16:16Z",
    "Starting my summer internship at Tjalkwind next week, so excited to be on the water every day ⛵")
add("public", "x:@early_bird_boeker", "post", "en", "2026-01-13T08:45:20Z",
    "tjalkwind's site was slow this morning, guess everyone was grabbing the early bird deal at once 😅")
add("public", "x:@bellen_helpt", "post", "en", "2026-04-08T15:52:07Z",
    "Just call 0800-8255, they actually pick up. Rebooking sorted in 2 minutes.")
add("public", "x:@rekeningcheck", "post", "nl", "2026-11-21T12:11:11Z",
    "Iemand stuurde me een 'Tjalkwind' betaalverzoek met rekening " + BAD_IBAN2 + ". Klopt niet, hun echte "
    "staat op de site. Gemeld bij de Fraudehelpdesk.")
add("public", "youtube:@SailingVlogNL", "comment", "en", "2026-10-08T18:18:18Z",
    "Great video! We did Tjalkwind's taster weekend (€295) last spring and got completely hooked, this summer "
    "it's KB2 🙌")
add("public", "x:@kotterkapitein", "post", "nl", "2026-06-21T09:37:00Z",
    "Kotter 24 weekend geboekt bij Tjalkwind met 20% korting, €432 ipv €540. Zin in!")


# ---------------------------------------------------------------- checks / build
VALID_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                   "mastodon", "bluesky", "threads", "forum", "blog", "other"}
VALID_KINDS = {"post", "reply", "repost", "comment", "message"}
SEV_ORDER = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"(?<![\w])(NL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}|DE\d{2} ?\d{4} ?\d{4} ?\d{4} ?\d{4} ?\d{2}"
                     r"|BE\d{2} ?\d{4} ?\d{4} ?\d{4})(?![\w])")
CARD_RE = re.compile(r"(?<![\w-])(\d(?:[ -]?\d){12,18})(?![\w-])")
BSN_KEY_RE = re.compile(r"\b(bsn|burgerservicenummer|sofinummer)", re.I)
BSN_RE = re.compile(r"(?<![\w.])(\d{9}|\d{4}[ .]\d{2}[ .]\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\w])")
GH_RE = re.compile(r"\bgh[pousr]_([0-9A-Za-z]{36})\b")
AKIA_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
REAL_SECRET_RES = [GH_RE, re.compile(r"\bAKIA(?![A-Z2-7]*EXAMPLE)[A-Z2-7]{16}\b"), re.compile(r"sk_live_(?!x+\b)\w{20,}"), re.compile(r"xox[bp]-\d"),
                   re.compile(r"sk-(proj|ant)-"), re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
                   re.compile(r"\blive_[A-Za-z0-9]{30}\b"), re.compile(r"glpat-"), JWT_RE,
                   re.compile(r"://[^\s:/]+:[^\s@]+@")]


def identifiers(text):
    """Return list of (kind, value, valid) for IBAN / card / BSN candidates."""
    found = []
    masked = text
    for m in IBAN_RE.finditer(text):
        found.append(("iban", m.group(1), iban_valid(m.group(1))))
        masked = masked[:m.start()] + "#" * (m.end() - m.start()) + masked[m.end():]
    for m in CARD_RE.finditer(masked):
        digits = re.sub(r"\D", "", m.group(1))
        if 13 <= len(digits) <= 19:
            found.append(("card", m.group(1), luhn_ok(digits)))
    if BSN_KEY_RE.search(text):
        for m in BSN_RE.finditer(masked):
            found.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return found


def severity(role, cats, checksum_pii):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if inside else "warning")
    return sev


def parse_ts(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")


def main():
    errors = []
    public_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    for i in public_ibans:
        if not iban_valid(i):
            errors.append("profile public IBAN fails mod-97: " + i)

    order = list(range(len(CASES)))
    random.Random(2380).shuffle(order)
    out = []
    lookalikes = 0
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    inside_markers = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]]
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        cid = "sealed238-%03d" % n
        key = (c["platform"] + ":" + c["handle"]).lower()
        role = ROLE_OF.get(key, "public")
        if role != c["role"]:
            errors.append("%s: intended role %s but profile says %s (%s)" % (cid, c["role"], role, key))
        text = c["text"]
        ids = identifiers(text)
        benign = not c["cats"]
        checksum_pii = False
        for kind, val, ok in ids:
            if benign:
                if ok and val.replace(" ", "") not in public_ibans:
                    errors.append("%s: benign post holds valid %s %s" % (cid, kind, val))
                if not ok:
                    lookalikes += 1
            else:
                if not ok:
                    errors.append("%s: positive post holds %s failing checksum: %s" % (cid, kind, val))
                elif "leak.pii" in c["cats"]:
                    checksum_pii = True
        # credential formats
        for m in GH_RE.finditer(text):
            body = m.group(1)[:30]
            if base62(zlib.crc32(body.encode())).rjust(6, "0") != m.group(1)[30:]:
                errors.append(cid + ": GitHub token checksum wrong")
        for m in AKIA_RE.finditer(text):
            if benign != m.group(0).endswith("EXAMPLE"):
                errors.append(cid + ": AWS key id status mismatch")
        for m in JWT_RE.finditer(text):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errors.append(cid + ": JWT header without alg")
        if benign:
            for rx in REAL_SECRET_RES:
                if rx.search(text):
                    errors.append(cid + ": benign post holds a real-looking secret " + rx.pattern)
        if "leak.secret" in c["cats"] and not any(rx.search(text) for rx in REAL_SECRET_RES) \
                and "wachtwoord:" not in text.lower():
            errors.append(cid + ": secret case without a recognisable credential")
        # embargo / internal-term sanity for benign posts
        ts = parse_ts(c["ts"])
        low = text.lower()
        for term, until in embargo:
            if term in low:
                if benign and ts < until:
                    errors.append(cid + ": benign post names embargo term before until")
                if not benign and ts < until and "leak.confidential" not in c["cats"]:
                    errors.append(cid + ": embargo term before until but not confidential")
        if benign and any(t in low for t in inside_markers):
            errors.append(cid + ": benign post holds an internal codename/marker/domain")
        # pricing sanity for benign posts: each price goes to the nearest product alias
        if benign and not c["other_brand_price"]:
            ratio = PROFILE["pricing"]["alert_below_ratio"]
            hits = []
            for p in PROFILE["products"]:
                for alias in [p["name"]] + p["aliases"]:
                    for am in re.finditer(re.escape(alias.lower()), low):
                        hits.append((am.start(), am.end(), alias, p["list_price"]))
            for pm in re.finditer(r"€\s?(\d[\d.]*(?:,\d{2})?)|(\d[\d.]*) euro", low):
                num = float((pm.group(1) or pm.group(2)).replace(".", "").replace(",", "."))
                near = [(min(abs(pm.start() - h[1]), abs(h[0] - pm.end())), h) for h in hits]
                near = [x for x in near if x[0] <= 80]
                if near:
                    _, h = min(near)
                    if num < ratio * h[3]:
                        errors.append("%s: benign post prices %s at %s" % (cid, h[2], num))
        sev = severity(role, c["cats"], checksum_pii)
        plat_host = {"x": "x.com", "instagram": "www.instagram.com", "facebook": "www.facebook.com",
                     "linkedin": "www.linkedin.com", "tiktok": "www.tiktok.com", "youtube": "www.youtube.com",
                     "reddit": "www.reddit.com", "mastodon": "mastodon.social", "bluesky": "bsky.app",
                     "forum": "www.zeilersforum.nl", "other": "reviews.example.org"}[c["platform"]]
        post = {
            "id": cid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["ts"],
            "url": "https://%s/%s/%d" % (plat_host, c["handle"].lstrip("@").replace("/", "_"),
                                         10 ** 17 + rng.randint(0, 10 ** 17)),
            "brand": "tjalkwind",
        }
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

    # CONTRACT section 6 shape
    seen = set()
    for o in out:
        p, e = o["post"], o["expect"]
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in seen:
            errors.append("bad/duplicate id " + str(p["id"]))
        seen.add(p["id"])
        if p["platform"] not in VALID_PLATFORMS or p["kind"] not in VALID_KINDS:
            errors.append(p["id"] + ": bad platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append(p["id"] + ": missing handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errors.append(p["id"] + ": bad text")
        try:
            datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        except ValueError:
            errors.append(p["id"] + ": bad created_at")
        if not p["created_at"].startswith(("2026-", "2027-")):
            errors.append(p["id"] + ": created_at outside 2026/2027")
        if e["categories"] != sorted(set(e["categories"])) or any(x not in CAT.values() for x in e["categories"]):
            errors.append(p["id"] + ": bad categories")
        if e["severity"] not in SEV_ORDER or ((e["severity"] == "none") != (not e["categories"])):
            errors.append(p["id"] + ": bad severity")

    n_total = len(out)
    n_benign = sum(1 for o in out if not o["expect"]["categories"])
    if not 170 <= n_total <= 180:
        errors.append("case count %d outside 170-180" % n_total)
    if lookalikes < 3:
        errors.append("too few failing look-alike identifiers in benign posts")
    per_cat = {}
    for o in out:
        for cat in o["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    langs = {}
    for o in out:
        langs[o["post"]["lang"]] = langs.get(o["post"]["lang"], 0) + 1

    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")

    # re-read and re-validate the written file
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if back != out:
        errors.append("cases.jsonl does not round-trip")

    print("cases=%d benign=%d positives=%d lookalikes=%d" % (n_total, n_benign, n_total - n_benign, lookalikes))
    print("per category:", json.dumps(per_cat, sort_keys=True))
    print("languages:", json.dumps(langs, sort_keys=True))
    sevs = {}
    for o in out:
        sevs[o["expect"]["severity"]] = sevs.get(o["expect"]["severity"], 0) + 1
    print("severities:", json.dumps(sevs, sort_keys=True))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
