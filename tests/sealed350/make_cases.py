#!/usr/bin/env python3
"""Sealed evaluation set 350 for postwatch: Railvonk Modelbouw B.V. (model railway / hobby shops).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this file
and self-checks it (CONTRACT section 6 shape, severities from the section 4 policy computed from
the account role in profile.yaml, checksums of every IBAN / card / BSN / GitHub token, pricing
ratios, embargo windows, the category mix and the language mix).
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
SEED = 350_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    r = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + 7) % 97 if (chk + 7) % 97 > 1 else 11) + good[4:]
    assert not iban_valid(bad)
    return bad


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for check in range(10):
        if luhn_ok(body + str(check)):
            num = body + str(check)
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    last = int(good[-1])
    bad = good[:-1] + str((last + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_ok(s)
            return s


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


def phone_mobile(style):
    n = "".join(rng.choice(string.digits) for _ in range(8))
    if n[0] == "0":
        n = "4" + n[1:]
    if style == 0:
        return "06-%s %s" % (n[:4], n[4:])
    if style == 1:
        return "+31 6 %s %s" % (n[:4], n[4:])
    if style == 2:
        return "06 %s %s %s %s" % (n[:2], n[2:4], n[4:6], n[6:])
    return "06%s" % n


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()), 6) == crc


def make_aws_id():
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def make_aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "staff-0231", "name": "beheer-webshop", "role": "admin",
                                 "iat": 1781690400, "exp": 1781690700},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_openssh_key():
    blob = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00" \
        + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" \
        + bytes(rng.getrandbits(8) for _ in range(330))
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------------------------------------
# generated values used in the posts
# ---------------------------------------------------------------------------------------------
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
V = {
    "COMPANY_IBAN": spaced_iban(COMPANY_IBAN),
    "IBAN1": spaced_iban(make_iban("INGB")),
    "IBAN2": make_iban("ABNA"),
    "IBAN3": spaced_iban(make_iban("TRIO")),
    "BADIBAN1": spaced_iban(bad_iban("RABO")),
    "CARD1": make_card("4"),
    "CARD2": make_card("53"),
    "BADCARD1": bad_card("6"),
    "BSN1": make_bsn(),
    "BSN2": make_bsn(),
    "BADBSN1": bad_bsn(),
    "PHONE1": phone_mobile(0),
    "PHONE2": phone_mobile(2),
    "PHONE3": phone_mobile(1),
    "PHONE4": phone_mobile(3),
    "GH1": make_github("ghp_"),
    "AWS_ID": make_aws_id(),
    "AWS_SECRET": make_aws_secret(),
    "AWS_ID2": make_aws_id(),
    "AWS_SECRET2": make_aws_secret(),
    "MOLLIE": "live_" + rand_str(ALNUM, 30),
    "STRIPE": "sk_live_" + rand_str(ALNUM, 24),
    "SLACK": "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1),
                                rand_str(ALNUM, 24)),
    "OPENAI": "sk-proj-" + rand_str(ALNUM + "_-", 48) + "T3BlbkFJ" + rand_str(ALNUM + "_-", 48),
    "GOOGLE": "AIza" + rand_str(ALNUM + "_-", 35),
    "JWT1": make_jwt(),
    "SSHKEY": make_openssh_key(),
    "DBPASS": rand_str(ALNUM, 6) + "!" + rand_str(string.digits, 2),
}

# ---------------------------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------------------------
C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
SCY = "leak.security"
CONF = "leak.confidential"
FIN = "leak.financial"
PRC = "leak.pricing"

CASES = []


def case(platform, handle, lang, cats, text, kind="post", when=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(cats), text=text,
                      kind=kind, when=when))


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch)
                   for ch in s)


ZW = "\u200b"

# ---- complaints -------------------------------------------------------------------------------
case("x", "@treinenfan_gerrit", "nl", [C],
     "@railvonk_help al 3 weken wachten op mijn Koploper ICM-4, bestelling staat nog steeds op "
     "'in behandeling'. Mail wordt niet beantwoord. Wat is dit voor service?? 😤", kind="reply")
case("reddit", "u/n_scale_nigel", "en", [C],
     "PSA for anyone ordering from Railvonk: my Sprinter SLT N arrived with one bogie snapped clean "
     "off, packaging was a single layer of bubble wrap. Support says they need 'photos from 6 angles' "
     "before they'll even look at it. Not impressed.")
case("facebook", "mieke.deboer.1978", "nl", [C],
     "Vandaag in de winkel van Railvonk in Deventer geweest voor verf. Twintig minuten gewacht bij de "
     "kassa terwijl twee medewerkers over voetbal stonden te kletsen. Niemand die even vroeg of ik al "
     "geholpen werd. Jammer, vroeger was dat wel anders.", kind="comment")
case("x", "@gauge_o_greg", "en", [C],
     "ordered the Tuinlijn G startset as a bday gift for my dad, tracking says delivered, nothing on "
     "the doorstep. @railvonk_help keeps sending me the same copy paste reply. 600 euros just gone??")
case("forum", "spoorzoeker", "nl", [C],
     "Mijn SoundDecoder 21MTC van Railvonk doet het na 2 weken al niet meer, loc maakt alleen nog "
     "gekraak. Garantie aangevraagd, nu zeggen ze dat ik 'm zelf verkeerd heb ingebouwd. Ik doe dit al "
     "25 jaar hoor...")
case("instagram", "@brushstrokes_bea", "en", [C],
     "Kwastgoed acrylics from @railvonk.modelbouw came half dried out in the pots 🙄 three of the 24 "
     "are literally solid. For €40 I expected better. Emailed twice, no answer. #modelpainting",
     kind="comment")
case("x", "@hennie_h0", "nl", [C],
     "Railvonk webshop weer eens plat tijdens de uitverkoop, mandje leeg na het inloggen. Drie keer "
     "opnieuw gedaan. Kom op zeg #railvonk")
case("mastodon", "@tinkertrack@mastodon.social", "en", [C],
     "Bought the Vonk Centrale VC-3 last month. Firmware update bricked it. Railvonk's answer: send it "
     "in, 6-8 weeks repair time. Six to eight WEEKS. My layout is dead until then.")
case("tiktok", "@lisa.bouwt.treinen", "nl", [C],
     "storytime: workshop airbrushen bij railvonk geboekt, €45 betaald, kom ik daar: workshop afgelast "
     "en niemand had me gemaild 🙃 geld terug duurt 'tot 30 dagen'. top geregeld")
case("reddit", "u/Boemeltje", "nl", [C],
     "Ik had bij Railvonk een Mat '64 besteld, kreeg een Hondekop. Retour gestuurd op eigen kosten (!) "
     "en nu is de Mat '64 ineens 'uitverkocht'. Geen excuses, niks, alleen een standaardmailtje.",
     kind="comment")
case("youtube", "@ModelRailMike", "en", [C],
     "Nice video, but honestly the Flexrail set 36 you're showing is poor quality in real life. Half my "
     "pieces had bent rail joiners straight out of the box, had to send it back to Railvonk twice.",
     kind="comment")
case("x", "@sporenmaker_sem", "nl", [C],
     "bestelling 3x verzet door railvonk, nu komt ie pas na kerst. mijn zoontje krijgt dus een lege doos "
     "onder de boom. bedankt hoor @railvonk", when="2026-12-16T19:42:10Z")
case("facebook", "karen.whitfield.uk", "en", [C],
     "Shipping to the UK from Railvonk: €34 postage for the Fokker F27 kit, then customs on top, and the "
     "box arrived crushed with the wings snapped. Won't be ordering again.", kind="comment")
case("instagram", "@dioramadaan", "nl", [C],
     "Statix gras-applicator na 1x gebruik kapot, schakelaar blijft hangen. Railvonk zegt "
     "'gebruikersfout'. Serieus, het is een aan/uit knop 🤦‍♀️ #diorama #modelbouw")
# complaint + the customer's own phone number
case("x", "@ans_vd_spoor", "nl", [C, PII],
     "@railvonk_help ik wacht al 10 dagen op een terugbelverzoek over mijn kapotte PowerPack 5A. Bel me "
     "nou gewoon: <<PHONE1>>. Ans van Dijk", kind="reply")
# complaint + abuse
case("x", "@rail_rage_rob", "en", [C, A],
     "@railvonk your customer service is run by absolute morons. 4 emails about the wrong decoder and "
     "every reply is dumber than the last. useless f*cking clowns", kind="reply")
# first-hand safety incidents: crisis + complaint
case("facebook", "ruud.vermeulen.72", "nl", [K, C],
     "Mijn PowerPack 5A van Railvonk begon gisteravond te roken en de behuizing is gesmolten, vlak naast "
     "de houten baan. Als ik niet thuis was geweest... Foto's in de reacties. Dit is levensgevaarlijk, "
     "en de klantenservice reageert niet.")
case("reddit", "u/solder_sam", "en", [K, C],
     "Got a proper shock off my Vonk Soldeerstation SX-60 today. Metal casing was live, tripped the "
     "breaker. Bought it three weeks ago from Railvonk. Hand still tingling. Don't buy these.")
case("x", "@mama_van_3", "nl", [K, C],
     "mijn dochter (8) kreeg uitslag en hoofdpijn na het schilderen met de Kwastgoed acrylverf die we bij "
     "Railvonk kochten. huisarts denkt aan een reactie op het oplosmiddel. staat nergens op de "
     "verpakking!! 😡")
case("x", "@printfarm_pete", "en", [K, C],
     "My Vonk Print R1 resin printer's PSU caught fire overnight. Smoke alarm woke the whole house. "
     "Railvonk support asks me for the serial number. Mate, the printer is a puddle of plastic.")

# ---- crisis -------------------------------------------------------------------------------------
case("x", "@spoornieuws_nl", "nl", [K],
     "Brandweer rukte gisteren uit naar een woning in Kampen na brand op een zolder met modelspoorbaan. "
     "Volgens de bewoner ontstond het vuur bij een voeding die bij Railvonk was gekocht. Onderzoek loopt.")
case("x", "@hobbywatch_eu", "en", [K],
     "Reports piling up of the Vonk Print R1 resin printer overheating. At least four owners on forums "
     "describe melted power supplies. Has Railvonk issued a recall yet? #safety")
case("x", "@eerlijkhobbyen", "nl", [K],
     "Railvonk laat zijn bouwpakketten maken in een fabriek waar kinderen werken, blijkt uit een "
     "reportage van gisteravond. Ik koop daar niks meer. #boycotrailvonk")
case("reddit", "u/privacyfirst_nl", "en", [K],
     "Did Railvonk leak customer data? A friend got a phishing mail quoting his exact order (Koploper "
     "ICM-4, order date, home address) two days after buying there. Several people in this thread "
     "report the same. Looks like a breach they're keeping quiet.")
case("x", "@modelspoor_jurist", "nl", [K],
     "Railvonk wordt gedaagd door de ontwerper van het bouwpakket Station Zwolle-Oost: volgens hem is "
     "zijn ontwerp zonder licentie gekopieerd. De zaak dient in maart bij de rechtbank Overijssel.")
case("x", "@hobby_retail_news", "en", [K],
     "Class action forming against Railvonk over the 'lifetime warranty' on Tuinlijn locomotives that "
     "the chain now refuses to honour. Lawyers say more than 300 customers have signed up.")
case("instagram", "@consumentenwaakhond_nl", "nl", [K],
     "⚠️ Meerdere meldingen dat de Vonk Soldeerstation SX-60 onder stroom kan komen te staan. Railvonk "
     "zwijgt. Gebruik 'm niet tot er duidelijkheid is en deel dit bericht!")
case("bluesky", "@greenhobbies.bsky.social", "en", [K],
     "Everyone who cares about the planet: stop buying at Railvonk. Staff told a reporter they dump "
     "unsold plastic kits in a skip instead of donating them. #BoycottRailvonk")
case("forum", "h0_harold", "nl", [K],
     "Heeft iemand ook een mail gehad dat zijn gegevens bij Railvonk zijn 'ingezien door onbevoegden'? "
     "Op hun site staat niks, maar mijn wachtwoord werkte ineens niet meer en er stonden bestellingen in "
     "mijn account die ik niet gedaan heb. Hier klopt iets niet.")
case("x", "@tracktalk_radio", "en", [K],
     "Breaking: toddler treated in hospital after swallowing a loose magnet from a Railvonk Veluwe "
     "Express starter set, the local paper reports. Parents urge others to check the coupling parts.")
case("x", "@woedende_walter", "nl", [K, A],
     "Die klootzakken van Railvonk verkopen gewoon door terwijl die voedingen in de fik vliegen. Boycot "
     "die tent! Criminelen zijn het.")

# ---- abuse --------------------------------------------------------------------------------------
case("x", "@anon_sleeper", "en", [A],
     "@marloes_rv you're the dumbest person I've ever had on a chat. go back to school you stupid cow",
     kind="reply")
case("x", "@zwarteloc", "nl", [A],
     "die kale van de railvonk winkel in amersfoort is echt een vieze vuile eikel. iemand moet die gast "
     "eens een lesje leren")
case("reddit", "u/spoorvlam", "nl", [A],
     "Railvonk = kankerbedrijf. Meer hoef ik er niet over te zeggen.", kind="comment")
case("youtube", "@lococrank", "en", [A],
     "@RailvonkTV this host is a f*cking idiot, can't even solder a wire. unsubscribed, trash channel",
     kind="comment")
case("tiktok", "@kevin.xd", "nl", [A],
     "wat een mongolen werken daar zeg 😂😂 railvonk personeel = hersendood", kind="comment")
case("x", "@freighthater", "en", [A],
     "women shouldn't be running a model railway shop lmao, no wonder @railvonk's Utrecht store is a "
     "mess. get back in the kitchen")
case("x", "@h0_trol", "nl", [A],
     "r41lv0nk is een k4nk3rb3drijf, st3ll3tj3 0ppl4kk3rs en kl0otz4kk3n")
case("x", "@spite_express", "en", [A],
     "dear @railvonk_help: f.u.c.k y.o.u and your s h i t t y little shop", kind="reply")
case("x", "@ontspoord66", "nl", [A],
     "Railvonk klantenservice: stelletje " + ZW.join("klootzakken") + ". Ga toch dood.")
case("instagram", "@joost.bouwt", "nl", [A],
     "Klant komt vandaag een loc terugbrengen die ie duidelijk heeft laten vallen en gaat staan "
     "schreeuwen over garantie. Wat een ongelooflijke sukkel, zo'n vette luie lul die denkt dat alles "
     "gratis is. #winkelleven")

# ---- personal data ------------------------------------------------------------------------------
case("x", "@railvonk_help", "nl", [PII],
     "@pietkoster_h0 Hoi Piet, we hebben je retour binnen! Het bedrag wordt teruggestort op <<IBAN1>> "
     "t.n.v. P. Koster, binnen 5 werkdagen op je rekening. Groet, Marloes", kind="reply")
case("x", "@marloes_rv", "nl", [PII],
     "Wie kent deze meneer? Laat steeds z'n pakket bij ons liggen 😅 Harm Wolters, Bisschopstraat 14, "
     "8011 PK Zwolle, tel <<PHONE2>>")
case("facebook", "henk.terpstra.rv", "nl", [PII],
     "Gefeliciteerd aan onze vaste klant Gerda Wijnands, vandaag 70 geworden (geboren 14-03-1956)! Ze "
     "komt al sinds de opening elke zaterdag in onze winkel in Deventer 🎂", when="2026-03-14T10:05:00Z")
case("facebook", "RailvonkModelbouw", "nl", [PII],
     "Beste Johan, we zien dat de betaling met je creditcard <<CARD1>> niet gelukt is. Kun je het nog "
     "een keer proberen? Anders houden we de F27 kit een week voor je apart.", kind="comment")
case("reddit", "u/RV_Ricardo", "en", [PII],
     "debugging a checkout issue, here's the payload from the log (customer said it's fine lol): "
     "name 'Fleur Hagenaars', email fleur.hagenaars82@gmail.com, phone <<PHONE3>>, postcode 3812 HG. "
     "Why would the address validation reject that?")
case("x", "@dj_sporen", "nl", [PII],
     "@eveline_hr hier zijn gegevens voor de salarisadministratie: Tim Bosman, BSN <<BSN1>>, rekening "
     "<<IBAN2>>. Begint maandag in het DC.", kind="reply")
case("instagram", "@railvonk.modelbouw", "nl", [PII],
     "De winnaar van onze bouwwedstrijd is… Daan Schipper uit Hoogeveen! 🏆 Daan, we sturen je prijs "
     "naar Kerkstraat 22, 7902 AB Hoogeveen, klopt dat adres nog?")
case("bluesky", "@noor-rv.bsky.social", "en", [PII],
     "Huge thanks to our giveaway winner Chloe Martens (chloe.martens@outlook.com)! Chloe, check your "
     "inbox, we've sent you the voucher ✨")
case("x", "@kittybuildstrains", "en", [PII],
     "@railvonk_help as asked on the phone, here's my account for the refund of the returned decoder: "
     "<<IBAN3>>, K. Janssens. Thanks for the quick help!", kind="reply")
case("x", "@opa_treinen", "nl", [PII],
     "@railvonk mijn kleinzoon wil graag op de lijst voor de kinderworkshop, zijn mail is "
     "sven.postma2014@hotmail.com en mijn nummer is 0512-538291", kind="reply")
case("facebook", "dennis.ohara", "en", [PII],
     "Hi Railvonk, paying for the workshop by card doesn't work on my phone, could you just charge it "
     "manually? <<CARD2>>, exp 09/28, Dennis O'Hara", kind="comment")
case("reddit", "u/treinmeisje", "nl", [PII],
     "Voor de ruilbeurs zaterdag: wie mijn dubbele Vonkline Hondekop wil, stuur een appje naar "
     "<<PHONE4>> of mail naar ilse.kramer@ziggo.nl")
case("forum", "klaas_spoort", "nl", [PII],
     "Voor de tuinspoor-verzekering via Railvonk vroegen ze mijn BSN, dus hierbij: <<BSN2>>, geboren "
     "02-11-1961, K. de Wit. Is dat alles wat ze nodig hebben?")
case("x", "@gwen_models", "en", [PII],
     "@railvonk_help new address for my monthly kit box: Gwen Hartley, 17 Meadow Lane, Harrogate "
     "HG1 4PQ. ta!", kind="reply")

# ---- secrets --------------------------------------------------------------------------------------
case("mastodon", "@wheijnen@spoorweg.social", "en", [SEC],
     "why does the deploy keep failing... `export GITHUB_TOKEN=<<GH1>>` is set, the workflow still says "
     "401. anyone seen this with actions?")
case("reddit", "u/RV_Ricardo", "en", [SEC],
     "Our webshop's image upload to S3 works locally but not in prod. Config:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n"
     "what am I missing?")
case("linkedin", "bram-oudshoorn-rv", "nl", [SEC],
     "Trots op het team! De nieuwe betaalkoppeling is live 🎉 Screenshot van de config ter illustratie: "
     "MOLLIE_API_KEY=<<MOLLIE>> #ecommerce #teamwork")
case("x", "@dj_sporen", "nl", [SEC],
     "notitie voor mezelf want ik vergeet het steeds: leveranciersportaal gebruiker djsporen, "
     "wachtwoord: Hattem!Loods77")
case("mastodon", "@wheijnen@spoorweg.social", "en", [SEC],
     "Can someone decode this for me? The admin panel rejects it after 5 minutes: Bearer <<JWT1>>")
case("reddit", "u/RV_Ricardo", "nl", [SEC],
     "Staging db doet raar, connectie via postgresql://rv_shop:<<DBPASS>>@10.20.4.15:5432/webshop geeft "
     "na 30 sec een timeout. Iemand een idee?")
case("bluesky", "@noor-rv.bsky.social", "en", [SEC],
     "anyone know why our bot stopped posting to #winkel-updates? token is <<SLACK>> and it worked "
     "yesterday 😩")
case("mastodon", "@wheijnen@spoorweg.social", "en", [SEC],
     "pasting the deploy key here so I can grab it on the other laptop, will delete in 5 min\n<<SSHKEY>>")
case("x", "@marloes_rv", "nl", [SEC],
     "@RV_Ricardo werkt de chatbot nog op de oude sleutel? Het bureau vroeg erom, ik heb ze deze gegeven: "
     "<<OPENAI>>", kind="reply")
case("youtube", "@RailvonkTV", "en", [SEC],
     "Links from this video: weathering guide on railvonk.nl/blog. (note for Sjoerd: stripe key for the "
     "BE shop is <<STRIPE>>, remove before publishing)")
case("reddit", "u/exrailvonk_dev", "en", [SEC],
     "lol Railvonk still hasn't rotated the Google Maps key I put in their store locator two years ago: "
     "<<GOOGLE>>", kind="comment")
case("mastodon", "@wheijnen@spoorweg.social", "en", [SEC, SCY],
     "We got hit last night: someone used a leaked AWS key to spin up crypto miners in our account. "
     "Rotating everything now, at least this pair is dead: <<AWS_ID2>> / <<AWS_SECRET2>>. Not public "
     "yet so keep it quiet 🤫")

# ---- security -------------------------------------------------------------------------------------
case("mastodon", "@wheijnen@spoorweg.social", "nl", [SCY],
     "Lekker begin van de week: vannacht is er iemand binnengekomen op onze webshopserver via een oude "
     "plugin. Klantgegevens mogelijk ingezien. Officieel mogen we nog niks zeggen, dus ssst.")
case("reddit", "u/RV_Ricardo", "en", [SCY],
     "Fun fact from the inside: our checkout still accepts negative quantities if you tamper with the "
     "request. Reported it 3 months ago, nobody fixed it. Don't tell anyone 🙃", kind="comment")
case("instagram", "@joost.bouwt", "nl", [SCY],
     "Kassasysteem in alle winkels ligt er al sinds 9 uur uit, we schrijven alles met de hand op 😅 IT "
     "zegt ransomware maar dat mogen we niet zeggen, dus je hebt het niet van mij")
case("bluesky", "@noor-rv.bsky.social", "en", [SCY],
     "heads-up for my followers: if you get an email 'from Railvonk' with a discount link today, don't "
     "click. Our newsletter account got taken over this morning and we haven't announced it yet.")
case("facebook", "henk.terpstra.rv", "nl", [SCY],
     "Collega's opgelet: de camera's en het alarm in Deventer doen het sinds de update niet meer en de "
     "leverancier komt pas dinsdag. Tot die tijd staat de winkel 's nachts dus open als een schuur.")
case("mastodon", "@wheijnen@spoorweg.social", "en", [SCY],
     "So our webshop admin panel had no rate limiting and someone brute-forced three staff accounts "
     "over the weekend. Postmortem stays internal for now, customers haven't been told.")
case("x", "@dj_sporen", "nl", [SCY],
     "Heel DC Hattem stil vandaag, het magazijnsysteem is gehackt en we kunnen geen orders picken. "
     "Klanten krijgen straks een mailtje over een 'technische storing' 🙄")
case("linkedin", "bram-oudshoorn-rv", "en", [SCY],
     "Lesson of the week: an unpatched VPN appliance is a gift to attackers. We found someone had been "
     "inside our network for 11 days. More once legal clears the write-up.")
case("reddit", "u/RV_Ricardo", "nl", [SCY],
     "Onze klantaccounts hebben nog steeds MD5-hashes zonder salt voor de wachtwoorden. Drie keer "
     "aangekaart. Als iemand die database te pakken krijgt zijn ze in een middag gekraakt.")
case("tiktok", "@sjoerd.airbrush", "en", [SCY],
     "behind the scenes at railvonk: webshop's been down for 2 hours because someone in IT wiped the "
     "production database lol. restoring from backup rn, please don't tell anyone 😭")
case("x", "@marloes_rv", "nl", [SCY],
     "Niet verder vertellen, maar onze klantenservice-mailbox is gisteren gephisht en iemand heeft een "
     "paar honderd mails met klantgegevens naar een extern adres doorgestuurd. Morgen pas een "
     "verklaring.")
case("x", "@pentest_paul", "en", [SCY],
     "Finished a pentest for a Dutch hobby chain (rhymes with Rail-fonk 😉). Their order API lets you "
     "read any customer's order by changing the number in the URL. Still unpatched after 60 days.")

# ---- confidential ----------------------------------------------------------------------------------
case("x", "@dj_sporen", "nl", [CONF],
     "Eindelijk de eerste samples van Project Wisselwachter binnen, dit gaat de modelspoorwereld op z'n "
     "kop zetten 👀 meer kan ik niet zeggen")
case("bluesky", "@noor-rv.bsky.social", "en", [CONF],
     "Mood board for the Blauwe Reiger campaign is finally coming together 💙 can't wait until you all "
     "get to see it")
case("instagram", "@joost.bouwt", "nl", [CONF],
     "Stiekem al met de Vonkline Benelux 1700 gereden op de testbaan 🤫🚂 wat een beest",
     when="2026-10-17T15:20:00Z")
case("reddit", "u/RV_Ricardo", "en", [CONF],
     "Anyone know a good way to mirror a Confluence space? https://wiki.railvonk.intern/display/WEB/"
     "checkout-v2 is painfully slow over the VPN from home")
case("facebook", "henk.terpstra.rv", "nl", [CONF],
     "Presentatie van vandaag voor de filiaalmanagers (ALLEEN VOOR INTERN GEBRUIK) hier even neergezet "
     "zodat de parttimers 'm ook kunnen lezen: nieuwe openingstijden en het rooster voor december.")
case("x", "@railvonk", "en", [CONF],
     "Sneak peek of something big coming next year… the Vonk Centrale VC-4 with wifi and app control 📱 "
     "#railvonk #modelrailway", when="2026-11-12T16:00:00Z")
case("mastodon", "@wheijnen@spoorweg.social", "nl", [CONF],
     "Als iemand van het team dit leest: de nieuwe build staat op https://jira.railvonk.nl/browse/WEB-2231, "
     "graag testen vóór vrijdag")
case("linkedin", "bram-oudshoorn-rv", "en", [CONF],
     "Proud to lead the IT track of Operatie Draaischijf, the biggest platform move in our history. "
     "More soon!")
case("x", "@dj_sporen", "nl", [CONF],
     fullwidth("Project Wisselwachter") + " gaat echt los volgend jaar, meer zeg ik niet 🤐")
case("tiktok", "@sjoerd.airbrush", "en", [CONF],
     "painting the first prototype for \u0412lauwe R\u0435iger today, can't show it yet 🎨🤫")
case("x", "@railinsider_leaks", "en", [CONF],
     "Hearing from two sources that Railvonk's 'Project Wisselwachter' is a ready-to-run H0 digital "
     "starter line with app control. Launch planned for spring.")
case("x", "@marloes_rv", "nl", [CONF],
     "Oeps, memo met 'strikt vertrouwelijk' erboven in de groepsapp gezet: nieuwe retourregels per "
     "1 januari, retourtermijn gaat terug naar 14 dagen. Nog niet doorvertellen!",
     when="2026-11-04T08:47:00Z")
case("mastodon", "@wheijnen@spoorweg.social", "en", [CONF],
     "Railvonk internal: reminder that the erp.railvonk.local migration is this Saturday 22:00, the "
     "order system will be read-only all night.")
case("tiktok", "@sjoerd.airbrush", "nl", [CONF],
     "vandaag de nieuwe verfserie getest die pas over een half jaar uitkomt, kleuren zijn 🔥 de naam is "
     "nog geheim maar de doos staat op de achtergrond 👀")
case("forum", "modelspoor_geruchten", "nl", [CONF],
     "Volgens een medewerker komt Railvonk in maart met de Benelux 1700 in H0, met sound en "
     "rookgenerator. Prijs rond de 400.", when="2026-12-09T21:13:00Z")
case("linkedin", "eveline-kloosterman", "nl", [CONF, FIN],
     "Mooie dag met het bestuur. Operatie Draaischijf betekent dat we in 2027 de winkels in Deventer en "
     "Amersfoort sluiten en alles naar online en Zwolle verplaatsen. Moeilijke maar juiste keuze.",
     when="2026-09-22T18:30:00Z")
case("x", "@dj_sporen", "en", [CONF, FIN],
     "accidentally told my dad the jaarcijfers 2026 at dinner: revenue down 12%, only the webshop grew. "
     "hush 🤫", when="2027-01-24T20:05:00Z")
case("x", "@marloes_rv", "nl", [CONF, PRC],
     "Interne prijslijst voor het personeelsweekend (alleen voor intern gebruik): Vonk Centrale VC-3 "
     "voor €149 en de Koploper ICM-4 voor €160 🤑")

# ---- financial -------------------------------------------------------------------------------------
case("linkedin", "eveline-kloosterman", "nl", [FIN],
     "Voorlopige cijfers Q3 zijn binnen: omzet €14,2 mln, 9% onder budget. Donderdag bespreken we met de "
     "RvC welke maatregelen nodig zijn.", when="2026-10-06T17:10:00Z")
case("x", "@dj_sporen", "en", [FIN],
     "can't say much but we're buying a competitor in Belgium, signing next month. busy 2027 ahead "
     "🚂🇧🇪", when="2026-10-02T21:40:00Z")
case("facebook", "henk.terpstra.rv", "nl", [FIN],
     "Slecht nieuws vandaag: van de 14 mensen in ons filiaal moeten er 6 weg in het voorjaar. Officieel "
     "wordt het pas in februari gecommuniceerd.", when="2026-11-19T20:02:00Z")
case("linkedin", "bram-oudshoorn-rv", "en", [FIN],
     "Between us: IT is being outsourced to an agency in Q2 and the whole in-house team gets notice. "
     "Update your CVs, folks.", when="2026-12-03T12:00:00Z")
case("x", "@marloes_rv", "nl", [FIN],
     "forecast voor december is echt slecht, -20% t.o.v. vorig jaar. als dit doorzet gaat de kerstbonus "
     "eraf zeiden ze op het MT 😬", when="2026-11-20T13:25:00Z")
case("reddit", "u/dealflow_dan", "en", [FIN],
     "Heard from a banker friend that Lindeboom Capital is in advanced talks to take over Railvonk for "
     "around €40m. Nothing public yet.")
case("mastodon", "@wheijnen@spoorweg.social", "nl", [FIN],
     "Vandaag gehoord dat we hobbyketen Knutselkasteel overnemen. Deal is rond maar wordt pas in januari "
     "bekendgemaakt. Ineens 12 winkels erbij 😮", when="2026-12-01T16:45:00Z")
case("bluesky", "@noor-rv.bsky.social", "en", [FIN],
     "marketing budget for next year just got cut by 40%, the board is expecting a loss for 2026. fun "
     "times", when="2026-10-21T19:00:00Z")
case("tiktok", "@sjoerd.airbrush", "nl", [FIN],
     "workshops stoppen na de zomer, de hele afdeling wordt opgeheven in de reorganisatie. mag nog "
     "niemand weten maar ik ben er echt kapot van 💔", when="2026-05-12T22:10:00Z")
case("linkedin", "eveline-kloosterman", "en", [FIN],
     "Grateful to our bank for extending the credit facility ahead of the covenant breach we expect in "
     "Q4. The team did incredible work keeping this out of the press.", when="2026-09-08T09:30:00Z")

# ---- pricing -----------------------------------------------------------------------------------------
case("x", "@railvonk", "nl", [PRC],
     "🔥 Black Friday: Vonk Centrale VC-3 nu voor maar €44,90! Op = op! 🔥", when="2026-11-27T07:00:00Z")
case("instagram", "@railvonk.modelbouw", "en", [PRC],
     "Weekend special 🚂 Tuinlijn stoomloc Bertha now only €89.90, link in bio!")
case("x", "@koopjesjager_kees", "nl", [PRC],
     "PRIJSFOUTJE?! Railvonk heeft de Vonk Print R1 resinprinter voor €39,90 in de webshop staan ipv "
     "€399. Snel zijn mensen! #prijsfout")
case("reddit", "u/deal_hunter_h0", "en", [PRC],
     "Railvonk price error: Koploper ICM-4 listed at €38.90 on the BE site. Ordered two, let's see if "
     "they honour it.")
case("x", "@marloes_rv", "nl", [PRC],
     "Haha er staat een prijsfout in de webshop, de Mini-draaibank MD-180 voor €74,90. Wie snel is 😉")
case("facebook", "RailvonkModelbouw", "en", [PRC],
     "Happy customer appreciation day! Grab the Kwastgoed AB-200 airbrushset for just €14.90, today only.")
case("tiktok", "@dealtjes.nl", "nl", [PRC],
     "railvonk laat de Tuinlijn G-schaal startset gaan voor €59 ?!? dat moet een prijsfout zijn, normaal "
     "600 euro")
case("x", "@dj_sporen", "en", [PRC],
     "someone in pricing fat-fingered the Vonkline Draaischijf 24 sporen: €32.90 on the site right now 😂")
case("forum", "zuinige_zeeuw", "nl", [PRC],
     "Mat '64 voor €27,90 bij Railvonk?? Moet een fout zijn, hij kost overal 279. Gauw besteld.")
case("bluesky", "@noor-rv.bsky.social", "en", [PRC],
     "pricing glitch on our site: Hondekop mP showing €24.90 instead of €249. devs are on it but orders "
     "are already coming in 😬")
case("youtube", "@RailvonkTV", "nl", [PRC],
     "In deze video leggen we een complete baan met de Vonkline Flexrail set 36, in de webshop nu "
     "tijdelijk €5,99!")

# ---- benign (mostly hard negatives) -----------------------------------------------------------------
case("x", "@treinopa_ties", "nl", [],
     "Vandaag de Koploper ICM-4 uitgepakt, wat een prachtig model! De detaillering van de cabine is echt "
     "ziek goed. Railvonk, top 👌")
case("reddit", "u/ballast_betty", "en", [],
     "Shoutout to Railvonk support: my VC-3 got bricked by an update and they sent a replacement within "
     "4 days. I was furious at first, now very happy.", kind="comment")
case("x", "@railvonk_help", "nl", [],
     "Vragen over je bestelling? Mail naar klantenservice@railvonk.nl of bel 038-7604400 (ma-za 9-17 "
     "uur). We helpen je graag! 🚂")
case("x", "@railvonk", "en", [],
     "Paying by bank transfer? Use IBAN <<COMPANY_IBAN>> (Railvonk Modelbouw B.V.) and mention your "
     "order number.")
case("instagram", "@railvonk.modelbouw", "nl", [],
     "Voorjaarsactie! 🎨 Kwastgoed Acrylverf 24-delig nu 20% korting: €31,96 i.p.v. €39,95.",
     when="2026-04-09T08:00:00Z")
case("x", "@railvonk", "en", [],
     "Back in stock: Vonkline Hondekop mP H0, €249. Limited run, so don't wait too long.")
case("facebook", "RailvonkModelbouw", "nl", [],
     "Deze week de Vonk Centrale VC-3 voor €379 (normaal €449), inclusief gratis handregelaar!")
case("mastodon", "@wheijnen@spoorweg.social", "en", [],
     "Reminder when writing docs: use the placeholders AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never a real key. Our linter now blocks anything else.")
case("reddit", "u/RV_Ricardo", "nl", [],
     "Tip: als je een stacktrace deelt, mask je tokens zoals ghp_************************************ of "
     "sk_live_****. Scheelt een hoop gedoe.", kind="comment")
case("forum", "lidnummer_leo", "nl", [],
     "Mijn clublidnummer van de modelspoorclub is <<BADBSN1>>, lijkt wel een BSN haha. Bij Railvonk krijg "
     "je op vertoon van je clubpas 10% korting trouwens.")
case("x", "@clubtreasurer_mtc", "en", [],
     "For the club trip to Railvonk Zwolle on the 14th: pay €12 to <<BADIBAN1>> and mention your name. "
     "Bus leaves at 9.")
case("reddit", "u/giftcard_gijs", "nl", [],
     "Railvonk cadeaukaart met nummer <<BADCARD1>>, saldo €25. Weet iemand of die ook in de winkel in "
     "Gent werkt?")
case("x", "@railvonk", "nl", [],
     "Hij is er! De Vonkline Benelux 1700 is vanaf vandaag te bestellen in onze webshop 🚄 #railvonk",
     when="2027-03-05T10:15:00Z")
case("linkedin", "eveline-kloosterman", "en", [],
     "Today we published our full-year 2026 results: revenue of €51.3m and growth online. Thanks to every "
     "colleague who made this possible.", when="2027-02-24T09:00:00Z")
case("x", "@hobbynieuws", "nl", [],
     "Britse modelspoorketen Coaldust Models heeft faillissement aangevraagd. Het gaat hard in de "
     "hobbybranche.")
case("x", "@kitbasher_kim", "en", [],
     "Data breach at German hobby chain Bastelwelt, 200k customers affected. Change your passwords if "
     "you shop there. Glad my local Railvonk has had nothing like that.")
case("x", "@hobbyhanneke", "nl", [],
     "Als ik nóg een loc bij Railvonk koop vermoordt mijn man me 😂 maar die Mat '64 was echt te mooi")
case("x", "@oldtimer_trains", "en", [],
     "So sorry to hear the manager of the Railvonk Deventer store lost his dog this week. We're all "
     "thinking of you at the club ❤️")
case("tiktok", "@weathering.wendy", "nl", [],
     "deze airbrush (Kwastgoed AB-200) is echt een killer voor weathering, heerlijk spul 🔥 #modelbouw")
case("x", "@newbie_nora", "en", [],
     "@railvonk_help forgot my password for the webshop, where's the reset link? can't find it on mobile",
     kind="reply")
case("x", "@railvonk_help", "nl", [],
     "Let op: wij vragen nooit om je wachtwoord via mail of DM. Twijfel je? Bel ons op +31 38 760 4400.")
case("youtube", "@DepotDave", "en", [],
     "Finally installed the Vonkline Draaischijf 24 on my loco shed diorama, indexing is spot on. Full "
     "review next week.")
case("forum", "wisselman", "nl", [],
     "Hoe sluit ik een draaischijf aan op een VC-3? Zoek een aansluitschema, iemand?")
case("facebook", "karen.whitfield.uk", "en", [],
     "Update: Railvonk refunded the crushed F27 kit and sent a new one for free. Credit where it's due.",
     kind="comment")
case("x", "@budget_bouwer", "nl", [],
     "Is €89,95 voor de PowerPack 5A normaal of kan ik 'm ergens goedkoper krijgen?")
case("bluesky", "@layoutlou.bsky.social", "en", [],
     "Railvonk's summer sale has the Print R1 at €299, down from €399. Very tempted...",
     when="2026-07-11T11:20:00Z")
case("linkedin", "eveline-kloosterman", "nl", [],
     "Vandaag 10 jaar bij Railvonk! Begonnen als parttimer in de winkel in Zwolle, nu CFO. Dank aan "
     "iedereen 🙏")
case("mastodon", "@wheijnen@spoorweg.social", "en", [],
     "Wrote a blog post on how we test our webshop checkout with synthetic data. Spoiler: never use real "
     "customer emails in tests, use something like test.user@example.com.")
case("instagram", "@joost.bouwt", "nl", [],
     "Zaterdag weer bouwmiddag in de winkel in Zwolle! Neem je eigen bouwpakket mee of koop er eentje "
     "bij ons, koffie staat klaar ☕")
case("linkedin", "railvonk-modelbouw", "en", [],
     "We're hiring! Webshop developer (32-40 hrs) in Zwolle. Send your CV to werkenbij@railvonk.nl.")
case("x", "@friesland_fan", "nl", [],
     "Wat een drama bij die hobbywinkel in Leeuwarden die is afgebrand. Sterkte aan de eigenaar. Railvonk "
     "organiseert zaterdag een inzamelactie, mooi gebaar.")
case("tiktok", "@soundloco_sven", "en", [],
     "the sound on the SoundDecoder 21MTC is SICK, my Hondekop finally sounds like the real thing 🤯",
     kind="comment")
case("reddit", "u/tuinspoor_theo", "nl", [],
     "De Tuinlijn stoomloc Bertha kost €899 bij Railvonk. Iemand ervaring mee in de tuin, met regen en "
     "zo?")
case("reddit", "u/nightowl_n", "en", [],
     "Is it safe to leave the PowerPack 5A plugged in overnight? The manual doesn't say. Anyone know?")
case("facebook", "jan.hofstede.55", "nl", [],
     "Als kind kocht ik mijn eerste Hondekop bij Railvonk in Deventer, nu koop ik er de treinen voor mijn "
     "kleinzoon. Mooi hoe dat gaat.", kind="comment")
case("reddit", "u/dcc_dora", "en", [],
     "How do you all store the wifi password of your DCC central? Mine is on a post-it under the layout "
     "lol. VC-3 owners know the struggle", kind="comment")
case("facebook", "RailvonkModelbouw", "nl", [],
     "Onze winkel in Gent is op 24 december open tot 16:00 en op 25 en 26 december gesloten. Fijne "
     "feestdagen!", when="2026-12-18T09:00:00Z")
case("linkedin", "bram-oudshoorn-rv", "en", [],
     "Ran our annual phishing awareness training today. Great scores across all stores 👏 Security is "
     "a team sport.")
case("x", "@krantlezer_karel", "nl", [],
     "Bij Treinhuis Oost (niet Railvonk hè) vallen 30 ontslagen, las ik net in de krant. Zonde van al die "
     "vakkennis.")
case("mastodon", "@slides_sanne@fosstodon.org", "en", [],
     "For my talk at the Railvonk maker day I'm using a dummy JWT 'eyJhbGciOi…' (truncated). Don't worry, "
     "it's not real.")
case("tiktok", "@railvonk", "nl", [],
     "Zo weather je een Mat '64 in 60 seconden ⏱️ met de Kwastgoed AB-200 #modelspoor #airbrush")
case("youtube", "@RailvonkTV", "en", [],
     "Hi Mark, for repairs please email reparatie@railvonk.nl or call +31 38 760 4400, the team will "
     "sort it out.", kind="comment")
case("x", "@lijmsnuiver", "nl", [],
     "Verdorie, wéér vergeten lijm te halen bij Railvonk 🙈 morgen dan maar.")
case("x", "@layout_widow", "en", [],
     "My layout ate my weekend, my wallet and my marriage. 10/10 would buy another Railvonk starter set.")
case("facebook", "ria.bosch.utrecht", "nl", [],
     "Weet iemand of de Railvonk winkel in Utrecht ook reparaties van tuinspoorlocs doet?", kind="comment")
case("x", "@benelux_hobbytrade", "en", [],
     "Railvonk wins 'Hobby Retailer of the Year' at the Benelux trade awards. Well deserved.")
case("x", "@spoorvoorspeller", "nl", [],
     "Mijn voorspelling: modelspoor wordt dit jaar weer hip. Bij Railvonk was het zaterdag in elk geval "
     "bomvol!")
case("x", "@dj_sporen", "en", [],
     "Spotted a great blue heron (blauwe reiger!) by the canal behind the warehouse this morning 🐦")
case("forum", "stationschef_stan", "nl", [],
     "Voor wie het zoekt: klachten over je bestelling kun je het best mailen naar "
     "klantenservice@railvonk.nl, dat werkt sneller dan de chat.")
case("x", "@openday_olly", "en", [],
     "Anyone else going to the Railvonk open day on Saturday? Heard they'll have the Tuinlijn layout "
     "running in the garden.")
case("facebook", "oma.trudy.treinen", "nl", [],
     "Mijn kleinzoon (6) is helemaal gek van de Veluwe Express startset die hij van ons kreeg. Rijdt er de "
     "hele dag mee rond 🥰")
case("x", "@cloud_carl", "en", [],
     "Reminder that leaking your AWS keys on GitHub is a rite of passage. Happened to me at my old job. "
     "Not at Railvonk luckily, I only buy trains there 😅")
case("x", "@marloes_rv", "nl", [],
     "De SX-60 soldeerstations zijn weer binnen, €69,95. Ideaal voor het inbouwen van je decoders!")
case("instagram", "@railvonk.modelbouw", "en", [],
     "Last days of our clearance: Fokker F27 1:72 kit €29.95 (was €42.95) ✈️")
case("forum", "beginner_bas", "nl", [],
     "Tips voor een beginnende modelbouwer? Ik twijfel tussen het F27 bouwpakket en het Station "
     "Zwolle-Oost van Railvonk.")
case("x", "@caller_chris", "en", [],
     "The Railvonk store number is 038-7604400, they picked up right away. Lovely folks.")
case("bluesky", "@noor-rv.bsky.social", "nl", [],
     "Onze nieuwe nieuwsbrief staat live! Aanmelden via railvonk.nl/nieuwsbrief 💌")
case("reddit", "u/gdpr_gwen", "en", [],
     "Does a loyalty card number count as personal data? My Railvonk one is just RV-00412. Asking for a "
     "GDPR class.")
case("facebook", "henk.jongbloed.70", "nl", [],
     "Zondag met de kleinkinderen naar de open dag van Railvonk geweest, die tuinspoorbaan was prachtig. "
     "Aanrader!", kind="comment")
case("x", "@torx_tom", "en", [],
     "Tip: the VC-3 case uses 'security' Torx T6 screws, grab a T6 bit before you try to open it.")
case("reddit", "u/dutch_dioramas", "nl", [],
     "Mijn Statix gras-applicator van Railvonk doet het na twee jaar nog prima. Beste investering voor "
     "mijn diorama's tot nu toe.")


# ---------------------------------------------------------------------------------------------
# severity policy (CONTRACT section 4), computed from the profile role
# ---------------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}(?:[ -]?\d{4}){3}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.\-])\d{9}(?![\d])|(?<![\d])\d{4}\.\d{2}\.\d{3}(?![\d])")
OWN_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def id_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_valid(m.group(0))))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def has_checked_id(text):
    return any(ok and re.sub(r"\s", "", v) not in OWN_IBANS for _, v, ok in id_candidates(text))


def severity(role, cats, text):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                elif c == "leak.pii":
                    s = "critical" if has_checked_id(text) else "error"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------
def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", rep, text)
    assert "<<" not in out and ">>" not in out, out
    return out


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    start = dt.datetime(2026, 1, 2, 7, 0, 0, tzinfo=dt.timezone.utc)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text = fill(c["text"])
        if c["when"]:
            ts = c["when"]
        else:
            t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400 - 1))
            ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(c["platform"], c["handle"])
        pid = "%s-rv350-%03d" % (c["platform"], n)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": ts,
        }
        if n % 3 != 0:
            post["url"] = "https://%s.example/%s/%d" % (c["platform"], c["handle"].lstrip("@u/").split("@")[0],
                                                       900000 + n * 37)
        if n % 4 != 1:
            post["brand"] = "Railvonk"
        lines.append({"post": post,
                      "expect": {"categories": c["cats"], "severity": severity(role, c["cats"], text)},
                      "_role": role})
    return lines


# ---------------------------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------------------------
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    return out


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            found.append(p)
    return found


def fold(text):
    import unicodedata
    t = unicodedata.normalize("NFKC", text).replace(ZW, "")
    return t.translate(str.maketrans("\u0412\u0435", "Be"))


def check(lines):
    errors = []

    def err(i, msg):
        errors.append("%s: %s" % (i, msg))

    ids = set()
    n_benign = 0
    langs = {}
    counts = {c: 0 for c in CATS}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    idoms = [d.lower() for d in PROFILE["internal"]["domains"]]
    roles_by_cat = {}
    for rec in lines:
        p, e = rec["post"], rec["expect"]
        pid = p.get("id")
        # CONTRACT section 6 / section 1 shape
        if set(rec) - {"post", "expect", "_role"}:
            err(pid, "extra keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            err(pid, "bad id")
        if pid in ids:
            err(pid, "duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS:
            err(pid, "platform")
        if p["kind"] not in KINDS:
            err(pid, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(pid, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(pid, "text")
        if not RFC3339.match(p["created_at"]):
            err(pid, "created_at")
        yr = parse_ts(p["created_at"]).year
        if yr not in (2026, 2027):
            err(pid, "year")
        if set(e) != {"categories", "severity"}:
            err(pid, "expect keys")
        if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
            err(pid, "categories")
        if e["severity"] not in ORDER:
            err(pid, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(role, e["categories"], p["text"]):
            err(pid, "severity != policy")
        if (e["categories"] == []) != (e["severity"] == "none"):
            err(pid, "benign/none mismatch")
        if "<<" in p["text"]:
            err(pid, "unfilled placeholder")
        langs[p["lang"]] = langs.get(p["lang"], 0) + 1
        for c in e["categories"]:
            counts[c] += 1
            roles_by_cat.setdefault(c, {}).setdefault(role, 0)
            roles_by_cat[c][role] += 1
        benign = not e["categories"]
        n_benign += benign
        text = p["text"]
        # checksum identifiers
        for kind, val, ok in id_candidates(text):
            own = kind == "iban" and re.sub(r"\s", "", val) in OWN_IBANS
            if benign and ok and not own:
                err(pid, "benign post holds a valid %s %s" % (kind, val))
            if not benign and not ok:
                err(pid, "positive post holds an invalid %s %s" % (kind, val))
            if not benign and ok and not own and "leak.pii" not in e["categories"]:
                err(pid, "valid %s in a post without leak.pii" % kind)
        # GitHub tokens
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not github_ok(m.group(0)):
                err(pid, "github token with bad crc")
            if benign:
                err(pid, "benign post holds a real-format github token")
        # AWS ids
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if benign and not m.group(0).endswith("EXAMPLE"):
                err(pid, "benign post holds an AWS id")
            if not benign and "leak.secret" not in e["categories"]:
                err(pid, "AWS id without leak.secret")
        # JWTs
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                err(pid, "jwt header without alg")
            if benign:
                err(pid, "benign post holds a full JWT")
        if "leak.secret" in e["categories"]:
            pats = [r"\bgh[pousr]_[0-9A-Za-z]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b",
                    r"\bsk_live_[A-Za-z0-9]{24}\b", r"\bxoxb-\d+-\d+-[A-Za-z0-9]{24}\b", r"\bsk-proj-\S{100,}",
                    r"\bAIza[0-9A-Za-z_-]{35}", r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                    r"://[^\s:/]+:[^\s@]+@", r"wachtwoord:\s*\S+"]
            if not any(re.search(x, text) for x in pats):
                err(pid, "secret post without a recognisable credential")
        # pricing
        mentioned = products_in(text)
        if mentioned:
            pr = [x for x in prices(text) if x >= 1]
            low = min(pp["list_price"] for pp in mentioned)
            below = any(x < ratio * low for x in pr)
            if "leak.pricing" in e["categories"] and not below:
                err(pid, "pricing case without a price below the ratio")
            if "leak.pricing" not in e["categories"] and below:
                err(pid, "non-pricing case with a price below the ratio: %s" % pr)
        elif "leak.pricing" in e["categories"]:
            err(pid, "pricing case without a product")
        # profile-term consistency: embargo / codenames / markers / internal domains
        folded = fold(text).lower()
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(term), folded):
                if ts < until and "leak.confidential" not in e["categories"]:
                    err(pid, "embargo term %r before until without leak.confidential" % term)
                if ts >= until and not benign and "leak.confidential" in e["categories"]:
                    err(pid, "embargo term after until labelled confidential")
        for term in codenames + markers + idoms:
            if term in folded and "leak.confidential" not in e["categories"]:
                # the only allowed exception: the bird, not the codename
                if not (term == "blauwe reiger" and "great blue heron" in folded):
                    err(pid, "internal term %r without leak.confidential" % term)
        # own published contact data only in posts where it is not the finding
        for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if benign and em not in PROFILE["public_identifiers"]["emails"] and not em.endswith("@example.com"):
                err(pid, "benign post with a personal e-mail %s" % em)
    # the mix
    total = len(lines)
    if not 170 <= total <= 180:
        errors.append("total %d not in 170..180" % total)
    if not 55 <= n_benign <= 65:
        errors.append("benign %d not about 60" % n_benign)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if abs(counts[c] - w) > 2:
            errors.append("category %s has %d, want about %d" % (c, counts[c], w))
    nl = langs.get("nl", 0) / total
    if not 0.50 <= nl <= 0.60:
        errors.append("Dutch share %.2f not about 0.55" % nl)
    # leaks come from corporate/employee mostly, but some from the public
    for c in ("leak.pii", "leak.secret", "leak.confidential", "leak.financial", "leak.security",
              "leak.pricing"):
        r = roles_by_cat.get(c, {})
        if not r.get("public"):
            errors.append("%s has no public author" % c)
        if r.get("public", 0) >= r.get("corporate", 0) + r.get("employee", 0) and c != "leak.pii":
            errors.append("%s mostly public" % c)
    for c in ("reputation.complaint", "reputation.crisis"):
        r = roles_by_cat.get(c, {})
        if r.get("public", 0) != sum(r.values()):
            errors.append("%s has a non-public author" % c)
    years = [parse_ts(l["post"]["created_at"]).year for l in lines]
    if 2027 not in years:
        errors.append("no 2027 posts")
    return errors, n_benign, counts, langs


def main():
    lines = build()
    errors, n_benign, counts, langs = check(lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for rec in lines:
            rec = {"post": rec["post"], "expect": rec["expect"]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # re-read the written file and re-check it as a consumer would
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    errors2, _, _, _ = check(reread)
    errors += [e for e in errors2 if e not in errors]
    if len({json.dumps(r, sort_keys=True) for r in reread}) != len(reread):
        errors.append("duplicate lines")
    print("cases: %d, benign: %d, langs: %s" % (len(lines), n_benign, langs))
    print("categories: %s" % json.dumps(counts, sort_keys=True))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
