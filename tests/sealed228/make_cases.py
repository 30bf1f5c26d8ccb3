#!/usr/bin/env python3
"""Build the sealed evaluation set 228 (fictional dating app Vonkel B.V.).

Deterministic: fixed seed, standard library + PyYAML only. Writes cases.jsonl next
to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, taxonomy);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike in a benign post fails it (and a scan of all benign texts finds no
    checksum-valid identifier apart from the company's own public IBAN);
  * generated credentials are well-formed (GitHub CRC-32, AWS key id alphabet,
    JWT header with alg);
  * ids unique, texts unique, 170-180 cases.
Run:  python3 make_cases.py
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
SEED = 228
rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"

# ----------------------------------------------------------------------------
# checksum helpers
# ----------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_complete(prefix_digits):
    for last in range(10):
        if luhn_ok(prefix_digits + str(last)):
            return prefix_digits + str(last)
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def break_last_digit(s):
    """Change the last digit of s (keeps layout) -> fails any of the checks used here."""
    idx = max(i for i, ch in enumerate(s) if ch.isdigit())
    nd = str((int(s[idx]) + rng.choice([1, 2, 3, 4])) % 10)
    return s[:idx] + nd + s[idx + 1:]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ----------------------------------------------------------------------------
# generators for identifiers
# ----------------------------------------------------------------------------

def gen_nl_iban(bank):
    return iban_make("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def gen_be_iban():
    first10 = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(first10) % 97 or 97
    return iban_make("BE", first10 + "%02d" % chk)


def gen_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - 1 - len(prefix)))
    return luhn_complete(body)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r <= 9:
            s = "".join(map(str, d)) + str(r)
            assert bsn_ok(s)
            return s


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "adm_%d" % rng.randint(1000, 9999), "role": "admin",
                               "scope": "mod:read mod:write users:export",
                               "iat": 1767225600 + rng.randint(0, 20000000), "exp": 1956528000},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def gen_pem():
    body = base64.b64encode(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" +
                            bytes(rng.getrandbits(8) for _ in range(1180))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    while True:
        p = rnd(string.ascii_letters + string.digits + "!#%&*?", 14)
        if (any(c.isupper() for c in p) and any(c.islower() for c in p)
                and any(c.isdigit() for c in p) and any(c in "!#%&*?" for c in p)):
            return p


V = {}
# valid identifiers (positives)
V["IBAN1"] = gen_nl_iban("RABO")
V["IBAN2"] = group4(gen_nl_iban("ABNA"))
V["IBAN3"] = group4(gen_be_iban())
V["CARD1"] = group4(gen_card("4"))
V["CARD2"] = gen_card("5")
V["BSN1"] = gen_bsn()
_b = gen_bsn()
V["BSN2"] = _b[:4] + "\u200b" + _b[4:]          # zero-width space inside (evasion)
# look-alikes that fail (benign)
V["BADIBAN1"] = group4(break_last_digit(gen_nl_iban("INGB")))
V["BADIBAN2"] = break_last_digit(gen_nl_iban("SNSB"))
V["BADCARD1"] = group4(break_last_digit(gen_card("4")))
V["BADCARD2"] = "-".join(group4(break_last_digit(gen_card("5"))).split(" "))
V["BADBSN1"] = break_last_digit(gen_bsn())
# credentials
V["GHP1"] = gen_github("ghp_")
V["GHO1"] = gen_github("gho_")
V["AKIA1"] = "AKIA" + rnd(B32, 16)
V["AWSSECRET1"] = rnd(B64, 40)
V["STRIPE1"] = "sk_live_51" + rnd(ALNUM, 97)
V["SLACK1"] = "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13), rnd(ALNUM, 24))
V["JWT1"] = gen_jwt()
V["AIZA1"] = "AIza" + rnd(URLSAFE, 35)
V["PEM1"] = gen_pem()
V["ANTHROPIC1"] = "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"
V["PW1"] = gen_password()
V["PW2"] = gen_password()
V["PW3"] = gen_password()

VALID_ID_TOKENS = {"IBAN1": "iban", "IBAN2": "iban", "IBAN3": "iban",
                   "CARD1": "card", "CARD2": "card", "BSN1": "bsn", "BSN2": "bsn"}
BAD_ID_TOKENS = {"BADIBAN1": "iban", "BADIBAN2": "iban", "BADCARD1": "card",
                 "BADCARD2": "card", "BADBSN1": "bsn"}
CHECKERS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}

# ----------------------------------------------------------------------------
# the posts
# ----------------------------------------------------------------------------
S, PII, PR, CF, FI, SE = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                          "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(platform, handle, lang, cats, text, kind="post", at=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, at=at, brand=brand))


# ---------------- reputation.complaint ----------------
c("x", "@annevdl", "nl", [CO],
  "@vonkel_help al 9 dagen geen antwoord op mn mail. Goud abonnement is gewoon verlengd terwijl ik in "
  "december had opgezegd (heb de bevestiging nog!). Ik wil m'n €179,99 terug 😤", kind="reply")
c("x", "@swipeweary", "en", [CO],
  "is it just me or is @vonkel_nl like 70% bots now?? matched with 'Jessica, 24' three times today. same "
  "photo, same 'hey handsome click my link'. I'm paying for Plus for THIS")
c("facebook", "marjolein.peeters.7", "nl", [CO],
  "Na de update van gisteren zijn al mijn matches weg. ALLEMAAL. Ook het gesprek met iemand met wie ik "
  "zaterdag zou afspreken, en ik heb zijn nummer nog niet. Vonkel, dit is echt slordig, zet het terug aub",
  kind="comment")
c("reddit", "u/throwawaydater91", "en", [CO],
  "PSA: cancelling Vonkel Gold through the website does NOT cancel it if you originally bought it in the "
  "iOS app. Got charged again this month and support just sent me a copy-paste FAQ link. Absolute runaround, "
  "I've now spent 2 evenings on this.")
c("x", "@kimmie_2003", "nl", [CO],
  "selfie verificatie faalt voor de 14e keer 'gezicht niet herkend' bro ik sta er gwn op?? met licht, "
  "zonder bril, alles geprobeerd 🙄 @vonkel_help", kind="reply")
c("instagram", "@jeroen.fotografie", "nl", [CO],
  "Waarom word ik zonder enige uitleg verbannen? Geen regels overtreden, ik had alleen een foto met mijn "
  "hond erop. Bezwaar ingediend, nul reactie. Heb nog 5 maanden Plus staan waar ik nu helemaal niks aan heb.",
  kind="comment")
c("x", "@priyanka_ams", "en", [CO],
  "the notifications on vonkel are delayed by HOURS. someone messaged me at 7pm, I saw it at 1am, by then "
  "he'd unmatched. great product guys, really")
c("tiktok", "@datingdiaries_nl", "nl", [CO],
  "je betaalt bij vonkel om te zien wie je geliked heeft en dan zijn het allemaal profielen die sinds 2023 "
  "niet meer online zijn geweest. oplichterij-light #vonkel #datingapps", kind="comment")
c("threads", "@luukbakkerr", "en", [CO],
  "Double charged for a Boost 10-pack on Monday: €69.98 instead of €34.99, my banking app shows both "
  "transactions. @vonkel.app it's been a week, please sort it out.")
c("x", "@gert_jan_58", "nl", [CO],
  "Als man van 58 krijg ik alleen maar profielen van rond de 25 te zien, terwijl mijn filter echt op 50 tot "
  "65 staat. De filters van Vonkel doen het gewoon niet. Jammer van het geld.")
c("bluesky", "@moss-and-mint.bsky.social", "en", [CO],
  "vonkel crashes every single time I try to upload a photo on android 15. reinstalled twice, cleared cache, "
  "pixel 8. been like this since the march update and support keeps asking for 'more logs'")
c("forum", "Zwolsevrouw", "nl", [CO],
  "Heeft iemand anders dat de chat van Vonkel berichten kwijtraakt? Ik stuur iets, het vinkje blijft grijs en "
  "de ander krijgt niks. Support zegt 'probeer de app opnieuw te installeren' maar dan ben ik al mijn "
  "gesprekken kwijt. Lekker dan.", kind="comment")
c("x", "@no_more_swipes", "en", [CO],
  "@vonkel_help your incognito mode is a joke. my EX saw me in his feed yesterday. what exactly am I paying "
  "6.99 a month for", kind="reply")
c("x", "@mo_rotterdam", "nl", [CO],
  "klantenservice van vonkel is gewoon onbereikbaar. chat: 'we zijn momenteel erg druk'. mail: auto-reply. "
  "bellen: bandje. hoe dan?? ik wil alleen mn abo stopzetten", kind="reply")
c("facebook", "daniel.okafor.nl", "en", [CO],
  "Went to the Vonkel speed date evening in Utrecht last night. 9 women, 23 men. Not what was advertised at "
  "all, we got maybe 3 minutes each with half of them. I'd like a refund on my ticket please.")
c("instagram", "@sannesmits_", "nl", [CO],
  "heb een profielcheck gekocht (39 euro!!) en kreeg drie zinnen feedback die duidelijk door een bot zijn "
  "geschreven. 'Voeg meer foto's toe' ja dank je", kind="comment")
c("x", "@r_dekker82", "nl", [CO, AB],
  "Die kutapp van Vonkel heeft me wéér €29,99 afgeschreven zonder iets te vragen. Stelletje prutsers en "
  "zakkenvullers zijn het daar 🤬")

# ---------------- reputation.crisis ----------------
c("x", "@privacywaakhond", "nl", [CR],
  "Vonkel lekt de locatie van gebruikers via de afstandsweergave. Met drie nepaccounts kun je iemand tot op "
  "20 meter nauwkeurig vinden. Levensgevaarlijk voor vrouwen en lhbti'ers. #datalek #vonkel")
c("x", "@heatherwrites", "en", [CR],
  "Vonkel staff can read your private messages. A former moderator told me they screenshot 'funny' chats and "
  "pass them around internally. If you're on Vonkel, delete your account today. #BoycottVonkel")
c("facebook", "StichtingVeiligDaten", "nl", [CR],
  "Oproep: stop met Vonkel. Een man die al drie keer was gemeld voor geweld kon zonder problemen een nieuw "
  "account aanmaken en heeft afgelopen weekend in Arnhem een vrouw mishandeld na een eerste date. Vonkel "
  "deed niets met de meldingen.")
c("reddit", "u/lawstudent_ams", "en", [CR],
  "The consumer association is taking Vonkel to court over the auto-renew trap. It's a collective action, so "
  "anyone who paid for Gold since 2024 can sign up. Link in the comments.")
c("x", "@nieuwsjager", "nl", [CR],
  "Undercover-onderzoek: binnen een uur 40 profielen van 14- en 15-jarigen gevonden op Vonkel. Hoe kan een "
  "app met 'leeftijdsverificatie' dit laten gebeuren?? 🤬")
c("threads", "@sara_in_tech", "en", [CR],
  "So my Vonkel data got sold. The day after I filled in the health section of my Vonkel profile I started "
  "getting ads for HIV self-tests. I shared that NOWHERE else. @vonkel.app explain yourselves.")
c("tiktok", "@waarheidzoeker", "nl", [CR],
  "Vonkel zet NEPPROFIELEN in om je aan de praat te houden zodat je Goud koopt. Een ex-medewerker heeft het "
  "bevestigd. Delen en je account verwijderen!! #boycotvonkel #scam")
c("x", "@datingsafetyuk", "en", [CR],
  "A romance scam ring working through Vonkel has taken over €400k from older users this year, per police. "
  "Victims reported the profiles to Vonkel months ago and nothing happened. This is on them.")
c("x", "@acm_volger", "nl", [CR],
  "ACM start een onderzoek naar Vonkel vanwege misleidende abonnementen en het bewust moeilijk maken van "
  "opzeggen. Eindelijk iemand die er iets van zegt.")
c("bluesky", "@jomo.bsky.social", "en", [CR],
  "Vonkel's photo CDN is publicly indexable. A reverse image search turned up private 'matches only' "
  "photos, including nudes. That is a massive breach and they have said NOTHING.")
c("instagram", "@lisa_vdb", "nl", [CR],
  "Mijn date via Vonkel bleek getrouwd en heeft mijn foto's verspreid. Vonkel zegt 'dat valt buiten ons "
  "platform'. Ik doe aangifte en stap naar een advocaat, ook tegen jullie.", kind="comment")
c("x", "@queerdating_nl", "en", [CR],
  "Vonkel shows 'interested in' on profiles in countries where being gay is a crime, even when you use the "
  "travel feature. People's lives are at risk. Boycott until this is fixed. RT")
c("x", "@boze_burger_77", "nl", [CR, AB],
  "Vonkel laat verkrachters gewoon vrij rondlopen op die app. Walgelijke klootzakken zijn jullie bij de "
  "directie. BOYCOT")
c("facebook", "megan.oconnell.ams", "en", [CR, CO],
  "I paid €359 for the Vonkel Weekend Retreat, it was cancelled the day before and after 6 weeks still no "
  "refund. Now the organiser went bankrupt and Vonkel says it's not their responsibility. Filed a claim at "
  "the district court today.")

# ---------------- reputation.abuse ----------------
c("x", "@trollie_b", "nl", [AB],
  "@vonkel_help jullie zijn echt de meest achterlijke debielen die ik ooit heb meegemaakt. ga allemaal dood",
  kind="reply")
c("x", "@rxgekid", "en", [AB],
  "@vonkel_nl you absolute clowns. whoever designed this app should be launched out of a cannon. f*cking "
  "useless morons", kind="reply")
c("instagram", "@tim_hatert", "nl", [AB],
  "Die Lotte van jullie community team is echt een domme trut, blokkeert me om een grapje 🤡", kind="comment")
c("reddit", "u/redpill_ronald", "en", [AB],
  "Vonkel's moderation is all women and foreigners, that's why every normal guy gets banned. Useless "
  "diversity hires who can barely speak Dutch.", kind="comment")
c("x", "@xander020", "nl", [AB],
  "Vonkel support is een stel apen met een toetsenbord. Kanker op met jullie 'we begrijpen je frustratie'")
c("tiktok", "@g4m3rb0y_nl", "nl", [AB],
  "v0nk3l is k4nk3r 💩 die m0d3r4t0r3n zijn z13k in hun k0p, h0er3nz00ns", kind="comment")
c("x", "@dave_m_1988", "en", [AB],
  "To the Vonkel 'trust and safety' clown who banned me: I know which office you work at. Watch yourself "
  "on the way home.")
c("x", "@daanvissers", "nl", [AB],
  "@r_dekker82 als je zo'n zielige loser bent dat je op twitter gaat janken over 30 euro, ligt het probleem "
  "misschien niet bij de app 🙃", kind="reply")
c("x", "@vonkel_nl", "en", [AB],
  "@rxgekid lmao shut up you sad little troll, nobody cares", kind="reply")
c("facebook", "ria.vermeulen.1962", "nl", [AB, CO],
  "Wat een tuig werkt er bij Vonkel. Die meid aan de telefoon was ronduit brutaal en toen ik naar haar "
  "leidinggevende vroeg hing ze gewoon op. Mijn geld voor de speeddate zie ik nooit meer terug. Schandalig volk.")
c("x", "@zzz_nope", "en", [AB],
  "ｖｏｎｋｅｌ ｓｕｐｐｏｒｔ ａｒｅ ｍｏｒｏｎｓ. total idiots, every one of them")

# ---------------- leak.confidential ----------------
c("x", "@merel_vk", "nl", [CF],
  "Eindelijk de demo van Project Vuurvlieg aan het MT gegeven 🔥 matching op basis van hoe mensen echt met "
  "elkaar praten in plaats van swipes. Kan niet wachten tot jullie dit zien")
c("linkedin", "sophie-kramer-vonkel", "en", [CF],
  "So proud of the team preparing Zilverspar, our move into Germany, Austria and Switzerland. We're quietly "
  "hiring 12 German-speaking moderators in Berlin ahead of the announcement 🤫 DM me if you know someone!")
c("x", "@jorisdev_", "nl", [CF],
  "wie kan mij toegang geven tot jira.vonkelhq.nl/browse/VK-4412? krijg een 403 en ik moet die crash in de "
  "Duo-modus nog fixen voor de release", at="2026-10-14T09:12:44Z")
c("instagram", "@lotte.community", "nl", [CF],
  "Sneak peek 👀 binnenkort kun je met Vonkel Duo samen met je beste vriendin op dubbeldate. Niks zeggen hè 🤐",
  at="2026-11-03T17:40:02Z")
c("tiktok", "@femke.werkt.bij.vonkel", "en", [CF],
  "POV: you realise your day-in-the-life video shows the slide that says 'VONKEL INTERNAL - roadmap H2 2026' "
  "for a full 4 seconds 😅 anyway here's our office dog")
c("x", "@vonkel_nl", "en", [CF],
  "Look at the live dashboard our data team built 💘 https://grafana.vonkelhq.nl/d/matches-live real-time "
  "matches all over the Netherlands!")
c("reddit", "u/vk_ops_bram", "nl", [CF],
  "Iemand ervaring met logical replication in Postgres 16 op hele grote tabellen? Bij ons doet "
  "db-main.vonkel.lan er 9 uur over voor de swipes-tabel (2,1 miljard rijen) en dan loopt de lag op.")
c("x", "@ex_vonkie", "nl", [CF],
  "Grappig, die 'nieuwe' AI-datingcoach. Ik zat tot mei in het Vuurvlieg-team en dat ding heeft al twee keer "
  "iets heel doms aangeraden. Kijk zelf: mod.vonkelhq.nl/cases/22871 (als je nog toegang hebt lol)")
c("bluesky", "@ruben-trust.bsky.social", "nl", [CF],
  "Het nieuwe moderatiebeleid gaat 1 februari live. De interne versie staat al op "
  "wiki.vonkelhq.nl/ts/beleid-2027, alleen intern tot dan, maar ik ben er zo trots op")
c("x", "@merel_vk", "en", [CF],
  "honestly the new Vonkel Duo mode is the most fun thing I've ever worked on. launching early next year, "
  "keep your eyes open 👯", at="2026-11-27T20:05:31Z")
c("threads", "@vonkel.app", "nl", [CF],
  "Psst… over twee weekjes komt de Duo-modus naar jullie app 💞 Wie gaat er als eerste op dubbeldate?",
  at="2027-03-18T11:00:00Z")
c("x", "@daanvissers", "nl", [CF],
  "Z i l v e r s p a r gaat hard, 3 steden tegelijk live in het voorjaar 🇩🇪🇦🇹")
c("x", "@jorisdev_", "en", [CF],
  "Project Vuurvliеg beta builds are going out to staff phones tonight, finally 🚀")  # Cyrillic 'е'
c("reddit", "u/curious_recruiter", "en", [CF],
  "Interviewed at Vonkel last week and the hiring manager had a doc open called 'Operatie Tweeling - NDA' on "
  "the shared screen the whole time. Something with single parents, apparently. Didn't get the job tho")
c("x", "@merel_vk", "nl", [CF],
  "screenshot van onze staging admin: https://staging.vonkel\u200b.lan/admin/users (geen zorgen, is allemaal "
  "testdata)")
c("linkedin", "youssef-benali", "nl", [CF, FI],
  "Jaarcijfers 2026 zijn binnen: omzet €142 mln (+31%) en voor het eerst winst. Volgende week pas officieel, "
  "maar wat een jaar hebben we gehad 🙌", at="2027-02-12T16:20:00Z")
c("x", "@daanvissers", "en", [CF, FI],
  "hearing the FY2026 results will blow the forecast away, Gold subscriptions up 40% year on year. can't say "
  "more until february 😉", at="2026-12-20T22:41:09Z")

# ---------------- leak.financial ----------------
c("linkedin", "youssef-benali", "nl", [FI],
  "Zware week. We gaan afscheid nemen van ongeveer 60 collega's bij Customer Care, het wordt pas in maart "
  "aangekondigd. Mijn gedachten zijn bij hen.")
c("x", "@daanvissers", "en", [FI],
  "between us: Amorix Group made an offer for Vonkel last tuesday. board is split 50/50. if it goes through "
  "we're all getting a nice bonus 😂")
c("reddit", "u/vk_ops_bram", "nl", [FI],
  "Prognose voor Q3 is intern bijgesteld naar 12% minder omzet dan het plan, dus alle infra-uitgaven zijn "
  "bevroren tot januari. Gezellig zo 🙃 Hoe doen jullie capacity planning zonder budget?")
c("linkedin", "sophie-kramer-vonkel", "en", [FI],
  "HR friends: tips for merging three departments into one without it leaking early? We tell staff on the "
  "14th and the press on the 21st, and about a fifth of the roles disappear.")
c("x", "@beurs_insider", "nl", [FI],
  "Via via gehoord: Vonkel zit aan tafel met Amorix over een overname, bod rond de €800 mln. Wordt voor de "
  "zomer bekendgemaakt. Onthoud waar je het eerst las.")
c("threads", "@femke.werkt.bij.vonkel", "en", [FI],
  "marketing budget for next year just got cut 35% because the revenue forecast is 'ambitious' lol. guess "
  "there'll be no more billboards at Centraal")
c("x", "@merel_vk", "nl", [FI],
  "Hele dev-afdeling vandaag naar een 'strategiesessie', blijkt dat de helft van de teams naar Lissabon "
  "verhuist. Officieel pas in januari. Ik ben er nog stil van.")
c("x", "@vonkel_nl", "en", [FI],
  "Thank you all! Q3: 1.2M paying subscribers and €38.4M revenue, ahead of guidance 🚀 The full report "
  "comes out on the 30th.", at="2026-10-21T08:30:00Z")
c("bluesky", "@ruben-trust.bsky.social", "nl", [FI],
  "Trust & Safety krijgt een 'efficiëntieslag' van 20 fte en de moderatie gaat naar een outsourcer in "
  "Manilla. Ik hoor het niet te zeggen, maar dit gaat mis.")
c("reddit", "u/startup_gossip", "en", [FI],
  "A friend in Vonkel's finance team says they're raising a Series D at half the valuation of the last "
  "round, announcement in about two weeks. Down round incoming.")

# ---------------- leak.security ----------------
c("mastodon", "@niels@infosec.exchange", "nl", [SE],
  "Lange nacht. Sinds 02:14 credential stuffing op onze login-API, zo'n 40k accounts overgenomen voordat de "
  "rate limits omhoog gingen. Nog niet naar buiten gecommuniceerd, details volgen later.")
c("reddit", "u/vk_ops_bram", "en", [SE],
  "Prod is down for the third time today (matches service keeps OOMing) and the status page still says "
  "green because nobody is allowed to touch it until legal signs off 🙄")
c("x", "@merel_vk", "nl", [SE],
  "oef. net ontdekt dat je met een andere user-id in de /api/v2/profile call gewoon de privéfoto's van "
  "anderen kan ophalen. fix staat klaar maar hangt nog in review. niet doorvertellen 🙈")
c("x", "@jorisdev_", "en", [SE],
  "fun fact: our iOS app has been writing chat messages in plaintext to the device log since 4.12. patching "
  "tonight, please nobody tell twitter")
c("linkedin", "sophie-kramer-vonkel", "nl", [SE],
  "Vandaag alle collega's gevraagd hun wachtwoord te resetten: er is ransomware aangetroffen op twee "
  "laptops van HR. Spannende dag, trots op hoe rustig iedereen bleef.")
c("bluesky", "@ruben-trust.bsky.social", "en", [SE],
  "Turns out our moderation tool let any moderator download full ID scans of users for the past 6 months. "
  "Locked it down quietly today. Not sure yet if we'll disclose.")
c("mastodon", "@niels@infosec.exchange", "nl", [SE],
  "Bucket met back-ups van profielfoto's stond ruim een week publiek. Logs laten zien dat minstens één "
  "extern IP-adres alles heeft binnengehaald. Melding bij de AP volgt, hoop ik.")
c("x", "@whitehat_jelle", "en", [SE],
  "Reported a bug to Vonkel 90 days ago, still unpatched: their password reset token is just the user id in "
  "base64. Anyone can take over any account. Going public next week if they keep ignoring me.")
c("x", "@vonkel_help", "nl", [SE],
  "@mo_rotterdam Sorry! Tussen ons: de betaalserver heeft sinds 6 uur vanochtend een fout waardoor "
  "iedereen dubbel wordt afgeschreven. Staat nog niet op de statuspagina.", kind="reply")
c("x", "@jorisdev_", "nl", [SE],
  "ＤＤｏＳ op onze API al 3 uur bezig, app ligt plat en buiten de deur weet nog niemand het 😬")
c("reddit", "u/vk_ops_bram", "en", [SE, CF],
  "Note to self: never leave grafana.vonkelhq.nl on the projector during an incident. Anyway, the auth "
  "service has been writing session cookies into our logs for weeks and someone outside got hold of the logs.")
c("x", "@merel_vk", "nl", [SE, S],
  "Oeps. Deze DB-URL stond vannacht in een publieke gist, we zijn aan het roteren: "
  "postgres://vk_admin:«PW1»@vonkel-prod.cluster-c8x2kq7vnm.eu-west-1.rds.amazonaws.com:5432/vonkel")

# ---------------- leak.secret ----------------
c("x", "@jorisdev_", "en", [S],
  "anyone know why this keeps 401-ing?? curl -H 'Authorization: token «GHP1»' "
  "https://api.github.com/orgs/vonkel-app/repos")
c("reddit", "u/vk_ops_bram", "nl", [S],
  "De config die ik voor de back-upjob gebruik, werkt prima:\n```\nAWS_ACCESS_KEY_ID=«AKIA1»\n"
  "AWS_SECRET_ACCESS_KEY=«AWSSECRET1»\nAWS_REGION=eu-west-1\n```\nAlleen duurt de sync erg lang, ideeën?")
c("x", "@daanvissers", "en", [S],
  "lol accidentally pasted our stripe key in the growth channel instead of the vault: «STRIPE1» rotating it "
  "now, don't judge me")
c("x", "@merel_vk", "nl", [S],
  "Slack-bot voor on-call werkt eindelijk 🥳 token voor wie mee wil hacken: «SLACK1»")
c("mastodon", "@niels@infosec.exchange", "en", [S],
  "JWT from our admin panel, can someone explain why exp is in 2031?? «JWT1»")
c("x", "@jorisdev_", "nl", [S],
  "wachtwoord van de test-iPhone op kantoor is veranderd, is nu: «PW2» (niet aan de stagiairs geven)")
c("x", "@apk_digger", "en", [S],
  "Decompiled the Vonkel android APK for fun. They ship a Google key in plain text: «AIZA1» lol")
c("bluesky", "@ruben-trust.bsky.social", "en", [S],
  "pasting the signing key here so I can grab it on my laptop, will delete in 2 min\n«PEM1»")
c("threads", "@vonkel.app", "nl", [S],
  "Onze AI-openingszin-generator draait op… oeps verkeerd klembord 😅 «ANTHROPIC1»")
c("x", "@merel_vk", "en", [S],
  "DATABASE_URL=postgresql://matcher:«PW3»@10.4.2.17:5432/matches why does prisma say auth failed, the "
  "password is definitely right 🤔")
c("forum", "hackerman_nl", "nl", [S],
  "Gevonden in een openbare repo van een Vonkel-developer: GITHUB_TOKEN=«GHO1» Weet iemand of die nog "
  "werkt? Heb het ze wel gemaild.", kind="comment")

# ---------------- leak.pricing ----------------
c("x", "@vonkel_nl", "nl", [PR],
  "🔥 Alleen vandaag: Vonkel Goud 12 maanden voor €17,99! Zeg het voort 💘")
c("x", "@chantal_xo", "en", [PR],
  "umm Vonkel is selling Plus 12 months for €8.99 in the app right now?? grabbed it before they notice 😂")
c("instagram", "@vonkel.app", "nl", [PR],
  "Weekend Retreat in de Ardennen 🌲 nu voor €34,90 p.p. Boek snel, op = op!")
c("reddit", "u/koopjesjager", "nl", [PR],
  "Prijsfout bij Vonkel? Supervonk 25-pack kost bij mij in de app €2,99 in plaats van €29,99. Snel zijn!")
c("x", "@vonkel_help", "en", [PR],
  "@luukbakkerr Yes, the Boost 10-pack showed €3.49 for some users this morning, that was a pricing error "
  "on our side. We'll honour purchases made today.", kind="reply")
c("x", "@daanvissers", "nl", [PR],
  "Haha hele growth-afdeling in paniek, Vonkel Elite stond 3 uur lang op €4,99 in de Play Store 🙈")
c("tiktok", "@dealhunter_eu", "en", [PR],
  "HOW is Vonkel Gold 6 months only €11.99 right now 😭 link in bio before they fix the glitch")
c("facebook", "VonkelDatingNL", "nl", [PR],
  "Cadeautip voor Valentijn 🎁 de Vonkel Cadeaukaart 50 nu voor maar €5!")
c("threads", "@femke.werkt.bij.vonkel", "en", [PR],
  "sooo our Travel Pass is €1.19 in the new web checkout instead of 11.99, someone forgot a digit 💀")
c("x", "@singlein020", "nl", [PR],
  "speeddate ticket van Vonkel voor €2,45 gekocht 😅 volgens mij heeft iemand een komma verkeerd gezet")
c("x", "@koopjes_kim", "nl", [PR],
  "G0ud j44r voor €19,99 bij v0nk3l?! pr1jsf0ut, sn3l z1jn 🏃‍♀️")
c("x", "@vonkel_nl", "en", [PR],
  "Profile review by one of our dating coaches, now just €3.90! 🧡 Limited spots.")

# ---------------- leak.pii ----------------
c("x", "@vonkel_help", "nl", [PII],
  "@annevdl Hoi Anne, we zien je account onder anne.vanderlinden84@gmail.com met het nummer 06-41827735. "
  "Klopt dat? Dan zetten we de terugbetaling in gang.", kind="reply")
c("x", "@vonkel_help", "en", [PII],
  "@luukbakkerr Refund of €34.99 has been sent to «IBAN1» in the name of L. Bakker, should arrive in 3-5 "
  "working days.", kind="reply")
c("facebook", "marjolein.peeters.7", "nl", [PII],
  "Vonkel wil mijn geld terugstorten maar reageert niet op mail. Dan maar hier: «IBAN2» t.n.v. M. Peeters. "
  "Graag vandaag nog!", kind="comment")
c("reddit", "u/ghosted_in_groningen", "en", [PII],
  "This guy from Vonkel catfished 4 women I know. Real name Kevin Smulders, lives at Oosterstraat 112 in "
  "Groningen, phone +31 6 2874 1193. Be careful out there.")
c("linkedin", "sophie-kramer-vonkel", "nl", [PII],
  "Welkom aan onze nieuwe collega Iris de Wit (geb. 12-03-1997)! Zij begint maandag bij Trust & Safety 🎉")
c("bluesky", "@ruben-trust.bsky.social", "nl", [PII],
  "Voor wie de melding over de ID-check nog moest nakijken: het ging om gebruiker jasper_83, BSN «BSN1», "
  "ID klopt gewoon, mag door.")
c("x", "@kimmie_2003", "en", [PII],
  "why does vonkel keep rejecting my card?? «CARD1» exp 09/28, works literally everywhere else")
c("instagram", "@lotte.community", "nl", [PII],
  "De winnaar van onze Valentijnsactie is Fleur Jansen, Dorpsstraat 27 in Zoetermeer! We komen zaterdag de "
  "bloemen brengen 💐")
c("x", "@jorisdev_", "en", [PII],
  "debugging the payment flow and this is definitely not a test card, straight from the prod logs: «CARD2» "
  "whoops")
c("x", "@mo_rotterdam", "nl", [PII],
  "@vonkel_help mijn nummer is 06 18 23 94 05 en mail is mo.elhadji@hotmail.com, bel me nou eens terug",
  kind="reply")
c("tiktok", "@vonkeldating", "en", [PII],
  "Shoutout to our success couple Tom & Aisha 💍 Aisha Rahman, born 4 June 1995, happy birthday tomorrow! 🎂")
c("x", "@privacy_paniek", "nl", [PII],
  "moest voor de verificatie m'n BSN opsturen naar vonkel?? «BSN2» voelt echt niet goed dit")
c("facebook", "daniel.okafor.nl", "en", [PII, CO],
  "Vonkel STILL hasn't refunded my speed date ticket. Account «IBAN3», Daniel Okafor. Four emails, zero "
  "answers. I'm done waiting.", kind="comment")
c("x", "@daanvissers", "nl", [PII],
  "Wie heeft er een zwarte jas laten hangen na de vrijdagborrel? Label zegt Sanne Post, haar nummer staat er "
  "ook in: 06-28391744. Sanne, bel even dan breng ik hem maandag mee 😄")
c("x", "@vonkel_help", "en", [PII],
  "@chantal_xo Hi Chantal, we've blocked the user. For your police report, his registered details are: Rick "
  "Vermaat, 0031 6 5539 2014, r.vermaat91@outlook.com", kind="reply")

# ---------------- benign (hard negatives and ordinary posts) ----------------
c("x", "@fleur_en_tom", "nl", [],
  "Vandaag 2 jaar getrouwd en het begon allemaal met een Supervonk 💘 dank je @vonkel_nl, beste €7,99 die ik "
  "ooit heb uitgegeven")
c("x", "@vonkel_nl", "en", [],
  "Spring sale 🌷 Vonkel Gold 12 months now €143.99 (20% off) until Sunday. Treat your heart.")
c("instagram", "@vonkel.app", "nl", [],
  "Vragen over je abonnement? Mail ons via support@vonkel.nl of bel gratis 0800-8665 (ma t/m za, 9-21 uur) 💬")
c("reddit", "u/devops_dan", "en", [],
  "For anyone setting up the AWS CLI: the docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. Don't paste your real ones into forums, people.")
c("x", "@jorisdev_", "nl", [],
  "Tip voor junior devs: zet nooit echte tokens in je README. Gebruik placeholders als "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en zet je .env in .gitignore. Graag gedaan 😇")
c("x", "@annevdl", "nl", [],
  "Update: @vonkel_help heeft alles netjes teruggestort én excuses gemaakt. Dank jullie, had ik eerlijk "
  "gezegd niet meer verwacht 🙏")
c("bluesky", "@kindsoul.bsky.social", "en", [],
  "Big love to the Vonkel support folks today, reading their replies to angry people with so much patience. "
  "That job must be brutal.")
c("x", "@nieuwsjager", "nl", [],
  "Datalek bij fitnessketen SportPlaza: gegevens van 200.000 leden op straat. Check via haveibeenpwned of "
  "jij erbij zit en verander je wachtwoord.")
c("x", "@swipeweary", "en", [],
  "ok I take it back, vonkel's new bot filter actually works. zero 'Jessica 24' this week 😂")
c("threads", "@vonkel.app", "nl", [],
  "Wist je dat 62% van onze gebruikers eerlijkheid het belangrijkst vindt op een eerste date? Jij ook? 💭")
c("x", "@vonkel_help", "en", [],
  "@kimmie_2003 Sorry about the selfie check! Try again in good daylight, and if it still fails send us a DM "
  "or mail support@vonkel.nl and we'll verify you by hand 💛", kind="reply")
c("x", "@henkiepenkie", "nl", [],
  "Mijn zoon had als grap een 'rekeningnummer' in zijn Vonkel-bio gezet: «BADIBAN1». Bank zegt ongeldig, "
  "gelukkig maar 😂")
c("x", "@rookie_dev_amy", "en", [],
  "why does my Luhn validator say «BADCARD1» is invalid? copied it from a tutorial for my dating-app "
  "checkout demo. is the tutorial wrong?")
c("reddit", "u/studentje_ams", "nl", [],
  "Voor een schoolopdracht over privacy moesten we een nep-BSN verzinnen. Ik had «BADBSN1» en de docent zag "
  "meteen dat die niet door de elfproef komt haha", kind="comment")
c("x", "@vonkel_nl", "en", [],
  "It's here! 👯 Vonkel Duo is live: bring your best friend and go on a double date together. Update your "
  "app now!", at="2027-04-02T10:00:00Z")
c("linkedin", "vonkel-bv", "nl", [],
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €142 mln, 31% meer dan in 2025. Het volledige "
  "jaarverslag staat op vonkel.nl/investors.", at="2027-02-25T07:30:00Z")
c("x", "@roomies_r_us", "en", [],
  "tried the duo mode on vonkel with my roommate and we both ended up talking to the same guy 😭😭",
  at="2027-04-11T21:14:52Z")
c("x", "@vonkel_nl", "nl", [],
  "Plus voor 1 maand blijft gewoon €14,99. Geen verborgen kosten, opzeggen kan altijd in de app 👍")
c("x", "@dealhunter_eu", "en", [],
  "Vonkel Plus 3 months is €28.79 this week (20% off). Decent if you were going to get it anyway.")
c("x", "@singlein020", "nl", [],
  "Naar de Speeddate Avond van Vonkel geweest in Den Bosch. €24,50 en echt de moeite waard, 3 leuke "
  "gesprekken en een tweede date staat 🥂")
c("x", "@grappenmaker_ruud", "nl", [],
  "Mijn hart heeft een datalek: het stroomt over sinds ik op Vonkel zit 😍🤣")
c("x", "@lolachen", "en", [],
  "I am officially boycotting Mondays. @vonkel_nl please add a 'hates Mondays' filter")
c("x", "@oma_truus", "nl", [],
  "Hoe pas ik mijn leeftijd aan in Vonkel? Mijn kleindochter heeft het account voor me gemaakt en nu sta ik "
  "er als 27 in 😅")
c("x", "@vonkel_help", "en", [],
  "@no_more_swipes Incognito hides you from people you haven't liked; people you matched with before can "
  "still see you. More at help.vonkel.nl/incognito, or email privacy@vonkel.nl if something seems off.",
  kind="reply")
c("linkedin", "sophie-kramer-vonkel", "nl", [],
  "We zoeken een Trust & Safety specialist in Rotterdam! Hybride, 32-40 uur. Solliciteren kan via "
  "jobs@vonkel.nl 💌")
c("mastodon", "@niels@infosec.exchange", "en", [],
  "Giving a talk at the Rotterdam security meetup next month on how dating apps can do location privacy "
  "right: fuzzing distances, rate limiting, no trilateration. Slides will be public.")
c("x", "@merel_vk", "nl", [],
  "Vrijdagmiddag, bitterballen en onze Android-app gaat eindelijk naar versie 4.20. Goed weekend allemaal 🍻")
c("x", "@rookie_dev_amy", "en", [],
  "PSA: STRIPE_SECRET_KEY=sk_live_************************ in a screenshot is fine, it's masked. Posting the "
  "actual thing is not.")
c("x", "@tante_gerda", "nl", [],
  "Wachtwoord vergeten van Vonkel, de resetmail was er binnen een minuut. Snel geregeld 👍")
c("x", "@techdigest_eu", "en", [],
  "HeartHub reports Q2 revenue up 4% with paying users flat. Dating apps across the board are struggling to "
  "grow this year.")
c("x", "@beurs_insider", "nl", [],
  "Overname in datingland: LoveLoop neemt het Belgische Klik & Klaar over voor €120 mln. Vonkel blijft "
  "zelfstandig, zei de CEO gisteren nog in de krant.")
c("x", "@marit_ux", "en", [],
  "Sending love to everyone hit by the storm damage in Rotterdam this week. The Vonkel office team is out "
  "volunteering today, so nice to see.")
c("x", "@jesse_belt", "nl", [],
  "@vonkel_help Top, net gebeld met +31 20 894 3310 en binnen 5 minuten geholpen. Zo hoort het!",
  kind="reply")
c("instagram", "@vonkel.app", "en", [],
  "Safety first 🛡️ Meet in public, tell a friend where you're going, and never send money to someone you "
  "only know online. Report suspicious profiles in the app.")
c("tiktok", "@vonkeldating", "nl", [],
  "POV: je match stuurt 'hoi' en verder helemaal niks 🙃 #datingfails #vonkel")
c("reddit", "u/happily_taken", "en", [],
  "Met my partner on Vonkel in 2024, we're moving in together next month. Deleted the app with a little "
  "ceremony lol. Thanks to whoever builds that thing.")
c("x", "@daanvissers", "nl", [],
  "Onze zomercampagne is live! Kijk maar eens omhoog op Rotterdam Centraal 😎")
c("bluesky", "@ruben-trust.bsky.social", "en", [],
  "Proud that Vonkel published its transparency report today: 48k fake accounts removed in the first half "
  "of the year. Read it at vonkel.nl/transparantie")
c("x", "@gymrat_joe", "en", [],
  "my vonkel bio is absolutely killing it, 12 matches in one day 💀🔥")
c("x", "@jorisdev_", "en", [],
  "reminder that our public API docs use `Authorization: Bearer xxxx.yyyy.zzzz` as the example token, "
  "please stop opening tickets saying it's broken 😅")
c("linkedin", "vonkel-bv", "nl", [],
  "Persvragen? Neem contact op met pers@vonkel.nl of bel +31 20 894 3310. We staan je graag te woord.")
c("threads", "@femke.werkt.bij.vonkel", "en", [],
  "Gold 1 month is €29.99 and for 'see who liked you' it's honestly worth it imo (biased, I work there 😅)")
c("facebook", "VonkelDatingNL", "nl", [],
  "Black Friday 🖤 30% korting op de Reispas: van €11,99 voor €8,39. Alleen dit weekend!")
c("x", "@chantal_xo", "en", [],
  "update: vonkel banned the guy and someone from their team called me to check in. appreciate it "
  "@vonkel_help")
c("x", "@nerdje_nick", "nl", [],
  "Kreeg een sms'je dat ik een Vonkel-prijs had gewonnen en of ik mijn kaart «BADCARD2» wilde bevestigen. "
  "Niet eens een geldig nummer en sowieso phishing. Vonkel vraagt nooit om je kaart via sms.")
c("reddit", "u/expat_in_utrecht", "en", [],
  "My bank kept rejecting the IBAN I typed for my Vonkel refund: «BADIBAN2». Turns out I'd mistyped the last "
  "digit. Sorted now, refund arrived.", kind="comment")
c("x", "@vonkel_help", "nl", [],
  "@mo_rotterdam Sorry voor het wachten! We hebben je DM beantwoord en je terugbetaling is onderweg 💛",
  kind="reply")
c("x", "@curious_kate", "en", [],
  "@vonkel_nl what's actually the difference between Plus and Gold? is Gold worth the extra?")
c("instagram", "@natuurmens_ilse", "nl", [],
  "Gisteravond voor het eerst vuurvliegjes gezien in de Biesbosch ✨ magisch gewoon")
c("linkedin", "mark-de-graaf-dev", "en", [],
  "Sad news: the whole backend team at Flitsbezorgd was let go today. I'm looking for backend roles in "
  "Rotterdam or Amsterdam. Vonkel folks, are you hiring?")
c("x", "@storingsmelder", "nl", [],
  "Storing bij een grote mobiele provider in Zuid-Holland: ook WhatsApp en Vonkel laden niet. De provider "
  "werkt aan een oplossing.")
c("mastodon", "@niels@infosec.exchange", "en", [],
  "Reminder: Vonkel will never ask for your password or a verification code by phone or DM. If someone "
  "does, it's a scam, report it.")
c("x", "@broke_bachelor", "nl", [],
  "is €89,99 voor een Plus jaarabonnement normaal? beetje prijzig maar ok, scheelt wel tov 12x een maand")
c("reddit", "u/vk_ops_bram", "nl", [],
  "Zo ziet onze config er ongeveer uit (secrets natuurlijk weggehaald): DB_PASSWORD=<redacted>, "
  "API_KEY=${VONKEL_API_KEY}. Tips voor secret rotation in k8s zijn welkom.")
c("x", "@beurs_insider", "nl", [],
  "Vonkel jaarcijfers 2026 vallen goed: 31% meer omzet en de eerste winst. Knap voor een Nederlandse app.",
  at="2027-03-05T12:02:10Z")
c("x", "@jonas_dates", "nl", [],
  "Eerlijk is eerlijk, die Profielcheck van Vonkel was die €39 wel waard. Binnen een week twee keer zoveel matches.")
c("x", "@vonkel_help", "en", [],
  "Heads-up: a phishing site called vonkel-login.com is going around. Our only domains are vonkel.nl and "
  "vonkel.com. Stay safe!")
c("forum", "Zwolsevrouw", "nl", [],
  "Update: na een nieuwe app-update zijn mijn berichten weer gewoon zichtbaar. Dus wie hetzelfde had: eerst "
  "updaten, niet opnieuw installeren!", kind="comment")
c("x", "@pieter_fin", "nl", [],
  "Wat is eigenlijk een normaal percentage voor een Vonkel Goud jaar-korting? Zag vorige maand 15% en vond "
  "dat al netjes.")
c("x", "@loes_leest", "nl", [],
  "Leuk stuk in de krant over hoe datingapps omgaan met privacy. Vonkel kwam er best goed uit, vooral de "
  "manier waarop ze je locatie vaag houden.")
# ----------------------------------------------------------------------------
# build, compute severities, write, check
# ----------------------------------------------------------------------------
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {S, PII, PR, CF, FI, SE, CR, CO, AB, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TOKEN_RE = re.compile(r"«([A-Z0-9]+)»")


def load_profile():
    with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                up("error")
                if cat in (S, PR) or (cat == PII and checksum_id):
                    up("critical")
            else:
                up("warning")
        elif cat == CO:
            up("warning")
        elif cat == CR:
            up("error")
        elif cat == AB:
            up("error" if insider else "warning")
    return sev


def random_time():
    start = datetime(2026, 1, 4, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(int(350 * 86400)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, used):
    while True:
        if platform == "x":
            i = "x-%d" % rng.randrange(10 ** 18, 2 * 10 ** 18)
        elif platform == "reddit":
            i = "reddit-t1_%s" % rnd(string.ascii_lowercase + string.digits, 7)
        elif platform == "mastodon":
            i = "mastodon-%d" % rng.randrange(10 ** 17, 10 ** 18)
        else:
            i = "%s-228%07d" % (platform, rng.randrange(10 ** 7))
        if i not in used:
            used.add(i)
            return i


def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


def scan_identifiers(text):
    """Find IBAN-, card- and BSN-shaped numbers in a text (zero-width chars removed)."""
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
        found.append(("iban", m.group(0)))
    for m in re.finditer(r"(?<![\w+])\d(?:[ .-]?\d){8,18}(?!\w)", t):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 9:
            found.append(("bsn", m.group(0)))
        elif 13 <= len(digits) <= 19:
            found.append(("card", m.group(0)))
    return found


def main():
    profile = load_profile()
    public_ibans = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
    for x in public_ibans:
        if not iban_ok(x):
            fail("public IBAN %s fails mod-97" % x)

    used_ids, seen_texts, out = set(), set(), []
    counts = {}
    for n, cs in enumerate(CASES):
        tokens = TOKEN_RE.findall(cs["text"])
        for tk in tokens:
            if tk not in V:
                fail("unknown token %s" % tk)
        text = TOKEN_RE.sub(lambda m: V[m.group(1)], cs["text"])
        cats = cs["cats"]
        positive = bool(cats)
        role = role_of(profile, cs["platform"], cs["handle"])

        # identifier checks
        checksum_id = False
        for tk in tokens:
            if tk in VALID_ID_TOKENS:
                if not positive or PII not in cats:
                    fail("case %d: valid identifier %s outside a leak.pii positive" % (n, tk))
                if not CHECKERS[VALID_ID_TOKENS[tk]](V[tk]):
                    fail("case %d: %s does not pass its checksum" % (n, tk))
                checksum_id = True
            if tk in BAD_ID_TOKENS:
                if positive:
                    fail("case %d: look-alike %s in a positive" % (n, tk))
                if CHECKERS[BAD_ID_TOKENS[tk]](V[tk]):
                    fail("case %d: look-alike %s passes its checksum" % (n, tk))
        for kind, val in scan_identifiers(text):
            ok = CHECKERS[kind](val)
            norm = re.sub(r"\s", "", val).upper()
            if positive and PII in cats and kind == "iban" and not ok:
                fail("case %d: IBAN-like %s in a pii positive fails mod-97" % (n, val))
            if not positive and ok and not (kind == "iban" and norm in public_ibans):
                fail("case %d: benign post holds a checksum-valid %s %s" % (n, kind, val))
        # credential checks
        for tk in tokens:
            v = V[tk]
            if tk.startswith(("GHP", "GHO")) and not github_ok(v):
                fail("bad github token %s" % tk)
            if tk.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                fail("bad AWS key id")
            if tk.startswith("JWT") and not jwt_ok(v):
                fail("bad JWT")
            if tk.startswith(("GHP", "GHO", "AKIA", "AWSSECRET", "STRIPE", "SLACK", "JWT", "AIZA",
                              "PEM", "ANTHROPIC", "PW")) and S not in cats:
                fail("case %d: credential token %s in a post without leak.secret" % (n, tk))
        if S in cats and not any(t.startswith(("GHP", "GHO", "AKIA", "STRIPE", "SLACK", "JWT", "AIZA",
                                               "PEM", "ANTHROPIC", "PW")) for t in tokens):
            fail("case %d: leak.secret without a generated credential" % n)

        for cat in cats:
            if cat not in TAXONOMY or cat == "reputation.spike":
                fail("case %d: bad category %s" % (n, cat))
            counts[cat] = counts.get(cat, 0) + 1
        if text in seen_texts:
            fail("case %d: duplicate text" % n)
        seen_texts.add(text)

        post = {
            "id": make_id(cs["platform"], used_ids),
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["at"] or random_time(),
        }
        if role != "public" or rng.random() < 0.5:
            post["brand"] = "Vonkel"
        sev = severity(cats, role, checksum_id)
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")

    # ---- re-read and validate against CONTRACT section 6 ----
    ids = set()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            o = json.loads(line)
            if set(o) != {"post", "expect"}:
                fail("line %d: keys" % ln)
            p, e = o["post"], o["expect"]
            for f in ("id", "platform", "text", "created_at"):
                if not isinstance(p.get(f), str):
                    fail("line %d: %s missing or not a string" % (ln, f))
            if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
                fail("line %d: bad or duplicate id" % ln)
            ids.add(p["id"])
            if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
                fail("line %d: platform/kind" % ln)
            if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
                fail("line %d: account.handle" % ln)
            if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
                fail("line %d: text size" % ln)
            try:
                datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                fail("line %d: created_at not RFC 3339" % ln)
            if not p["created_at"].startswith(("2026-", "2027-")):
                fail("line %d: created_at year" % ln)
            if e["categories"] != sorted(set(e["categories"])):
                fail("line %d: categories not sorted/distinct" % ln)
            if e["severity"] not in SEV_ORDER:
                fail("line %d: severity" % ln)
            if (not e["categories"]) != (e["severity"] == "none"):
                fail("line %d: benign/severity mismatch" % ln)
            rows.append(o)

    # ---- embargo sanity: terms before `until` only in confidential positives ----
    for o in rows:
        p, cats = o["post"], o["expect"]["categories"]
        t = datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        low = p["text"].lower()
        for emb in profile["embargo"]:
            until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            if any(term.lower() in low for term in emb["terms"]):
                if t < until and CF not in cats:
                    fail("%s: embargo term before until without leak.confidential" % p["id"])
                if t >= until and cats:
                    fail("%s: embargo term after until should be a benign case here" % p["id"])

    # ---- mix ----
    n_total = len(rows)
    n_benign = sum(1 for o in rows if not o["expect"]["categories"])
    n_nl = sum(1 for o in rows if o["post"]["lang"] == "nl")
    if not (170 <= n_total <= 180):
        fail("total %d not in 170-180" % n_total)
    if not (55 <= n_benign <= 65):
        fail("benign %d not about 60" % n_benign)
    if not (0.50 <= n_nl / n_total <= 0.60):
        fail("Dutch share %.2f" % (n_nl / n_total))
    sev_count = {}
    for o in rows:
        sev_count[o["expect"]["severity"]] = sev_count.get(o["expect"]["severity"], 0) + 1
    print("wrote %s: %d cases, %d benign, %d positive, nl %.0f%%"
          % (path, n_total, n_benign, n_total - n_benign, 100.0 * n_nl / n_total))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("severities:", json.dumps(sev_count))
    print("self-check OK")


if __name__ == "__main__":
    main()
