#!/usr/bin/env python3
"""Evaluation set sealed517 for postwatch: Snuitwijzer B.V. (fictional pet-microchip
registry and lost-pet app).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it (checksums, CONTRACT section 6 shape, severity policy of
CONTRACT section 4 computed from the account role in profile.yaml).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(517)

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank):
    bban = bank + "".join(rng.choice("0123456789") for _ in range(10))
    n = "".join(str(int(c, 36)) for c in bban + "NL00")
    iban = "NL%02d%s" % (98 - int(n) % 97, bban)
    assert iban_ok(iban)
    return iban


def iban_bad(bank):
    good = iban_make(bank)
    cd = (int(good[2:4]) + rng.randint(1, 9)) % 100
    bad = good[:2] + "%02d" % cd + good[4:]
    if iban_ok(bad):
        return iban_bad(bank)
    return bad


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_bad(prefix, length=16):
    good = card_make(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def card_fmt(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "000000000":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = head + str(r)
            assert bsn_ok(s)
            return s


def bsn_bad():
    while True:
        s = bsn_make()
        bad = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
        if not bsn_ok(bad):
            return bad


def chip_make():
    """ISO 11784 FDX-B style number (NL country code 528); kept Luhn-invalid so it is
    never a payment-card look-alike that passes."""
    while True:
        s = "52821000" + "".join(rng.choice("0123456789") for _ in range(7))
        if not luhn_ok(s):
            return s


def phone_make(style):
    d = "".join(rng.choice("0123456789") for _ in range(8))
    d = str(rng.randint(1, 9)) + d[1:]
    if style == "dash":
        return "06-" + d
    if style == "pairs":
        return "06 " + " ".join(d[i:i + 2] for i in range(0, 8, 2))
    if style == "intl":
        return "+31 6 " + d[:4] + " " + d[4:]
    if style == "plain":
        return "06" + d
    if style == "landline":
        return "030-" + d[:7]
    if style == "paren":
        return "(020) " + d[:3] + " " + d[3:5] + " " + d[5:7]
    raise ValueError(style)


# --------------------------------------------------------------------------------------
# credential generators (built the way the real ones are)
# --------------------------------------------------------------------------------------
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # base-62 digit order 0-9A-Za-z
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def gh_token_bad(prefix="ghp_"):
    tok = gh_token(prefix)
    last = tok[-1]
    repl = B62[(B62.index(last) + 7) % 62]
    bad = tok[:-1] + repl
    assert not gh_token_ok(bad)
    return bad


def aws_key_id():
    return "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rstr(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def openssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(300)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot():
    return "xoxb-%s-%s-%s" % (rstr("0123456789", 11), rstr("0123456789", 13), rstr(ALNUM, 24))


def stripe_live():
    return "sk_live_51" + rstr(ALNUM, 96)


def openai_key():
    return "sk-proj-" + rstr(URLSAFE, 58) + "T3BlbkFJ" + rstr(URLSAFE, 58)


def anthropic_key():
    return "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rstr(URLSAFE, 35)


def sendgrid_key():
    return "SG." + rstr(URLSAFE, 22) + "." + rstr(URLSAFE, 43)


# --------------------------------------------------------------------------------------
# generated values (order matters for determinism)
# --------------------------------------------------------------------------------------
G = {}
G["iban_refund_en"] = iban_make("INGB")
G["iban_cp2"] = iban_make("ABNA")
G["iban_corp_refund"] = iban_make("RABO")
G["iban_clinic"] = iban_make("TRIO")
G["iban_bad_scam"] = iban_bad("BUNQ")
G["card_p3"] = card_make("4")
G["card_p11"] = card_make("52")
G["bsn_p4"] = bsn_make()
G["bsn_bad_order"] = bsn_bad()
G["bsn_bad_ticket"] = bsn_bad()
G["chip_b42"] = chip_make()
G["chip_b9"] = chip_make()
G["chip_k"] = chip_make()
G["phone_cp1"] = phone_make("dash")
G["phone_p1"] = phone_make("pairs")
G["phone_p5"] = phone_make("intl")
G["phone_p7"] = phone_make("landline")
G["phone_p8"] = "+316" + rstr("0123456789", 8)
G["phone_p9"] = phone_make("plain")
G["gh_s1"] = gh_token("ghp_")
G["gh_bad_b61"] = gh_token_bad("ghp_")
G["aws_id"] = aws_key_id()
G["aws_secret"] = aws_secret()
G["stripe"] = stripe_live()
G["slack"] = slack_bot()
G["jwt_s5"] = jwt_make({"sub": "usr_" + rstr("0123456789", 6), "role": "vet_admin",
                        "iss": "api-staging.snuitwijzer.nl", "iat": 1775000000, "exp": 1775086400})
G["sshkey"] = openssh_key()
G["pg_pass"] = rstr(ALNUM, 6) + "!" + rstr(ALNUM, 8)
G["openai"] = openai_key()
G["google"] = google_key()
G["anthropic"] = anthropic_key()
G["mongo_pass"] = "Snuffel" + rstr("0123456789", 4) + "#" + rstr(ALNUM, 5)
G["sendgrid"] = sendgrid_key()
G["gho_s13"] = gh_token("gho_")

# registries used by the self-check
VALID_IDS = {G["iban_refund_en"], G["iban_cp2"], G["iban_corp_refund"], G["iban_clinic"],
             G["card_p3"], G["card_p11"], G["bsn_p4"]}
LOOKALIKES = {G["iban_bad_scam"], G["bsn_bad_order"], G["bsn_bad_ticket"],
              G["chip_b42"], G["chip_b9"], G["chip_k"]}

JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
                 "aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CASES = []

C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
SECU = "leak.security"
CONF = "leak.confidential"
FIN = "leak.financial"
PR = "leak.pricing"


def add(platform, handle, lang, cats, text, kind="post", when=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, name=name))


g = G

# ---- complaints ------------------------------------------------------------------------
add("x", "@mirjam_knuffelt", "nl", [C],
    "Al 3 weken wacht ik op de eigenaarsoverdracht van onze pup. €12,50 betaald, nog steeds "
    "staat de fokker als eigenaar 🙄 mailtjes worden gewoon niet beantwoord @snuitwijzer")
add("x", "@dave_walks_dogs", "en", [C],
    "@snuitwijzer_help your app marked Luna as FOUND while she's still out there somewhere. "
    "Nobody's looking anymore because of that. This is literally your one job", kind="reply")
add("facebook", "Gerda van Dijk", "nl", [C],
    "Onze kat is gevonden door een dierenarts in Zeist, chip gescand, en wat blijkt: bij "
    "Snuitwijzer stond nog ons oude adres en ons oude nummer. Terwijl ik dat vorig jaar TWEE keer "
    "heb aangepast in de app!! De dierenarts kon ons dus niet bereiken. Waar betalen we eigenlijk voor?")
add("reddit", "u/catlady_rotterdam", "en", [C],
    "PSA for anyone considering the SnuitTag Mini: battery lasts maybe 2 days, not the 'up to 10 "
    "days' printed on the box. Two replacements later and support keeps telling me to restart "
    "the tag. Not impressed tbh.")
add("x", "@jvdlinden", "nl", [C],
    "Dubbel afgeschreven voor Snuitwijzer Plus. Klantenservice: 'binnen 10 werkdagen "
    "teruggestort'. Dat was 5 weken geleden. #snuitwijzer #klantonvriendelijk")
add("instagram", "@puck_en_pip", "nl", [C],
    "de vind-app geeft al de hele week 'er ging iets mis' als ik onze kat als vermist wil melden 🙄 "
    "hoe maak je een app voor noodgevallen die het juist dan niet doet", kind="comment")
add("x", "@rover_dad", "en", [C],
    "Paid for Premium Zoekdienst when Max ran off. The 'alert to 5000 neighbours' reached... 3 "
    "people. One of them was my wife. €69 down the drain, thanks Snuitwijzer")
add("tiktok", "@zoekdemaxje", "nl", [C],
    "kan iemand van snuitwijzer mij uitleggen waarom ik 45 min in de wacht sta terwijl mn hond "
    "kwijt is?? echt bizar slecht", kind="comment")
add("threads", "@nomadic.ness", "en", [C],
    "The SnuitID Reader Pro we bought for the shelter won't read half the chips. Sent it back twice. "
    "The 'pro' part must be a joke")
add("x", "@ans_uit_almere", "nl", [C],
    "Snuitwijzer heeft zonder te vragen mijn abonnement omgezet naar een Family-abonnement. Ik heb "
    "één kat. En opzeggen kan alleen per brief?? Het is 2026 mensen")
add("facebook", "Kees Brouwer", "nl", [C],
    "Sinds de update herkent de SnuitDoor de chip van onze kater niet meer. Hij zit 's nachts "
    "buiten te miauwen terwijl de buurkat gewoon naar binnen wandelt. Support stuurt alleen "
    "standaardmailtjes terug. Echt waardeloos.")
add("bluesky", "@hannahbakes.bsky.social", "en", [C],
    "snuitwijzer app logged me out and now says 'account not found'. are all my dogs' records "
    "just gone?? two emails, zero replies")
add("x", "@t_oosterhout", "en", [C],
    "GPS on our SnuitTag XL is off by like 400 metres. According to the app the dog was in the "
    "middle of the canal. He was on the neighbours' sofa 🙃 #snuitwijzer")

# complaint + abuse
add("x", "@woedend_wim", "nl", [C, A],
    "Stelletje incompetente klootzakken bij @snuitwijzer. 4 dagen geen reactie terwijl onze hond "
    "vermist is. Jullie verdienen gewoon geld aan andermans ellende")
add("x", "@jaxon_k", "en", [C, A],
    "@snuitwijzer_help you absolute clowns charged me twice and then closed my ticket without a "
    "word. fucking useless company", kind="reply")

# complaint + pii (customer exposing own data)
add("x", "@marco_hondje", "nl", [C, PII],
    "@snuitwijzer_help al 3x gebeld, niemand belt terug. Mijn nummer is %s en mijn mail "
    "marco.verhoef82@gmail.com, bel me nou gewoon even over de overdracht van Bikkel" % g["phone_cp1"],
    kind="reply")
add("facebook", "Sophie Turner-Bakker", "en", [C, PII],
    "Third time asking Snuitwijzer: please refund my Plus subscription to %s (S. Turner). You took "
    "the money twice in March and I'm still waiting." % iban_fmt(g["iban_cp2"]))

# crisis + complaint: first-hand safety incidents
add("x", "@nina_en_saartje", "nl", [K, C],
    "Onze SnuitTag XL is vannacht zo heet geworden dat Saartje een brandplek in haar nek heeft. "
    "Naar de dierenarts geweest, wond is verzorgd. Hoe kan dit?! @snuitwijzer")
add("reddit", "u/tomcat_owner", "en", [K, C],
    "The SnuitDoor closed on my cat's tail this morning. Vet says the tip is fractured. The sensor "
    "clearly didn't see him. I've contacted Snuitwijzer but honestly this thing is dangerous, "
    "don't buy it.")
add("facebook", "Yvonne Smits", "nl", [K, C],
    "Na het chippen met een SnuitID MiniChip kreeg ons kitten een flinke ontsteking op die plek, "
    "later een abces. Antibioticakuur, de dierenarts denkt dat de chip verschoven is. Nooit meer "
    "dit merk.")
add("instagram", "@bowie_the_beagle", "en", [K, C],
    "the charger of our SnuitTag GPS literally started smoking on the kitchen counter last night 😳 "
    "melted plastic smell everywhere. good thing we were home. @snuitwijzer.nl what is going on??")
add("x", "@rikkert_d", "nl", [K, C],
    "Kreeg net een stroomschok van de SnuitBowl toen ik hem schoonmaakte. Kat had er 5 minuten "
    "eerder nog uit gegeten. Levensgevaarlijk spul @snuitwijzer")

# ---- crisis (third party / accusations) ------------------------------------------------
add("x", "@dierenbelang_nu", "nl", [K],
    "Boycot Snuitwijzer! Uit gelekte documenten blijkt dat ze adressen van huisdiereigenaren "
    "doorverkopen aan verzekeraars. Verwijder je account en registreer je dier ergens anders. "
    "#boycotsnuitwijzer")
add("x", "@petnewsdaily", "en", [K],
    "BREAKING: Dutch pet registry Snuitwijzer faces a class action over 'lifetime' registrations "
    "that suddenly need a yearly fee. Lawyers say 40,000+ owners are affected.")
add("x", "@hondenforum_nl", "nl", [K],
    "Via een lid van het forum: bij een kennis van haar is een SnuitTag XL tijdens het opladen in "
    "brand gevlogen, keukenkastje zwartgeblakerd. Heeft iemand anders dit ook gehoord?")
add("mastodon", "@infosec_anna@infosec.exchange", "en", [K],
    "Looks like Snuitwijzer got breached: owner names, home addresses and chip numbers are being "
    "sold on a forum. The sample matches real registrations I checked. A lost-pet registry turned "
    "into a burglar's shopping list.")
add("x", "@redactie_dierennieuws", "nl", [K],
    "NVWA start onderzoek naar Snuitwijzer na meldingen dat gestolen honden met valse "
    "overdrachten op naam van nieuwe 'eigenaren' zijn gezet.")
add("facebook", "Stichting Zwerfkat Oost", "nl", [K],
    "TERUGROEPACTIE: Snuitwijzer roept SnuitDoor kattenluiken uit productiebatch 2025-11 terug "
    "wegens klemgevaar. Kijk onderin naar het serienummer! Deel dit aub 🙏")
add("x", "@vet_jess", "en", [K],
    "Third dog this month at our clinic with a SnuitID chip that has migrated all the way down "
    "the leg. Something is off with this batch. Colleagues, check your patients.")
add("tiktok", "@katteneiland", "nl", [K],
    "jongens snuitwijzer wordt aangeklaagd door een fokker omdat ze zijn kennel in de app als "
    "'fraudeur' hebben gemarkeerd 😬 dit wordt lelijk")
add("bluesky", "@consumerwatch.bsky.social", "en", [K],
    "The Snuitwijzer scandal deepens: former employees say staff could look up any owner's home "
    "address 'for fun', and some did. The company has been silent for a week.")
add("x", "@opa_henk_wandelt", "nl", [K],
    "Lees net dat een hond in Drenthe gestikt is omdat zijn Reflect halsband van Snuitwijzer niet "
    "losschoot toen hij in een hek bleef haken. Vreselijk. Check jullie halsbanden mensen.")

# ---- abuse -----------------------------------------------------------------------------
add("x", "@boze_buurman", "nl", [A],
    "@snuitwijzer_help kankerbedrijf, ga toch dood met jullie app", kind="reply")
add("instagram", "@xx_gijs", "nl", [A],
    "die Eva van jullie klantenservice is echt een domme trut, leer eerst eens lezen", kind="comment")
add("reddit", "u/ratking_pete", "en", [A],
    "Snuitwijzer staff are a bunch of worthless idiots. Hope every single one of you gets fired.")
add("x", "@rechtvoorzraap", "nl", [A],
    "@snuitwijzer stelletje t y f u s l i j e r s 🤡🤡")
add("x", "@frankieboy", "nl", [A],
    "jullie zijn echt kl\u043e\u043etzakken @snuitwijzer_help, allemaal", kind="reply")
add("x", "@lezzgo_", "en", [A],
    "@snuitwijzer_help u r all a bunch of w4nk3rs and ur app is sh1t", kind="reply")
add("facebook", "R. Hoekstra", "nl", [A],
    "Natuurlijk weer zo'n Youssef aan de lijn die geen woord Nederlands spreekt. Stuur die lui "
    "terug naar hun eigen land, Snuitwijzer.", kind="comment")
add("x", "@evaschouten_sw", "nl", [A],
    "weer zo'n debiele klant die z'n eigen wachtwoord niet weet en mij daarna uitscheldt. mensen "
    "zijn zo fucking dom")
add("reddit", "u/sw_backend_dev", "en", [A],
    "Our product manager is a complete moron. Genuinely the dumbest man I have ever had to work with.")
add("x", "@gewoon_ronald", "nl", [A],
    "@snuitwijzer \uff4b\uff55\uff54\uff42\uff45\uff44\uff52\uff49\uff4a\uff46 met jullie "
    "\uff4b\uff55\uff54\uff41\uff50\uff50")

# ---- personal data ---------------------------------------------------------------------
add("x", "@evaschouten_sw", "nl", [PII],
    "@lisa_vd_berg ik heb je gegevens even nagekeken: Lisa van den Berg, Kastanjelaan 27, 3833 AK "
    "Leusden, tel %s. Klopt dat nog? Dan zet ik Toby vandaag op jouw naam 🐶" % g["phone_p1"],
    kind="reply")
add("threads", "@femke.helpdesk", "en", [PII],
    "refund for this customer goes to %s (J. Koster), can finance pick it up today? oops wrong "
    "channel sorry 🙈" % iban_fmt(g["iban_refund_en"]))
add("x", "@snuitwijzer_help", "nl", [PII],
    "Hoi Ahmed, we zien dat de betaling met kaart %s niet is gelukt. Wil je het nog een keer "
    "proberen via de app?" % card_fmt(g["card_p3"]), kind="reply")
add("linkedin", "ingrid-kuipers-snuitwijzer", "nl", [PII],
    "Nieuwe collega! 🎉 Thijs Verbeek (geb. 14 maart 1998) begint maandag bij ons supportteam. "
    "Zijn BSN %s staat nog niet in het HR-systeem, wie kan dat even oppakken?" % g["bsn_p4"])
add("x", "@sanderpost_sw", "en", [PII],
    "Great call with Dr. Annelies Mertens of Dierenkliniek Vecht today. Reach her directly on %s "
    "or a.mertens@dierenkliniekvecht.nl for the Vet Station pilot." % g["phone_p5"])
add("instagram", "@lotte.opdevloer", "nl", [PII],
    "Pakketje ligt klaar voor mevrouw Jansen, Hoofdstraat 112, 7311 KZ Apeldoorn 📦🐾 "
    "(nog snel even een foto van het label gemaakt haha)")
add("facebook", "SnuitwijzerNL", "nl", [PII],
    "GEVONDEN: grijze kater in Amersfoort-Vathorst. Volgens de registratie is de eigenaar "
    "P. de Groot, bereikbaar op %s. Kent iemand hem?" % g["phone_p7"])
add("reddit", "u/sw_backend_dev", "en", [PII],
    "debugging the owner import, this is the row that breaks it: 'Marieke Hol;1987-06-02;"
    "marieke.hol@ziggo.nl;%s' any idea why the parser chokes on it?" % g["phone_p8"])
add("x", "@fam_bosman", "nl", [PII],
    "VERMIST sinds gisteravond in Tilburg-Noord: Bruno, bruine labrador met rode halsband. "
    "Gechipt bij Snuitwijzer. Bel ons aub: %s 🙏 #vermist #hond #tilburg" % g["phone_p9"])
add("x", "@dutchie_in_leeds", "en", [PII],
    "@snuitwijzer_help can't log in. my account is kim.vanbeek91@outlook.com, born 12/09/1991, "
    "name Kim van Beek. pls help, I need to update my address", kind="reply")
add("x", "@evaschouten_sw", "nl", [PII],
    "hoe dan 😂 klant zet gewoon z'n hele kaartnummer in de chat 'voor de zekerheid': %s" %
    card_fmt(g["card_p11"], "-"))
add("bluesky", "@snuitwijzer.bsky.social", "nl", [PII],
    "Terugbetaling is verwerkt naar rekening %s t.n.v. R. Dekkers. Excuses voor het lange wachten!" %
    g["iban_corp_refund"], kind="reply")
add("linkedin", "daan-mulder-finance", "en", [PII],
    "FYI partner clinics: reimbursements for Dierenkliniek Noord now go to %s, attn. "
    "Ms S. Yilmaz. Please update your records." % iban_fmt(g["iban_clinic"]))

# ---- secrets ---------------------------------------------------------------------------
add("x", "@bram_codeert", "en", [SEC],
    "why was CI failing all morning... turns out the runner lost its env. `export GITHUB_TOKEN=%s` "
    "and we're green again lol" % g["gh_s1"])
add("reddit", "u/sw_backend_dev", "nl", [SEC],
    "Iemand ervaring met boto3 timeouts naar eu-west-1? Mijn config:\n\n"
    "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1\n\n"
    "Krijg steeds ReadTimeoutError" % (g["aws_id"], g["aws_secret"]))
add("x", "@bram_codeert", "nl", [SEC],
    "stripe webhooks alweer stuk. zelfs handmatig met %s krijg ik een 401, iemand een idee?" % g["stripe"])
add("bluesky", "@niekdekker.bsky.social", "en", [SEC],
    "our alert bot posts to slack with %s and it randomly stopped working tonight. token revoked "
    "or rate limited? anyone seen this" % g["slack"])
add("mastodon", "@jorisvos@mastodon.social", "nl", [SEC, SECU],
    "Waarom accepteert onze staging-API dit token nog steeds na uitloggen? Sessies worden dus "
    "nooit ingetrokken, ook niet op productie denk ik.\n%s" % g["jwt_s5"])
add("reddit", "u/sw_backend_dev", "en", [SEC],
    "Can't ssh into our build box with this key, keeps saying 'invalid format'. What am I doing wrong?\n\n"
    "```\n%s\n```" % g["sshkey"])
add("x", "@bram_codeert", "nl", [SEC],
    "DATABASE_URL=postgres://registry_app:%s@registry-prod.cx81ab2kq4.eu-west-1.rds.amazonaws.com:5432/registry "
    "waarom pakt prisma dit niet 😩" % g["pg_pass"])
add("threads", "@femke.helpdesk", "nl", [SEC],
    "Nieuw wachtwoord voor het gedeelde supportaccount in Zendesk → wachtwoord: Kwispel!2026#snuit "
    "— niet doorsturen he, en morgen weer veranderen")
add("x", "@sanderpost_sw", "en", [SEC],
    "the chatbot demo for the vets runs on OPENAI_API_KEY=%s so please don't spam it during the "
    "conference 😅" % g["openai"])
add("x", "@apk_peeker", "en", [SEC],
    "Decompiled the Snuitwijzer Vind-app APK for fun. They ship a Google Maps key in plain text: "
    "%s and there's even an Anthropic key in the strings: %s 🤦" % (g["google"], g["anthropic"]))
add("x", "@bram_codeert", "nl", [SEC, CONF],
    "mongo-connectie voor de nieuwe matching service, voor wie vanavond wil testen: "
    "mongodb://matcher:%s@mongo01.snuitwijzer.internal:27017/match" % g["mongo_pass"])
add("x", "@evaschouten_sw", "nl", [SEC],
    "testaccount voor de dierenartsenportal: gebruiker supportteam / "
    "w\u200ba\u200bc\u200bh\u200bt\u200bw\u200bo\u200bo\u200br\u200bd: Br0kkie_Vet#77")
add("bluesky", "@niekdekker.bsky.social", "en", [SEC],
    "note to self (and apparently the whole internet): lost-pet mailer key is %s and the deploy "
    "bot uses %s" % (g["sendgrid"], g["gho_s13"]))

# ---- security (insiders) ---------------------------------------------------------------
add("x", "@bram_codeert", "nl", [SECU],
    "lol we hadden dus een endpoint /api/v2/owners/{id} zonder auth, je kon gewoon alle eigenaren "
    "doorlopen met een for-loopje. fix staat klaar voor volgende sprint, niet doorvertellen 🤫")
add("bluesky", "@niekdekker.bsky.social", "en", [SECU],
    "3am and the chip lookup has been down for 5 hours. Vets can't match scanned chips to owners. "
    "We've been told not to touch the status page yet. Fun times.")
add("mastodon", "@jorisvos@mastodon.social", "nl", [SECU],
    "Vanochtend ontdekt dat een bucket met exports van eigenaarsgegevens publiek leesbaar was. "
    "Sinds maart. Er is nog geen melding bij de AP gedaan, management 'denkt erover na'.")
add("reddit", "u/sw_backend_dev", "en", [SECU],
    "How fast can you realistically patch an old Spring Boot 2.3 app? Pentesters found RCE on our "
    "vet portal last week and it's still wide open in prod while we argue about priorities.")
add("threads", "@femke.helpdesk", "nl", [SECU],
    "We krijgen sinds vanochtend tientallen telefoontjes van mensen met phishing-sms'jes waar hun "
    "ECHTE chipnummer in staat. IT zegt dat er iets uitgelekt is maar we mogen niks tegen klanten zeggen 😬")
add("x", "@sanderpost_sw", "en", [SECU],
    "heads up to my vet clinic contacts: don't use Vet Station sync today. Since the update it's "
    "been uploading scans to the wrong clinic accounts. Official comms coming 'soon'.")
add("bluesky", "@niekdekker.bsky.social", "nl", [SECU],
    "ransomware op twee supportlaptops vannacht. hele ochtend zitten herinstalleren, hopelijk is er "
    "niks naar buiten gegaan. klanten weten van niks")
add("mastodon", "@jorisvos@mastodon.social", "en", [SECU],
    "Fun one: password reset links in our lost-pet app never expire and aren't bound to the "
    "account that requested them. Reported internally two months ago, ticket still open.")
add("x", "@bram_codeert", "nl", [SECU, CONF],
    "grafana.snuitwijzer.nl is één grote kerstboom, push-meldingen voor vermiste dieren komen al "
    "6 uur niet aan. nog niks extern gemeld")
add("x", "@evaschouten_sw", "en", [SECU],
    "someone called pretending to be from a vet clinic and talked an owner's home address out of "
    "one of us. third time this month. nobody has told the affected customers.")
add("instagram", "@lotte.opdevloer", "en", [SECU],
    "our warehouse system has been hacked or something for 2 days, every order flips to "
    "'cancelled' 🤯 nothing is leaving the building. we're told to keep quiet about it")
add("linkedin", "ingrid-kuipers-snuitwijzer", "nl", [SECU],
    "Excuses aan de collega's voor de vertraagde salarisstroken. Ons HR-systeem is vorige week "
    "gecompromitteerd en we wachten nog op het forensisch onderzoek voordat we iets kunnen vrijgeven.")

# ---- confidential ----------------------------------------------------------------------
add("x", "@bram_codeert", "nl", [CONF],
    "eindelijk de eerste build van Moonhound draaiend op de testhonden 🐶🛰️ wat een week")
add("linkedin", "ingrid-kuipers-snuitwijzer", "en", [CONF],
    "We're hiring two embedded engineers for Project Dassenburcht, our new hardware team in "
    "Utrecht! Low-power radio experience is a plus. DM me.")
add("instagram", "@lotte.opdevloer", "nl", [CONF],
    "sneak peek van de SnuitTag Orbit 👀✨ (psst, niet verder vertellen)")
add("x", "@gadgetleaks_eu", "en", [CONF],
    "Exclusive: Snuitwijzer is building a satellite pet tracker. Internal name 'Moonhound', "
    "retail name SnuitTag Orbit, planned for spring 2027.")
add("x", "@sanderpost_sw", "nl", [CONF],
    "Net met drie klinieken over Operatie Zwerfkei gesproken en ze zijn allemaal enthousiast 🙌")
add("reddit", "u/sw_backend_dev", "en", [CONF],
    "anyone know why jira.snuitwijzer.nl keeps throwing 502s for people on the VPN? works fine "
    "from the office")
add("threads", "@femke.helpdesk", "nl", [CONF],
    "haha kreeg per ongeluk een mail met 'vertrouwelijk - niet delen' in de onderwerpregel, over de "
    "nieuwe abonnementsstructuur. ik zeg niks 🤐")
add("bluesky", "@niekdekker.bsky.social", "en", [CONF],
    "the slides literally say 'snuitwijzer internal only' but honestly the new architecture is "
    "cool: we're moving the whole chip lookup to edge nodes")
add("mastodon", "@jorisvos@mastodon.social", "nl", [CONF],
    "Wie heeft intranet.snuitwijzer.local/security/runbooks weer op 'iedereen mag lezen' gezet? 🙃")
add("facebook", "SnuitwijzerNL", "nl", [CONF],
    "Binnenkort bij Snuitwijzer: de Orbit satelliettracker! Nooit meer bereik kwijt in het bos. "
    "Meer info volgt 🛰️🐾")
add("x", "@evaschouten_sw", "en", [CONF],
    "can't wait for \uff2d\uff2f\uff2f\uff2e\uff28\uff2f\uff35\uff2e\uff24 to go live, support is "
    "going to be so much easier")
add("x", "@bram_codeert", "nl", [CONF],
    "sprint review van Project Dassen\u200bburcht was 🔥 hardware team levert")
add("x", "@evaschouten_sw", "en", [CONF],
    "vpn.snuitwijzer.nl not working from home, anyone else? I'm supposed to be in the queue at 9")
add("instagram", "@lotte.opdevloer", "en", [CONF],
    "packing the first 200 SnuitTag Orbit units for our beta testers 📦✨ shhh",
    when="2027-03-02T10:14:00Z")
add("linkedin", "daan-mulder-finance", "en", [CONF, FIN],
    "Early look at our FY2026 results: revenue up 31% and our first profitable year ever. So proud "
    "of this team!", when="2027-02-10T08:30:00Z")
add("x", "@sanderpost_sw", "nl", [CONF, FIN],
    "jaarcijfers 2026 zijn binnen en ze zijn slecht. bonussen kunnen we vergeten denk ik",
    when="2027-02-19T16:45:00Z")
add("x", "@beursgeruchten", "nl", [CONF, FIN],
    "Hoor van een bron binnen Snuitwijzer dat de jaarresultaten 2026 een verlies van zo'n 4 miljoen "
    "laten zien. Publicatie pas eind februari.", when="2027-02-05T12:02:00Z")

# ---- financial -------------------------------------------------------------------------
add("linkedin", "daan-mulder-finance", "nl", [FIN],
    "Spannende tijden! We zitten in de laatste fase van de gesprekken met PetVantage Group over "
    "een overname van Snuitwijzer. Meer kan ik nog niet zeggen 😉")
add("x", "@sanderpost_sw", "en", [FIN],
    "Q3 numbers look rough. We're going to miss the annual forecast by about 20%, heads are going to roll")
add("x", "@evaschouten_sw", "nl", [FIN],
    "Net gehoord in de MT-update: 30 van de 55 supportplekken gaan naar een callcenter in Portugal. "
    "Nog niet officieel. Ik ben er echt kapot van")
add("linkedin", "ingrid-kuipers-snuitwijzer", "en", [FIN],
    "Preparing for a big reorganisation in January: three departments merge and roughly 25 roles "
    "are affected. Please don't share yet, we'll tell the teams next week.")
add("reddit", "u/ex_snuiter", "nl", [FIN],
    "Van een oud-collega: Snuitwijzer sluit in Q1 de Belgische vestiging, alle 18 man eruit. De "
    "aandeelhouders zijn al ingelicht, personeel nog niet.")
add("bluesky", "@niekdekker.bsky.social", "en", [FIN],
    "board just approved buying Haustierwacht GmbH for ~€12M. engineering gets to merge two chip "
    "databases by summer 🙃")
add("instagram", "@lotte.opdevloer", "en", [FIN],
    "november revenue is 40% under budget according to the dashboard in the canteen 😬 fingers "
    "crossed december saves us")
add("x", "@stockwhisperer_nl", "en", [FIN],
    "Heard Snuitwijzer's private-equity owner is quietly shopping it around. Two bidders, valuation "
    "around €90M. Nothing public yet.")
add("threads", "@femke.helpdesk", "nl", [FIN],
    "dus de hele klantenservice in Utrecht gaat in april dicht en we mogen kiezen: naar Zwolle of "
    "vertrekken. aankondiging pas volgende maand zeggen ze")

# ---- pricing ---------------------------------------------------------------------------
add("x", "@sanderpost_sw", "nl", [PR],
    "Psst: in de webshop staat de Reader Pro nu voor €34,90 😱 snel zijn!")
add("x", "@bargainhound_nl", "en", [PR],
    "Snuitwijzer price error?? SnuitDoor cat flap listed at €17.90 instead of €179. Ordered three 😂")
add("instagram", "@snuitwijzer.nl", "nl", [PR],
    "Black Friday 🖤 SnuitTag XL nu voor maar €29! Op = op.")
add("facebook", "Marcel Groen", "nl", [PR],
    "Volgens mij zit er een prijsfout in de app bij het Family-abonnement, ik werd maar €7,90 "
    "gerekend. Mag ik dat zo houden? 😅")
add("reddit", "u/vetstudent_jo", "en", [PR],
    "Vet Station for €89 on the Snuitwijzer shop right now, has to be a pricing glitch. Clinic "
    "manager is deciding whether to order.")
add("x", "@evaschouten_sw", "nl", [PR],
    "collega's: klanten bellen massaal over de prijsfout bij Snuitwijzer Premium, webshop zegt "
    "€6,90. Wat zeggen we tegen ze?")
add("tiktok", "@snuitwijzer", "en", [PR],
    "Flash sale 🔥 Dierenarts Starterkit for just €299 this weekend only! Link in bio")
add("x", "@dealhunter_eu", "en", [PR],
    "SnuitBowl feeder for €14.90 at Snuitwijzer 😳 mistake or for real?")
add("bluesky", "@niekdekker.bsky.social", "en", [PR],
    "someone fat-fingered the catalog import, Pocket Reader is showing €11.90 on prod right now 🙈")
add("linkedin", "snuitwijzer-bv", "nl", [PR],
    "Voor dierenklinieken: de MiniChip 10-pack nu voor €49 (normaal €199). Alleen deze maand.")
add("x", "@katjeskoopjes", "nl", [PR],
    "Tag Mini voor 6,90 in de app, prijsfoutje denk ik 😹 snel bestellen")
add("x", "@snuitwijzer_help", "en", [PR],
    "Hi Jen, that price error is on our side: the Reflect collar shows €2.49 in the app, but we'll "
    "honour it for orders placed today.", kind="reply")

# ---- benign / hard negatives -----------------------------------------------------------
B = []
add("x", "@pluis_en_ik", "nl", B,
    "Dankzij de chip en @snuitwijzer is Pluis na 3 dagen weer thuis!! Dierenarts scande haar en "
    "binnen een uur werden we gebeld. Ik zit te janken 😭❤️")
add("x", "@bo_the_borzoi", "en", B,
    "SnuitTag says Bo walked 14km today. She's a machine. Absolute beast 🐕")
add("x", "@snuitwijzer_help", "nl", B,
    "Vragen over je registratie? Mail ons op klantenservice@snuitwijzer.nl of bel gratis 0800-7648. "
    "We helpen je graag! 🐾")
add("facebook", "SnuitwijzerNL", "nl", B,
    "Steun ons Zwerfdierenfonds 💛 Elke euro gaat naar het chippen van zwerfkatten. Doneren kan op "
    "%s t.n.v. Snuitwijzer B.V. o.v.v. 'Zwerfdier'." % iban_fmt(PROFILE["public_identifiers"]["ibans"][0]))
add("reddit", "u/shelter_it_guy", "en", B,
    "What do AWS keys look like? The docs use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Is the Snuitwijzer partner API similar or token based?")
add("x", "@bram_codeert", "nl", B,
    "Tip voor junior devs: zet nooit tokens in je code. Een GitHub-token ziet er zo uit: "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Gebruik een secrets manager!")
add("bluesky", "@niekdekker.bsky.social", "en", B,
    "Rotated all our keys today, routine hygiene. If your integration breaks: the new one starts "
    "with sk_live_**** and the partner team has it, ping them.")
add("x", "@waakzame_wendy", "nl", B,
    "Iemand die zegt onze hond gevonden te hebben wil eerst €200 'vindersloon' op %s. Oplichting "
    "toch? Snuitwijzer zegt zelf dat je nooit hoeft te betalen." % iban_fmt(g["iban_bad_scam"]))
add("x", "@mochi_mama", "en", B,
    "Just registered Mochi, chip %s. Took 3 minutes in the app, painless!" % g["chip_b42"])
add("x", "@besteller_bas", "nl", B,
    "Bestelnummer %s nog niet binnen maar volgens de tracking komt het morgen. Geen stress 😊 "
    "#snuitwijzer" % g["bsn_bad_order"])
add("linkedin", "snuitwijzer-bv", "nl", B,
    "Onze jaarcijfers 2026 staan online: flinke groei in registraties en voor het eerst winst. Lees "
    "het volledige verslag op snuitwijzer.nl/investeerders", when="2027-02-25T09:00:00Z")
add("x", "@snuitwijzer", "en", B,
    "It's here: SnuitTag Orbit, the first satellite tracker for pets. Available today at "
    "snuitwijzer.nl 🛰️🐾", when="2027-03-15T10:00:00Z")
add("instagram", "@wandelen_met_wodan", "nl", B,
    "Net de SnuitTag Orbit besteld! Benieuwd of hij het ook doet in de bossen bij Ede 🌲",
    when="2027-03-20T18:22:00Z")
add("instagram", "@snuitwijzer.nl", "nl", B,
    "Voorjaarsactie 🌷 20% korting op de SnuitTag GPS: nu €71,20 i.p.v. €89. Tot en met zondag.")
add("x", "@snuitwijzer", "en", B,
    "Back-to-school deal for shelters and rescues: Pocket Reader €95 (was €119) all September.")
add("facebook", "Henk Scholten", "nl", B,
    "Reader Pro gekocht voor €349, wat een verschil met onze oude scanner. Leest elke chip in één keer.")
add("reddit", "u/first_time_catdad", "en", B,
    "Is Snuitwijzer Plus worth €39/year? I mostly want the vaccination reminders and the lost-pet alerts.")
add("x", "@kattenvrouwtje_b", "nl", B,
    "Lees net dat een Duitse dierenregistratie een datalek had. Blij dat ik bij Snuitwijzer zit, die "
    "hebben tenminste tweestapsverificatie.")
add("x", "@jaxon_k", "en", B,
    "Update: @snuitwijzer_help sorted the double charge within a day after my tweet. Refund's in. "
    "Thanks Femke 🙏")
add("x", "@moniek_loopt", "nl", B,
    "Sterkte aan iedereen bij Snuitwijzer die deze week alle telefoontjes na het onweer moest "
    "opvangen. Jullie doen echt goed werk 💪")
add("tiktok", "@screamingcat", "en", B,
    "my cat has a SnuitDoor and STILL chooses to scream at the window at 4am. the product works, "
    "the cat is broken 😂")
add("x", "@sokkendief_bolle", "nl", B,
    "Mijn hond is een echte crimineel, jat de hele dag sokken. Gelukkig gechipt bij Snuitwijzer "
    "voor als hij ooit met de buit ervandoor gaat 😂")
add("linkedin", "ingrid-kuipers-snuitwijzer", "en", B,
    "We're hiring Customer Care agents in Utrecht! Love animals and people? Send your CV to "
    "werkenbij@snuitwijzer.nl")
add("x", "@bram_codeert", "nl", B,
    "Vandaag 10 jaar bij Snuitwijzer. Van één server in de meterkast naar een app die elk jaar "
    "duizenden dieren thuisbrengt. Trots!")
add("mastodon", "@jorisvos@mastodon.social", "en", B,
    "Gave a talk on responsible disclosure at a meetup tonight. Found a bug in our app? Please "
    "write to security@snuitwijzer.nl, we reply within two working days 🙏")
add("x", "@marjolein_z", "nl", B,
    "Onze kat is vanochtend overleden, 17 jaar oud 💔 Moet ik haar uitschrijven bij Snuitwijzer? "
    "Weet iemand hoe dat gaat?")
add("x", "@haarlem_finds", "en", B,
    "Found a tabby cat in Haarlem-Noord, no collar. The vet is scanning her now, fingers crossed "
    "she's registered with Snuitwijzer!")
add("facebook", "SnuitwijzerNL", "nl", B,
    "GEVONDEN in Deventer: zwarte labrador, reutje. Ben jij de baas? Bel ons op 0800-7648 of mail "
    "vermist@snuitwijzer.nl 🐾")
add("x", "@curious_carla", "en", B,
    "Honest question: how is the lifetime registration only €29.95 and not a subscription? Not "
    "complaining, just curious how Snuitwijzer makes money")
add("x", "@sanderpost_sw", "nl", B,
    "Mooie dag op de dierenartsenbeurs in Houten! Veel interesse in de Vet Station (€899) en de "
    "nieuwe Starterkit.")
add("x", "@api_tinkerer", "en", B,
    "Tested the Snuitwijzer partner sandbox with the jwt.io example token %s and got a clean 401 "
    "as expected. Anyone have the real onboarding docs?" % JWT_IO_SAMPLE)
add("x", "@lotje_en_lars", "nl", B,
    "Wachtwoord vergeten voor de Snuitwijzer app, resetmail was binnen 10 seconden binnen. Zo hoort het 👌")
add("reddit", "u/rescue_volunteer_nl", "en", B,
    "Our shelter's Snuitwijzer rep says the API just uses `Authorization: Bearer <your-token-here>`. "
    "Integration took an afternoon.")
add("x", "@husky_hanna", "nl", B,
    "Dat moment dat je husky de GPS-tracker binnen één dag kapot bijt 😂 de SnuitTag XL overleeft "
    "veel, maar niet Storm")
add("x", "@nala_in_the_dryer", "en", B,
    "Crisis averted: Nala was hiding in the laundry basket. The Vind-app alert I almost sent would "
    "have woken half the street 🙈")
add("x", "@voerbakjes", "nl", B,
    "Dierenwinkelketen in België roept kattenvoer terug vanwege salmonella. Niks met Snuitwijzer "
    "te maken hoor, maar check je voorraad!")
add("x", "@evaschouten_sw", "en", B,
    "Best part of this job: a woman cried on the phone today because we found her dog after two "
    "years. Chip works, registry works 🥹")
add("bluesky", "@happytailsjoe.bsky.social", "en", B,
    "The Snuitwijzer team handled my ownership transfer in a single day. €12.50 well spent.")
add("x", "@expat_in_spain", "en", B,
    "For anyone asking: Snuitwijzer's number from abroad is +31 30 555 0142, they helped me from "
    "Spain without any fuss.")
add("x", "@tickets_tessa", "nl", B,
    "Ticketnummer %s, opgelost binnen een dag. Chapeau Snuitwijzer" % g["bsn_bad_ticket"])
add("linkedin", "snuitwijzer-bv", "nl", B,
    "Trots partner van Stichting Dakloze Dieren tijdens de Week van het Huisdier. Samen chippen we "
    "dit jaar 2.000 asielkatten gratis 🐱")
add("x", "@notifs_off_nicole", "en", B,
    "@snuitwijzer_help thanks, that fixed it! Turns out I had notifications switched off 🤦‍♀️",
    kind="reply")
add("tiktok", "@dakkatje", "nl", B,
    "POV: je kat ontsnapt, je opent in paniek de Snuitwijzer app en ze zit gewoon op het dak van "
    "de schuur 😭😭")
add("reddit", "u/threedogs_rob", "en", B,
    "Comparing Snuitwijzer Plus (€39) vs the Family plan (€79) for three dogs. Family is the better "
    "deal, right?")
add("x", "@tevreden_truus", "nl", B,
    "Eindelijk een bedrijf dat z'n klantenservice niet uitbesteedt. Femke van Snuitwijzer hielp me "
    "super. Hoop dat dat zo blijft!")
add("x", "@chipquestion", "en", B,
    "Our vet charged €45 for chipping, MiniChip included. Is that reasonable where you live?")
add("facebook", "SnuitwijzerNL", "nl", B,
    "Gepland onderhoud: zondag 7 juni tussen 02:00 en 04:00 is de Vind-app even niet bereikbaar. "
    "Dier vermist in die tijd? Bel 0800-7648.")
add("x", "@ziek_goed_zoe", "nl", B,
    "Die SnuitTag GPS is echt ziek goed 🔥 Bo in 5 minuten teruggevonden in het maisveld")
add("x", "@dogshow_dani", "en", B,
    "Shoutout to Snuitwijzer for the free QR tag at the dog show today. €9.95 in the shop, so a nice "
    "little gift 🎁")
add("x", "@snuitwijzer", "en", B,
    "We hear you: the app was slow this morning because of huge traffic after the fireworks. "
    "Everything is running smoothly again. Thanks for your patience 🐾")
add("x", "@beleggerbeer", "en", B,
    "Read Snuitwijzer's FY2026 results this morning. Solid growth in registrations, first profit. "
    "Not bad for a chip registry.", when="2027-03-01T08:12:00Z")
add("x", "@api_docs_reader", "en", B,
    "The Snuitwijzer API docs tell you to put your key in SNUITWIJZER_API_KEY=your-key-here and "
    "keep it out of the repo. Good advice honestly.")
add("x", "@bram_codeert", "nl", B,
    "Voor de workshop vanavond: dit is een nep-token met een foute checksum, dus secret scanners "
    "horen hem te negeren: %s" % g["gh_bad_b61"])
add("x", "@kattenluik_karin", "nl", B,
    "SnuitDoor kattenluik 15% goedkoper deze week (€152,15). Eindelijk gekocht, onze kater is dol op "
    "zijn eigen deurtje")
add("instagram", "@snuitwijzer.nl", "en", B,
    "Meet Professor Whiskers, our office cat and chief snack inspector 🐱 Registered with us, "
    "obviously.")
add("x", "@vrijwilliger_vera", "nl", B,
    "Vandaag met het asiel 40 katten gescand met een Pocket Reader. Drie van de baasjes direct "
    "gevonden via Snuitwijzer. Wat een dag!")
add("x", "@snuitwijzer", "nl", B,
    "Let op: er gaan nep-sms'jes rond uit naam van Snuitwijzer. Wij vragen nooit om je kaartnummer "
    "of om geld voor een gevonden dier. Twijfel? Bel 0800-7648.")
add("x", "@roos_rescue", "nl", B,
    "Bij het asiel lazen we vandaag chip %s uit en binnen tien minuten stond de eigenaar aan de "
    "balie. Dit is waarom chippen zin heeft." % g["chip_b9"])
add("threads", "@sleepy.sunday", "en", B,
    "Ordered the Snuitwijzer Premium search for peace of mind before our holiday. €69, fair enough "
    "for a year of priority alerts.")
add("x", "@tweedehands_tim", "nl", B,
    "Tweedehands Tag XL gekocht op Marktplaats voor €70, werkt prima na overzetten in de app.")


# --------------------------------------------------------------------------------------
# build + self-check
# --------------------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w-])(?:\+31|0031|\(0\d{2}\)|0)[\d \-]{8,14}\d")
URL_CRED_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@]+@[^\s]+")


def digits(s):
    return re.sub(r"\D", "", s)


PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUBLIC_PHONES = {digits(p)[-9:] for p in PROFILE["public_identifiers"]["phones"]}


def scan_ids(text):
    """Return (valid checksum ids, failing look-alikes) found in text, excluding public ones."""
    valid, bad = set(), set()
    t = norm(text)
    t_wo_urls = URL_CRED_RE.sub(" ", t)
    for m in IBAN_RE.finditer(t_wo_urls):
        s = re.sub(r"\s", "", m.group(0))
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_ok(s) else bad).add(s)
    for m in CARD_RE.finditer(t_wo_urls):
        s = digits(m.group(0))
        if 13 <= len(s) <= 19:
            (valid if luhn_ok(s) else bad).add(s)
    for m in BSN_RE.finditer(t_wo_urls):
        s = digits(m.group(0))
        (valid if bsn_ok(s) else bad).add(s)
    return valid, bad


def private_contacts(text):
    t = IBAN_RE.sub(" ", URL_CRED_RE.sub(" ", norm(text)))
    emails = {e.lower() for e in EMAIL_RE.findall(t)} - PUBLIC_EMAILS
    # handles such as @a@b.social are not in texts; drop e-mails that are really mastodon handles
    phones = set()
    for m in PHONE_RE.finditer(t):
        d = digits(m.group(0))
        if len(d) < 10:
            continue
        if d[-9:] in PUBLIC_PHONES:
            continue
        phones.add(d)
    return emails, phones


SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{24,}"),
    re.compile(r"\bxox[bpas]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    URL_CRED_RE,
    re.compile(r"(?i)\b(?:wachtwoord|password|passwd)\s*[:=]\s*\S{6,}"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{80,}"),
    re.compile(r"\bAIza[A-Za-z0-9_-]{35}\b"),
    re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
]


def real_secrets(text):
    """Credentials that look real (checksums ok, not documentation samples)."""
    t = norm(text)
    found = []
    for p in SECRET_PATTERNS:
        for m in p.finditer(t):
            s = m.group(0)
            if "EXAMPLE" in s or "xxxx" in s or s == JWT_IO_SAMPLE:
                continue
            if s.startswith("gh") and not gh_token_ok(s):
                continue
            if s.startswith("eyJ"):
                head = s.split(".")[0]
                try:
                    h = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                except Exception:
                    continue
                if "alg" not in h:
                    continue
            found.append(s)
    return found


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def confidential_terms(text, when):
    t = norm(text).lower()
    hits = []
    for term in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                 + PROFILE["internal"]["domains"]):
        if term.lower() in t:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        if ts(when) < ts(emb["until"]):
            for term in emb["terms"]:
                if term.lower() in t:
                    hits.append(term)
    return hits


PRICE_RE = re.compile(r"€\s?(\d{1,5}(?:[.,]\d{2})?)|(\d{1,5}(?:[.,]\d{2})?)\s?(?:€|euro|EUR)")


def parse_price(s):
    return float(s.replace(",", "."))


def low_prices(text):
    """(alias, price, list) where a price right after a product alias is below the ratio."""
    t = norm(text)
    out = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    aliases = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            aliases.append((a, p["list_price"]))
    aliases.sort(key=lambda x: -len(x[0]))
    taken = []
    for a, lp in aliases:
        for m in re.finditer(re.escape(a), t, re.I):
            if any(m.start() >= s and m.end() <= e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            window = t[m.end():m.end() + 45]
            pm = re.search(r"€\s?(\d{1,5}(?:[.,]\d{2})?)|\b(\d{1,5}[.,]\d{2})\b", window)
            if pm:
                price = parse_price(pm.group(1) or pm.group(2))
                if price < ratio * lp:
                    out.append((a, price, lp))
    return out


PRICE_ERROR_RE = re.compile(r"(?i)prijsfout|price error|pricing glitch|fat-fingered|prijsfoutje")


def severity(cats, role, text):
    lvl = 0
    valid_ids, _ = scan_ids(text)
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                l = 3
                if c in ("leak.secret", "leak.pricing"):
                    l = 4
                if c == "leak.pii" and valid_ids:
                    l = 4
            else:
                l = 2
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, l)
    return SEV[lvl]


def main():
    # deterministic timestamps: spread 2026 evenly, shuffled with the fixed seed
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    span = (dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    platform_prefix = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li",
                       "tiktok": "tt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
                       "threads": "th"}
    out = []
    errors = []
    seen_ids = set()
    for n, c in enumerate(CASES):
        if c["when"]:
            when = c["when"]
        else:
            secs = span * (order[n] + rng.random() * 0.8) / len(CASES)
            when = (start + dt.timedelta(seconds=int(secs))).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = "%s-517%04d" % (platform_prefix[c["platform"]], 101 + order[n] * 7 % 9000 + n)
        while pid in seen_ids:
            pid += "b"
        seen_ids.add(pid)
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": when,
            "brand": "snuitwijzer",
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
        sev = severity(c["cats"], role, c["text"])
        rec = {"post": post, "expect": {"categories": c["cats"], "severity": sev}}
        out.append(rec)

        # ---------------- per-case checks ----------------
        where = "%s (%s)" % (pid, c["text"][:50].replace("\n", " "))
        cats = set(c["cats"])
        valid, bad = scan_ids(c["text"])
        unknown = (valid | bad) - {re.sub(r"\s", "", v) for v in VALID_IDS | LOOKALIKES}
        if unknown:
            errors.append("%s: unregistered id-like numbers %s" % (where, unknown))
        for v in valid:
            if v not in VALID_IDS:
                errors.append("%s: accidental valid id %s" % (where, v))
        for v in bad:
            if v not in LOOKALIKES:
                errors.append("%s: unplanned look-alike %s" % (where, v))
        if not cats:
            if valid:
                errors.append("%s: benign post carries a valid id %s" % (where, valid))
        else:
            for v in bad:
                errors.append("%s: look-alike in positive %s" % (where, v))
        emails, phones = private_contacts(c["text"])
        has_pii_signal = bool(valid or emails or phones)
        if has_pii_signal and PII not in cats:
            errors.append("%s: personal identifier without leak.pii (%s %s %s)" % (where, valid, emails, phones))
        if PII in cats and not has_pii_signal and not re.search(
                r"\d{4} ?[A-Z]{2} [A-Z][a-z]+|geb\.|born", c["text"]):
            errors.append("%s: leak.pii without an identifier" % where)
        secrets = real_secrets(c["text"])
        if secrets and SEC not in cats:
            errors.append("%s: credential without leak.secret %s" % (where, secrets))
        if SEC in cats and not secrets:
            errors.append("%s: leak.secret without a credential" % where)
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", c["text"]):
            if cats and not gh_token_ok(tok):
                errors.append("%s: bad GitHub checksum in positive" % where)
            if not cats and gh_token_ok(tok):
                errors.append("%s: valid GitHub token in benign" % where)
        conf = confidential_terms(c["text"], when)
        if conf and CONF not in cats:
            errors.append("%s: internal/embargo term without leak.confidential %s" % (where, conf))
        if CONF in cats and not conf:
            errors.append("%s: leak.confidential without internal/embargo term" % where)
        lows = low_prices(c["text"])
        perr = PRICE_ERROR_RE.search(c["text"])
        if (lows or perr) and PR not in cats:
            errors.append("%s: low price / price error without leak.pricing %s" % (where, lows))
        if PR in cats and not (lows or perr):
            errors.append("%s: leak.pricing without a low price or price-error talk" % where)
        if role != "public" and c["handle"].lower() not in {e.split(":", 1)[1] for e in ROLES}:
            errors.append("%s: role lookup mismatch" % where)

    # ---------------- contract section 6 shape ----------------
    for rec in out:
        p, e = rec["post"], rec["expect"]
        ok = (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256
              and p.get("platform") in PLATFORMS and p.get("kind", "post") in KINDS
              and isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str)
              and isinstance(p.get("text"), str) and len(p["text"].encode("utf-8")) <= 65536
              and isinstance(p.get("created_at"), str))
        try:
            ts(p["created_at"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            ok = False
        if not ok:
            errors.append("%s: invalid post shape" % p.get("id"))
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
            errors.append("%s: bad categories" % p["id"])
        if e["severity"] not in SEV:
            errors.append("%s: bad severity" % p["id"])
        if not e["categories"] and e["severity"] != "none":
            errors.append("%s: benign with severity" % p["id"])
        if not p["created_at"].startswith(("2026", "2027")):
            errors.append("%s: date out of range" % p["id"])
    if len({r["post"]["id"] for r in out}) != len(out):
        errors.append("duplicate ids")
    if len({r["post"]["text"] for r in out}) != len(out):
        errors.append("duplicate texts")

    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errors.append("profile IBAN fails mod-97: %s" % i)
    for v in VALID_IDS:
        ok = iban_ok(v) if v[:2].isalpha() else (luhn_ok(v) if len(v) > 9 else bsn_ok(v))
        if not ok:
            errors.append("generated id not valid: %s" % v)
    for v in LOOKALIKES:
        ok = iban_ok(v) if v[:2].isalpha() else (luhn_ok(v) if len(v) > 9 else bsn_ok(v))
        if ok:
            errors.append("look-alike passes: %s" % v)
    for h in {c["handle"] for c in CASES}:
        pass
    pub_handles = {(c["platform"], c["handle"]) for c in CASES if role_of(c["platform"], c["handle"]) == "public"}
    for pl, h in pub_handles:
        if "snuitwijzer" in h.lower() and not h.startswith("@snuitwijzer_"):
            pass

    # ---------------- mix ----------------
    n = len(out)
    benign = sum(1 for r in out if not r["expect"]["categories"])
    counts = {}
    for r in out:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    nl = sum(1 for r in out if r["post"]["lang"] == "nl")
    roles = {}
    for r in out:
        ro = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        roles[ro] = roles.get(ro, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d out of 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
               "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
               "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for cat, tgt in targets.items():
        if abs(counts.get(cat, 0) - tgt) > 3:
            errors.append("category %s count %d far from ~%d" % (cat, counts.get(cat, 0), tgt))
    if not 0.48 <= nl / n <= 0.62:
        errors.append("dutch share %.2f" % (nl / n))

    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    print("cases=%d benign=%d nl=%.2f roles=%s" % (n, benign, nl / n, roles))
    print("categories=%s" % json.dumps(counts, sort_keys=True))
    sev = {}
    for r in out:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities=%s" % sev)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
