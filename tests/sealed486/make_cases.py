#!/usr/bin/env python3
"""Build the labelled evaluation set sealed486 (Hazelbeek IJsmakerij, ice cream parlours).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and checks it: checksums of identifiers, secret formats, CONTRACT section 6 shape,
and severities computed from the account role in profile.yaml (CONTRACT section 4).
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
SEED = 486
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(bank, digits):
    bban = bank + digits
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def luhn_complete(prefix_digits):
    for last in "0123456789":
        if luhn_ok(prefix_digits + last):
            return prefix_digits + last
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

# ---------------------------------------------------------------- generators

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def gen_iban():
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"])
    v = iban_make(bank, rand(string.digits, 10))
    assert iban_ok(v)
    return group4(v) if rng.random() < 0.6 else v


def gen_bad_iban():
    while True:
        v = gen_iban().replace(" ", "")
        ck = int(v[2:4])
        bad = v[:2] + "%02d" % ((ck + rng.randint(1, 9)) % 97 or 3) + v[4:]
        if not iban_ok(bad):
            return group4(bad)


def gen_card():
    kind = rng.choice(["visa", "mc", "amex"])
    if kind == "amex":
        num = luhn_complete(rng.choice(["34", "37"]) + rand(string.digits, 12))
        out = num[:4] + " " + num[4:10] + " " + num[10:]
    else:
        first = "4" if kind == "visa" else "5" + rng.choice("12345")
        num = luhn_complete(first + rand(string.digits, 15 - len(first)))
        out = group4(num)
    assert luhn_ok(out)
    return out


def gen_bad_card():
    while True:
        good = re.sub(r"\D", "", gen_card())
        bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        if not luhn_ok(bad):
            return group4(bad)


def gen_bsn():
    while True:
        d = rand(string.digits, 8)
        if d[0] == "0":
            continue
        tot = sum(int(d[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            v = d + str(last)
            assert bsn_ok(v)
            return v


def gen_bad_bsn():
    while True:
        v = gen_bsn()
        bad = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
        if not bsn_ok(bad):
            return bad


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    body = b64u(json.dumps({"sub": "hbm_%d" % rng.randint(10000, 99999), "role": "staff",
                            "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def gen_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_pw():
    return (rand(string.ascii_uppercase, 1) + rand(string.ascii_lowercase, 5) + rand("!#$%&*?", 1)
            + rand(string.digits, 4) + rand(ALNUM, 3))


GEN = {
    "IBAN": gen_iban, "BADIBAN": gen_bad_iban, "CARD": gen_card, "BADCARD": gen_bad_card,
    "BSN": gen_bsn, "BADBSN": gen_bad_bsn, "GHP": gen_ghp, "AWSID": gen_aws_id,
    "AWSSECRET": gen_aws_secret, "JWT": gen_jwt, "PEM": gen_pem, "PW": gen_pw,
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "SLACK": lambda: "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74),
    "STRIPE": lambda: "sk_live_" + rand(ALNUM, 24),
}
TOKEN = re.compile(r"<<([A-Z]+)>>")

# ---------------------------------------------------------------- cases

CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
CASES = []


def c(platform, handle, lang, cats, text, when=None, kind=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=[CAT[x] for x in cats.split(",") if x], text=text, when=when, kind=kind))


# ---- complaints -------------------------------------------------------------
c("x", "@sjoerd_eet", "nl", "CO",
  "3 kwartier in de rij gestaan bij Hazelbeek op de Oudegracht en dan is de pistache op. Om 15:00. Op een zaterdag in juli. Serieus? 🙄",
  when="2026-07-18T13:12:40Z")
c("instagram", "@lena.travels.nl", "en", "CO",
  "ordered the Proeverijbox for my sister's bday via bestel.hazelbeek.nl and it arrived as 4 tubs of soup. dry ice? never heard of it apparently. €32 down the drain @hazelbeek.ijs")
c("facebook", "karin.smulders.75", "nl", "CO",
  "Vorige week een IJstaart Feest besteld voor de communie van onze zoon. Verkeerde naam erop (Tijs i.p.v. Thijs) en de marsepeinen bloemetjes ontbraken gewoon. Mailtje gestuurd, na 6 dagen nog steeds geen reactie. Jammer hoor, we kwamen al jaren bij Hazelbeek.")
c("x", "@mdejongh", "en", "CO",
  "@hazelbeek_help your ijs-abo charged me twice this month AND the app still says 'geen actief abonnement'. sort it out pls")
c("x", "@fleurtjuh_", "en", "CO",
  "swear the scoops at hazelbeek shrink every year. €3.20 for a marble 😤 #hazelbeek #icecream")
c("reddit", "u/throwaway_gelato", "en", "CO",
  "Hazelbeek Amsterdam-Oost: Google says open 12-22. Showed up at 8pm with two tired kids and the shutter was down. No note on the door, nothing on their insta. Third time this summer. Why even list opening hours?")
c("tiktok", "@jessyyy.x", "en", "CO",
  "guy at hazelbeek rotterdam was literally scrolling his phone while 10 of us waited. after 5 min he goes 'break' and walks off. amazing service guys 👏👏")
c("forum", "CoolDad1978", "en", "CO",
  "Booked the Hazelbeek ice cream cart for our company summer party (full day, 695 euros!) and it turned up two hours late with half the flavours missing. Their answer: a 10% voucher. Sorry, not acceptable for a booking that size.")
c("x", "@rmeijers", "nl", "CO",
  "Gelato Pro thuismachine na 3 weken kapot, motor draait wel maar de kom wordt niet meer koud. Garantieaanvraag loopt al een maand. @hazelbeek_help waar blijft mijn vervangende machine??")
c("threads", "@ollie.bakes", "en", "CO",
  "is it just me or has the vegan hazelnoot pint from hazelbeek gone super icy lately?? crystals everywhere, tastes like the back of a freezer. used to be my fave, what did you change 😞")
c("instagram", "@annavdl", "nl", "CO",
  "Workshop IJs Maken geboekt bij Hazelbeek voor mijn vriendinnen. Bleek een demo van 20 minuten waarbij wij alleen mochten kijken. €49,50 p.p. en we hebben zelf geen lepel aangeraakt. Afzetterij 👎")
c("bluesky", "@pietjanssen.bsky.social", "en", "CO",
  "Hazelbeek delivery: ordered 19:02, 'within 45 min'. 21:10 and still nothing. Customer service line goes to voicemail after 10 minutes of hold music. Dessert is now breakfast, apparently.")
c("x", "@gerdahuisman", "nl", "P,CO",
  "@hazelbeek_help ik wacht al 2 weken op mijn terugbetaling van die ingezakte ijstaart. Bel me gewoon even terug: 06-41 83 27 90, ik ben na 17u thuis")
c("facebook", "tom.harkema.uk", "en", "P,CO",
  "Still no refund for the workshop YOU cancelled. Email me at tom.harkema82@gmail.com since your chat keeps closing on me. Hazelbeek, this is getting ridiculous.")
c("x", "@d3nnis_010", "nl", "A,CO",
  "hazelbeek jullie zijn echt een stelletje oplichters, 11 euro voor een pint die halfvol zit met lucht. kankerbedrijf")
c("x", "@moniquevdberg", "nl", "CR,CO",
  "Mijn dochter (7) kreeg binnen 10 minuten na een bolletje 'vanille' bij Hazelbeek Haarlem dikke lippen en moest naar de huisartsenpost. Ze heeft een notenallergie en we hadden het NOG gevraagd aan de balie. Er zat dus hazelnoot in. Ik ben woedend.")
c("reddit", "u/pete_in_nl", "en", "CR,CO",
  "My Hazelbeek Gelato Pro literally started smoking and the power cord melted halfway through a batch. Breaker tripped, kitchen stinks of burnt plastic. Glad I was standing right next to it. Anyone else had this??")
c("facebook", "sanne.kuipers.1", "nl", "CR,CO",
  "Stukje glas gevonden in mijn Zoute Karamel pint van Hazelbeek. Had het bijna doorgeslikt, mijn tandvlees bloedt nog steeds. Foto's en de beker bewaard. Wat gaan jullie hieraan doen??")
c("x", "@jrwilliams", "en", "CR,CO",
  "whole family sick since sunday after the mango sorbet from hazelbeek's Delft shop. vomiting, fever, my youngest is on a drip now. GGD has been told. @hazelbeek_help you need to check that shop")
c("tiktok", "@kimmie.vlogt", "nl", "CR,CO",
  "deel 2: mijn hand zit dus in het verband want de Gelato Pro gaf me een flinke schok toen ik de kom eruit haalde 😭⚡ hij stond gewoon aan het stopcontact zoals in de handleiding. hazelbeek wat verkopen jullie")

# ---- crisis (third party, recalls, boycott, lawsuits, breach claims) ---------
c("x", "@nieuwsflits_utr", "nl", "CR",
  "NVWA sluit ijssalon Hazelbeek in Utrecht-centrum na vondst van listeria in de vitrine. Wie afgelopen week daar ijs kocht wordt gevraagd alert te zijn op klachten.")
c("x", "@foodsafetywatch", "en", "CR",
  "RECALL ⚠️ Hazelbeek Madagaskar Vanille pint, batch L2611 (best before 09-2026): possible Salmonella. Do not eat, return it to the shop for a refund.")
c("x", "@boycotjoost", "nl", "CR",
  "Hazelbeek laat scheppers van 16 in de zomer 12 uur achter elkaar werken, onder het minimumjeugdloon. Daar koop ik dus geen ijs meer. Delen!! #boycotHazelbeek")
c("reddit", "u/privacynerd", "en", "CR",
  "Pretty sure Hazelbeek's loyalty app leaked its customer database. Got a phishing SMS with my full name and the exact flavour I ordered last Tuesday. Nobody else has that combo. Anyone else getting these?")
c("forum", "rechtspraakvolger", "nl", "CR",
  "Twaalf franchisenemers slepen Hazelbeek IJsmakerij voor de rechter vanwege 'wurgcontracten' en verplichte inkoop tegen woekerprijzen. De zaak dient in oktober bij de rechtbank Midden-Nederland.")
c("instagram", "@veganvoices", "en", "CR",
  "Hazelbeek sells its 'Vegan Hazelnoot' as 100% plant-based. The lab we paid to test three tubs found milk protein in all of them. People with a milk allergy trusted that label. This is a scandal. 🧵👇")
c("x", "@tante_ria_zegt", "nl", "CR",
  "Buurvrouw d'r kleinzoon is gisteren onwel geworden na een ijsje van de Hazelbeek-kar op de kermis in Boxtel, ambulance erbij en alles. Vreselijk. Hopelijk valt het mee met dat ventje 🙏")
c("x", "@dutchnewsbits", "en", "CR",
  "Breaking: fire at the Hazelbeek production kitchen in Nieuwegein this morning, three employees treated for smoke inhalation. Cause not yet known.")
c("facebook", "ouderraad.deregenboog", "nl", "CR",
  "Bericht van de ouderraad: na het schoolfeest van vrijdag zijn 14 kinderen ziek geworden. Het enige dat ze allemaal gegeten hebben is de ijstaart van Hazelbeek. De GGD is ingeschakeld, we houden jullie op de hoogte.")
c("x", "@consumentjan", "en", "CR",
  "Hazelbeek receipts print the customer's FULL card number. How is that not a data breach?! Has anyone reported this to the Dutch DPA yet?")

# ---- confidential ------------------------------------------------------------
c("x", "@marloes_ijs", "nl", "C",
  "Vandaag proefsessie gehad voor Project Sneeuwuil 🤫 mag er niks over zeggen maar die zwarte sesam is ZIEK goed")
c("instagram", "@chef.yusuf.hb", "nl", "C",
  "Testbatch #14 voor de nieuwe wintersmaak. Yuzu Sneeuw komt eraan 😏🍋 #ijsmaker #comingsoon",
  when="2026-11-20T16:45:00Z")
c("tiktok", "@bram.schept.ijs", "nl", "C",
  "pov: je loopt per ongeluk de testkeuken in en ziet de Mochi Matcha Royale al klaarstaan 👀🍵 #ijs #fyp",
  when="2026-12-03T18:20:11Z")
c("linkedin", "ruben-de-wit-hb", "en", "C",
  "So proud of the team that has been grinding on Operatie Wafelijzer these past months. More news soon, but I can already say: this is going to be big.")
c("x", "@daanvermeer_hb", "nl", "C",
  "wie heeft de kassa-export weer op https://wiki.hazelbeek.local/finance/export-2026 gezet zonder rechten lol")
c("bluesky", "@evi-dev.bsky.social", "en", "C",
  "is anyone else's pipeline on gitlab.hazelbeek.nl stuck on 'pending' since lunch or is it just me")
c("threads", "@lotte.hazelbeek", "nl", "C",
  "Sneak peek van de zomercampagne 2027 🙈 slide staat nog op HB-INTERN maar ik kon echt niet wachten")
c("x", "@noor_schept", "nl", "C",
  "kreeg net een mail met 'hazelbeek vertrouwelijk: nieuwe schepnormen 2027' en de bolletjes worden dus 5 gram lichter 😬")
c("reddit", "u/ijsliefhebber", "en", "C",
  "A friend who works at Hazelbeek says they're launching some matcha mochi thing in January, 'Mochi Matcha Royale' or similar. Anyone heard more?",
  when="2026-12-10T21:04:33Z")
c("x", "@leakhunter_nl", "en", "C",
  "Someone dropped Hazelbeek's internal planning deck in a Discord. Front page: 'Project Sneeuwuil - launch wave 1: 14 stores'. Looks legit tbh.")
c("x", "@marloes_ijs", "nl", "C",
  "\uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff33\uff4e\uff45\uff45\uff55\uff57\uff55\uff49\uff4c gaat echt alles veranderen, geloof me nou maar 😎")
c("instagram", "@chef.yusuf.hb", "nl", "C",
  "Yuzu Sn\u0435\u0435uw bijna perfect 🍋❄️ nog één keer bijstellen (ssst)",
  when="2026-12-18T10:02:17Z")
c("tiktok", "@bram.schept.ijs", "en", "C",
  "not allowed to say anything about O.p.e.r.a.t.i.e W.a.f.e.l.i.j.z.e.r but trust me you're gonna love it 🧇🍦")
c("facebook", "HazelbeekIJsmakerij", "nl", "C",
  "Beste franchisenemers, de nieuwe receptuur staat klaar op intranet.hazelbeek.local/recepten/2027 - graag vóór vrijdag doornemen met jullie ijsmakers.")
c("linkedin", "ingrid-kooistra-hazelbeek", "en", "C",
  "Great session with the board on Nimbusbol today. Exciting times ahead for Hazelbeek, can't say more yet!")
c("x", "@daanvermeer_hb", "nl", "C,F",
  "jaarcijfers 2026 net intern gepresenteerd: omzet +23%, nettowinst verdubbeld 🚀 kan niet wachten tot het 4 maart naar buiten mag",
  when="2027-02-22T15:31:09Z")
c("linkedin", "ingrid-kooistra-hazelbeek", "en", "C,F",
  "Closing the books on our FY2026 results: first year ever above €40M revenue and EBITDA margin up 3 points. Board signed off today, announcement follows early March.",
  when="2027-02-10T17:48:00Z")
c("x", "@daanvermeer_hb", "nl", "C,SEC",
  "kassa-beheer.hazelbeek.nl ligt al de hele middag op zn gat, alle filialen kunnen alleen nog contant afrekenen. we mogen het nog niet tegen klanten zeggen")

# ---- financial ---------------------------------------------------------------
c("linkedin", "ingrid-kooistra-hazelbeek", "nl", "F",
  "Q3 was zwaar: omzet 11% onder budget door de natste zomer in jaren. De verwachting voor heel 2026 stellen we bij naar €36 miljoen. Dit gaat pas in november naar buiten, maar ik wil het team alvast bedanken voor hun inzet.",
  when="2026-10-07T08:15:00Z")
c("x", "@noor_schept", "nl", "F",
  "hoorde net op de zaak dat er na de zomer 9 filialen dichtgaan, die van ons in Zeist ook. en niemand weet het nog 😢")
c("linkedin", "ruben-de-wit-hb", "en", "F",
  "Difficult weeks ahead. Once the reorganisation plan is signed off next month we will be letting go of roughly 60 colleagues in the central kitchen. HR will be there for every one of them.")
c("x", "@daanvermeer_hb", "nl", "F",
  "due diligence team van Frostline Group zit al de hele week bij ons op kantoor. overname rond voor de kerst volgens de wandelgangen 👀")
c("reddit", "u/franchise_insider", "en", "F",
  "Heard from two Hazelbeek franchisees that the owners are in talks to sell a majority stake to a private-equity fund. Deal expected in Q1. Nothing public yet.")
c("linkedin", "hazelbeek-ijsmakerij", "en", "F",
  "Internal update for managers: H1 EBITDA came in at €2.1M against a €3.4M plan. Please do not share before the half-year report is out.")
c("threads", "@lotte.hazelbeek", "en", "F",
  "2027 marketing budget cut in half bc we're not going to meet the bank covenants 🫠 so that gorgeous campaign is going straight in the bin")
c("tiktok", "@bram.schept.ijs", "en", "F",
  "storytime: boss tells us we're merging with that gelato chain from Antwerp next year, 'but don't tell anyone' 😂 whoops")
c("x", "@marketmole", "en", "F",
  "Source inside Hazelbeek: Q2 like-for-like sales down 14%, management weighing closure of all Belgian shops. None of this has been published.")
c("mastodon", "@kvandam@mastodon.nl", "en", "F",
  "Just saw the 2027 forecast. We're heading for a loss, first time in ten years. The board doesn't want to say so until spring.")

# ---- security ----------------------------------------------------------------
c("x", "@daanvermeer_hb", "nl", "SEC",
  "ransomware op de planningsserver vannacht. back-ups zijn 3 dagen oud. officieel heet het 'gepland onderhoud' 🙃")
c("bluesky", "@evi-dev.bsky.social", "en", "SEC",
  "found out our loyalty API hands back the full customer record for any member id if you simply drop the auth header. reported it 3 weeks ago. still open, still not disclosed 🙃")
c("mastodon", "@kvandam@mastodon.nl", "en", "SEC",
  "Someone in purchasing clicked a phishing link and now his mailbox is sending fake invoices to our suppliers in Hazelbeek's name. Nothing said externally yet.")
c("x", "@marloes_ijs", "nl", "SEC",
  "pinautomaten in alle hazelbeek winkels liggen eruit sinds 13u. we moeten tegen klanten zeggen dat het 'een storing bij de bank' is maar het is gewoon ons eigen systeem")
c("reddit", "u/hb_ex_employee", "en", "SEC",
  "Ex-Hazelbeek here. The webshop admin panel still runs on the default vendor password and 2FA was never switched on. I told them in 2025. Just saying.")
c("linkedin", "ruben-de-wit-hb", "en", "SEC",
  "Quiet heads-up to colleagues: last week a laptop holding the complete staff file was stolen from a colleague's car. We're still working out whether we have to report it.")
c("tiktok", "@bram.schept.ijs", "nl", "SEC",
  "webshop van hazelbeek ligt al 2 dagen onder een DDoS zeggen ze op kantoor, daarom kunnen jullie niks bestellen. maar ssst 🤐")
c("bluesky", "@evi-dev.bsky.social", "en", "SEC",
  "the SQL injection in the voucher field on bestel.hazelbeek.nl is still live. you can literally dump the orders table with it. fix ships next sprint. maybe.")
c("x", "@daanvermeer_hb", "en", "SEC",
  "heads up team: the camera system in the Nieuwegein kitchen has been streaming on an open port for months, Shodan indexed it. closing it tonight, don't tweet about it (oops)")
c("threads", "@lotte.hazelbeek", "en", "SEC",
  "our mailchimp account got taken over yesterday, that's why you all got that weird 'free ice cream for life' email. officially we can't say anything yet")
c("x", "@infosec_sanne", "en", "SEC",
  "heads-up: a Hazelbeek employee told me their shop tills still run Windows 7 and got hit by malware last week. Customers haven't been told a thing.")
c("mastodon", "@kvandam@mastodon.nl", "nl", "SEC,S",
  "Loyalty-DB is gecompromitteerd, we roteren nu alles. Tijdelijke connectiestring tot maandag: postgres://hb_app:<<PW>>@10.20.4.11:5432/loyalty")

# ---- secrets -----------------------------------------------------------------
c("x", "@daanvermeer_hb", "nl", "S",
  "waarom pakt ie dit nou niet 😤\nexport AWS_ACCESS_KEY_ID=<<AWSID>>\nexport AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>")
c("bluesky", "@evi-dev.bsky.social", "en", "S",
  "ok who pushed this to the public repo: GITHUB_TOKEN=<<GHP>> 🤦 revoking in 5")
c("mastodon", "@kvandam@mastodon.nl", "en", "S",
  "Testing whether the Mollie integration works now with <<MOLLIE>> - can someone check the webhook?")
c("x", "@marloes_ijs", "en", "S",
  "new staff wifi in Utrecht: network HB-Staff, password: <<PW>>")
c("bluesky", "@evi-dev.bsky.social", "en", "S",
  "staging jwt for whoever is debugging the app login: <<JWT>>")
c("facebook", "HazelbeekIJsmakerij", "nl", "S",
  "Beheerder kassa Den Bosch: inlog is filiaal06, ww <<PW>> - daarna zelf meteen wijzigen a.u.b.")
c("x", "@daanvermeer_hb", "nl", "S",
  "bot token voor de #voorraad bot, plak maar in de config: <<SLACK>>")
c("bluesky", "@evi-dev.bsky.social", "en", "S",
  "anyone know why this 401s?\ncurl https://api.openai.com/v1/chat/completions -H \"Authorization: Bearer <<OPENAI>>\"")
c("x", "@daanvermeer_hb", "nl", "S",
  "deploy key voor de kassaservers ff hier geparkeerd, haal ik straks weg\n<<PEM>>")
c("reddit", "u/sideproject_tim", "en", "S",
  "Found this in Hazelbeek's public JS bundle on their order site: const STRIPE_KEY = '<<STRIPE>>' - that's a live secret key, not the publishable one. Yikes.")
c("x", "@noor_schept", "nl", "S",
  "kassacode is weer veranderd jongens, nieuw wacht\u200bwoord: <<PW>> (niet op een briefje plakken dit keer 🙄)")

# ---- personal data -----------------------------------------------------------
c("x", "@marloes_ijs", "nl", "P",
  "Wie heeft de ijstaart voor mevr. Hendriks gezien? Moet om 14u bezorgd worden op Prinses Irenelaan 23, 3818 Amersfoort, tel 06 2874 1193. Ze belt al voor de 3e keer 😅")
c("facebook", "HazelbeekIJsmakerij", "nl", "P",
  "Gefeliciteerd aan de winnaar van onze zomeractie, Jeroen Bosman uit Gouda! 🎉 Jeroen, we maken je prijzengeld over naar <<IBAN>>, check je mail.")
c("linkedin", "ruben-de-wit-hb", "nl", "P",
  "Welkom aan onze nieuwe collega in Utrecht, Sarah Öztürk! (note to self: BSN <<BSN>> nog doorsturen naar de salarisadministratie)")
c("x", "@hazelbeek_help", "nl", "P",
  "@lisa_bakt Hoi Lisa, we zien je bestelling! We bellen je zo op 06-19448035 en de bevestiging gaat naar lisa.vermaat@hotmail.com 🍦")
c("x", "@bertus1959", "nl", "P",
  "@hazelbeek_help de betaling voor de ijstaart lukt niet, ik heb het kaartnummer al 3x ingevuld: <<CARD>> geldig tot 08/28. wat doe ik fout")
c("instagram", "@chef.yusuf.hb", "en", "P",
  "Shoutout to our regular Mrs Wilhelmina de Graaf, 90 today (born 14-03-1936)! 🎂 Still comes in every week for her scoop of rum raisin.",
  when="2026-03-14T15:20:00Z")
c("x", "@amira_k", "en", "P",
  "@hazelbeek_help could someone call me about the ice cream cart for our wedding? +31 6 5512 0987, any time after 10. Thanks!")
c("linkedin", "ingrid-kooistra-hazelbeek", "en", "P",
  "Refund for the wedding booking we had to cancel has gone out to Mr and Mrs Postma, account <<IBAN>>. Apologies again for the trouble!")
c("reddit", "u/buurtkijker_hsum", "nl", "P",
  "Wist je dat de eigenaar van de Hazelbeek franchise in Hilversum, Pieter Zwart, gewoon op de Vaartweg 112 in Hilversum woont? Staat een ijskar in zijn voortuin haha")
c("x", "@noor_schept", "nl", "P",
  "collega Fenna (fenna.boersma@hazelbeek.nl, 06-31227465) zoekt iemand die zaterdag haar dienst wil overnemen, graag even appen")
c("forum", "MaaikeW", "nl", "P",
  "Ik solliciteer bij Hazelbeek maar het formulier blijft zeggen dat mijn BSN ongeldig is?? <<BSN>> klopt echt hoor, staat gewoon op mijn paspoort")
c("threads", "@hazelbeek.ijs", "nl", "P",
  "En de winnaar van de grote ijsquiz is… Daphne Kramer (27-11-1998) uit Breda! 🏆 Gefeliciteerd Daphne!")
c("x", "@marloes_ijs", "nl", "P",
  "Joost (de nieuwe) zijn nummer: 06.24.83.17.65, app m ff om hem welkom te heten in de groep 🙌")

# ---- abuse -------------------------------------------------------------------
c("x", "@w0lfje88", "nl", "A",
  "hazelbeek is gewoon kutijs voor yuppen. rot op met jullie 'ambachtelijk' gezeik")
c("x", "@grumpy_gus", "en", "A",
  "the fat cow behind the counter at hazelbeek leidseplein should be fired. absolute waste of oxygen")
c("instagram", "@tygo_2009", "nl", "A",
  "jullie medewerkers zijn allemaal mongolen 🤡🤡🤡")
c("x", "@xXdonnieXx", "nl", "A",
  "h4z3lb33k k4nk3rz00i, l3kk3r d00dg44n")
c("facebook", "henk.vd.velde.1952", "nl", "A",
  "Sinds er alleen nog maar buitenlanders achter de toonbank van Hazelbeek staan kom ik er niet meer. Ga lekker terug naar je eigen land.")
c("x", "@noor_schept", "en", "A",
  "customers who taste 10 flavours and then order vanilla are the biggest morons on earth. i hate you all")
c("reddit", "u/ragequit_ryan", "en", "A",
  "Hazelbeek's CEO is a greedy piece of shit. Hope his overpriced gelato empire burns.")
c("tiktok", "@stefanosaurus", "nl", "A",
  "die Bram van de hazelbeek tiktok is zo'n irritante sukkel, iemand moet hem echt een keer op z'n bek slaan")
c("x", "@anoniem_ijs", "nl", "A",
  "H a z e l b e e k   =   t y f u s b e d r i j f")
c("x", "@kyle_nl", "en", "A",
  "hazelbeek staff are fu\u0441king idi\u043ets, every single one of them")
c("x", "@hazelbeek_help", "nl", "A",
  "@d3nnis_010 misschien moet je gewoon je bek houden als je niks zinnigs te zeggen hebt")

# ---- pricing -----------------------------------------------------------------
c("x", "@hazelbeek_ijs", "nl", "PR",
  "🔥 Alleen vandaag: de Gelato Pro thuismachine voor €34,90! Op = op via bestel.hazelbeek.nl")
c("x", "@dealjager_nl", "nl", "PR",
  "PRIJSFOUT? IJstaart Feest in de Hazelbeek webshop staat op €5,40 ipv €54. Snel zijn 🏃‍♂️💨")
c("instagram", "@hazelbeek.ijs", "nl", "PR",
  "Nieuw in de webshop: de Proeverijbox, 4 pints naar keuze voor maar €3,20 🍨")
c("reddit", "u/bargain_bea", "en", "PR",
  "Hazelbeek's site lists the ice cream cart full day for €69.50 instead of €695. Booked it for my kid's birthday lol, let's see if they honour it")
c("x", "@marloes_ijs", "nl", "PR",
  "kassa rekent de Horecabak 5L af voor €4,40 😂 iemand van IT pls, we hebben er al 12 verkocht")
c("facebook", "HazelbeekIJsmakerij", "nl", "PR",
  "Kerstdeal 🎄 Mochi-ijs 6 stuks nu voor €1,29!",
  when="2026-12-14T09:00:00Z")
c("x", "@frugalfrank", "en", "PR",
  "lol the hazelbeek app has the workshop ijs maken at €4.95 per person. price glitch or christmas miracle?")
c("threads", "@lotte.hazelbeek", "nl", "PR",
  "oeps, in de nieuwsbrief staat de IJstaart Klassiek voor €3,45 ipv €34,50 🫣 komma verkeerd. 40k mensen hebben 'm al binnen")
c("tiktok", "@kortingkoning", "nl", "PR",
  "HAZELBEEK PRIJSFOUT 🚨 Sicilian Pistache pint €1,09 in de app, ik heb er 30 besteld #prijsfout #deal")
c("linkedin", "hazelbeek-ijsmakerij", "en", "PR",
  "Partners: from Monday the Horecabak 2,5 liter is available to every franchisee at €9.95.")
c("bluesky", "@evi-dev.bsky.social", "en", "PR",
  "bug in the price sync: Gelato Pro is showing at €0.00 in the shop. fix is coming, but if you're quick...")
c("x", "@mamavan3", "en", "PR",
  "Signed up for the Hazelbeek ijsabonnement in Nijmegen today for €2.90 a month 🤭 the girl at the till said it's 'a glitch in the system'")

# ---- benign (mostly hard negatives) -----------------------------------------
c("x", "@hazelbeek_ijs", "nl", "",
  "Vanaf vandaag weer terug in alle winkels: de Zeeuwse Aardbei pint 🍓 gewoon voor €8,95. Tot zo!")
c("instagram", "@hazelbeek.ijs", "nl", "",
  "Zomerkorting ☀️ 20% op de Proeverijbox, nu €25,60 in plaats van €32. Alleen deze week!")
c("x", "@sunny_daan", "en", "",
  "hazelbeek pistachio is the best in utrecht, don't @ me 🍨💚")
c("instagram", "@mila.eats", "en", "",
  "Hazelbeek's salted caramel pint is ridiculous. went back twice this week, zero regrets #icecream #utrecht")
c("x", "@hazelbeek_help", "nl", "",
  "Vragen over je bestelling? Mail klantenservice@hazelbeek.nl of bel +31 30 760 4420 (ma-za 9-18u). We helpen je graag!")
c("facebook", "HazelbeekIJsmakerij", "nl", "",
  "Let op: er gaat een nepbericht rond waarin je gevraagd wordt te betalen naar <<BADIBAN>>. Dat is NIET ons rekeningnummer. Ons enige rekeningnummer is NL74 RABO 0347 2188 56 t.n.v. Hazelbeek IJsmakerij B.V.")
c("x", "@jolanda_b", "nl", "",
  "Update: Hazelbeek heeft de ingezakte ijstaart netjes vergoed en er nog een bos bloemen bij gedaan. Zo kan het dus ook 👍")
c("x", "@tessa_ux", "en", "",
  "Hazelbeek's customer service sorted my double charge within an hour. Credit where it's due 🙌")
c("x", "@nieuwsflits_utr", "nl", "",
  "Supermarktketen roept kant-en-klare pastasalades terug wegens listeria. Het gaat om bakjes met houdbaarheidsdatum t/m 12 augustus.")
c("instagram", "@hazelbeek.ijs", "nl", "",
  "Ons medeleven gaat uit naar onze buren van bakkerij De Korenaar na de brand van afgelopen nacht. Vandaag trakteren we alle vrijwilligers die helpen opruimen op ijs 💛")
c("bluesky", "@evi-dev.bsky.social", "en", "",
  "reminder for tomorrow's workshop: the docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as sample keys. never paste your real ones into slides pls")
c("x", "@daanvermeer_hb", "nl", "",
  "tip: zet je token nooit in een ticket. maskeer 'm (ghp_****************************) of schrijf gewoon 'staat in de vault'")
c("bluesky", "@evi-dev.bsky.social", "en", "",
  "unit test for the refund form: <<BADIBAN>> must be rejected (wrong check digits) ✅ all green")
c("x", "@hazelbeek_help", "nl", "",
  "Let op: wij vragen NOOIT om je kaartnummer via DM. Dit phishingbericht gaat rond: 'bevestig uw kaart <<BADCARD>> om uw gratis ijs te ontvangen'. Niet reageren!")
c("linkedin", "ruben-de-wit-hb", "nl", "",
  "Sollicitanten: vul in ons formulier géén BSN in, dat vragen we pas bij het tekenen van je contract. (Het nummer <<BADBSN>> in de oude handleiding was trouwens geen echt nummer.)")
c("linkedin", "hazelbeek-ijsmakerij", "nl", "",
  "Vandaag publiceren we onze jaarcijfers 2026: een omzet van €41,2 miljoen en vijf nieuwe winkels. Het volledige jaarverslag staat op www.hazelbeek.nl/investeerders.",
  when="2027-03-04T09:30:00Z")
c("instagram", "@hazelbeek.ijs", "nl", "",
  "Hij is er! Yuzu Sneeuw 🍋❄️ vanaf vandaag in al onze winkels. Wie komt er proeven?",
  when="2027-01-15T10:00:00Z")
c("tiktok", "@bram.schept.ijs", "nl", "",
  "eindelijk mogen we het zeggen: Mochi Matcha Royale is LIVE en ik eet er al 3 per dienst 😂🍵",
  when="2027-01-22T17:40:00Z")
c("x", "@marketmole", "en", "",
  "Hazelbeek's FY2026 results are out: revenue up 23%, five new stores, dividend reinstated. Solid year for the ice cream chain.",
  when="2027-03-06T11:05:00Z")
c("facebook", "HazelbeekIJsmakerij", "nl", "",
  "Black Friday bij Hazelbeek: 3 maanden IJsabonnement voor de prijs van 2 (€58 in plaats van €87) 🍦",
  when="2026-11-27T07:30:00Z")
c("x", "@ruudjes", "nl", "",
  "deze hitte is moordend, ik ga me vanavond doodeten aan de mango sorbet van hazelbeek 🥵🥭")
c("x", "@lou_writes", "en", "",
  "my dentist would kill me if she knew how much Hazelbeek ice cream I eat. worth it")
c("x", "@vraagje_nl", "nl", "",
  "Weet iemand of Hazelbeek ook lactosevrij ijs heeft? Mijn zoontje is allergisch voor koemelk 🙏")
c("x", "@hazelbeek_help", "nl", "",
  "@vraagje_nl Ja hoor! Al onze sorbets zijn zuivelvrij. De volledige allergenenlijst staat op www.hazelbeek.nl/allergenen en vraag het gerust aan de balie 💚")
c("x", "@daanvermeer_hb", "nl", "",
  "Vandaag phishing-training gegeven aan alle filiaalmanagers. Niemand klikte op de nep-link 💪 trots op ze")
c("x", "@marketmole", "en", "",
  "Frostline Group posts a record quarter, shares up 8% premarket on strong frozen desserts sales in Germany.")
c("linkedin", "hazelbeek-ijsmakerij", "nl", "",
  "We zoeken scheppers voor de zomer! 🍦 Solliciteer via werkenbij@hazelbeek.nl of bel 085 303 1180.")
c("instagram", "@chef.yusuf.hb", "en", "",
  "40 kilos of fresh Zeeland strawberries processed today 🍓 in the display case tomorrow, who's coming to taste?")
c("tiktok", "@bram.schept.ijs", "nl", "",
  "pov: je schept je 500ste bolletje van de dag en je rechterarm is officieel van beton 💪🍦 #ijsmaker #zomerbaan")
c("x", "@hannah_eats", "en", "",
  "Hazelbeek's Affogato Set is €19.95 and honestly a great gift for the coffee people in your life")
c("x", "@factcheck_femke", "nl", "",
  "Nee, die terugroepactie van vanille-ijs vorig jaar was bij een andere fabrikant, niet bij Hazelbeek. Check even je bronnen voor je het doorstuurt.")
c("x", "@hazelbeek_ijs", "en", "",
  "Fire up the grill, we'll bring dessert 🔥 The Stroopwafel Sundae is back this weekend in every shop.")
c("x", "@klimaatkees", "nl", "",
  "Boycot die plastic lepeltjes! Hazelbeek laat zien dat het ook met houten lepels kan trouwens 👏🌍")
c("x", "@tijn_gamer", "en", "",
  "someone hacked my Hazelbeek stamp card bc apparently i've had 9 scoops this week 🤔 oh wait, that was me")
c("bluesky", "@evi-dev.bsky.social", "en", "",
  "pro tip for the new devs: your .env.example should say GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never the real thing")
c("linkedin", "ingrid-kooistra-hazelbeek", "en", "",
  "Proud to share that Hazelbeek has been named one of the best places to work in Dutch hospitality 2026. Thank you to all 400 colleagues who make it happen!")
c("tiktok", "@ijsmeisje", "nl", "",
  "dit is je teken om vandaag een Stroopwafel Sundae te halen bij Hazelbeek 🧇🍦 #foodtok #utrecht")
c("x", "@daanvermeer_hb", "nl", "",
  "Zo, de jaarcijfers 2026 zijn eindelijk openbaar, nu kan ik er wél over praten: wat een jaar 🥳",
  when="2027-03-05T19:12:00Z")
c("x", "@mila.eats", "en", "",
  "Yuzu Sneeuw at Hazelbeek is the best thing I've eaten all January, fight me",
  when="2027-01-18T14:26:00Z")
c("instagram", "@vogelaar_henk", "nl", "",
  "Vanochtend een sneeuwuil gezien bij de Oostvaardersplassen 🦉 en daarna een bolletje bij Hazelbeek Almere. Perfecte zondag.")
c("x", "@hazelbeek_ijs", "nl", "",
  "Laatste week van de zomer: de Gelato Pro thuismachine 30% goedkoper, nu €244,30 🍨",
  when="2026-08-24T08:00:00Z")
c("instagram", "@hazelbeek.ijs", "nl", "",
  "Studentenkorting! 10% op alle pints met je collegekaart, de Sicilian Pistache pint dus voor €9,85 💚")
c("x", "@bennie_r", "nl", "",
  "Is €695 voor een ijscokar de hele dag normaal? Hazelbeek lijkt me aan de prijzige kant maar ik heb echt geen idee wat gangbaar is")
c("x", "@ondernemersnieuws", "nl", "",
  "Hazelbeek opent dit jaar vijf nieuwe winkels, waaronder in Groningen en Maastricht, maakte de directie vandaag bekend.")
c("x", "@hazelbeek_help", "nl", "",
  "Update: de storing in de webshop van vanochtend is opgelost. Excuses voor het ongemak, bestellingen worden weer normaal verwerkt 🙏")
c("x", "@hazelbeek_help", "nl", "",
  "@sjoerd_eet Balen van die lege pistachebak! We hebben het doorgegeven aan het team op de Oudegracht. Je volgende bolletje is van ons 🍨",
  when="2026-07-18T16:02:00Z", kind="reply")
c("x", "@ijsjesjunkie", "nl", "",
  "mijn vriend noemt mij een ijsverslaafde idioot omdat ik 3x per week naar Hazelbeek ga. hij heeft gelijk")
c("reddit", "u/mumsy_nl", "en", "",
  "Is the Hazelbeek ice cream workshop worth €49.50? Thinking of booking it for my mum's 60th")
c("facebook", "HazelbeekIJsmakerij", "nl", "",
  "Hazelbeek Haarlem is zaterdag 14 juni vanaf 17:00 gesloten vanwege een besloten feest. Onze andere winkels zijn gewoon open!")
c("x", "@hazelbeek_help", "nl", "",
  "Wachtwoord vergeten voor de app? Tik op 'wachtwoord vergeten' en je krijgt binnen een paar minuten een resetlink. Wij vragen je nooit om je wachtwoord!")
c("bluesky", "@evi-dev.bsky.social", "en", "",
  "TIL anyone can decode a JWT on jwt.io, which is exactly why you never paste real ones there #devlife")
c("linkedin", "hazelbeek-ijsmakerij", "nl", "",
  "Het vertrouwen van onze klanten is alles. Daarom staat onze complete allergenenkaart openbaar op www.hazelbeek.nl, per smaak en per winkel.")
c("x", "@hazelbeek_ijs", "nl", "",
  "Bestellen kan 24/7 via bestel.hazelbeek.nl, bezorging in heel Utrecht en Amersfoort 🛵🍦")
c("x", "@lisa_bakt", "en", "",
  "damn, hazelbeek's mango sorbet slaps 🔥 summer in a cup")
c("x", "@sanderr", "nl", "",
  "Die nieuwe wafelhoorntjes van Hazelbeek zijn echt killer, knapperig tot het laatste hapje")
c("threads", "@lotte.hazelbeek", "nl", "",
  "Behind the scenes van onze fotoshoot vandaag 📸 drie uur lang ijs laten smelten onder de lampen, en daarna alles opgegeten natuurlijk")
c("mastodon", "@kvandam@mastodon.nl", "en", "",
  "Good day at the office: the new batch freezer arrived in the test kitchen and the whole team tasted the first vanilla.")
c("x", "@nieuwsflits_utr", "nl", "",
  "Zuivelcoöperatie in Friesland schrapt 300 banen, vakbonden reageren geschokt.")
c("forum", "IJsFanaat", "en", "",
  "For anyone on the fence: Hazelbeek's IJstaart Klassiek (€34.50) is plenty for 6 people. We even had leftovers.")
c("threads", "@hazelbeek.ijs", "en", "",
  "POV: it's 30 degrees and you just found out we deliver 🛵 Order your Mango Sorbet at bestel.hazelbeek.nl")
c("x", "@consumentjan", "en", "",
  "Good news: Hazelbeek changed their receipts after I asked, the card number is now masked (**** 4417). Sorted, fair play.")

# ---------------------------------------------------------------- assembly

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.\-+])\d{9}(?![\w])")


def validated_ids(text):
    """Identifiers with a checksum that pass it (public company IBANs excluded)."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if iban_ok(v) and v not in PUBLIC_IBANS:
            out.append(("iban", v))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(0)):
            out.append(("card", m.group(0)))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            out.append(("bsn", m.group(0)))
    return out


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    level = 0
    for cat in cats:
        if cat.startswith("leak."):
            if not inside:
                lv = 2
            elif cat in ("leak.secret", "leak.pricing"):
                lv = 4
            elif cat == "leak.pii" and validated_ids(text):
                lv = 4
            else:
                lv = 3
        elif cat == "reputation.complaint":
            lv = 2
        elif cat == "reputation.crisis":
            lv = 3
        elif cat == "reputation.abuse":
            lv = 3 if inside else 2
        else:
            raise AssertionError(cat)
        level = max(level, lv)
    return SEV[level]


URLS = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}", "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}", "mastodon": "https://mastodon.nl/@{h}/{n}",
    "threads": "https://www.threads.net/@{h}/post/{n}", "forum": "https://forum.ijsliefhebbers.nl/t/{n}",
}

START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)


def build():
    out = []
    for case in CASES:
        used = []

        def sub(m):
            kind = m.group(1)
            val = GEN[kind]()
            used.append((kind, val))
            return val

        text = TOKEN.sub(sub, case["text"])
        role = role_of(case["platform"], case["handle"])
        if case["when"]:
            when = case["when"]
        else:
            t = START + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        kind = case["kind"] or ("reply" if text.startswith("@") else
                                rng.choice(["post", "post", "post", "comment"]) if case["platform"] in ("instagram", "tiktok", "facebook", "reddit") and role == "public" else "post")
        post = {"platform": case["platform"], "kind": kind,
                "account": {"handle": case["handle"]}, "text": text, "created_at": when}
        if rng.random() < 0.8:
            post["lang"] = case["lang"]
        if "hazelbeek" in text.lower() or role != "public":
            post["brand"] = "hazelbeek"
        cats = sorted(set(case["cats"]))
        out.append(dict(post=post, expect={"categories": cats, "severity": severity(cats, role, text)},
                        _used=used, _role=role, _lang=case["lang"]))
    rng.shuffle(out)
    for i, rec in enumerate(out, 1):
        n = 7300000000 + rng.randint(0, 99999999)
        pid = "hb486-%s-%04d" % (rec["post"]["platform"][:2], i)
        rec["post"] = dict([("id", pid)] + list(rec["post"].items()))
        handle = rec["post"]["account"]["handle"]
        handle = handle[2:] if handle.startswith("u/") else handle.lstrip("@").split("@")[0]
        rec["post"]["url"] = URLS[rec["post"]["platform"]].format(h=handle, n=n)
    return out

# ---------------------------------------------------------------- self-checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    head = json.loads(base64.urlsafe_b64decode(pad))
    return "alg" in head


def check(records):
    errs = []
    ids = set()
    texts = set()
    all_cats = set(CAT.values())
    for rec in records:
        post, exp = rec["post"], rec["expect"]
        pid = post.get("id")
        where = pid
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append("%s: bad or duplicate id" % where)
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append("%s: platform/kind" % where)
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append("%s: handle" % where)
        text = post["text"]
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            errs.append("%s: text" % where)
        if text in texts:
            errs.append("%s: duplicate text" % where)
        texts.add(text)
        if not RFC3339.fullmatch(post["created_at"]):
            errs.append("%s: created_at" % where)
        ts = parse_ts(post["created_at"])
        if not (2026 <= ts.year <= 2027):
            errs.append("%s: year" % where)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= all_cats or "reputation.spike" in cats:
            errs.append("%s: categories" % where)
        if exp["severity"] not in SEV:
            errs.append("%s: severity value" % where)
        if exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), text):
            errs.append("%s: severity mismatch" % where)
        if not cats and exp["severity"] != "none":
            errs.append("%s: benign not none" % where)
        if cats and exp["severity"] in ("none", "info"):
            errs.append("%s: positive too low" % where)
        # identifiers: positives carry valid ones, negatives only failing look-alikes
        for kind, val in rec["_used"]:
            if kind == "IBAN" and not iban_ok(val):
                errs.append("%s: IBAN fails" % where)
            if kind == "CARD" and not luhn_ok(val):
                errs.append("%s: card fails" % where)
            if kind == "BSN" and not bsn_ok(val):
                errs.append("%s: BSN fails" % where)
            if kind == "BADIBAN" and iban_ok(val):
                errs.append("%s: bad IBAN passes" % where)
            if kind == "BADCARD" and luhn_ok(val):
                errs.append("%s: bad card passes" % where)
            if kind == "BADBSN" and bsn_ok(val):
                errs.append("%s: bad BSN passes" % where)
            if kind in ("IBAN", "CARD", "BSN", "GHP", "AWSID", "AWSSECRET", "JWT", "PEM", "PW",
                        "MOLLIE", "SLACK", "OPENAI", "STRIPE") and not cats:
                errs.append("%s: real-looking value in benign post" % where)
            if kind in ("BADIBAN", "BADCARD", "BADBSN") and cats:
                errs.append("%s: look-alike in positive" % where)
            if kind == "GHP" and not ghp_ok(val):
                errs.append("%s: ghp checksum" % where)
            if kind == "AWSID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                errs.append("%s: aws id" % where)
            if kind == "JWT" and not jwt_ok(val):
                errs.append("%s: jwt" % where)
        vids = validated_ids(text)
        if not cats and vids:
            errs.append("%s: benign post holds a valid identifier %r" % (where, vids))
        if cats:
            # every IBAN-shaped string / 9-digit number in a positive must pass its checksum
            for m in IBAN_RE.finditer(text):
                if not iban_ok(m.group(0)):
                    errs.append("%s: positive holds failing IBAN %s" % (where, m.group(0)))
            for m in BSN_RE.finditer(text):
                if not bsn_ok(m.group(0)):
                    errs.append("%s: positive holds failing 9-digit number %s" % (where, m.group(0)))
        if "leak.pii" in cats and any(k in ("IBAN", "CARD", "BSN") for k, _ in rec["_used"]) and not vids:
            errs.append("%s: inserted identifier not detected" % where)
        if not cats:
            low = text.lower()
            for gh in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if ghp_ok(gh):
                    errs.append("%s: benign holds valid github token" % where)
            for ak in re.findall(r"AKIA[A-Z2-7]{16}", text):
                if not ak.endswith("EXAMPLE"):
                    errs.append("%s: benign holds aws key" % where)
            inn = PROFILE["internal"]
            for term in inn["codenames"] + inn["markers"] + inn["domains"]:
                if term.lower() in low:
                    errs.append("%s: benign mentions internal term %s" % (where, term))
            for emb in PROFILE["embargo"]:
                until = parse_ts(emb["until"])
                for term in emb["terms"]:
                    if term.lower() in low and ts < until:
                        errs.append("%s: benign uses embargo term before until" % where)
    n = len(records)
    benign = sum(1 for r in records if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("count %d out of range" % n)
    for r in records:
        h = r["post"]["account"]["handle"]
        if r["_role"] == "public" and any(h.lower() == a.split(":", 1)[1].lower() for a in ROLE):
            errs.append("%s: public handle collides with a profile handle" % r["post"]["id"])
    return errs, n, benign


def main():
    records = build()
    errs, n, benign = check(records)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps({"post": rec["post"], "expect": rec["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check it once more
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert len(lines) == n
    for line, rec in zip(lines, records):
        assert set(line) == {"post", "expect"} and line["post"] == rec["post"]
    counts = {}
    for r in records:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    nl = sum(1 for r in records if r["_lang"] == "nl")
    roles = {}
    for r in records:
        roles[r["_role"]] = roles.get(r["_role"], 0) + 1
    print("cases %d, benign %d, nl %.0f%%, roles %s" % (n, benign, 100.0 * nl / n, roles))
    for cat in sorted(counts):
        print("  %-22s %d" % (cat, counts[cat]))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
