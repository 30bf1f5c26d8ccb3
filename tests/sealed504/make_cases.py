#!/usr/bin/env python3
"""Build the sealed evaluation set 504 for postwatch.

Company: Veldlantaarn Thuishospice B.V. (fictional hospice and palliative home care).
Reads profile.yaml beside this script, writes cases.jsonl beside it and checks the
result: CONTRACT section 6 shape, checksums of identifiers, credential formats,
pricing ratios, embargo windows, and severities computed from account roles
(CONTRACT section 4). Deterministic: fixed seed, no wall clock.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(504)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------
# identifier helpers (checksums)
# --------------------------------------------------------------------------


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct, country="NL"):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0


def bsn_make():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            return "".join(map(str, d)) + str(s)


def bsn_bad():
    while True:
        b = bsn_make()
        last = (int(b[8]) + rng.randint(1, 8)) % 10
        c = b[:8] + str(last)
        if not bsn_ok(c):
            return c


def grp(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]


def iban_new():
    return iban_make(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))


def iban_bad():
    while True:
        good = iban_new()
        cd = int(good[2:4])
        bad = good[:2] + f"{(cd + rng.randint(1, 40)) % 97 + 2:02d}" + good[4:]
        if not iban_ok(bad):
            return bad


def card_visa():
    return luhn_complete("4", 16)


def card_mc():
    return luhn_complete(rng.choice(["51", "52", "53", "54", "55"]), 16)


def card_bad():
    while True:
        good = luhn_complete("4", 16)
        bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        if not luhn_ok(bad):
            return bad


# --------------------------------------------------------------------------
# credential helpers (built like the real ones)
# --------------------------------------------------------------------------


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token(sub, extra):
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": sub, "iat": 1767312000 + rng.randint(0, 20000000)}
    claims["exp"] = claims["iat"] + 3600
    claims.update(extra)
    payload = b64u(json.dumps(claims, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        pad = "=" * (-len(parts[0]) % 4)
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 75)


def slack_bot():
    return "xoxb-1" + rand(string.digits, 11) + "-1" + rand(string.digits, 12) + "-" + rand(ALNUM, 24)


def openai_key():
    return "sk-proj-" + rand(B64URL, 58) + "T3BlbkFJ" + rand(B64URL, 58)


def anthropic_key():
    return "sk-ant-api03-" + rand(B64URL, 93) + "AA"


def mollie_live():
    return "live_" + rand(ALNUM, 30)


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

CASES = []

C_CPL = "reputation.complaint"
C_CRI = "reputation.crisis"
C_ABU = "reputation.abuse"
L_SEC = "leak.secret"
L_PII = "leak.pii"
L_PRI = "leak.pricing"
L_CON = "leak.confidential"
L_FIN = "leak.financial"
L_SCY = "leak.security"


def P(cats, acct, text, lang, at=None, kind="post", price=None, allow_codename=False):
    CASES.append(dict(cats=sorted(cats), acct=acct, text=text, lang=lang, at=at, kind=kind,
                      price=price, allow_codename=allow_codename))


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------- complaints ----------------
P([C_CPL], "x:@lindavgils", "@veldlantaarn_zorg derde keer deze week dat de nachtwake om 23u afbelt. mijn vader ligt op sterven en wij zitten hier met z'n drieën kapot te gaan van vermoeidheid. waar betalen we eigenlijk voor??", "nl", kind="reply")
P([C_CPL], "facebook:Gareth.Pryce.77", "Ordered the Zachtwolk mattress for my mum on Monday, they promised delivery within 24 hours. It's Thursday evening. She's getting pressure sores while we wait and nobody at Veldlantaarn calls back. Not good enough.", "en")
P([C_CPL], "x:@pietjebel_", "nee dus. jullie 0800 nummer 45 min in de wacht en dan wordt er gewoon opgehangen. dit is toch geen manier om met families om te gaan @veldlantaarn", "nl", kind="reply")
P([C_CPL], "forum:marthe_k", "Veldlantaarn sent a different nurse every single night for two weeks. My wife has dementia and is terrified of strangers. I asked for continuity at the intake and was told 'we'll do our best'. They didn't even try.", "en")
P([C_CPL], "x:@wendyvanrijn", "factuur ontvangen van Veldlantaarn voor 4 nachten nachtwake die nooit hebben plaatsgevonden. mama is 2 weken geleden overleden. het laatste waar je zin in hebt is met zo'n club bellen over geld 😞", "nl")
P([C_CPL], "reddit:u/quiet_harbour", "Anyone else had their Na-Licht grief sessions cancelled last minute? Third cancellation now, every time a text an hour before. Feels like Veldlantaarn stops caring the moment the patient has died.", "en")
P([C_CPL], "instagram:@sas.kia_", "mooie foto's allemaal maar de wijkverpleging kwam gisteren pas om 14:00 terwijl pa om 9 uur zijn pijnmedicatie moest hebben. beetje minder insta en meer zorg graag @veldlantaarn.thuishospice", "nl", kind="comment")
P([C_CPL], "x:@dmitri_hollander", "@veldlantaarn the oxygen concentrator you delivered is SO loud my dad can't sleep. asked for a swap twice, 'no stock'. that's €265 a month for a machine that keeps a dying man awake", "en")
P([C_CPL], "facebook:Trudy.Veenstra", "Het ComfortRust huurbed werd opgehaald terwijl mijn schoonmoeder er nog in lag, we wachtten op de uitvaartondernemer. Niemand had gebeld om het af te stemmen. Wat een pijnlijk moment, Veldlantaarn. Dit had echt anders gemoeten.", "nl")
P([C_CPL], "mastodon:@ellenrb@mastodon.nl", "Veldlantaarn intake took 11 days. Eleven. The hospital discharged my aunt 'home to die' with palliative care 'arranged'. It wasn't arranged at all. #palliativecare #zorg", "en")
P([C_CPL], "tiktok:@jessy.d.o", "pov: je belt veldlantaarn om 3 uur 's nachts omdat oma benauwd is en je krijgt een bandje met 'onze openingstijden zijn…' 🙃 24/7 zorg zeiden ze #thuiszorg #mantelzorg", "nl")
P([C_CPL], "x:@rmbosch", "Ik heb nu 4 keer gevraagd of de zorgplan-afspraak verzet kan worden, elke keer een andere medewerker en elke keer 'we komen erop terug'. Bij Veldlantaarn weet de linkerhand niet wat de rechter doet.", "nl")
P([C_CPL], "x:@b_oudshoorn", "@veldlantaarn_zorg de Stilwater douchestoel die jullie leverden wiebelt en de poten zijn ongelijk. Ma durft er niet meer op. Retour aangevraagd op 2 mei, sindsdien niks gehoord.", "nl", kind="reply")

# complaint + own personal data
P([C_CPL, L_PII], "x:@henkscholten58", "@veldlantaarn_zorg al 3x gemaild over de dubbele afschrijving voor de WaakLicht meldkamer, geen reactie. bel me nu eindelijk eens terug: 06-41872239. Henk Scholten", "nl", kind="reply")
P([C_CPL, L_PII], "facebook:Moira.Denholm", f"Still waiting for the refund for the cancelled Adempauze weekend. Six weeks now. Please just put it back on my account {grp(iban_new())} like I've asked four times, Veldlantaarn.", "en")
P([C_CPL, L_PII], "instagram:@jolandavdmolen", "jullie reageren niet op DM's dus dan maar hier: mail me op jolanda.vdmolen73@ziggo.nl over de eindafrekening van mijn moeder. dit sleept nu al 6 weken @veldlantaarn.thuishospice", "nl", kind="comment")

# complaint + abuse
P([C_CPL, C_ABU], "x:@kees_ronde", "Veldlantaarn is echt een kutbedrijf. Pijnpomp 2 dagen te laat, pa heeft liggen kreunen van de pijn. Stelletje incapabele idioten daar.", "nl")
P([C_CPL, C_ABU], "reddit:u/ravenmoor_84", "Fuck Veldlantaarn and their useless 'coordinators'. The night nurse never showed, nobody picked up the phone and my grandmother spent her last night scared. Absolute clowns, every one of them.", "en")

# complaint + crisis (first-hand safety incidents)
P([C_CPL, C_CRI], "facebook:Yvonne.Lammers.5", "Vannacht is het ComfortRust huurbed van Veldlantaarn ingezakt met mijn man erin. Het hoofdeinde klapte naar beneden, hij heeft een snee in zijn hoofd en is doodsbang. Monteur komt 'morgen'. Dit is levensgevaarlijk!!", "nl")
P([C_CPL, C_CRI], "x:@cathalbyrne", "The AdemRust oxygen machine Veldlantaarn rented us started smoking tonight right next to my mother's bed. Burning plastic smell, we pulled the plug just in time. With oxygen in the room. I'm still shaking. @veldlantaarn", "en")
P([C_CPL, C_CRI], "forum:henny_w", "Mijn vader kreeg via de DoseerRust pomp van Veldlantaarn een veel te hoge dosis morfine, de pomp was verkeerd ingesteld bij het plaatsen. Hij was uren niet aanspreekbaar en we dachten dat het afscheid was. Niemand neemt verantwoordelijkheid.", "nl")
P([C_CPL, C_CRI], "instagram:@priya.k.sharma", "My mum slipped out of the TilZacht sling during a transfer, the strap buckle just popped open. Broken wrist. Veldlantaarn says 'user error'. It wasn't, I was standing right there.", "en")

# ---------------- crisis (third party, breach, boycott, lawsuit, recall, scandal) ----------------
P([C_CRI], "x:@nieuwsuitdebuurt", "Lees net dat een thuishospicepatiënt in Amersfoort zwaargewond is geraakt toen een tillift van Veldlantaarn bezweek. De inspectie doet onderzoek.", "nl")
P([C_CRI], "x:@infosec_marlies", "Veldlantaarn patient files leaked?? Someone on a forum is selling 'palliative care records NL' with screenshots that look like their client portal. If true this is horrific. #databreach #healthcare", "en")
P([C_CRI], "facebook:Ruud.Kamphuis", "BOYCOT VELDLANTAARN. Ze ontslaan nachtverpleegkundigen en laten stervende mensen alleen liggen voor de winst. Deel dit en kies een andere thuishospice!!", "nl")
P([C_CRI], "linkedin:mr-ester-goudsmit", "Families of three deceased patients have filed a lawsuit against Veldlantaarn Thuishospice over alleged medication errors during home palliative care, their lawyer confirmed this morning.", "en")
P([C_CRI], "x:@gerdien_z", "terugroepactie?? bij ons in de wijk halen ze overal de DoseerRust pompen van Veldlantaarn weg, er zou een softwarefout in zitten waardoor de dosering verdubbelt. iemand meer info?", "nl")
P([C_CRI], "reddit:u/tallgrass_nl", "Heard from a friend: a Veldlantaarn carer was caught stealing jewellery from dying patients in Zeist. Police are involved apparently. How is this not in the news yet?", "en")
P([C_CRI], "tiktok:@zorgwaakhond", "Zorgschandaal bij Veldlantaarn: verpleegkundigen draaien diensten van 14 uur en patiënten krijgen verkeerde medicijnen. Kijk tot het einde 👇 #zorgschandaal #thuishospice", "nl")
P([C_CRI], "bluesky:@annekedevos.bsky.social", "Reminder that Veldlantaarn's alarm service failed for a whole night in Utrecht last month and an elderly man lay on his kitchen floor for nine hours. Still no explanation from them.", "en")
P([C_CRI], "x:@fleurtje1987", "Mijn buurvrouw (86) is gisteren overleden nadat haar zuurstofapparaat van Veldlantaarn uitviel en niemand reageerde op haar alarmknop. De familie doet aangifte. Ik ben er kapot van.", "nl")
P([C_CRI], "mastodon:@zorgjournalist@mastodon.social", "The Dutch Health and Youth Care Inspectorate has placed Veldlantaarn Thuishospice under intensified supervision after reports of unsafe care, according to a letter published today.", "en")
P([C_CRI], "x:@corjanssen", "dus jullie laten een datalek van 2000 patiëntdossiers gewoon doodbloeden? ik heb de brief aan de getroffen families gezien. schande @veldlantaarn", "nl", kind="reply")

# ---------------- abuse ----------------
P([C_ABU], "x:@stijnbakkeree", "@veldlantaarn_zorg jullie zijn de grootste aasgieren van nederland, geld verdienen aan stervende mensen. walgelijk tuig", "nl", kind="reply")
P([C_ABU], "instagram:@mark.tollens", "@zuster.fenna you're an ugly useless cow, stop posting your stupid dances while people are dying", "en", kind="comment")
P([C_ABU], "x:@ronnie_r_040", "Veldlantaarn = ｋａｎｋｅｒｂｅｄｒｉｊｆ. Elke medewerker daar is een ｍｉｓｂａｋｓｅｌ", "nl")
P([C_ABU], "reddit:u/grimjack_77", "those veldlantaarn 'nurses' are a bunch of f*cking m0r0ns and st00pid b1tches, every last one of them", "en")
P([C_ABU], "tiktok:@opa.harrie", "die verpleger bram van veldlantaarn is een vieze flikker, ik wil niet dat hij aan mijn opa zit", "nl", kind="comment")
P([C_ABU], "x:@truepatriot_nl", "Veldlantaarn hires all these foreigners who can't even speak Dutch to wipe our grandparents. Send the lot of them back where they came from.", "en")
P([C_ABU], "x:@thijs_planning", "weer zo'n achterlijke familie aan de lijn die denkt dat wij hun persoonlijke slaven zijn. debielen. #nachtdienst", "nl")
P([C_ABU], "facebook:VeldlantaarnThuishospice", "Met alle respect meneer, maar als u te dom bent om de gebruiksaanwijzing te lezen, moet u ons niet de schuld geven.", "nl", kind="reply")
P([C_ABU], "x:@b3rtje_k", "Veldlantaarn, stelletje kl\u043e\u043etzakken. jullie directeur is een vuile oplichter", "nl")
P([C_ABU], "x:@maaikedw", "die teamleider van veldlantaarn is een g e s t o o r d e   t r u t en iedereen daar weet het", "nl")

# ---------------- personal data ----------------
P([L_PII], "instagram:@zuster.fenna", "Mevrouw Jacobs (geb. 14-02-1939) vandaag haar laatste wens vervuld: nog één keer naar zee 🌊 Wat een dag. Zo dankbaar dat ik dit werk mag doen ❤️", "nl")
P([L_PII], "x:@thijs_planning", "kan iemand vannacht de nachtwake bij dhr. P. de Wit, Kastanjelaan 27 in Bilthoven overnemen? familie is bereikbaar op 06 2817 4490. dm me", "nl")
P([L_PII], "x:@veldlantaarn_zorg", f"Hi Mr Visser, we've traced your refund: it was paid to {grp(iban_new())} on 3 March. If that isn't your account, please send us a DM and we'll look into it.", "en", kind="reply")
P([L_PII], "facebook:Annelies.Brouwer.VL", f"Voor de collega's van de avonddienst: het BSN van mevr. Koster is {bsn_make()}, de apotheek had een oud nummer in het systeem. Graag aanpassen voordat jullie de medicatie aftekenen.", "nl")
P([L_PII], "linkedin:sofie-van-leeuwen-hr", "Welcome to our new nurse Lotte Hermans! 🎉 Lotte, your contract is on its way to lotte.hermans1994@outlook.com, see you on the 1st!", "en")
P([L_PII], "x:@riamulder_", f"@veldlantaarn_zorg hoi, kunnen jullie de machtiging voor de WaakLicht meldkamer wijzigen naar rekening {iban_new()}? groetjes Ria Mulder", "nl", kind="reply")
P([L_PII], "x:@marieke_wijkzorg", "Wie kan morgen de zorg overnemen bij Gerrit Bakker (*03-09-1944), Slotlaan 88 in Zeist? Sleutel ligt in de kluis bij de voordeur, code krijg je van mij.", "nl")
P([L_PII], "bluesky:@noor-elhaddad.bsky.social", "Patient update for the Amersfoort team: Mrs Hanneke Smits, DOB 22/11/1951, has moved to the inpatient unit. Her daughter's mobile is +31 6 3829 1174 if you need her.", "en")
P([L_PII], "facebook:VeldlantaarnThuishospice", "Beste mevrouw Van Dam, wij hebben uw klacht doorgezet. Onze teamleider belt u morgen terug op 030-2718843, of mailt u op g.vandam@kpnmail.nl.", "nl", kind="reply")
P([L_PII], "x:@joostnachtwaak", f"For whoever has the Bosch family tonight: the card on file for the private night shifts is {grp(card_mc())} exp 09/28, they asked us to charge it after every shift.", "en")
P([L_PII], "x:@wilmahendriks", f"@veldlantaarn_zorg voor de aanvraag respijtzorg: mijn BSN is {bsn_make()}, geboortedatum 17-06-1958, Wilma Hendriks. Kunnen jullie nu eindelijk verder?", "nl", kind="reply")
P([L_PII], "tiktok:@verpleger.bram", "story time: meneer Jansen (91) van de Kerkstraat 4 in Doorn vroeg vandaag of ik met hem wilde trouwen 😂❤️ #verpleger #hospice #storytime", "nl")

# ---------------- confidential ----------------
P([L_CON], "x:@daan_devops", "finally migrated the rostering stack 🎉 new dashboard lives at https://rooster.veldlantaarn.nl/admin/v2, feedback from the planners welcome", "en")
P([L_CON], "linkedin:rachid-bouzid-ict", "Proud of the team: the Nachtvlinder pilot goes live with 40 families next month. Can't say more yet 😉", "en")
P([L_CON], "x:@marieke_wijkzorg", "Die nieuwe WaakLicht Go die we mochten testen is echt top, eindelijk een knop die ook in de tuin werkt", "nl", at="2026-10-14T16:22:00Z")
P([L_CON], "instagram:@veldlantaarn.thuishospice", "Sneak peek 👀 Binnenkort bij u thuis: de Veldlantaarn Thuismonitor. Meer vertellen we eind januari!", "nl", at="2027-01-19T10:05:00Z")
P([L_CON], "facebook:Annelies.Brouwer.VL", "Collega's, de nieuwe dienstregeling staat op intranet.veldlantaarn.local/teams/zeist. Uitsluitend intern, dus niet doorsturen naar families!", "nl")
P([L_CON], "x:@thijs_planning", "Operatie Duinroos gaat echt alles op z'n kop zetten voor ons planners. meer mag ik niet zeggen maar 😬", "nl")
P([L_CON], "bluesky:@noor-elhaddad.bsky.social", "Sharing the draft protocol for the palliative sedation working group (veldlantaarn internal only), comments before Friday please", "en")
P([L_CON], "mastodon:@woutsmit@zorg.social", "anyone else fighting GitLab CI caching? our runner at gitlab.veldlantaarn.nl keeps evicting the node_modules layer and builds take 25 min now", "en")
P([L_CON], "x:@evadejongh", "Mijn zus werkt bij Veldlantaarn en zegt dat Project Zwaluwstaart over een eigen hospicehuis in Utrecht gaat. Eindelijk!", "nl")
P([L_CON], "linkedin:sofie-van-leeuwen-hr", "So excited about what Nacht\u200bvlinder is going to mean for our night nurses. More soon!", "en")
P([L_CON], "x:@joostnachtwaak", "screenshot van ecd.veldlantaarn.local/clienten/overzicht in de groep gegooid, kijk hoe traag dat ding laadt 🙄", "nl")
P([L_CON], "reddit:u/old_sparrow", "Got a deck by accident from a Veldlantaarn manager. Slide 1 literally says 'niet buiten Veldlantaarn delen' and it's about a new premium subscription tier for families. Oops?", "en")
P([L_CON], "linkedin:veldlantaarn-thuishospice", "We're hiring a Product Owner for Nachtvlinder, our new digital night-care platform! Interested? Mail werkenbij@veldlantaarn.nl", "en")
P([L_CON], "tiktok:@verpleger.bram", "wij mogen alvast de WaakLicht G\u043e testen 🤫 echt vet ding, zeg niks tegen niemand #nachtdienst", "nl", at="2026-11-28T21:40:00Z")

# ---------------- financial ----------------
P([L_FIN], "linkedin:ingrid-hoekstra-veldlantaarn", "Tough year behind us: internally we're closing 2026 with a loss of about €3.1m, well below budget. The numbers won't be public until March, but I'm proud of how the team held up.", "en", at="2026-12-08T18:30:00Z")
P([L_FIN], "x:@thijs_planning", "hoorde net op kantoor dat er begin volgend jaar 35 fte bij planning en administratie uit gaat. nog niks officieel. ik ben er klaar mee", "nl")
P([L_FIN], "facebook:Annelies.Brouwer.VL", "Lieve collega's van team Houten, ik mag het nog niet officieel zeggen, maar onze locatie sluit per 1 april en we gaan op in team Zeist. Ik vind het zo jammer.", "nl")
P([L_FIN], "x:@dutchcaredeals", "Word is Veldlantaarn is about to be bought by a private-equity-backed care group. Deal signed last week, announcement after the holidays. Source sits in their finance dept.", "en")
P([L_FIN], "x:@daan_devops", "lol the forecast deck was just sitting in the shared drive: they expect a 12% revenue drop next year and a hiring freeze. cool cool cool", "en")
P([L_FIN], "bluesky:@noor-elhaddad.bsky.social", "Interne mail vandaag: de gemeentecontracten in Amersfoort gaan we per 2027 kwijtraken, dus er wordt bezuinigd op de nachtzorg. Staat nog nergens.", "nl")
P([L_FIN], "reddit:u/lindeboom_ams", "Mijn schoonvader zit in de raad van toezicht van een zorggroep en zegt dat Veldlantaarn wordt overgenomen door Zorggroep Lindenhorst. Koopsom rond de 40 miljoen. Heb je niet van mij.", "nl")
P([L_FIN], "x:@marieke_wijkzorg", "Net gehoord dat we dit jaar met een tekort van bijna 2 ton eindigen en dat de eindejaarsuitkering niet doorgaat. Benieuwd wanneer ze dat zelf gaan vertellen.", "nl")
P([L_FIN], "mastodon:@woutsmit@zorg.social", "heads-up to friends in care-tech: Veldlantaarn is cutting the whole in-house dev team by end of Q1 and outsourcing it. Not announced yet, so keep it quiet.", "en")
P([L_FIN], "linkedin:sofie-van-leeuwen-hr", "Preparing 60 exit conversations for January. Hardest part of HR. The reorganisation will only be communicated after new year, so please don't ask me about it yet.", "en")
P([L_CON, L_FIN], "linkedin:ingrid-hoekstra-veldlantaarn", "Operatie Duinroos = the merger with Zorggroep Lindenhorst. Due diligence closes 30 November, signing in December. Exciting times ahead!", "en", at="2026-10-02T07:45:00Z")
P([L_CON, L_FIN], "x:@joostnachtwaak", "jaarcijfers 2026 zijn slechter dan verwacht, hoorde -4 mln. dat wordt een koude lente", "nl", at="2027-02-20T22:10:00Z")

# ---------------- security ----------------
P([L_SCY], "x:@daan_devops", "ECD has been down since 02:00, looks like the storage array died. Nurses are working from paper. Comms hasn't said anything yet so shhh", "en")
P([L_SCY], "mastodon:@woutsmit@zorg.social", "found a nasty IDOR in our client portal today: change the dossier id in the URL and you see another family's care plan. patching now, please nobody tweet about it before it's fixed", "en")
P([L_SCY], "linkedin:rachid-bouzid-ict", "Gisteren zijn 4 accounts van wijkverpleegkundigen overgenomen via een phishingmail. Nog niet gemeld bij de AP, we zoeken eerst uit wat er is ingezien.", "nl")
P([L_SCY], "x:@thijs_planning", "planningssysteem ligt er al de hele ochtend uit, we bellen iedereen met de hand. naar buiten toe heet het 'gepland onderhoud' 🙃", "nl")
P([L_SCY], "bluesky:@noor-elhaddad.bsky.social", "The alarm receiver for the pendant alarms dropped out for about three hours last night and nobody got notified. We've been told not to mention it to families until IT knows why.", "en")
P([L_SCY], "facebook:Annelies.Brouwer.VL", "Let op collega's: er is ransomware gevonden op twee laptops in Houten. Niet inloggen vanaf die plek en nog niks zeggen tegen cliënten tot we meer weten.", "nl")
P([L_SCY], "x:@joostnachtwaak", "that r.a.n.s.o.m.w.a.r.e scare last week was real btw, backups saved us. nobody outside knows 🤐", "en")
P([L_SCY], "x:@kernelpanic_jo", "A friend in Veldlantaarn's IT says their patient portal has had an unpatched remote code execution hole for months and management is sitting on it.", "en")
P([L_SCY], "tiktok:@verpleger.bram", "nachtdienst zonder telefoons want de telefooncentrale is gehackt lol. we mogen het niet zeggen maar echt hoor", "nl")
P([L_SCY], "mastodon:@woutsmit@zorg.social", "note to self and team: the password reset mails of our family portal leak the reset token via the Referer header to the analytics vendor. fix is in review, disclosure still TBD", "en")
P([L_SCY], "x:@daan_devops", "Onze backups hebben 6 weken niet gedraaid en niemand had het door. Gaat er nu iets mis dan zijn we alles kwijt. Management weet van niks.", "nl")
P([L_SCY], "reddit:u/ex_contractor_zeist", "ex-contractor here: Veldlantaarn's night-shift tablets still run an unsupported Android version with the admin PIN taped to the back. Told them in August, nothing happened.", "en")
P([L_SCY, L_CON], "x:@daan_devops", "vpn.veldlantaarn.nl has been throwing cert errors since the break-in attempt last night. working on it, please keep it off the status page for now", "en")

# ---------------- secrets ----------------
P([L_SEC], "mastodon:@woutsmit@zorg.social", f"why does this 401?? curl -H 'Authorization: token {gh_token()}' https://api.github.com/user/repos", "en")
P([L_SEC], "x:@daan_devops", f"pasting so I can grab it on my phone, deleting in 5 min: aws_access_key_id={aws_key_id()} aws_secret_access_key={aws_secret()}", "en")
P([L_SEC], "facebook:Annelies.Brouwer.VL", "Nieuwe wifi op kantoor Zeist: netwerk VL-Kantoor, wachtwoord: Lantaarn!2026zeist", "nl")
P([L_SEC], "x:@thijs_planning", "weet iemand de login van het roosterprogramma nog? gebruiker planning_zeist ww: Zwaluw#88tulp", "nl")
P([L_SEC], "mastodon:@woutsmit@zorg.social", f"reminder to self: the donation page still uses {stripe_live()} instead of a restricted key, fix on monday", "en")
P([L_SEC], "linkedin:rachid-bouzid-ict", f"Built a small Slack bot that pings the night team when a pendant alarm comes in. Config for the curious: SLACK_BOT_TOKEN={slack_bot()}", "en")
P([L_SEC], "x:@daan_devops", f"DATABASE_URL=postgres://vl_app:{rand(ALNUM, 6)}!{rand(ALNUM, 5)}@pg-prod-3.cluster-c7hx2kq.eu-central-1.rds.amazonaws.com:5432/zorg anyone know why prisma keeps timing out on this?", "en")
P([L_SEC], "x:@octo_finder", f"@veldlantaarn your intern committed this to a public repo: OPENAI_API_KEY={openai_key()} rotate it asap", "en", kind="reply")
P([L_SEC], "bluesky:@noor-elhaddad.bsky.social", f"the family portal keeps logging me out, support asked for my session token so here you go: {jwt_token('noor.elhaddad', {'role': 'nurse', 'org': 'veldlantaarn'})}", "en")
P([L_SEC], "mastodon:@woutsmit@zorg.social", "deploy key for the staging box, will rotate later:\n" + openssh_key(), "en")
P([L_SEC], "x:@daan_devops", f"zorgnotitie-samenvatter draait! ANTHROPIC_API_KEY={anthropic_key()} in de .env en klaar. mollie test ook meteen: MOLLIE_KEY={mollie_live()}", "nl")
P([L_SEC, L_CON], "x:@joostnachtwaak", "voor de nachtploeg: inloggen op https://intranet.veldlantaarn.local met nacht_team / wachtwoord: Vlinder2026!! (niet doorsturen)", "nl")

# ---------------- pricing ----------------
P([L_PRI], "x:@marieke_wijkzorg", "Haha de webshop staat fout: TilZacht mobiele tillift voor €289 ipv €2.890 😂 iemand moet even een nulletje toevoegen", "nl", price=("VL-TIL", 289))
P([L_PRI], "x:@dealjager_nl", "PRIJSFOUT!! ComfortRust Select bed voor 245 euro op shop.veldlantaarn.nl, snel zijn 🏃‍♀️", "nl", price=("VL-BEDK", 245))
P([L_PRI], "facebook:VeldlantaarnThuishospice", "Alleen dit weekend: het Zachtwolk antidecubitusmatras voor maar € 74,90! Bestel via onze webshop.", "nl", price=("VL-MAT", 74.90))
P([L_PRI], "reddit:u/bargain_bert", "Is this a pricing mistake? Veldlantaarn shows the Lantaarn Nachtwake 7-nachtenpakket at €189 instead of the usual €1,890. Ordering before they fix it.", "en", price=("VL-NW7", 189))
P([L_PRI], "instagram:@zuster.fenna", "Wie wil er een Waakkoffer? Staat nu voor €11,90 op de site, volgens mij een prijsfout maar ik zeg niks 🤭", "nl", price=("VL-WAAK", 11.90))
P([L_PRI], "x:@tomasz_w", "lol @veldlantaarn the AdemRust concentrator rental is listed at €26.50/month on your site, price glitch?", "en", price=("VL-O2", 26.50))
P([L_PRI], "x:@veldlantaarn", "Our apologies: due to a price error the Respijtweekend Adempauze was briefly shown for €98 this morning. Orders placed at that price will be honoured.", "en", price=("VL-RESP", 98))
P([L_PRI], "tiktok:@budgetmama_", "jongens DoseerRust pijnpomp huren voor 41 euro per maand bij veldlantaarn, normaal 410 🤯 prijsbug??", "nl", price=("VL-PCA", 41))
P([L_PRI], "x:@thijs_planning", "Stilwater douchestoel voor €14,50 in de productfeed naar de marktplaatsen, wie heeft dit gedaan 😅", "nl", price=("VL-DS", 14.50))
P([L_PRI], "facebook:Gonnie.Stam", "Klopt het dat de Na-Licht rouwbegeleiding nu €54 kost voor 6 sessies? Dat is wel heel goedkoop, of staat de prijs verkeerd?", "nl", price=("VL-ROUW", 54))
P([L_PRI], "linkedin:sofie-van-leeuwen-hr", "Fun fact from today's team meeting: our Mantelzorg Basiscursus was on sale for €16.50 for a whole day last week because of a decimal error 🙈", "en", price=("VL-MZC", 16.50))
P([L_PRI], "x:@gratisgeld_", "wtf Laatste Wens dagarrangement voor €65 bij Veldlantaarn?? foutje bedankt 🤑", "nl", price=("VL-WENS", 65))

# ---------------- benign (mostly hard negatives) ----------------
NONE = []
P(NONE, "x:@veldlantaarn", "Vragen over nachtwake of respijtzorg? Bel ons gratis op 0800-8833 of mail naar zorg@veldlantaarn.nl. Wij zijn er dag en nacht.", "nl")
P(NONE, "facebook:VeldlantaarnThuishospice", f"Donaties voor ons vrijwilligersfonds zijn welkom op {grp(PUB_IBAN)} t.n.v. Veldlantaarn Thuishospice. Dank u wel 💛", "nl")
P(NONE, "x:@hannekevd", "Mijn moeder had kanker en is thuis overleden met de zorg van Veldlantaarn. Nooit gedacht dat sterven zo rustig kon zijn. Dank jullie wel 🙏", "nl")
P(NONE, "x:@ollie_bramwell", "Big shoutout to the Veldlantaarn night nurse who sat with my grandad until 4am and held his hand the whole time. You people are angels.", "en")
P(NONE, "linkedin:veldlantaarn-thuishospice", "Our Lantaarn Nachtwake 7-nachtenpakket is €1,690 for families who register before 1 October (normally €1,890).", "en", price=("VL-NW7", 1690))
P(NONE, "reddit:u/newtoNL_care", "How does hospice at home work in the Netherlands? Is Veldlantaarn covered by basic insurance or do you pay the ComfortRust huurbed (€189/month) yourself?", "en", price=("VL-BEDH", 189))
P(NONE, "x:@kirstenzorgt", "Kanker is een rotziekte. Maar de verpleegkundigen van Veldlantaarn hebben het voor pa zo draaglijk mogelijk gemaakt 💛", "nl")
P(NONE, "x:@devops_dagmar", "PSA for devs in healthcare: never commit keys like AKIAIOSFODNN7EXAMPLE to git, use a secrets manager. Great talk by Veldlantaarn's IT team today 👏", "en")
P(NONE, "mastodon:@woutsmit@zorg.social", "rotated all our tokens today. config now reads GITHUB_TOKEN=ghp_************************************ and the real value comes from Vault. feels good", "en")
P(NONE, "x:@daan_devops", "from our internal docs, for the new devs: `Authorization: Bearer <your-token-here>`. never paste the real one in a ticket pls 😅", "en")
P(NONE, "x:@alie_bosman", f"Kreeg een mail 'van Veldlantaarn' om €129 over te maken naar {grp(iban_bad())}. Phishing toch? Het rekeningnummer klopt niet eens.", "nl")
P(NONE, "reddit:u/paperwork_pete", f"Anyone know if this is a real card number or a placeholder? It was printed on a sample invoice in a care brochure: {grp(card_bad())}", "en")
P(NONE, "facebook:Annelies.Brouwer.VL", f"Tip voor nieuwe collega's: in de e-learning wordt het voorbeeld-BSN {bsn_bad()} gebruikt. Vul daar nooit een echt nummer in!", "nl")
P(NONE, "x:@veldlantaarn", "Our annual results 2026 are out: a small deficit, but 14% more night nurses than a year ago. Full report on veldlantaarn.nl", "en", at="2027-03-11T09:00:00Z")
P(NONE, "instagram:@veldlantaarn.thuishospice", "Hij is er! De WaakLicht Go: een alarmknop die ook buiten de deur werkt. Vanaf vandaag te bestellen 🎉", "nl", at="2027-01-27T08:30:00Z")
P(NONE, "x:@jelmer_opinie", "Even de jaarcijfers 2026 van Veldlantaarn gelezen: klein verlies, maar geen enkele nachtverpleegkundige eruit. Respect.", "nl", at="2027-03-15T12:40:00Z")
P(NONE, "x:@rmbosch", "Update: Veldlantaarn heeft gebeld, excuses gemaakt en het bed is binnen een uur vervangen. Netjes opgelost, dank aan Kim van de klantenservice.", "nl")
P(NONE, "facebook:Sheila.Morrow.3", "So sorry for your loss, Marjan. The Veldlantaarn team were wonderful with my dad too. Thinking of you ❤️", "en", kind="comment")
P(NONE, "x:@cyberwatch_eu", "Another hospital data breach in Belgium, 300k records exposed. Scary times for healthcare IT. #cybersecurity", "en")
P(NONE, "x:@nienkepost", "Zorgverzekeraar in Groningen schrapt 200 banen, las ik net. Hopelijk raakt het de thuiszorg niet.", "nl")
P(NONE, "linkedin:veldlantaarn-thuishospice", "We're hiring night nurses in Zeist and Houten! Apply via werkenbij@veldlantaarn.nl or call us on 030 760 4411.", "en")
P(NONE, "x:@saskia_lacht", "Mijn kat heeft de nachtwake overgenomen van mijn man 😂 ligt al 3 uur op zijn voeten en laat niemand erbij", "nl")
P(NONE, "tiktok:@carlyinutrecht", "the Veldlantaarn nurse showed me how to do mouth care for my mum with the Mondzorg Comfortset (€39.95). small thing, huge difference 🥹", "en", price=("VL-MOND", 39.95))
P(NONE, "facebook:VeldlantaarnThuishospice", "Najaarsactie: de Stilwater douchestoel van €145 nu voor €116 (20% korting). Op = op!", "nl", price=("VL-DS", 116))
P(NONE, "x:@frank_mol", "Does anyone know if the TilZacht tillift (€2,890) can be rented instead of bought? Asking for my dad.", "en", price=("VL-TIL", 2890))
P(NONE, "x:@marieke_wijkzorg", "Zo trots op mijn team vandaag. Drie families geholpen, twee keer gehuild in de auto, en toch: mooiste werk van de wereld. #wijkverpleging #palliatievezorg", "nl")
P(NONE, "x:@gerritjan", "Ons dak lekt, de buurman heeft een lekke band en ik heb een lek in mijn geheugen. Maandag dus.", "nl")
P(NONE, "x:@thandiwe_m", "Veldlantaarn's client portal made my mum set up two-factor authentication. Nice to see a care provider take security seriously.", "en")
P(NONE, "x:@roosmarijn__", "Wat is het wachtwoord van de wifi in het hospice eigenlijk? Zit hier bij mijn moeder en mijn data is op 🙈", "nl")
P(NONE, "linkedin:ingrid-hoekstra-veldlantaarn", "Proud to present our FY2026 results today: a small deficit, but we grew the night care team by 14% and kept every location open.", "en", at="2027-03-11T10:15:00Z")
P(NONE, "x:@tuinier_anne", "Vannacht een enorme nachtvlinder op het raam van de woonkamer 🦋 Iemand enig idee welke soort?", "nl", allow_codename=True)
P(NONE, "x:@boerderijleven", "De zwaluwen zijn terug in de schuur! Lente 🐦", "nl")
P(NONE, "x:@jamie_ross", "Everything you tell a Veldlantaarn nurse is confidential, they said at the intake. That made it so much easier to talk about the hard stuff.", "en")
P(NONE, "x:@lotteswart", "Mijn tante is nachtverpleegkundige bij Veldlantaarn en ze zegt dat het het mooiste werk is dat er bestaat.", "nl")
P(NONE, "x:@veldlantaarn", "Scheduled maintenance: mijn.veldlantaarn.nl will be unavailable Sunday 02:00–04:00. Urgent care questions? Call 0800-8833 any time.", "en")
P(NONE, "instagram:@veldlantaarn.thuishospice", "Wist je dat de Lantaarn dimlamp (€59) speciaal is ontworpen om 's nachts zacht licht te geven zonder de patiënt te wekken? 🕯️", "nl", price=("VL-DIM", 59))
P(NONE, "x:@opendag_bezoeker", "The JWT format is header.payload.signature, like xxxxx.yyyyy.zzzzz. Their developer explained it really well at the Veldlantaarn open day.", "en")
P(NONE, "reddit:u/ideal_question", "Stripe docs say test keys start with sk_test_ and live ones with sk_live_, never post the latter. Anyway, does anyone know if Veldlantaarn takes iDEAL?", "en")
P(NONE, "x:@pauladekker", "Vandaag de Mantelzorg Basiscursus gedaan bij Veldlantaarn. €165, maar elke cent waard. Ik weet nu hoe ik pa kan verschonen zonder dat hij zich schaamt.", "nl", price=("VL-MZC", 165))
P(NONE, "facebook:Hennie.Smeets", "Gisteren 40 jaar getrouwd, gevierd aan het bed van mijn man met taart. De verpleegkundigen van Veldlantaarn hadden zelfs slingers opgehangen 🎉", "nl")
P(NONE, "bluesky:@noor-elhaddad.bsky.social", "Reading list for palliative care nurses: Being Mortal by Atul Gawande. Changed how I talk with families about dying.", "en")
P(NONE, "x:@veldlantaarn_zorg", "@bertvdlinden Wat fijn om te horen dat uw vader zo rustig is ingeslapen. Wij wensen u en uw familie heel veel sterkte 💛", "nl", kind="reply")
P(NONE, "x:@ingeborg_t", f"Net €25 gedoneerd aan het vrijwilligersfonds van Veldlantaarn ({PUB_IBAN}). Doen jullie ook mee?", "nl")
P(NONE, "x:@dirkjanz", "Waakkoffer van Veldlantaarn gekocht voor €119. Zit alles in: lampje, mondverzorging, een boekje voor de familie. Aanrader.", "nl", price=("VL-WAAK", 119))
P(NONE, "reddit:u/bsn_confused", f"My BSN letter has a typo I think, {bsn_bad()} doesn't pass the 11-check. Who do I contact, the gemeente?", "en")
P(NONE, "linkedin:veldlantaarn-thuishospice", "Veldlantaarn is proud to partner with the University of Applied Sciences Utrecht on a new palliative care course for district nurses.", "en")
P(NONE, "x:@milou_rouwt", "Wat een rotziekte. Mijn oma is vannacht overleden. Dank aan de lieve zusters van Veldlantaarn 💔", "nl")
P(NONE, "x:@samirh", "Killer deal: Zachtwolk mattress 25% off this week at Veldlantaarn, €562. My mum's pressure sores healed on it, honestly recommend.", "en", price=("VL-MAT", 562))
P(NONE, "x:@podcastluisteraar", "Doodgaan doen we allemaal, maar hoe? Mooie podcast van Veldlantaarn over palliatieve sedatie en afscheid nemen.", "nl")
P(NONE, "mastodon:@joanna_h@mastodon.online", "Had to call Veldlantaarn's free number at 3am. Someone picked up in two rings and talked me through my husband's breathing. Thank you.", "en")
P(NONE, "tiktok:@veldlantaarn", "Een nacht uit het leven van onze nachtverpleegkundige Sanne 🌙 #achterdeschermen #hospice #nachtdienst", "nl")
P(NONE, "x:@vvn_congresganger", "Shoutout to @joostnachtwaak for the great talk on night care at the nursing congress yesterday!", "en")
P(NONE, "reddit:u/waakzaam_nl", "Iemand ervaring met de WaakLicht halszender? €129 en dan €240 per jaar voor de meldkamer, is dat normaal?", "nl", price=("VL-HALS", 129))
P(NONE, "x:@thijs_planning", "Vandaag 23 diensten rond gekregen voor het kerstweekend. Planners zijn ook mensen 😅🎄", "nl")
P(NONE, "x:@fietsnieuws", "Terugroepactie bij een fabrikant van elektrische fietsen: accu's kunnen oververhit raken. Check je serienummer!", "nl")
P(NONE, "bluesky:@secops_ramon.bsky.social", "I work in security for a bank and honestly the way Veldlantaarn explained their privacy policy to my mum was clearer than ours.", "en")
P(NONE, "mastodon:@woutsmit@zorg.social", "tip: in your .env.example use placeholders like OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx and never real values", "en")
P(NONE, "x:@utrechtsemeid", "Gaat Veldlantaarn ooit een eigen hospicehuis openen? Zou zo mooi zijn in Utrecht.", "nl")
P(NONE, "facebook:VeldlantaarnThuishospice", "Thank you for the lovely review, Mrs Kok! We've passed your kind words on to the team in Bilthoven.", "en", kind="reply")
P(NONE, "x:@hdeboer_", "De prijs van het ComfortRust Select bed (€2.450) schrok me eerst af, maar de verzekering vergoedde het grootste deel.", "nl", price=("VL-BEDK", 2450))
P(NONE, "x:@geert_hilversum", "Eerst boos geweest omdat de pijnpomp te laat kwam, maar de coördinator kwam zelf langs om het uit te leggen en sorry te zeggen. Zo hoort het.", "nl")
P(NONE, "instagram:@kimvanoord", "Op de foto: opa met zijn verpleegkundige, allebei in een Ajax-shirt ⚽️❤️ Veldlantaarn jullie zijn toppers", "nl", kind="comment")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------

SEV = ["none", "info", "warning", "error", "critical"]


def role_of(acct):
    key = acct.lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])[3-6](?:[ -]?\d){12,18}(?![0-9A-Za-z])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9A-Za-z])")
PUB_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def ids_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in PUB_IBANS:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    checked = any(ok for _, _, ok in ids_in(text))
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in (L_SEC, L_PRI) or (c == L_PII and checked):
                    s = "critical"
            else:
                s = "warning"
        elif c == C_CPL:
            s = "warning"
        elif c == C_CRI:
            s = "error"
        elif c == C_ABU:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 358 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URLS = {
    "x": "https://x.com/{h}/status/{n}",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "mastodon": "https://mastodon.example/@{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "forum": "https://forum.example.nl/t/{n}",
}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    rows = []
    for seq, idx in enumerate(order, 1):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        role = role_of(c["acct"])
        created = c["at"] or rand_time()
        num = str(rng.randint(10 ** 15, 10 ** 16 - 1))
        post = {
            "id": f"{platform}-504{seq:03d}",
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": created,
            "url": URLS[platform].format(h=handle.lstrip("@").split("@")[0], n=num),
            "brand": "Veldlantaarn",
        }
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        rows.append(({"post": post, "expect": expect}, c, role))
    return rows


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {L_SEC, L_PII, L_PRI, L_CON, L_FIN, L_SCY, C_CRI, C_CPL, C_ABU}


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errors = []
    seen = set()
    prod = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phone_digits = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errors.append(f"profile IBAN {i} fails mod-97")
    for row, c, role in rows:
        post, exp = row["post"], row["expect"]
        pid = post["id"]
        err = lambda m: errors.append(f"{pid}: {m}")
        # CONTRACT section 6 shape
        if set(row) != {"post", "expect"}:
            err("top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
            err("bad or duplicate id")
        seen.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            err("platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err("handle")
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"].strip():
            err("text")
        try:
            ts = parse_ts(post["created_at"])
            if not (2026 <= ts.year <= 2027):
                err("created_at year")
        except ValueError:
            err("created_at not RFC 3339")
            continue
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            err("categories not sorted/distinct/known")
        if exp["severity"] not in SEV:
            err("severity value")
        if not cats and exp["severity"] != "none":
            err("benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            err("positive with severity none/info")
        if exp["severity"] != severity(cats, role, post["text"]):
            err("severity mismatch")
        if role == "public" and c["acct"].lower() in {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}:
            err("public handle collides with profile")
        text = post["text"]
        low = text.lower()
        # checksummed identifiers
        found = ids_in(text)
        for kind, val, ok in found:
            if cats and not ok:
                err(f"positive carries failing {kind} {val}")
            if not cats and ok:
                err(f"benign carries valid {kind} {val}")
        if L_PII not in cats and any(ok for _, _, ok in found):
            err("valid identifier without leak.pii label")
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and not gh_token_ok(tok):
                err("github token with bad CRC in positive")
            if not cats and gh_token_ok(tok):
                err("valid github token in benign")
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            real = re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and "EXAMPLE" not in key
            if cats and not real:
                err("AWS key id malformed in positive")
            if not cats and real:
                err("real-looking AWS key id in benign")
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if cats and not jwt_ok(tok):
                err("JWT header does not decode")
            if not cats and jwt_ok(tok):
                err("decodable JWT in benign")
        if L_SEC in cats:
            ok = any([
                re.search(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text),
                re.search(r"\bAKIA[A-Z2-7]{16}\b", text),
                re.search(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text),
                re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text),
                re.search(r"\bsk_live_[0-9A-Za-z]{24,}", text),
                re.search(r"\bxoxb-\d+-\d+-[0-9A-Za-z]{24}\b", text),
                re.search(r"\bsk-proj-[A-Za-z0-9_-]{40,}", text),
                re.search(r"\bsk-ant-api03-[A-Za-z0-9_-]{90,}", text),
                re.search(r"://[^\s:/@]+:[^\s@]+@", text),
                re.search(r"(wachtwoord|ww)\s*:\s*\S{6,}", low),
            ])
            if not ok:
                err("leak.secret without a recognisable credential")
        if not cats and re.search(r"(wachtwoord|password|ww)\s*[:=]\s*\S", low):
            err("benign with a password assignment")
        # pricing
        if c["price"]:
            sku, amount = c["price"]
            p = prod[sku]
            names = [p["name"]] + p["aliases"]
            if not any(n.lower() in low for n in names):
                err(f"price case does not name {sku}")
            if L_PRI in cats and not amount < ratio * p["list_price"]:
                err("pricing positive not below ratio")
            if not cats and not amount >= 0.7 * p["list_price"]:
                err("benign price more than 30% off")
        if L_PRI in cats and not c["price"]:
            err("pricing positive without price metadata")
        # embargo
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and L_CON not in cats:
                        err(f"embargo term {term!r} before until without leak.confidential")
                    if ts >= until and not cats:
                        pass
        # internal names must not sit in benign posts
        if not cats:
            for d in PROFILE["internal"]["domains"]:
                if d.lower() in low:
                    err(f"benign mentions internal domain {d}")
            for m in PROFILE["internal"]["markers"]:
                if m.lower() in low:
                    err(f"benign carries marker {m}")
            if not c["allow_codename"]:
                for cn in PROFILE["internal"]["codenames"]:
                    if cn.lower() in low:
                        err(f"benign mentions codename {cn}")
            for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if e.lower() not in pub_emails:
                    err(f"benign carries non-public e-mail {e}")
            scrub = CARD_RE.sub(" ", IBAN_RE.sub(" ", text))
            for ph in re.findall(r"(?:\+31|0031|\b0)[\d \-()]{8,14}\d", scrub):
                if re.sub(r"\D", "", ph) not in pub_phone_digits and len(re.sub(r"\D", "", ph)) >= 9:
                    err(f"benign carries non-public phone {ph}")
    # mix
    n = len(rows)
    benign = sum(1 for r, _, _ in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"benign count {benign} outside 55-65")
    return errors, n, benign


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for row, _, _ in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    written = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    assert written == [r for r, _, _ in rows]
    errors, n, benign = check(rows)
    counts = {}
    for r, _, _ in rows:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    langs = {}
    for r, _, _ in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    print(f"{n} cases, {benign} benign; categories {dict(sorted(counts.items()))}; langs {langs}")
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
