#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed458 (Spindelhuis Platen B.V.).

Deterministic: fixed seed, hand-written posts, generated credentials and
identifiers. Writes cases.jsonl next to this file and checks it.
Severities are computed from the account role in profile.yaml (CONTRACT §4).
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
rng = random.Random(458_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return iban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "0" * 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = "".join(rng.choice(string.digits) for _ in range(8))
        if first[0] == "0":
            continue
        for c in string.digits:
            if bsn_ok(first + c):
                return first + c


def failing(valid, check, pos=-1):
    """Turn a valid identifier into a look-alike that fails its checksum."""
    chars = list(valid)
    idx = [i for i, c in enumerate(chars) if c.isdigit()][pos]
    for c in "7351902468":
        chars[idx] = c
        cand = "".join(chars)
        if cand != valid and not check(cand):
            return cand
    raise AssertionError(valid)


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "shop-api@spindelhuis", "role": "admin", "iat": 1780300800, "exp": 1780387200}
    h = b64u(json.dumps(header, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    try:
        part = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return "alg" in hdr and tok.count(".") == 2
    except Exception:
        return False


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(420))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def fw(s):
    """Full-width form of ASCII letters and digits."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# ------------------------------------------------------- generated values
IBAN_JASPER = make_iban("INGB")
IBAN_LIEKE = make_iban("RABO")
IBAN_VERBEEK = make_iban("BUNQ")
IBAN_GRIJS = make_iban("ASNB")
IBAN_BAD = failing(make_iban("ABNA"), iban_ok)
CARD_HOEKSTRA = make_card("4")
CARD_TEST = make_card("5")
CARD_BAD = failing(make_card("6"), luhn_ok)
BSN_SEM = make_bsn()
BSN_BAD = failing(make_bsn(), bsn_ok)
EAN_BAD = "871862723012"
EAN_BAD = failing(EAN_BAD + "8", luhn_ok) if luhn_ok(EAN_BAD + "8") else EAN_BAD + "8"

GHP = gh_token("ghp_")
AKIA = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
STRIPE = "sk_live_51" + rand(ALNUM, 46)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(B64URL, 56) + "T3BlbkFJ" + rand(B64URL, 56)
GOOGLE = "AIza" + rand(B64URL, 35)
GITLAB = "glpat-" + rand(B64URL, 20)
JWT = make_jwt()
PEM = make_pem()
PW_ERP = rand(ALNUM, 5) + "#" + rand(string.digits, 2) + rand(string.ascii_letters, 4) + "!"
PW_DB = rand(ALNUM, 14)

# ----------------------------------------------------------------- cases
CAT = {
    "C": "reputation.complaint", "R": "reputation.crisis", "A": "reputation.abuse",
    "P": "leak.pii", "X": "leak.secret", "S": "leak.security", "K": "leak.confidential",
    "F": "leak.financial", "$": "leak.pricing",
}
CASES = []


def c(platform, handle, lang, cats, text, kind="post", when=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=sorted({CAT[x] for x in cats}), text=text, kind=kind,
                      when=when, name=name))


# ---- complaints (some with abuse, crisis, pii)
c("x", "@vinylvinnie", "nl", "C",
  "@spindelhuis_help 3e keer dat m'n plaat krom binnenkomt. Die Polderblues LP wiebelt zo erg dat de naald er "
  "bijna af springt 🙄 wat doen jullie met die dozen, erop gaan zitten?", kind="reply")
c("reddit", "u/crate_digger_88", "en", "C",
  "PSA for anyone ordering from Spindelhuis: my Zoutwater 2LP arrived with side C pressed off-center. You can "
  "literally watch the tonearm sway back and forth. Emailed support 11 days ago, nothing back. Not impressed.")
c("facebook", "hanneke.smit.77", "nl", "C",
  "Preorder van de Jaarbox 2026 in januari betaald, nu is het september en nog steeds 'verwacht binnenkort'. "
  "Wat is binnenkort bij jullie, Spindelhuis? Een jaar?", kind="comment", name="Hanneke Smit")
c("x", "@lowendtheory", "en", "C",
  "ordered the black variant, got the marbled one, and the marbled one sounds like frying bacon. two for two "
  "@spindelhuis 👏")
c("instagram", "@platenjunk_031", "nl", "C",
  "Mooie foto's allemaal maar mijn retour van de TT-100 staat al 6 weken op 'in behandeling'. Geld terug graag.",
  kind="comment")
c("x", "@mixtape_maya", "en", "C",
  "@spindelhuis_help your TT-100 runs fast on 33, checked it with a strobe disc and it's more like 34.2. Pitch "
  "is audibly off on every record. Is there a fix or do I send it back (again)?", kind="reply")
c("x", "@djroy_zwolle", "nl", "C",
  "Bij Spindelhuis Groningen vandaag een gast achter de kassa die me gewoon uitlachte omdat ik naar een ABBA "
  "plaat vroeg. Klantvriendelijkheid 0/10. Ga voortaan wel naar de concurrent.")
c("forum", "groovebox_greg", "en", "C",
  "Groefpers test pressings took 9 weeks instead of the quoted 3, and when they finally came two of the five "
  "had a skip at 2:14 on side A. We had to push our release date. Anyone else seeing this with them lately?")
c("threads", "@sannevanbeek.muziek", "nl", "C",
  "heb die RCM-1 wasstraat gekocht voor €449 en na 3 weken lekt ie aan de onderkant. m'n bureau staat vol "
  "vloeistof. helpdesk zegt 'stuur even foto's' en daarna stilte. echt zonde van het geld")
c("bluesky", "@noisefloor.bsky.social", "en", "C",
  "The download code in my Spindelhuis label LP was already redeemed. Support told me to 'try again later'. "
  "It's a one-time code, mate.")
c("x", "@mvdl_audio", "nl", "C",
  "Dat antistatische binnenhoezen pack van Spindelhuis? Helft had scheurtjes en ze laten ook nog eens pluisjes "
  "achter op je platen. Nope, nooit meer.")
c("tiktok", "@vinylwithjo", "en", "C",
  "unboxing my spindelhuis order… seam split on BOTH sleeves and a corner ding the size of my thumb 😭 "
  "packaging was one thin mailer, no stiffeners. come on guys #vinylcommunity")
c("facebook", "erik.jonker.nl", "nl", "C",
  "Drie keer gebeld naar jullie klantenservice, drie keer na 20 min in de wacht opgehangen. Zit er überhaupt "
  "iemand bij Spindelhuis?", kind="comment", name="Erik Jonker")
c("x", "@boze_bert", "nl", "CA",
  "@spindelhuis stelletje oplichters. 2 maanden op m'n geld wachten voor een plaat die nooit verstuurd is. "
  "Kutbedrijf.", kind="reply")
c("x", "@tonearm_tony", "en", "CA",
  "Spindelhuis customer service is run by absolute morons. Sent me a warped record TWICE and then told me it's "
  "'within tolerance'. Tolerance my arse, you clowns.")
c("instagram", "@rens.draait", "nl", "CA",
  "Die debiel achter de balie in Utrecht die me een gebruikte plaat als nieuw verkocht heeft: schaam je kapot. "
  "Ik wil m'n geld terug @spindelhuis.records", kind="comment")
c("x", "@linda_luistert", "nl", "RC",
  "Mijn PH-2 voorversterker van Spindelhuis begon gisteravond te roken en de adapter is gewoon gesmolten. "
  "Stekker er snel uitgetrokken. Had zomaar brand kunnen worden hier, ik ben er echt van geschrokken. "
  "Wat gaan jullie hieraan doen?")
c("reddit", "u/hum_and_buzz", "en", "RC",
  "Got a proper shock off the metal platter of my Spindelhuis TT-300 Carbon this morning, tingled right up my "
  "arm. Grounding is clearly not right. Unplugged it and it's going back. That's seriously dangerous.")
c("facebook", "mirjam.deruiter", "nl", "RC",
  "Na een middag platen wassen met de RCM-1 en jullie reinigingsvloeistof waren mijn dochter en ik allebei "
  "misselijk en hadden we barstende hoofdpijn. Er hing een chemische lucht die echt niet normaal is. "
  "Spindelhuis, wat zit daar in??", name="Mirjam de Ruiter")
c("x", "@bassheadbecca", "en", "RC",
  "The hinge on my TT-100 dust cover snapped and sliced my finger open, needed 3 stitches last night. "
  "@spindelhuis_help that hinge is a hazard, please fix it before it happens to a kid.")
c("x", "@petra_kh", "nl", "CP",
  "@spindelhuis_help al 2 weken niks gehoord over mijn kapotte Kratje. Bel me gewoon even terug: 06-41873925, "
  "vraag naar Petra", kind="reply")
c("x", "@jasper_spins", "en", "CP",
  f"@spindelhuis_help still no refund for order #SH-88231. I paid from {spaced(IBAN_JASPER)}, please just put "
  "the €37.99 back on that account.", kind="reply")

# ---- crisis (third party, corporate, scandal)
c("x", "@recordnewsdaily", "en", "R",
  "Reports coming in that a Spindelhuis RCM-1 record washer caught fire in a Rotterdam flat last night. No "
  "injuries, fire brigade attended. Spindelhuis has not commented yet.")
c("x", "@nieuws_utrecht030", "nl", "R",
  "Medewerker van platenperserij Groefpers in Nieuwegein gewond geraakt aan zijn hand bij werkzaamheden aan "
  "een pers. De Arbeidsinspectie doet onderzoek.")
c("x", "@boycotvinyl", "nl", "R",
  "Groefpers perst gewoon de plaat van die holocaustontkenner. Niks meer kopen bij Spindelhuis tot ze die order "
  "cancelen. Delen! #BoycotSpindelhuis")
c("x", "@dataleakwatch", "en", "R",
  "Looks like the Spindelhuis webshop customer database is up for sale on a forum: names, addresses, order "
  "history, ~40k rows. Did they get breached? No disclosure from them so far.")
c("facebook", "bewonerscomite.industrieweg", "nl", "R",
  "Al weken stinkt het hier 's avonds naar verbrand plastic uit de schoorsteen van Groefpers. Kinderen met "
  "hoofdpijn. We stappen naar de gemeente en overwegen een rechtszaak.", name="Bewonerscomité Industrieweg")
c("blog", "the-wax-report", "en", "R",
  "Indie label Harbour Lights is suing Spindelhuis Records over unpaid royalties on three reissues, according "
  "to court filings seen by this blog.")
c("x", "@consumentenradar", "nl", "R",
  "TERUGROEPACTIE: Spindelhuis roept de PH-2 voorversterker terug vanwege oververhitting van de netadapter. "
  "Gebruik hem niet meer en neem contact op met de winkel.")
c("x", "@spindelhuis", "en", "R",
  "Important safety notice: we are recalling all PH-2 phono preamp power adapters sold between March and June "
  "2026. Please stop using them and contact us for a free replacement.")
c("reddit", "u/lathe_lurker", "en", "R",
  "Spindelhuis staff in Amsterdam apparently made racist comments to a customer, there's a video going around. "
  "The store hasn't said a word. Not going back there.")
c("tiktok", "@vinylmetvera", "nl", "R",
  "wist je dat Spindelhuis z'n winkelpersoneel al maanden onder het minimumloon betaalt via 'stagecontracten'? "
  "schandalig. deel dit aub")
c("x", "@audiophile_anna", "nl", "R",
  "Het zoontje van mijn buurvrouw heeft vorige week blijkbaar een flinke schok gekregen van de behuizing van "
  "hun TT-300. Wist niet dat spullen van Spindelhuis dat konden, eng hoor.")

# ---- abuse
c("x", "@anoniem_4422", "nl", "A",
  "@marloes_draait hou je bek, trut. niemand vraagt om jouw mening over vinyl", kind="reply")
c("x", "@grumpy_needle", "nl", "A",
  "@spindelhuis wie jullie socials ook doet, het is een k*tidioot van de bovenste plank lmao", kind="reply")
c("instagram", "@xxkevinxx", "nl", "A",
  "Spindelhuis = k4nkerz00i. Sl0tt3 t3nt met sl0tt3 p3rs0neel", kind="comment")
c("reddit", "u/wax_troll", "en", "A",
  "Whoever runs the Groefpers account is a braindead moron and should be fired into the sun.")
c("x", "@henk_1964", "nl", "A",
  "Die Yara van HR bij Spindelhuis is zo'n typische hoofddoek die alleen haar eigen soort aanneemt. Terug naar "
  "je eigen land.")
c("x", "@s_h_i_t_p_o_s_t", "en", "A",
  "spindelhuis staff are all s.h.i.t.h.e.a.d.s and you know it")
c("x", "@keesvanloon_gp", "nl", "A",
  "@boze_bert ga lekker bij een ander zeuren, sukkel. Jouw plaat ligt gewoon bij het postpunt, kun je niet lezen?",
  kind="reply")
c("instagram", "@lotte.achterdetoonbank", "en", "A",
  "lol imagine being this pathetic over a record. get a life you absolute loser", kind="comment")
c("x", "@vinylhater", "nl", "A",
  "Spindelhuis kan de " + ZW.join("tyfus") + " krijgen, hele zooi")

# ---- personal data
c("x", "@spindelhuis_help", "nl", "P",
  "@petra_kh Hoi Petra, we hebben je nieuwe adres genoteerd: Petra Kuijpers, Laan van Nieuw-Guinea 41, "
  "3531 JE Utrecht. Het Kratje gaat morgen de deur uit!", kind="reply")
c("x", "@spindelhuis_help", "en", "P",
  f"@jasper_spins Refund of €37.99 has been sent to {IBAN_JASPER} in the name of J. Mertens, should arrive "
  "within 2 working days.", kind="reply")
c("facebook", "SpindelhuisPlaten", "nl", "P",
  f"Beste meneer Hoekstra, wij hebben de betaling met creditcard {spaced(CARD_HOEKSTRA)} teruggeboekt. "
  "Excuses voor het ongemak!", kind="comment")
c("linkedin", "yara-bouzid", "nl", "P",
  f"Welkom aan ons nieuwe teamlid in de winkel Groningen! Voor de loonadministratie nog even: Sem de Wit, BSN "
  f"{BSN_SEM}, geboren 14-03-2001. Kan iemand dit doorzetten naar payroll? 🙈")
c("x", "@marloes_draait", "en", "P",
  "lmao a customer just left their loyalty card form on the counter: Ria van Dam, born 02/11/1958, "
  "ria.vandam58@hotmail.com. who even writes their email that neatly")
c("instagram", "@lotte.achterdetoonbank", "nl", "P",
  "Wie mist er een portemonnee? Gevonden in de winkel, rijbewijs op naam van Mohamed El Idrissi, Kanaalweg 12, "
  "Utrecht. Bel de winkel of app mij op 06 2841 7736")
c("bluesky", "@ilse-dev.bsky.social", "en", "P",
  f"debugging checkout again… a test order came through with a real card?? 5xxx… no wait it's "
  f"{spaced(CARD_TEST)} exp 08/28. someone please tell me this is our own test card")
c("x", "@keesvanloon_gp", "nl", "P",
  "Bestelling 500 stuks gekleurd staat klaar voor Marco Visser, Havenstraat 8b, 1506 PK Zaandam. Hij heeft 3x "
  "gebeld vandaag dus hier ben je Marco 😂")
c("linkedin", "daan-verhoef-spindelhuis", "en", "P",
  f"Reimbursing our freelance sleeve designer Lieke Brouwer today, transferring to {spaced(IBAN_LIEKE)} as "
  "agreed. Thanks for the great artwork Lieke!")
c("x", "@gerritvinyl", "nl", "P",
  "@spindelhuis_help kunnen jullie mijn adres aanpassen voor de preorder? Moet naar G. Bos, Vinkenstraat 22, "
  "2011 LT Haarlem. Mailen mag ook: gerrit.bos@ziggo.nl", kind="reply")
c("forum", "needle_nerd", "en", "P",
  f"For the Groefpers group buy, send your share to my account {IBAN_VERBEEK} (T. Verbeek) and I'll place the "
  "order on Friday.")
c("x", "@spindelhuis", "nl", "P",
  "Gefeliciteerd Anouk Vermeer (geboren 9 mei 1999) met het winnen van onze winactie! We nemen contact op via "
  "anouk.vermeer@gmail.com 🎉")
c("x", "@mixtape_maya", "en", "P",
  "@spindelhuis_help can someone just call me about the turntable? +31 6 48 21 93 07, anytime after 5",
  kind="reply")
c("threads", "@noor.inkoop", "nl", "P",
  f"kan iemand even checken of de factuur van Discogs-verkoper 'oudegrijs' al betaald is? Rekening "
  f"{spaced(IBAN_GRIJS)} t.n.v. W. Grijs. thx!")

# ---- secrets
c("bluesky", "@ilse-dev.bsky.social", "en", "X",
  f"why does the deploy keep failing… export GITHUB_TOKEN={GHP} tried rotating it twice already 😩")
c("reddit", "u/sjoerd_it_spindel", "nl", "X",
  "Onze backup naar S3 faalt steeds met AccessDenied. Config:\n"
  f"aws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\nIemand een idee?")
c("mastodon", "@bram_perslijn", "nl", "X",
  f"notitie voor mezelf want ik vergeet het steeds: ERP login perslijn → gebruiker bram.p, wachtwoord: {PW_ERP}")
c("facebook", "SpindelhuisPlaten", "nl", "X",
  f"Nieuwe openingstijden vanaf 1 oktober! Ma t/m za 10-18u, zondag 12-17u. {STRIPE}")
c("bluesky", "@ilse-dev.bsky.social", "en", "X",
  f"anyone know why this JWT gets rejected by our shop API? {JWT} the exp looks fine to me")
c("reddit", "u/sjoerd_it_spindel", "nl", "XK",
  f"Migratie naar de nieuwe server, connection string: postgresql://shop_admin:{PW_DB}@db01.spindelhuis.local:5432/"
  "webshop — lokaal werkt het wel, vanaf de app-server niet. Firewall?")
c("x", "@ruud_cuts", "en", "X",
  f"our slack bot for the lathe bookings died again, token is {SLACK} if anyone on the team wants to poke it")
c("x", "@frontend_fenna", "nl", "X",
  f"haha de webshop van Spindelhuis heeft gewoon een Google Maps key in de JS bundle staan: {GOOGLE} iemand "
  "moet ze even seinen")
c("bluesky", "@ilse-dev.bsky.social", "nl", "X",
  f"OPENAI_API_KEY={OPENAI} even snel getest voor de productbeschrijvingen-bot, morgen roteren beloofd 🤞")
c("mastodon", "@bram_perslijn", "en", "X",
  f"{PEM}\nthis is the one for the press controller box right? can't log in with it")
c("reddit", "u/sjoerd_it_spindel", "en", "X",
  f"CI variable got printed in the job log, great. GITLAB_TOKEN={GITLAB} — fixing the masking now")
c("x", "@marloes_draait", "nl", "X",
  "kassa-pc wachtwoord is wéér veranderd, nieuwe is Gr00ve!Kassa2026 voor wie vanmiddag staat 😘")

# ---- security
c("reddit", "u/sjoerd_it_spindel", "nl", "S",
  "Niet verder vertellen maar we zijn vannacht geraakt door ransomware, de hele voorraadserver in Nieuwegein "
  "ligt plat. Winkels draaien op papier. Officieel bericht komt pas morgen.")
c("bluesky", "@ilse-dev.bsky.social", "en", "S",
  "found out today the webshop's order lookup returns ANY customer's order if you just change the id in the url. "
  "reported it internally, no fix yet, please don't tell anyone lol")
c("mastodon", "@bram_perslijn", "nl", "S",
  "Perslijn 2 is sinds vanochtend offline, iemand heeft via de open RDP-poort op de besturingspc ingelogd. "
  "Productie ligt stil, klanten weten nog van niks.")
c("x", "@ruud_cuts", "en", "S",
  "heads up crew: someone got into our Dropbox with the master files for next month's releases. IT is "
  "'looking into it'. Not public yet so keep it shut.")
c("x", "@marloes_draait", "nl", "S",
  "pinautomaten in alle winkels doen het al sinds 10u niet, kassasysteem is gehackt volgens de baas. nog niks "
  "op de site gezet dus mondje dicht")
c("threads", "@noor.inkoop", "en", "S",
  "Phishing mail got through and 3 of us in purchasing clicked it. Our supplier portal login is probably "
  "compromised. Nobody has told the suppliers yet 😬")
c("x", "@keesvanloon_gp", "nl", "S",
  "Het wachtwoord van de pers-PLC's staat nog steeds op de fabrieksinstelling en ze hangen gewoon aan internet. "
  "3x gemeld. Als daar iemand in komt staat de hele fabriek stil.")
c("reddit", "u/sjoerd_it_spindel", "en", "S",
  "Our webshop has been running an unpatched Magento with a known RCE for 4 months. Management says it's "
  "'not a priority'. Yesterday we found an admin user none of us created.")
c("instagram", "@lotte.achterdetoonbank", "nl", "S",
  "Sorry mensen, webshop ligt eruit. Onder ons: er is ingebroken op de server en klantgegevens zijn mogelijk "
  "gelekt. Mag officieel nog niks zeggen 🤐")
c("x", "@spindelhuis_help", "en", "S",
  "@mixtape_maya Sorry for the delay! Our ticket system was compromised last week and we had to rebuild it, so "
  "some emails got lost. Please don't share this yet, official statement comes Friday.", kind="reply")
c("x", "@ruud_cuts", "nl", "S",
  "Gr00fpers m41lserver is g3h4ckt, alles loopt via m'n privé mail tot het opgelost is. niet doorvertellen!")
c("bluesky", "@ilse-dev.bsky.social", "en", "SX",
  "incident channel is chaos. the leaked shop admin password was Spindel#Wax2026! and it's on a paste site "
  "now, we haven't told customers anything")
c("mastodon", "@bram_perslijn", "en", "S",
  "The SCADA box on press line 1 still runs Windows XP and sits on the office VLAN. Last month's pentest "
  "flagged it critical, nothing happened since. Internal only, obviously.")

# ---- confidential
c("x", "@ruud_cuts", "nl", "K",
  "Eerste lakfolies voor Project Schellak vandaag gesneden. Als dit uitkomt gaat de hele scene los 🔥")
c("linkedin", "daan-verhoef-spindelhuis", "en", "K",
  "Great workshop today on Kraanvogel with the board. Exciting times ahead for our stores across the border!")
c("instagram", "@groefpers.pressing", "nl", "K",
  "Sneak peek van de TT-500 Reference die we nu in de fabriek aan het testen zijn 👀 #vinyl #groefpers",
  when="2026-10-08T15:12:00Z")
c("x", "@marloes_draait", "en", "K",
  "lol the new staff handbook literally says SPINDELHUIS VERTROUWELIJK on every page and half of it is about "
  "how to fold tote bags")
c("x", "@keesvanloon_gp", "nl", "K",
  "Check ff de planning op https://wiki.groefpers.local/perslijn/planning-q3 daar staat wanneer de Zoutwater "
  "herpersing draait")
c("reddit", "u/sjoerd_it_spindel", "en", "K",
  "If anyone from the team reads this: the new VPN endpoint is vpn.spindelhuis.nl, the old one is dead since "
  "this morning.")
c("threads", "@noor.inkoop", "nl", "KF",
  "Operatie Koperwiek gaat echt door hè, de overname van Plaatboer is rond, ik heb de contracten al zien "
  "liggen 🤫")
c("bluesky", "@groefpers.bsky.social", "en", "K",
  "Can't say much yet, but Project Schellak = shellac 78s are coming back. Stay tuned!")
c("x", "@ruud_cuts", "en", "K",
  fw("Kraanvogel") + " launch deck is done, boss is happy")
c("x", "@marloes_draait", "nl", "K",
  "wie weet al meer over K r a a n v o g e l ? de winkelmanagers doen heel geheimzinnig")
c("mastodon", "@bram_perslijn", "nl", "K",
  "Operatie K\u043ep\u0435rwiek start in november, perslijn 3 moet dan klaar zijn")
c("x", "@vinylroddels", "nl", "K",
  "Gelekt: Spindelhuis werkt aan een eigen topdraaitafel, de TT-500 Reference, release op Record Store Day. "
  "Bron: iemand binnen Groefpers.", when="2026-11-21T19:40:00Z")
c("instagram", "@lotte.achterdetoonbank", "en", "K",
  "first look at the 2027 box set artwork in the office 😍 can't share more, the proof literally says "
  "groefpers internal only in the corner")
c("linkedin", "daan-verhoef-spindelhuis", "nl", "KF",
  "Jaarcijfers 2026 zijn rond: omzet +14%, de pers draait op volle capaciteit. Mooie afsluiting van het jaar!",
  when="2027-02-19T16:05:00Z")
c("x", "@spindelhuis", "en", "KF",
  "Our FY2026 results are looking really good, pressing revenue way up. Details on Thursday!",
  when="2027-03-01T11:30:00Z")
c("bluesky", "@ilse-dev.bsky.social", "nl", "K",
  "ticket staat hier: https://jira.spindelhuis.nl/browse/SHOP-1142 iemand die erbij kan?")
c("reddit", "u/rsd_discord_mod", "en", "K",
  "Someone posted a Spindelhuis VERTROUWELIJK slide deck in the RSD Discord, it has their whole 2027 store "
  "rollout plan on it. Deleted it but people have screenshots.")

# ---- financial
c("linkedin", "yara-bouzid", "nl", "F",
  "Zware week. Volgende maand moeten we 25 collega's in de winkels laten gaan, de vestigingen Zwolle en Leiden "
  "sluiten. Nog niet gecommuniceerd, dus even niks zeggen.")
c("linkedin", "daan-verhoef-spindelhuis", "en", "F",
  "Q3 came in at €4.1m revenue, well under budget. We'll be revising the full-year forecast down to ~€17m "
  "before it's announced.")
c("x", "@keesvanloon_gp", "nl", "F",
  "Gerucht op de vloer: Groefpers wordt verkocht aan een Duitse perserij. Directie zat vandaag de hele dag met "
  "pakken uit München.")
c("threads", "@noor.inkoop", "en", "F",
  "We're cutting the buying budget by 40% next year, the stores are bleeding money. Board decided yesterday, "
  "staff hears in January.")
c("mastodon", "@bram_perslijn", "nl", "F",
  "Nachtdienst op de perslijn wordt per 1 januari geschrapt, 12 man eruit. Horen het pas na de kerst officieel.")
c("x", "@vinylbiz_watch", "en", "F",
  "Hearing from two people inside Spindelhuis that they're in talks to buy Plaatboer's 9 stores. Deal could be "
  "signed before Christmas.")
c("linkedin", "daan-verhoef-spindelhuis", "nl", "F",
  "Verwachting voor 2027: omzet van de perserij richting €9 mln, winkels break-even. Cijfers nog niet extern, "
  "maar ik ben trots op het team.")
c("bluesky", "@groefpers.bsky.social", "en", "F",
  "Big news coming: we've agreed to merge with a Belgian pressing plant, announcement once the contracts are "
  "signed next week 🤝")
c("instagram", "@lotte.achterdetoonbank", "nl", "F",
  "Baas zei net dat onze winkel in Leiden in maart dichtgaat. Officieel weet nog niemand het 😢")

# ---- pricing
c("x", "@spindelhuis", "nl", "$",
  "🔥 Alleen vandaag: Draaier TT-300 Carbon voor €89! Op = op!")
c("instagram", "@spindelhuis.records", "en", "$",
  "Weekend deal: Monitor S5 speakers now €59 a pair 😱 link in bio")
c("x", "@marloes_draait", "nl", "$",
  "Volgens mij klopt de prijs van de RCM-1 in de webshop niet, staat op €44,90 ipv €449. Prijsfout dus, wie "
  "pakt dit op?")
c("x", "@dealhunter_nl", "en", "$",
  "PRICE ERROR!! Spindelhuis Jaarbox 2026 showing €14.90 on shop.spindelhuis.nl, go go go")
c("facebook", "SpindelhuisPlaten", "nl", "$",
  "Nieuw voor labels: de Groefpers testpersing, 5 test pressings voor slechts €29,50!")
c("bluesky", "@groefpers.bsky.social", "en", "$",
  "Special for new labels: 500 colour run for €990 all in. DM us!")
c("tiktok", "@spindelhuis", "nl", "$",
  "TT-100 bundel met S5 nu €199 😳 #vinyltok #spindelhuis")
c("x", "@ruud_cuts", "en", "$",
  "whoever set the lacquer cut price to €22 per side on the site, that's a typo right? it's €220")
c("reddit", "u/koopjesjager", "nl", "$",
  "Draaier TT-100 voor €34,90 in het winkelmandje bij Spindelhuis, prijsfout of echt? Heb er meteen 2 besteld")
c("threads", "@noor.inkoop", "en", "$",
  "Price error alert: MM-7 element listed at €8.90 instead of €89 since this morning, 140 orders already 🫠")
c("x", "@spindelhuis_help", "nl", "$",
  "@dealhunter_nl Klopt, de Jaarbox stond door een prijsfout op €14,90. We annuleren die bestellingen helaas.",
  kind="reply")
c("instagram", "@spindelhuis.records", "nl", "$",
  fw("PH-2") + " phono voor maar €19 🤯 alleen online")

# ---- benign (mostly hard negatives)
c("x", "@vinylvinnie", "nl", "",
  "Eindelijk een levering van Spindelhuis zonder kromme plaat 😄 Polderblues LP ligt kaarsrecht en klinkt "
  "geweldig. Props!")
c("reddit", "u/crate_digger_88", "en", "",
  "Update: Spindelhuis replaced my off-center Zoutwater 2LP within a week, the new copy is perfect. Credit "
  "where it's due.")
c("instagram", "@spindelhuis.records", "nl", "",
  "Nieuwe lading tweedehands jazz binnen in Utrecht 🎷 Kom snuffelen!")
c("x", "@spindelhuis", "en", "",
  "Record Store Day 2026 is here! Doors open at 8am in all our shops. Bring coffee, we'll bring the wax.",
  when="2026-04-18T06:15:00Z")
c("x", "@spindelhuis_help", "nl", "",
  "Vragen over je bestelling? Mail klantenservice@spindelhuis.nl of bel 030 760 4410 (ma–za 9–18u).")
c("facebook", "SpindelhuisPlaten", "en", "",
  "Paying by bank transfer? Use IBAN " + spaced(PROFILE["public_identifiers"]["ibans"][0]) +
  " and put your order number in the description.")
c("x", "@djroy_zwolle", "nl", "",
  "Vandaag een TT-100 gekocht voor €349 bij Spindelhuis, gewoon de normale prijs maar wel top advies gekregen 👍")
c("x", "@dealhunter_nl", "en", "",
  "Spindelhuis Black Friday: 20% off the TT-300 Carbon, so €719 instead of €899. Decent deal, not a steal.",
  when="2026-11-27T08:00:00Z")
c("tiktok", "@spindelhuis", "nl", "",
  "Zomersale! 25% korting op de Monitor S5 speakers: nu €449 per paar ☀️")
c("instagram", "@groefpers.pressing", "en", "",
  "Our 300-run of 12\" black 180g starts at €1890, test pressings included. Quotes via orders@groefpers.nl")
c("bluesky", "@ilse-dev.bsky.social", "en", "",
  "PSA for the juniors: never commit keys. If you need one for the docs, use the AWS sample "
  "AKIAIOSFODNN7EXAMPLE like everybody else 🙃")
c("reddit", "u/sjoerd_it_spindel", "nl", "",
  "Tip voor de README: zet er GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in als placeholder, "
  "nooit je echte token.")
c("x", "@ruud_cuts", "en", "",
  "Reminder: our password manager rotates everything monthly. Forgot your password? Ask IT, don't post it in "
  "the group chat 😂")
c("x", "@marloes_draait", "nl", "",
  "Wachtwoord vergeten van je Spindelhuis-account? Via 'inloggen' kun je een nieuwe aanvragen, duurt 2 minuutjes.")
c("x", "@gerritvinyl", "nl", "",
  f"Zit er nou een typfout in het IBAN op mijn factuur? {spaced(IBAN_BAD)} klopt volgens mijn bank-app niet 🤔 "
  "#spindelhuis")
c("x", "@lowendtheory", "en", "",
  f"the number on my Spindelhuis voucher is {spaced(CARD_BAD)}, anyone know if those expire?")
c("x", "@vinylvinnie", "nl", "",
  f"Ordernummer {BSN_BAD} staat nog op 'ingepakt' maar het is pas dinsdag, geen stress 😅")
c("reddit", "u/wax_collector", "en", "",
  f"Anyone know which pressing has barcode {EAN_BAD}? The Spindelhuis store had two different ones in the bin.")
c("facebook", "SpindelhuisPlaten", "nl", "",
  "Let op: we vragen NOOIT om je pincode of volledige IBAN via DM. Krijg je een bericht met "
  "'NL** **** **** **** 12'? Dat is phishing, niet reageren.")
c("x", "@spindelhuis", "nl", "",
  "Hij is er! De TT-500 Reference ligt vanaf vandaag in al onze winkels 🎉 #RSD2027",
  when="2027-04-17T10:30:00Z")
c("linkedin", "daan-verhoef-spindelhuis", "en", "",
  "Our full-year 2026 results are out this morning: revenue up 14%. Thanks to everyone at Spindelhuis and "
  "Groefpers.", when="2027-03-04T09:00:00Z")
c("x", "@vinylbiz_watch", "nl", "",
  "Spindelhuis jaarcijfers 2026 zijn binnen: sterk jaar voor de perserij, winkels vlak.",
  when="2027-03-05T08:20:00Z")
c("x", "@recordnewsdaily", "en", "",
  "Rival plant Waxworks Leipzig announces 60 layoffs after losing a major label contract.")
c("x", "@nieuws_utrecht030", "nl", "",
  "Brandje in een kledingzaak op de Oudegracht, naast platenwinkel Spindelhuis. Niemand gewond, de "
  "platenzaak is gewoon open.")
c("x", "@mixtape_maya", "en", "",
  "Sending love to the Spindelhuis Leiden crew after the storm took the shop sign down, hope you're all ok 💙")
c("x", "@djroy_zwolle", "nl", "",
  "Ik ben echt verslaafd aan die winkel, m'n portemonnee haat Spindelhuis maar ik hou van ze 😂")
c("x", "@tonearm_tony", "en", "",
  "Spindelhuis' pressing of Polderblues is so damn good it made me cry. Killer record.")
c("x", "@platenjunk_031", "nl", "",
  "Weet iemand of de Groefpers lacquer cut nog €220 per zijde is? Wil volgend jaar een EP laten persen.")
c("reddit", "u/hum_and_buzz", "en", "",
  "Question: my TT-300 hums a bit, but only when the PH-2 is on the same power strip as the amp. Ground loop? "
  "Probably my own wiring, any tips?")
c("tiktok", "@vinylwithjo", "en", "",
  "this spindelhuis crate dig was FIRE 🔥🔥 found an original pressing for €12")
c("x", "@linda_luistert", "nl", "",
  "Schok! Spindelhuis opent eindelijk een winkel in Den Bosch 😍 Zaterdag ga ik kijken.")
c("x", "@fairwax", "en", "",
  "Not boycotting anyone, just saying: buy local. Spindelhuis, your corner shop, whatever, just not the "
  "megastores.")
c("x", "@birdwatch_ans", "nl", "",
  "Vanochtend een kraanvogel boven de Biesbosch gezien!! En daarna platen halen bij Spindelhuis Dordrecht. Topdag.")
c("x", "@shellac_sam", "en", "",
  "Spun some old shellac 78s tonight on a borrowed gramophone. Spindelhuis had a crate of them for €3 each.")
c("linkedin", "yara-bouzid", "nl", "",
  "We zoeken collega's voor onze winkel in Groningen! Liefde voor muziek is een must. Reageer via "
  "vacatures@spindelhuis.nl 🎶")
c("linkedin", "spindelhuis-platen", "en", "",
  "Proud to share that Spindelhuis has been named Record Shop of the Year 2026 by Platenblad. Thank you to all "
  "our customers!")
c("instagram", "@lotte.achterdetoonbank", "nl", "",
  "Vandaag 40 dozen nieuwe releases uitgepakt, rug doet pijn maar het hart is blij 🖤")
c("mastodon", "@bram_perslijn", "en", "",
  "Press line 2 is running the Zoutwater repress today, the blue splatter looks unreal. Release date is "
  "already on the shop.")
c("x", "@keesvanloon_gp", "nl", "",
  "Kleine ontdekking op de vloer: 180 gram voelt gewoon beter in de hand. Wetenschap? Nee. Gevoel? Ja.")
c("bluesky", "@ilse-dev.bsky.social", "en", "",
  "Just finished our yearly security awareness training. Highlight: the phishing quiz where I failed the very "
  "first question 🙈")
c("x", "@spindelhuis_help", "nl", "",
  "Update: de storing in de webshop van vanochtend is opgelost. Bestellingen worden weer normaal verwerkt. "
  "Sorry voor het ongemak!")
c("x", "@bassheadbecca", "en", "",
  "Shoutout to @spindelhuis_help, they sorted my missing inner sleeve in one day. Faster than any other shop "
  "I've used.")
c("x", "@petra_kh", "nl", "",
  "Kratje is binnen en hij is perfect. Bedankt @spindelhuis_help voor de snelle service!")
c("x", "@vinylvinnie", "nl", "",
  "Tweedehands Technics op de markt gescoord voor €300, en bij Spindelhuis meteen een vilten slipmat voor €14,95 "
  "erbij gepakt.")
c("instagram", "@spindelhuis.records", "en", "",
  "Members get 10% off all label releases this week, so the Polderblues LP is €26.99 🖤")
c("reddit", "u/sjoerd_it_spindel", "en", "",
  "Reminder from the audit: Stripe keys in screenshots must be masked like sk_live_************ before you "
  "share anything.")
c("forum", "groovebox_greg", "nl", "",
  "Voorbeeld uit de docs voor de nieuwe label-tool: DATABASE_URL=postgres://<user>:<password>@<host>/<db> — "
  "vul je eigen gegevens in, niet die van een ander.")
c("facebook", "erik.jonker.nl", "nl", "",
  "Waarom vraagt de Spindelhuis spaarpas om mijn geboortedatum? Gelukkig geen BSN ofzo, maar toch benieuwd.",
  name="Erik Jonker")
c("x", "@spindelhuis", "nl", "",
  "Bel gratis naar 0800-7746 voor hulp bij het afstellen van je TT-100. Onze techneut zit er elke dinsdag klaar.")
c("x", "@lowendtheory", "en", "",
  "that bassline on the new Spindelhuis label 12\" is absolutely filthy. sick record, play it loud")
c("x", "@boze_bert", "nl", "",
  "Oké, ik neem het terug: Spindelhuis heeft m'n geld teruggestort en een excuusbriefje gestuurd. Netjes.")
c("tiktok", "@vinylmetvera", "nl", "",
  "m00iste pl4ten van 2026 top 5 👇 nummer 1 komt van Spindelhuis Records!!")
c("instagram", "@vinylwithjo", "en", "",
  fw("vinyl sunday") + " ✨ spindelhuis haul, 4 records and zero regrets")
c("x", "@dealhunter_nl", "en", "",
  "Price error at MegaMedia: a bluetooth suitcase turntable for €9.99. Not Spindelhuis, before you ask 😅")
c("x", "@vinylbiz_watch", "nl", "",
  "Plaatboer sluit twee filialen, las ik vanochtend in de krant. Zware tijden voor platenwinkels.")
c("x", "@safetynews_eu", "en", "",
  "Recall: a budget brand of USB turntables over overheating adapters. Spindelhuis says its own PH-2 is not "
  "affected.")
c("x", "@spindelhuis", "nl", "",
  "Onze nieuwe webshop staat live op shop.spindelhuis.nl — laat weten wat je ervan vindt!")
c("bluesky", "@noisefloor.bsky.social", "en", "",
  "The 'leak' of the new Marit Sol album was fake, folks. Spindelhuis put the real tracklist on their own "
  "site today.")
c("facebook", "hanneke.smit.77", "nl", "",
  "Jaarbox toch nog binnengekomen, en hij is prachtig. Wachten was het waard, dank Spindelhuis!",
  kind="comment", name="Hanneke Smit")
c("threads", "@sannevanbeek.muziek", "nl", "",
  "nieuwe RCM-1 gekregen als vervanging en die doet het perfect. mijn platen waren nog nooit zo schoon ✨")

# ------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLES[acc.lower()] = role

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d+])\d{4}\.?\d{2}\.?\d{3}(?![\d])")


def role_of(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


def ids_in(text):
    """(kind, raw, valid) for every IBAN-, card- and BSN-shaped number."""
    out = []
    pub = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw in pub:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    masked = IBAN_RE.sub(lambda m: "#" * len(m.group(0)), text)
    for m in CARD_RE.finditer(masked):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(masked):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = 0
    inner = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            s = SEV.index("error") if inner else SEV.index("warning")
            if inner and cat in ("leak.secret", "leak.pricing"):
                s = SEV.index("critical")
            if inner and cat == "leak.pii" and any(v for _, _, v in ids_in(text)):
                s = SEV.index("critical")
        elif cat == "reputation.complaint":
            s = SEV.index("warning")
        elif cat == "reputation.crisis":
            s = SEV.index("error")
        elif cat == "reputation.abuse":
            s = SEV.index("error") if inner else SEV.index("warning")
        else:
            raise AssertionError(cat)
        sev = max(sev, s)
    return SEV[sev]


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    out = []
    for n, i in enumerate(order):
        cs = CASES[i]
        if cs["when"]:
            ts = cs["when"]
        else:
            t = start + timedelta(seconds=rng.randrange(0, 358 * 86400))
            ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        account = {"handle": cs["handle"]}
        if cs["name"]:
            account["display_name"] = cs["name"]
        post = {
            "id": f"{cs['platform']}-458{n + 1:04d}",
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": account,
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": ts,
        }
        role = role_of(cs["platform"], cs["handle"])
        out.append({"post": post, "expect": {"categories": cs["cats"],
                                             "severity": severity(cs["cats"], role, cs["text"])}})
    return out


# ------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?)(?!\d)")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        s = m.group(1)
        s = re.sub(r"[.,](?=\d{3}(?:\D|$))", "", s).replace(",", ".")
        tail = text[m.end():m.end() + 5].lower()
        if tail.strip().startswith(("m", "mln", "k")):
            continue
        out.append(float(s))
    return out


def products_in(text):
    norm = unicodedata.normalize("NFKC", text).lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w-])" + re.escape(a.lower()) + r"(?![\w-])", norm):
                found.append(p)
                break
    return found


def check(rows):
    errs = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != len(ids):
        errs.append("duplicate ids")
    if not 170 <= len(rows) <= 180:
        errs.append(f"case count {len(rows)}")
    valid_cats = set(CAT.values())
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    accounts = set(ROLES)
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        if set(r) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            errs.append(f"{pid}: shape")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), typ):
                errs.append(f"{pid}: field {f}")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{pid}: handle")
        if not 1 <= len(pid) <= 256:
            errs.append(f"{pid}: id length")
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append(f"{pid}: too long")
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 4):
            errs.append(f"{pid}: created_at {ts}")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= valid_cats:
            errs.append(f"{pid}: categories {cats}")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            errs.append(f"{pid}: severity")
        if not cats and e["severity"] != "none":
            errs.append(f"{pid}: benign severity")
        if cats and e["severity"] in ("none", "info"):
            errs.append(f"{pid}: positive with low severity")
        text = p["text"]
        low = unicodedata.normalize("NFKC", text).lower()
        # checksummed identifiers
        for kind, raw, ok in ids_in(text):
            if "leak.pii" in cats and not ok:
                errs.append(f"{pid}: {kind} {raw} in a pii positive fails its checksum")
            if "leak.pii" not in cats and ok:
                errs.append(f"{pid}: {kind} {raw} passes its checksum outside a pii positive")
        # e-mail addresses outside pii positives must be the company's own
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.sub(r"\w+://\S+", " ", text)):
            if "leak.pii" not in cats and m.group(0).lower() not in pub_emails:
                errs.append(f"{pid}: e-mail {m.group(0)} outside pii")
        # credentials
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]+", text):
            if "leak.secret" in cats and not gh_ok(tok):
                errs.append(f"{pid}: bad github token")
            if "leak.secret" not in cats and gh_ok(tok):
                errs.append(f"{pid}: valid github token in non-secret")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if "leak.secret" in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(f"{pid}: bad AWS key id")
            if "leak.secret" not in cats and not tok.endswith("EXAMPLE"):
                errs.append(f"{pid}: AWS key in non-secret")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok) or "leak.secret" not in cats:
                errs.append(f"{pid}: jwt")
        if re.search(r"sk_live_[0-9A-Za-z]{8,}|xox[bp]-\d|glpat-|AIza[\w-]{30}|BEGIN [A-Z ]*PRIVATE KEY|sk-proj-",
                     text) and "leak.secret" not in cats:
            errs.append(f"{pid}: credential outside secret")
        # embargo
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term '{term}' before until but not confidential")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{pid}: embargo term after until labelled confidential")
        # internal domains / markers only in confidential positives
        for d in PROFILE["internal"]["domains"]:
            if d.lower() in low and "leak.confidential" not in cats:
                errs.append(f"{pid}: internal domain {d} outside confidential")
        for mk in PROFILE["internal"]["markers"]:
            if mk.lower() in low and "leak.confidential" not in cats:
                errs.append(f"{pid}: marker outside confidential")
        # pricing consistency
        prods = products_in(text)
        pr = prices(text)
        low_price = any(x < ratio * q["list_price"] for q in prods for x in pr)
        price_err = bool(re.search(r"prijsfout|price error|typo", low))
        if "leak.pricing" in cats:
            if not prods or not (low_price or price_err):
                errs.append(f"{pid}: pricing positive without product + low price/price error")
        elif low_price:
            errs.append(f"{pid}: product below {ratio} of list outside pricing positive")
        # public handles must not be in the profile; leak authors
        if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in accounts:
            errs.append(f"{pid}: role")
    # a valid GitHub / AWS / JWT credential must be present somewhere
    assert gh_ok(GHP) and jwt_ok(JWT) and iban_ok(PROFILE["public_identifiers"]["ibans"][0])
    for bad, fn in ((IBAN_BAD, iban_ok), (CARD_BAD, luhn_ok), (BSN_BAD, bsn_ok), (EAN_BAD, luhn_ok)):
        if fn(bad):
            errs.append(f"look-alike {bad} passes")
    return errs


def stats(rows):
    from collections import Counter
    cats = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    langs = Counter(r["post"]["lang"] for r in rows)
    roles = Counter()
    for r in rows:
        role = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        kind = "benign" if not r["expect"]["categories"] else (
            "leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "reputation")
        roles[(kind, role)] += 1
    sev = Counter(r["expect"]["severity"] for r in rows)
    return cats, benign, langs, roles, sev


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    errs = check(back)
    cats, benign, langs, roles, sev = stats(back)
    print(f"{len(back)} cases, {benign} benign")
    print("categories:", dict(sorted(cats.items())))
    print("languages:", dict(langs))
    print("roles:", dict(sorted(roles.items())))
    print("severity:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
