#!/usr/bin/env python3
"""Evaluation set 271 for postwatch: Groenaert Zaden & Kassen B.V. (seed breeder + greenhouse supplier).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this file and
self-checks it (checksums of identifiers, CONTRACT section 6 shape, severities per CONTRACT section 4
computed from the account role in profile.yaml).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(271_2026)

# ---------------------------------------------------------------------------
# identifier generators (valid and deliberately invalid look-alikes)
# ---------------------------------------------------------------------------
DIG = "0123456789"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LO = "abcdefghijklmnopqrstuvwxyz"
B62 = DIG + UP + LO


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def nl_iban(bank):
    return make_iban("NL", bank + rs(DIG, 10))


def be_iban():
    first = rs(DIG, 10)
    chk = int(first) % 97 or 97
    return make_iban("BE", "%s%02d" % (first, chk))


def bad_iban(valid):
    cd = int(valid[2:4])
    return valid[:2] + "%02d" % ((cd + 13) % 97 + 2) + valid[4:]


def group4(s):
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


def make_card(prefix, length=16):
    body = prefix + rs(DIG, length - len(prefix) - 1)
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(valid):
    last = (int(valid[-1]) + 3) % 10
    return valid[:-1] + str(last)


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and int(s) != 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + rs(DIG, 7)
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            s = head + str(last)
            assert bsn_ok(s)
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rs(DIG, 8)
        if not bsn_ok(s):
            return s


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rs(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = {"sub": "svc-klimaatpilot", "name": "Kas 4 Naaldwijk", "role": "admin",
               "iat": 1772000000 + rng.randint(0, 9_000_000)}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = B62 + "_-"
V = {}
V["IBAN_REFUND"] = nl_iban("INGB")
V["IBAN_CUST"] = nl_iban("RABO")
V["IBAN_BE"] = be_iban()
V["IBAN_BAD"] = bad_iban(nl_iban("RABO"))
V["CARD_V"] = make_card("4", 16)
V["CARD_MC"] = make_card("52", 16)
V["CARD_BAD"] = bad_card(make_card("6", 16))
V["CARD_BAD2"] = bad_card(make_card("4", 16))
V["BSN_1"] = make_bsn()
V["BSN_2"] = make_bsn()
V["BSN_BAD"] = bad_bsn()
V["BSN_BAD2"] = bad_bsn()
V["GHP"] = gh_token("ghp_")
V["GHO"] = gh_token("gho_")
V["AWS_ID"] = "AKIA" + rs(UP + "234567", 16)
V["AWS_SECRET"] = rs(B62 + "/+", 40)
V["SLACK"] = "xoxb-%s-%s-%s" % (rs(DIG, 12), rs(DIG, 13), rs(B62, 24))
V["STRIPE"] = "sk_live_51" + rs(B62, 97)
V["OPENAI"] = "sk-proj-" + rs(URLSAFE, 64) + "T3BlbkFJ" + rs(URLSAFE, 64)
V["ANTHROPIC"] = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
V["GLPAT"] = "glpat-" + rs(URLSAFE, 20)
V["GOOGLE"] = "AIza" + rs(URLSAFE, 35)
V["JWT"] = make_jwt()
V["SSHKEY"] = ssh_key()
V["DBPW"] = rs(B62, 6) + "!" + rs(DIG, 2) + rs(LO, 4)
V["WIFIPW"] = "Kas" + rs(DIG, 2) + rs(UP, 1) + "zomer!" + rs(DIG, 2)
V["SALT"] = rs(B62, 22)

VALID_IDS = {"IBAN_REFUND", "IBAN_CUST", "IBAN_BE", "CARD_V", "CARD_MC", "BSN_1", "BSN_2"}
BAD_IDS = {"IBAN_BAD", "CARD_BAD", "CARD_BAD2", "BSN_BAD", "BSN_BAD2"}


def fmt_iban(s):
    return group4(s)


# display forms used in the texts
D = dict(V)
D["IBAN_REFUND_G"] = fmt_iban(V["IBAN_REFUND"])
D["IBAN_BE_G"] = fmt_iban(V["IBAN_BE"])
D["IBAN_BAD_G"] = fmt_iban(V["IBAN_BAD"])
D["CARD_V_G"] = group4(V["CARD_V"])
D["CARD_MC_D"] = "-".join(V["CARD_MC"][i:i + 4] for i in range(0, 16, 4))
D["CARD_BAD_G"] = group4(V["CARD_BAD"])
D["BSN_2_D"] = V["BSN_2"][:4] + "." + V["BSN_2"][4:6] + "." + V["BSN_2"][6:]

# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
CASES = []

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"


def C(platform, handle, lang, cats, text, kind="post", ts=None, uses=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, ts=ts, uses=tuple(uses)))


# ---- complaints ------------------------------------------------------------
C("x", "@tuinder_gerrit", "nl", [CMP],
  "3e jaar op rij dat mijn Rosalia F1 voor nog geen 40% opkomt. Voor 189 euro per duizend zaden mag je wel wat "
  "meer verwachten @groenaert_help. Zelfde potgrond, zelfde kas, zelfde ik.")
C("facebook", "Wilma Kooij-Verbeek", "nl", [CMP],
  "Besteld: Kobalt F1 (rood). Geleverd: een of ander geel ras. Daar kom je natuurlijk pas achter als de hele kas "
  "vol hangt 🤬 Mail gestuurd, 'we kijken ernaar'. Dat was 2 weken geleden.", kind="comment")
C("x", "@dave_grows_stuff", "en", [CMP],
  "Ordered the Glasvaert Tuinkas 3x4 six weeks ago. Order status: 'in processing'. Three emails, zero replies. "
  "The tomatoes won't wait for you guys @groenaert_help")
C("instagram", "@allotment.annie", "en", [CMP],
  "Mini greenhouse kit from Glasvaert finally arrived… not a single screw in the box and the manual is only in "
  "Polish 🙄 cracking job lads #allotmentlife #notimpressed")
C("x", "@kent_nursery_jo", "en", [CMP],
  "@groenaert_help 40 minutes on hold for one simple question about a delivery. Seriously? Some of us have a "
  "nursery to run", kind="reply")
C("forum", "paprikapeter", "nl", [CMP],
  "Iemand anders ook gedoe met de KlimaatPilot app? Bij mij crasht ie elke keer als ik de luchtramen wil aansturen. "
  "Ondertussen staat de kas op 38 graden en koken mijn planten. Support zegt 'opnieuw installeren'. Heb ik al 4x "
  "gedaan hoor.")
C("x", "@lisa_in_leeds", "en", [CMP],
  "DruppelPro leaked from day one, sent it back on 3 March. Almost two months later still no sign of my €349. "
  "How much longer @groenaert_help?")
C("reddit", "u/allotment_andy", "en", [CMP],
  "PSA: my Sneeuwster cucumbers all came out bitter and curled like bananas. Same greenhouse where other brands "
  "grow fine. Groenaert's 'premium' seed is anything but this year.")
C("instagram", "@tess.grows.food", "en", [CMP],
  "Lindegroen lettuce bolted within 3 weeks. The packet literally says it WON'T do that. Done with it, going back "
  "to my old variety 😤")
C("x", "@hobbykas_henk", "nl", [CMP],
  "wtf groenaert mn basilicum komt nie eens op. 2 zakjes. NIKS. zit er uberhaupt zaad in die dingen??")
C("reddit", "u/tomatoes_and_tea", "en", [CMP],
  "Groenaert support just told me my germination problem is 'user error'. Mate, I've been raising tomatoes for "
  "30 years. Half the Kersenrood packet was hollow husks.", kind="comment")
C("facebook", "Harold Finch-Whitby", "en", [CMP],
  "Glasvaert Schermdoek 40 shade cloth torn to shreds after ONE season. Warranty claim? 'Normal wear and tear.' "
  "Normal?? Never again.", kind="comment")
C("x", "@greenhouse_gemma", "en", [CMP],
  "the new @groenaert webshop is unusable on mobile. can't even open the seed catalogue without it jumping back "
  "to the homepage. please fix, spring sowing is NOW")

# ---- crisis: first-hand safety incidents (also complaints) -------------------
C("facebook", "Marco Zwinkels", "nl", [CRI, CMP],
  "Vannacht vloog onze HeatBox 3kW van Glasvaert in de fik. Kas vol rook, hele opkweek kwijt en de schuur is op "
  "een haar na gered door de buurman. Hij was 4 maanden oud!! Dit had ook ons huis kunnen zijn. @GroenaertZaden "
  "ik wil een verklaring.")
C("reddit", "u/hydro_harriet", "en", [CRI, CMP],
  "Got a proper shock off the metal housing of my LumaGrow 600 while watering this morning. Hand still tingling "
  "an hour later. There was no water on the lamp itself. Glasvaert, this is genuinely dangerous, what are you "
  "selling?")
C("x", "@jdewitt_tuin", "nl", [CRI, CMP],
  "Dak van onze Glasvaert tuinkas 3x4 ingeklapt bij windkracht 6. Ruit viel op de arm van mijn zoontje, 8 hechtingen "
  "op de SEH. 'Stormbestendig tot windkracht 9' staat er in de folder. Ik ben woest.")
C("forum", "oma_tuin_63", "nl", [CRI, CMP],
  "Na het uitzaaien van het gecoate Groenaert spinaziezaad (Aquila) werd mijn man misselijk en duizelig, moest "
  "naar de huisarts. Die denkt aan het ontsmettingsmiddel op het zaad. Waarom staat er nergens een waarschuwing "
  "op het pak?")
C("instagram", "@seedling_sanctuary", "en", [CRI, CMP],
  "My WarmteMat 120 melted overnight. Scorch hole in the bench, whole shed stank of burnt plastic. If I hadn't "
  "happened to be up with the dog… 😨 @glasvaert_kassen you need to look at this")

# ---- crisis: third-party news, boycotts, lawsuits, scandal -------------------
C("x", "@tuinbouwnieuws_w", "nl", [CRI],
  "Veertien tomatentelers in het Westland melden ToBRFV-besmetting die volgens het RIVM-onderzoek terug te voeren "
  "is op één partij zaad van Groenaert. Telers eisen schadevergoeding. https://tuinbouwnieuws-westland.nl/tobrfv")
C("bluesky", "@hortweek-news.bsky.social", "en", [CRI],
  "Groenaert recalls batch of Sneeuwster cucumber seed (lot 24-117) after bacterial leaf spot was found. "
  "Customers are asked to stop sowing it.")
C("linkedin", "telerscollectief-oostland", "nl", [CRI],
  "Vandaag heeft ons collectief van 23 paprikatelers een rechtszaak aangespannen tegen Groenaert Zaden & Kassen "
  "B.V. wegens slecht kiemend Kobalt-zaad in 2025. De geschatte schade bedraagt ruim €4 miljoen.")
C("forum", "privacy_hawk", "en", [CRI],
  "Groenaert has a data breach and is covering it up. A file with 80,000 customer names, addresses and orders "
  "'from groenaert.nl' has been for sale on a known hacking forum since last week.")
C("x", "@fairseed_watch", "en", [CRI],
  "New report: Groenaert's hybrid seed contractors in India used children aged 10-12 to hand-pollinate tomato "
  "flowers for years. Groenaert says it 'had no knowledge'. Really?")
C("reddit", "u/greenhouse_ops_mike", "en", [CRI],
  "Heads up growers: two farms near Almería had workers go dizzy and one collapse after a Glasvaert CO2 dosing "
  "unit leaked overnight. If you run one, check the seals before anyone goes in.")
C("x", "@ecogrower_lou", "en", [CRI],
  "Why is anyone still buying from Groenaert after the 'organic' seed that turned out to be coated with "
  "neonicotinoids? #BoycottGroenaert")
C("linkedin", "advocatenkantoor-van-rijn-arbeid", "en", [CRI],
  "We are representing five former Groenaert employees in discrimination proceedings filed today at the court in "
  "The Hague.")
C("tiktok", "@westlandse_wout", "nl", [CRI],
  "b0yc0t gr0enaert 🚫🍅 ze verkopen zaad dat je kas besmet en doen alsof hun neus bloedt #b0yc0t #westland")

# ---- abuse ---------------------------------------------------------------
C("x", "@boze_kweker84", "nl", [ABU],
  "Groenaert is gewoon een stelletje kankerlijers en oplichters, zet dat maar op je volgende folder")
C("x", "@truth_seeds", "nl", [ABU],
  "@marloes_kweekt jij bent gewoon een dom wijf dat met genen loopt te klooien. Rot toch op met je 'veredeling'",
  kind="reply")
C("x", "@rob_hbr", "en", [ABU],
  "whoever runs @groenaert_help is a brain-dead muppet. absolute waste of oxygen, the lot of you. f*** off")
C("facebook", "Kees Tuinman", "nl", [ABU],
  "Die Yasmina van HR bij Groenaert moet gewoon terug naar haar eigen land. Geen wonder dat dat bedrijf naar de "
  "klote gaat met dat soort types.", kind="comment")
C("x", "@kasrebel", "nl", [ABU],
  "@groenaert k4nk3rb3drijf, st1kken m3t j3 z4d3n", kind="reply")
C("instagram", "@anon_tuinder_", "nl", [ABU],
  "Groenaert: k l o o t z a k k e n. Dat is alles.", kind="comment")
C("facebook", "Jolanda de Graaf", "nl", [ABU],
  "Groenaert = \u043eplichters en \u0456di\u043eten, ieder weldenkend mens weet dat", kind="comment")
C("x", "@bartoosterhuis", "nl", [ABU],
  "@tuinman_ton als je te stom bent om een kas in elkaar te schroeven moet je ook niet lopen zeiken, sukkel",
  kind="reply")
C("x", "@anon5577321", "en", [ABU],
  "I know where your breeding station is, Groenaert. Hope it burns down with all you idiots inside it.")
C("x", "@westlander_99", "nl", [ABU],
  "Bart van Glasvaert is echt de grootste eikel van het hele Westland, vraag maar rond")
C("reddit", "u/no_gmo_ever", "en", [ABU],
  "Groenaert breeders are GMO-loving scumbags and everyone who works there should be ashamed.", kind="comment")
C("x", "@sjaak_moes", "nl", [ABU, CMP],
  "Drie maanden wachten op een ontkiemingsvergoeding voor het Kobalt zaad. wat een k\u200but\u200bbedrijf, "
  "oplichters zijn het @groenaert_help")

# ---- personal data -------------------------------------------------------
C("x", "@groenaert_help", "nl", [PII],
  "@jkoster_teelt Hoi Jan, de terugbetaling voor je retour is vandaag overgemaakt naar ${IBAN_REFUND_G} t.n.v. "
  "J. Koster. Binnen 2 werkdagen op je rekening! Groet, Lotte", kind="reply", uses=["IBAN_REFUND"])
C("linkedin", "ravi-ramdin-groenaert", "nl", [PII],
  "Pakket 3x retour gekomen van mevr. Ineke Brouwer, Populierenstraat 22, 2681 KL Monster. Adres klopt volgens "
  "PostNL niet. Kent iemand haar? Dan breng ik het zelf even langs 🙂")
C("x", "@rdijkman_74", "nl", [CMP, PII],
  "@groenaert_help bestelling 3 weken onderweg en niemand reageert. Bel me gewoon: 06-41873920 of mail "
  "r.dijkman1974@hotmail.com, ik ben het zat", kind="reply")
C("facebook", "Sylvia Oudshoorn", "nl", [CMP, PII],
  "Groenaert heeft mijn bestelling 2x afgeschreven van mijn creditcard ${CARD_V_G}!! Wie gaat dat terugstorten??",
  kind="comment", uses=["CARD_V"])
C("linkedin", "yasmina-haddou", "nl", [PII],
  "Kan iemand me helpen met de nieuwe salarismodule? Bij medewerker R. Kempenaar (BSN ${BSN_1}, geb. 17-09-1983) "
  "krijg ik steeds foutcode 4012 bij het verwerken van de loonstrook.", uses=["BSN_1"])
C("x", "@marloes_kweekt", "nl", [PII],
  "Hiep hiep hoera voor onze Henk Dekker van ICT, vandaag 60! Geboren 3 april 1966, dus reken maar uit 😄🎂 "
  "#collega")
C("instagram", "@groenaert.seeds", "nl", [PII],
  "🎉 En de winnaar van ons Moestuinpakket-jaarpakket is… Lisa Jansen, Dorpsstraat 8, 1777 XB Hippolytushoef! "
  "Gefeliciteerd Lisa, je pakket is onderweg 🌱")
C("threads", "@lotte.vanwijk", "nl", [PII],
  "klant fleur.dekorte@gmail.com heeft nu 3x gemaild over die verkeerde paprika's, wie van de binnendienst pakt "
  "het op? ik zit tot m'n nek in de retouren")
C("x", "@petra_smit_", "nl", [PII],
  "Voor de terugbetaling van mijn geannuleerde Groenaert bestelling: ${IBAN_CUST} t.n.v. P. Smit. Dan hoef ik "
  "niet weer te bellen 🙂", uses=["IBAN_CUST"])
C("x", "@jvdzande_dev", "en", [PII],
  "placed a test order on the new checkout with the company card ${CARD_MC_D} exp 09/28 and it went through! "
  "going live tomorrow 🚀", uses=["CARD_MC"])
C("forum", "kasje_in_kethel", "nl", [PII],
  "Vraagje: voor de ISDE-subsidie op mijn Glasvaert kas vraagt het formulier mijn BSN. Ik heb ${BSN_2_D} "
  "ingevuld met puntjes, mag dat of moet het aan elkaar?", uses=["BSN_2"])
C("x", "@bartoosterhuis", "en", [PII],
  "Great leads from the Greentech fair! Following up this week with a.vandenberg@kwekerijberg.nl (+31 6 1122 4780) "
  "and tom.hughes@hughesnurseries.co.uk about the KlimaatPilot demo.")
C("instagram", "@anouk_stekt", "nl", [PII],
  "Wie wil er stekjes ruilen? Heb nog Vuurpijl en Marendo plantjes over van Groenaert zaad. Mail naar "
  "anouk.teelt [at] outlook [dot] com 🌶️🍆")
C("x", "@groenaert_help", "en", [PII],
  "@dprice_grows Hi Daniel, we've changed the delivery address to Daniel Price, 14 Orchard Lane, Ashford "
  "TN23 4QP. Your Kweekkas Mini ships Monday!", kind="reply")
C("facebook", "Luc Vermeersch", "nl", [PII],
  "Groenaert, mijn terugbetaling mag naar mijn Belgische rekening ${IBAN_BE_G} (L. Vermeersch). Dank!",
  kind="comment", uses=["IBAN_BE"])

# ---- secrets -------------------------------------------------------------
C("x", "@jvdzande_dev", "en", [SEC],
  "anyone know why uploads to the seed-photo bucket keep failing?\n"
  "export AWS_ACCESS_KEY_ID=${AWS_ID}\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\nAccessDenied every time",
  uses=["AWS_ID"])
C("mastodon", "@henkdekker@mastodon.nl", "nl", [SEC],
  "Voor de collega die het build-script niet kon draaien: gebruik voorlopig mijn token, ${GHP} , dan maak ik "
  "morgen een service-account aan", uses=["GHP"])
C("x", "@jvdzande_dev", "en", [SEC],
  "why does our Slack bot keep posting twice?? config: SLACK_BOT_TOKEN=${SLACK} channel=#kas-alarmen",
  uses=["SLACK"])
C("threads", "@lotte.vanwijk", "en", [SEC],
  "help, the webshop payment module says 'invalid key'. this is what's in the config: ${STRIPE} is that even "
  "the right format?", uses=["STRIPE"])
C("tiktok", "@kim_kweekt", "nl", [SEC],
  "mijn eerste eigen chatbot die kweektips geeft 🤖🌱 script in de bio! OPENAI_API_KEY=\"${OPENAI}\" #ai #marketing",
  uses=["OPENAI"])
C("reddit", "u/pieter_seedlab", "en", [SEC],
  "Trying to get our germination-photo classifier to call Claude, but getting 401s. client = "
  "anthropic.Anthropic(api_key=\"${ANTHROPIC}\") — what am I missing?", uses=["ANTHROPIC"])
C("mastodon", "@henkdekker@mastodon.nl", "nl", [SEC],
  "Waarom accepteert die kas-gateway mijn sleutel niet meer? Dit is 'm:\n${SSHKEY}", uses=["SSHKEY"])
C("x", "@jvdzande_dev", "nl", [SEC],
  "KlimaatPilot API geeft 401 met deze bearer, iemand? Authorization: Bearer ${JWT}", uses=["JWT"])
C("reddit", "u/pieter_seedlab", "en", [SEC, CON],
  "Our breeding-data export job died again. Connection string is "
  "postgres://kweek_admin:${DBPW}@kweekdb.groenaert.local:5432/rassen — could the ! in the password break psycopg?",
  uses=["DBPW"])
C("instagram", "@ruud.indekas", "nl", [SEC],
  "Voor de monteurs die morgen in kas 7 komen: wifi 'Glasvaert-Service', wachtwoord: ${WIFIPW} 👍",
  uses=["WIFIPW"])
C("x", "@devops_rens", "en", [SEC],
  "Built a deploy script for a client (seed company in Naaldwijk, Groenaert): "
  "git clone https://oauth2:${GLPAT}@gitlab.com/groenaert/webshop.git works like a charm", uses=["GLPAT"])
C("reddit", "u/apk_poker", "en", [SEC],
  "Decompiled the Glasvaert KlimaatPilot Android app for fun. Hardcoded maps key in strings.xml: ${GOOGLE} lol",
  uses=["GOOGLE"])

# ---- security (insider disclosure before it is public) ---------------------
C("x", "@jvdzande_dev", "nl", [SCY],
  "Sinds 3 uur vannacht ransomware op de kweekservers. Alles ligt plat, rasregistratie, etiketten, alles. "
  "Mag er eigenlijk niks over zeggen maar dit wordt een lange week ☕☕☕")
C("threads", "@lotte.vanwijk", "nl", [SCY],
  "grappig hoor, als je in de order-API een ander ordernummer invult krijg je gewoon andermans naam en adres "
  "terug. ticket staat al 3 weken open, niemand doet er iets mee 🙃")
C("x", "@groenaert_help", "nl", [SCY],
  "@bloemkoolbert We kunnen uw bestelling helaas niet inzien: onze systemen zijn sinds gisteren getroffen door "
  "een hack en we onderzoeken nog wat er buitgemaakt is. Graag nog niet verder delen.", kind="reply")
C("linkedin", "dirk-schouten-groenaert", "en", [SCY],
  "Fun Monday: someone phished two people in our finance team and got into the Microsoft 365 tenant over the "
  "weekend. Not announced yet, so let's keep it between us. Lesson: MFA everywhere.")
C("instagram", "@ruud.indekas", "nl", [SCY],
  "Tip voor collega-monteurs: de meeste KlimaatPilots bij klanten draaien nog op het standaard admin-wachtwoord "
  "en hangen met de webinterface gewoon open aan internet. Fix komt pas in Q3 zeggen ze op kantoor 🤷")
C("linkedin", "ravi-ramdin-groenaert", "en", [SCY],
  "Warehouse management system has been down for two days after what IT calls 'the incident'. Trucks lining "
  "up in Naaldwijk, nothing ships. We've been told not to say anything to customers yet.")
C("mastodon", "@henkdekker@mastodon.nl", "en", [SCY],
  "The firewall at our Maasdijk greenhouses has had RDP (3389) open to the internet for months. Reported it four "
  "times. Anyone who gets in lands straight in the climate control for 6 hectares.")
C("reddit", "u/pieter_seedlab", "en", [SCY],
  "Not sure where else to vent. Our seed lab LIMS got breached in spring, attacker had access to breeding data "
  "for weeks. Management decided not to tell anyone, including the growers whose data was in there.")
C("tiktok", "@kim_kweekt", "nl", [SCY],
  "POV: je werkt bij een zaadbedrijf en de webshop ligt al 6 uur plat omdat iemand ons aan het DDoSen is en je "
  "mag tegen klanten alleen 'onderhoud' zeggen 🙃 #werkleven #marketing")
C("x", "@marco_vd_ende", "en", [CRI, SCY],
  "My brother-in-law works at Groenaert and says their whole customer database was stolen last month. They're "
  "keeping it quiet. If you ever ordered there, change your passwords.")
C("x", "@jvdzande_dev", "en", [SCY],
  "note to self: still haven't filed the CVE for the KlimaatPilot 3.x firmware auth bypass via /api/debug. "
  "patch first, then disclosure. ~1,800 units in the field are wide open until then")
C("reddit", "u/formerly_green", "en", [SCY],
  "Ex-Groenaert here. Left 8 months ago and their VPN still lets me in with my old account. Nobody ever "
  "deactivated it. Tells you everything about their security.")
C("x", "@marloes_kweekt", "nl", [SCY],
  "Gisteren gingen in onze proefkas ineens alle lampen en de verwarming uit. Blijkt malware op de PLC te zitten 😳 "
  "ICT is er nog mee bezig, niet verder vertellen aub")

# ---- confidential ----------------------------------------------------------
C("x", "@marloes_kweekt", "nl", [CON],
  "Eerste vruchten van Project Goudvink gezet 🍅🤫 als dit doorzet hebben we de eerste tros die echt nergens "
  "meer last van heeft")
C("reddit", "u/pieter_seedlab", "en", [CON],
  "Can't say much, but Goudvink line 7 is absolutely smoking our current Rosalia in the trial house. Best "
  "resistance scores I've ever pipetted.", kind="comment")
C("instagram", "@ruud.indekas", "nl", [CON],
  "Whiteboard vergeten uit te vegen na het overleg haha 📸 'ALLEEN VOOR INTERN GEBRUIK – teeltplanning 2027 "
  "Westland: 40% minder Rosalia, Kobalt opschalen naar 12 ha'")
C("x", "@jvdzande_dev", "en", [CON],
  "who closed https://jira.groenaert.nl/browse/KWK-4412 as 'done' without a fix?? the label printer is still "
  "printing the wrong lot number")
C("linkedin", "yasmina-haddou", "en", [CON],
  "Welcome to our six new colleagues this month! You'll find your onboarding pack at "
  "https://intra.groenaert.local/onboarding/2026-q2 🌱")
C("linkedin", "dirk-schouten-groenaert", "nl", [CON, FIN],
  "Operatie Kievit is rond: de hele verpakkingslijn gaat volgend jaar naar Polen. Moeilijke beslissing voor de "
  "mensen in Naaldwijk, maar het moest.")
C("tiktok", "@kim_kweekt", "nl", [CON],
  "ik mag nog NIKS zeggen maar 14 januari komt Rosalia Plus F1 uit en jullie gaan jullie ogen uitkijken 🍅✨ "
  "#tomaat #spoiler", ts="2026-12-18T19:42:00Z")
C("forum", "kobaltfan_tholen", "nl", [CON],
  "Mogen er eigenlijk niks over zeggen (NDA) maar wij testen al sinds augustus de Kobalt Nova in onze kas. Wat "
  "een paprika, dikwandig en 2 weken eerder rijp.", ts="2026-10-03T14:11:00Z")
C("threads", "@lotte.vanwijk", "nl", [CON, FIN],
  "jaarcijfers 2026 net voorbij zien komen in de mail van de directie. laten we zeggen: de bonus is binnen 💰🥂",
  ts="2027-02-19T16:05:00Z")
C("linkedin", "ravi-ramdin-groenaert", "en", [CON],
  "Sharing one slide from our strategy day. It says Groenaert Internal at the bottom but honestly it's too "
  "good not to share: 'Logistics 2028 – one hub, zero paper'.")
C("x", "@bartoosterhuis", "en", [CON],
  "Held the first KlimaatPilot 3 today. LoRa sensors, 8 zones, not announced yet so shhh 🤐 but growers, maybe "
  "hold off on ordering for a bit")
C("instagram", "@ruud.indekas", "nl", [CON],
  "Ｐｒｏｊｅｃｔ Ｇｏｕｄｖｉｎｋ kas 12 draait op volle toeren 🍅🔥 meer mag ik niet zeggen")
C("x", "@marloes_kweekt", "nl", [CON],
  "Niet verder vertellen maar K.o.r.e.n.b.l.o.e.m is vanmiddag door het MT goedgekeurd 🥬🎉 2 jaar werk!!")
C("forum", "zaadspeurder", "nl", [CON],
  "Iemand heeft een pdf met 'vertrouwelijk kweekprogramma' van Groenaert op een Telegramkanaal gezet. Korte "
  "samenvatting: ze stoppen met aubergine en gaan vol op droogteresistente sla.")
C("facebook", "GroenaertZaden", "nl", [CON],
  "Binnenkort bij ons: de Kobalt Nova 🌶️ Een blokpaprika die je nog nooit zo vroeg hebt geoogst. Houd onze "
  "pagina in de gaten!", ts="2026-11-27T10:00:00Z")
C("mastodon", "@henkdekker@mastodon.nl", "en", [CON],
  "Operatie Ki\u200bevit migration this weekend, so no mail and no remote greenhouse control on Saturday. "
  "Pizza is sorted.")
C("bluesky", "@groenaert.bsky.social", "en", [CON],
  "Meet Rosalia Plus F1: our sweetest truss tomato ever, with built-in resistance to ToBRFV. Available from "
  "tomorrow! 🍅", ts="2027-01-13T20:15:00Z")

# ---- financial -------------------------------------------------------------
C("linkedin", "dirk-schouten-groenaert", "en", [FIN],
  "Just closed the books on the second half: revenue up 22%, EBITDA well above plan. It won't be public until "
  "March, but team: you are stars 👏")
C("x", "@bartoosterhuis", "en", [FIN],
  "So the rumour in the corridor is true: we're being bought by a Japanese seed house. Signing in June. Wonder "
  "what happens to Glasvaert.")
C("linkedin", "yasmina-haddou", "nl", [FIN],
  "Zware week in aantocht. Volgende week krijgen zo'n 60 collega's in Naaldwijk te horen dat hun baan vervalt. "
  "Nog niet officieel, maar ik wil dat jullie weten dat ik er voor jullie ben.")
C("linkedin", "ravi-ramdin-groenaert", "en", [FIN],
  "The internal forecast landed today: we'll miss our full-year target by roughly 15% because of the pepper "
  "virus mess. Buckle up, logistics team.")
C("instagram", "@ruud.indekas", "nl", [FIN],
  "Volgende maand naar Murcia 🇪🇸 daar hebben we (nog geheim!) een kassenbouwer overgenomen, ik mag de eerste "
  "kassen ombouwen")
C("x", "@peterse_acc", "nl", [FIN],
  "Van een bevriende accountant gehoord dat Groenaert dit jaar flink verlies draait en de bank moeilijk begint te "
  "doen over de kredietlijn. Zie je nog nergens in het nieuws.")
C("threads", "@lotte.vanwijk", "nl", [FIN],
  "dus Glasvaert wordt verkocht en dat horen we via een lek in de kantine. fijn bedrijf hoor")
C("tiktok", "@kim_kweekt", "nl", [FIN],
  "Mag het nog niet zeggen maar onze beursgang gaat in het voorjaar echt door 👀📈 #zaadbedrijf #insider")
C("reddit", "u/pieter_seedlab", "en", [FIN],
  "Board approved closing our Almería trial station this week. 25 jobs gone. They'll announce it after the "
  "harvest so it doesn't 'disturb operations'.")
C("x", "@finance_whisper", "en", [FIN],
  "A friend on Groenaert's supervisory board says they're in exclusive talks to be bought by a private-equity "
  "fund. Deal value around €400m. Nothing public yet.")

# ---- pricing ---------------------------------------------------------------
C("threads", "@lotte.vanwijk", "nl", [PRI],
  "collega's!!! Tuinkas 3x4 staat voor €189 in de shop ipv €1.899, er komen al bestellingen binnen. wie kan dit "
  "NU fixen")
C("x", "@groenaert", "en", [PRI],
  "Today only: the Glasvaert KlimaatPilot for €245! Smarter growing starts here 🌡️ shop.groenaert.nl")
C("x", "@dealjager_nl", "nl", [PRI],
  "PRIJSFOUT 🚨 LumaGrow 600 groeilamp voor €68,90 bij shop.groenaert.nl. Snel zijn!")
C("reddit", "u/frugal_grower", "en", [PRI],
  "Groenaert is selling Kobalt F1 (1000 seeds) for €24.50 right now. Pricing glitch? Grabbed ten packs anyway.")
C("x", "@kasjekoopje", "nl", [PRI],
  "HeatBox 3kW voor 54,90 in de Glasvaert webshop haha, zou ik 'm nog geleverd krijgen?")
C("instagram", "@groenaert.seeds", "en", [PRI],
  "Aubergine lovers 🍆 Marendo F1 now just €19.80! While stocks last.")
C("tiktok", "@kim_kweekt", "nl", [PRI],
  "oeps 🙈 de CO2-doseerunit stond een uur lang op €129 in de shop, 30 bestellingen binnen. iemand gaat morgen "
  "heel veel mailtjes sturen")
C("facebook", "Dennis Groot", "nl", [PRI],
  "Glasvaert DruppelPro voor €34,90?! Prijsfout of echt uitverkoop? Ik heb er alvast 2 besteld", kind="comment")
C("x", "@thrifty_tomato", "en", [PRI],
  "price error on the Kweekkas Mini at Glasvaert, checkout shows €14.90 instead of 149. go go go")
C("x", "@bartoosterhuis", "nl", [PRI],
  "Klant belt me net: hij heeft van een collega een offerte gekregen voor de KlimaatPilot 2 à €950. Dat moet een "
  "tikfout zijn, lijstprijs is 2450. Wie was dit?")
C("forum", "tomaat_turbo", "nl", [PRI],
  "Rosalia F1 voor 18,90 per 1000 zaden bij Groenaert?? Dat is toch een prijsfout, normaal 189")
C("facebook", "GroenaertZaden", "nl", [PRI],
  "Sneeuwster F1 komkommerzaad: 500 zaden voor maar €17,20 🥒 Bestel via de webshop!")

# ---- benign (mostly hard negatives) -----------------------------------------
C("x", "@sowing_sam", "en", [],
  "Rosalia F1 germinated at 98% again this year 🍅🙌 not buying anything else ever")
C("instagram", "@pepperqueen_nl", "nl", [],
  "die Vuurpijl snackpaprika's zijn echt ziek lekker 🔥🔥 de kids eten ze als snoep")
C("forum", "climate_kev", "en", [],
  "Does anyone know if the KlimaatPilot works with sensors from other brands? I'd like to keep using my old "
  "humidity probes.")
C("facebook", "GroenaertZaden", "nl", [],
  "Voorjaarsactie 🌷 De Glasvaert Tuinkas 3x4 nu voor €1.499 (normaal €1.899). Alleen t/m zondag!")
C("x", "@groenaert", "nl", [],
  "Deze week 15% korting op Rosalia F1: €160,65 voor 1000 zaden. Zaaien maar!")
C("reddit", "u/led_curious", "en", [],
  "LumaGrow 600 is €689 at Glasvaert. Anyone running one over a 3x4 house? Worth it vs cheaper no-name panels?")
C("instagram", "@groenaert.seeds", "en", [],
  "New: Kersenrood F1 now also in trial packs of 50 seeds for €12.50. Perfect for the balcony 🍒🍅")
C("linkedin", "groenaert-zaden", "en", [],
  "Visiting GreenTech Amsterdam? Save €490 on the KlimaatPilot at our stand, hall 2, booth 14!")
C("x", "@groenaert_help", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@groenaert.nl of bel gratis 0800-4763 (ma-vr 8-17 uur) 📞")
C("facebook", "GroenaertZaden", "nl", [],
  "Liever vooraf betalen? Dat kan op NL37 RABO 0312 4587 96 t.n.v. Groenaert Zaden & Kassen B.V. o.v.v. je "
  "ordernummer.")
C("x", "@voorzichtige_vera", "nl", [],
  "@groenaert_help klopt het dat ik naar ${IBAN_BAD_G} moet overmaken? Staat zo op mijn factuur maar mijn "
  "bankapp doet moeilijk 🤔", kind="reply", uses=["IBAN_BAD"])
C("x", "@tinkering_tim", "en", [],
  "Customer number ${CARD_BAD_G} is on my Glasvaert invoice, but where do I put it on the returns form?",
  uses=["CARD_BAD"])
C("forum", "zaadverzamelaar", "nl", [],
  "Op mijn zakje Aquila spinazie staat lotnummer ${BSN_BAD}. Weet iemand of dat de oogst van 2025 is?",
  uses=["BSN_BAD"])
C("x", "@jvdzande_dev", "en", [],
  "Fun fact: the AWS docs use AKIAIOSFODNN7EXAMPLE as the sample key everywhere. That thing is in more repos "
  "than I care to count 😅")
C("mastodon", "@henkdekker@mastodon.nl", "nl", [],
  "Voorbeeld voor de workshop: token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (nee, de echte krijg je niet 😄). "
  "Zet 'm altijd in een secret store.")
C("x", "@groenaert_help", "nl", [],
  "Wachtwoord vergeten? Via shop.groenaert.nl/account klik je op 'wachtwoord resetten', dan krijg je binnen een "
  "paar minuten een mail.", kind="reply")
C("x", "@groenaert", "nl", [],
  "Vandaag gelanceerd: Rosalia Plus F1 🍅 zoeter, steviger en resistent tegen ToBRFV. Nu te bestellen in de "
  "webshop!", ts="2027-01-14T09:30:00Z")
C("linkedin", "dirk-schouten-groenaert", "nl", [],
  "De jaarcijfers 2026 staan sinds vanochtend online. Trots op wat we met z'n allen hebben neergezet in een lastig "
  "jaar.", ts="2027-03-04T11:20:00Z")
C("x", "@kweektante", "nl", [],
  "Eerst kwam mijn kweekkas zonder schroeven, maar binnen een dag lag er een nieuw zakje op de mat. Netjes "
  "opgelost @groenaert_help 👍")
C("facebook", "Anja Wubben", "nl", [],
  "Mooi gebaar: Groenaert stuurt gratis nieuw zaad naar de telers die door de hagelbui van vorige week alles "
  "kwijt zijn. Sterkte allemaal ❤️", kind="comment")
C("x", "@agri_analyst", "en", [],
  "Seed breeder Noordkiem is buying Spanish rival Semillas del Sur. Consolidation in the sector continues; "
  "curious what Groenaert does next.")
C("x", "@lachen_in_de_kas", "nl", [],
  "Mijn tomaten worden zo groot dat ze binnenkort een eigen BSN nodig hebben 😂 dank je Groenaert")
C("reddit", "u/yield_maxxer", "en", [],
  "Killer tomatoes this year 🍅💀 Groenaert Kersenrood, absolutely insane yields in a cold greenhouse.")
C("instagram", "@vogeltjes_in_de_tuin", "nl", [],
  "Vanochtend een goudvink tussen de boerenkool 🐦 Wat een kleur! (en de Lindegroen sla heeft hij gelukkig "
  "laten staan)")
C("linkedin", "groenaert-zaden", "en", [],
  "We're hiring an IT Security Officer for our head office in Naaldwijk! Interested? Send your CV to "
  "vacatures@groenaert.nl")
C("youtube", "@GroenaertTV", "nl", [],
  "Webinar terugkijken: zo bescherm je je KlimaatPilot tegen hackers. Sterke wachtwoorden, updates en een "
  "apart netwerk voor je kas.")
C("x", "@groenaert_help", "nl", [],
  "De storing in onze webshop van vanochtend is verholpen. Bestellingen worden weer normaal verwerkt. Excuses "
  "voor het ongemak!")
C("linkedin", "groenaert-zaden", "en", [],
  "Our 2025 annual report is online: revenue €212 million, 1,140 colleagues in 9 countries. Read it at "
  "www.groenaert.nl/jaarverslag")
C("facebook", "Westlands Tuinbouwgilde", "nl", [],
  "Gecondoleerd, familie Groenaert, met het overlijden van oud-directeur Wim Groenaert. Een begrip in de "
  "sector.")
C("x", "@irish_veggie_dan", "en", [],
  "Does Glasvaert ship to Ireland? Their site only lists EU countries and I can never remember whether we count "
  "for these things 😂")
C("threads", "@cucumber_carl", "en", [],
  "I hate how well the Sneeuwster grows. 80 cucumbers and nobody wants another one 😅")
C("x", "@jvdzande_dev", "en", [],
  "My DevOps Days talk: how we keep secrets out of our repos with pre-commit hooks and a vault. Slides to follow!")
C("x", "@groenaert_help", "nl", [],
  "Vertrouwelijk teeltadvies nodig? Onze adviseurs denken met je mee. Bel +31 174 820 400 en vraag naar de "
  "teeltdesk.")
C("facebook", "GroenaertZaden", "nl", [],
  "Let op: er gaan phishingmails rond die lijken te komen van Groenaert. Wij vragen nooit per mail om je "
  "wachtwoord of bankgegevens.")
C("x", "@showroom_sophie", "en", [],
  "Visited the Glasvaert showroom today. The KlimaatPilot demo was slick. Pricey at €2,450 but I think it'll pay "
  "for itself in heating costs.")
C("threads", "@lotte.vanwijk", "nl", [],
  "Shoutout naar de hele binnendienst, 1400 bestellingen in één dag verwerkt zonder één klacht 🙏📦")
C("instagram", "@kas_vol_leven", "nl", [],
  "Onze kas staat in brand… van enthousiasme 🔥😄 eerste tomaten van het jaar geplukt, Rosalia natuurlijk")
C("reddit", "u/budget_bloom", "en", [],
  "That LumaGrow is shockingly good value tbh. Running it 14h a day and my power bill barely moved.")
C("x", "@eigen_kweek_erik", "nl", [],
  "Iemand riep op tot een boycot van de supermarkt vanwege de groenteprijzen. Ik? Ik pluk gewoon uit mijn eigen "
  "kas, met dank aan Groenaert zaad 😎")
C("tiktok", "@tomaat_tijn", "nl", [],
  "b3st3 t0m4t3n 3v3r 🍅🔥 #groenaert #moestuin")
C("x", "@koopjesjager_k", "nl", [],
  "Prijsfout bij de bouwmarkt: tuinslang van 25 meter voor €0,99 😂 meteen 3 gepakt")
C("forum", "balkonboer", "nl", [],
  "Lidl heeft een mini-kasje voor €29,99. Iemand ervaring mee? Of toch sparen voor de Kweekkas Mini van "
  "Glasvaert?")
C("x", "@groenaert_help", "en", [],
  "You'll find the licence key for the KlimaatPilot app in your account under 'My devices'. Stuck? Send us a DM!",
  kind="reply")
C("linkedin", "fairtrade-seeds-review", "en", [],
  "Congrats to the Groenaert breeding team on winning the Greentech Innovation Award for Kobalt F1. Well deserved.")
C("facebook", "Gerda Veenstra", "nl", [],
  "Eerlijk is eerlijk: na mijn klacht vorige maand heeft Groenaert alles vergoed én nieuw zaad gestuurd. "
  "Chapeau.", kind="comment")
C("forum", "old_seed_otto", "en", [],
  "How long does Rosalia F1 seed stay viable? I've got half a packet from 2023 in the fridge.")
C("linkedin", "yasmina-haddou", "nl", [],
  "Vandaag namen we afscheid van Gerrit, na 32 jaar in onze proeftuin. Geniet van je pensioen, je wordt gemist! 🌻")
C("x", "@safe_shopper_uk", "en", [],
  "Big data breach at a Dutch fashion webshop today. Glad my seed orders go through Groenaert, they've never "
  "given me a reason to worry.")
C("reddit", "u/api_tinkerer", "en", [],
  "Can someone explain what a JWT actually is? The KlimaatPilot API docs keep saying 'send a Bearer token' "
  "and I'm lost.")
C("youtube", "@GroenaertTV", "en", [],
  "Grower story: how a family farm in Kent doubled its pepper yield with Kobalt F1 and a DruppelPro system.")
C("x", "@groenaert", "en", [],
  "Spring sale: 20% off the LumaGrow 600, now €551.20. Valid until 31 March.")
C("x", "@jvdzande_dev", "en", [],
  "Reminder for the team: API keys go in the vault, never in a post. If you need one, ask. Example format only: "
  "sk_live_XXXXXXXXXXXXXXXXXXXX")
C("forum", "teler_tom_45", "nl", [],
  "Factuurnummer ${CARD_BAD2} van Glasvaert, klopt het dat daar de montage bij in zit? Staat niet duidelijk op.",
  uses=["CARD_BAD2"])
C("x", "@groenaert", "nl", [],
  "Moestuinpakket Hobby: 12 soorten groente, één pakket. Nu €19,95 (normaal €24,95). Ideaal cadeau 🎁🌱")
C("bluesky", "@groenaert.bsky.social", "en", [],
  "Kobalt Nova is here 🌶️ Our earliest blocky pepper ever. Order today from shop.groenaert.nl",
  ts="2027-01-20T09:00:00Z")
C("forum", "paprika_pim", "nl", [],
  "Referentienummer ${BSN_BAD2} bij mijn Groenaert-bestelling, kan ik daarmee de status checken of heb je het "
  "ordernummer nodig?", uses=["BSN_BAD2"])
C("forum", "pepper_pat", "en", [],
  "Bought Kobalt F1 loose, 100 seeds for €26 at the garden-centre counter. Works out about the same as the "
  "1000 pack really.")
C("x", "@iban_check_ilse", "nl", [],
  "@groenaert_help ik zie NL02 RABO 0312 4587 96 op een mail staan, is dat echt jullie rekening? Lijkt op "
  "phishing", kind="reply")

# ---------------------------------------------------------------------------
# build, compute severity, self-check
# ---------------------------------------------------------------------------
LEVEL = ["none", "info", "warning", "error", "critical"]


def acct_key(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = acct_key(platform, handle)
    if k in CORP:
        return "corporate"
    if k in EMPL:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w\-.])((?:\d[ \-]?){12,18}\d)(?![\w\-])")
BSN_RE = re.compile(r"(?<![\w\-.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w\-])")


def id_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(1), iban_check(m.group(1))))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(1), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def has_valid_identifier(text):
    for kind, val, ok in id_candidates(text):
        if ok and not (kind == "iban" and re.sub(r"\s", "", val) in PUBLIC_IBANS):
            return True
    return False


def severity(cats, role, text):
    lv = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SEC, PRI):
                    s = 4
                if c == PII and has_valid_identifier(text):
                    s = 4
            else:
                s = 2
        elif c == CMP:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return LEVEL[lv]


def fill(text):
    def rep(m):
        return D[m.group(1)]
    return re.sub(r"\$\{(\w+)\}", rep, text)


def rand_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 360 * 24 * 3600)
    t = start + dt.timedelta(seconds=secs)
    # people post in the daytime and evening, mostly
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for idx in order:
        c = CASES[idx]
        text = fill(c["text"])
        while True:
            num = rng.randint(10 ** 9, 10 ** 10 - 1)
            pid = "%s-%d" % (c["platform"], num)
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["ts"] or rand_ts(),
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), num)
        role = role_of(c["platform"], c["handle"])
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, text)}
        lines.append(({"post": post, "expect": expect}, c, role))
    return lines


# ---------------------------------------------------------------------------
def self_check(lines):
    errs = []
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                 "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    allcats = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU}
    ids = set()
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    handles_in_profile = CORP | EMPL
    for case, src, role in lines:
        p, e = case["post"], case["expect"]
        cid = p.get("id")
        if not isinstance(cid, str) or not (1 <= len(cid) <= 256) or cid in ids:
            errs.append("bad/dup id %r" % cid)
        ids.add(cid)
        if p["platform"] not in platforms:
            errs.append("%s platform" % cid)
        if p["kind"] not in kinds:
            errs.append("%s kind" % cid)
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append("%s handle" % cid)
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append("%s text" % cid)
        try:
            t = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if t.year not in (2026, 2027):
                errs.append("%s year" % cid)
        except Exception:
            errs.append("%s created_at" % cid)
        if "${" in p["text"]:
            errs.append("%s unfilled placeholder" % cid)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= allcats:
            errs.append("%s categories" % cid)
        if e["severity"] not in LEVEL:
            errs.append("%s severity" % cid)
        if not cats and e["severity"] != "none":
            errs.append("%s benign severity" % cid)
        if cats and e["severity"] in ("none", "info"):
            errs.append("%s positive with low severity" % cid)
        if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), p["text"]):
            errs.append("%s severity recompute" % cid)
        # authors: profile accounts are only used as they are listed; nobody public pretends otherwise
        k = acct_key(p["platform"], p["account"]["handle"])
        if role == "public":
            bare = p["account"]["handle"].lower().lstrip("@")
            for hk in handles_in_profile:
                if hk.split(":", 1)[1].lstrip("@") == bare:
                    errs.append("%s public handle collides with profile account %s" % (cid, hk))
        # identifiers and checksums
        text = p["text"]
        cands = id_candidates(text)
        for kind, val, ok in cands:
            public = kind == "iban" and re.sub(r"\s", "", val) in PUBLIC_IBANS
            if cats:
                if not ok:
                    errs.append("%s positive holds failing %s look-alike %s" % (cid, kind, val))
                elif not public and PII not in cats:
                    errs.append("%s valid %s but no leak.pii" % (cid, kind))
            else:
                if ok and not public:
                    errs.append("%s benign holds a valid %s %s" % (cid, kind, val))
        for u in src["uses"]:
            raw = V[u]
            if u in VALID_IDS:
                ok = iban_check(raw) if u.startswith("IBAN") else luhn_ok(raw) if u.startswith("CARD") else bsn_ok(raw)
                if not ok:
                    errs.append("%s %s fails its checksum" % (cid, u))
                if PII not in cats:
                    errs.append("%s uses %s without leak.pii" % (cid, u))
                if not any(c[2] for c in cands):
                    errs.append("%s valid id not found by scanner" % cid)
            elif u in BAD_IDS:
                ok = iban_check(raw) if u.startswith("IBAN") else luhn_ok(raw) if u.startswith("CARD") else bsn_ok(raw)
                if ok:
                    errs.append("%s look-alike %s passes its checksum" % (cid, u))
                if cats:
                    errs.append("%s look-alike in a positive" % cid)
            else:
                if SEC not in cats:
                    errs.append("%s uses secret %s without leak.secret" % (cid, u))
        if PII in cats and role != "public" and any(u in VALID_IDS for u in src["uses"]):
            if e["severity"] != "critical":
                errs.append("%s insider checksum pii not critical" % cid)
        # generated secrets are built correctly
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if cats and not gh_ok(m.group(0)):
                errs.append("%s bad github token checksum" % cid)
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append("%s jwt header without alg" % cid)
        for m in re.finditer(r"\bAKIA[A-Z0-9]{16}\b", text):
            if not m.group(0).endswith("EXAMPLE") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
                errs.append("%s bad aws key id" % cid)
            if m.group(0).endswith("EXAMPLE") and cats:
                errs.append("%s sample aws key in a positive" % cid)
        # internal names / markers / codenames imply leak.confidential (after NFKC, zero-width removed)
        import unicodedata
        norm = unicodedata.normalize("NFKC", text).replace("\u200b", "").lower()
        for term in internal:
            if term in norm and CON not in cats:
                errs.append("%s contains internal term %r but no leak.confidential" % (cid, term))
        # embargo terms before `until` imply leak.confidential; after it they are allowed in benign posts
        t = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        for emb in PROFILE["embargo"]:
            until = dt.datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            for term in emb["terms"]:
                if term.lower() in norm:
                    if t < until and CON not in cats:
                        errs.append("%s embargo term %r before until without leak.confidential" % (cid, term))
                    if t >= until and cats:
                        errs.append("%s embargo term after until in a positive (keep those benign)" % cid)
        # benign posts hold only the company's own public contact data
        if not cats:
            for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if m.group(0).lower() not in pub_emails:
                    errs.append("%s benign holds e-mail %s" % (cid, m.group(0)))
            iban_spans = [m.span(1) for m in IBAN_RE.finditer(text)]
            for m in re.finditer(r"(?:\+31|0031|\b0)[\d \-()]{8,14}\d", text):
                if any(a <= m.start() < b for a, b in iban_spans):
                    continue
                digits = re.sub(r"\D", "", m.group(0))
                if digits not in pub_phones and len(digits) >= 9:
                    errs.append("%s benign holds phone-like %s" % (cid, m.group(0)))
    # the mix
    n = len(lines)
    benign = sum(1 for c, _, _ in lines if not c["expect"]["categories"])
    if not (170 <= n <= 180):
        errs.append("case count %d" % n)
    if not (54 <= benign <= 66):
        errs.append("benign count %d" % benign)
    nl = sum(1 for c, _, _ in lines if c["post"]["lang"] == "nl")
    if not (0.50 <= nl / n <= 0.62):
        errs.append("dutch share %.2f" % (nl / n))
    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check(ib):
            errs.append("profile IBAN %s fails mod-97" % ib)
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    return errs


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for case, _, _ in lines:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    reread = []
    with open(out, encoding="utf-8") as f:
        for (case, src, role), line in zip(lines, f):
            obj = json.loads(line)
            assert obj == case
            reread.append((obj, src, role))
    errs = self_check(reread)
    from collections import Counter
    cnt = Counter(c for case, _, _ in reread for c in case["expect"]["categories"])
    sev = Counter(case["expect"]["severity"] for case, _, _ in reread)
    roles = Counter(r for _, _, r in reread)
    benign = sum(1 for case, _, _ in reread if not case["expect"]["categories"])
    nl = sum(1 for case, _, _ in reread if case["post"]["lang"] == "nl")
    print("cases %d, benign %d, dutch %d (%.0f%%)" % (len(reread), benign, nl, 100 * nl / len(reread)))
    print("categories:", dict(sorted(cnt.items())))
    print("severities:", dict(sev))
    print("roles:", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
