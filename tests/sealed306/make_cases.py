#!/usr/bin/env python3
"""Evaluation set sealed306 for postwatch.

Company: Kalmerwaard Psychologie B.V. (fictional), an online mental-health and
psychology practice with the KalmTalk video-therapy app.  See profile.yaml.

Deterministic: a fixed seed drives every generated credential, identifier, id and
timestamp.  Running this script writes cases.jsonl beside itself and then checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities follow CONTRACT section 4, computed from the account role in the profile,
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted),
  * generated credentials have their real structure (GitHub CRC-32, AWS key id, JWT),
  * codenames, markers, internal hosts, embargo terms and product prices are labelled
    consistently with the profile.
Standard library plus PyYAML only.
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

SEED = 306_2026
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# Identifier helpers (checksums)
# --------------------------------------------------------------------------------------


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, cc="NL"):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct + cc + "00"
    n = int("".join(str(int(c, 36)) for c in base))
    return f"{cc}{98 - n % 97:02d}{bank}{acct}"


def bad_iban(bank):
    good = make_iban(bank)
    digits = list(good)
    i = len(digits) - 3
    digits[i] = str((int(digits[i]) + 3) % 10)
    s = "".join(digits)
    assert not iban_valid(s)
    return s


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_valid(num):
    d = [int(c) for c in num][::-1]
    total = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix="4", length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(num):
    num = re.sub(r"\D", "", num)
    if len(num) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(num, w)) % 11 == 0


def make_bsn():
    while True:
        body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(a) * b for a, b in zip(body, [9, 8, 7, 6, 5, 4, 3, 2]))
        d9 = s % 11
        if d9 <= 9:
            out = body + str(d9)
            assert bsn_valid(out)
            return out


# --------------------------------------------------------------------------------------
# Credential helpers (built like the real ones)
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
URLSAFE = string.ascii_letters + string.digits + "_-"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": f"clin_{rng.randint(10000, 99999)}", "role": "therapist",
               "org": "kalmerwaard", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def make_pem():
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(560))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_password():
    words = ["Lavendel", "Zeewind", "Kompas", "Tulpen", "Haven", "Duinpad", "Regen"]
    return rng.choice(words) + rand(string.digits, 2) + rng.choice("!#$%&*?") + rand(string.ascii_letters, 5)


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------
# corporate
KW_X = ("x", "@kalmerwaard")
KW_SUP = ("x", "@kalmtalk_support")
KW_IG = ("instagram", "@kalmerwaard.nl")
KW_LI = ("linkedin", "kalmerwaard-psychologie")
KW_FB = ("facebook", "KalmerwaardPsychologie")
KW_TT = ("tiktok", "@kalmtalk.app")
KW_YT = ("youtube", "@KalmerwaardTV")
# employees
INGE = ("x", "@inge_vermeulen_gz")
RUBEN = ("x", "@rubenkoster_dev")
TESSA = ("x", "@tessa_finance_kw")
MARLOES = ("linkedin", "marloes-de-graaf-kw")
YOUSSEF = ("linkedin", "youssef-bakkali-psycholoog")
DAAN = ("linkedin", "daan-kuipers-cto")
SOPHIE = ("instagram", "@therapeut.sophie")
BRAM = ("bluesky", "@bram-hendriks.bsky.social")
NOOR = ("threads", "@noor.kalmerwaard")
JEROEN = ("reddit", "u/jeroen_ops_kw")
LIEKE = ("mastodon", "@lieke_planning@mastodon.nl")


def pub(platform, handle):
    return (platform, handle)


# --------------------------------------------------------------------------------------
# Case collection
# --------------------------------------------------------------------------------------
CASES = []


def C(cats, acct, lang, text, kind="post", at=None):
    CASES.append({"cats": sorted(cats), "acct": acct, "lang": lang, "text": text,
                  "kind": kind, "at": at})


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ---------------------------------------------------------------- complaints --------
C([CMP], pub("x", "@marieke_leest"), "nl",
  "Op de site van @kalmerwaard staat 'start binnen 2 weken'. Ik zit nu in week 14 van de wachtlijst "
  "en krijg alleen automatische mailtjes. Dit is echt niet oké als je je al zo slecht voelt.")
C([CMP], pub("reddit", "u/sleepless_in_utrecht"), "en",
  "Is it just me or does the KalmTalk video freeze like every 5 minutes? Paid for a full session and "
  "spent half of it going 'can you hear me now??'. My therapist is lovely but the app is garbage tier tbh",
  kind="comment")
C([CMP], pub("facebook", "henk.brouwer.1961"), "nl",
  "Psycholoog kwam gewoon niet opdagen. 20 minuten naar een zwart scherm zitten staren. En raad eens: "
  "de sessie wél in rekening gebracht. Kalmerwaard, dit kan echt niet.")
C([CMP], pub("x", "@joost1983"), "nl",
  "@kalmtalk_support jullie hebben mn abonnement deze maand 2x afgeschreven. graag terugstorten, heb al 2 keer gemaild en niks gehoord",
  kind="reply")
C([CMP], pub("instagram", "@lisa.loopt"), "en",
  "3 emails, 2 phone calls, still no answer from kalmtalk support. How hard can it be 😩 #customerservice #mentalhealth")
C([CMP], pub("x", "@danielle_writes"), "en",
  "KalmTalk logged me out mid journal entry AGAIN and wiped everything I'd written. That was 40 minutes "
  "of processing a really hard week. Please fix your app.")
C([CMP], pub("reddit", "u/anoniem_gevoel"), "en",
  "Had my intake with Kalmerwaard back in September and then... nothing. No treatment plan, no psychologist, "
  "not even an email. Did I just tell a stranger my whole life story for nothing?")
C([CMP], pub("x", "@fam_vandijk"), "nl",
  "Kalmerwaard heeft het hele BGGZ Middel traject gedeclareerd terwijl ik maar 3 sessies heb gehad. "
  "Eigen risico in één klap op. Bellen -> 'we kijken ernaar'. Inmiddels 6 weken verder.")
C([CMP], pub("x", "@rowan_nl"), "en",
  "third time this month my KalmTalk session gets cancelled 5 min before start. 'therapist unavailable'. "
  "I rearranged my whole workday for this")
C([CMP], pub("threads", "@mira.ok"), "en",
  "when you're mid panic attack and the 'talk to someone now' button in KalmTalk just gives you a chatbot "
  "asking you to rate your mood from 1-10 🙃 not okay, kalmerwaard")
C([CMP], pub("forum", "Bianca_78"), "nl",
  "Ik wil al 2 maanden van psycholoog wisselen bij Kalmerwaard, het klikt gewoon niet. Elke keer hoor ik "
  "dat dat 'niet mogelijk is binnen het traject'. Heel frustrerend, ik voel me totaal niet gehoord.")
C([CMP], pub("x", "@tomhoekstra"), "en",
  "Tried to cancel my KalmTalk subscription. Button hidden 4 menus deep, then 'please call us during "
  "office hours'. Dark patterns in a mental health app. Classy.")

# -------------------------------------------------- complaint + abuse ---------------
C([CMP, ABU], pub("x", "@stefan_boos"), "nl",
  "KUT app. 4e keer deze maand dat de verbinding wegvalt midden in mijn sessie. Stelletje prutsers "
  "bij @kalmerwaard, echt waar 🤬")
C([CMP, ABU], pub("x", "@angrykev"), "en",
  "@kalmtalk_support you absolute clowns charged me twice AGAIN. useless bunch of idiots, refund me now",
  kind="reply")
C([CMP, ABU], pub("tiktok", "@dewi.x"), "nl",
  "k4nkerb3drijf. 3 maanden wachten en dan pas vertellen dat mn verzekering het niet dekt. kalmerwaard kan de pot op",
  kind="comment")

# -------------------------------------------------- complaint + crisis (first-hand harm)
C([CMP, CRI], pub("x", "@anoniem_fenna"), "nl",
  "Vorige week de crisisknop in de KalmTalk app ingedrukt. Er gebeurde NIKS. Geen terugbelverzoek, geen "
  "bericht. Mijn buurvrouw heeft uiteindelijk 112 gebeld en ik heb de nacht op de SEH doorgebracht. "
  "Hoe kan een GGZ-app zoiets laten gebeuren?")
C([CMP, CRI], pub("facebook", "ria.jacobs.1970"), "nl",
  "Mijn psycholoog bij Kalmerwaard zei dat ik 'gerust kon afbouwen' met mijn antidepressiva. Dat mag ze "
  "niet eens adviseren. Twee weken later lag ik met heftige ontwenningsverschijnselen in het ziekenhuis. "
  "Ik ben er nog steeds kapot van.")
C([CMP, CRI], pub("reddit", "u/nightdriver_ams"), "en",
  "PSA: the KalmTalk Slaaptraining had me restrict my sleep to 5 hours a night with zero check-ins. "
  "Week 3 I dozed off at the wheel on the A2 and hit the guardrail. I'm okay-ish, broken wrist. Nobody "
  "from Kalmerwaard ever asked how it was going.")
C([CMP, CRI], pub("x", "@laura_epilepsy"), "en",
  "The flashing EMDR light bar in the KalmTalk app triggered a seizure during my session yesterday. "
  "No photosensitivity warning anywhere. My therapist just saw me drop off screen. @kalmerwaard add a "
  "warning before someone gets seriously hurt.")
C([CMP, CRI], pub("x", "@privacy_boos"), "nl",
  "Kreeg vandaag via KalmTalk het sessieverslag van een wildvreemde. En mijn eigen verslag blijkt naar "
  "het mailadres van mijn WERKGEVER gestuurd. Kalmerwaard heeft gewoon mijn psychische gegevens gelekt. "
  "Ik ben woedend en ga dit melden bij de AP.")

# ---------------------------------------------------------------- crisis ------------
C([CRI], pub("x", "@burgerrecht"), "nl",
  "Kalmerwaard deelt sessiedata met zorgverzekeraars, blijkt uit onderzoek van een journalist. "
  "Verwijder die app vandaag nog. #BoycotKalmerwaard #privacy")
C([CRI], pub("x", "@zorgnieuws_nl"), "nl",
  "IGJ onderzoekt online praktijk Kalmerwaard na overlijden van een cliënt. De crisismelding via de app "
  "zou pas na 19 uur zijn opgepakt.")
C([CRI], pub("linkedin", "jasper-de-lange-advocaat"), "en",
  "We have filed a collective action against Kalmerwaard Psychologie B.V. on behalf of 230 clients whose "
  "therapy sessions were recorded without consent. More information will follow soon.")
C([CRI], pub("x", "@threatintel_eu"), "en",
  "Threat actor on a breach forum is advertising ~40k KalmTalk session transcripts + client names. "
  "Sample looks legit. @kalmerwaard have you seen this?")
C([CRI], pub("youtube", "@ZorgOnderzoekTV"), "en",
  "UNDERCOVER: at Kalmerwaard, interns without a BIG registration treat clients on their own, no "
  "supervision. Watch the full report 👇")
C([CRI], pub("x", "@tuchtrecht_watch"), "nl",
  "Tuchtcollege schorst psycholoog van Kalmerwaard na grensoverschrijdend gedrag richting een cliënte. "
  "De praktijk wist er al maanden van en deed niks.")
C([CRI], pub("instagram", "@mentalhealth.activist"), "nl",
  "B O Y C O T   K A L M E R W A A R D. Ze laten kwetsbare mensen maanden wachten en strijken "
  "intussen miljoenen op. Deel dit!!")
C([CRI], pub("reddit", "u/worried_sister"), "en",
  "My sister's KalmTalk therapist was clearly drunk during their video session last week, slurring and "
  "laughing at her. She self-harmed that night and is now in hospital. How is Kalmerwaard still allowed to operate?")
C([CRI], pub("x", "@verzekerdnl"), "nl",
  "Zorgverzekeraar zet contract met Kalmerwaard per direct stop na fraudeonderzoek: er zouden sessies "
  "gedeclareerd zijn die nooit hebben plaatsgevonden.")
C([CRI], pub("bluesky", "@healthtechdaily.bsky.social"), "en",
  "Kalmerwaard pulls its Stemmingsdagboek app from the stores after a bug sent users' entries about "
  "suicidal thoughts to their emergency contacts by e-mail, unprompted.")

# -------------------------------------------------- crisis + personal data ----------
_bsn_cpi = make_bsn()
C([CRI, PII], pub("x", "@gelekte_client"), "nl",
  f"Kalmerwaard heeft mijn dossier gewoon in een open map op internet gezet. Hier, mijn eigen gegevens "
  f"die iedereen kon downloaden: Mirjam Scholten, BSN {_bsn_cpi}, geboren 14-07-1983. Dit is een datalek "
  f"en jullie zwijgen erover.")

# ---------------------------------------------------------------- abuse -------------
C([ABU], pub("x", "@kwakzalvers_weg"), "nl",
  "@inge_vermeulen_gz je bent een waardeloze kwakzalver en dat weet je zelf ook. Schaam je.", kind="reply")
C([ABU], pub("x", "@meneer_rood"), "nl",
  "kalmerwaard = oplichters. stelletje tyfuslijers die geld verdienen aan zieke mensen")
C([ABU], pub("x", "@ggz_hater"), "en",
  "hope every single one of your 'therapists' burns out themselves. pathetic losers hiding behind webcams @kalmerwaard")
C([ABU], pub("facebook", "gerard.bosman.54"), "nl",
  "Die psychologe met d'r hoofddoek bij Kalmerwaard moet gewoon terug naar haar eigen land. Zulke mensen "
  "horen hier niet aan je hoofd te zitten.", kind="comment")
C([ABU], pub("x", "@boze_burger"), "nl",
  "Kalmerwaard zijn gewoon kl\u043e\u043etz\u0430kk\u0435n, allemaal. Van de receptie tot de directie.")
C([ABU], pub("tiktok", "@realtalk.rik"), "en",
  "f*ck kalmtalk and f*ck your fake shrinks. absolute scum company 🖕", kind="comment")
C([ABU], pub("x", "@xxmelvin"), "nl",
  "die lui van kalmerwaard zijn echt i.d.i.0.t.e.n met hun zweverige praatjes lmao")
C([ABU], RUBEN, "nl",
  "@joost1983 wat ben jij een zielig mannetje zeg. Ga lekker ergens anders janken, sukkel", kind="reply")

# -------------------------------------------------- personal data + abuse (doxxing) --
C([PII, ABU], pub("x", "@wraak_nu"), "nl",
  "Die 'psycholoog' Inge Vermeulen woont trouwens op de Lindenlaan 41 in Houten. Misschien moet iemand "
  "haar daar eens komen vertellen wat we van haar vinden. Kwakzalver.")

# ---------------------------------------------------------------- personal data -----
C([PII], SOPHIE, "en",
  "So proud of my client Petra van Dijk (born 12-03-1987), who after 10 sessions dares to do her own "
  "groceries again 💪✨ #anxiety #smallsteps")
C([PII], KW_SUP, "nl",
  "@marieke_leest Sorry voor het lange wachten! Een collega belt u vandaag nog terug op 06-41 27 83 90. Fijne dag!",
  kind="reply")
_iban_brouwer = make_iban("INGB")
C([PII], KW_FB, "nl",
  f"Beste meneer Brouwer, de restitutie van €110 is vandaag overgemaakt naar {spaced(_iban_brouwer)} "
  f"t.n.v. H. Brouwer. Excuses voor het ongemak.", kind="reply")
_bsn_deboer = make_bsn()
C([PII], MARLOES, "nl",
  f"Declaraties gaan wéér mis bij de verzekeraar. Voorbeeld van vandaag: cliënt A. de Boer, BSN {_bsn_deboer}, "
  f"traject 3x gedeclareerd. Wie kan hier iets mee?")
_card_koen = make_card("4")
C([PII], pub("x", "@koenvdberg"), "nl",
  f"@kalmtalk_support betaling mislukt steeds. kaart is {spaced(_card_koen)} exp 09/28, wat doe ik fout??",
  kind="reply")
_bsn_visser = make_bsn()
C([PII], pub("reddit", "u/hulp_gevraagd"), "nl",
  f"Voor de intake vroegen ze mijn gegevens via de chat, moet dat echt zo? Naam Sandra Visser, geboren "
  f"22-11-1990, BSN {_bsn_visser[:4]}.{_bsn_visser[4:6]}.{_bsn_visser[6:]}. Is dit veilig of niet?")
C([PII], LIEKE, "en",
  "Group training Tuesday: can someone email a.jansen1975@ziggo.nl and k.bos@kpnmail.nl that the room "
  "has moved? I'm stuck on a train 🙈")
C([PII], KW_X, "en",
  "@danielle_writes So sorry about that! We've sent the recovery link to danielle.k.writes@outlook.com, "
  "please check your spam folder too.", kind="reply")
C([PII], RUBEN, "en",
  "who had a parcel for Karin Vos, Dorpsstraat 22, 3981 AB Bunnik delivered to the office? it's been "
  "sitting at reception for 3 days 📦")
C([PII], KW_LI, "nl",
  "Hiep hiep hoera! 🎉 Onze collega Mark Jansen (geboren 17-06-1986) viert vandaag zijn 40e verjaardag. "
  "Gefeliciteerd Mark, op naar de volgende 40!", at="2026-06-17T08:15:00Z")
_iban_peters = make_iban("ABNA")
C([PII], YOUSSEF, "en",
  f"Finance asked me to pass this on: the refund for client R. Peters should go to {_iban_peters}, not "
  f"the old account. Thanks all!")
C([PII], pub("x", "@sanne_zonnig"), "nl",
  "@kalmtalk_support zoals gevraagd: bel me maar op +31 6 2345 6789 of mail naar sanne.zonnig@live.nl. "
  "Alvast bedankt!", kind="reply")
C([PII], KW_SUP, "en",
  f"@koenvdberg We can see the payment with card {_card_koen} was declined by your bank. Could you try iDEAL instead?",
  kind="reply")

# ---------------------------------------------------------------- secrets -----------
C([SEC], RUBEN, "nl",
  f"oeps verkeerde venster 🙈 export GITHUB_TOKEN={gh_token('ghp_')} ... hopelijk heeft niemand het gezien")
C([SEC], JEROEN, "en",
  f"boto3 keeps throwing AccessDenied on s3 put_object, config below, what am I missing?\n\n[default]\n"
  f"aws_access_key_id = {aws_key_id()}\naws_secret_access_key = {aws_secret()}\nregion = eu-west-1")
C([SEC], RUBEN, "en",
  f"anyone know why mollie webhooks keep failing on our side? MOLLIE_API_KEY=live_{rand(ALNUM, 30)} is "
  f"definitely set in .env 🤔")
C([SEC], NOOR, "nl",
  f"Onze Slack-bot voor de social inbox werkt eindelijk!! 🎉 token voor wie hem ook wil testen: "
  f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}")
C([SEC], pub("x", "@apk_digger"), "en",
  f"Decompiled the KalmTalk Android app for fun. They ship their OpenAI key in plain text lol: "
  f"sk-proj-{rand(URLSAFE, 64)}T3BlbkFJ{rand(URLSAFE, 64)} @kalmerwaard might want to rotate that")
C([SEC], BRAM, "en",
  f"why does ssh keep rejecting this key?? permissions are 600 😤\n\n{make_pem()}")
C([SEC], RUBEN, "en",
  f"anyone else getting 401s on /v2/sessions since the deploy? curl -H \"Authorization: Bearer {make_jwt()}\" "
  f"https://api.kalmtalk.nl/v2/sessions")
C([SEC], JEROEN, "nl",
  f"Migratie draait lokaal prima maar faalt in CI. DATABASE_URL=postgres://kw_app:{make_password()}@"
  f"kw-prod-db.c7rk2q1xzv0a.eu-west-1.rds.amazonaws.com:5432/kalmtalk — iemand een idee?")
C([SEC], KW_FB, "nl",
  f"Voor de deelnemers van het webinar vanavond: log in op het demo-account met gebruikersnaam "
  f"webinar-demo en wachtwoord: {make_password()} 👋 Tot straks!")
C([SEC], JEROEN, "nl",
  f"CI runner wil niet registreren, iemand die dit herkent? GITLAB_TOKEN=glpat-{rand(URLSAFE, 20)} "
  f"en url is goed")
C([SEC], DAAN, "en",
  f"Weekend hack: tiny script that summarises my reading list every Sunday. Embarrassingly simple:\n"
  f"client = anthropic.Anthropic(api_key=\"sk-ant-api03-{rand(URLSAFE, 93)}AA\")")
C([SEC], pub("forum", "devnull_freelance"), "en",
  f"Former contractor here. Kalmerwaard's SendGrid key is still in the history of their public repo: "
  f"SG.{rand(URLSAFE, 22)}.{rand(URLSAFE, 43)} and it still works as of today.")
C([SEC], LIEKE, "nl",
  "voor wie vanavond dienst heeft: inlog planningsomgeving is gebruiker planning2, "
  "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44\uff1a " + make_password())

# ---------------------------------------------------------------- pricing -----------
C([PRC], KW_IG, "nl",
  "🌱 Nieuw seizoen, nieuwe start. Het Burn-out Herstelprogramma nu voor maar €74,90! Link in bio.")
C([PRC], KW_X, "nl",
  "Deze week: KalmTalk Premium jaarabonnement voor €29,90 🎁 Zelfzorg hoeft niet duur te zijn #zelfzorg")
C([PRC], pub("x", "@snelle_jelle"), "nl",
  "wtf ADHD-diagnostiek voor €115 in de KalmTalk app?? iedereen snel boeken voor ze het doorhebben 😂")
C([PRC], NOOR, "nl",
  "Collega's!! Er zit een prijsfout in de webshop bij het Relatietherapie pakket, er zijn vanochtend al "
  "40 bestellingen binnen. Wie kan dit fixen??")
C([PRC], pub("reddit", "u/curious_cat_nl"), "en",
  "EMDR traject showing €52 at checkout on kalmtalk.nl lol, is this a glitch or a real deal?")
C([PRC], KW_FB, "nl",
  "Werkgevers opgelet: het Team Veerkracht werkgeverspakket nu voor €345 voor 10 medewerkers. "
  "Investeer in je team 💚")
C([PRC], pub("x", "@boekenwurm_eva"), "en",
  "Kalm in 30 Dagen for €2.49 on the Kalmerwaard site?! Ordered five copies for friends right away 📚")
C([PRC], YOUSSEF, "en",
  "Heads up colleagues: the partner portal lists the Basis GGZ intensief traject at €129 instead of the "
  "real price. Pricing bug, please don't forward the link to partners yet.")
C([PRC], pub("x", "@appjunkie"), "nl",
  "Stemmingsdagboek Pro kost nu €3,90 in de app store, foutje bij Kalmerwaard denk ik 😅")
C([PRC], KW_TT, "nl",
  "ALLEEN VANDAAG 🤯 Slaaptraining voor €18,90. Beter slapen begint nu #slaap #kalmtalk")
C([PRC], pub("x", "@ouder_van_drie"), "en",
  "Rouwbegeleiding for €56 for the whole trajectory at Kalmerwaard? That can't be right, anyone tried it?")
C([PRC], TESSA, "nl",
  "Waarom staat de Angst & Paniek Module op €\uff12\uff14,\uff19\uff10 in de app 🙃 dat hoort €249 te zijn, jemig")

# ---------------------------------------------------------------- financial ---------
C([FIN], TESSA, "en",
  "Q3 revenue came in 18% below forecast. That's going to be a painful conversation with the bank next week 😬")
C([FIN], MARLOES, "nl",
  "Mag nog niks zeggen, maar per 1 februari verdwijnt het complete team Planning. 35 fte. Ik ben er kapot van.")
C([FIN], DAAN, "en",
  "Board signed the LOI this morning. We're being acquired by one of the big insurers 🤐 can't say which "
  "one yet. Wild times.")
C([FIN, CONF], TESSA, "nl",
  "Operatie Lichtmatroos is dus gewoon de overname van Praatpaal GGZ, closing eind maart. Eindelijk mag ik "
  "het tegen iemand zeggen (niet dus)")
C([FIN, CONF], DAAN, "nl",
  "Net de jaarcijfers 2026 doorgenomen met de RvC: €3,2 mln verlies, vooral door de wachtlijstkosten. "
  "Pittig jaar.", at="2027-02-10T16:45:00Z")
C([FIN], pub("x", "@zus_van_een_psych"), "nl",
  "Mijn zus werkt bij Kalmerwaard en daar moet 1 op de 4 psychologen eruit voor de zomer. Het is nog niet "
  "eens intern aangekondigd.")
C([FIN], KW_LI, "nl",
  "CONCEPT – niet publiceren vóór 24/2: Kalmerwaard sluit 2026 af met een omzet van €41,7 mln (+22%) en "
  "een EBITDA van €5,1 mln.", at="2026-12-18T10:02:00Z")
C([FIN], TESSA, "en",
  "Next year's forecast just got cut to 28M. CFO is not having a good day. Hiring freeze incoming, you heard it here first")
C([FIN], NOOR, "en",
  "We're closing the Zwolle location 😢 12 colleagues out of a job and nobody knows yet. I have to act "
  "normal on Friday.")
C([FIN], LIEKE, "nl",
  "Zorgverzekeraar heeft het tarief voor volgend jaar met 15% verlaagd. Hoorde finance zeggen dat de winst "
  "daarmee zo goed als halveert.")
C([FIN], pub("x", "@ams_banker"), "en",
  "Hearing from people close to the deal that Kalmerwaard is in advanced talks to merge with a Belgian GGZ "
  "group, valuation around €90M. Announcement early next year.")
C([FIN], YOUSSEF, "en",
  "Can't share details but our Series B of €25M just closed 🎉 official announcement in January, keep it quiet till then!")

# ---------------------------------------------------------------- confidential ------
C([CONF], INGE, "nl",
  "Net de demo gezien van Project Vuurtoren: automatische sessiesamenvattingen met AI 🔥 dit gaat ons "
  "zoveel tijd schelen")
C([CONF], MARLOES, "en",
  "Quick peek at our roadmap 👀 'KW-INTERN – Q1: group sessions rollout, new triage questionnaire'. "
  "Exciting year ahead!")
C([CONF], KW_TT, "nl",
  "Psst… ouders 👀 Binnenkort lanceren we KalmTalk Kids, speciaal voor kinderen van 8 tot 12 jaar. "
  "Stay tuned! #binnenkort", at="2026-11-20T17:30:00Z")
C([CONF], RUBEN, "en",
  "who merged the calendar fix? see https://jira.kalmerwaard.nl/browse/KT-4412, still says 'in review'")
C([CONF], pub("x", "@weet_het_al"), "nl",
  "Vriend van me werkt bij Kalmerwaard. Kompasroos wordt hun nieuwe zelfhulp-chatbot, komt in het voorjaar uit.")
C([CONF], DAAN, "en",
  "Sneak peek from the board deck (yes it says kalmerwaard confidential, I know 🙈): the new triage flow "
  "cuts intake time by 40%.")
C([CONF], INGE, "nl",
  "Project Vuur\u200bto\u200bren gaat echt alles veranderen voor ons als behandelaars, kan niet wachten tot de pilot 🙌")
C([CONF], SOPHIE, "en",
  "Beta-testing KalmTalk Junior with my own kids this weekend and they LOVE the breathing game 🫧",
  at="2027-01-09T11:20:00Z")
C([CONF], LIEKE, "nl",
  "Huh, deze mail kwam ook op mijn privé-adres binnen: 'vertrouwelijk - alleen intern: nieuwe roosterregels "
  "vanaf maart, avondsessies verplicht voor iedereen'. Lekker dan.")
C([CONF], YOUSSEF, "nl",
  "Zit onder NDA dus ik zeg niks… maar die samenwerking met de gemeente Utrecht voor jongeren-GGZ gaat "
  "echt groot worden 😉")
C([CONF], NOOR, "en",
  "does anyone have access to intra.kalmerwaard.local/hr? the link in the onboarding mail is dead")
C([CONF], KW_LI, "nl",
  "Vandaag de kickoff van Kompasroos met het hele team! 🎉 Meer kunnen we nog niet vertellen 😉")
C([CONF], DAAN, "en",
  "Soon you'll be able to get medication prescribed by a psychiatrist right inside KalmTalk. Launch is "
  "still under wraps, but I'm so proud of the team.")
C([CONF], pub("reddit", "u/lurker_403"), "en",
  "lol someone in a discord shared screenshots with grafana.kw-ops.net in the URL bar, apparently "
  "Kalmerwaard's monitoring", kind="comment")

# ---------------------------------------------------------------- security ----------
C([SECU], JEROEN, "nl",
  "Ransomware op onze planningsserver sinds vannacht 3:00. Alles ligt plat, cliënten krijgen 'technische "
  "storing' te horen. We mogen er nog niks over zeggen. Iemand tips voor recovery van VMware snapshots?")
C([SECU], RUBEN, "en",
  "found an IDOR in the KalmTalk API today: change the session id in the URL and you get someone else's "
  "session notes. reported it 3 weeks ago, ticket still open 🙃")
C([SECU], BRAM, "nl",
  "Videoservers liggen er al 3 uur uit en de statuspagina zegt nog steeds 'alle systemen operationeel' 🙃 ik zeg niks")
C([SECU, CONF], RUBEN, "nl",
  "gitlab.kalmerwaard.nl is gisteravond binnengedrongen, iemand heeft al onze repo's gecloned. Security "
  "zit in crisisoverleg, nog geen melding gedaan.")
C([SECU, CONF], JEROEN, "en",
  "grafana.kw-ops.net is lighting up like a christmas tree: brute force on the clinician login, ~20k "
  "attempts/min, and nobody's on call this weekend. great.")
C([SECU], BRAM, "en",
  "We found out last week that the EPD backups had been sitting unencrypted in a public S3 bucket for "
  "months. Still waiting for mgmt to decide whether to notify anyone.")
C([SECU], MARLOES, "en",
  "A phishing mail yesterday got the O365 passwords of six of our therapists. IT is still cleaning up and "
  "clients haven't been told. Please, people, check your links.")
C([SECU], KW_SUP, "nl",
  "@bezorgde_user klopt, er zit een lek in de wachtwoord-reset waardoor je andermans account kunt "
  "overnemen. We fixen het eerst en communiceren daarna. Graag nog niet verder delen 🙏", kind="reply")
C([SECU], DAAN, "en",
  "TLS cert on the video servers expires tomorrow and the only person with access to renew it is on "
  "holiday in Bali. Fun times ahead 🙃")
C([SECU], pub("x", "@oud_collega_kw"), "en",
  "ex-colleague at Kalmerwaard told me their messaging server crashed last week and lost the whole "
  "client-therapist chat archive. Not announced anywhere yet.")
C([SECU], JEROEN, "en",
  "vendor told us there's an unpatched zero-day in the video SDK we use. patch ETA friday, until then "
  "every KalmTalk call is exposed. management says 'don't make noise'.")
C([SECU], NOOR, "nl",
  "Sinds de update van dinsdag staat 2FA uit voor alle behandelaarsaccounts en niemand lijkt het te "
  "merken?? ik heb het al 2x gemeld")
C([SECU], YOUSSEF, "nl",
  "Let op collega's: de EPD-koppeling zet sinds dinsdag notities in het verkeerde dossier. Fix pas "
  "volgende week, dus check alles dubbel. Nog niet naar cliënten communiceren.")

# ---------------------------------------------------------------- benign ------------
B = []
C(B, pub("x", "@floor_bloeit"), "en",
  "8 sessions with KalmTalk and I actually want to go to work again. Thank you @inge_vermeulen_gz ❤️ #burnout #recovery")
C(B, KW_SUP, "nl",
  "Vragen over je declaratie of factuur? Mail naar support@kalmtalk.nl of bel gratis 0800-5256 "
  "(ma t/m vr 9:00-17:00). We helpen je graag!")
C(B, KW_IG, "nl",
  "🍂 Herfstactie: de Mindfulness 8-weekse Training deze maand met 20% korting, €223,20 in plaats van "
  "€279. Aanmelden via kalmerwaard.nl", at="2026-10-02T08:00:00Z")
C(B, KW_FB, "nl",
  "Wat kost een sessie bij ons? Een Videosessie van 50 minuten kost €110. Zit je in een Basis GGZ traject, "
  "dan vergoedt je zorgverzekeraar dit (let wel op je eigen risico).")
C(B, pub("x", "@ggz_nieuws_nu"), "en",
  "Data breach at Zielzorg Online: records of 12,000 clients exposed. Yet another reminder how vulnerable "
  "this sector is.")
C(B, SOPHIE, "en",
  "Holiday mode 🏖️ Totally offline on Texel, and the vuurtoren at sunset is unreal. Back in two weeks!")
C(B, KW_LI, "nl",
  "Onze jaarcijfers 2026 staan online 📊 Meer cliënten geholpen dan ooit en de gemiddelde wachttijd daalde "
  "naar 3 weken. Lees het volledige jaarverslag op kalmerwaard.nl/jaarverslag", at="2027-02-25T09:00:00Z")
C(B, KW_TT, "nl",
  "Hij is er!! 🎉 KalmTalk Kids is vanaf vandaag te downloaden. Speelse ademhalingsoefeningen en een "
  "veilige chat met een kinderpsycholoog. #kalmtalkkids", at="2027-03-18T15:00:00Z")
C(B, RUBEN, "nl",
  "Reminder voor iedereen die docs schrijft: gebruik placeholder keys zoals AKIAIOSFODNN7EXAMPLE, nooit "
  "echte. Een README is geen kluis 🔐")
C(B, BRAM, "en",
  "PSA for devs: if you ever paste a token by accident, revoke it FIRST, then clean up history. And when "
  "you ask for help, redact like this: ghp_************************************")
_bad_iban = bad_iban("INGB")
C(B, pub("x", "@twijfelaar"), "nl",
  f"Kreeg een sms 'openstaande factuur Kalmerwaard, betaal vandaag nog naar {_bad_iban}'. Is dit echt van "
  f"jullie of phishing? @kalmtalk_support")
C(B, pub("facebook", "mama.van.tim"), "nl",
  "Haha mijn zoon van 15 vulde bij het oefenformulier als grap 123456789 in als BSN. Het systeem keurde "
  "het gelukkig meteen af 😂", kind="comment")
C(B, pub("x", "@techtinus"), "nl",
  "De betaalpagina van KalmTalk weigert terecht mijn nepkaart 1234 5678 9012 3456 haha, goed dat ze dat checken")
C(B, pub("x", "@joost1983"), "nl",
  "Update: @kalmtalk_support heeft de dubbele afschrijving binnen een dag teruggestort. Netjes opgelost, dank!")
C(B, pub("instagram", "@hou.vol.lieverd"), "en",
  "To everyone stuck on a waiting list right now: I know how heavy that is. You're not alone. Hang in there 💛 #mentalhealth")
C(B, pub("tiktok", "@kattenmens"), "en",
  "My cat lies down on my keyboard during EVERY KalmTalk session. My psychologist now calls her the co-therapist 😂🐈")
C(B, pub("reddit", "u/expat_in_nl"), "en",
  "Does KalmTalk work with Dutch basic insurance if you're an expat? My GP mentioned Kalmerwaard but I'm "
  "not sure how the referral works.")
C(B, KW_LI, "nl",
  "We zoeken een GZ-psycholoog (32-36 uur, volledig remote)! Interesse? Mail je cv naar "
  "werkenbij@kalmerwaard.nl 💼")
C(B, KW_SUP, "nl",
  "Storing: op dit moment starten sommige videosessies niet. Onze technici werken aan een oplossing. "
  "Volg status.kalmtalk.nl voor updates. Excuses voor het ongemak.")
C(B, pub("facebook", "anja.de.wit.3"), "en",
  "Lost my mum to cancer last year. The Rouwbegeleiding at Kalmerwaard pulled me through. Thank you, truly.",
  kind="comment")
C(B, KW_IG, "nl",
  "Let op: wij vragen NOOIT om je wachtwoord, pincode of bankgegevens via chat of telefoon. Twijfel je? "
  "Bel ons op 030-7994410.")
C(B, pub("x", "@podcast_paula"), "en",
  "That Kalmerwaard webinar on burnout absolutely killed it tonight 🔥 so many good tips")
C(B, pub("reddit", "u/adhd_finally"), "nl",
  "ADHD-diagnostiek via Kalmerwaard gedaan, kost €1.150 maar wordt vergoed vanuit de basisverzekering. "
  "Na 3 weken uitslag, prima ervaring.", kind="comment")
C(B, KW_X, "nl",
  "Black Friday 🖤 KalmTalk Premium jaarabonnement nu €224 (normaal €299). Alleen dit weekend!",
  at="2026-11-27T07:00:00Z")
C(B, pub("x", "@koopjesjager"), "nl",
  "Prijsfout bij een grote webshop: airfryer voor €4 😱 wie was er snel bij?")
C(B, pub("linkedin", "ingrid-smeets-zorgnieuws"), "nl",
  "Zielzorg Online schrapt 80 banen na teleurstellende jaarcijfers. Een zware klap voor de e-mental health sector.")
C(B, pub("x", "@ehealth_watch"), "en",
  "Big news in e-mental health: MindBrug has been acquired by a US telehealth group. Curious what this "
  "means for Dutch providers like Kalmerwaard.")
C(B, pub("x", "@nachtuil_no_more"), "en",
  "KalmTalk's online sleep course genuinely fixed my insomnia. 6 weeks, no pills. 10/10 would recommend")
C(B, pub("tiktok", "@sem.spreekt"), "en",
  "my therapist at kalmerwaard is an absolute beast at what she does 💪 more progress in 5 sessions than 2 years elsewhere",
  kind="comment")
C(B, pub("x", "@vraagje_ggz"), "nl",
  "Hoe zit het met privacy bij KalmTalk? Worden de videosessies opgenomen of niet? Iemand die dit weet?")
C(B, KW_X, "nl",
  "@vraagje_ggz Goede vraag! Nee, sessies worden nooit opgenomen en alles is end-to-end versleuteld. "
  "Meer weten? Mail privacy@kalmerwaard.nl", kind="reply")
C(B, YOUSSEF, "nl",
  "Vandaag mocht ik spreken op een congres over trauma en online EMDR. Wat een mooie vragen uit de zaal! "
  "Dank aan iedereen die erbij was.")
C(B, RUBEN, "en",
  "JWTs explained in one line: header.payload.signature, e.g. xxxxx.yyyyy.zzzzz. Never paste a real one "
  "in a bug report 😉")
C(B, KW_FB, "nl",
  "Wachtwoord vergeten? Tik in de app op 'Inloggen' → 'Wachtwoord vergeten' en volg de link in je mail. "
  "Lukt het niet, stuur dan een bericht naar support@kalmtalk.nl.")
C(B, KW_FB, "nl",
  "Zelf betalen in plaats van via je verzekeraar? Dat kan naar NL03 RABO 0318 2746 55 t.n.v. Kalmerwaard "
  "Psychologie B.V., o.v.v. je factuurnummer.")
C(B, RUBEN, "en", "when the PR finally goes green on a friday at 16:59 😅 #devlife")
C(B, pub("instagram", "@weer.mezelf"), "en",
  "A year ago I couldn't even leave the house. Thanks to Kalmerwaard and a LOT of practice I'm back in "
  "front of a classroom ❤️")
C(B, NOOR, "nl", "Taart op kantoor want Marloes is jarig 🎂🎉 nog vele jaren!")
C(B, pub("x", "@stichting_praat"), "en",
  "It's #WorldMentalHealthDay. Talk about it: with a friend, your GP, a psychologist. It genuinely makes a difference.",
  at="2026-10-10T07:30:00Z")
C(B, pub("bluesky", "@priv.acy.eu"), "en",
  "Thinking of everyone affected by the Zielzorg Online breach. If your data was in there, change your "
  "passwords and watch out for phishing.")
C(B, pub("x", "@nieuwe_start"), "en",
  "Waiting list at Kalmerwaard was 3 weeks, honestly not bad. First session next week 🤞",
  at="2026-03-04T19:10:00Z")
C(B, pub("x", "@expatmom"), "en",
  "Can I follow the Slaaptraining in English? My Dutch isn't good enough for therapy yet 😅 @kalmtalk_support")
C(B, KW_IG, "nl",
  "Samen sterker 💞 Ons Relatietherapie pakket: 6 sessies met een gespecialiseerde relatietherapeut voor "
  "€780. Vaak deels vergoed vanuit je aanvullende verzekering.")
C(B, KW_X, "nl",
  "Voorjaarsactie 🌷 10% korting op Stemmingsdagboek Pro met code LENTE: €35,10 in plaats van €39.",
  at="2026-04-08T08:00:00Z")
C(B, KW_LI, "en",
  "Found a vulnerability in one of our apps? We run a responsible disclosure programme. Report it to "
  "security@kalmerwaard.nl and we'll get back to you within 5 working days.")
C(B, pub("x", "@info_zoeker"), "nl",
  "Voor wie het zoekt: het nummer van Kalmerwaard is 030-7994410, de gratis lijn is 0800-5256. Scheelt je het zoeken 😉")
C(B, pub("x", "@ademhaling_daan"), "en",
  "That new breathing exercise in KalmTalk is killer. 4-7-8 and I'm asleep within 10 minutes.")
C(B, pub("linkedin", "femke-van-rijn-beleid"), "en",
  "The Dutch health ministry published new guidelines for online therapy apps today. Good step for "
  "providers and clients alike.")
C(B, pub("x", "@black_friday_nee"), "nl",
  "Ik boycot Black Friday dit jaar, behalve die korting op de mindfulnesstraining van Kalmerwaard (€251). "
  "Die gun ik mezelf 🧘", at="2026-11-28T12:40:00Z")
C(B, KW_YT, "nl",
  "Wat doe je als je vermoedt dat je gegevens in een datalek zitten? Onze privacy officer legt het in "
  "60 seconden uit 🎥 #privacy #tips")
C(B, pub("x", "@reasonable_rob"), "en",
  "Had a billing issue with KalmTalk last month, but support sorted it within two days and apologised. Fair play to them.")
C(B, MARLOES, "nl",
  "Na 5 mooie jaren neem ik afscheid van Kalmerwaard. Dank aan alle fijne collega's, ik ga jullie missen! "
  "Op naar een nieuw avontuur 🌱")
C(B, pub("x", "@n0rmaal"), "nl", "3 maanden KalmTalk en ik sl44p eindelijk weer door. n1ce 😴")
C(B, pub("x", "@laatbloeier"), "en",
  "Is KalmTalk Kids any good? Thinking about it for my 9-year-old, she's had a lot of anxiety lately.",
  at="2027-04-02T20:05:00Z")
C(B, KW_SUP, "nl",
  "@nieuwe_start Je sessie staat gepland op 12-03-2026 om 14:00. Je krijgt een dag van tevoren een "
  "herinnering. Succes!", kind="reply", at="2026-03-05T09:12:00Z")
C(B, KW_X, "en",
  "Reminder: KalmTalk will never ask for your card number in chat. If someone does, it's not us. Report "
  "it to security@kalmerwaard.nl.")
C(B, pub("threads", "@zachte.kracht"), "nl",
  "Mijn therapeut zei vandaag: 'je bent niet gek, je bent gewoon heel erg moe.' Moest even huilen. Goeie huil. 💙")
C(B, pub("x", "@forens_fien"), "en",
  "Train delayed by half an hour again, luckily I could just do my KalmTalk session from the carriage 🚆😅")
C(B, pub("x", "@kalmerwaard_fan"), "nl",
  "Al 100 dagen op rij mijn stemmingsdagboek bijgehouden in de app 📓 kleine overwinning!")
C(B, INGE, "nl",
  "Mooie dag vandaag. Drie cliënten afgerond die allemaal zeiden: ik heb weer regie. Daarom doe ik dit werk. 🌿")

# --------------------------------------------------------------------------------------
# Roles and severity (CONTRACT section 4)
# --------------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]

PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"(?<![\w.,-])((?:\d[ -]?){12,18}\d)(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\w-])")


def checksum_ids(text):
    """All IBAN / card / BSN look-alikes: list of (kind, value, valid)."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(1))
        if len(v) >= 15:
            out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(t):
        v = re.sub(r"[ -]", "", m.group(1))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_valid(v)))
    for m in BSN_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(1))
        out.append(("bsn", v, bsn_valid(v)))
    return out


def severity(cats, role, text):
    sev = 0
    insider = role in ("corporate", "employee")
    strong_id = any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in checksum_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = 2
            elif c in (SEC, PRC):
                s = 4
            elif c == PII:
                s = 4 if strong_id else 3
            else:
                s = 3
        elif c == CMP:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return RANK[sev]


# --------------------------------------------------------------------------------------
# Build the JSONL
# --------------------------------------------------------------------------------------
START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 31, 22, tzinfo=dt.timezone.utc) - START).total_seconds())

order = list(range(len(CASES)))
rng.shuffle(order)

used_ids = set()
lines = []
for idx in order:
    c = CASES[idx]
    platform, handle = c["acct"]
    while True:
        pid = f"{platform}-{rng.randrange(10**11, 10**12)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    if c["at"]:
        created = c["at"]
    else:
        ts = START + dt.timedelta(seconds=rng.randrange(SPAN))
        created = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    role = role_of(platform, handle)
    post = {
        "id": pid,
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": created,
        "brand": "kalmerwaard",
    }
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-')[1]}"
    lines.append({"post": post,
                  "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})

with open(OUT_PATH, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# Self-check (reads the written file back)
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRC, CONF, FIN, SECU, CRI, CMP, ABU}
errors = []


def err(i, msg):
    errors.append(f"line {i + 1}: {msg}")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


SECRET_RES = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("mollie", re.compile(r"\blive_[A-Za-z0-9]{30}\b")),
    ("slack", re.compile(r"\bxox[bpoas]-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}\b")),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}")),
    ("anthropic", re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{93}AA\b")),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b")),
    ("sendgrid", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{200,}-----END [A-Z ]*PRIVATE KEY-----")),
    ("dburl", re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis)://[^:\s/]+:[^@\s<>]+@[\w.-]+")),
    ("password", re.compile(r"\b(?:wachtwoord|password|passwd)\s*[:=]\s*\S{6,}", re.I)),
]


def secrets_in(text):
    t = norm(text)
    found = []
    for kind, rx in SECRET_RES:
        for m in rx.finditer(t):
            v = m.group(0)
            if kind == "github":
                ok = gh_token_ok(v)
            elif kind == "aws":
                ok = not v.endswith("EXAMPLE")
            elif kind == "jwt":
                try:
                    h = v.split(".")[0]
                    hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                    ok = isinstance(hdr, dict) and "alg" in hdr
                except Exception:
                    ok = False
            else:
                ok = True
            found.append((kind, v, ok))
    return found


PRODUCTS = []
for p in PROFILE["products"]:
    names = [p["name"]] + list(p.get("aliases", []))
    PRODUCTS.append((p["list_price"], [re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)", re.I) for n in names]))
RATIO = PROFILE["pricing"]["alert_below_ratio"]
PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:\.\d{3})+(?:,\d{2})?|\d+(?:[.,]\d{1,2})?)(?!\s?(?:mln|M\b|k\b))")
PRICE_ERR_RE = re.compile(r"prijsfout|pricing bug|price error|prijs klopt niet|instead of the real price|hoort €", re.I)


def parse_price(s):
    if "," in s:
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
        return float(s.replace(".", ""))
    return float(s)


def low_prices(text):
    t = norm(text)
    lists = [lp for lp, rxs in PRODUCTS if any(rx.search(t) for rx in rxs)]
    prices = [parse_price(m.group(1)) for m in PRICE_RE.finditer(t)]
    return lists, [(p, lp) for lp in lists for p in prices if p < RATIO * lp]


INTERNAL = ([c.lower() for c in PROFILE["internal"]["codenames"]] +
            [m.lower() for m in PROFILE["internal"]["markers"]] +
            [d.lower() for d in PROFILE["internal"]["domains"]])
EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

seen = set()
n_benign = 0
cat_count = {c: 0 for c in CATS}
lang_count = {}
with open(OUT_PATH, encoding="utf-8") as fh:
    raw = fh.read().splitlines()
for i, line in enumerate(raw):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        err(i, f"bad json {e}")
        continue
    if set(obj) != {"post", "expect"}:
        err(i, "top-level keys")
    post, exp = obj.get("post", {}), obj.get("expect", {})
    pid = post.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        err(i, "id")
    if pid in seen:
        err(i, f"duplicate id {pid}")
    seen.add(pid)
    if post.get("platform") not in PLATFORMS:
        err(i, "platform")
    if post.get("kind", "post") not in KINDS:
        err(i, "kind")
    acc = post.get("account")
    if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
        err(i, "account.handle")
        continue
    text = post.get("text")
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 64 * 1024:
        err(i, "text")
        continue
    try:
        ts = parse_ts(post["created_at"])
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", post["created_at"]):
            raise ValueError
    except Exception:
        err(i, "created_at")
        continue
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 5, 1, tzinfo=dt.timezone.utc)):
        err(i, "created_at out of range")
    cats = exp.get("categories")
    sev = exp.get("severity")
    if not isinstance(cats, list) or any(c not in CATS for c in cats) or len(set(cats)) != len(cats):
        err(i, f"categories {cats}")
        continue
    if cats != sorted(cats):
        err(i, "categories not sorted")
    if sev not in RANK:
        err(i, "severity")
    role = role_of(post["platform"], acc["handle"])
    if sev != severity(cats, role, text):
        err(i, f"severity {sev} != policy {severity(cats, role, text)}")
    if not cats:
        n_benign += 1
        if sev != "none":
            err(i, "benign severity must be none")
    for c in cats:
        cat_count[c] += 1
    lang_count[post.get("lang")] = lang_count.get(post.get("lang"), 0) + 1

    t = norm(text)
    tl = t.lower()
    # checksum identifiers
    for kind, v, ok in checksum_ids(text):
        if cats and not ok:
            err(i, f"positive holds a {kind} look-alike failing its checksum: {v}")
        if not cats and ok and not (kind == "iban" and v in PUBLIC_IBANS):
            err(i, f"benign holds a valid {kind}: {v}")
    if PII in cats and role != "public":
        pass
    # credentials
    sec = secrets_in(text)
    if SEC in cats:
        if not any(ok for _, _, ok in sec):
            err(i, "leak.secret without a well-formed credential")
        for kind, v, ok in sec:
            if not ok and kind != "aws":
                err(i, f"malformed {kind} credential in a secret post")
    else:
        for kind, v, ok in sec:
            if ok:
                err(i, f"{kind} credential in a post not labelled leak.secret")
    # internal names
    hits = [w for w in INTERNAL if w in tl]
    if hits and CONF not in cats:
        err(i, f"internal term {hits} without leak.confidential")
    # embargo
    for term, until in EMBARGO:
        if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", tl):
            if ts < until and CONF not in cats:
                err(i, f"embargo term {term!r} before {until} without leak.confidential")
            if ts >= until and not cats:
                pass  # after the embargo: fine for a benign post
    # pricing
    lists, low = low_prices(text)
    if PRC in cats:
        if not lists:
            err(i, "pricing case names no product")
        if not low and not PRICE_ERR_RE.search(t):
            err(i, "pricing case has neither a low price nor price-error talk")
    elif low:
        err(i, f"low product price {low} in a post not labelled leak.pricing")
    # role sanity: public handles must not collide with profile accounts
    if role == "public" and any(acc["handle"].lower() == e.split(":", 1)[1] for e in ROLE):
        err(i, "public handle collides with a profile handle on another platform")

n = len(raw)
if not 170 <= n <= 180:
    errors.append(f"case count {n} outside 170-180")
if not 55 <= n_benign <= 65:
    errors.append(f"benign count {n_benign} not about 60")
targets = {CMP: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
for c, want in targets.items():
    if abs(cat_count[c] - want) > 3:
        errors.append(f"{c}: {cat_count[c]} cases, target about {want}")
nl_share = lang_count.get("nl", 0) / n
if not 0.48 <= nl_share <= 0.62:
    errors.append(f"Dutch share {nl_share:.2f} not about 0.55")

# determinism: the same seed must give the same bytes
if os.environ.get("SEALED306_INNER") is None:
    import subprocess
    import tempfile
    with open(OUT_PATH, "rb") as fh:
        first = fh.read()
    with tempfile.TemporaryDirectory() as td:
        for name in ("make_cases.py", "profile.yaml"):
            with open(os.path.join(HERE, name), "rb") as src, open(os.path.join(td, name), "wb") as dst:
                dst.write(src.read())
        env = dict(os.environ, SEALED306_INNER="1")
        subprocess.run([sys.executable, os.path.join(td, "make_cases.py")], check=False, env=env,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(td, "cases.jsonl"), "rb") as fh:
            if fh.read() != first:
                errors.append("output is not deterministic")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

sev_count = {}
for obj in map(json.loads, raw):
    sev_count[obj["expect"]["severity"]] = sev_count.get(obj["expect"]["severity"], 0) + 1
print(f"ok: {n} cases, {n_benign} benign, {n - n_benign} positive")
print("categories:", json.dumps(cat_count, sort_keys=True))
print("languages:", json.dumps(lang_count, sort_keys=True), f"nl share {nl_share:.2f}")
print("severities:", json.dumps(sev_count, sort_keys=True))
