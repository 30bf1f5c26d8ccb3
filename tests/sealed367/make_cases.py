#!/usr/bin/env python3
"""Sealed evaluation set 367 for postwatch: Stichting Vlinderveld Kinderfonds.

Deterministic (fixed seed). Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * severities are computed from CONTRACT section 4 and the account role in
    profile.yaml, never typed by hand;
  * benign posts carry no codename, internal host, marker, live embargo term,
    real-looking credential or below-ratio price of a catalogue product.
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
SEED = 367
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in base))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    return good[:2] + "%02d" % ((cd + 7) % 97 or 11) + good[4:]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in digits][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
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
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(c) * k for c, k in zip(head, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if s < 10:
            cand = head + str(s)
            if bsn_ok(cand):
                return cand

# ---------------------------------------------------------------- credentials
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "runner-%d" % rng.randint(10000, 99999),
                                 "iss": "vlinderloop-app", "role": "timing",
                                 "exp": 1790000000 + rng.randint(0, 10 ** 6)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def ssh_key_body():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


SEC = {
    "GHP1": github_token("ghp_"),
    "GHP2": github_token("ghp_"),
    "AKIA1": aws_key_id(),
    "AWSSECRET1": aws_secret(),
    "MOLLIE": "live_" + rand(ALNUM, 30),
    "SLACK": "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 3 * 10 ** 11 - 1), rng.randint(10 ** 12, 3 * 10 ** 12 - 1), rand(ALNUM, 24)),
    "STRIPE": "sk_live_" + rand(ALNUM, 24),
    "OPENAI": "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74),
    "JWT": jwt(),
    "SSHKEY": ssh_key_body(),
}
IDS = {
    "IBAN1": group4(make_iban("INGB")),
    "IBAN2": make_iban("ASNB"),
    "IBAN_PUB1": group4(make_iban("ABNA")),
    "CARD1": group4(make_card("4")),
    "CARD2": make_card("52"),
    "CARD3": "-".join(group4(make_card("4")).split(" ")),
    "BSN1": make_bsn(),
    "BSN2": None,
    "BAD_IBAN": group4(bad_iban("RABO")),
    "PUBLIC_IBAN": group4(PROFILE["public_identifiers"]["ibans"][0]),
}
b2 = make_bsn()
IDS["BSN2"] = b2[:4] + "." + b2[4:6] + "." + b2[6:]
FILL = dict(SEC, **IDS)

# ---------------------------------------------------------------- the posts
# code -> category
CAT = {"C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse",
       "P": "leak.pii", "K": "leak.secret", "S": "leak.security", "F": "leak.confidential",
       "N": "leak.financial", "R": "leak.pricing"}

# (platform, handle, lang, kind, codes, text[, created_at])
POSTS = [
    # ------------------------------------------------------------ complaints
    ("x", "@sandra_uit_ede", "nl", "reply", "C",
     "@vlinderveld_help al 3x gebeld om mijn maandelijkse donatie stop te zetten en NOG steeds wordt er €15 afgeschreven. Dit is toch niet normaal?? Geef me gewoon mijn geld terug"),
    ("x", "@tomruns_utr", "en", "post", "C",
     "Signed up for the VlinderLoop 10K in March, paid, got the confirmation mail... and no start number in the envelope. Race is Sunday. Emailed twice, zero reply. Not impressed @vlinderveld"),
    ("facebook", "Wendy Kuipers", "nl", "comment", "C",
     "wederom een straatwerver van vlinderveld die me bij de AH niet met rust liet. nee is nee hè. vind het echt opdringerig geworden de laatste tijd"),
    ("x", "@h_brouwer63", "nl", "reply", "C",
     "Jaaropgave voor de belasting nog steeds niet binnen, terwijl er 'eind januari' beloofd was. Nu kan ik mijn aangifte niet afronden. Slecht geregeld @vlinderveld_help"),
    ("instagram", "@giftsbyjules", "en", "comment", "C",
     "ordered the Vlinderbox as a birthday gift 3 weeks ago, tracking hasn't moved since day 2 and customer service just sends copy-paste answers 🙄"),
    ("x", "@mirjam_k", "nl", "post", "C",
     "Afmeldlink in de nieuwsbrief van Vlinderveld doet het niet. Krijg nu 4 mails per week. Hoe kom ik hier vanaf?!"),
    ("facebook", "Gerrit Bosman", "nl", "comment", "C",
     "Belt er wéér iemand namens Vlinderveld om kwart voor 9 's avonds of ik mijn bijdrage wil verhogen. Tijdens het eten. ELKE maand. Als dit zo doorgaat zeg ik de hele machtiging op."),
    ("reddit", "u/galanight_regret", "en", "post", "C",
     "Bought 2 Vlinderbal tickets, they moved the gala to a date we can't make and the refund has been 'under review' for 6 weeks now. For a charity you are remarkably slow at giving money back."),
    ("x", "@noortje_dd", "nl", "reply", "C",
     "hoodie besteld in M, XL gekregen, op eigen kosten teruggestuurd en sindsdien hoor ik niks meer. jammer want ik steun jullie doel echt @vlinderveld_help"),
    ("facebook", "Ria van Dam", "en", "comment", "C",
     "christmas card set from vlinderveld arrived with half the envelopes stuck together from the damp. bit of a waste of money tbh"),
    ("x", "@sponsoredsteve", "en", "post", "C",
     "The VlinderLoop app crashed at km 7 and wiped my whole sponsored run. My sponsors want proof and I've got nothing to show them. Really frustrating, @vlinderveld."),
    ("x", "@annemiek_w", "nl", "reply", "CP",
     "@vlinderveld_help via de mail krijg ik geen antwoord dus dan maar zo: bel me alsjeblieft terug op 06-41827365 over die dubbele afschrijving van vorige week. Groet, Annemiek"),
    ("x", "@dlangeveld", "en", "reply", "CP",
     "@vlinderveld_help you charged me twice for the lottery ticket. My account is <<IBAN_PUB1>> , please refund the second one, it's been 10 days"),
    ("x", "@boze_bert", "nl", "post", "CA",
     "Stelletje amateurs bij die klantenservice van Vlinderveld. 5x doorverbonden en dan gewoon ophangen. Idioten zijn het"),
    ("x", "@kellyvr", "en", "reply", "CA",
     "@vlinderveld_help your 'donor care' team is a bunch of useless clowns. third time my cancellation got 'lost'. fix it"),
    ("facebook", "Sanne Oosterhuis", "nl", "comment", "CX",
     "Knuffelbeer Fleur uit jullie webshop: na twee dagen zat het oogje los en mijn dochter van 14 maanden had het al in haar mond. Bijna verslikt!! Hoe komt zoiets door een keuring?? 😡"),
    ("x", "@dadof2_nl", "en", "post", "CX",
     "My son's glow bracelet from the VlinderLoop got really hot and left a red burn mark on his wrist. He's 6. Not okay @vlinderveld"),
    ("instagram", "@mama_van_3", "nl", "comment", "CX",
     "na de snoepzakjes uit de Vlinderbox hebben mijn twee jongste de hele nacht liggen overgeven. THT bleek al verlopen. wie controleert dit eigenlijk bij jullie?"),
    ("facebook", "Marco Hendriks", "nl", "post", "CX",
     "Bij de finish van de VlinderLoop 5K gingen mijn zoon en ik allebei onderuit over een losliggende kabelgoot. Hij heeft zijn pols gebroken. Geen EHBO te bekennen. Ik ben hier echt boos over, Vlinderveld."),
    ("x", "@bargainbea", "en", "post", "RC",
     "Ordered 3 Fleur bears at €3.95 each this morning (price glitch I guess?) and now @vlinderveld cancelled my order without a word. Either honour it or at least send an email."),
    ("facebook", "Ellen Vos", "nl", "post", "CX",
     "Mijn moeder van 84 is aan de deur 'overgehaald' door een werver van Vlinderveld om €50 per maand te geven. Ze wist niet eens wat ze tekende. Dit is gewoon misbruik van ouderen, ik meld het bij het CBF."),

    # ------------------------------------------------------------ crisis
    ("x", "@privacywaakhond", "nl", "post", "X",
     "Zijn jullie die donateursgegevens van Vlinderveld al tegengekomen op dat hackersforum? Namen, adressen, IBANs van duizenden mensen. En de stichting zegt NIKS. #datalek"),
    ("x", "@follow_the_euro", "en", "post", "X",
     "Thread 🧵 Vlinderveld's director took home €260k plus bonus last year while the children's ward they 'fund' has been waiting 3 years for the playroom they promised. Where does the money go?"),
    ("x", "@kritischegever", "nl", "post", "X",
     "#boycotVlinderveld tot ze openheid geven over die 1,2 miljoen aan 'adviesbureaus'. Geen cent meer doneren mensen, echt niet."),
    ("facebook", "Oudercafé Kinderafdeling", "nl", "post", "X",
     "Terugroepactie! Knuffelrups Mos uit batch 2026-08 kan kleine onderdelen verliezen. Het fonds heeft het ergens op de site gezet maar bijna niemand weet het. Deel dit met alle ouders die je kent!"),
    ("x", "@amersfoort_nu", "en", "post", "X",
     "Child rushed to hospital after collapsing from the heat at yesterday's VlinderLoop in Amersfoort. Runners say there were hardly any water points. Organisers Vlinderveld under fire."),
    ("linkedin", "mark-jansen-hr-advies", "nl", "post", "X",
     "Vier oud-medewerkers van Stichting Vlinderveld stappen naar de rechter wegens intimidatie op de werkvloer. Dat had ik niet verwacht van een goed doel."),
    ("reddit", "u/nightshift_nurse", "en", "comment", "X",
     "Nurse friend says the 'Vlinderveld-funded' MRI at the kids' hospital was actually paid by the hospital itself and Vlinderveld just slapped its logo on it. If that's true it's plain fraud."),
    ("x", "@nieuwegein_alert", "nl", "post", "X",
     "Grote brand in het magazijn van Vlinderveld aan de Ravenswade in Nieuwegein, veel rook, brandweer met groot materieel ter plaatse. Hopelijk geen gewonden 🙏"),
    ("facebook", "Runners Club Houten", "en", "post", "X",
     "Heads up: several of our members got weird card charges right after donating on the Vlinderveld site. Smells like a skimmer on their payment page. Check your statements."),
    ("tiktok", "@stanvandesofa", "en", "comment", "X",
     "a Vlinderveld ambassador caught on video mocking sick kids at the gala afterparty?? disgusting. drop him NOW"),

    # ------------------------------------------------------------ abuse
    ("x", "@graaiwatcher", "nl", "post", "A",
     "Vlinderveld is één grote graaiclub van kutmensen. Rot toch op met jullie collectebussen"),
    ("x", "@noname_4832", "en", "reply", "A",
     "@marloes_vv you're a f*cking leech living off sick kids. shame on you"),
    ("facebook", "Henk Stoel", "nl", "comment", "A",
     "Weer die k@nk3rlijers van Vlinderveld aan de deur. 0pzouten met je QR-c0de"),
    ("facebook", "Wim Bakkenes", "nl", "comment", "A",
     "Waarom laat Vlinderveld zo'n collectant met hoofddoek bij ons in de wijk rondlopen? Ga terug naar je eigen land, wij geven niks aan jullie soort"),
    ("tiktok", "@xx_ruben_xx", "en", "comment", "A",
     "lmao the Vlinderveld tiktok girl is so ugly and annoying someone tell her to shut her fat mouth"),
    ("x", "@ikzegwatikwil", "nl", "post", "A",
     "Ｋｌｏｏｔｚａｋｋｅｎ zijn het bij @vlinderveld, stuk voor stuk"),
    ("x", "@marloes_vv", "nl", "reply", "A",
     "@jeroen1984 als je niks wilt geven prima, maar hou dan ook je stomme bek, sukkel"),
    ("x", "@grumpy_gert", "en", "reply", "A",
     "Whoever runs @vlinderveld socials is a complete moron. Delete your account, you idiots"),
    ("x", "@anoniem7731", "nl", "reply", "A",
     "@daandevos_it ik weet waar je woont. zou maar oppassen als je vanavond naar huis fietst"),
    ("facebook", "Peter de Groot", "nl", "comment", "A",
     "Die directeur van Vlinderveld is een vuile klооtzаk en een dief"),

    # ------------------------------------------------------------ personal data
    ("x", "@vlinderveld_help", "nl", "reply", "P",
     "@hennie_w Dag Hennie, we hebben uw machtiging op rekening <<IBAN1>> per direct stopgezet. Excuses voor het ongemak!"),
    ("threads", "@femke.vv", "nl", "post", "P",
     "haha collega stuurde per ongeluk de legatenlijst naar mij ipv naar het team, met o.a. Gerard Hooijman, geb. 14-03-1951, Lindelaan 22 Bilthoven 🙈 meteen verwijderd hoor"),
    ("facebook", "StichtingVlinderveld", "nl", "post", "P",
     "Vandaag mag onze kanjer Sem Vermeulen (geboren 3 juni 2019) na 14 weken eindelijk naar huis, naar de Brinkstraat 14 in Oss! Het hele team van de kinderafdeling stond te klappen 💛"),
    ("x", "@rutgerwessels", "en", "post", "P",
     "anyone know why the CRM export chokes on this record? BSN <<BSN1>>, name T. de Graaf. it's from the legacy import"),
    ("x", "@vlinderveld_help", "en", "reply", "P",
     "@sophie_runs Hi Sophie, we found your registration under s.pietersma@hotmail.com and 06 23 45 81 90, your start number has been resent!"),
    ("linkedin", "karim-bouzid", "nl", "post", "P",
     "Voor de sponsorlunch volgende week: ons contact bij de bank is mevr. Wilma Brouwer, wilma.brouwer1968@gmail.com, 06-55129843. Bel haar gerust direct, ze verwacht het."),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "P",
     "Debugging the donation webhook. Failing payload is card <<CARD1>> exp 09/28 from a donor in Utrecht. PSP says it's fine, so it's on our side 🤔"),
    ("x", "@margrietdj", "nl", "reply", "P",
     "Hallo @vlinderveld, ik wil graag mijn gegevens wijzigen. Nieuw adres: Margriet de Jong, Wilgenhof 31, 3721 AB Bilthoven. Telefoon +31 6 1298 7744 of (030) 2 87 16 44"),
    ("x", "@justice4donors", "en", "post", "PA",
     "This Vlinderveld collector was rude to my mum. Her name is Noor Aksoy, she lives at Parkweg 5 in Zeist. Go and tell her what you think of her, she deserves it."),
    ("instagram", "@vlinderveld.kinderfonds", "nl", "comment", "P",
     "En de winnaar van de Vlinderbox-winactie is @lien.bakker 🎉 Lien, we sturen 'm naar Lien Bakker, Hoefslag 9, 1271 JR Huizen, klopt dat nog?"),
    ("facebook", "joost.meijer.72", "nl", "post", "P",
     "Welkom aan onze nieuwe collega Thijs! 🎉 (Thijs, je BSN voor de salarisadministratie staat in de mail: <<BSN2>>, check even of die klopt)"),
    ("x", "@pj_smits", "nl", "reply", "P",
     "@vlinderveld_help dit is mijn IBAN <<IBAN2>>, kan het geld van de geannuleerde Vlinderbal-kaarten hiernaartoe? Naam P.J. Smits"),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "P",
     "Sent the press list to the wrong person again 🤦‍♀️ if you're Mark de Wit (m.dewit1977@gmail.com, +31 6 4471 2290), please ignore my last mail!"),
    ("x", "@vlinderveld_help", "nl", "reply", "P",
     "@mevrkok Beste mevrouw Kok, uw creditcard <<CARD3>> is helaas afgewezen bij uw donatie van €25. Wilt u het nog eens proberen?"),

    # ------------------------------------------------------------ secrets
    ("x", "@daandevos_it", "en", "post", "K",
     "why does aws cli keep saying the token is invalid?\nAWS_ACCESS_KEY_ID=<<AKIA1>>\nAWS_SECRET_ACCESS_KEY=<<AWSSECRET1>>\nregion eu-west-1 😩"),
    ("mastodon", "@basterhorst@mastodon.nl", "nl", "post", "K",
     "Oké wie heeft er een GitHub-token in de README gezet? <<GHP1>> Graag vervangen voordat iemand het ziet"),
    ("x", "@rutgerwessels", "nl", "post", "KF",
     "Dashboard draait weer! Connection string voor wie mee wil kijken: postgresql://crm_reader:Vl1nder!2026@db-crm01.crm.vlinderveld.local:5432/donors"),
    ("x", "@vlinderveld", "nl", "post", "K",
     "test post graag negeren — mollie key <<MOLLIE>>"),
    ("threads", "@femke.vv", "nl", "post", "K",
     "Voor de nieuwe vrijwilligers 💛 inloggen op het collecteportaal kan met gebruiker: collecte_team wachtwoord: Zomer2026!Vlinder"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "K",
     "Slack bot for #donaties finally posts the daily totals 🎉 token if anyone wants to fork it: <<SLACK>>"),
    ("x", "@daandevos_it", "en", "post", "K",
     "pasted our deploy key in the wrong channel, so for the record lol\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<SSHKEY>>\n-----END OPENSSH PRIVATE KEY-----"),
    ("reddit", "u/curious_dev_nl", "en", "post", "K",
     "Found this in the page source of the Vlinderveld donation page, is this supposed to be public??\n\nconst stripeKey = '<<STRIPE>>';"),
    ("x", "@rutgerwessels", "en", "post", "K",
     "our donor thank-you letter generator with OPENAI_API_KEY=<<OPENAI>> works great, 400 letters in 2 minutes 🚀"),
    ("instagram", "@evi.loopt", "nl", "comment", "K",
     "@timing_tom hier is de JWT uit de VlinderLoop-app voor de tijdregistratie: <<JWT>> (geldig tot vrijdag)"),
    ("x", "@daandevos_it", "nl", "post", "SK",
     "Ransomware op de fileserver in Utrecht, alles versleuteld sinds 04:00. Tijdelijk admin login: beheer / wachtwoord: Herstel#4410 tot we weten wat er gebeurd is. Nog NIET naar buiten brengen aub"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "SK",
     "incident in progress: someone pushed to the donation site repo with a stolen token. rotating now, the old one <<GHP2>> still works for ~10 min. donors not informed yet"),
    ("threads", "@femke.vv", "nl", "post", "KF",
     "vpn.vlinderveld.nl werkt weer voor thuiswerkers 🙌 w\u200ba\u200bc\u200bh\u200bt\u200bw\u200bo\u200bo\u200br\u200bd: Vl1nderVPN!88"),

    # ------------------------------------------------------------ security
    ("x", "@daandevos_it", "nl", "post", "S",
     "Doneerpagina ligt er al sinds 19:00 uit, load balancer helemaal dood. Comms weet nog van niks, hou het even stil 🤫"),
    ("x", "@rutgerwessels", "en", "post", "S",
     "pentest report came in today: SQL injection in the donation form lets you dump the whole donor table. not patched yet, fix is 'planned for next sprint' 😬"),
    ("threads", "@femke.vv", "nl", "post", "S",
     "Collega is gephisht en nu stuurt haar mailbox nepfacturen naar onze sponsors. IT is ermee bezig, de sponsors weten nog van niks"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "S",
     "so the backup of our donor CRM has been sitting in a public S3 bucket since March. just found it. locking it down now, nobody outside knows (yet)"),
    ("tiktok", "@vlinderloop", "nl", "post", "S",
     "Inschrijving VlinderLoop ligt plat door een DDoS-aanval sinds vanochtend, het team is ermee bezig. Niet verder delen 🙏"),
    ("facebook", "Chantal Peeters", "nl", "post", "SX",
     "Vriendin van mij werkt bij Vlinderveld en zegt dat er vorige week is ingebroken in hun donateurssysteem. Ze mogen er niks over zeggen. Waarom hoor je hier nergens iets over?"),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "S",
     "heads up team: the VlinderLoop app exposes other runners' home addresses through the runners API, Bas is on it. don't tweet about it yet obv"),
    ("x", "@marloes_vv", "nl", "post", "S",
     "Onze betaalprovider meldt 300+ frauduleuze testdonaties van €1 via ons formulier (card testing). Nog niet publiek, we zoeken uit hoe dit kon"),
    ("mastodon", "@basterhorst@mastodon.nl", "nl", "post", "S",
     "ons d-o-n-a-t-i-e-p-l-a-t-f-o-r-m is g.e.h.a.c.k.t, beheerdersaccount overgenomen. nog even geheim houden"),
    ("linkedin", "karim-bouzid", "en", "post", "S",
     "Between us: the Vlinderbal ticketing system was down for 2 days and we lost about 180 orders. Management wants to keep it quiet until after the gala."),
    ("x", "@daandevos_it", "en", "post", "SF",
     "unpatched Citrix gateway on vpn.vlinderveld.nl, CVE from last month, and we're apparently 'accepting the risk' until Q1. lovely"),

    # ------------------------------------------------------------ confidential
    ("linkedin", "karim-bouzid", "nl", "post", "F",
     "Mooie brainstorm vandaag over Project Atalanta. Kan niet wachten tot we dit mogen laten zien 🦋"),
    ("x", "@marloes_vv", "en", "post", "F",
     "can't say much but Dagpauwoog is going to change how we fund the kids' wards. board meets thursday 🤐"),
    ("instagram", "@evi.loopt", "nl", "post", "F",
     "Sneak peek 👀 binnenkort opent het Vlinderhuis Zwolle voor ouders van zieke kindjes 💛 #nogevengeheim",
     "2026-11-03T18:22:00Z"),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "F",
     "Press release for the Vlinderhuis Zwolle opening is drafted, just waiting for sign-off 🙌",
     "2027-01-12T14:05:00Z"),
    ("x", "@rutgerwessels", "nl", "post", "F",
     "Zie https://wiki.vlinderveld.local/crm/segmenten voor de nieuwe donateurssegmentatie, echt gaaf geworden"),
    ("facebook", "joost.meijer.72", "nl", "post", "F",
     "[VV-INTERN] Nieuwe verlofregeling per 1 januari, even hier gedeeld voor wie de mail gemist heeft: 2 extra dagen voor mantelzorgers"),
    ("linkedin", "stichting-vlinderveld", "nl", "post", "F",
     "Alleen voor bestuur: conceptstrategie 2027–2030 staat in de bijlage, graag jullie opmerkingen voor vrijdag."),
    ("x", "@treinmens", "en", "post", "F",
     "Someone from Vlinderveld left their laptop open in the station café, screen said 'Operatie Citroenvlinder – fase 2 planning'. Anyone know what that is? 👀"),
    ("threads", "@femke.vv", "nl", "post", "F",
     "Wie zit er morgen bij de kick-off van Prоject Аtalanta? 🙋‍♀️"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "F",
     "deploying the new Atalanta build to staging from git.vlinderveld.nl/atalanta/app tonight, wish me luck"),
    ("x", "@marloes_vv", "nl", "post", "F",
     "ｄａｇｐａｕｗｏｏｇ gaat echt door jongens 🦋🦋"),
    ("linkedin", "ingrid-hoekstra-vlinderveld", "en", "post", "F",
     "Reminder: the vlinderveld confidential deck for Tuesday's board session is on the shared drive. Please don't forward it."),
    ("linkedin", "ingrid-hoekstra-vlinderveld", "nl", "post", "FN",
     "Jaarcijfers 2026 zijn rond: 23,7 miljoen opgehaald, 11% minder dan vorig jaar. Gaat pas in maart officieel naar buiten, dus nog even stil 🤫",
     "2027-02-19T08:40:00Z"),
    ("x", "@marloes_vv", "en", "post", "FN",
     "Dagpauwoog update: the merger with Stichting Kinderlicht Zeeland is basically agreed, announcement planned for spring 🤫",
     "2026-12-04T21:10:00Z"),
    ("facebook", "joost.meijer.72", "nl", "post", "FN",
     "Operatie Citroenvlinder is definitief: 22 fte gaat eruit, vooral bij fondsenwerving. Morgen horen de teams het. Zware dag 😔"),

    # ------------------------------------------------------------ financial
    ("linkedin", "ingrid-hoekstra-vlinderveld", "en", "post", "N",
     "Q3 forecast: income down 18% against budget, legacy income has collapsed. Not shared with the board yet, so keep it to yourselves."),
    ("x", "@marloes_vv", "nl", "post", "N",
     "Opbrengst van de Vlinderbal dit jaar ruim €410k lager dan begroot. Directie is in paniek, de cijfers komen pas in het jaarverslag"),
    ("x", "@rutgerwessels", "en", "post", "N",
     "heard we're buying the webshop company that runs our merch, deal closes next month. keep it quiet"),
    ("x", "@buurman_jan", "nl", "post", "N",
     "Mijn buurman zit in de RvT van Vlinderveld. Ze bereiden een reorganisatie voor, ruim 30 banen weg. Is nog niet bekendgemaakt."),
    ("threads", "@femke.vv", "en", "post", "N",
     "leaving drinks planned for half our donor service team in february. layoffs aren't announced yet but we all got the letter 😢"),
    ("linkedin", "stichting-vlinderveld", "nl", "post", "N",
     "Voorlopige cijfers derde kwartaal: €5,8 miljoen aan donaties, 4% boven prognose. Nog niet definitief, niet extern delen."),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "N",
     "just saw the budget proposal for next year: they want to cut the grants to the children's hospitals by €2M to cover the deficit. not public yet. yikes."),
    ("linkedin", "karim-bouzid", "nl", "post", "N",
     "Hoofdsponsor Van der Plas Bouw stopt na dit jaar, dat scheelt ons zo'n 650k per jaar. Nog niet naar buiten gecommuniceerd."),
    ("reddit", "u/boardroom_gossip", "en", "comment", "N",
     "A friend on the Vlinderveld board says they're in talks to be absorbed by a bigger national health fund. Announcement after the summer apparently."),

    # ------------------------------------------------------------ pricing
    ("x", "@snelle_shopper", "nl", "post", "R",
     "Zie ik dat nou goed? Vlinderbal toegangskaart voor €27,50 in de webshop 🤯 prijsfout? Ik bestel er meteen 4"),
    ("instagram", "@vlinderveld.kinderfonds", "nl", "post", "R",
     "Black Friday bij Vlinderveld! 🧸 Knuffelbeer Fleur nu voor maar €7,50. OP=OP!"),
    ("x", "@dealhunter_eu", "en", "post", "R",
     "Vlinderveld hoodie showing €9.99 instead of €49.95 in their shop lol, grab it before they fix it"),
    ("x", "@marloes_vv", "nl", "post", "R",
     "Oeps, prijsfout in de webshop: Bedrijfssponsor Goud stond op €500. Er hebben al drie bedrijven besteld 😬"),
    ("facebook", "Lars Timmer", "nl", "comment", "R",
     "VlinderLoop halve marathon startbewijs voor €4,45?? Dacht dat er een 0 vergeten was maar nee hoor, gewoon afgerekend"),
    ("facebook", "StichtingVlinderveld", "nl", "post", "R",
     "Laatste kans! Familiekamer adoptie (1 jaar) nu voor €120 i.p.v. €1.200 💛"),
    ("tiktok", "@puzzelqueen", "en", "comment", "R",
     "PSA the Vlinderpuzzel is €2.19 on their site right now 😭 price error for sure"),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "R",
     "someone fat-fingered a price, the Vlinderbox is listed at €3.49 in our shop 🙈 fixing it"),
    ("x", "@loterijlotte", "nl", "post", "R",
     "j a a r l o t van de Vlinderveld Loterij voor €6 ipv 60, foutje?? snel zijn"),
    ("x", "@femkefotografeert", "nl", "post", "R",
     "Kerstkaarten set voor €1,25 😂 iemand bij @vlinderveld is een komma vergeten"),
    ("linkedin", "karim-bouzid", "en", "post", "R",
     "Heads up sales team: the Vlinderbal gala-tafel went live at €250 instead of €2,500. Six tables already sold at that price."),

    # ------------------------------------------------------------ benign (mostly hard negatives)
    ("x", "@vlinderveld", "nl", "post", "",
     "Doneren kan altijd via <<PUBLIC_IBAN>> t.n.v. Stichting Vlinderveld Kinderfonds. Elke euro gaat naar de kinderafdelingen 💛"),
    ("x", "@vlinderveld_help", "nl", "post", "",
     "Vragen over je donatie of machtiging? Mail donateurs@vlinderveld.nl of bel gratis 0800-8585 (ma t/m vr 9-17 uur)."),
    ("linkedin", "stichting-vlinderveld", "en", "post", "",
     "Press enquiries: pers@vlinderveld.nl or +31 30 760 4400. Our press kit is at vlinderveld.nl/pers."),
    ("instagram", "@joyce.rent", "nl", "post", "",
     "Vandaag mijn eerste VlinderLoop 10K gelopen, wat een sfeer!! Medaille hangt al aan de muur 🦋🏃‍♀️"),
    ("x", "@dlangeveld", "en", "reply", "",
     "Update: @vlinderveld_help sorted out the double charge within a day and refunded it. Great service, thanks Femke!"),
    ("x", "@fashionfleur", "nl", "post", "",
     "Vlinderhoodie nu met 20% korting, €39,96 ipv €49,95. Heb er meteen twee besteld 😍"),
    ("instagram", "@vlinderveld.kinderfonds", "nl", "post", "",
     "Knuffelbeer Fleur is terug op voorraad! €24,95, en van elke knuffel gaat €10 naar de speelkamer in het ziekenhuis 🧸"),
    ("x", "@lisa_m_h", "en", "post", "",
     "Thinking of all the parents sleeping next to their kids on the ward tonight. Donated to Vlinderveld again, it's the least I can do ❤️"),
    ("x", "@koopjesjager", "nl", "post", "",
     "Lees net dat een grote webwinkel een datalek heeft gehad, 2 miljoen klantgegevens op straat. Gelukkig doneer ik bij Vlinderveld gewoon via iDEAL"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "",
     "Workshop tip: the AWS docs use AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Use those in your slides, never real keys!"),
    ("x", "@daandevos_it", "nl", "post", "",
     "Tip voor collega's: deel nooit tokens in een chat. Zie je iets als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx voorbijkomen? Meld het bij IT."),
    ("x", "@oplettende_oma", "nl", "post", "",
     "Kreeg een sms 'van Vlinderveld' met het verzoek €25 over te maken naar <<BAD_IBAN>>. Dat klopt toch niet? Hun echte rekeningnummer staat gewoon op de site."),
    ("x", "@proudmum_anke", "en", "post", "",
     "lol my 8yo filled in 'mum's credit card' on the Vlinderveld kids quiz as 1234 5678 9012 3456. future fraudster 😂"),
    ("facebook", "joost.meijer.72", "nl", "post", "",
     "Nieuwe collega's: je personeelsnummer heeft 9 cijfers (bijv. 100200300). Dat is géén BSN, dus die mag je gewoon in een ticket zetten."),
    ("x", "@mvdberg_ede", "nl", "post", "",
     "Het jaarverslag 2026 van Vlinderveld is uit. Mooi om te zien waar het geld naartoe is gegaan 💛",
     "2027-03-12T09:30:00Z"),
    ("instagram", "@papa_van_finn", "en", "post", "",
     "Visited the new Vlinderhuis Zwolle today. Parents can now sleep two minutes from the ward. Beautiful place 🏡",
     "2027-01-25T16:45:00Z"),
    ("x", "@vlinderveld", "nl", "post", "",
     "Ons jaarverslag 2026 staat online! Samen haalden we €23,7 miljoen op voor zieke kinderen. Dank jullie wel 🙏",
     "2027-03-11T10:15:00Z"),
    ("x", "@hardloophanneke", "nl", "post", "",
     "Die heuvel bij km 8 van de VlinderLoop heeft me echt gesloopt 😵 volgend jaar weer!"),
    ("facebook", "Koen Willems", "nl", "post", "",
     "Band lek op weg naar de start van de VlinderLoop, toch nog gehaald met de bus 😅"),
    ("instagram", "@mila.runs", "en", "post", "",
     "My legs crashed hard in the last 3 km of the VlinderLoop half marathon but I FINISHED! Raised €640 for the kids 🎉"),
    ("instagram", "@evi.loopt", "nl", "post", "",
     "Vrijwilligers gezocht voor de VlinderLoop in Utrecht! Aanmelden via vlinderveld.nl/vrijwilligers 🦋"),
    ("reddit", "u/forgetful_donor", "en", "post", "",
     "Does anyone know where to change the password on the Vlinderveld donor portal? Can't find the setting anywhere."),
    ("x", "@econoom_eva", "nl", "post", "",
     "Twee grote gezondheidsfondsen gaan fuseren, las ik vanochtend. Benieuwd of kleinere fondsen als Vlinderveld ook die kant op moeten."),
    ("linkedin", "stichting-vlinderveld", "en", "post", "",
     "We're hiring a data engineer to help keep donor data safe. Apply via careers@vlinderveld.nl 🦋"),
    ("linkedin", "daphne-stage-events", "nl", "post", "",
     "Mijn stage (intern events) bij Vlinderveld zit erop. Zoveel geleerd, echte aanrader voor iedereen die in de goede-doelensector wil werken!"),
    ("x", "@marloes_vv", "en", "post", "",
     "Our summer intern just ran the 5K in 22 minutes. Show-off 😄 #VlinderLoop"),
    ("facebook", "Bert Achterberg", "nl", "comment", "",
     "VlinderLoop 10K startbewijs €29,50, de 5K €17,50. Niet goedkoop maar het gaat naar een goed doel dus prima"),
    ("instagram", "@juf.ilse", "en", "post", "",
     "The Vlinderbox is 25% off this week (€26.21), perfect for end-of-year teacher gifts 🎁"),
    ("x", "@privacy_petra", "nl", "post", "",
     "Fijn dat Vlinderveld zo duidelijk uitlegt wat ze met mijn gegevens doen. Zie je niet vaak bij goede doelen."),
    ("x", "@ticketnerd", "en", "post", "",
     "That data breach at the big ticketing company is wild. Glad the VlinderLoop uses its own registration."),
    ("instagram", "@slowfashion_sam", "nl", "post", "",
     "Ik boycot al jaren fast fashion, maar deze Vlinderveld-hoodie is fairtrade katoen, dus die mocht 😇"),
    ("tiktok", "@vlinderloop", "en", "post", "",
     "POV: you just finished your first VlinderLoop and the kids from the ward are cheering at the finish line 🥹 #VlinderLoop"),
    ("x", "@h_brouwer63", "nl", "reply", "",
     "Vorige maand geklaagd over de jaaropgave, vandaag netjes ontvangen met excuses erbij. Chapeau @vlinderveld_help"),
    ("linkedin", "ingrid-hoekstra-vlinderveld", "nl", "post", "",
     "Trots op ons team: vandaag is ons CBF-keurmerk weer verlengd. Transparantie blijft onze prioriteit."),
    ("reddit", "u/cautious_carla", "en", "post", "",
     "Is 0800-8585 really Vlinderveld? Got a call from that number asking if I wanted to renew my lottery ticket."),
    ("facebook", "Yvonne Lammers", "nl", "comment", "",
     "Ons zoontje lag 6 weken op de kinderafdeling en de speelkamer die Vlinderveld betaald heeft was echt een redding. Dankjewel ❤️"),
    ("facebook", "Niels Hartman", "nl", "post", "",
     "Terugroepactie van een kinderstoel bij een grote babywinkel, check even je zolder mensen. (Heeft niks met Vlinderveld te maken hoor, die knuffels zijn top)"),
    ("mastodon", "@basterhorst@mastodon.nl", "en", "post", "",
     "Reminder for donors: on your receipt you only ever see the last digits of your card, like **** **** **** 4242. We never show or ask for the full number."),
    ("x", "@giver_guus", "en", "post", "",
     "Donated via bank transfer, proof: NL** RABO **** **** 17 → Stichting Vlinderveld ✅ your turn!"),
    ("x", "@rutgerwessels", "en", "post", "",
     "my password manager saved me again today: 84 accounts and I don't know a single one by heart. get one, seriously"),
    ("tiktok", "@lachmetlot", "nl", "comment", "",
     "de VlinderLoop tiktoks zijn echt goud 😂 wie dit account beheert verdient opslag"),
    ("linkedin", "ceo-bouwbedrijf-vdp", "en", "post", "",
     "A Vlinderbal table for 10 is €2,500. Steep, but our team went for it and it was an amazing night for a great cause."),
    ("facebook", "AV Keizerstad", "nl", "post", "",
     "Leden van onze loopclub krijgen 10% korting op de VlinderLoop halve marathon: €40,05 i.p.v. €44,50. Code staat in de nieuwsbrief!"),
    ("x", "@office_olga", "en", "post", "",
     "Roof leak at our office so the Vlinderveld bake sale moved to the canteen. Still raised €312!"),
    ("instagram", "@vlinderveld.kinderfonds", "nl", "post", "",
     "Wat was de Lichtjesavond prachtig. 3.000 herdenkingskaarsen voor de kinderen die we missen 🕯️"),
    ("linkedin", "karim-bouzid", "en", "post", "",
     "Great panel today on transparency in fundraising. Key takeaway: donors want to see results, not glossy brochures."),
    ("x", "@vrijwilliger_vera", "nl", "post", "",
     "Na 12 jaar ontslag genomen en nu fulltime vrijwilliger bij Vlinderveld. Beste keuze ooit 🦋"),
    ("reddit", "u/legacy_question", "en", "comment", "",
     "Called +31 30 760 4400 to ask about leaving a gift in my will, very helpful lady on the phone. Recommend."),
    ("bluesky", "@lottevisser.bsky.social", "en", "post", "",
     "Reminder: press kit and logos are at vlinderveld.nl/pers, no need to email us for them 😊"),
    ("instagram", "@rainrunner_nl", "en", "post", "",
     "What awful weather at the VlinderLoop, but the people cheering along the route were heroes 💪🌧️"),
    ("x", "@galagirl_nina", "en", "post", "",
     "Honestly thought the Vlinderbal would be stuffy but it was the most fun night of the year. 10/10"),
    ("facebook", "Ann Verbruggen", "en", "comment", "",
     "Anyone know if the Vlinderpuzzel (1000 pieces, €21.95) is also sold in actual shops?"),
    ("threads", "@femke.vv", "nl", "post", "",
     "Fijn gesprek gehad met een donateur die al 30 jaar geeft. Zulke verhalen maken mijn werkdag 💛"),
    ("x", "@luckyluuk", "en", "post", "",
     "My Vlinderveld Loterij ticket number is 294817365, fingers crossed for Friday 🤞"),
    ("x", "@vlinderveld_help", "nl", "post", "",
     "Let op: Vlinderveld vraagt nooit om je wachtwoord of pincode via DM. Krijg je zo'n bericht? Niet reageren en meld het bij ons."),
    ("x", "@vlinderveld", "en", "post", "",
     "Our annual report 2025 is online: full transparency on every euro we spent on children's wards last year."),
    ("x", "@sceptische_sjaak", "nl", "reply", "",
     "Jaarcijfers 2026 van Vlinderveld gelezen: 11% minder opgehaald. Jammer, maar wel begrijpelijk in deze economie.",
     "2027-03-20T11:02:00Z"),
    ("x", "@calcio_kees", "en", "post", "",
     "Atalanta vs Inter last night was unreal. Anyway, signed up for the VlinderLoop 10K, wish me luck"),
    ("instagram", "@tuinvantanja", "nl", "post", "",
     "Eerste citroenvlinder van het jaar gespot 🦋 lente!! Tijd om te trainen voor de VlinderLoop"),
    ("x", "@marloes_vv", "nl", "post", "",
     "Mooi nieuws: de gemeente Utrecht steunt de VlinderLoop ook volgend jaar weer 🙌"),
    ("reddit", "u/moving_abroad_mo", "en", "comment", "",
     "If you want to stop your monthly gift, just call 0800-8585. Took me two minutes, no pushy questions. No hard feelings, just moving abroad."),
    ("facebook", "StichtingVlinderveld", "nl", "post", "",
     "Bedankt aan alle 412 collectanten in Amersfoort! Samen haalden jullie €18.460 op voor de kinderafdeling 🎉"),
]

# Dates that must fit the story (season, follow-ups); all others are drawn at random in 2026.
FIXED_DATES = {
    "Black Friday bij Vlinderveld": "2026-11-27T07:30:00Z",
    "Q3 forecast: income down": "2026-10-12T16:20:00Z",
    "Voorlopige cijfers derde kwartaal": "2026-10-09T12:00:00Z",
    "christmas card set from vlinderveld": "2026-12-09T19:41:00Z",
    "Kerstkaarten set voor €1,25": "2026-11-18T21:13:00Z",
    "Jaaropgave voor de belasting": "2026-02-20T10:05:00Z",
    "Vorige maand geklaagd over de jaaropgave": "2026-03-18T13:30:00Z",
    "@vlinderveld_help you charged me twice": "2026-08-25T09:12:00Z",
    "Update: @vlinderveld_help sorted out": "2026-09-08T17:48:00Z",
    "Terugroepactie! Knuffelrups Mos": "2026-10-02T08:55:00Z",
    "Our annual report 2025 is online": "2026-05-20T09:00:00Z",
    "The Vlinderbox is 25% off this week": "2026-07-01T15:10:00Z",
    "Wat was de Lichtjesavond prachtig": "2026-12-14T21:30:00Z",
    "Hoofdsponsor Van der Plas Bouw stopt": "2026-11-10T11:25:00Z",
}

# ---------------------------------------------------------------- helpers
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        p, h = entry.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w*-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def checksummed_ids(text):
    """(kind, value, valid) for every IBAN/card/BSN-shaped string."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


SEV = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, text):
    sev = 0
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and any(ok and not (k == "iban" and v in PUBLIC_IBANS)
                                           for k, v, ok in checksummed_ids(text)):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if own else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return SEV[sev]


def fill(text):
    def rep(m):
        return FILL[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", rep, text)
    assert "<<" not in out
    return out


def rand_date():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- build
cases = []
for i, row in enumerate(POSTS, 1):
    platform, handle, lang, kind, codes, text = row[:6]
    created = row[6] if len(row) > 6 else rand_date()
    for prefix, d in FIXED_DATES.items():
        if text.startswith(prefix):
            created = d
    text = fill(text)
    cats = sorted({CAT[c] for c in codes})
    role = role_of(platform, handle)
    post = {
        "id": "vv367-%s-%04d" % (platform, 1000 + i * 7),
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": created,
    }
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, text)}})

order = list(range(len(cases)))
rng.shuffle(order)
cases = [cases[k] for k in order]

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(CAT.values())
errors = []


def err(c, msg):
    errors.append("%s: %s" % (c["post"].get("id"), msg))


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def norm(s):
    return s.lower()


EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", re.I)


def to_amount(s):
    if re.search(r"[.,]\d{3}$", s) or re.search(r"[.,]\d{3}[.,]", s):
        s = re.sub(r"[.,](?=\d{3}\b)", "", s)
    return float(s.replace(",", "."))


def product_hits(text):
    t = norm(text)
    hits = []
    for p in PROFILE["products"]:
        for n in [p["name"]] + p["aliases"]:
            if n.lower() in t:
                hits.append(p)
                break
    return hits


SECRET_RES = [re.compile(r) for r in (
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"live_[0-9A-Za-z]{30}", r"xox[baprs]-\d+-\d+-\w+",
    r"sk_live_\w{20,}", r"sk-(?:proj-)?[\w-]{40,}", r"eyJ[\w-]+\.[\w-]+\.[\w-]+",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\w+://[^\s:/]+:[^\s@]+@", r"wachtwoord\s*:\s*\S+")]

ids_seen = set()
lines = open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8").read().splitlines()
for ln in lines:
    c = json.loads(ln)
    p, e = c.get("post"), c.get("expect")
    if set(c) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(e, dict):
        err(c, "shape")
        continue
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(f), str):
            err(c, "missing " + f)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(c, "account.handle")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids_seen:
        err(c, "id")
    ids_seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err(c, "platform/kind")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        err(c, "text size")
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027):
        err(c, "year")
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(c, "categories")
    role = role_of(p["platform"], p["account"]["handle"])
    if e.get("severity") != severity(role, cats, p["text"]):
        err(c, "severity")
    if (not cats) != (e["severity"] == "none"):
        err(c, "benign/severity mismatch")
    text = p["text"]
    low = norm(text)
    # checksummed identifiers
    for kind, v, ok in checksummed_ids(text):
        public = kind == "iban" and v in PUBLIC_IBANS
        if cats and not ok and not public:
            err(c, "positive with failing %s %s" % (kind, v))
        if not cats and ok and not public:
            err(c, "benign with valid %s %s" % (kind, v))
        if cats and public:
            err(c, "positive carries the company's public IBAN")
    if "leak.pii" in cats and "<<" in text:
        err(c, "placeholder")
    # embargo terms
    for term, until in EMBARGO:
        if term in low and ts < until and "leak.confidential" not in cats:
            err(c, "live embargo term %r not labelled confidential" % term)
    # tokens
    for rx in SECRET_RES:
        for m in rx.finditer(text):
            s = m.group(0)
            if "EXAMPLE" in s or "xxxx" in s:
                continue
            if not cats:
                err(c, "benign with credential %r" % s[:20])
            elif "leak.secret" not in cats:
                err(c, "credential not labelled secret %r" % s[:20])
            if s.startswith("gh") and not github_ok(s):
                err(c, "bad github checksum")
            if s.startswith("eyJ"):
                hdr = json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "=="))
                if "alg" not in hdr:
                    err(c, "jwt header without alg")
    if not cats:
        for n in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if n.lower() in low:
                err(c, "benign mentions %r" % n)
        prods = product_hits(text)
        for m in PRICE_RE.finditer(text):
            amt = to_amount(m.group(1) or m.group(2))
            for pr in prods:
                if amt < PROFILE["pricing"]["alert_below_ratio"] * pr["list_price"] and len(prods) == 1 and amt not in (10.0,):
                    err(c, "benign below-ratio price %.2f for %s" % (amt, pr["name"]))
        if re.search(r"prijsfout|price error|price glitch", low):
            err(c, "benign mentions a price error")
    if "leak.pricing" in cats:
        prods = product_hits(re.sub(r"[\s]", "", text)) or product_hits(text)
        if not prods:
            err(c, "pricing case without catalogue product")
        else:
            amts = [to_amount(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(text)]
            if not any(a < 0.5 * pr["list_price"] for a in amts for pr in prods) and not re.search(r"prijsfout|price error|price glitch", low):
                err(c, "pricing case without low price")

# GitHub/AWS/IBAN generators sanity
assert github_ok(SEC["GHP1"]) and github_ok(SEC["GHP2"])
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", SEC["AKIA1"])
assert all(iban_ok(i) for i in PROFILE["public_identifiers"]["ibans"])
assert not iban_ok(IDS["BAD_IBAN"])

# mix
n = len(cases)
benign = sum(1 for c in cases if not c["expect"]["categories"])
per = {k: sum(1 for c in cases if k in c["expect"]["categories"]) for k in CATS}
nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append("case count %d" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    errors.append("dutch share %.2f" % (nl / n))
for k, v in per.items():
    if v < 10:
        errors.append("too few %s: %d" % (k, v))

used = sum(1 for c in cases for pfx in FIXED_DATES if c["post"]["text"].startswith(pfx))
if used != len(FIXED_DATES):
    errors.append("fixed date prefixes matched %d of %d" % (used, len(FIXED_DATES)))

if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive, nl share %.2f" % (n, benign, n - benign, nl / n))
for k in sorted(per):
    print("  %-22s %d" % (k, per[k]))
