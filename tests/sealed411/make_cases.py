#!/usr/bin/env python3
"""Held-out evaluation set sealed411 for postwatch.

Fictional company: Kalmoor Hearing Protection B.V. (hearing protection and
custom-fitted earplugs). Hand-written posts; identifiers and credentials are
generated here with a fixed seed. Writes cases.jsonl beside this file and
checks it. Severities are derived from CONTRACT section 4 using the account
role found in profile.yaml, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(411_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
URLSAFE = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
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
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and s != 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# ---------------------------------------------------------------- generators
def gen_iban(bank="INGB", fmt="spaced"):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    if fmt == "spaced":
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_bad_iban(bank="ABNA"):
    good = gen_iban(bank, fmt="compact")
    while True:
        pos = rng.randrange(8, 18)
        bad = good[:pos] + str((int(good[pos]) + rng.randrange(1, 10)) % 10) + good[pos + 1:]
        if not iban_ok(bad):
            return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def gen_card(prefix="4", length=16, sep=" "):
    n = luhn_complete(prefix, length)
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


def gen_bad_card(prefix="54", sep=" "):
    n = luhn_complete(prefix, 16)
    last = str((int(n[-1]) + rng.randrange(1, 10)) % 10)
    bad = n[:-1] + last
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def gen_bsn(fmt="plain"):
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if last < 10:
            n = "".join(map(str, d)) + str(last)
            assert bsn_ok(n)
            break
    if fmt == "dots":
        return n[:4] + "." + n[4:6] + "." + n[6:]
    return n


def gen_bad_bsn(fmt="plain"):
    while True:
        n = "".join(str(rng.randrange(1, 10)) for _ in range(9))
        if not bsn_ok(n):
            break
    if fmt == "dots":
        return n[:4] + "." + n[4:6] + "." + n[6:]
    return n


def rand(chars, k):
    return "".join(rng.choice(chars) for _ in range(k))


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    assert gh_ok(tok)
    return tok


def gen_aws():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "+/", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "cust_%d" % rng.randrange(10000, 99999),
                               "iss": "https://auth.kalmoor.nl", "scope": "appointments:rw",
                               "iat": 1767312000, "exp": 1924992000},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return header + "." + payload + "." + sig


def gen_openssh_key(comment="rvisser@laptop"):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    priv = bytes(rng.randrange(256) for _ in range(32)) + pub
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    check = rng.randrange(2 ** 32)
    sec = struct.pack(">II", check, check) + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(comment.encode())
    pad = 1
    while len(sec) % 8:
        sec += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"") +
            struct.pack(">I", 1) + sstr(pubblob) + sstr(sec))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    words = ["Herfst", "Stilte", "Oorschelp", "Tulp", "Koffie", "Fietsbel", "Zomer"]
    return rng.choice(words) + rand(string.digits, 2) + rng.choice("!#$%&*?") + rng.choice(words).lower() + rand(string.digits, 2)


def gen_mobile(style):
    n = "6" + rand(string.digits, 8)
    if style == "dash":
        return "0" + n[:1] + "-" + n[1:]
    if style == "intl":
        return "+31 " + n[0] + " " + n[1:5] + " " + n[5:]
    if style == "pairs":
        return "06 " + " ".join(n[i:i + 2] for i in range(1, 9, 2))
    return "0" + n


# values used in the posts (drawn once, in this order)
V = {}
V["ghp"] = gen_github("ghp_")
V["aws"] = gen_aws()
V["aws_secret"] = gen_aws_secret()
V["slack"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(string.ascii_letters + string.digits, 24))
V["stripe"] = "sk_live_51" + rand(string.ascii_letters + string.digits, 97)
V["openai"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["dbpw"] = rand(string.ascii_letters + string.digits, 18)
V["sshkey"] = gen_openssh_key()
V["pw_ks"] = gen_password()
V["jwt"] = gen_jwt()
V["gmaps"] = "AIza" + rand(URLSAFE, 35)
V["glpat"] = "glpat-" + rand(URLSAFE, 20)
V["sendgrid"] = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)
V["ghs"] = gen_github("ghs_")
V["iban_refund"] = gen_iban("INGB")
V["iban_cust"] = gen_iban("ABNA", fmt="compact")
V["iban_yara"] = gen_iban("RABO")
V["card_cust"] = gen_card("4", 16, " ")
V["card_emp"] = gen_card("53", 16, "-")
V["bsn_hr"] = gen_bsn()
V["bsn_cust"] = gen_bsn("dots")
V["mob_cp1"] = gen_mobile("dash")
V["mob_pi4"] = gen_mobile("plain")
V["mob_pi11"] = gen_mobile("pairs")
V["mob_pi14"] = gen_mobile("intl")
V["bad_iban"] = gen_bad_iban("ABNA")
V["bad_card"] = gen_bad_card("54")
V["bad_bsn"] = gen_bad_bsn()
V["bad_bsn_dots"] = gen_bad_bsn("dots")
V["bad_iban2"] = gen_bad_iban("INGB")

# ---------------------------------------------------------------- the posts
CASES = []


def add(acct, lang, text, cats=(), kind="post", when=None, prices=()):
    """acct = 'platform:handle'; cats = expected categories; prices = [(sku, price)] mentioned."""
    CASES.append(dict(acct=acct, lang=lang, text=text, cats=sorted(set(cats)), kind=kind,
                      when=when, prices=list(prices)))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints (public customers)
add("x:@sanne_vlinders", "nl", "@kalmoor_help al 5 weken wachten op mijn Custom Pro. Afdruk is 'zoekgeraakt' en nu moet ik wéér naar de winkel in Amersfoort komen om opnieuw te laten afdrukken. Serieus?? 😤", [CPL], kind="reply")
add("reddit:u/lowend_larsen", "en", "PSA for anyone eyeing Kalmoor custom molds: mine fell out of my left ear every time I chewed. Sent them back for a refit, the second pair is somehow worse. Three months and €229 later I'm back to cheap foam plugs from the drugstore.", [CPL])
add("facebook:Gerda.Hofstede.71", "nl", "Kalmoor klantenservice is echt om te huilen. 4x gebeld, 3x 'we bellen u terug', nooit meer iets gehoord. Hoezo service. Mijn man loopt nu al 2 maanden zonder gehoorbescherming op de bouw", [CPL], kind="comment")
add("x:@stickwork_mila", "en", "the ER25 filters in my Custom Music whistle like a kettle whenever i turn my head near the ride cymbal. kinda defeats the purpose for a drummer?? @kalmoor_nl", [CPL])
add("instagram:@joostrijdt", "nl", "beugel van mn Shield 35 na 2 maanden gewoon doorgebroken bij t scharnier. garantie? 'valt onder slijtage' 🙄 lekker dan kalmoor", [CPL], kind="comment")
add("x:@pixelpim", "en", "ActiveSense BT drops the bluetooth connection every 10 min. the firmware update made it worse. @kalmoor_help any plans to actually fix this or do i just live with it", [CPL])
add("forum:slaaptekort_ria", "nl", "Ervaring met Kalmoor voor slaapdopjes: na 3 weken doet m'n rechteroor zeer als ik op die kant lig. Audicien zei 'even wennen'. Nu 2 maanden verder, nog steeds drukpijn, en een aanpassing kost extra want 'de afdruk was correct'. Had ik dit geweten dan had ik gewoon die wasdopjes van de drogist gekocht.", [CPL])
add("threads:@marloes.dekker", "en", "ordered Festival Plugs for my daughter's first concert, tracking says delivered, our mailbox says nope. Kalmoor says 'contact PostNL'. great, thanks, very helpful 🙃", [CPL])
add("x:@sanne_ww", "nl", "@kalmoor_nl waarom staat mijn naam verkeerd gegraveerd op de plugs?? 'Sanne' is toch niet zo moeilijk. Er staat nu SANE op 🤦‍♀️ en ik moet ze opsturen en 3 weken wachten", [CPL], kind="reply")
add("other:review_jvdb", "nl", "1 ster. Afspraak voor oorafdruk in filiaal Zwolle 2x afgezegd op de dag zelf. Twee keer vrij genomen van m'n werk voor niks. Plan je agenda beter, Kalmoor.", [CPL])
add("youtube:OutdoorDirkNL", "en", "Bought the HuntPro after watching this video. Compressor clicks on and off at random in the field and the hiss at idle is awful. For €599 I expected way better. Sending them back.", [CPL], kind="comment", prices=[("KM-HUNT", 599)])
add("mastodon:@tessel@mastodon.social", "en", "Kalmoor's refund process: you return the plugs, they 'inspect' them for six weeks, then offer store credit. Not a refund. Store credit. Never again.", [CPL])
add("x:@kees_metselt", "nl", "Kalmoor app om je afspraak te verzetten blijft al 3 dagen hangen op 'laden...'. En bellen = in de wacht als nummer 23. Ik geef het op", [CPL])
# complaint + abuse
add("x:@woedende_wim", "nl", "@kalmoor_help jullie zijn echt een stelletje kutoplichters. 189 euro voor plugs die niet passen en dan ook nog brutaal worden aan de telefoon", [CPL, ABU], kind="reply")
add("reddit:u/grumpy_gunnar", "en", "Kalmoor support are useless fucking clowns. My ActiveSense died after 3 weeks and they want ME to pay shipping to Utrecht so they can 'diagnose' it.", [CPL, ABU], kind="comment")
# complaint + personal data (customer's own phone)
add("x:@fleur_op_pad", "nl", "@kalmoor_help bestelling KM-88213 nog steeds niet binnen, 3e keer dat ik het vraag. Bel me gewoon even terug op %s want jullie lezen je DM's niet" % V["mob_cp1"], [CPL, PII], kind="reply")

# ---- first-hand safety incidents: crisis + complaint
add("x:@klusjesman_ruud", "nl", "Mijn ActiveSense 2 werd tijdens het klussen ineens gloeiend heet aan de linkerkant en ik heb nu een brandblaar achter m'n oor. Accu was helemaal opgezwollen. @kalmoor_nl wat is dit?? Foto's heb ik", [CRI, CPL])
add("reddit:u/quietnights88", "en", "Got a nasty allergic reaction from my Kalmoor sleep plugs. Both ear canals swollen shut and weeping, needed antibiotic drops from the GP. They swear the silicone is 'medical grade hypoallergenic'. Not for me it wasn't.", [CRI, CPL])
add("facebook:Ineke.vanDam", "nl", "Bij het maken van de afdruk in de Kalmoor winkel is er een stuk afdrukmateriaal in mijn oor achtergebleven. Moest naar de KNO-arts om het eruit te laten halen, trommelvlies beschadigd. Niemand van Kalmoor heeft zelfs sorry gezegd.", [CRI, CPL])
add("x:@bart_schiet", "nl", "vorige week met de HuntPro op de schietbaan, compressie sloeg bij het eerste schot gewoon niet aan. 2 dagen oorsuizen en de audioloog ziet nu een dip op 4 kHz. @kalmoor_help jullie 'directe bescherming' heeft me bijna mn gehoor gekost", [CRI, CPL])
add("instagram:@mama_van_3", "nl", "KidsGuard oorkap van mijn zoontje (4) knapte bij het opzetten, de scherpe plastic rand sneed in zijn wang. Bloed overal 😢 Echt niet oké voor een kinderproduct @kalmoor.hearing", [CRI, CPL])
add("forum:earnerd_tom", "en", "Used the Kalmoor home impression kit exactly as instructed and the putty got stuck deep in my ear canal. Spent the evening at the out-of-hours clinic having it flushed out, eardrum has a small scratch. Their video says 'safe and easy'. It isn't.", [CRI, CPL])

# ---- crisis reported by third parties / accusations
add("x:@nieuwsjunkie_030", "nl", "Volgens RTV Utrecht roept Kalmoor de ActiveSense 2 terug vanwege oververhittende accu's. Check dus even je serienummer als je er eentje hebt.", [CRI])
add("x:@wildlife_wendy", "en", "BOYCOTT KALMOOR. they're sponsoring that trophy-hunting expo in Zwolle. not buying another pair of plugs from them, pls share #boycottkalmoor", [CRI])
add("reddit:u/privacy_pieter", "nl", "Op Tweakers wordt gezegd dat er een database van Kalmoor met audiogrammen, namen en adressen van klanten online staat. Datalek dus? Heeft iemand dit al bevestigd gezien?", [CRI])
add("linkedin:mr-a-vos-advocatuur", "en", "A class action has been filed in Rotterdam against Kalmoor Hearing Protection over the HuntPro's alleged failure to block impulse noise. More than 40 hunters and sport shooters have joined so far.", [CRI])
add("x:@consument_kritisch", "nl", "Consumentenbond test: Kalmoor Shield 35 haalt nog geen SNR 27 terwijl er 35 op de doos staat. Dat is gewoon misleiding. #kalmoor", [CRI])
add("threads:@ghent_gabi", "en", "Saw the news about the kid in Ghent who got burned by a Kalmoor ActiveSense headset. Awful. Hope the family is okay.", [CRI])
add("tiktok:@insider_ongefilterd", "nl", "Oud-medewerker van Kalmoor vertelt: oorafdrukken van klanten werden hergebruikt en testdopjes niet gedesinfecteerd tussen passingen door 🤮 als dit waar is... #kalmoorgate", [CRI])
add("x:@eu_safety_watch", "en", "Dutch food & product safety authority NVWA has opened an investigation into Kalmoor after several reports of burns from ActiveSense batteries. Let's see if a recall follows.", [CRI])
add("facebook:Ahmed.Bouzid.NL", "nl", "Niet meer kopen bij Kalmoor!! Ze hebben zwangere medewerkers in het magazijn ontslagen en de ondernemingsraad buitenspel gezet. Deel dit! #boycotkalmoor", [CRI])

# ---- abuse
add("x:@h4terbert", "nl", "@kalmoor_nl kankerbedrijf, ik hoop dat jullie failliet gaan", [ABU], kind="reply")
add("x:@thatguyderek", "en", "@kalmoor_help you absolute morons, dumbest support team on the planet. go to hell", [ABU], kind="reply")
add("instagram:@d.smulders", "nl", "die femke uit de winkel in den bosch is echt een arrogante trut, kan niet eens normaal een afdruk maken", [ABU], kind="comment")
add("x:@r0tz00i", "nl", "k@lm00r = k4nk3rz00i. die hele klantenservice mag van mij de t.y.f.u.s krijgen", [ABU])
add("youtube:truth_teller_1488", "en", "lol they let some woman in a headscarf do the fitting demo?? not letting her anywhere near my ears, go back to your own country", [ABU], kind="comment")
add("tiktok:@memelord_mees", "nl", "wie is die gast in die kalmoor reclame, wat een vette sukkel ahahah, mongool met z'n oordopjes 🤡🤡", [ABU], kind="comment")
add("x:@hunter_gerrit", "nl", "@kalmoor_nl jullie zijn echte klооtzakken, weet je dat", [ABU], kind="reply")
add("reddit:u/refund_or_else", "en", "found the linkedin of the kalmoor store manager who refused my refund. gonna make her life hell, stupid cow", [ABU], kind="comment")
add("x:@bram_oorfit", "nl", "@hunter_gerrit als je te dom bent om een oordop in te doen moet je niet bij mij gaan janken, sukkel", [ABU], kind="reply")
add("x:@kalmoor_help", "en", "@marco_vdl mate, stop whining like an idiot and read the bloody manual for once", [ABU], kind="reply")

# ---- pricing
add("instagram:@kalmoor.hearing", "nl", "🎉 Alleen vandaag: de ActiveSense 2 voor €79! Op = op. Link in bio", [PRI], prices=[("KM-AS2", 79)])
add("x:@dealhunter_dave", "en", "kalmoor.nl has the HuntPro listed at €59,90 lmao, price error surely? ordered two just in case", [PRI], prices=[("KM-HUNT", 59.90)])
add("reddit:u/koopjesjager", "nl", "Prijsfout bij Kalmoor? StageMonitor IEM-2 staat op 44,90 in de webshop. Iemand al besteld en een bevestiging gehad?", [PRI], prices=[("KM-IEM2", 44.90)])
add("linkedin:noor-hendriks-kalmoor", "nl", "Oeps collega's: in de nieuwsbrief van vanochtend staat Custom Music voor €22,90 in plaats van €229. Ligt al bij 30.000 mensen in de inbox 🙈 wie zet het recht?", [PRI], prices=[("KM-CMUS", 22.90)])
add("threads:@sophie_saves", "en", "Custom Pro for €18.90 on the Kalmoor Black Friday page?? that has to be a typo. grabbing one before they notice 😂", [PRI], prices=[("KM-CPRO", 18.90)])
add("facebook:KalmoorNL", "nl", "Shield 35 Pro nu voor slechts € 14,95 — bestel direct via shop.kalmoor.nl", [PRI], prices=[("KM-SHD35", 14.95)])
add("linkedin:jeroen-smit-audiologie", "en", "Heads up dealers team: the B2B portal is showing the ActiveSense 2 BT at €34.90 per unit since last night's import. 120 units already ordered by one reseller.", [PRI], prices=[("KM-AS2BT", 34.90)])
add("x:@drummer_daan", "nl", "Lol bij Kalmoor kost een Custom Drummer nu €99?? Prijsfoutje denk ik, snel zijn mensen #prijsfout", [PRI], prices=[("KM-CDRUM", 99)])
add("facebook:Lieke.Meijer.88", "nl", "Prijsfout! StudyFocus voor 7,90 in de Kalmoor app 😍 heb er meteen 4 besteld voor mijn studiegenoten", [PRI], kind="comment", prices=[("KM-FOCUS", 7.90)])
add("x:@daanops_km", "en", "who pushed the product feed to bol?? Custom Moto showing at €19.90 there. rolling back now", [PRI], prices=[("KM-CMOTO", 19.90)])
add("tiktok:@budgetbabe_nl", "nl", "KALMOOR PRIJSFOUT 🚨 custom sleep voor €15,90 ipv 159!! link in mn bio, snel", [PRI], prices=[("KM-CSLP", 15.90), ("KM-CSLP", 159)])
add("reddit:u/parent_of_two", "en", "Is this legit? Kalmoor AquaKids for €19 on their site, they're normally 69. Looks like a pricing mistake.", [PRI], prices=[("KM-AQKID", 19), ("KM-AQKID", 69)])

# ---- confidential
add("x:@bram_oorfit", "nl", "Eerste prototypes van Project Uilenveer vandaag uit de 3D-printer in het lab. Mag er nog niks over zeggen maar 🤫🔥", [CON])
add("linkedin:noor-hendriks-kalmoor", "en", "Can't wait for you all to see Custom Sleep 2 - thinner shell, built-in white noise. Launch is still a few months out but the team is crushing it!", [CON])
add("instagram:@femke.fits.ears", "nl", "Sneak peek 👀 de KidsGuard Mini in roze en mint, vanaf het voorjaar in de winkel! #kalmoor", [CON])
add("reddit:u/sleepless_in_zeist", "en", "Friend of mine works at Kalmoor. Says they're building something called Marram, a sleep plug with active noise cancelling. Supposed to kill the Bose sleepbuds.", [CON])
add("mastodon:@rvisser@mastodon.nl", "nl", "Wie heeft de rechten op git.kalmoor.local nou weer omgegooid? Kan niet meer pushen naar de planner-repo", [CON])
add("x:@daanops_km", "en", "TIL erp.kalmoor.local takes 40 seconds to open a single order screen. send coffee ☕", [CON])
add("linkedin:sander-kuipers-kalmoor", "nl", "[KALMOOR CONFIDENTIAL] Concept nieuwe ploegendienstregeling productie Houten, graag feedback vóór vrijdag. Zie bijlage.", [CON])
add("x:@lotte_meulen", "en", "Trying ActiveSense 3 in the clinic today with a few patients 😍 the speech passthrough is SO much better than the 2", [CON])
add("x:@kalmoor_nl", "nl", "Planning lancering Operatie Slakkenhuis verschoven naar week 14. Niet extern delen!", [CON])
add("bluesky:@yara-km.bsky.social", "en", "the new macros on intranet.kalmoor.local/klantenservice/scripts make replying so much faster, whoever built that I owe you a stroopwafel", [CON])
add("x:@insider_nl", "nl", "Volgens mijn bron bij Kalmoor komt er iets groots aan: Ｐｒｏｊｅｃｔ Ｕｉｌｅｎｖｅｅｒ. Zeg niet dat je het van mij hebt 😏", [CON])
add("threads:@mo.benali", "en", "warehouse is already full of boxes labelled Mar\u200bram, can't say more 📦😶", [CON])
add("x:@bram_oorfit", "nl", "hele dag testen voor O.p.e.r.a.t.i.e S.l.a.k.k.e.n.h.u.i.s, m'n oren tuiten", [CON])
add("linkedin:jeroen-smit-audiologie", "en", "Great session with our distributors in Antwerp. Sharing one slide (it says 'uitsluitend intern' but it's fine): the roadmap with Marram and the new dealer margins.", [CON])
# confidential + financial (embargoed results before the embargo ends)
add("x:@ilsevanderwal", "nl", "Jaarcijfers 2026 zijn bijna rond. Spoiler: de omzet groeit hard maar de marge zakt naar 4%. Benieuwd wat de aandeelhouders daarvan vinden.", [CON, FIN], when="2027-01-28T21:14:00Z")
add("linkedin:noor-hendriks-kalmoor", "en", "Long nights helping finance close the FY2026 results. Without giving too much away: we beat the forecast by almost 18%, best year in the company's history.", [CON, FIN], when="2027-02-12T19:40:00Z")
# confidential + security
add("x:@daanops_km", "en", "git.kalmoor.local got hit with ransomware overnight, everything encrypted. nobody outside IT knows yet so pls keep it quiet", [CON, SCY])

# ---- financial
add("linkedin:sander-kuipers-kalmoor", "nl", "Zwaar nieuws dat ik eigenlijk nog niet mag delen: in het voorjaar verdwijnen er 35 fte bij de productie in Houten. Voor iedereen die het raakt: mijn deur staat open.", [FIN])
add("x:@ilsevanderwal", "en", "Q3 came in way below budget, -11% vs plan. board meeting tomorrow is going to be fun 😬", [FIN])
add("reddit:u/zwager_weet_alles", "nl", "Mijn zwager werkt bij Kalmoor: ze worden overgenomen door een Zweedse investeerder, de deal wordt in januari getekend. Let maar op.", [FIN])
add("linkedin:jeroen-smit-audiologie", "en", "Exciting times! Can't say much yet, but we're in the final stage of acquiring a hearing-care chain in Belgium. Due diligence wraps up next month.", [FIN])
add("threads:@mo.benali", "nl", "Gehoord in de kantine: distributiecentrum Tilburg gaat eind 2026 dicht, alles naar Houten. Nog niemand officieel verteld 😶", [FIN])
add("linkedin:kalmoor-hearing-protection", "en", "Forecast update: we now expect 2026 revenue of €41-43M, down from the €48M guidance. Finance team, please review the deck before Thursday's board call.", [FIN])
add("bluesky:@yara-km.bsky.social", "nl", "Voor het eerst in zes jaar verlies over het eerste halfjaar, -€1,2 mln hoorde ik net. Persbericht komt pas in september dus ssst", [FIN])
add("x:@onthevine_eu", "en", "Hearing from someone on the inside that Kalmoor is about to announce a big reorg, the whole customer service team gets outsourced to Portugal. Not public yet.", [FIN])
add("x:@lotte_meulen", "nl", "Fijn, tijdens het teamoverleg horen dat de helft van de Kalmoor-winkels in het noorden dicht gaat. Dat wordt solliciteren 🙃", [FIN])
add("threads:@noor.h.creates", "en", "marketing budget for next year just got cut 40% because the merger with Audiflex is eating all the cash. not announced yet but here we are", [FIN])

# ---- security (insiders)
add("x:@daanops_km", "nl", "Sinds 06:00 ligt het afsprakensysteem eruit, database corrupt na een inbraak. Klanten krijgen 'gepland onderhoud' te zien maar dat is het dus niet 🙃", [SCY])
add("mastodon:@rvisser@mastodon.nl", "en", "fun fact: on our booking API you can change the customer id in the URL and download someone else's audiogram PDF. reported it 4 months ago, still open. not my circus anymore I guess", [SCY])
add("bluesky:@yara-km.bsky.social", "nl", "Drie collega's van klantenservice zijn vorige week in een phishingmail getrapt, de mailboxen waren een dag in handen van iemand anders. Klanten weten nog van niks. Let op wat je aanklikt mensen!", [SCY])
add("x:@daanops_km", "en", "so the S3 bucket with all the 3D ear scans was public-read for like 7 weeks. just found it. locking it down now, legal is gonna freak", [SCY])
add("x:@bram_oorfit", "nl", "lab ligt al 2 dagen stil, de scanners doen niks meer sinds die 'update' van IT. vermoeden is malware. dus als je plugs later komen, daarom 🤷", [SCY])
add("bluesky:@yara-km.bsky.social", "en", "customer portal has been down since Friday and we're told to say it's 'planned maintenance'. it's not. someone got into the admin panel.", [SCY])
add("mastodon:@rvisser@mastodon.nl", "nl", "Onze webshop draait nog op een Magento-versie met een bekende RCE. Al 3x aangekaart bij management. Als iemand het vindt zijn we de klos.", [SCY])
add("x:@kalmoor_help", "en", "@annaflow Sorry! Our payment provider integration was compromised this morning and we had to shut checkout down. Please don't share this yet, we're still investigating.", [SCY], kind="reply")
add("threads:@mo.benali", "nl", "Scanners in het magazijn al de hele dag offline, het hele WMS plat door een aanval zeggen ze. We mogen niks zeggen tegen de vervoerders 🤐", [SCY])
add("linkedin:jeroen-smit-audiologie", "en", "Note to my clinic colleagues: the HuntPro firmware has a bug where anyone nearby with the companion app can switch off the compressor over Bluetooth. R&D knows, fix is months away. Careful when demoing.", [SCY])
add("x:@uitzendkracht_jay", "nl", "ik werk via een uitzendbureau bij Kalmoor en ik kan gewoon in het klantensysteem zonder wachtwoord. iedereen ziet de adressen van iedereen. lekker veilig", [SCY])
add("x:@daanops_km", "nl", "2e storing deze week op afspraak.kalmoor.nl, weer een DDoS. management wil dat het binnenskamers blijft", [SCY])

# ---- secrets
add("mastodon:@rvisser@mastodon.nl", "en", "anyone know why this fails? `git clone https://rvisser:%s@github.com/kalmoor-dev/fitting-scheduler.git` gives 403 since this morning" % V["ghp"], [SEC])
add("x:@daanops_km", "nl", "note to self want ik vergeet het steeds: backup-bucket AWS key %s secret %s" % (V["aws"], V["aws_secret"]), [SEC])
add("mastodon:@rvisser@mastodon.nl", "nl", "Slackbot ligt er weer uit. Token is %s als iemand wil kijken, ik geef het op" % V["slack"], [SEC])
add("facebook:KalmoorNL", "nl", "Test betaalkoppeling: STRIPE_SECRET_KEY=%s\n\nsorry, verkeerde venster 🙈" % V["stripe"], [SEC])
add("threads:@noor.h.creates", "en", "our intern pasted this in the public marketing channel lmao: OPENAI_API_KEY=%s" % V["openai"], [SEC])
add("linkedin:sander-kuipers-kalmoor", "nl", "Handig voor de nieuwe rapportages, koppeling met de HR-database:\n\nDATABASE_URL=postgres://hr_reporting:%s@10.14.2.7:5432/personeel\n\nWerkt als een trein." % V["dbpw"], [SEC])
add("mastodon:@rvisser@mastodon.nl", "en", "why does ssh say 'invalid format' for this key?? copied it straight from my laptop\n\n%s" % V["sshkey"], [SEC])
add("bluesky:@yara-km.bsky.social", "nl", "voor de nieuwe collega's: inloggen op het klantensysteem met gebruiker ks-team, wachtwoord: %s (niet doorvertellen haha)" % V["pw_ks"], [SEC])
add("x:@daanops_km", "en", "debugging app auth, token looks like this: %s why is exp in 2031??" % V["jwt"], [SEC])
add("x:@apk_poker", "en", "lol Kalmoor's android app has a Google Maps key hardcoded: %s took me 5 min with apktool" % V["gmaps"], [SEC])
add("reddit:u/pastebin_patrol", "nl", "Op een openbare paste stond dit, lijkt van Kalmoor te komen (repo-namen kalmoor-webshop en kalmoor-fitting erbij): %s" % V["glpat"], [SEC])
add("linkedin:noor-hendriks-kalmoor", "en", "Newsletter tool setup done ✅ (API key for reference: %s)" % V["sendgrid"], [SEC])

# ---- personal data
add("x:@kalmoor_help", "nl", "@petra_knoop Hoi Petra, je nieuwe plugs zijn verstuurd naar P. Knoop, Meidoornlaan 14, 3815 BK Amersfoort. Track & trace volgt per mail!", [PII], kind="reply")
add("x:@kalmoor_help", "en", "@jvleeuwen the €189 refund is on its way to %s (J. van Leeuwen), should land within 2-3 working days." % V["iban_refund"], [PII], kind="reply")
add("instagram:@femke.fits.ears", "nl", "Trots op deze klant! 🎧 Meneer Henk Dijkstra (geboren 02-11-1941) kreeg vandaag zijn eerste Custom Pro, op zijn 85e. Hij gaat er weer mee naar het orgelconcert!", [PII])
add("bluesky:@yara-km.bsky.social", "nl", "wie kent deze meneer? belt elke dag vanaf %s en mailt vanaf r.vermeulen82@hotmail.com, echt heel vervelend" % V["mob_pi4"], [PII])
add("linkedin:sander-kuipers-kalmoor", "en", "Welcome to the team Anouk! For IT to set up her accounts: Anouk Verbeek, BSN %s, starting 1 March in Houten." % V["bsn_hr"], [PII])
add("x:@mert_yilmaz_", "nl", "@kalmoor_help hierbij mijn rekeningnummer voor de terugbetaling: %s t.n.v. M. Yilmaz. Alvast bedankt!" % V["iban_cust"], [PII], kind="reply")
add("facebook:Chloe.Bennett.UK", "en", "@KalmoorNL hi, did my payment go through? Used card %s exp 09/28, the confirmation email never arrived." % V["card_cust"], [PII], kind="comment")
add("threads:@mo.benali", "nl", "Pakket komt steeds retour: Dhr. T. Bakker, Kerkstraat 88b, 1017 GM Amsterdam. Iemand een idee of dat adres klopt?", [PII])
add("instagram:@kalmoor.hearing", "en", "Congrats to our giveaway winner Lisa de Boer! 🎉 Lisa, we'll ship your Custom Music to Oranjelaan 3, 2012 KD Haarlem - check your DMs!", [PII])
add("bluesky:@yara-km.bsky.social", "nl", "klant wil de terugbetaling op een andere rekening: %s t.n.v. Sevda Kaya. mag dat zomaar? vraagje voor de teamleads" % V["iban_yara"], [PII])
add("facebook:KalmoorNL", "nl", "Beste meneer De Wit, we bellen u morgen terug op %s of op uw vaste nummer 010-4127795. Excuses voor het wachten." % V["mob_pi11"], [PII], kind="comment")
add("x:@lotte_meulen", "en", "Grace O'Neill (born 17 June 1958) just went to her first rock concert in 20 years with her new Custom Music plugs and asked me to share ❤️", [PII])
add("x:@werkt_bij_bouwbv", "nl", "Mijn werkgever vraagt via Kalmoor maatwerk oordoppen aan en het formulier wil mijn BSN 😳 %s ingevuld, klopt dat wel?" % V["bsn_cust"], [PII])
add("linkedin:sander-kuipers-kalmoor", "en", "Candidate for the audiology assistant role: Rachid El Idrissi, rachid.elidrissi@gmail.com, %s. Anyone in the team know him?" % V["mob_pi14"], [PII])
add("x:@ilsevanderwal", "nl", "Collega's, declaraties van de beurs graag vóór vrijdag. Wie de zakelijke creditcard heeft geleend: %s, graag de bonnetjes bij mij inleveren!" % V["card_emp"], [PII])

# ---- benign (hard negatives mostly)
B = []
add("x:@lowlands_lotte", "nl", "Gisteren op Lowlands met mijn Custom Music, wat een verschil! Alles klinkt gewoon helder, alleen zachter. Beste 229 euro ooit 🙌 #kalmoor", prices=[("KM-CMUS", 229)])
add("reddit:u/paradiddle_pete", "en", "Question for drummers: Kalmoor Custom Drummer vs generic musician filters? Worth the €259?", prices=[("KM-CDRUM", 259)])
add("x:@kalmoor_help", "nl", "Vragen over je bestelling? Mail klantenservice@kalmoor.nl of bel gratis 0800-5256 (ma-za 9-18u).")
add("linkedin:kalmoor-hearing-protection", "en", "Paying by bank transfer? Use IBAN NL93 RABO 0347 5188 26 in the name of Kalmoor Hearing Protection B.V. and put your order number in the reference.")
add("instagram:@kalmoor.hearing", "nl", "Black Friday 🖤 Custom Pro nu €151 i.p.v. €189 (-20%). Alleen t/m maandag!", prices=[("KM-CPRO", 151), ("KM-CPRO", 189)])
add("x:@tuinman_teun", "en", "Kalmoor Shield 32 for €29.95 at the hardware store this week, 25% off. decent deal for mowing the lawn", prices=[("KM-SHD32", 29.95)])
add("facebook:Marieke.Jansen.Tiel", "nl", "Onze dochter had de KidsGuard op met de kermis op Koningsdag, ze vond 'm prachtig en hield 'm de hele dag op 💕", kind="comment")
add("x:@fest_freak_tim", "en", "my ears after a 3 day festival without plugs would've been a total disaster. thank god for Festival Plugs, best €24.95 i've ever spent", prices=[("KM-FEST", 24.95)])
add("x:@joostrijdt", "nl", "Update over mijn gebroken Shield 35: Kalmoor heeft hem alsnog zonder gezeur vervangen én de verzendkosten vergoed. Netjes opgelost 👍")
add("reddit:u/audio_amir", "en", "Did you see hearing-aid maker Sonaris got hacked and lost patient records? Glad my plugs are from Kalmoor, they barely store anything beyond the ear scan.")
add("x:@muziekvriend_kees", "nl", "Veel sterkte aan iedereen bij Kalmoor na het overlijden van oprichter Henk Kalmoor. Hij heeft zoveel muzikanten hun gehoor laten behouden. 🕊️")
add("x:@kalmoor_nl", "en", "Scheduled maintenance: our webshop will be offline Sunday 02:00-04:00 CET while we upgrade our systems. Your appointments are not affected.")
add("linkedin:kalmoor-hearing-protection", "nl", "We zoeken een audiologie-assistent voor onze vestiging in Eindhoven! Reageer via werkenbij@kalmoor.nl 👂")
add("x:@cloud_carla", "en", "PSA for devs: the AWS docs key AKIAIOSFODNN7EXAMPLE shows up in half the tutorials out there. Anyway, writing up how I embedded the Kalmoor booking widget on my band's site.")
add("mastodon:@rvisser@mastodon.nl", "en", "Reminder when writing docs: use placeholders like `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` or `sk_live_****`, never paste real tokens. Our onboarding page now has a whole section on it 🙏")
add("x:@wendy_fietst", "nl", "@kalmoor_help ik denk dat ik mijn rekeningnummer verkeerd heb ingevuld bij de retour, %s klopt niet toch? Kunnen jullie het aanpassen?" % V["bad_iban"], kind="reply")
add("x:@puzzled_pat", "en", "my order confirmation says the reference is %s?? looks like a card number lol, is that normal @kalmoor_help" % V["bad_card"])
add("facebook:Hanneke.Vos.Delft", "nl", "Bij Kalmoor kreeg ik klantnummer %s en m'n plugs waren binnen 10 dagen klaar. Snelle service!" % V["bad_bsn"], kind="comment")
add("x:@kalmoor_nl", "nl", "Onze jaarcijfers 2026 staan online: omzet +9%, drie nieuwe vestigingen en 40.000 paar maatwerk-oordoppen gemaakt. Lees het verslag op kalmoor.nl/investors", when="2027-03-02T08:00:00Z")
add("instagram:@kalmoor.hearing", "en", "It's here! 🌙 Custom Sleep 2 is now available in all our stores. Thinner, softer, quieter.", when="2027-04-10T09:30:00Z")
add("linkedin:noor-hendriks-kalmoor", "nl", "Wat een week: de lancering van ActiveSense 3 én KidsGuard Mini tegelijk. Trots op het hele team!", when="2027-04-15T16:05:00Z")
add("x:@sendit_sam", "en", "ngl that kalmoor ad with the drummer going full send is sick 🔥🔥")
add("x:@snurkvrij", "nl", "Mijn vriend zegt dat ik altijd al selectief doof was. Sinds ik Kalmoor slaapdopjes heb is het officieel 😂")
add("threads:@studyhard_noa", "en", "Does Kalmoor do student discounts on StudyFocus? exams in 3 weeks and the library is a zoo")
add("x:@twijfelaar_tom", "nl", "Iemand ervaring met bellen naar +31 30 799 4210? Wil weten of ik mijn afdruk bij een andere vestiging kan laten maken.")
add("reddit:u/industry_watcher", "en", "Big news in the hearing space: Oorwerk Groep acquired Stiltehuys for a rumoured €30M. Wonder if Kalmoor ends up on someone's shopping list, they seem to be doing well.")
add("x:@bram_oorfit", "nl", "Vandaag de 10.000e Custom Moto uit het lab gehaald 🏍️ wat een mijlpaal!")
add("linkedin:jeroen-smit-audiologie", "en", "Five years as an audiologist at Kalmoor today. Still love seeing people's faces when they try their first custom pair. 💙")
add("x:@nachtbraker_nel", "nl", "Als mijn buurman nog één keer om 3 uur 's nachts gaat boren span ik een rechtszaak aan. Voorlopig redden de Kalmoor SoftFoam me 😴")
add("x:@sleepy_sid", "en", "can't recall the last time I slept through the night before I got the Custom Sleep. 10/10")
add("reddit:u/veilig_vincent", "nl", "Tip: zet bij je Kalmoor-account tweestapsverificatie aan, kan sinds kort in de app. Fijn dat ze security serieus nemen.")
add("x:@kalmoor_help", "en", "@noisy_nina So sorry to hear that! Could you DM us your order number? We'll get a replacement pair out to you right away.", kind="reply")
add("x:@kalmoor_help", "nl", "@fest_freak_tim Wat vervelend! Stuur ons even een DM met je ordernummer, dan zoeken we het meteen uit.", kind="reply")
add("x:@thrash_tony", "en", "these plugs are fucking brilliant. went to a Slayer tribute show and my ears are totally fine. @kalmoor_nl you legends")
add("x:@neonnina", "nl", "Die nieuwe kleuren van de Festival Plugs zijn echt ziek 🤩 neon groen pls")
add("x:@foo_fan_fenna", "en", "Kalmoor Custom Music + a killer Foo Fighters show = zero ringing the next day. science.")
add("x:@handige_harrie", "nl", "Die föhns van Blazr worden teruggeroepen las ik. Ondertussen gebruik ik mijn Kalmoor Shield 32 al 6 jaar, onverwoestbaar ding.")
add("linkedin:ellen-bouwveilig", "en", "Great talk by Kalmoor's audiologist at the Noise at Work conference today on hearing protection in construction. Lots of practical tips.")
add("instagram:@zwemjuf_esther", "nl", "Zijn de AquaKids ook geschikt voor kinderen met buisjes? Onze KNO-arts zei dat zwemmen zonder bescherming geen optie is", kind="comment")
add("x:@duckhunter_nl", "en", "Paid €599 for the HuntPro. pricey, but after a season of duck hunting I'm convinced. ears fine, still hear the dogs fine.", prices=[("KM-HUNT", 599)])
add("x:@koopjes_kim", "nl", "Prijsfout gezien bij een elektronicazaak vanochtend (OLED tv voor 199 lol), al weg natuurlijk. Mijn Kalmoor WorkBand heb ik wél gewoon voor de volle prijs gekocht haha")
add("x:@daanops_km", "nl", "Vrijdagmiddagborrel bij Kalmoor IT 🍻 eindelijk weekend")
add("x:@wedding_wanda", "en", "confidential to all my friends: bring earplugs to the wedding, the DJ is my uncle and he does NOT believe in volume limits (Kalmoor Festival Plugs, thank me later)")
add("forum:metaalman_gijs", "nl", "Review na 1 jaar Custom Pro: past nog steeds perfect, 1x per maand schoonmaken met CleanCare. Demping is prima, op het werk (metaalbewerking) ruim voldoende. Enige minpuntje: het doosje is wat klein. 4/5")
add("x:@saving_sara", "en", "Kalmoor summer sale: ActiveSense 2 down to €199 (almost 30% off). anyone know if the BT version goes on sale too?", prices=[("KM-AS2", 199)])
add("x:@slaapwel_sofie", "nl", "Net de Custom Sleep 2 laten aanmeten, ben benieuwd! Zou 3 weken duren.", when="2027-04-20T14:22:00Z")
add("x:@jwt_janne", "en", "Writing a blog on JWT basics. That header everyone pastes, eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9, is just {\"alg\":\"HS256\",\"typ\":\"JWT\"} base64'd, nothing secret about it.")
add("instagram:@femke.fits.ears", "nl", "Zaterdag open dag in onze winkel in Den Bosch! Gratis gehoortest en 15% korting op Custom Swim 🏊")
add("x:@bassist_bo", "en", "no sound leaks at all with the StageMonitor IEM-2, finally my bandmates can't hear my click track 😅")
add("x:@piepje_2015", "nl", "Concert zonder oordoppen is echt gevaarlijk voor je gehoor mensen. Ik heb zelf een piep overgehouden aan een concert in 2015. Sindsdien altijd Kalmoor in m'n zak.")
add("reddit:u/smallears_sam", "en", "Switched from Loop to Kalmoor Festival Plugs and honestly they're similar, Kalmoor fits my small ears a bit better.")
add("tiktok:@kalmoor_official", "nl", "POV: je hoort eindelijk je eigen gedachten weer op de bouwplaats 🏗️ #Shield35 #gehoorbescherming")
add("youtube:KalmoorHearing", "en", "New video: how to clean your custom plugs in 60 seconds. Questions? hello@kalmoor.com")
add("x:@groenegerda", "nl", "Heb mijn oude Custom Pro ingeleverd voor recycling bij Kalmoor, krijg 10% korting op een nieuwe. Goed initiatief ♻️")
add("x:@forgetful_fred", "en", "me: forgets my Kalmoor account password for the 4th time. the reset mail came in 10 seconds though, nice")
add("x:@lokaal_lars", "nl", "Iedereen roept boycot tegen die fast-fashion winkels, prima. Mijn tip: koop lokaal, mijn oordoppen komen van Kalmoor uit Houten 🇳🇱")
add("facebook:KalmoorNL", "nl", "Onze gedachten zijn bij iedereen die getroffen is door het hoogwater in Limburg. In onze winkel in Maastricht zamelen we deze week spullen in 💙")
add("x:@bouwvakker_bas", "nl", "Moest op m'n werk een formulier invullen voor gehoorbescherming via Kalmoor, personeelsnummer %s en klaar. Binnen 2 weken m'n plugs." % V["bad_bsn_dots"])
add("x:@fin_follower", "en", "Kalmoor's FY2026 results are out, revenue up 9%. Nice to see a Dutch hearing-protection firm doing well.", when="2027-02-26T10:15:00Z")
add("x:@ibanfout_ivo", "nl", "Kalmoor stuurde netjes een mail dat mijn IBAN %s niet klopt (typfout, oeps). Nu goed ingevuld, geld staat erop." % V["bad_iban2"])

# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

RANK = ["none", "info", "warning", "error", "critical"]
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d\b")
CARD_RE = re.compile(r"(?<![\w.,/+=-])\d(?:[ -]?\d){12,18}(?![\w/+=])")
BSN_RE = re.compile(r"(?<![\w.,+/=-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\w/+=])")
OWN_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checked_ids(text):
    """(kind, raw, valid) for every IBAN / card / BSN shaped number in the text."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(role, cats, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii" and any(v and re.sub(r"\s", "", raw) not in OWN_IBANS
                                         for _, raw, v in checked_ids(text)):
                up("critical")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if inside else "warning")
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 360 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    platform, handle = c["acct"].split(":", 1)
    role = ROLE.get(c["acct"].lower(), "public")
    pid = "%s-km411-%03d" % (platform, n)
    post = {"id": pid, "platform": platform, "kind": c["kind"],
            "account": {"handle": handle}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"] or rand_time()}
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), 1870000000000000000 + rng.randrange(10 ** 15))
    if n % 3 == 0:
        post["brand"] = "kalmoor"
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(role, c["cats"], c["text"])},
                  "_meta": c})

# ---------------------------------------------------------------- self-checks
errors = []


def err(case, msg):
    errors.append("%s: %s" % (case["post"]["id"], msg))


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
CYR = str.maketrans("аеорсухіАЕОРСХВМНКТ", "aeopcyxiAEOPCXBMHKT")


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(ZW).translate(CYR).lower()
    t = re.sub(r"(?<=\w)\.(?=\w\b|\w\.)", "", t)  # u.n.d.o dotted letters
    return t


conf_terms = ([d.lower() for d in PROFILE["internal"]["domains"]] +
              [c.lower() for c in PROFILE["internal"]["codenames"]] +
              [m.lower() for m in PROFILE["internal"]["markers"]])
embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
public_handles = set()
seen_ids = set()
rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# profile sanity
for i in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(i):
        errors.append("profile IBAN fails mod-97: " + i)
if not (15 <= len(PROFILE["products"]) <= 25):
    errors.append("profile product count")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile account counts")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        errors.append("embargo until not in 2027")

for L in lines:
    p, exp, meta = L["post"], L["expect"], L["_meta"]
    text, cats = p["text"], exp["categories"]
    # CONTRACT section 6 shape
    if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in seen_ids:
        err(L, "bad or duplicate id")
    seen_ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(L, "platform")
    if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
        err(L, "kind")
    if not isinstance(p["account"]["handle"], str) or not p["account"]["handle"]:
        err(L, "handle")
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        err(L, "text")
    if not rfc3339.match(p["created_at"]):
        err(L, "created_at")
    if not p["created_at"].startswith(("2026", "2027")):
        err(L, "created_at year")
    if not set(cats) <= CATS or cats != sorted(cats):
        err(L, "categories")
    if exp["severity"] not in RANK:
        err(L, "severity")
    if (not cats) != (exp["severity"] == "none"):
        err(L, "benign/severity mismatch")
    role = ROLE.get(meta["acct"].lower(), "public")
    if role == "public":
        public_handles.add(meta["acct"].lower())
    # checksummed identifiers
    ids = checked_ids(text)
    for kind, raw, valid in ids:
        own = kind == "iban" and re.sub(r"\s", "", raw) in OWN_IBANS
        if cats and not valid:
            err(L, "positive holds a %s that fails its checksum: %s" % (kind, raw))
        if not cats and valid and not own:
            err(L, "benign holds a valid %s: %s" % (kind, raw))
    if "leak.pii" not in cats and any(v and not (k == "iban" and re.sub(r"\s", "", r) in OWN_IBANS)
                                      for k, r, v in ids):
        err(L, "valid identifier without leak.pii")
    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if cats and not gh_ok(tok):
            err(L, "github token with bad crc")
        if not cats and gh_ok(tok):
            err(L, "benign holds a valid github token")
    for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if not cats and not key.endswith("EXAMPLE"):
            err(L, "benign holds an AWS key")
        if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", key):
            err(L, "bad AWS key")
    for jwt in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
        head = json.loads(base64.urlsafe_b64decode(jwt.split(".")[0] + "==="))
        if "alg" not in head:
            err(L, "jwt header without alg")
        if not cats:
            err(L, "benign holds a JWT")
    if not cats and re.search(r"PRIVATE KEY-----|sk_live_[0-9A-Za-z]{20}|xox[bap]-\d|glpat-|AIza[\w-]{30}|SG\.[\w-]{20}|wachtwoord\s*:", text):
        err(L, "benign holds a credential")
    if "leak.secret" in cats and not re.search(r"gh[ps]_|AKIA|PRIVATE KEY|sk_live_|sk-proj-|xoxb-|eyJ|AIza|glpat-|SG\.|wachtwoord:|://[^/\s:]+:[^@\s]+@", text):
        err(L, "secret case without a credential")
    # confidential terms
    nt = norm(text)
    hit = [t for t in conf_terms if t in nt]
    for term, until in embargo:
        if term in nt and p["created_at"] < until.replace("+00:00", "Z"):
            hit.append(term)
    if hit and "leak.confidential" not in cats:
        err(L, "confidential term %s without leak.confidential" % hit)
    if "leak.confidential" in cats and not hit:
        err(L, "leak.confidential without a confidential term")
    for term, until in embargo:
        if term in nt and p["created_at"] >= until and cats:
            err(L, "post-embargo case should be benign here")
    # prices
    for sku, price in meta["prices"]:
        r = price / products[sku]["list_price"]
        if "leak.pricing" in cats and r >= 1:
            pass
        if not cats and r < 0.7:
            err(L, "benign price too low (%s %.2f)" % (sku, price))
        if "leak.pricing" in cats and price < products[sku]["list_price"] and r >= ratio:
            err(L, "pricing case not below ratio")
    if "leak.pricing" in cats:
        low = [1 for s, pr in meta["prices"] if pr / products[s]["list_price"] < ratio]
        if not low:
            err(L, "pricing case without low price")
    if meta["prices"]:
        for s, pr in meta["prices"]:
            txt_price = ("%.2f" % pr).replace(".00", "")
            variants = {txt_price, txt_price.replace(".", ","), str(int(pr)) if pr == int(pr) else txt_price}
            if not any(v in text for v in variants):
                err(L, "annotated price %s not in text" % pr)
        for s, _ in meta["prices"]:
            al = [products[s]["name"]] + products[s]["aliases"]
            if not any(a.lower() in text.lower() for a in al):
                err(L, "annotated product %s not in text" % s)

for h in public_handles:
    if h in ROLE:
        errors.append("public handle in profile: " + h)

n_total = len(lines)
n_benign = sum(1 for L in lines if not L["expect"]["categories"])
if not (170 <= n_total <= 180):
    errors.append("case count %d" % n_total)

# write
with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for L in lines:
        f.write(json.dumps({"post": L["post"], "expect": L["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        o = json.loads(line)
        if set(o) != {"post", "expect"}:
            errors.append("line %d keys" % i)
        for k in ("id", "platform", "account", "text", "created_at"):
            if k not in o["post"]:
                errors.append("line %d missing %s" % (i, k))

if "-v" in sys.argv or errors:
    from collections import Counter
    cc = Counter(c for L in lines for c in L["expect"]["categories"])
    print("cases", n_total, "benign", n_benign, dict(cc))
    print("langs", Counter(L["post"]["lang"] for L in lines))
    print("roles", Counter(ROLE.get(L["_meta"]["acct"].lower(), "public") for L in lines))
    print("sev", Counter(L["expect"]["severity"] for L in lines))

if errors:
    print("SELF-CHECK FAILED")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("ok: %d cases, %d benign" % (n_total, n_benign))
