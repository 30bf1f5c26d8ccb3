#!/usr/bin/env python3
"""Labelled evaluation set 342 for postwatch (company: Roetkap Haardservice B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
this file and checks it (CONTRACT section 6, severity policy section 4, checksums
of identifiers and credentials, embargo windows, consistency of benign posts).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 342
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(ch, 36)) for ch in r))
    return n % 97 == 1


def make_iban(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_valid(num):
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


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


# --------------------------------------------------------------------------
# generators (each call appends what it made to CUR so the checks can see it)
# --------------------------------------------------------------------------
CUR = []


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def g_iban(spaced=False):
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    ib = make_iban(bank, acct)
    CUR.append(("iban", ib))
    if spaced:
        return " ".join(ib[i:i + 4] for i in range(0, len(ib), 4))
    return ib


def g_bad_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    good = make_iban(bank, acct)
    chk = int(good[2:4])
    bad = "NL%02d%s" % ((chk + 7) % 97 + 2, good[4:])
    if iban_valid(bad):
        bad = "NL%02d%s" % ((chk + 13) % 97 + 2, good[4:])
    CUR.append(("bad_iban", bad))
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def _card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def g_card(kind="visa", spaced=True):
    num = _card("4") if kind == "visa" else _card(rng.choice(["51", "52", "53", "54", "55"]))
    CUR.append(("card", num))
    return " ".join(num[i:i + 4] for i in range(0, 16, 4)) if spaced else num


def g_bad_card():
    num = _card("6034")
    bad = num[:-1] + str((int(num[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    CUR.append(("bad_card", bad))
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def g_bsn(dotted=False):
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if last <= 9:
            num = "".join(map(str, d)) + str(last)
            if bsn_valid(num):
                break
    CUR.append(("bsn", num))
    return "%s.%s.%s" % (num[:4], num[4:6], num[6:]) if dotted else num


def g_gh(prefix="ghp_"):
    body = rs(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    CUR.append(("gh", tok))
    return tok


def g_aws():
    k = "AKIA" + rs(string.ascii_uppercase + "234567", 16)
    CUR.append(("aws", k))
    return k


def g_aws_secret():
    return rs(string.ascii_letters + string.digits + "/+", 40)


def g_mollie():
    return "live_" + rs(ALNUM, 30)


def g_slack():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**10, 10**12), rng.randrange(10**11, 10**13), rs(ALNUM, 24))


def g_openai():
    return "sk-proj-" + rs(ALNUM + "-_", 74) + "T3BlbkFJ" + rs(ALNUM + "-_", 74)


def g_google():
    return "AIza" + rs(ALNUM + "-_", 35)


def g_stripe():
    return "sk_live_51" + rs(ALNUM, 96)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def g_jwt():
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(0, 300 * 86400)
    pl = b64url(json.dumps({"sub": "planbord-api", "role": "monteur-admin", "uid": rng.randrange(1000, 9999),
                            "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    tok = hdr + "." + pl + "." + sig
    CUR.append(("jwt", tok))
    return tok


def g_sshkey():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519"
    raw += bytes(rng.randrange(256) for _ in range(260))
    enc = base64.b64encode(raw).decode()
    return "\n".join(enc[i:i + 70] for i in range(0, len(enc), 70))


def g_dbpass():
    return rs(string.ascii_letters + string.digits, 12) + rng.choice("!~") + rs(string.digits, 2)


def g_pub_iban():
    ib = PROFILE["public_identifiers"]["ibans"][0]
    return " ".join(ib[i:i + 4] for i in range(0, len(ib), 4))


GEN = {
    "iban": lambda: g_iban(False),
    "iban_sp": lambda: g_iban(True),
    "bad_iban": g_bad_iban,
    "card_visa": lambda: g_card("visa", True),
    "card_mc": lambda: g_card("mc", True),
    "card_plain": lambda: g_card("visa", False),
    "bad_card": g_bad_card,
    "bsn": lambda: g_bsn(False),
    "bsn_dotted": lambda: g_bsn(True),
    "gh": g_gh,
    "aws": g_aws,
    "aws_secret": g_aws_secret,
    "mollie": g_mollie,
    "slack": g_slack,
    "openai": g_openai,
    "google": g_google,
    "stripe": g_stripe,
    "jwt": g_jwt,
    "sshkey": g_sshkey,
    "dbpass": g_dbpass,
    "pub_iban": g_pub_iban,
}


def fw(s):
    """full-width letters (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_A = "\u0430"   # а
CYR_O = "\u043e"   # о
CYR_I = "\u0456"   # і

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCU = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"

# --------------------------------------------------------------------------
# the posts: (platform, handle, lang, kind, categories, text, created_at or None)
# --------------------------------------------------------------------------
P = []


def c(platform, handle, lang, text, cats=(), kind="post", when=None):
    P.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=list(cats), kind=kind, when=when))


# ===== complaints =====
c("x", "@gerdavdmeer", "nl",
  "Drie keer een afspraak gemaakt voor de veegbeurt bij @roetkap_nl en drie keer komt er niemand opdagen. "
  "Elke keer een dag vrij genomen voor niks. Wat een club zeg 😤", [CMP])
c("reddit", "u/cold_in_utrecht", "en",
  "PSA for the Utrecht area: Roetkap put in our Vlamkorf 8 in October and the door never closed properly from day one. "
  "Glass goes black within an hour of lighting it. Three emails, zero technician visits so far.", [CMP])
c("facebook", "jeroen.balk.77", "nl",
  "Monteur heeft na het plaatsen van de rookgasafvoer een enorme zooi achtergelaten. Roet op de bank, gruis over de hele vloer, "
  "niet eens een kleed neergelegd. Op jullie site staat 'wij laten alles schoon achter'... ja ja Roetkap", [CMP], kind="comment")
c("x", "@thatmikeguy", "en",
  "@roetkap_helpt 45 min on hold on your 0800 line and then it just hangs up on me. twice now. how hard can it be to move a chimney sweep appointment",
  [CMP], kind="reply")
c("forum", "kachelfreak_harm", "nl",
  "Ervaringen met Roetkap? Ik had de Veegbeurt Plus met camera-inspectie geboekt (149 euro!!) maar er is geen camera in de schoorsteen geweest. "
  "Tien minuten geborsteld, handtekening en weg. Het beloofde rapport heb ik ook nooit gezien.", [CMP])
c("instagram", "@lisa.woont", "nl",
  "Mooie plaatjes allemaal @roetkap.haard maar onze Eikhof cassette staat al vijf weken half ingebouwd in de woonkamer, "
  "met een gat in de muur. Niemand belt terug.", [CMP], kind="comment")
c("x", "@pvanderlinden", "nl",
  "@roetkap_helpt Op de factuur staat 2 uur arbeid, de jongen stond hier 40 minuten. Graag een gecorrigeerde factuur, "
  "afspraakgegevens staan in jullie DM.", [CMP], kind="reply")
c("tiktok", "@dewoonboot", "nl",
  "bij ons liep jullie veger met modderschoenen over de nieuwe vloerbedekking 🙃 en toen ik er wat van zei moest ie lachen. top service roetkap",
  [CMP], kind="comment")
c("facebook", "Sarah.Whitfield.NL", "en",
  "Bought the Duinvuur pellet stove from Roetkap last winter. The auger has jammed four times already and every repair visit gets "
  "billed separately, even though it's still under warranty. Really not impressed.", [CMP])
c("reddit", "u/Hollandse_Houthakker", "nl",
  "Roetkap heeft onze schoorsteenkap vervangen door zo'n Windvaan en nu fluit het ding zodra het een beetje waait. "
  "Klinkt als een fluitketel, de hele nacht. Monteur zegt 'hoort zo'. Niet dus.", [CMP])
c("threads", "@cozyhomeclaire", "en",
  "So Roetkap's 'free quote' visit shows up on the invoice as a €75 call-out charge. Nothing about that anywhere when I booked. Sneaky.",
  [CMP])
c("x", "@famheijnen", "nl",
  "Vlamkorf 12 gekocht bij Roetkap, ruit na één stookseizoen gescheurd en nu is het ineens 'gebruikersfout'. "
  "2400 euro voor een kachel die niet eens een winter meegaat 👎", [CMP])
# complaint + abuse
c("x", "@anouk_vd", "nl",
  "Vijf weken wachten op een kachel en dan komt die kutmonteur van jullie ook nog een dag te laat en zonder onderdelen. "
  "Kutbedrijf @roetkap_nl", [CMP, ABU])

# ===== first-hand safety incidents: crisis + complaint =====
c("x", "@marieke_tromp", "nl",
  "Gisteravond ging onze CO-melder af. Blijkt dat Roetkap bij het plaatsen van de Vlamkorf 8 de rookgasafvoer niet goed heeft aangesloten. "
  "Beide kinderen met hoofdpijn en misselijk naar de huisartsenpost. Ik ben woest.", [CRI, CMP])
c("reddit", "u/fireside_dan", "en",
  "Our Eikhof cassette insert set the timber beam above it on fire last night. Fire brigade said the heat shield kit was never fitted. "
  "Roetkap installed it three weeks ago. We're ok but still shaking.", [CRI, CMP])
c("facebook", "Fam.Oudshoorn", "nl",
  "Onze Duinvuur pelletkachel van Roetkap gaf mijn man een flinke schok toen hij het bedieningspaneel aanraakte!! "
  "Elektricien zegt dat de aarding los zat sinds de installatie. Levensgevaarlijk, en Roetkap reageert niet.", [CRI, CMP])
c("x", "@rob_h_delft", "en",
  "The Waakvlam CO alarm we bought from Roetkap stayed completely silent while the stove was backdrafting. "
  "Two of us ended up in A&E with carbon monoxide poisoning. Battery was full. Who tests these things?", [CRI, CMP])
c("instagram", "@janine.bakt", "nl",
  "De veger van Roetkap heeft de vonkenvanger los op ons dak laten liggen. Vanochtend in de storm naar beneden gekomen, "
  "precies naast mijn dochter op de stoep. Had haar hoofd kunnen zijn 😡", [CRI, CMP])

# ===== crisis (third party, boycott, lawsuit, recall, breach accusation) =====
c("x", "@nieuws_amersfoort", "nl",
  "Woningbrand in Leusden: volgens de brandweer begon het bij een houtkachel die vorige maand door Roetkap is geplaatst. "
  "De bewoners konden op tijd naar buiten.", [CRI])
c("x", "@HomeSafetyWatch", "en",
  "Reports keep coming in of Roetkap Duinvuur pellet stoves overheating at the control board. A consumer group is now calling for a recall. "
  "Check your serial number.", [CRI])
c("reddit", "u/boos_in_breda", "nl",
  "BOYCOT ROETKAP. Ze sturen hun vegers zonder valbeveiliging het dak op, vorig jaar is er al eentje vanaf gevallen en ze doen gewoon niks. "
  "Deel dit. #boycotroetkap", [CRI])
c("linkedin", "mark-verhoeven-advocaat", "en",
  "We have filed a collective claim on behalf of 38 households against Roetkap Haardservice B.V. over improperly installed flue systems. "
  "Affected homeowners are invited to contact our office.", [CRI])
c("x", "@privacy_waakhond", "nl",
  "De klantendatabase van Roetkap staat te koop op een hackersforum. Namen, adressen én wanneer mensen thuis zijn (veegafspraken!). "
  "Waarom hoor ik hier niks over van Roetkap zelf? #datalek", [CRI])
c("bluesky", "@newsdesk-gelderland.bsky.social", "en",
  "Roetkap is recalling Waakvlam CO detectors sold between March and September after reports that some units fail to sound. "
  "Customers are urged to stop using them immediately.", [CRI])
c("tiktok", "@klusjesman_kees", "nl",
  "kijk deze beelden 😳 monteur van roetkap boort dwars door een gasleiding bij het plaatsen van een kachel in Zwolle, halve straat geëvacueerd. "
  "dit is toch niet normaal", [CRI])
c("x", "@ecoheat_critic", "en",
  "New investigation by a regional broadcaster: Roetkap sold 'certified clean' stoves that never actually passed the emissions test. "
  "If true that's a proper scandal.", [CRI])
c("facebook", "Buurtapp.Hoogland", "nl",
  "Let op buren: gisteravond schoorsteenbrand in de Kerkstraat, een dag na een 'veegbeurt' van Roetkap. Brandweer zegt dat er een prop roet "
  "is blijven zitten. Gelukkig niemand gewond.", [CRI])
c("reddit", "u/stovegeek_uk", "en",
  "Heard a Roetkap installer in Hilversum was badly burned when a stove he was commissioning blew back at him. "
  "Hope he pulls through. Company hasn't said a word about it.", [CRI])

# ===== abuse =====
c("x", "@dirkjan_xx", "nl",
  "@roetkap_helpt stelletje incompetente idioten, leer eerst eens een schoorsteen vegen voor je geld gaat vragen", [ABU], kind="reply")
c("x", "@burnt_out_bob", "en",
  "roetkap staff are absolute morons. guy today couldn't even find his own ladder. clowns, the lot of you 🤡", [ABU])
c("instagram", "@zz_henkie", "nl",
  "Die planner van jullie, Marloes, is echt een arrogante trut. Doe eens normaal tegen je klanten @roetkap.haard", [ABU], kind="comment")
c("x", "@vuurvreter88", "nl",
  "R0etk@p = k4nk3rb3dr1jf. hoop dat jullie failliet gaan", [ABU])
c("reddit", "u/Throwaway_chimney", "en",
  "Honestly f*ck Roetkap and their sh*tty 'sweeps'. Scammers in overalls, the whole lot.", [ABU])
c("tiktok", "@xx_ruud_xx", "nl",
  "die gast van roetkap is echt een k l o o t z a k, loopt gewoon zonder te vragen mn slaapkamer in", [ABU], kind="comment")
c("x", "@truepatriot_nl", "en",
  "Of course Roetkap sends some foreigner who can't even speak Dutch to do my chimney. Go back where you came from.", [ABU])
c("facebook", "Gerrit.Hazelaar", "nl",
  "Die vrouw aan de telefoon bij Roetkap is zo dom als het achtereind van een varken. Wat een achterlijk volk werkt daar.", [ABU])
c("x", "@bramdekker_rk", "nl",
  "Weer zo'n zeikerd van een klant die alles beter weet. Man, hou toch je bek en laat me m'n werk doen 🙄", [ABU])
c("tiktok", "@sem_veegt", "en",
  "pov: the customer is a total idiot who lit the stove WHILE i was still on the roof 🤬 some people are too stupid to own a fireplace",
  [ABU])
c("mastodon", "@grumpyoldman", "en",
  "Roetkap: a bunch of " + "%sd%s%sts" % (CYR_I, CYR_I, CYR_O) + " and th" + CYR_I + "eves. Never again.", [ABU])

# ===== personal data =====
c("x", "@roetkap_helpt", "nl",
  "@hvdvelde Beste Hans, uw afspraak is verzet naar dinsdag 10:00. Ter controle: H. van de Velde, Lindenlaan 14, 3818 KB Amersfoort, "
  "tel. 06-31 55 20 84. Klopt dit nog?", [PII], kind="reply")
c("instagram", "@kevin.schoorsteen", "nl",
  "Vandaag bij mevrouw Jansen aan de Molenweg 3 in Soest geweest. Geboren op 4 mei 1934 vertelde ze trots, en nog elke dag de kachel aan 🔥 respect!",
  [PII])
c("facebook", "RoetkapHaardservice", "en",
  "Hi Tom, the refund for the double charge is on its way to <<iban_sp>> (T. Brouwer). Please allow three working days.", [PII],
  kind="reply")
c("x", "@nina_kookt", "nl",
  "@roetkap_helpt ik word nu al een week niet teruggebeld, hier nogmaals mijn nummer: 06 2184 7730. Graag vandaag nog!", [PII, CMP],
  kind="reply")
c("x", "@marloes_veegt", "nl",
  "Wie heeft de creditcard van een klant in de afspraaknotities gezet?? <<card_visa>> staat er gewoon in 😩 even weghalen aub", [PII])
c("x", "@emmadg87", "en",
  "@roetkap_helpt could someone call me about moving my sweep appointment? emma.degraaf87@gmail.com or 06-27418835, any time after 4pm. Thanks!",
  [PII], kind="reply")
c("linkedin", "ayse-yilmaz-roetkap", "nl",
  "Welkom aan onze nieuwe collega's! Voor de salarisadministratie nog even: Rik Mulder, BSN <<bsn>>, graag voor vrijdag naar payroll.",
  [PII])
c("x", "@roetkap_nl", "en",
  "And the winner of our Vlamkorf giveaway is... Priya Raman from Esdoornstraat 27 in Zeist! 🎉 We'll drop by on Friday to install it.",
  [PII])
c("facebook", "Kees.Hofstra", "nl",
  "Roetkap, jullie moeten nog steeds geld terugstorten. Rekeningnummer: <<iban>> t.n.v. K. Hofstra. Dit is de derde keer dat ik het vraag.",
  [PII, CMP])
c("x", "@jvanleeuwen_rk", "nl",
  "@wsmits_ Ik heb je gegevens doorgezet naar de planning: w.smits@hotmail.com / 06-48213907. Je hoort morgen van ons 👍", [PII],
  kind="reply")
c("threads", "@dutch.dad.diaries", "en",
  "lol the Roetkap guy left his work tablet on our garden wall. Screen shows his route for today: 'A. Visser, Koningsweg 12, Bussum – key under the mat'. "
  "Called them to come get it.", [PII])
c("instagram", "@roetkap.haard", "nl",
  "Gefeliciteerd Joke Vermeulen (geb. 17-02-1950)! 🎉 Al 25 jaar klant en vandaag voor de 50ste keer door ons geveegd.", [PII])
c("mastodon", "@ingrid_devops", "en",
  "Can someone in finance please stop pasting full card numbers into tickets? Just found <<card_mc>> in a plain-text note from last week.",
  [PII])
c("x", "@opa_gerrit", "nl",
  "Roetkap wil mijn BSN voor de subsidieaanvraag van de nieuwe kachel? Nou, hier dan: <<bsn_dotted>>. Ik snap die formulieren toch niet.",
  [PII])
c("facebook", "daan.roetkap", "nl",
  "Klant in Hilversum heeft z'n bankpas in de bus laten liggen 🙈 <<card_plain>> op naam van R. de Wit, bel me ff als je dit bent", [PII])

# ===== secrets =====
c("mastodon", "@ingrid_devops", "en",
  "deploy of the booking site failing again, env dump if anyone wants to take a look:\nAWS_ACCESS_KEY_ID=<<aws>>\n"
  "AWS_SECRET_ACCESS_KEY=<<aws_secret>>\nAWS_REGION=eu-west-1", [SEC])
c("x", "@jvanleeuwen_rk", "nl",
  "Kan iemand checken waarom de CI niet kan pullen? token is <<gh>> , zou gewoon read access moeten hebben", [SEC])
c("reddit", "u/rk_wouter", "en",
  "Mollie keeps returning 401 on our booking webhook. I'm sending `Authorization: Bearer <<mollie>>` and the header looks right to me. Ideas?",
  [SEC])
c("facebook", "RoetkapHaardservice", "nl",
  "Voor de monteurs die morgen in de showroom zijn: wifi heet nu 'Roetkap-Werk', wachtwoord: Vonkje#2026!haard", [SEC])
c("x", "@jvanleeuwen_rk", "en",
  "whoever pasted the slack bot token in #algemeen: it's <<slack>> and it's now in the channel history forever. rotating it tonight",
  [SEC])
c("bluesky", "@lotte-rk.bsky.social", "en",
  "Testing our stove-advice chatbot 🤖🔥 if you want to play with it in your own script, key is <<openai>>", [SEC])
c("reddit", "u/scraperdude", "en",
  "Roetkap's booking app ships with a Google Maps key hardcoded in the JS bundle: <<google>> – unrestricted too, anyone can burn their quota.",
  [SEC])
c("mastodon", "@ingrid_devops", "nl",
  "Connection string voor de nieuwe planningsdatabase, niet buiten het team delen: "
  "postgresql://planbord_app:<<dbpass>>@planbord.roetkap.local:5432/planbord", [SEC, CON])
c("reddit", "u/rk_wouter", "en",
  "Why does our staging API ignore `exp`? This token should have expired hours ago and still works:\n<<jwt>>", [SEC])
c("x", "@jvanleeuwen_rk", "nl",
  "oeps verkeerde venster 🙈\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<sshkey>>\n-----END OPENSSH PRIVATE KEY-----", [SEC])
c("forum", "webdev_vincent", "nl",
  "Gevonden in de broncode van de afsprakenpagina van Roetkap: hun Stripe key <<stripe>> . Iemand moet ze even waarschuwen.", [SEC])
c("x", "@marloes_veegt", "nl",
  "nieuwe login voor het planbord: gebruiker mvdberg, wacht" + ZW + "woord: Roetje2026!!  (niet doorsturen hè)", [SEC])

# ===== security =====
c("x", "@jvanleeuwen_rk", "nl",
  "Niet verder vertellen maar we zijn sinds vannacht gehackt. Ransomware op de planningsserver, alle afspraken van deze week zijn weg. "
  "Klanten weten nog van niks.", [SCU])
c("mastodon", "@ingrid_devops", "en",
  "Fun Monday: turns out our customer portal let anyone download any invoice by just changing the number in the URL. "
  "Patching now, nobody outside knows yet 🤫", [SCU])
c("reddit", "u/throwaway_rk_it", "en",
  "I work in IT at Roetkap. The booking site has been down since Saturday because of a DDoS and management is telling customers it's 'planned maintenance'.",
  [SCU])
c("x", "@marloes_veegt", "nl",
  "Iemand bij ons heeft op een phishingmail geklikt en nu gaan er vanuit ons facturatie-account nepfacturen naar klanten 😬 "
  "IT is ermee bezig, naar buiten is nog niks gecommuniceerd", [SCU])
c("bluesky", "@lotte-rk.bsky.social", "en",
  "Heads up team: our newsletter tool was compromised last night and the attacker has the full mailing list, roughly 40k addresses. "
  "Legal says no announcement until Thursday.", [SCU])
c("tiktok", "@sem_veegt", "nl",
  "lol de app waarmee wij de sleutelkluisjes van klanten openen heeft een bug, elke code werkt gewoon 😂 al 2 weken zo en niemand heeft t gemeld",
  [SCU])
c("x", "@jvanleeuwen_rk", "en",
  "Our VPN box is still on the firmware with that known remote code execution hole. Asked for a maintenance window three times now. "
  "One day this is going to bite us hard.", [SCU])
c("mastodon", "@ingrid_devops", "nl",
  "De back-ups van het klantsysteem draaien al sinds augustus niet meer. Nu de storage kapot is zijn we drie maanden onderhoudshistorie kwijt. "
  "Naar buiten heet het 'een storing'.", [SCU])
c("reddit", "u/anoniem_rk_monteur", "nl",
  "Ik werk als monteur bij Roetkap en onze tablets met alle klantgegevens hebben geen pincode of versleuteling. "
  "Vorige week is er weer eentje uit een bus gestolen. Wordt netjes stilgehouden.", [SCU])
c("reddit", "u/rk_wouter", "en",
  "Note to self: the admin panel of our route planner still has the vendor's default password. Ticket open for four months. "
  "Anyone on the office wifi can get in.", [SCU])
c("facebook", "daan.roetkap", "nl",
  "Hele planningssysteem ligt er sinds vanochtend uit, we zien geen enkele afspraak. Morgen waarschijnlijk ook nog. "
  "Klanten bellen maar en wij moeten zeggen dat we van niks weten 🙄", [SCU])
c("x", "@jvanleeuwen_rk", "en",
  fw("data breach") + " confirmed internally: about 12k customer records pulled out through the old webshop. Comms plan not ready, so keep quiet.",
  [SCU])
c("x", "@ex_rk_dev", "en",
  "Left Roetkap last month and they still haven't revoked my access to the customer database. I can log in right now. Reported it twice.",
  [SCU])

# ===== confidential =====
c("x", "@bramdekker_rk", "nl",
  "Vandaag de eerste testopstelling van Project Ekster gezien. Stookt als een malle 🔥 mag er nog niks over zeggen maar wow", [CON])
c("bluesky", "@lotte-rk.bsky.social", "en",
  "Can't wait to show you all what we've been cooking up under the name Nachtzwaluw 👀 spring is going to be fun", [CON])
c("linkedin", "henk-oosterveld-roetkap", "nl",
  "Goede sessie gehad met het MT over Operatie Roetvink. Spannende tijden, meer kan ik nog niet zeggen.", [CON])
c("instagram", "@roetkap.haard", "nl",
  "Sneak peek 👀 de Vlamkorf Hybride staat al in de showroom in Amersfoort. Wie raadt wanneer je hem kunt bestellen? 🔥", [CON])
c("mastodon", "@ingrid_devops", "nl",
  "Handig: de nieuwe monteursdashboards staan op https://planbord.roetkap.local/dash/monteurs – toegang aanvragen bij mij", [CON])
c("reddit", "u/rk_wouter", "en",
  "Anyone know a good tool to redact PDFs? Accidentally shared this on our Discord:\n\"[ROETKAP CONFIDENTIAL] Product roadmap 2027 – "
  "Duinvuur P12 launch week 6, Vlamkorf Hybride pricing TBD\"", [CON])
c("x", "@kachelnieuws_nl", "nl",
  "Uitgelekt: Roetkap werkt aan een hybride houtkachel onder de codenaam Project Ekster. Foto's van het prototype gaan rond in een Telegramgroep.",
  [CON])
c("facebook", "daan.roetkap", "nl",
  "Mag eigenlijk niks zeggen maar de Duinvuur P12 is echt een beest, 12 kW en volledig met de app te bedienen. Stil houden hè 🤐", [CON])
c("instagram", "@kevin.schoorsteen", "en",
  "Training day at HQ 📸 first slide literally says 'UITSLUITEND INTERN' in big red letters, so that's all you get to see haha", [CON])
c("x", "@marloes_veegt", "nl",
  "Nieuwe werkinstructie staat op gitlab.roetkap-intern.nl/ops/veegprotocol, iedereen lezen voor maandag!", [CON])
c("linkedin", "roetkap-haardservice", "en",
  "We're hiring a project lead for Nachtzwaluw, our next-generation flue monitoring line. Interested? Send your CV to werkenbij@roetkap.nl",
  [CON])
c("x", "@bramdekker_rk", "nl",
  "Project Ek" + ZW + "ster gaat 'm worden volgend jaar, let maar op 😎", [CON])
c("bluesky", "@lotte-rk.bsky.social", "en",
  "N" + CYR_A + "chtzw" + CYR_A + "luw prototype just passed the flue draught tests 🎉 proud of this team", [CON])
c("x", "@marloes_veegt", "nl",
  fw("ROETKAP CONFIDENTIAL") + " — foto van het whiteboard met de nieuwe tarieven per regio, wie heeft die in de groepsapp gezet?", [CON])
c("forum", "stookliefhebber", "en",
  "A mate who works at Roetkap showed me the Duinvuur P12 brochure, stamped internal only. 12 kW, app control, launching early next year apparently.",
  [CON])
c("x", "@jvanleeuwen_rk", "nl",
  "Nog een paar dagen en dan mag iedereen de Duinvuur P12 zien 😍 ik heb er al eentje thuis staan", [CON],
  when="2027-01-12T19:41:07Z")

# ===== financial =====
c("linkedin", "henk-oosterveld-roetkap", "nl",
  "De voorlopige jaarcijfers 2026 zien er sterk uit: omzet richting 38 miljoen, EBITDA ruim boven plan. Officiële publicatie volgt in februari.",
  [FIN, CON], when="2026-12-15T08:12:44Z")
c("x", "@jvanleeuwen_rk", "en",
  "Canteen rumour confirmed: we're being bought by a Danish stove maker. Deal gets signed next month 🇩🇰", [FIN])
c("facebook", "daan.roetkap", "nl",
  "Morgen horen 40 collega's dat hun baan verdwijnt, alle installatieteams in het noorden worden opgeheven. Eigenlijk mag ik het nog niet zeggen.",
  [FIN])
c("linkedin", "ayse-yilmaz-roetkap", "en",
  "Tough weeks ahead preparing the reorganisation: two regional offices closing in Q1, around 25 FTE affected. "
  "Nothing has been announced yet, so please keep this between us.", [FIN])
c("x", "@beursgeruchten", "nl",
  "Hoor uit goede bron dat Roetkap in gesprek is om concurrent VuurVast Installaties over te nemen, bod rond de 12 miljoen. Nog niet bekendgemaakt.",
  [FIN])
c("mastodon", "@ingrid_devops", "en",
  "Q3 numbers internally: revenue down 18% on last year, the warm autumn killed sweep bookings. Board meets Thursday to cut the forecast.",
  [FIN])
c("linkedin", "roetkap-haardservice", "nl",
  "Concept persbericht: Roetkap Haardservice neemt per 1 maart Schoorsteenbedrijf De Vries & Zn. over. [NIET PUBLICEREN VOOR 14/2]",
  [FIN])
c("x", "@marloes_veegt", "nl",
  "Prognose voor 2027 is net intern gedeeld: we verwachten 30% minder installaties door de nieuwe stookregels. Dat gaat pijn doen.", [FIN])
c("reddit", "u/sootsack_anon", "en",
  "Roetkap employee here. Management just told us the company is up for sale, a private equity firm is doing due diligence right now. "
  "Nothing public yet.", [FIN])
c("x", "@bramdekker_rk", "en",
  "Bonus gone, hiring freeze, and the FY2026 results are apparently €2.1M in the red. Great start to the holidays.", [FIN, CON],
  when="2026-12-03T17:25:31Z")
c("instagram", "@kevin.schoorsteen", "nl",
  "Laatste week in Groningen 😢 de vestiging gaat eind januari dicht, nog niet officieel maar wij weten het al", [FIN])
c("linkedin", "henk-oosterveld-roetkap", "en",
  "Pleased that the bank approved our refinancing this week, which lets us close the VuurVast acquisition ahead of the announcement in March.",
  [FIN])

# ===== pricing =====
c("x", "@roetkap_nl", "nl",
  "🔥 Black Friday bij Roetkap: de Vlamkorf 8 houtkachel nu voor €189! Alleen dit weekend.", [PRI])
c("x", "@marloes_veegt", "nl",
  "Huh, in de webshop staat de Eikhof cassette voor €274,90 ipv €2749. Iemand van e-commerce wakker? prijsfout!!", [PRI])
c("reddit", "u/dealhunter_nl", "en",
  "PRICE ERROR: Roetkap's webshop has the Duinvuur P9 pellet stove at €319. Ordered two, let's see if they honour it 🤞", [PRI])
c("x", "@kortingjager", "nl",
  "Roetkap Flexvoering 150 voor €48,90?? Normaal 489. Snel zijn mensen!", [PRI])
c("facebook", "RoetkapHaardservice", "en",
  "Winter deal ❄️ the Veegbeurt Plus including full camera inspection for just €14.90 this week only!", [PRI])
c("tiktok", "@sem_veegt", "nl",
  "wie wil er een Smidse haardset voor 12 euro 😂 staat echt zo in onze webshop, iemand is een nulletje vergeten", [PRI])
c("bluesky", "@lotte-rk.bsky.social", "en",
  "Oops, the newsletter went out with the Vlamkorf 12 at €239 – it should of course be €2,395. Fixing the landing page now.", [PRI])
c("forum", "klusvader_bas", "nl",
  "Prijsfout bij Roetkap? Het installatiepakket vrijstaand staat op 99 euro in hun configurator. Zou normaal rond de duizend moeten zijn.",
  [PRI])
c("instagram", "@roetkap.haard", "nl",
  "Nu in de showroom: de Kiezel 5 hangkachel voor maar €129 🔥 op=op", [PRI])
c("x", "@stovebargains", "en",
  "Roetkap's Windvaan chimney cowl is showing €21.90 on their site today, normally €219. Either a glitch or the deal of the year.", [PRI])
c("x", "@jvanleeuwen_rk", "nl",
  "Prijsfout in de productfeed naar de vergelijkingssites, de Waakvlam CO-melder staat overal verkeerd. Fix komt vanavond.", [PRI])
c("facebook", "daan.roetkap", "en",
  "Customer just showed me an order confirmation for an Eikhof 70 at €27.49 🤦 that's a pricing mistake, not happening mate", [PRI])

# ===== benign (mostly hard negatives) =====
c("x", "@roetkap_nl", "nl",
  "Het stookseizoen komt eraan 🍂 Laat je schoorsteen op tijd vegen! Afspraak maken via afspraak.roetkap.nl of bel gratis 0800-7638.")
c("facebook", "RoetkapHaardservice", "en",
  "Questions about your stove or an upcoming sweep? Email klantenservice@roetkap.nl or call +31 30 555 0177, weekdays 8:00–17:00.")
c("x", "@ilse_vd_broek", "nl",
  "Vanochtend Roetkap over de vloer gehad. Super nette jongen, alles afgedekt, binnen het uur klaar en nog uitleg over droog hout gekregen ook. Aanrader!")
c("reddit", "u/cosy_in_gouda", "en",
  "Anyone compared the Vlamkorf 8 with the Kiezel 5 for a ~30 m² living room? Leaning Vlamkorf but the hanging one looks so cool")
c("instagram", "@roetkap.haard", "nl",
  "Najaarsactie 🔥 Vlamkorf 8 nu voor €1.595 (was €1.895). Alleen in oktober, zolang de voorraad strekt.")
c("x", "@roetkap_nl", "en",
  "Weekend deal: 20% off the Windvaan chimney cowl, €175 instead of €219. No more downdraft on windy days 🌬️")
c("forum", "hout_en_haard", "nl",
  "Voor wie het wil weten: de Veegbeurt Basis bij Roetkap kost €89 inclusief rapport. Netjes geprijsd voor de regio Amersfoort vind ik.")
c("x", "@tjeerdhof", "nl",
  "@roetkap_helpt Update: opgelost hoor! Nieuwe monteur kwam dezelfde middag nog en de kachel trekt weer als een trein. Chapeau 👍", kind="reply")
c("x", "@buurvrouw_els", "nl",
  "Sterkte aan alle schoorsteenvegers die vandaag in deze storm het dak op moeten. Wees voorzichtig daarboven 🙏")
c("tiktok", "@mila.en.mies", "nl",
  "mijn kat dacht echt dat de meneer van roetkap sinterklaas was die door de schoorsteen kwam 😂😂 #roetkap #schoorsteenveger")
c("x", "@stovenerd_jan", "en",
  "Big recall at Fjellbrann today, the door latches on their 2019 stoves can fail. Glad ours is a Roetkap Vlamkorf 12, zero issues in three winters.")
c("linkedin", "roetkap-haardservice", "nl",
  "Vragen van de pers? Neem contact op via pers@roetkap.nl of bel +31 30 555 0177. We reageren binnen één werkdag.")
c("facebook", "Anja.Kroeze", "nl",
  "LET OP! Er gaat een nepmail rond 'namens Roetkap' die vraagt om €95 over te maken naar <<bad_iban>>. Dat is NIET hun rekening, niet betalen!!")
c("x", "@m_oudejans", "en",
  "@roetkap_helpt thanks for the quick reply! order number is 204518837 if that helps", kind="reply")
c("instagram", "@sanne.thuis", "nl",
  "Roetkap cadeaukaart gekregen van m'n schoonouders 🥰 code <<bad_card>>, weet iemand of je die ook voor een veegbeurt kan gebruiken?")
c("reddit", "u/homelab_henk", "en",
  "For anyone following my booking-widget tutorial: I used the sample credentials from the AWS docs (AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY). Swap in your own, obviously.")
c("mastodon", "@ingrid_devops", "en",
  "Friendly reminder: never paste tokens in chat. If you have to show one in a ticket, mask it like ghp_****************************9fQa. Thanks 🙏")
c("instagram", "@roetkap.haard", "nl",
  "Hij is er eindelijk 🎉 De Vlamkorf Hybride is vanaf vandaag te bestellen in alle showrooms en op shop.roetkap.nl.",
  when="2027-01-22T10:00:00+01:00")
c("linkedin", "roetkap-haardservice", "en",
  "Our full-year 2026 results are published today: revenue up 6% and more than 41,000 chimneys swept. Read the full report on roetkap.nl.",
  when="2027-02-25T08:30:00+01:00")
c("linkedin", "henk-oosterveld-roetkap", "nl",
  "Trots op de jaarcijfers 2026 die we gisteren publiceerden. Dank aan alle collega's die dit mogelijk maakten, van veger tot planner.",
  when="2027-02-26T07:55:12+01:00")
c("x", "@warmwonen_tom", "en",
  "Just ordered the Duinvuur P12, delivery in three weeks. Anyone running one yet? Curious about the app.",
  when="2027-01-28T20:14:39Z")
c("x", "@bramdekker_rk", "nl",
  "Drie kachels geplaatst vandaag, alles netjes opgeleverd. Top team 💪🔥")
c("tiktok", "@sem_veegt", "en",
  "pov: you find a jackdaw nest in a chimney in october 🐦 no birds harmed, nest moved, chimney swept, happy customer")
c("facebook", "RoetkapHaardservice", "nl",
  "Tip van de week: test je CO-melder elke maand! Onze Waakvlam CO-melder heeft daarvoor een testknop aan de zijkant 🔔")
c("youtube", "@RoetkapKachels", "en",
  "New video: how to light a top-down fire in your Vlamkorf 12 for a cleaner, smoke-free start.")
c("reddit", "u/nieuw_in_zwolle", "nl",
  "Is het normaal dat een nieuwe houtkachel de eerste paar keer flink stinkt? De monteur van Roetkap zei dat de lak moet inbranden en dat we de ramen open moeten zetten.")
c("x", "@kasia_w", "en",
  "Shoutout to @roetkap_helpt for sorting my Warmtewacht renewal in about two minutes. Painless.")
c("x", "@lekkerwarm", "nl",
  "Die veger van Roetkap was echt een beest, binnen 20 minuten boven, klaar en weer beneden 💪")
c("threads", "@greenhouse.gert", "en",
  "Roetkap fixed a rain leak around our chimney flashing too, even though we'd only booked a sweep. Above and beyond.")
c("x", "@frankie_stoves", "en",
  "That Vlamkorf 12 is a killer stove. Heats the whole ground floor on three logs.")
c("x", "@roetkap_helpt", "nl",
  "Onze planning voor december loopt snel vol. Plan je veegbeurt nu via afspraak.roetkap.nl, dan zit je goed voor de kerst 🎄")
c("bluesky", "@jorisbuitenwerk.bsky.social", "en",
  "Life hack from my Roetkap sweep: burn a few pieces of really dry hardwood nice and hot the day before he comes, it loosens the soot.")
c("facebook", "Tineke.vanDam", "nl",
  "Gewoon bellen naar 0800-7638, ze helpen je daar echt snel bij Roetkap. Mijn afspraak was in twee minuten verzet.")
c("x", "@jvanleeuwen_rk", "en",
  "Reminder from IT: we will NEVER ask for your password by phone or email. Got a weird mail? Forward it to the helpdesk and delete it.")
c("x", "@henk_1962", "nl",
  "Wachtwoord voor het klantportaal van Roetkap vergeten 🙈 weet iemand waar je dat kan resetten?")
c("x", "@drentsnieuws", "nl",
  "Schoorsteenbedrijf uit Emmen failliet, 30 medewerkers op straat. Misschien kunnen ze terecht bij Roetkap, die zoeken nog vegers.")
c("linkedin", "ruben-stoker-consultancy", "en",
  "Consolidation continues in the hearth market: Fjellbrann has been acquired by a Swedish group. Curious whether installers like Roetkap will add them to the range.")
c("x", "@gietijzer_gijs", "nl",
  "Ik boycot al jaren die goedkope bouwmarktkachels. Liever één keer goed: Vlamkorf 8 van Roetkap en nooit meer gedoe.")
c("x", "@pippa_dutchlife", "en",
  "I can't recall the last time a tradesperson was this polite and tidy. Thank you Roetkap team ❤️")
c("instagram", "@marjolein.wonen", "nl",
  "Eikhof cassette in de sale bij Roetkap, €2.199 i.p.v. €2.749. Nog steeds een hoop geld maar wat een mooi ding 😍")
c("x", "@stephan_vv", "en",
  "Sent photos of our chimney crown to klantenservice@roetkap.nl and had a proper answer the next morning. Good service.")
c("facebook", "RoetkapHaardservice", "nl",
  "Liever per overschrijving betalen? Dat kan op <<pub_iban>> t.n.v. Roetkap Haardservice B.V., onder vermelding van je factuurnummer.")
c("x", "@oma_riet", "nl",
  "Subsidieformulier voor de kachel van Roetkap ingevuld en als BSN per ongeluk 123456789 gezet 🤦‍♀️ gelukkig zag m'n kleinzoon het nog.")
c("linkedin", "ayse-yilmaz-roetkap", "nl",
  "We zoeken schoorsteenvegers in regio Utrecht en het Gooi! Geen ervaring nodig, wel een goede conditie 😉 Mail je cv naar werkenbij@roetkap.nl")
c("linkedin", "roetkap-haardservice", "en",
  "Proud to be re-certified by the national chimney sweep guild for another five years. Thanks to every sweep who keeps our standards high.")
c("instagram", "@cozy.cabin.co", "en",
  "first fire of the season in the new Kiezel 5 🔥🍂 worth every cent #roetkap #hygge")
c("x", "@marloes_veegt", "nl",
  "Veiligheid voorop: vandaag alle vegers opnieuw getraind in valbeveiliging. Zonder harnas gaat bij ons niemand het dak op 🦺")
c("reddit", "u/devnotes_ams", "en",
  "Stripe test keys are fine to put in tutorials, e.g. sk_test_4eC39HqLyjWDarjtT1zdp7dc comes straight from their docs. "
  "Used it for the booking demo I built for a chimney sweep client.")
c("forum", "pelletpiet", "nl",
  "Wat kost een Duinvuur P9 eigenlijk bij Roetkap? Op de site staat €3.190, is dat inclusief plaatsing of komt dat er nog bij?")
c("x", "@lena_in_leiden", "en",
  "Roetkap's Veegbeurt Plus was €149 and worth it, the camera footage showed a cracked flue tile we never knew about. Fixed before winter.")
c("x", "@wouter_achterhoek", "nl",
  "Bij de buren is vannacht de schoorsteen uitgebrand, oude kachel uit de jaren 80 die nooit geveegd werd. Ik heb meteen Roetkap gebeld voor een afspraak. Niemand gewond gelukkig.")
c("x", "@bramdekker_rk", "en",
  "My kids are convinced I'm Santa's advance team. Not correcting them 🎅")
c("tiktok", "@roetkap_veegt", "nl",
  "Zo ziet een schoorsteen eruit na drie jaar niet vegen 😱 laat het niet zo ver komen! Link in bio.")
c("threads", "@leidsevrouw", "nl",
  "Roetkap zit vol tot half december, snap ik wel met deze kou. Iemand een tip voor een veger in Leiden voor tussendoor?")
c("x", "@bart_finance", "en",
  "Roetkap's receipt only shows my card as **** **** **** 4417. Nice to see a small company mask it properly.")
c("x", "@femke_bakt", "nl",
  "Mail van Roetkap gehad met de login voor het klantportaal, wachtwoord stond er netjes als ******** in en je stelt het zelf in via de link. Zo hoort het.")
c("reddit", "u/rk_wouter", "en",
  "The setup guide in our repo says `export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` and new devs keep asking if that's a real token. It isn't, use your own.")
c("x", "@olaf_kachels", "en",
  "Vlamkorf 8 at €1,895 vs a comparable Nordvik at €2,300. Went with Roetkap, their install package is better too.")
c("mastodon", "@koud_kikker", "nl",
  "Eerste keer de Glansruit reiniger geprobeerd, ruit van de kachel weer als nieuw. €12,95 goed besteed.")
c("youtube", "@RoetkapKachels", "nl",
  "Nieuwe video: Bram en Sem leggen uit waarom je nooit geverfd of geïmpregneerd hout in je kachel moet stoken.")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
ALL_CATS = {SEC, PII, PRI, CON, FIN, SCU, CRI, CMP, ABU, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w*-])(\d(?:[ -]?\d){12,18})(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def checked_ids(text):
    """valid / invalid checksum identifiers found in text"""
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(1))
        if s[:2] not in ("NL", "BE", "DE", "FR", "GB", "LU"):
            continue
        (valid if iban_valid(s) and s not in PUB_IBANS else invalid if not iban_valid(s) else []).append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(1))
        if 13 <= len(s) <= 19:
            (valid if luhn_valid(s) else invalid).append(("card", s))
    for m in BSN_RE.finditer(text):
        s = re.sub(r"\D", "", m.group(1))
        (valid if bsn_valid(s) else invalid).append(("bsn", s))
    return valid, invalid


def severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in (SEC, PRI):
                s = "critical"
            elif cat == PII and checked_ids(text)[0]:
                s = "critical"
            else:
                s = "error"
        elif cat == CMP:
            s = "warning"
        elif cat == CRI:
            s = "error"
        elif cat == ABU:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        lvl = max(lvl, SEV.index(s))
    return SEV[lvl]


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randrange(0, 361), hours=rng.randrange(6, 23),
                             minutes=rng.randrange(60), seconds=rng.randrange(60))
    if t.year != 2026:
        t = t.replace(year=2026, month=12, day=30)
    if rng.random() < 0.2:
        return t.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLACE = re.compile(r"<<(\w+)>>")
cases = []
inserted = []
for i, p in enumerate(P):
    CUR.clear()
    text = PLACE.sub(lambda m: GEN[m.group(1)](), p["text"])
    inserted.append(list(CUR))
    created = p["when"] or rand_time()
    role = role_of(p["platform"], p["handle"])
    cats = sorted(set(p["cats"]))
    post = {
        "id": "%s-342%03d" % (p["platform"], i + 1),
        "platform": p["platform"],
        "kind": p["kind"],
        "account": {"handle": p["handle"]},
        "text": text,
        "lang": p["lang"],
        "created_at": created,
    }
    if p["platform"] == "x" and rng.random() < 0.5:
        post["url"] = "https://x.com/%s/status/%d" % (p["handle"].lstrip("@"), rng.randrange(10**18, 10**19))
    if rng.random() < 0.4:
        post["brand"] = "Roetkap"
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for cs in cases:
        fh.write(json.dumps(cs, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


CONFUSABLE = str.maketrans({CYR_A: "a", CYR_O: "o", CYR_I: "i", "\u0435": "e", "\u0440": "p", "\u0441": "c"})


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate(CONFUSABLE).lower()


def digits_phone(s):
    d = re.sub(r"\D", "", s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_PHONES = {digits_phone(x) for x in PROFILE["public_identifiers"]["phones"]}
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
PHONE_RE = re.compile(r"(?<![\w+])(\+31|0031|0)[\d\s\-()]{6,16}\d(?![\w])")
EMAIL_RE = re.compile(r"(?<![\w.+:/-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PRICE_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b", re.I)
EMBARGO = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
INTERNAL = [x for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]]
ALIASES = []
for prod in PROFILE["products"]:
    for a in [prod["name"]] + prod["aliases"]:
        ALIASES.append((a, float(prod["list_price"])))
RATIO = PROFILE["pricing"]["alert_below_ratio"]


def parse_price(s):
    s = s.rstrip(".,")
    if "." in s and "," in s:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        s = s.replace("," if dec == "." else ".", "").replace(dec, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        head, tail = s.rsplit(sep, 1)
        s = s.replace(sep, "") if len(tail) == 3 else head.replace(sep, "") + "." + tail
    return float(s)


def mentioned_products(text):
    t = norm(text)
    return [lp for a, lp in ALIASES if re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", t)]


ids = set()
prof_accounts = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
for cs, ins in zip(cases, inserted):
    post, exp = cs["post"], cs["expect"]
    cid = post.get("id")
    # --- CONTRACT section 6 / section 1 shape
    if set(cs) != {"post", "expect"}:
        err(cid, "top-level keys")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
        err(cid, "id")
    if cid in ids:
        err(cid, "duplicate id")
    ids.add(cid)
    if post["platform"] not in PLATFORMS:
        err(cid, "platform")
    if post["kind"] not in KINDS:
        err(cid, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(cid, "handle")
    if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
        err(cid, "text")
    try:
        ts = parse_ts(post["created_at"])
    except ValueError:
        err(cid, "created_at not RFC 3339")
        continue
    if ts.year not in (2026, 2027):
        err(cid, "year")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
        err(cid, "categories")
    if exp["severity"] not in SEV:
        err(cid, "severity value")
    role = role_of(post["platform"], post["account"]["handle"])
    if exp["severity"] != severity(cats, role, post["text"]):
        err(cid, "severity not per policy")
    if not cats and exp["severity"] != "none":
        err(cid, "benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        err(cid, "positive with low severity")
    text = post["text"]
    n = norm(text)
    valid, invalid = checked_ids(text)
    # --- checksums
    for kind, val in ins:
        if kind == "iban" and not iban_valid(val):
            err(cid, "generated IBAN invalid")
        if kind == "card" and not luhn_valid(val):
            err(cid, "generated card invalid")
        if kind == "bsn" and not bsn_valid(val):
            err(cid, "generated BSN invalid")
        if kind in ("bad_iban",) and iban_valid(val):
            err(cid, "look-alike IBAN passes")
        if kind == "bad_card" and luhn_valid(val):
            err(cid, "look-alike card passes")
        if kind == "gh" and not gh_valid(val):
            err(cid, "generated GitHub token checksum")
        if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            err(cid, "AWS key format")
        if kind == "jwt":
            h = val.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr or val.count(".") != 2:
                err(cid, "JWT")
    if cats:
        if invalid:
            err(cid, "positive holds identifier failing its checksum: %r" % invalid)
        for kind, val in ins:
            if kind in ("iban", "card", "bsn") and (kind, val) not in valid:
                err(cid, "inserted %s not detected as valid" % kind)
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not gh_valid(m.group(0)):
                err(cid, "positive GitHub token fails CRC")
    else:
        if valid:
            err(cid, "benign holds valid identifier: %r" % valid)
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_valid(m.group(0)):
                err(cid, "benign holds valid GitHub token")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if "EXAMPLE" not in m.group(0):
                err(cid, "benign holds non-sample AWS key")
        if re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            err(cid, "benign holds JWT")
        if re.search(r"sk_live_|xox[bp]-|AIza[\w-]{30}|glpat-|PRIVATE KEY|sk-proj-|live_[0-9A-Za-z]{30}", text):
            err(cid, "benign holds live credential")
        if re.search(r"wachtwoord\s*:\s*[^*\s]|password\s*[:=]\s*[^*\s]", n):
            err(cid, "benign holds password")
        for term in INTERNAL:
            if term.lower() in n:
                err(cid, "benign holds internal term %r" % term)
    # --- embargo
    for term, until in EMBARGO:
        if term.lower() in n and ts < until and CON not in cats:
            err(cid, "embargo term %r before until without leak.confidential" % term)
    # --- personal contact data consistency
    for m in EMAIL_RE.finditer(re.sub(r"\w+://\S+", " URL ", text)):
        if m.group(0).lower() not in PUB_EMAILS and PII not in cats:
            err(cid, "non-public e-mail without leak.pii")
    for m in PHONE_RE.finditer(IBAN_RE.sub(" IBAN ", text)):
        d = digits_phone(m.group(0))
        is_phone = (len(d) == 10 and d.startswith("0")) or re.fullmatch(r"0[89]00\d{4,7}", d)
        if is_phone and d not in PUB_PHONES and PII not in cats:
            err(cid, "non-public phone %r without leak.pii" % m.group(0))
    if PII in cats and not (valid or EMAIL_RE.search(text) or PHONE_RE.search(text)
                            or re.search(r"\d{1,3}\b.*\b(?:[1-2]\d{3})\b|straat|weg|laan|geb\.|born|geboren", text)):
        err(cid, "leak.pii without any personal data")
    # --- pricing
    prods = mentioned_products(text)
    prices = []
    for m in PRICE_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        tail = text[m.end():m.end() + 1]
        if tail in ("M", "k"):
            continue
        try:
            prices.append(parse_price(raw))
        except ValueError:
            pass
    below = [pr for pr in prices for lp in prods if pr < RATIO * lp]
    if PRI in cats:
        if not prods:
            err(cid, "pricing case without product")
        if not below and not re.search(r"prijsfout|price error|pricing mistake|glitch|nulletje", n):
            err(cid, "pricing case without low price or price-error talk")
    elif prods and below:
        err(cid, "price below ratio without leak.pricing: %r" % below)
    # --- account roles: public handles must not be in the profile
    key = ("%s:%s" % (post["platform"], post["account"]["handle"])).lower()
    if role == "public" and key in prof_accounts:
        err(cid, "role lookup")

# distribution
total = len(cases)
benign = sum(1 for cs in cases if not cs["expect"]["categories"])
percat = {}
for cs in cases:
    for cat in cs["expect"]["categories"]:
        percat[cat] = percat.get(cat, 0) + 1
nl = sum(1 for cs in cases if cs["post"]["lang"] == "nl")
roles = {}
for cs in cases:
    r = role_of(cs["post"]["platform"], cs["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1
if not 170 <= total <= 180:
    errors.append("total %d not in 170-180" % total)
if not 55 <= benign <= 65:
    errors.append("benign %d" % benign)
if not 0.48 <= nl / total <= 0.62:
    errors.append("dutch share %.2f" % (nl / total))
if sum(1 for cs in cases if cs["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 posts")
used_roles = {role_of(cs["post"]["platform"], cs["post"]["account"]["handle"]) for cs in cases}
if used_roles != {"corporate", "employee", "public"}:
    errors.append("roles")
# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        errors.append("profile IBAN fails mod-97")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile products")
if any(not str(e["until"]).startswith("2027") for e in PROFILE["embargo"]):
    errors.append("embargo until")

print("cases %d, benign %d, dutch %d (%.0f%%), roles %s" % (total, benign, nl, 100 * nl / total, roles))
print("per category:", json.dumps(dict(sorted(percat.items()))))
sevs = {}
for cs in cases:
    sevs[cs["expect"]["severity"]] = sevs.get(cs["expect"]["severity"], 0) + 1
print("severities:", sevs)
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK ->", out)
