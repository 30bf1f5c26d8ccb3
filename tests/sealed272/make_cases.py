#!/usr/bin/env python3
"""Build the sealed evaluation set 272 (ride-hailing company "Ritvlot").

Deterministic: a fixed seed drives every random credential, identifier, date and
the output order. Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it;
  * generated credentials follow their real format (GitHub CRC-32, AWS id, JWT header);
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * internal names / markers / embargoed terms never appear in a benign post.
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 272_0417
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

# --------------------------------------------------------------------------- checksums
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iban_ok(s):
    s = re.sub(r"[\s.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(x) for x in re.sub(r"\D", "", digits)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_ghp(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gen_akia():
    return "AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rs(ALNUM + "+/", 40)


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "drv_%d" % rng.randint(10000, 99999), "role": "dispatch_admin",
               "iss": "auth.ritvlot", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_stripe():
    return "sk_live_" + rs(ALNUM, 24)


def gen_slack():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13), rs(ALNUM, 24))


def gen_openai():
    return "sk-" + rs(ALNUM, 20) + "T3BlbkFJ" + rs(ALNUM, 20)


def gen_anthropic():
    return "sk-ant-api03-" + rs(ALNUM + "-_", 93) + "AA"


def gen_google():
    return "AIza" + rs(ALNUM + "-_", 35)


def gen_mollie():
    return "live_" + rs(ALNUM, 30)


def gen_gitlab():
    return "glpat-" + rs(ALNUM + "-_", 20)


def gen_sendgrid():
    return "SG." + rs(ALNUM + "-_", 22) + "." + rs(ALNUM + "-_", 43)


def gen_pw():
    return rs(ALNUM, 6) + rng.choice("!#%&*+=?^_") + rs(ALNUM, 5) + rng.choice("!#%&*+=?^_") + rs("0123456789", 2)


def gen_dbpw():
    return rs(ALNUM, 10) + rng.choice("-_.~") + rs(ALNUM, 6)


def gen_pem():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += bytes(rng.getrandbits(8) for _ in range(360))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


BANKS = ["INGB", "ABNA", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]


def _iban_for(bban):
    r = bban + "NL00"
    chk = 98 - int("".join(str(int(ch, 36)) for ch in r)) % 97
    return "NL%02d%s" % (chk, bban)


def fmt_iban(s):
    if rng.random() < 0.5:
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def gen_iban():
    return _iban_for(rng.choice(BANKS) + rs("0123456789", 10))


def gen_iban_bad():
    good = gen_iban()
    pos = rng.randint(8, len(good) - 1)
    new = str((int(good[pos]) + rng.randint(1, 9)) % 10)
    return good[:pos] + new + good[pos + 1:]


def _card_digits(prefix, length=16):
    body = prefix + rs("0123456789", length - len(prefix) - 1)
    for chk in "0123456789":
        if luhn_ok(body + chk):
            return body + chk
    raise AssertionError


def fmt_card(d):
    sep = rng.choice([" ", " ", "-"])
    return sep.join(d[i:i + 4] for i in range(0, len(d), 4))


def gen_card():
    return _card_digits(rng.choice(["4", "51", "53", "55", "2221"]))


def gen_card_bad():
    d = gen_card()
    return d[:-1] + str((int(d[-1]) + rng.randint(1, 9)) % 10)


def gen_bsn():
    while True:
        d = str(rng.randint(1, 9)) + rs("0123456789", 7)
        s = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if s <= 9:
            cand = d + str(s)
            if bsn_ok(cand):
                return cand


def gen_bsn_bad():
    b = gen_bsn()
    return b[:-1] + str((int(b[-1]) + rng.randint(1, 9)) % 10)


SECRET_GEN = {
    "ghp": gen_ghp, "gho": lambda: gen_ghp("gho_"), "akia": gen_akia, "aws_secret": gen_aws_secret,
    "jwt": gen_jwt, "stripe": gen_stripe, "slack": gen_slack, "openai": gen_openai,
    "anthropic": gen_anthropic, "google": gen_google, "mollie": gen_mollie, "gitlab": gen_gitlab,
    "sendgrid": gen_sendgrid, "pw": gen_pw, "dbpw": gen_dbpw, "pem": gen_pem,
}
ID_GEN = {
    "iban": (lambda: fmt_iban(gen_iban()), "iban", True),
    "iban_bad": (lambda: fmt_iban(gen_iban_bad()), "iban", False),
    "card": (lambda: fmt_card(gen_card()), "card", True),
    "card_bad": (lambda: fmt_card(gen_card_bad()), "card", False),
    "bsn": (gen_bsn, "bsn", True),
    "bsn_bad": (gen_bsn_bad, "bsn", False),
}


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in s)


ZW = "\u200b"

# --------------------------------------------------------------------------- the posts
# (lang, "platform:handle", kind, categories, text, created_at or None)
# category shorthands
C, CR, AB, PII, SEC, CONF, FIN, SECU, PR = ("reputation.complaint", "reputation.crisis", "reputation.abuse",
                                            "leak.pii", "leak.secret", "leak.confidential", "leak.financial",
                                            "leak.security", "leak.pricing")
N = []  # benign

CASES = [
    # ------------------------------------------------------------ complaints (public)
    ("nl", "x:@bram_1987", "reply", [C],
     "@ritvlot_help al 25 min wachten op mn rit, app zegt steeds 'chauffeur is onderweg' maar die auto staat gewoon stil bij de AH. kom dus te laat op mn werk. top 👎", None),
    ("en", "x:@jessgoesdutch", "post", [C],
     "Booked a Ritvlot to Centraal, driver cancelled after 12 minutes and I STILL got hit with a €5 cancellation fee?? how is that on me", None),
    ("nl", "facebook:marian.koster.54", "post", [C],
     "Gisteren met Ritvlot van station naar het ziekenhuis. Rit van 4 km, afgerekend €31,40. Piektarief om 9 uur 's ochtends op een dinsdag? Klantenservice reageert al drie dagen niet. Schandalig voor een bedrijf dat zich 'eerlijk vervoer' noemt.", None),
    ("en", "reddit:u/throwaway_ams_22", "post", [C],
     "PSA: the Ritvlot app charged me twice for the same ride (once on my card, once via Apple Pay). Their support bot keeps looping me back to the FAQ. Has anyone ever reached an actual human there?", None),
    ("en", "x:@ninaa_vd", "post", [C],
     "driver missed the exit 3 times with the sat nav ON and guess who paid for the detour. €12 extra. thanks for nothing @ritvlot", None),
    ("en", "threads:@kofi.travels", "post", [C],
     "ritvlot driver refused my guide dog and left me standing in the rain at Amsterdam Zuid. that's illegal btw. still waiting for an answer @ritvlot.nl", None),
    ("nl", "x:@ahmed_k020", "reply", [C],
     "@ritvlot_help rit geboekt voor 05:15 naar Schiphol, om 05:10 geannuleerd want 'geen chauffeurs beschikbaar'. vlucht bijna gemist. jullie hadden 1 taak", None),
    ("en", "x:@lucy_in_rdam", "post", [C],
     "the ritvlot app logged me out AGAIN and wants me to verify my ID for the 4th time this month. just let me book a car pls 😩", None),
    ("nl", "forum:SanderB_HR", "post", [C],
     "Ervaring met Ritvlot Zakelijk? Wij hebben sinds maart 12 accounts en de maandfactuur klopt nooit. Ritten van collega's die al lang uit dienst zijn worden gewoon doorbelast. Accountmanager belooft elke keer beterschap, er verandert niks.", None),
    ("en", "tiktok:@mayaa.xo", "comment", [C],
     "not the ritvlot driver blasting music at full volume and ignoring me when i asked him to turn it down 💀 one star and i want my money back", None),
    ("nl", "facebook:henk.vanderploeg", "comment", [C],
     "Mijn moeder (82) had via de 65+ Pas een rit naar de huisarts. Chauffeur hielp niet met de rollator, bleef gewoon zitten en toeterde. Ze stond tien minuten in de kou te klungelen. Dit kan echt niet Ritvlot.", None),
    # complaint + abuse
    ("nl", "x:@gijs_ams", "reply", [C, AB],
     "@ritvlot_help jullie zijn echt de grootste prutsers van NL. derde keer deze week dat m'n rit zomaar gecanceld wordt. kutbedrijf", None),
    ("en", "x:@hellraiser_dan", "post", [C, AB],
     "fuck ritvlot and their useless support clowns. 40 min on hold to get a refund for a ride that never even showed up", None),
    # complaint + pii (customer exposing own data)
    ("nl", "x:@sandra_w_", "reply", [C, PII],
     "@ritvlot_help al 4x gemaild, nog steeds geen geld terug voor de rit van 18 juni. Bel me gewoon terug: 06-41827365, ben de hele dag bereikbaar.", None),
    ("en", "x:@markvdl_", "reply", [C, PII],
     "@ritvlot_help refund STILL not processed, 3 weeks now. just send it to <<iban>> (M. van Leeuwen) and stop asking me to fill in that form again", None),
    # crisis + complaint: first-hand safety incidents
    ("nl", "x:@femke_r", "post", [CR, C],
     "Gisteravond met Ritvlot naar huis. Chauffeur zat de hele rit op zijn telefoon en is op de A10 achterop een auto geknald. Ik heb whiplash en zit nu bij de huisarts. Nog geen enkele reactie van jullie @ritvlot", None),
    ("en", "reddit:u/dadof3_utrecht", "post", [CR, C],
     "My daughter (7) was booked WITH a child seat through Ritvlot. The seat wasn't even strapped in. Driver braked hard, she flew forward and hit her head. ER says mild concussion. Ritvlot offered me a €10 voucher. I'm speechless.", None),
    ("nl", "facebook:yvonne.smit.9", "post", [CR, C],
     "Werd gisteren bij het uitstappen bijna overreden door mijn eigen Ritvlot chauffeur, hij trok al op terwijl mijn been nog buiten de auto hing. Blauwe plekken tot aan mijn knie. Wie is hier verantwoordelijk??", None),
    ("en", "x:@priya_travels", "post", [CR, C],
     "Took a ritvlot last night and the car was filling up with exhaust fumes, I was dizzy and nauseous by the time we got to Utrecht. Driver said 'it's always like that'. @ritvlot this car needs to be off the road, never again", None),
    ("nl", "instagram:@lisa.nachtvlinder", "post", [CR, C],
     "Mijn Ritvlot chauffeur maakte seksuele opmerkingen en deed de deuren op slot toen ik eruit wilde. Ik was doodsbang. Aangifte is gedaan. @ritvlot.nl ik wil weten wat jullie hiermee gaan doen.", None),

    # ------------------------------------------------------------ crisis (third party / news)
    ("nl", "x:@nieuwsflitsNL", "post", [CR],
     "BREAKING: Ritvlot-auto rijdt in op terras aan de Vismarkt in Groningen, twee gewonden. Chauffeur aangehouden. Ritvlot was nog niet bereikbaar voor commentaar.", None),
    ("en", "x:@techleakwatch", "post", [CR],
     "Ritvlot may have been breached: a dump with ~400k rider names, phone numbers and trip histories has been for sale on a forum since this morning. Not a word from Ritvlot so far.", None),
    ("nl", "x:@chauffeursbond_nl", "post", [CR],
     "Oproep aan alle klanten: #BoycotRitvlot zolang chauffeurs onder het minimumloon rijden. Verwijder de app en deel dit bericht 🚫🚕", None),
    ("en", "linkedin:ellen-vandam-advocaat", "post", [CR],
     "Today we filed a class action against Ritvlot Mobility B.V. on behalf of 1,300 drivers who were labelled 'independent' while the app dictated their every move. First hearing expected in spring.", None),
    ("nl", "reddit:u/taxi_tom_dh", "post", [CR],
     "Iemand anders ook die mail van Ritvlot gehad dat de DashCam D2 wordt teruggeroepen? Schijnt oververhit te raken achter de voorruit. Ik heb hem elke dienst aan staan.", None),
    ("en", "x:@amsterdamlocal", "post", [CR],
     "A Ritvlot driver was stabbed near Leidseplein last night after an argument over a fare, according to local news. Thoughts with him and his family.", None),
    ("nl", "tiktok:@dewaarheid_nl", "post", [CR],
     "Ritvlot verkoopt jouw locatiegegevens aan verzekeraars?! Volgens onderzoeksjournalisten wel. Dit is een schandaal 🚨 #ritvlot #privacy", None),
    ("en", "bluesky:@dataprivacy.watch", "post", [CR],
     "The Ritvlot story keeps getting worse: the Dutch DPA has opened an investigation into how they store drivers' selfie scans. That's biometric data, folks.", None),
    ("en", "x:@utrecht_expat_life", "post", [CR],
     "Just saw a Ritvlot driver hit a cyclist on Biltstraat. People around said he was fiddling with the app on his phone. Cyclist was taken away by ambulance, awful scene.", None),
    ("en", "x:@angry_commuter_", "post", [CR, AB],
     "Ritvlot are a bunch of greedy scumbags bleeding their drivers dry. Boycott these parasites. #DeleteRitvlot", None),

    # ------------------------------------------------------------ abuse
    ("nl", "x:@r0tterdamboy", "reply", [AB],
     "@ritvlot_help stelletje achterlijke idioten zijn jullie", None),
    ("en", "x:@notyourbusiness99", "reply", [AB],
     "@ritvlot whoever runs this account is a brain-dead moron", None),
    ("nl", "x:@b4rtje", "reply", [AB],
     "@ritvlot k4nk3rl1jers allemaal, g@@n d4nk", None),
    ("nl", "instagram:@real_dutch_dude", "comment", [AB],
     "@sophie.rijdt wat een dom wijf ben jij, ga terug naar de keuken ipv reclame te maken voor die rotapp", None),
    ("en", "facebook:gary.t.1971", "comment", [AB],
     "every ritvlot driver is some illegal who can't speak a word of Dutch, ship the lot of them back where they came from", None),
    ("nl", "x:@zuurpruim_", "post", [AB],
     "Ritvlot = k u t b e d r i j f met t y f u s personeel", None),
    ("nl", "x:@dennis_dev_rv", "post", [AB],
     "lol die klant die vandaag 40 tickets aanmaakte over €2 is echt een complete debiel 🙄 #supportlife", None),
    ("nl", "x:@ritvlot_help", "reply", [AB],
     "@gijs_ams Misschien gewoon gaan fietsen als je zo'n zeikerd bent.", None),
    ("en", "x:@grumpy_greg", "post", [AB],
     "Ritvlot support are fu\u0441king us\u0435l\u0435ss idiots", None),

    # ------------------------------------------------------------ personal data
    ("nl", "x:@ritvlot_help", "reply", [PII],
     "@jvdmeer_ Sorry voor het gedoe Jeroen! De terugbetaling van €18,40 is vandaag gestort op <<iban>> t.n.v. J. van der Meer. Laat je weten of hij binnen is?", None),
    ("nl", "reddit:u/jelle_dispatch", "post", [PII],
     "Klant belt al de hele middag, kan iemand van de avonddienst terugbellen? Mevr. Sanne Verhoef, 06 21 44 87 90, gaat over een laptop die in de auto is blijven liggen.", None),
    ("nl", "linkedin:koen-hendriks-ritvlot", "post", [PII],
     "Welkom aan ons nieuwe teamlid Lisa de Groot! Ze start 1 juni bij People Ops 🎉 Lisa, je contract staat klaar op lisa.degroot88@gmail.com en vergeet je BSN (<<bsn>>) niet even in het HR-systeem te zetten 😊", None),
    ("nl", "facebook:RitvlotNL", "comment", [PII],
     "Hoi Karin, we hebben het uitgezocht: de dubbele afschrijving op je kaart <<card>> is teruggeboekt en staat binnen 3 werkdagen weer op je rekening.", None),
    ("nl", "x:@maartje_ritvlot", "post", [PII],
     "Chauffeur van de maand: Mustafa Yilmaz! Woont in Schiedam (Lange Haven 41) en rijdt al zes jaar met ons mee. Geboren 3 maart 1979, dus volgende week taart 🎂", None),
    ("en", "x:@lotte_sre", "post", [PII],
     "anyone seen this before? prod log keeps spitting out `rider_email=h.jansen1972@hotmail.com phone=+31 6 3829 1176 status=PAYMENT_FAILED` every 5 sec", None),
    ("en", "instagram:@ritvlot.nl", "post", [PII],
     "Congrats to our lucky winner 🎉 Emma Brouwer (born 14-09-2001) from Leiden! We'll send your Cadeaukaart 100 to emma.brouwer@ziggo.nl 💚", None),
    ("en", "linkedin:yasmina-bouzid", "post", [PII],
     "Small win for the payouts team today: after three failed attempts we manually re-sent driver R. Pinas' earnings to <<iban>> and it finally landed. Persistence pays off!", None),
    ("nl", "x:@tim_hoogeveen", "post", [PII],
     "Mijn oma is haar telefoon kwijt in een Ritvlot, vanochtend rond 10u van Zwolle CS naar Assendorp. Gevonden? Bel haar buurvrouw op +31 (0)6 5512 3489 🙏", None),
    ("en", "x:@chloe_ams", "post", [PII],
     "Found a wallet in my Ritvlot this morning. Owner is Thomas Verbeek, DOB 22/07/1990, lives at Prinsengracht 212 Amsterdam. Thomas if you see this DM me!", None),
    ("nl", "forum:nieuwe_chauffeur_76", "post", [PII],
     "Moet je voor Ritvlot chauffeur echt je BSN doorgeven in het aanmeldformulier? Ik heb <<bsn>> ingevuld maar twijfel of dat wel veilig is via zo'n formulier.", None),
    ("en", "x:@annapeeters_", "post", [PII],
     "Selling my Ritvlot Festival Shuttle Pass for Lowlands, €45 (what I paid). Mail me: anna.peeters [at] outlook [dot] com", None),
    ("nl", "mastodon:@rubenk@mastodon.nl", "post", [PII, SECU],
     "Testdata op staging blijkt gewoon een kopie van productie: klant P. de Jong, Vondelstraat 8, 2513 EN Den Haag, kaart <<card>>. En dat staging draait al maanden zonder MFA. Wie heeft dit goedgekeurd?!", None),
    ("en", "x:@rosa_k_m", "reply", [PII],
     "@ritvlot_help hi! can't log in on my new phone, the account is under rosa.k.martens@gmail.com, number 06-19283746. thanks!", None),

    # ------------------------------------------------------------ secrets
    ("nl", "x:@dennis_dev_rv", "post", [SEC],
     "waarom krijg ik hier een 404 op 😤\ncurl -H \"Authorization: token <<ghp>>\" https://api.github.com/repos/ritvlot/dispatch-core/actions/runs", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [SEC],
     "anyone know why boto keeps whining about the region? my env is literally just\nAWS_ACCESS_KEY_ID=<<akia>>\nAWS_SECRET_ACCESS_KEY=<<aws_secret>>\nAWS_DEFAULT_REGION=eu-west-1", None),
    ("nl", "x:@lotte_sre", "post", [SEC, CONF],
     "note to self voor de migratie vannacht: postgres://rides_admin:<<dbpw>>@db-prod-2.intra.ritvlot.local:5432/rides", None),
    ("nl", "mastodon:@rubenk@mastodon.nl", "post", [SEC],
     "Kan iemand deze token even decoden, volgens mij is hij verlopen maar de gateway accepteert hem nog: <<jwt>>", None),
    ("nl", "reddit:u/jelle_dispatch", "post", [SEC],
     "Voor de nachtploeg: nieuwe login voor het dispatch-dashboard. gebruiker: dispatch_nacht\nwachtwoord: <<pw>>\nNiet doorsturen aub.", None),
    ("en", "x:@dennis_dev_rv", "post", [SEC],
     "ok who wrote this in the checkout service 😂\nstripe.api_key = \"<<stripe>>\"  # TODO move to vault", None),
    ("nl", "x:@maartje_ritvlot", "post", [SEC],
     "Onze Slack-bot voor ritmeldingen draait weer! Token voor wie hem in z'n eigen kanaal wil: <<slack>>", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [SEC],
     "playing with an LLM summariser for support tickets over the weekend. export OPENAI_API_KEY=<<openai>> and off you go, surprisingly decent", None),
    ("nl", "mastodon:@rubenk@mastodon.nl", "post", [SEC],
     "Welke held heeft dit in #algemeen geplakt 🤦\n<<pem>>", None),
    ("en", "reddit:u/apk_poker", "post", [SEC],
     "lol ritvlot's android app ships an unrestricted Google Maps key in plain text: <<google>>. took me 5 minutes with apktool", None),
    ("nl", "x:@lotte_sre", "post", [SEC],
     fullwidth("wachtwoord") + "： <<pw>> (voor de gedeelde monitoring-login, niet verder vertellen)", None),
    ("nl", "x:@dennis_dev_rv", "post", [SEC],
     "Mollie-key voor de nieuwe checkout van de Festival Shuttle, zet hem maar in je .env: MOLLIE_API_KEY=<<mollie>>", None),

    # ------------------------------------------------------------ security (insiders)
    ("nl", "x:@lotte_sre", "post", [SECU],
     "pfff hele nacht wakker geweest. iemand had vanaf 02:00 toegang tot onze rider-database via een oude API-key van een ex-leverancier. We communiceren pas maandag extern, dus ssst 🤐", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [SECU],
     "Fun fact nobody outside knows yet: our driver payout API had an IDOR, any driver could read any other driver's earnings by changing the id in the URL. Fixed-ish. Don't tell anyone 😅", None),
    ("nl", "mastodon:@rubenk@mastodon.nl", "post", [SECU],
     "Pentestrapport binnen: 3 kritieke lekken in de Ritvlot chauffeursapp, o.a. de sms-verificatie is te omzeilen. Patch staat pas over zes weken gepland. Ik word hier niet vrolijk van.", None),
    ("en", "x:@dennis_dev_rv", "post", [SECU],
     "payments have been silently failing for ~2h, thousands of rides unbilled. status page still says 'all systems operational' lol", None),
    ("nl", "reddit:u/jelle_dispatch", "comment", [SECU],
     "Dispatch ligt er al ruim een uur uit, we wijzen ritten met de hand toe via een WhatsApp-groep. Officieel is er 'niks aan de hand' 🙃", None),
    ("en", "x:@lotte_sre", "post", [SECU],
     "ransomware got one of our office laptops in Rotterdam today. isolated it, but legal says no announcement. if your ritvlot app acts weird this week, that's why", None),
    ("nl", "instagram:@sophie.rijdt", "post", [SECU],
     "Ik mag dit eigenlijk niet zeggen maar onze klantenservicetool is gehackt en er zijn vanuit ons eigen systeem phishingmails naar klanten gestuurd. Klik nergens op!!", None),
    ("nl", "x:@maartje_ritvlot", "post", [SECU, CONF],
     "Kan er nog iemand inloggen op grafana.ops.ritvlot.net? Sinds de storing van vannacht is volgens mij alle monitoring weg en rijden we blind rond", None),
    ("en", "linkedin:koen-hendriks-ritvlot", "post", [SECU],
     "Heads-up to my network: last week someone impersonated our HR team and harvested the payslips of ~40 Ritvlot colleagues through a fake login page. Staff haven't been told yet, so be careful out there.", None),
    ("en", "mastodon:@rubenk@mastodon.nl", "post", [SECU],
     "filing a CVE for our own driver app soon: hardcoded admin endpoint, reachable without any auth. still unpatched in prod. yes, I'm venting.", None),
    ("nl", "x:@dennis_dev_rv", "post", [SECU],
     "de b" + ZW + "ackup van de rit" + ZW + "tendatabase draait al 3 we" + ZW + "ken niet meer en vandaag ging de primaire schijf stuk. twee dagen aan ritdata weg. niemand buiten het team weet het nog", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [SECU],
     "our surge engine got stuck at 3.5x for all of Utrecht for 40 minutes this morning after a bad deploy. refunds are being sorted out quietly, no public statement planned", None),

    # ------------------------------------------------------------ confidential
    ("nl", "bluesky:@tijmenvos.bsky.social", "post", [CONF],
     "Vandaag de eerste testrit met Project Reiger. Geen stuur, geen pedalen, wel koffie. Ik mag er niks over zeggen maar WOW 🤯", None),
    ("en", "linkedin:yasmina-bouzid", "post", [CONF],
     "Proud of my team wrapping up the Operatie Kolibrie prep this quarter 💪 can't say more (yet)", None),
    ("nl", "x:@dennis_dev_rv", "post", [CONF],
     "Nachtuil gaat volgende maand live in Amsterdam, nachttarief wordt dan per wijk dynamisch berekend. Benieuwd hoe klanten dat gaan vinden", None),
    ("en", "reddit:u/jelle_dispatch", "comment", [CONF],
     "here's the link to the new night-shift rules for whoever asked: https://wiki.ritvlot.local/ops/nachtdienst-regels-v3", None),
    ("nl", "facebook:RitvlotNL", "post", [CONF],
     "Ritvlot confidential – concept: vanaf 1 september gaat de kilometervergoeding voor chauffeurs 8% omlaag. [NIET PUBLICEREN]", None),
    ("nl", "x:@maartje_ritvlot", "post", [CONF],
     "Screenshot uit het ops-overleg 👀 'Alleen voor intern gebruik – planning Q3: uitbreiding naar Antwerpen en Gent met 300 auto's.' Spannende tijden!", None),
    ("en", "x:@carspotter_nl", "post", [CONF],
     "Spotted: a row of white cars with lidar on the roof and 'Ritvlot Robotaxi' stickers at the Helmond test track 👀", "2026-09-14T16:22:05Z"),
    ("nl", "instagram:@sophie.rijdt", "post", [CONF],
     "Shoot gedaan voor de RitvlotGo Autonoom campagne ✨ kan niet wachten tot jullie het zien", "2026-11-03T12:40:00Z"),
    ("en", "x:@lotte_sre", "reply", [CONF],
     "@vendor_support it's jira.ritvlot.nl/browse/DISP-4412 if anyone on your side can look at it", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [CONF],
     "next year's roadmap has a family subscription called 'Ritvlot Familie' in it. not announced, so pretend you never read this", None),
    ("nl", "forum:benieuwdeburger", "post", [CONF],
     "Mijn zwager werkt bij Ritvlot en zegt dat Project Reiger al zonder chauffeur in Eindhoven rondrijdt. Kan iemand dat bevestigen?", None),
    ("nl", "mastodon:@rubenk@mastodon.nl", "post", [CONF],
     "N.a.c.h.t.u.i.l is echt het meest gestoorde prijsmodel dat ik ooit heb gezien", None),
    ("nl", "linkedin:ritvlot-mobility", "post", [CONF],
     "Vacature: Senior ML Engineer voor ons team autonoom rijden (intern: Project Reiger). Hybride, Rotterdam. Reageren kan via de site.", None),
    ("nl", "linkedin:koen-hendriks-ritvlot", "post", [CONF],
     "Ritvl\u043et c\u043enfidential: nieuwe bonusregeling managers vanaf 2027, max 40% van het jaarsalaris. Feedback graag vóór vrijdag.", None),
    # confidential + financial: embargoed results
    ("nl", "linkedin:yasmina-bouzid", "post", [CONF, FIN],
     "Laatste loodjes voor de jaarcijfers 2026: omzet €412 mln en voor het eerst winst 🎉 Nog twee weekjes zwijgen!", "2027-02-10T18:05:00Z"),
    ("en", "x:@beursbengel", "post", [CONF, FIN],
     "Hearing from a source that Ritvlot's FY2026 results will show a €38m loss. Publication is next week.", "2027-02-19T08:15:00Z"),

    # ------------------------------------------------------------ financial
    ("nl", "linkedin:koen-hendriks-ritvlot", "post", [FIN],
     "Zware weken bij Ritvlot. Er komt een reorganisatie aan waarbij zo'n 120 banen bij support verdwijnen, wordt in oktober aangekondigd. Sterkte iedereen.", None),
    ("en", "x:@dennis_dev_rv", "post", [FIN],
     "hearing we're buying Blauwe Taxi Groep for ~€90m, announcement after the summer. wild", None),
    ("nl", "linkedin:yasmina-bouzid", "post", [FIN],
     "Q3 landt op €104 mln omzet, ruim boven budget! Nog niet publiek dus even niet doorvertellen 😉", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [FIN],
     "board just approved shutting down the Leuven and Ghent ops entirely, ~60 people. comms is still writing the memo", None),
    ("nl", "linkedin:ritvlot-mobility", "post", [FIN],
     "[CONCEPT – NIET PLAATSEN] Ritvlot verwacht voor 2027 een EBITDA tussen €55 en €60 mln en een omzetgroei van 25%.", None),
    ("en", "x:@beurswatcher_", "post", [FIN],
     "Ritvlot insider tells me the takeover by a big German mobility group is done, price tag around €1.1bn. Not official yet 📈", None),
    ("nl", "reddit:u/jelle_dispatch", "post", [FIN],
     "Manager zei vandaag in het teamoverleg dat dispatch Den Haag volgend jaar dichtgaat en alles naar Rotterdam verhuist. Nog niks officieel.", None),
    ("en", "linkedin:mark-oudshoorn", "post", [FIN],
     "Strong half for us: we'll report H1 net revenue of €198m next month, up 34% year on year. Great work, team.", None),
    ("nl", "x:@maartje_ritvlot", "post", [FIN, CONF],
     "Net gehoord dat Operatie Kolibrie bijna rond is: we nemen Blauwe Taxi over. Wordt pas in november bekendgemaakt", None),
    ("en", "reddit:u/curious_investor_nl", "comment", [FIN],
     "A friend in Ritvlot finance says they'll miss the Q4 forecast by about 20% and a round of layoffs is planned for January.", None),
    ("en", "linkedin:koen-hendriks-ritvlot", "post", [FIN],
     "Spent the whole day preparing severance packages for 80 colleagues. Announcement is next Tuesday; until then, radio silence.", None),

    # ------------------------------------------------------------ pricing
    ("nl", "x:@ritvlot", "post", [PR],
     "Vandaag only: Vaste Rit Schiphol - Amsterdam Centrum voor €4,90! 🚕✈️ Boek in de app", None),
    ("nl", "x:@dealjager", "post", [PR],
     "PRIJSFOUT bij Ritvlot! Plus jaarabonnement voor €9,90 i.p.v. €99. Snel zijn 🔥", None),
    ("nl", "x:@maartje_ritvlot", "post", [PR],
     "Oeps, het Trouwrit Pakket staat op de site voor €59,50 🙈 kan iemand dat even fixen voor de halve provincie gaat boeken", None),
    ("en", "reddit:u/giftcardhunter", "post", [PR],
     "Ritvlot giftcard glitch: Cadeaukaart 100 is selling for €10 in the app right now, already bought three", None),
    ("en", "x:@weekend_warrior_nl", "post", [PR],
     "is it a price error or is Ritvlot XL Dagverhuur really €38.90 today?", None),
    ("nl", "instagram:@ritvlot.nl", "post", [PR],
     "Nieuw in de shop: de Ritvlot DashCam D2 voor maar €12,90 🎥 Link in bio", None),
    ("nl", "tiktok:@stuudje_jules", "comment", [PR],
     "ritvlot Student Pass kost vandaag €0,59 per maand?? lijkt me een foutje maar ik heb hem al 😂", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", [PR],
     "someone set Chauffeur Halve Dag to €21.90 in the pricing table and it's been live for an hour 😬", None),
    ("nl", "facebook:driver.hassan.r", "comment", [PR],
     "EV Huurweek voor €99 i.p.v. €329 in de Ritvlot chauffeursapp. Prijsfout of actie? Ik heb 'm in elk geval geboekt", None),
    ("en", "x:@cheapskate_ams", "post", [PR],
     "Rittenbundel 10 for €12 lol ritvlot your pricing bot is drunk", None),
    ("nl", "reddit:u/jelle_dispatch", "post", [PR],
     "Heads up: er zit een prijsfout in de Festival Shuttle Pass, klanten krijgen hem nu voor €4,50. Marketing is op de hoogte.", None),
    ("nl", "x:@spaarvarken_", "post", [PR],
     fullwidth("Ritvlot Zwart") + " per uur nu €8,90?? dat moet toch een prijsfout zijn 😳", None),

    # ------------------------------------------------------------ benign / hard negatives
    ("nl", "x:@ritvlot", "post", N,
     "Goedemorgen! ☀️ Vroege vlucht? Boek je Vaste Rit Schiphol - Amsterdam Centrum gewoon voor €49, ook als het spits is.", None),
    ("nl", "instagram:@ritvlot.nl", "post", N,
     "Black Friday 🖤 25% korting op het Plus jaarabonnement: €74,25 in plaats van €99. Alleen dit weekend.", None),
    ("en", "x:@sammy_inthecity", "post", N,
     "ritvlot driver tonight was an absolute legend, helped me carry my mum's wheelchair up three floors. five stars and a fat tip 🙏", None),
    ("nl", "x:@eline_reist", "post", N,
     "Eerlijk is eerlijk: @ritvlot_help heeft mijn dubbele afschrijving binnen een uur opgelost. Netjes!", None),
    ("nl", "x:@ritvlot_help", "reply", N,
     "@sandra_w_ Vervelend om te lezen! Stuur je ritnummer naar help@ritvlot.nl of bel ons gratis op 0800-7488, dan zoeken we het meteen uit.", None),
    ("nl", "linkedin:ritvlot-mobility", "post", N,
     "Zakelijke klanten: betalingen voor facturen graag op NL76 RABO 0312 4588 70 t.n.v. Ritvlot Mobility B.V., onder vermelding van het factuurnummer.", None),
    ("en", "reddit:u/cloud_newbie", "post", N,
     "What do real AWS keys look like? The docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Are real ones the same length? (building a ride-sharing demo, not affiliated with Ritvlot lol)", None),
    ("nl", "x:@dennis_dev_rv", "post", N,
     "PSA voor mede-devs: zet nooit je echte token in een README. Gebruik iets als GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als placeholder en haal de echte uit je secret manager.", None),
    ("nl", "x:@marloes_bakt", "post", N,
     "Wachtwoord vergeten in de Ritvlot app en de resetmail stond binnen 5 seconden in m'n inbox. Soms werkt tech gewoon 😄", None),
    ("en", "x:@mobility_news_eu", "post", N,
     "TaxiTwee announced 200 layoffs in its Amsterdam office today. Wonder if rivals like Ritvlot will feel the same pressure.", None),
    ("nl", "x:@privacyfan_", "post", N,
     "Dat datalek bij deelfietsbedrijf Fietsdeel (100k accounts) is heftig. Hopelijk gaat Ritvlot beter om met onze gegevens.", None),
    ("nl", "x:@ritvlot", "post", N,
     "Onze jaarcijfers 2026 staan online! 📊 Omzet €412 mln en voor het eerst winstgevend. Alles lezen: ritvlot.nl/investors", "2027-02-24T09:30:00Z"),
    ("nl", "instagram:@ritvlot.nl", "post", N,
     "Hij is er: de Ritvlot Robotaxi rijdt vanaf vandaag in Eindhoven 🤖🚕 Probeer hem via de app!", "2027-04-01T10:00:00Z"),
    ("en", "x:@eindhoven_ellie", "post", N,
     "Tried the Ritvlot Robotaxi in Eindhoven today. weird but cool. no driver, just vibes", "2027-04-03T15:12:00Z"),
    ("en", "linkedin:mark-oudshoorn", "post", N,
     "Proud day: our full-year 2026 results are out, first profitable year in Ritvlot's history. Full report on our investor page.", "2027-02-24T11:00:00Z"),
    ("nl", "x:@koen_uitbetaling", "post", N,
     "Ritvlot meldde dat mijn uitbetalingsrekening <<iban_bad>> ongeldig was. Klopt, ik had twee cijfers omgedraaid 🙈 Nu aangepast en geld is binnen!", None),
    ("en", "x:@devtinkerer", "post", N,
     "tried adding my card <<card_bad>> in the ritvlot app and got 'invalid card number'. turns out I fat-fingered a digit, works now", None),
    ("nl", "x:@grappigegast", "post", N,
     "Mijn klantnummer bij Ritvlot is <<bsn_bad>>, waarom is dat zo lang 😂 Lijkt wel een telefoonnummer met extra stappen", None),
    ("nl", "x:@stormchaser_nl", "post", N,
     "Sterkte en respect voor alle chauffeurs die vannacht in die storm gewoon doorreden. Jullie zijn toppers 💪 #ritvlot", None),
    ("nl", "forum:papa_van_twee", "post", N,
     "Weet iemand of je bij Ritvlot een kinderzitje kunt aanvragen? Ga volgende week met mijn dochter naar Schiphol.", None),
    ("nl", "x:@ritvlot_help", "post", N,
     "Storing opgelost ✅ Sinds 14:20 kun je weer normaal ritten boeken. Excuses voor het ongemak! Actuele status altijd op status.ritvlot.nl", None),
    ("en", "linkedin:koen-hendriks-ritvlot", "post", N,
     "We're hiring 40 new support colleagues in Rotterdam! Apply via ritvlot.nl/werken 🙌", None),
    ("nl", "linkedin:yasmina-bouzid", "post", N,
     "Trots op ons team: vandaag de gepubliceerde halfjaarcijfers toegelicht aan de pers. Terugkijken kan via ritvlot.nl/investors", None),
    ("en", "x:@commuterjoe", "post", N,
     "Ritvlot vs TaxiTwee, Schiphol to the centre: €49 vs €55. Ritvlot wins this round", None),
    ("nl", "x:@zusje_jen", "post", N,
     "De Ritvlot Cadeaukaart 50 is deze week €42,50 bij de drogist, leuk cadeautje voor mijn zus 🎁", None),
    ("en", "x:@festivalfreak", "post", N,
     "Festival Shuttle Pass for Pinkpop is €45 return. cheaper than parking there honestly", None),
    ("nl", "tiktok:@ritvlot", "post", N,
     "POV: je boekt Ritvlot Zwart voor je eerste date 😎 €89 per uur, de vibes zijn gratis", None),
    ("nl", "threads:@ritvlot.nl", "post", N,
     "Chauffeurs opgelet: de Ritvlot Driver Kit is deze maand 20% goedkoper, €119,20 in plaats van €149.", None),
    ("nl", "x:@lotte_sre", "post", N,
     "Druk met mijn talk over incident response voor een devops-meetup in Amsterdam. Geen bedrijfsgeheimen, beloofd 😇", None),
    ("en", "mastodon:@rubenk@mastodon.nl", "post", N,
     "Reminder: a JWT is just base64, not encryption. Paste any eyJhbGciOi… into a decoder and you'll read the whole payload. Never put secrets in there.", None),
    ("nl", "x:@ritfan_utrecht", "post", N,
     "Chauffeur Ricardo van Ritvlot is gewoon de beste. Altijd op tijd, altijd vriendelijk, altijd een pepermuntje. 10/10", None),
    ("en", "x:@expat_ollie", "post", N,
     "my dutch uncle now calls every taxi 'een Ritvlot', like people say hoover for any vacuum", None),
    ("nl", "x:@twijfelaar_", "post", N,
     "Is Ritvlot Plus maand (€9,99) het waard als je twee keer per week rijdt? Twijfel nog.", None),
    ("nl", "linkedin:ritvlot-mobility", "post", N,
     "Ritvlot en de gemeente Utrecht gaan samenwerken aan emissievrije ritten in de binnenstad. Vanaf 2027 rijden al onze auto's daar elektrisch.", None),
    ("en", "bluesky:@kind_commuter", "post", N,
     "The way Ritvlot looked after that driver who was attacked last year, full pay during his recovery and a public thank-you when he came back, is honestly how every company should act.", None),
    ("nl", "x:@ritvlot_help", "post", N,
     "Let op: Ritvlot vraagt nooit om je wachtwoord of pincode via DM of telefoon. Twijfel je? Mail help@ritvlot.nl", None),
    ("en", "reddit:u/uni_sec_student", "post", N,
     "Does Ritvlot run a bug bounty? Asking for a uni project on responsible disclosure programmes at Dutch companies.", None),
    ("en", "x:@ci_whisperer", "post", N,
     "my CI logs show STRIPE_KEY=sk_live_**************** so at least the masking works lol", None),
    ("nl", "facebook:RitvlotNL", "post", N,
     "Iets laten liggen in de auto? Vul het formulier in op ritvlot.nl/gevonden of bel ons op +31 10 555 0420.", None),
    ("nl", "x:@rotterdammer_", "post", N,
     "Bij TaxiTwee hebben ze een reorganisatie aangekondigd, 200 banen weg. Hopelijk blijft het bij Ritvlot rustig", None),
    ("en", "x:@legal_eagle_nl", "post", N,
     "The class action against SkyScoot (the e-scooter people) is finally going ahead. Glad Ritvlot stayed out of that mess.", None),
    ("nl", "instagram:@vrijgezel_sanne", "post", N,
     "Ritvlot XL Dagverhuur geboekt voor ons vrijgezellenfeest, €389 voor de hele dag met chauffeur. Top geregeld! 🥂", None),
    ("nl", "x:@ritvlot", "post", N,
     "Geen prijsfout! De Student Pass kost écht maar €5,99 per maand 🎓", None),
    ("en", "reddit:u/bride2b_2026", "post", N,
     "Trouwrit Pakket from Ritvlot is €595, is that a fair price for a wedding car? seems fine compared to the rest", None),
    ("en", "linkedin:mark-oudshoorn", "post", N,
     "Great panel at a mobility finance summit today on unit economics in ride-hailing. Our slides are on the investor page.", None),
    ("nl", "x:@cursusmeester", "post", N,
     "Voorbeeld uit de privacycursus die Ritvlot ons gaf: BSN <<bsn_bad>> (ongeldig, haalt de elfproef niet). Goede training 👍", None),
    ("en", "x:@ritvlot", "post", N,
     "We're aware of fake Ritvlot giftcard websites. Only buy Cadeaukaart 50 and Cadeaukaart 100 in the app or at ritvlot.nl.", None),
    ("en", "x:@studentsaver", "post", N,
     "got Ritvlot Plus jaar for €84.15 with the 15% student discount, not bad at all", None),
    ("nl", "reddit:u/jelle_dispatch", "comment", N,
     "Tip voor chauffeurs: gevonden voorwerpen altijd via de app melden en nooit telefoonnummers van klanten in groepsapps zetten.", None),
    ("nl", "forum:mkb_ondernemer", "post", N,
     "Ervaringen met Ritvlot Zakelijk Pro? We zijn met 8 man en overwegen over te stappen van onze huidige taxicentrale.", None),
    ("en", "reddit:u/api_tinkerer", "post", N,
     "The sample token in Ritvlot's public API docs is just the classic jwt.io one: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c (John Doe). Would be nice to have a real sandbox.", None),
    ("en", "x:@grandadsfan", "post", N,
     "Ritvlot's 65+ Pas at €7.99 a month got my grandad out of the house again. genuinely wholesome", None),
    ("en", "bluesky:@tijmenvos.bsky.social", "post", N,
     "Shipping day! The new booking flow is live for everyone. Thanks to the whole team 🚀", None),
    ("en", "x:@paperwork_pam", "post", N,
     "my bank app rejected <<iban_bad>> when I tried to pay a Ritvlot business invoice. I'd copied it from an old PDF with a typo; the one on their website worked fine.", None),
    ("nl", "x:@vroegevogel_", "reply", N,
     "@ahmed_k020 Herkenbaar, maar bij mij stond de chauffeur vanochtend om 4:50 al klaar. Wisselend dus.", None),
    ("nl", "x:@nachtbraker", "post", N,
     "Nachtpas van Ritvlot voor €19,99 per maand, en dan elke nachtrit 20% goedkoper. Voor horecamensen echt een aanrader", None),
    ("nl", "facebook:ineke.de.boer.3", "comment", N,
     "Vorige week een klacht over een te hoge rit ingediend en vandaag het verschil terug gekregen plus een excuusmail. Zo hoort het Ritvlot 👍", None),
    ("en", "x:@securitynerd_", "post", N,
     "Nice writeup from Ritvlot's security team on how they rotated all their keys after last year's public incident. More companies should be this transparent.", None),
    ("nl", "youtube:AutoReviewsNL", "comment", N,
     "Goeie review! Ik rijd zelf voor Ritvlot en de DashCam D2 van €129 bevalt me prima, haarscherpe beelden 's nachts.", None),
    ("en", "x:@wheelchair_wanderer", "post", N,
     "Booked a Ritvlot XL with ramp for the first time, driver was patient and the car was spotless. Accessibility done right.", None),
    ("nl", "x:@ritvlot_help", "reply", N,
     "@lucy_in_rdam Sorry Lucy, dit is opgelost in versie 6.4 van de app. Update even en je blijft gewoon ingelogd. Nog problemen? Stuur ons een DM 💬", None),
]


# --------------------------------------------------------------------------- build
def role_of(key):
    return ROLE.get(key.lower(), "public")


SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    sev = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and checksum_id:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return SEV_ORDER[sev]


PH = re.compile(r"<<([a-z_0-9]+)>>")


def fill(text):
    ids, secrets = [], []

    def rep(m):
        k = m.group(1)
        if k in SECRET_GEN:
            v = SECRET_GEN[k]()
            secrets.append((k, v))
            return v
        gen, typ, valid = ID_GEN[k]
        v = gen()
        ids.append((typ, v, valid))
        return v

    return PH.sub(rep, text), ids, secrets


def random_ts():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    dt = start + timedelta(seconds=rng.randint(0, 355 * 86400))
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt", "threads": "th",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo", "youtube": "yt"}


def build():
    rows = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    serials = rng.sample(range(100000, 999999), len(CASES))
    for n, idx in enumerate(order):
        lang, key, kind, cats, text, ts = CASES[idx]
        platform, handle = key.split(":", 1)
        text, ids, secrets = fill(text)
        role = role_of(key)
        checksum_id = any(v for (_t, _v, v) in ids)
        cats = sorted(set(cats))
        post = {
            "id": "%s-%d" % (PREFIX[platform], serials[n]),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": ts or random_ts(),
            "brand": "Ritvlot",
        }
        if rng.random() < 0.4:
            post["url"] = "https://%s.example/%s/%s" % (platform, handle.strip("@").replace("/", "_"), post["id"])
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)}},)
        rows[-1]["_meta"] = {"ids": ids, "secrets": secrets, "role": role, "key": key}
    return rows


# --------------------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def ts_parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errs = []
    pub_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    for x in pub_ibans:
        if not iban_ok(x):
            errs.append("profile IBAN fails mod-97: " + x)
    internal = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    seen = set()
    for r in rows:
        p, e, meta = r["post"], r["expect"], r["_meta"]
        pid = p["id"]
        # CONTRACT section 6 / section 1 shape
        if set(r) - {"post", "expect", "_meta"}:
            errs.append(pid + ": extra top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errs.append(pid + ": bad id")
        if pid in seen:
            errs.append(pid + ": duplicate id")
        seen.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append(pid + ": platform")
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errs.append(pid + ": kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(pid + ": handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append(pid + ": text")
        if "<<" in p["text"]:
            errs.append(pid + ": unfilled placeholder")
        if not TS_RE.match(p["created_at"]):
            errs.append(pid + ": created_at")
        dt = ts_parse(p["created_at"])
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= dt < datetime(2027, 5, 1, tzinfo=timezone.utc)):
            errs.append(pid + ": created_at out of range")
        if dt.year == 2027 and not any(t.lower() in p["text"].lower()
                                       for em in PROFILE["embargo"] for t in em["terms"]):
            errs.append(pid + ": 2027 date only for embargo cases")
        if p["lang"] not in ("nl", "en"):
            errs.append(pid + ": lang")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(pid + ": categories")
        if e["severity"] not in SEV_ORDER:
            errs.append(pid + ": severity value")
        if (not cats) != (e["severity"] == "none"):
            errs.append(pid + ": benign <-> none")
        # severity recomputed independently from profile role
        role = role_of(p["platform"] + ":" + p["account"]["handle"])
        if role != meta["role"]:
            errs.append(pid + ": role mismatch")
        if meta["key"] in ROLE and role == "public":
            errs.append(pid + ": role lookup")
        # identifiers: generated ones
        for typ, val, valid in meta["ids"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
            if ok != valid:
                errs.append("%s: generated %s %s validity %s" % (pid, typ, val, ok))
            if cats and not ok:
                errs.append("%s: invalid %s in positive" % (pid, typ))
            if not cats and ok:
                errs.append("%s: valid %s in benign" % (pid, typ))
            if valid and "leak.pii" not in cats:
                errs.append("%s: valid %s but no leak.pii" % (pid, typ))
        # identifiers: scan whole text (minus generated secrets) for anything number-like
        scan = p["text"]
        for _k, v in meta["secrets"]:
            scan = scan.replace(v, " ")
        for m in IBAN_RE.finditer(scan):
            s = m.group(0).replace(" ", "")
            if s in pub_ibans:
                continue
            if cats and not iban_ok(s):
                errs.append(pid + ": IBAN-like fails in positive: " + s)
            if not cats and iban_ok(s):
                errs.append(pid + ": IBAN passes in benign: " + s)
        for m in CARD_RE.finditer(scan):
            d = re.sub(r"\D", "", m.group(0))
            if cats and not luhn_ok(d):
                errs.append(pid + ": card-like fails Luhn in positive: " + d)
            if not cats and luhn_ok(d):
                errs.append(pid + ": card-like passes Luhn in benign: " + d)
        for m in BSN_RE.finditer(scan):
            d = re.sub(r"\D", "", m.group(0))
            if cats and not bsn_ok(d):
                errs.append(pid + ": BSN-like fails 11-proof in positive: " + d)
            if not cats and bsn_ok(d):
                errs.append(pid + ": BSN-like passes 11-proof in benign: " + d)
        # secrets: real formats
        for k, v in meta["secrets"]:
            if "leak.secret" not in cats:
                errs.append(pid + ": generated secret without leak.secret")
            if k in ("ghp", "gho") and not ghp_ok(v):
                errs.append(pid + ": github token checksum")
            if k == "akia" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errs.append(pid + ": aws id format")
            if k == "jwt":
                parts = v.split(".")
                hdr = json.loads(b64url_dec(parts[0]))
                if len(parts) != 3 or "alg" not in hdr:
                    errs.append(pid + ": jwt")
            if "EXAMPLE" in v or "xxxx" in v:
                errs.append(pid + ": generated secret looks like a sample")
        if "leak.secret" in cats and not meta["secrets"]:
            errs.append(pid + ": leak.secret without generated credential")
        # benign posts: nothing internal, no private e-mails, embargo only after until
        low = p["text"].lower()
        if not cats:
            for t in internal:
                if t in low:
                    errs.append(pid + ": internal term in benign: " + t)
            for m in EMAIL_RE.finditer(p["text"]):
                if m.group(0).lower() not in pub_emails:
                    errs.append(pid + ": private e-mail in benign")
            if meta["secrets"]:
                errs.append(pid + ": real secret in benign")
        for em in PROFILE["embargo"]:
            until = ts_parse(em["until"])
            for t in em["terms"]:
                if t.lower() in low and dt < until and "leak.confidential" not in cats:
                    errs.append(pid + ": embargoed term before until without leak.confidential")
        for t in internal:
            if t in low and "leak.confidential" not in cats:
                errs.append(pid + ": internal term without leak.confidential: " + t)
    return errs


def main():
    rows = build()
    errs = check(rows)
    # stats
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    roles = {}
    for r in rows:
        roles[r["_meta"]["role"]] = roles.get(r["_meta"]["role"], 0) + 1
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if errs:
        for e in errs:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read and validate the written file once more
    with open(out, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert len(lines) == n and all(set(x) == {"post", "expect"} for x in lines)
    print("cases=%d benign=%d positives=%d nl=%.0f%% roles=%s" % (n, benign, n - benign, 100.0 * nl / n, roles))
    for c in sorted(per):
        print("  %-22s %d" % (c, per[c]))
    print("OK")


if __name__ == "__main__":
    main()
