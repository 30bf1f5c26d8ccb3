#!/usr/bin/env python3
"""Build the labelled evaluation set 267 (Drieluik Betalen B.V., a BNPL service).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own IBAN excepted);
  * generated credentials are well-formed (GitHub CRC-32, AWS id, JWT header ...);
  * codenames, markers, internal domains and embargo terms only appear where the
    label says leak.confidential (embargo terms only before `until`);
  * severities are computed from CONTRACT section 4 and the account role in the
    profile, never typed by hand.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 267
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- ids
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM


def rand_str(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(str(rng.randint(0, 9)) for _ in range(10))
    r = bban + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def bad_iban(bank):
    good = make_iban(bank)
    ck = int(good[2:4])
    bad = "NL%02d%s" % ((ck + 7) % 100, good[4:])
    assert not iban_valid(bad)
    return bad


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
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            num = body + c
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    last = str((int(good[-1]) + 3) % 10)
    bad = good[:-1] + last
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


# ------------------------------------------------------------------- credentials
def github_token(prefix="ghp_"):
    body = rand_str(30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({
        "sub": "mrc_%d" % rng.randint(100000, 999999),
        "role": "merchant_admin",
        "iss": "auth.staging.drieluik.nl",
        "iat": 1767225600 + rng.randint(0, 20000000),
        "exp": 1799000000,
    }, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def rsa_key_body():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1192 - len(der)))
    b = base64.b64encode(der).decode()
    return "\n".join(b[i:i + 64] for i in range(0, len(b), 64))


B32AWS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "_-"
B64CH = ALNUM + "+/"

V = {}
V["COMPANY_IBAN"] = PROFILE["public_identifiers"]["ibans"][0]
V["IBAN_P1"] = spaced(make_iban("INGB"))
V["IBAN_P2"] = make_iban("ABNA")
V["IBAN_P3"] = spaced(make_iban("KNAB"))
V["CARD1"] = make_card("4")
V["CARD2"] = make_card("52")
V["BSN1"] = make_bsn()
V["BSN2"] = make_bsn()
V["BAD_IBAN1"] = spaced(bad_iban("RABO"))
V["BAD_IBAN2"] = bad_iban("ASNB")
V["BAD_CARD1"] = bad_card("4")
V["BAD_BSN1"] = bad_bsn()
V["GHP1"] = github_token("ghp_")
V["AKIA1"] = "AKIA" + rand_str(16, B32AWS)
V["AWSSEC1"] = rand_str(40, B64CH)
V["MOLLIE1"] = "live_" + rand_str(30)
V["SLACK1"] = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand_str(24))
V["OPENAI1"] = "sk-proj-" + rand_str(74, URLSAFE) + "T3BlbkFJ" + rand_str(74, URLSAFE)
V["STRIPE1"] = "sk_live_51" + rand_str(97)
V["GLPAT1"] = "glpat-" + rand_str(20, URLSAFE)
V["GOOGLEKEY1"] = "AIza" + rand_str(35, URLSAFE)
V["JWT1"] = make_jwt()
V["PRIVKEY1"] = rsa_key_body()
V["PGPASS"] = rand_str(22)

# what each placeholder is, for the self-check
IDENT_KIND = {"IBAN_P1": "iban", "IBAN_P2": "iban", "IBAN_P3": "iban", "CARD1": "card",
              "CARD2": "card", "BSN1": "bsn", "BSN2": "bsn", "BAD_IBAN1": "iban",
              "BAD_IBAN2": "iban", "BAD_CARD1": "card", "BAD_BSN1": "bsn"}
SECRET_KEYS = {"GHP1", "AKIA1", "AWSSEC1", "MOLLIE1", "SLACK1", "OPENAI1", "STRIPE1",
               "GLPAT1", "GOOGLEKEY1", "JWT1", "PRIVKEY1", "PGPASS"}

# ------------------------------------------------------------------- categories
CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
SECU = "leak.security"
CONF = "leak.confidential"
FIN = "leak.financial"
PRICE = "leak.pricing"

CASES = []


def P(platform, handle, lang, cats, text, kind=None, at=None):
    if kind is None:
        kind = "reply" if text.lstrip().startswith("@") else "post"
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=cats,
                      text=text, kind=kind, at=at))


# =========================================================================
# Complaints (public)
# =========================================================================
P("x", "@lisa_vanderveen", "nl", [CMP],
  "@drieluik_help al 3 weken wacht ik op mijn terugbetaling. Broek teruggestuurd op 2 mei, "
  "winkel zegt dat ze het hebben verwerkt, maar in jullie app staat nog steeds dat ik de 2e "
  "termijn moet betalen?? Wie helpt me")
P("x", "@markhollis", "en", [CMP],
  "Paid my last Drieluik instalment on time, screenshot and all, and today I get a €15 late fee. "
  "Support chat just loops me back to the FAQ. Absolute joke of a service")
P("facebook", "Ans.Verhoeven.52", "nl", [CMP],
  "Heb nu een brief van een incassobureau gekregen voor een bedrag dat ik allang heb betaald via "
  "Drieluik. 45 euro extra kosten erbij. Ik ben 71 en lig er wakker van. Heb gebeld maar na 40 "
  "minuten wachten werd ik gewoon afgehangen.")
P("x", "@tim_ozturk", "nl", [CMP],
  "@drieluik app doet het weer niet, elke keer 'er ging iets mis' bij inloggen. 4e keer deze maand. "
  "fix het nou eens")
P("reddit", "u/throwaway_bnpl_nl", "en", [CMP],
  "PSA: Drieluik split my €240 order into 3 but charged the first two instalments on the same day. "
  "Got an overdraft fee from my bank because of it. Support says it's \"a known display issue\" "
  "but the money is very much gone from my account. Anyone else seeing this?")
P("instagram", "@_mila.de.wit", "nl", [CMP],
  "drieluik weigert mn betaling bij elke webshop terwijl ik nog NOOIT te laat heb betaald 🙄 geen "
  "uitleg, niks. 'we kunnen je aanvraag nu niet goedkeuren'. top service hoor", kind="comment")
P("forum", "@Henk_R_marktkoopman", "en", [CMP],
  "Ordered a Drieluik Tap Mini for my market stall. Arrived with a cracked screen, requested a "
  "replacement 12 days ago, still nothing. Lost two Saturdays of card payments. Not impressed.")
P("x", "@sjoerdbakt", "nl", [CMP],
  "Mijn Drieluik Metal Card is na 2 maanden al verbogen en de chip wordt niet meer herkend. Voor "
  "89 euro per jaar verwacht ik toch wel iets meer dan dit 😤")
P("x", "@priya_codes", "en", [CMP],
  "hey @drieluik_help your 'pay in 3' reminder emails keep going to my old address even tho I "
  "changed it in the app twice. missed a payment bc of it and now there's a fee on top. pls sort "
  "this out", kind="post")
P("forum", "@bakkerij_jansen_ede", "nl", [CMP],
  "Sinds de update van vorige week rekent de Drieluik Kassa Terminal bij ons de transactiekosten "
  "dubbel. Op een drukke zaterdag scheelt dat zo 60 euro. Ticket staat al 9 dagen open zonder "
  "enige reactie.")
P("tiktok", "@zoe.lifestyle", "nl", [CMP],
  "storytime: ik retourneer een jurk van 80 euro, webshop bevestigt het, en drieluik blijft me "
  "gewoon herinneringen sturen met 'LAATSTE WAARSCHUWING' in het onderwerp. zo stressvol dit "
  "#drieluik #bnpl #klantenservice")

# complaint + own personal data (public)
P("x", "@rianne_k88", "nl", [CMP, PII],
  "@drieluik_help ik wacht al 2 dagen op een terugbelverzoek. Bel me nou gewoon: 06-41 82 73 95. "
  "Het gaat om een dubbele afschrijving van €63,33!!")
P("x", "@dan_whitfield", "en", [CMP, PII],
  "@drieluik_help you refunded to the wrong account AGAIN. My IBAN is <<IBAN_P1>>, not whatever "
  "you have on file. Third time I'm telling you.")
P("facebook", "Gerrit.Post.1960", "nl", [CMP, PII],
  "Drieluik reageert niet op mijn mails. Dan maar hier openbaar: mijn account staat op "
  "g.post1960@ziggo.nl, bel of mail me want die incassokosten ga ik echt niet betalen.")

# complaint + abuse (public)
P("x", "@kevin_z0", "nl", [CMP, ABU],
  "drieluik is echt een kutbedrijf. 3x een fout in mijn termijnen en niemand die de telefoon "
  "opneemt. stelletje prutsers")
P("reddit", "u/angrycustomer_nl", "en", [CMP, ABU],
  "Drieluik support are useless fucking morons. Cancelled order, refund 'processing' for 5 weeks "
  "now. Never again.", kind="comment")

# safety, first-hand: crisis + complaint
P("x", "@nadia_verkoop", "nl", [CRI, CMP],
  "Mijn Drieluik Tap Pro werd vanmiddag gloeiend heet aan de lader en begon te roken op de "
  "toonbank 😳 snel de stekker eruit getrokken. Dat ding ligt nu buiten op de stoep. Hoe kan dit?? "
  "@drieluik_help")
P("instagram", "@jess.travels", "en", [CRI, CMP],
  "My Drieluik Ring literally burned my finger. Red blistered mark all the way round after wearing "
  "it all day at the office, and it was hot to the touch when I took it off. Not okay "
  "@drieluik.pay")
P("facebook", "Marco.Schipper.77", "nl", [CRI, CMP],
  "Kreeg een flinke schok toen ik het Drieluik Laadstation in het stopcontact deed, mijn hand "
  "tintelt nog steeds. Ding is 3 weken oud. Dit is gewoon gevaarlijk.")
P("forum", "@cafe_deboog", "en", [CRI, CMP],
  "Our Drieluik Kassa Printer caught fire this morning during the breakfast rush. Small flames from "
  "the paper slot, our barista put it out with a wet towel. Nobody hurt but we're shaken. Support "
  "line says 'send it back'. That's it?")

# =========================================================================
# Crisis (mostly public)
# =========================================================================
P("x", "@alkmaarsnieuws", "nl", [CRI],
  "Brandweer rukte vanochtend uit naar een kledingwinkel aan de Langestraat: een betaalautomaat "
  "van Drieluik vloog volgens de eigenaar in brand. Niemand raakte gewond. #Alkmaar")
P("bluesky", "@techwatchdog.bsky.social", "en", [CRI],
  "Multiple reports now of the Drieluik Ring causing skin burns. Drieluik hasn't said a word. If you "
  "own one, stop wearing it until there's an answer.")
P("x", "@privacyrik", "nl", [CRI],
  "Datalek bij Drieluik? Op een hackersforum wordt een bestand aangeboden met 'klantgegevens "
  "Drieluik Betalen', inclusief kredietlimieten. Drieluik zwijgt. Wie weet meer?")
P("reddit", "u/infosec_lurker", "en", [CRI],
  "Drieluik customer database is up for sale on a breach forum, 1.2M rows apparently. The sample "
  "looks legit (names, phone numbers, credit scores). They haven't notified anyone as far as I can "
  "tell.")
P("x", "@schuldvrij_nl", "nl", [CRI],
  "Drieluik sponsort het eindexamenfeest en deelt 'gratis' termijnen uit aan 17-jarigen. Schulden "
  "verkopen aan scholieren. Wij roepen op: boycot Drieluik, verwijder die app. #BoycotDrieluik")
P("tiktok", "@moneywithmaya", "en", [CRI],
  "stop using drieluik. they're pushing pay later on teenagers and bragging about 'gen z growth' "
  "while kids rack up debt. delete the app, tell ur friends #boycottdrieluik")
P("linkedin", "mr-eva-rutgers-advocaat", "nl", [CRI],
  "Namens ruim 3.000 gedupeerden hebben wij vandaag een collectieve vordering ingesteld tegen "
  "Drieluik Betalen B.V. wegens onrechtmatig in rekening gebrachte incassokosten. De dagvaarding "
  "is betekend.")
P("x", "@onderzoek_bb", "nl", [CRI],
  "Uit documenten die wij inzagen blijkt dat Drieluik klanten met een betalingsachterstand bewust "
  "doorstuurde naar een incassobureau van een van de oprichters. Morgen het hele verhaal. "
  "#Drieluik")
P("x", "@gadgetrecalls", "en", [CRI],
  "RECALL: Drieluik Laadstation units sold between March and June may overheat. Owners are advised "
  "to unplug them immediately and stop using them. Details in the NVWA notice.")
P("x", "@fin_nieuws_nl", "nl", [CRI],
  "AFM start onderzoek naar Drieluik vanwege misleidende reclame over 'achteraf betalen zonder "
  "risico'. De boete kan in de miljoenen lopen.")
P("x", "@boze_moeder_nl", "nl", [CRI, ABU],
  "Drieluik heeft mijn dochter van 16 gewoon een limiet van 500 euro gegeven. Vuile aasgieren zijn "
  "jullie, verdienen aan kinderen. Ik stap naar de rechter.")

# =========================================================================
# Abuse
# =========================================================================
P("x", "@xxdennisxx", "nl", [ABU],
  "@drieluik jullie zijn echt kanker\u200blijers, hoop dat jullie failliet gaan")
P("x", "@rxbel_99", "en", [ABU],
  "whoever runs the @drieluik account is a brain-dead clown lmao", kind="post")
P("reddit", "u/tokkie_420", "nl", [ABU],
  "dr1eluik is 1 gr0te k4nk3rz00i, stelletje t3ringl1jers", kind="comment")
P("x", "@notabot_7731", "en", [ABU],
  "@maartje_dl nobody cares about your stupid product demos, you talentless cow. do everyone a "
  "favour and quit")
P("instagram", "@sven_jvd", "nl", [ABU],
  "Die gast in jullie reclame is zo'n irritante kutkop, elke keer als ik YouTube open 🤮 #drieluik",
  kind="comment")
P("x", "@bramdev_nl", "nl", [ABU],
  "@kevin_z0 misschien eerst leren lezen voordat je gaat janken, sukkel. Het staat gewoon in de "
  "voorwaarden.")
P("tiktok", "@drieluikpay", "nl", [ABU],
  "@zoe.lifestyle huil niet zo, domme trut, betaal gewoon je rekening 🙄", kind="comment")
P("x", "@truthbomb_88", "en", [ABU],
  "Drieluik hires nothing but foreigners in their call centre, no wonder nobody understands a word. "
  "Send them all back where they came from")
P("x", "@m4rco_r", "nl", [ABU],
  "Drieluik zijn gewoon \u043e\u0440l\u0456\u0441ht\u0435rs en kl00tz4kk3n, meer hoef ik niet te "
  "zeggen")

# =========================================================================
# Personal data
# =========================================================================
P("x", "@drieluik_help", "nl", [PII],
  "@rianne_k88 Hoi Rianne, we zien je dossier: Rianne Kok, Esdoornlaan 14, 3523 KD Utrecht. Klopt "
  "dit adres nog? Dan sturen we de nieuwe brief daarheen. ^Dewi")
P("facebook", "DrieluikPay", "nl", [PII],
  "Beste meneer Post, de terugbetaling is vandaag gedaan naar rekening <<IBAN_P2>> t.n.v. G. Post. "
  "Wilt u dit even controleren?", kind="comment")
P("x", "@jorisk_risk", "en", [PII],
  "lol this fraud case today: guy applied with card <<CARD1>> exp 09/28 under three different "
  "names in one afternoon. people are something else")
P("linkedin", "yara-el-haddad", "nl", [PII],
  "Trots op ons KYC-team! Vandaag in één dag 400 dossiers afgerond. Voorbeeldje van een lastige: "
  "BSN <<BSN1>> stond dubbel geregistreerd, en toch netjes opgelost 💪")
P("threads", "@inge.schouten", "nl", [PII],
  "Klant belde vandaag 5x over haar termijnen 😅 mevrouw J. de Groot, geboren 12-03-1958, echt de "
  "liefste mevrouw ooit maar pfff")
P("instagram", "@drieluik.pay", "en", [PII],
  "Congrats to our 1,000,000th customer, Lotte van Beek! 🎉 We'll send your prize to "
  "lotte.vanbeek94@gmail.com and give you a call on +31 6 2847 1930 😊")
P("reddit", "u/dl_ops_tim", "en", [PII],
  "debug tip from prod today: user lookup for k.jansen@hotmail.com returned two accounts. turned out "
  "she signed up with 0612345678 and +31612345678 as separate users. normalise your phone numbers "
  "folks", kind="comment")
P("x", "@bas_vermeulen", "nl", [PII],
  "hoe koppel ik mijn creditcard <<CARD2>> aan de drieluik app? krijg de optie gewoon niet te zien")
P("facebook", "Sanne.Roos.Dekker", "nl", [PII],
  "Wie heeft mijn tas gevonden in Amersfoort centrum? Zat mijn Drieluik-pas en rijbewijs in. Graag "
  "contact via sanne.dekker@live.nl of 06 19 48 27 56. Mijn BSN <<BSN2>> staat op het rijbewijs, "
  "dus aub niet misbruiken 🙏")
P("x", "@olivia_moves", "en", [PII],
  "@drieluik_help my date of birth is wrong in the app, it says 1 Jan 1900 lol. Olivia Martens, "
  "born 14/07/1996. thanks!")
P("forum", "@klusjesman_ed", "nl", [PII],
  "Die vent die mij via Drieluik-termijnen een kapotte e-bike verkocht: Ricardo Boelens, "
  "Vlierstraat 8, 5611 HB Eindhoven. Mail: r.boelens@kpnmail.nl. Pas op voor die gast.")
P("linkedin", "ruben-hoekstra-drieluik", "nl", [PII],
  "Sprint demo vandaag! Het merchant-dashboard toont nu direct de uitbetalingsrekening. Voorbeeld "
  "uit de demo: <<IBAN_P3>> – Bakkerij De Vries, Zwolle. Mooi werk team 🚀")

# =========================================================================
# Secrets
# =========================================================================
P("x", "@bramdev_nl", "en", [SEC],
  "why does this keep 403ing?? curl -H \"Authorization: token <<GHP1>>\" "
  "https://api.github.com/orgs/drieluik/repos … someone help")
P("reddit", "u/dl_ops_tim", "en", [SEC],
  "boto3 keeps giving me InvalidClientTokenId with\n\naws_access_key_id = <<AKIA1>>\n"
  "aws_secret_access_key = <<AWSSEC1>>\n\nregion is eu-west-1. what am i missing?")
P("mastodon", "@sanderw@mastodon.nl", "nl", [SEC],
  "Mollie-webhook faalt bij ons steeds met een 401, iemand een idee? Config is gewoon "
  "MOLLIE_API_KEY=<<MOLLIE1>> en de webhook-url klopt.")
P("forum", "@freelance_dev_koen", "nl", [SEC],
  "Ooit een klus voor Drieluik gedaan en hun Slack bot token staat nog in mijn oude repo: "
  "<<SLACK1>> — moet iemand ze niet even waarschuwen?")
P("bluesky", "@femkevdijk.bsky.social", "en", [SEC],
  "Playing with the new assistant at work, this key works for the team project: <<OPENAI1>> — "
  "anyone know why streaming cuts off after 30s?")
P("threads", "@inge.schouten", "nl", [SEC],
  "voor de nieuwe collega's: het gedeelde support-account is nog steeds hetzelfde, "
  "wachtwoord: Termijn2026!Zomer — niet aanpassen aub anders kan niemand meer inloggen 🙏")
P("x", "@jorisk_risk", "en", [SEC, CONF],
  "who needs a vault when you have twitter 🙃 "
  "DATABASE_URL=postgres://risk_ro:<<PGPASS>>@db-risk-01.drieluik.internal:5432/scoring")
P("linkedin", "ruben-hoekstra-drieluik", "en", [SEC],
  "JWT debugging tip: paste the token into a decoder and check exp first. Example straight from our "
  "staging env:\n<<JWT1>>")
P("x", "@bramdev_nl", "nl", [SEC],
  "kan iemand zien waarom ssh deze niet pakt? 'invalid format'\n-----BEGIN RSA PRIVATE KEY-----\n"
  "<<PRIVKEY1>>\n-----END RSA PRIVATE KEY-----")
P("blog", "@securityresearcher_j", "en", [SEC],
  "Found a hardcoded Stripe live key in the Drieluik merchant Android app (v4.2.1): <<STRIPE1>>. "
  "Reported it to security@drieluik.nl two weeks ago, no reply so far.")
P("mastodon", "@sanderw@mastodon.nl", "nl", [SECU, SEC],
  "Alles ligt plat sinds 14:00, de betaal-API geeft alleen maar 502's en de database is volgelopen. "
  "Voor wie meekijkt met oncall: token om de runbooks te pullen is <<GLPAT1>>")
P("linkedin", "drieluik-betalen", "en", [SEC],
  "We're hiring backend engineers! Our stack: Kotlin, Postgres, GCP. A snippet from our maps "
  "integration 👇\nconst mapsKey = '<<GOOGLEKEY1>>';\nApply via our careers page.")

# =========================================================================
# Security (insiders)
# =========================================================================
P("x", "@bramdev_nl", "nl", [SECU],
  "Niet doorvertellen maar we hebben sinds gisteravond een lek in de partner-API: met een ander "
  "merchant-id kon je gewoon andermans transacties opvragen. Wordt nu gepatcht, komt hopelijk niet "
  "in het nieuws 🤐")
P("reddit", "u/dl_ops_tim", "en", [SECU],
  "rough night. someone got into one of our jump boxes through an unpatched Jenkins and we're still "
  "figuring out what they touched. comms hasn't decided yet whether we disclose", kind="comment")
P("bluesky", "@femkevdijk.bsky.social", "en", [SECU],
  "Heads up friends: Drieluik checkout will be down most of tomorrow morning. The card processor "
  "cert expired and there's no quick fix. You didn't hear it from me 🙈")
P("linkedin", "yara-el-haddad", "nl", [SECU],
  "Leermoment van deze week: onze fraudedetectie heeft drie dagen lang alle aanvragen met een "
  "buitenlands telefoonnummer overgeslagen door een configfout. De schade loopt in de tonnen. Is "
  "nog niet naar buiten gebracht, maar ik deel het toch.")
P("x", "@jorisk_risk", "en", [SECU],
  "fun fact: our 2FA SMS step can be skipped entirely if you hit the login endpoint with the mobile "
  "user-agent. filed it 3 weeks ago, still open 🤷")
P("threads", "@inge.schouten", "nl", [SECU],
  "Systemen bij ons liggen er al de hele ochtend uit, we kunnen geen enkele klant helpen en we mogen "
  "nog niks zeggen op socials. Sorry alvast als je ons belt 😬")
P("instagram", "@noor.sahin.dl", "en", [SECU],
  "ransomware drill turned out not to be a drill 🙃 every laptop in the office locked this morning. "
  "working from my personal phone now. wish us luck")
P("x", "@anon_tipster_nl", "nl", [SECU, CRI],
  "Via een bron binnen Drieluik: vorige week is een medewerkersaccount gephisht en daarmee zijn "
  "kredietlimieten van klanten verhoogd. Intern weet iedereen het, extern nog niemand.")
P("mastodon", "@sanderw@mastodon.nl", "en", [SECU],
  "our status page says 'all systems operational' while half our merchants haven't been able to "
  "take payments since 09:40. I'm on the incident bridge, it's a DNS misconfig on our side. Status "
  "page will be updated 'soon'.")
P("x", "@maartje_dl", "nl", [SECU],
  "Pff, lange dag. Door een bug in de laatste app-release konden klanten elkaars openstaande "
  "termijnen zien. Release teruggedraaid, juristen bepalen nu of we het moeten melden.")
P("x", "@drieluik_help", "nl", [SECU],
  "@tim_ozturk Klopt, er is op dit moment een storing door een DDoS-aanval op onze loginservers. "
  "Dit is nog niet officieel bekend, dus we houden je via DM op de hoogte.")
P("linkedin", "wouter-brink-fin", "en", [SECU],
  "Board call at 7am on the pen-test findings: 14 critical issues in the merchant portal, including "
  "a SQL injection in the payout export. Long day ahead.")

# =========================================================================
# Confidential
# =========================================================================
P("x", "@maartje_dl", "nl", [CONF],
  "Eindelijk mogen we los: Project Zandloper gaat vol gas in Q3. Ik kan er niks over zeggen behalve "
  "dat het jullie manier van betalen in de winkel gaat veranderen 👀")
P("x", "@bramdev_nl", "en", [CONF],
  "Deploying Kraanvogel to the staging cluster tonight, wish me luck 🐦")
P("linkedin", "ruben-hoekstra-drieluik", "en", [CONF],
  "Check out the dashboard we built this quarter: https://grafana.ops.drieluik.nl/d/payouts-latency "
  "🚀 super proud of the team")
P("instagram", "@noor.sahin.dl", "nl", [CONF],
  "Sneak peek want ik kan het niet laten: Drieluik Flex komt eraan!! In 6 termijnen zonder rente 😍 "
  "#werk #trots", at="2026-11-14T18:22:05Z")
P("threads", "@inge.schouten", "nl", [CONF],
  "lol de nieuwe scripts voor support, staat bovenaan wel 'niet extern delen' maar dit is te goed: "
  "'Klant boos? Zeg drie keer: wij begrijpen je frustratie' 😂")
P("x", "@jorisk_risk", "en", [CONF],
  "Operation \uff34\uff49\uff44\uff45\uff57\uff41\uff54\uff45\uff52 kickoff today. Can't say more "
  "but my calendar is now 80% meetings")
P("bluesky", "@femkevdijk.bsky.social", "nl", [CONF],
  "Vandaag de eerste demo van Project Zand\u200bloper aan de directie gegeven. Ze waren lyrisch 🥹")
P("mastodon", "@sanderw@mastodon.nl", "en", [CONF],
  "Copying this from our wiki because it's a great write-up on Kotlin coroutines. The header says "
  "DRIELUIK INTERNAL ONLY but it's just tech stuff, right? 🧵")
P("x", "@bnpl_insider", "nl", [CONF],
  "Gelekt: Drieluik werkt onder de naam 'Kraanvogel' aan een eigen bankvergunning. Bron: twee "
  "medewerkers.")
P("reddit", "u/dl_ops_tim", "en", [CONF],
  "if anyone from my team reads this: the runbook is at https://wiki.drieluik.internal/ops/payouts, "
  "stop asking me in DMs", kind="comment")
P("linkedin", "yara-el-haddad", "en", [CONF],
  "Incredibly proud of the team behind Drieluik Zakelijk Krediet. Months of work, launching soon "
  "for SMEs across NL! 🚀", at="2026-12-02T11:40:00Z")
P("facebook", "DrieluikPay", "nl", [CONF],
  "Binnenkort nieuw: Drieluik Flex! Betaal in 6 termijnen. Meer info volgt 👀",
  at="2026-12-18T16:05:00Z")
P("x", "@maartje_dl", "en", [CONF],
  "K r a a n v o g e l is the best thing I've worked on in years. That's all I can say 🤫")
P("linkedin", "wouter-brink-fin", "nl", [CONF],
  "Hierbij de slide over ons nieuwe merkverhaal uit de directiepresentatie. Er staat 'strikt "
  "vertrouwelijk' op, maar dit verhaal verdient echt een breder publiek.")
P("tiktok", "@drieluikpay", "nl", [CONF],
  "behind the scenes bij ons dev-team 👩‍💻 (negeer het scherm even lol: "
  "jira.drieluik.nl/browse/PAY-4471) #werkenbij")

# confidential + financial
P("linkedin", "wouter-brink-fin", "en", [FIN, CONF],
  "Operation Tidewater is the reason I haven't slept: we're in final talks to acquire a Belgian "
  "BNPL competitor, signing expected before Christmas.")
P("threads", "@inge.schouten", "nl", [FIN, CONF],
  "Vandaag gehoord dat Project Zandloper eigenlijk gewoon een reorganisatie is: 120 fte bij "
  "klantenservice eruit, het werk gaat naar Portugal. Weet niet of ik er in maart nog ben 😞")
P("linkedin", "ruben-hoekstra-drieluik", "nl", [FIN, CONF],
  "Net de jaarcijfers 2026 gezien: verlies van zo'n 34 miljoen, bijna twee keer zoveel als "
  "begroot. Benieuwd hoe de markt straks reageert.", at="2027-02-19T20:12:44Z")

# =========================================================================
# Financial
# =========================================================================
P("x", "@maartje_dl", "en", [FIN],
  "Hearing we'll miss the H2 revenue target by ~18%. Brace yourselves for a rough town hall next "
  "week.")
P("x", "@bramdev_nl", "nl", [FIN],
  "Volgende maand worden 2 van de 5 dev-teams opgeheven, zeggen ze. Iemand nog een Kotlin-dev nodig? "
  "😅")
P("reddit", "u/dl_ops_tim", "en", [FIN],
  "Throwaway-ish, but: there's a term sheet on our CEO's desk from a US fintech. Valuation is lower "
  "than the last round. Not public yet.")
P("bluesky", "@femkevdijk.bsky.social", "en", [FIN],
  "Forecast deck for next year shows merchant volume down 12% and they want to present it to "
  "investors as 'stable'. Lol.")
P("x", "@beursbengel", "nl", [FIN],
  "Hoor uit goede bron dat Drieluik wordt overgenomen door een Duitse bank. Deal zou binnen twee "
  "weken bekend worden. Wie heeft er nog certificaten van die crowdfunding?")
P("linkedin", "drieluik-betalen", "nl", [FIN],
  "Vandaag hebben we intern de reorganisatie aangekondigd: de vestiging in Groningen gaat per 1 juni "
  "dicht. De pers krijgt later meer informatie.")
P("instagram", "@noor.sahin.dl", "nl", [FIN],
  "Net te horen gekregen dat onze kredietverliezen dit kwartaal 3x zo hoog zijn als verwacht. Geen "
  "idee hoe dit verder moet 🫠")
P("x", "@jorisk_risk", "en", [FIN],
  "Default rate on the under-25 book just crossed 9%. Board doesn't know yet. Guess who gets to "
  "present it 🙃")
P("mastodon", "@sanderw@mastodon.nl", "nl", [FIN],
  "Gerucht op kantoor klopt: we kopen dat Belgische incassobureau. Contract is vanochtend getekend, "
  "aankondiging pas volgende maand.")

# =========================================================================
# Pricing
# =========================================================================
P("x", "@drieluik", "nl", [PRICE],
  "Alleen vandaag: de Drieluik Tap Pro voor €29! Bestel via de app 👉")
P("instagram", "@drieluik.pay", "en", [PRICE],
  "Black Friday madness 🖤 The Drieluik Ring now just €14.90! Link in bio")
P("x", "@dealjager_nl", "nl", [PRICE],
  "PRIJSFOUT?! Drieluik Kassa Terminal voor €49,90 in de webshop ipv 499. Snel zijn! #prijsfout "
  "#deal")
P("reddit", "u/bargainhunter_eu", "en", [PRICE],
  "Drieluik Metal Card annual fee showing as €8.90 at checkout instead of 89. Price error or promo? "
  "Grabbed it anyway")
P("x", "@maartje_dl", "nl", [PRICE],
  "Oeps, foutje in de prijzen op de site: de Tap Mini staat voor €4,90. Collega's zijn het aan het "
  "fixen, niet bestellen aub 🙈")
P("forum", "@koopjesfan", "nl", [PRICE],
  "Drieluik Premium jaarabonnement voor €11,90 via de studentenpagina 🤯 normaal 119. Vast een "
  "prijsfout maar het werkt nog.")
P("threads", "@inge.schouten", "en", [PRICE],
  "Customers keep calling about the Soundbox listed at €7.90. yes it's a price error, no we won't "
  "honour it 😬")
P("tiktok", "@budgetbrenda", "nl", [PRICE],
  "ok wie wil er een drieluik pay band voor €6,90?? staat zo in de app 💀 #prijsfout")
P("facebook", "DrieluikPay", "nl", [PRICE],
  "Merchant Growth-pakket nu voor slechts €199 per jaar! Alleen deze week, dus wees er snel bij.")
P("x", "@koopjes_kim", "nl", [PRICE],
  "Het Drieluik Laadstation staat op de site voor 3 euro 😂 ik heb er meteen 4 besteld")
P("linkedin", "ruben-hoekstra-drieluik", "en", [PRICE],
  "Pricing bug in production: Merchant Enterprise was listed at €499 instead of €4,990 for about "
  "40 minutes this morning. Postmortem tomorrow.")
P("bluesky", "@gadget_gert.bsky.social", "en", [PRICE],
  "Drieluik Kids Card for €2? Either a glitch or they really want to get teens hooked early.")

# =========================================================================
# Benign (mostly hard negatives)
# =========================================================================
P("x", "@joyce_b", "nl", [],
  "Shoutout naar @drieluik_help, binnen 10 minuten mijn dubbele afschrijving teruggestort. Zo hoort "
  "het! 👏", kind="post")
P("x", "@sam_in_utrecht", "en", [],
  "Honestly Drieluik's pay in 3 saved me this month when my laptop died. No interest, no drama.")
P("instagram", "@drieluik.pay", "nl", [],
  "Vragen over je termijnen? Mail naar klantenservice@drieluik.nl of bel gratis 0800-3743. We "
  "helpen je graag!")
P("x", "@drieluik_help", "en", [],
  "@priya_codes Sorry to hear that! Please DM us your order number. And never share your card "
  "number or IBAN in a public post 🙏")
P("x", "@drieluik", "nl", [],
  "Zelf iets terugbetalen aan Drieluik? Gebruik altijd <<COMPANY_IBAN>> t.n.v. Drieluik Betalen "
  "B.V. en vermeld je klantnummer.")
P("x", "@fintechdaily", "en", [],
  "Klarna reports Q3 numbers today; analysts expect lower credit losses. Full coverage on our site.")
P("x", "@econ_nieuws_nl", "nl", [],
  "Riverty schrapt 200 banen in Nederland, meldt het bedrijf in een persbericht.")
P("x", "@drieluik", "nl", [],
  "Deze week 20% korting op de Drieluik Ring: van €149 voor €119,20. Op = op!")
P("reddit", "u/marketstall_mo", "en", [],
  "Is the Drieluik Tap Pro worth €229 for a small food truck or is the Tap Mini at €49 enough?")
P("instagram", "@drieluik.pay", "nl", [],
  "Net begonnen als ondernemer? Het Merchant Starter-pakket is deze maand €111,75 in plaats van "
  "€149 (25% korting) 🚀")
P("forum", "@excel_ellen", "nl", [],
  "Voor de cursus 'IBAN controleren in Excel': probeer dit nummer eens, <<BAD_IBAN1>>. Als je "
  "formule goed is, geeft hij een foutmelding.")
P("x", "@testing_tina", "en", [],
  "QA life: typed <<BAD_CARD1>> into the Drieluik sandbox for the 50th time today. Rejected, as it "
  "should be 😅")
P("x", "@belastinghulp_nl", "nl", [],
  "Let op bij het invullen: een nummer als <<BAD_BSN1>> is geen geldig BSN, het klopt niet met de "
  "elfproef. Check je eigen nummer altijd op je paspoort.")
P("mastodon", "@sanderw@mastodon.nl", "en", [],
  "Reminder for Thursday's AWS workshop: use the documentation placeholders, e.g. "
  "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never real keys in slides.")
P("x", "@bramdev_nl", "en", [],
  "PSA: GitHub tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you spot one in a PR, "
  "revoke it. Don't just delete the line.")
P("reddit", "u/shopify_sven", "en", [],
  "our config is basically STRIPE_KEY=sk_live_****************** (redacted obviously). Does "
  "Drieluik support Stripe Connect for merchants or do I need their own SDK?")
P("x", "@drieluik", "nl", [],
  "Vanaf vandaag live: Drieluik Flex! Betaal in 6 termijnen, zonder rente. Alles over Drieluik Flex "
  "op drieluik.nl/flex", at="2027-01-21T08:15:00Z")
P("linkedin", "drieluik-betalen", "en", [],
  "Our FY2026 results are out: revenue up 22%, net loss halved. Read the full report at "
  "drieluik.nl/investors", at="2027-03-04T09:30:00Z")
P("x", "@fin_nieuws_nl", "nl", [],
  "Drieluik publiceert jaarcijfers 2026: omzet +22%, verlies gehalveerd. Aandeelhouders tevreden.",
  at="2027-03-05T10:02:31Z")
P("linkedin", "yara-el-haddad", "nl", [],
  "Sinds vorige week is Drieluik Zakelijk Krediet live en de eerste 300 ondernemers zijn al "
  "aangesloten 🎉", at="2027-01-27T12:00:00Z")
P("x", "@lotte_h", "nl", [],
  "Sterkte aan de mensen van de Drieluik klantenservice vandaag, jullie krijgen echt de volle laag "
  "voor dingen waar jullie niks aan kunnen doen ❤️")
P("x", "@meme_lord_nl", "en", [],
  "me: I'll be financially responsible this year\nalso me: splits a €12 kebab into 3 Drieluik "
  "payments")
P("reddit", "u/vraagje_nl", "nl", [],
  "Weet iemand of Drieluik een BKR-registratie doet als je een termijn te laat betaalt? Wil een "
  "wasmachine kopen maar twijfel nog.")
P("x", "@museumliefhebber", "nl", [],
  "Het drieluik 'De tuin der lusten' blijft indrukwekkend, ook na de vijfde keer in het Prado 🎨")
P("x", "@markhollis", "en", [],
  "Update: Drieluik reversed the late fee and apologised. Took a while but credit where it's due.")
P("facebook", "DrieluikPay", "nl", [],
  "Let op: oplichters sturen sms'jes namens Drieluik. Wij vragen nooit om je wachtwoord of pincode. "
  "Twijfel je? Bel ons op +31 20 808 3300.")
P("x", "@drieluik", "en", [],
  "Found a vulnerability? Our security team works with researchers worldwide. Report it to "
  "security@drieluik.nl and read our disclosure policy at drieluik.nl/security.")
P("linkedin", "wouter-brink-fin", "nl", [],
  "Mooi interview met onze CEO in het FD over de toekomst van achteraf betalen. Aanrader!")
P("linkedin", "yara-el-haddad", "en", [],
  "After 4 great years at Drieluik I'm starting a new adventure next month. Thank you all, it's "
  "been a blast!")
P("x", "@maartje_dl", "nl", [],
  "Vandaag de nieuwe Drieluik app-release live gezet, met donkere modus 🌙 Laat weten wat je ervan "
  "vindt!")
P("x", "@fintech_fan", "en", [],
  "Drieluik just announced on their blog that they're opening an office in Antwerp. Smart move.")
P("forum", "@ondernemer_ria", "nl", [],
  "Ervaringen met de Drieluik Kassa Terminal? Ik twijfel tussen die (€499) en een SumUp. Moet vooral "
  "werken op de markt zonder wifi.")
P("blog", "@devrel_notes", "en", [],
  "Secret scanning tip: a fake token like ghp_EXAMPLE00000000000000000000000000000 will still trip "
  "naive regexes, so verify the checksum before you page anyone.")
P("x", "@boekenwurm_anne", "nl", [],
  "Net 'Het Lek' uitgelezen, wat een plotwending! Aanrader als je van bedrijfsthrillers houdt.")
P("x", "@drieluik_help", "en", [],
  "Can't reach us via chat? Call +31 20 808 3300 (Mon–Sat, 8–20h) or email "
  "klantenservice@drieluik.nl")
P("tiktok", "@studentbudget", "nl", [],
  "tips om niet in de schulden te raken: 1) gebruik drieluik alleen voor dingen die je echt nodig "
  "hebt 2) zet je termijnen in je agenda 3) nooit 2 bnpl apps tegelijk #geldtips")
P("bluesky", "@uxcritic.bsky.social", "en", [],
  "The new Drieluik checkout flow is genuinely well designed. Fees upfront, big 'pay now instead' "
  "button. More fintechs should copy this.")
P("linkedin", "ruben-hoekstra-drieluik", "en", [],
  "Quick tip: never paste a production JWT into an online decoder. A token starts like "
  "eyJhbGciOi... and should be treated exactly like a password.")
P("x", "@wachtwoordtips", "nl", [],
  "Een goed wachtwoord is lang: denk aan een zin als 'mijn-kat-eet-graag-tonijn' in plaats van "
  "P@ssw0rd. Gebruik een wachtwoordmanager!")
P("x", "@runner_rob", "en", [],
  "Drieluik Ring is perfect for running, paid for my coffee after a 10k without carrying anything "
  "☕🏃")
P("facebook", "Wim.de.Graaf.Zeist", "nl", [],
  "Drieluik Laadstation kwam vandaag binnen, netjes verpakt en binnen 5 minuten opgezet. Top!")
P("reddit", "u/tandarts_vraag", "en", [],
  "Does anyone know if Drieluik works for paying dentist bills? My practice mentioned it but I "
  "can't find it in the app.")
P("x", "@kees_grapjas", "nl", [],
  "Mijn vrouw noemt mijn drie exen 'het drieluik'. Ik vind het niet grappig.")
P("instagram", "@drieluik.pay", "en", [],
  "Spring deal: 15% off the Drieluik Soundbox, now €67.15 instead of €79. Your customers will hear "
  "every payment 🔊")
P("x", "@drieluik", "nl", [],
  "Vanaf 1 maart verlagen we de prijs van de Tap Mini naar €44. Meer ondernemers, meer betaalgemak!")
P("x", "@cybernews_eu", "en", [],
  "A major Dutch telecom provider confirms a data breach affecting 600k customers. Drieluik users "
  "are not affected, according to a Drieluik spokesperson.")
P("x", "@ikbenfloor", "nl", [],
  "Oké ik ben officieel fan van de Drieluik Ring, gewoon met mijn hand betalen bij de AH 😍")
P("youtube", "@techreviewtom", "en", [],
  "New video: Drieluik Tap Pro vs SumUp Solo vs Zettle. Which card reader is best for small shops? "
  "Link in bio")
P("mastodon", "@geldzaken@mastodon.social", "nl", [],
  "Achteraf betalen is niet per se slecht, maar ik snap wel waarom de overheid het wil reguleren. "
  "Interessant stuk van de Consumentenbond hierover.")
P("forum", "@newbie_dev", "en", [],
  "For the Drieluik sandbox the docs say password: <your-sandbox-password> and an api key like "
  "sk_test_... where do I actually get mine?")
P("x", "@bramdev_nl", "nl", [],
  "Hackathon-weekend bij Drieluik! 24 uur, 60 devs en veel te veel pizza 🍕 #werkenbijdrieluik")
P("instagram", "@noor.sahin.dl", "nl", [],
  "Mijn eerste week bij Drieluik zit erop! Lieve collega's, mooi kantoor aan het IJ 🥰")
P("x", "@anna_finance", "en", [],
  "Paid off my last Drieluik instalment today 🎉 no more BNPL for me, saving up from now on.")
P("reddit", "u/ouder_van_14", "nl", [],
  "Iemand ervaring met de Drieluik Kids Card voor een 14-jarige? €24 per jaar lijkt me prima als ze "
  "er mee leert budgetteren.")
P("forum", "@accounting_q", "en", [],
  "My bank says <<BAD_IBAN2>> is invalid when I try to pay Drieluik back. Their site lists "
  "<<COMPANY_IBAN>> though, so I probably copied the wrong one. My bad!")
P("threads", "@inge.schouten", "nl", [],
  "Brandoefening bij Drieluik vandaag, in 4 minuten het hele pand leeg. Daarna taart 🎂")
P("x", "@lawstudent_lu", "en", [],
  "Writing my thesis on consumer credit law and BNPL. Drieluik's terms are actually the clearest of "
  "the bunch, surprisingly.")
P("x", "@drieluik_help", "nl", [],
  "@lisa_vanderveen Wat vervelend! We hebben je retour nu verwerkt en de 2e termijn is vervallen. "
  "Sorry voor het lange wachten 🙏")
P("x", "@dad_jokes_daily", "en", [],
  "My wallet is like an onion: opening it makes me cry. At least Drieluik splits the tears into "
  "three 😂")
P("bluesky", "@werkgeverwatch.bsky.social", "nl", [],
  "Drieluik staat in de top 10 van beste werkgevers in fintech volgens Intermediair. Gefeliciteerd!")
P("instagram", "@mama_van_3", "nl", [],
  "Tip: een zandloper van 2 minuten bij het tandenpoetsen werkt bij ons echt 🦷⏳")
P("youtube", "@DrieluikBetalen", "nl", [],
  "Hoe werkt betalen in drie termijnen? In deze video leggen we het in 2 minuten uit. Vragen? "
  "pers@drieluik.nl voor journalisten, klantenservice@drieluik.nl voor al het andere.")


# =========================================================================
# build
# =========================================================================
PLACE = re.compile(r"<<([A-Z0-9_]+)>>")
SEV = ["none", "info", "warning", "error", "critical"]


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.casefold()


ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.casefold()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).casefold(), "public")


OWN_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]){3}\d{4}(?![\w-])|(?<![\w-])\d{16}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])\d{9}(?![\w-])")


def checked_ids(text):
    """(kind, value, valid) for IBAN / card / BSN candidates in text, own IBAN excluded."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() in OWN_IBANS:
            continue
        out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    lvl = 0
    strong = any(ok for _, _, ok in checked_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                lv = 2
            elif c in (SEC, PRICE) or (c == PII and strong):
                lv = 4
            else:
                lv = 3
        elif c == CMP:
            lv = 2
        elif c == CRI:
            lv = 3
        elif c == ABU:
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lvl = max(lvl, lv)
    return SEV[lvl]


def rand_time():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    out = []
    for i in order:
        c = CASES[i]
        keys = PLACE.findall(c["text"])
        text = PLACE.sub(lambda m: V[m.group(1)], c["text"])
        while True:
            pid = "%s-%d" % (c["platform"], rng.randint(10**9, 10**10 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
            "brand": "drieluik",
        }
        cats = sorted(set(c["cats"]))
        out.append(({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, text)}},
                    keys, role))
    return out


# =========================================================================
# self-check
# =========================================================================
ALL_CATS = {CMP, CRI, ABU, PII, SEC, SECU, CONF, FIN, PRICE}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
AMOUNT_RE = re.compile(
    r"€\s?(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", re.I)
PRICE_ERR = re.compile(r"prijsfout|price error|pricing bug|price glitch|glitch|foutje in de prijzen")


def parse_amount(s):
    m = re.fullmatch(r"(\d{1,3})((?:[.,]\d{3})+)([.,]\d{1,2})?", s)
    if m:
        whole = m.group(1) + re.sub(r"[.,]", "", m.group(2))
        return float(whole + (("." + m.group(3)[1:]) if m.group(3) else ""))
    return float(s.replace(",", "."))


def products_in(text):
    t = norm(text)
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(norm(n) in t for n in names):
            found.append(p)
    return found


def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def check(rows, lines):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    ids = set()
    profile_handles = set(ROLE)
    n_benign = 0
    counts = {}
    langs = {}
    for (case, keys, role), line in zip(rows, lines):
        back = json.loads(line)
        if back != case:
            fail("round trip")
        if set(back) != {"post", "expect"}:
            fail("top-level keys")
        post, exp = back["post"], back["expect"]
        pid = post["id"]
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                fail("%s: field %s" % (pid, f))
        if not (1 <= len(pid) <= 256) or pid in ids:
            fail("bad or duplicate id %s" % pid)
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            fail("%s: platform/kind" % pid)
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail("%s: handle" % pid)
        if len(post["text"].encode("utf-8")) > 64 * 1024 or not post["text"].strip():
            fail("%s: text size" % pid)
        if not RFC3339.fullmatch(post["created_at"]):
            fail("%s: created_at" % pid)
        ts = datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        if ts.year not in (2026, 2027):
            fail("%s: year" % pid)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            fail("%s: categories" % pid)
        if exp["severity"] not in SEV or exp["severity"] != severity(cats, role, post["text"]):
            fail("%s: severity" % pid)
        if (not cats) != (exp["severity"] == "none"):
            fail("%s: benign/none mismatch" % pid)
        text = post["text"]
        nt = norm(text)
        handle_key = ("%s:%s" % (post["platform"], post["account"]["handle"])).casefold()
        if role == "public" and handle_key in profile_handles:
            fail("%s: role" % pid)
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        langs[post["lang"]] = langs.get(post["lang"], 0) + 1
        if not cats:
            n_benign += 1

        # identifiers: valid in positives, invalid in benign
        for k in keys:
            if k in IDENT_KIND:
                v = V[k]
                ok = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[IDENT_KIND[k]](v)
                if cats and not ok:
                    fail("%s: invalid %s in a positive" % (pid, k))
                if not cats and ok:
                    fail("%s: valid %s in a benign post" % (pid, k))
        for kind, v, ok in checked_ids(text):
            if cats and not ok:
                fail("%s: look-alike %s %s in a positive" % (pid, kind, v))
            if not cats and ok:
                fail("%s: checksum-valid %s %s in a benign post" % (pid, kind, v))
        if PII in cats and role != "public" and not checked_ids(text):
            pass  # error-level PII (e-mail, phone, address, birth date)

        # secrets
        has_secret = any(k in SECRET_KEYS for k in keys) or "wachtwoord:" in text.lower()
        if (SEC in cats) != has_secret:
            fail("%s: secret label vs content" % pid)
        if not cats and any(k in SECRET_KEYS for k in keys):
            fail("%s: real secret in benign" % pid)

        # confidential markers, codenames, internal domains, embargo
        inner = PROFILE["internal"]
        hits = [t for t in inner["codenames"] + inner["markers"] + inner["domains"] if norm(t) in nt]
        # evasions: letters split by spaces
        squeezed = re.sub(r"(?<=\b\w) (?=\w\b)", "", nt)
        hits += [t for t in inner["codenames"] if norm(t) in squeezed]
        for emb in PROFILE["embargo"]:
            until = datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            for term in emb["terms"]:
                if norm(term) in nt and ts < until:
                    hits.append(term)
        if hits and CONF not in cats:
            fail("%s: confidential term %s but no label" % (pid, hits))

        # pricing
        prods = products_in(text)
        amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(text)]
        if PRICE in cats:
            low = any(a < ratio * p["list_price"] for a in amounts for p in prods)
            if not prods or not (low or PRICE_ERR.search(text.lower())):
                fail("%s: pricing label without a low price/price error on a product" % pid)
        elif not cats and prods:
            for a in amounts:
                if not any(a >= ratio * p["list_price"] for p in prods):
                    fail("%s: benign post with a price far below list (%s)" % (pid, a))

    # generated credential formats
    if not github_ok(V["GHP1"]):
        fail("github checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA1"]):
        fail("aws id")
    if not jwt_ok(V["JWT1"]):
        fail("jwt")
    if not iban_valid(V["COMPANY_IBAN"]):
        fail("company iban")

    n = len(rows)
    if not (170 <= n <= 180):
        fail("case count %d" % n)
    return n, n_benign, counts, langs


def main():
    rows = build()
    lines = [json.dumps(r[0], ensure_ascii=False, separators=(",", ":")) for r in rows]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
    with open(path, encoding="utf-8") as fh:
        reread = [l.rstrip("\n") for l in fh]
    n, n_benign, counts, langs = check(rows, reread)
    print("ok: %d cases, %d benign" % (n, n_benign))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", json.dumps(langs))


if __name__ == "__main__":
    main()
