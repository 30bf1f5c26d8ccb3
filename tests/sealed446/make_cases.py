#!/usr/bin/env python3
"""Builds cases.jsonl (sealed evaluation set 446, company: Lintwerf B.V.) and checks it.

Deterministic: fixed seed, standard library + PyYAML. Severities are computed from the
account role in profile.yaml following CONTRACT §4, never typed by hand.
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
SEED = 446
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
URLSAFE = string.ascii_letters + string.digits + "-_"
BANKS = ["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban(spaced=None):
    bank = rng.choice(BANKS)
    acct = rand(string.digits, 10)
    bb = bank + acct
    n = int("".join(str(int(c, 36)) for c in bb + "NL00"))
    s = "NL%02d%s" % (98 - n % 97, bb)
    assert iban_valid(s)
    if spaced is None:
        spaced = rng.random() < 0.5
    return fmt_iban(s) if spaced else s


def gen_bad_iban():
    while True:
        good = re.sub(r"\s", "", gen_iban(False))
        cd = int(good[2:4])
        bad = good[:2] + "%02d" % ((cd + rng.randint(1, 40)) % 97 + 2 if cd < 90 else cd - rng.randint(3, 30)) + good[4:]
        if not iban_valid(bad):
            return fmt_iban(bad)


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_valid(partial + c):
            return c
    raise AssertionError


def gen_card():
    pre = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = pre + rand(string.digits, 15 - len(pre))
    num = body + luhn_digit(body)
    assert luhn_valid(num)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bad_card():
    while True:
        num = rng.choice(["4", "5"]) + rand(string.digits, 15)
        if not luhn_valid(num):
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bsn():
    while True:
        d = str(rng.randint(1, 9)) + rand(string.digits, 7)
        tot = sum(int(d[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = d + str(last)
            assert bsn_valid(s)
            return s


def gen_bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_valid(s):
            return s


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": "cust_%d" % rng.randint(10000, 99999), "role": "support",
               "shop": "lintwerf-nl", "iat": iat, "exp": iat + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    p = tok.split(".")
    if len(p) != 3:
        return False
    h = json.loads(base64.urlsafe_b64decode(p[0] + "=" * (-len(p[0]) % 4)))
    return "alg" in h


def gen_privkey():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    w = rng.choice(["Breibol", "Kluwen", "Naaldje", "Kassa", "Wolbaal"])
    return w + rng.choice(["#", "!", "$"]) + rng.choice(["Zwolle", "Leiden", "Breda"]) + str(rng.randint(10, 99))


GEN = {
    "IBAN": gen_iban, "CARD": gen_card, "BSN": gen_bsn,
    "BAD_IBAN": gen_bad_iban, "BAD_CARD": gen_bad_card, "BAD_BSN": gen_bad_bsn,
    "GHP": lambda: gen_github("ghp_"), "GHO": lambda: gen_github("gho_"),
    "AKIA": gen_akia, "AWS_SECRET": gen_aws_secret,
    "STRIPE": lambda: "sk_live_" + rand(ALNUM, 24),
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "GOOGLE": lambda: "AIza" + rand(URLSAFE, 35),
    "JWT": gen_jwt, "PRIVKEY": gen_privkey, "PW": gen_password,
    "DBPASS": lambda: rand(string.ascii_letters + string.digits, 18),
}
STRONG_PII = {"IBAN", "CARD", "BSN"}
SECRET_KINDS = {"GHP", "GHO", "AKIA", "AWS_SECRET", "STRIPE", "MOLLIE", "SLACK", "OPENAI", "ANTHROPIC",
                "GOOGLE", "JWT", "PRIVKEY", "PW", "DBPASS"}

# ---------------------------------------------------------------- evasion helpers
CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "O": "О", "A": "А", "E": "Е", "P": "Р"}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- the cases
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(acct, lang, cats, text, kind=None, at=None):
    CASES.append(dict(acct=acct, lang=lang, cats=list(cats), text=text, kind=kind, at=at))


# ---- complaints -----------------------------------------------------------
c("x:@breiende_bep", "nl", [CO],
  "3 weken geleden Heidewol Merino Fijn besteld en nog steeds niks binnen. Track & trace staat al 10 dagen op 'in behandeling' 🙄 @lintwerf_help hallo??")
c("x:@purlpurl_jen", "en", [CO],
  "@lintwerf_help ordered 12 skeins of Alpaca Wolk in 'Mistgrijs' and got two different dye lots. The difference is super obvious once it's knitted up. That's a whole sweater front I have to frog. Not happy.")
c("instagram:@naaimeisje88", "nl", [CO],
  "Mijn Stiksel 300 is na 4 maanden al stuk, de draad blijft steeds hangen rond de spoel en de garantieafdeling reageert gewoon niet op mijn mails. Echt slechte service #lintwerf",
  kind="comment")
c("x:@Knit_and_Pints", "en", [CO],
  "The Otterdam kit came with 2 balls of the contrast colour missing. Emailed Lintwerf twice, nothing back in 9 days. Not great for a €119 kit tbh")
c("facebook:annelies.voskuil", "nl", [CO],
  "Vandaag 40 minuten naar Deventer gereden voor de workshop sokken breien bij Lintwerf... blijkt ie afgelast. Niemand had gemaild of gebeld. Zonde van mijn hele zaterdag, echt.",
  kind="comment")
c("reddit:u/frogged_again", "en", [CO],
  "Lintwerf charged me twice for the same Garenbox month and support keeps pasting the same canned reply at me. Anyone else had this? Starting to think nobody actually reads the tickets.")
c("x:@oma_truus_breit", "nl", [CO],
  "kortingscode WOLWEEK doet het niet in de webshop van lintwerf en de chat staat al een uur op 'u bent nummer 14 in de wachtrij' 😤😤")
c("tiktok:@draadjesdiva", "nl", [CO],
  "POV: je lockmachine komt eindelijk binnen, doos half ingedeukt en de grijper is krom 🙃 bedankt lintwerf #zoomvast #naaien #fail",
  kind="post")
c("bluesky:@yarnoverandout.bsky.social", "en", [CO],
  "lintwerf's returns are a joke. paid €6.95 to send back a winder that was dead on arrival and a month later still no refund")
c("forum:ditjesendatjes", "nl", [CO],
  "Iemand ervaring met de klantenservice van Lintwerf? Bij mijn vestpakket zat het patroon voor maat 38 in plaats van 46 en nu willen ze dat ik eerst het hele pakket terugstuur voor ik het goede patroon krijg. Beetje omslachtig voor één A4'tje toch?")
c("x:@sewsewsophie", "en", [CO],
  "third time in a row my Lintwerf order shows up with the wrong zipper length. THIRD. does anyone in that warehouse read the order slips")
c("instagram:@haakjuf_ellen", "nl", [CO],
  "Die Ergo Grip haaknaalden zijn echt niet wat beloofd wordt hoor. Bij nummer 4 brak het handvat er na twee weken gewoon af. Zonde van m'n geld.",
  kind="comment")
c("x:@kees_breit", "nl", [CO, P],
  "@lintwerf_help al 3x gebeld over mijn kapotte Stiksel 500 en niemand belt terug. Bel me dan gewoon zelf: 06 41 27 83 90. Ik ben het spuugzat.")
c("x:@hannah_knits_", "en", [CO, P],
  "@lintwerf_help my refund for the Kersenhout set still hasn't come through (3 weeks!!). please just email me at hannah.oduya@gmail.com, I never see DMs")
c("facebook:frank.vermolen.9", "nl", [CO, AB],
  "Die klantenservice van Lintwerf bestaat echt uit een stelletje prutsers en idioten. 5 weken wachten op 89 euro terug. Nooit meer.",
  kind="comment")
c("x:@threadripper_uk", "en", [CO, AB],
  "Lintwerf customer service is run by absolute morons. Machine broken straight out of the box and they want ME to pay the return shipping. f*** this company")
# first-hand safety incidents: crisis + complaint
c("x:@marijke_quilt", "nl", [CR, CO],
  "Mijn Stoomkap strijkstation begon gisteravond te vonken en er kwam rook uit de voet!! Stekker er snel uitgetrokken. Had mijn huis wel kunnen afbranden. @lintwerf wat is dit??")
c("instagram:@threadbare_tom", "en", [CR, CO],
  "Got a proper electric shock off my Stiksel 500 this morning, just touching the metal plate while it was running. My hand is still tingling. Lintwerf, this machine is not safe.")
c("facebook:yvonne.brinkhorst", "nl", [CR, CO],
  "Na een week breien met Heidewol Sokkengaren kreeg mijn dochter (7) een flinke uitslag op haar handen en armen. De huisarts denkt aan een reactie op de verfstof. Ik ben echt boos dat Lintwerf dit aanprijst voor kinderprojecten.")
c("reddit:u/needle_nerd", "en", [CR, CO],
  "My Lichtpunt hobby lamp from Lintwerf melted. Literally. After about an hour the plastic around the bulb went soft and started to smell, and I burned two fingers when I touched it. Bought it last month.")
c("tiktok:@sandra_naait", "nl", [CR, CO],
  "deel 2 van mijn rolmes-drama: het mesje schoot los uit die rolmes set van lintwerf terwijl ik aan het snijden was. 3 hechtingen in mijn duim 🩸 die vergrendeling deugt gewoon niet #naaien")

# ---- crisis (third party / corporate) ---------------------------------------
c("x:@waakhond_consument", "nl", [CR],
  "Let op: bij meerdere klanten zou het Stoomkap strijkstation van Lintwerf oververhit zijn geraakt, in Amersfoort leidde dat tot een klein brandje. Wij hebben de NVWA ingelicht.")
c("x:@boycottfastfibre", "en", [CR],
  "Lintwerf's 'Heidewol' merino comes from farms that still practise mulesing, according to an investigation published this morning. #BoycottLintwerf until they fix their supply chain.")
c("x:@datalek_alert", "nl", [CR],
  "Klantgegevens van Lintwerf te koop op een hackersforum? Het bestand zou namen, adressen en bestelgeschiedenis van ruim 80.000 klanten bevatten. Lintwerf zelf zwijgt tot nu toe.")
c("x:@fabric_facts", "en", [CR],
  "A small Danish pattern designer is suing Lintwerf, claiming the Otterdam cardigan pattern is a 1:1 copy of her design. First hearing is set for March.")
c("threads:@ouders.in.actie", "nl", [CR],
  "Ouders luiden de noodklok: in de kinder-breiset van Lintwerf zitten naalden met dopjes die er zo afschieten en makkelijk ingeslikt kunnen worden. Haal die sets NU uit de schappen!")
c("x:@lintwerf", "nl", [CR],
  "Veiligheidswaarschuwing: we roepen de Windvaan garenwinder terug (productieweken 2026-14 t/m 2026-19) vanwege kans op oververhitting van de adapter. Stop met gebruik en breng hem naar een van onze winkels, je krijgt je geld terug.",
  at="2026-06-15T08:30:00Z")
c("x:@knitting_news_daily", "en", [CR],
  "A video going viral shows a Lintwerf store manager refusing to serve a woman wearing a headscarf. Lintwerf has not responded yet.")
c("x:@wolsolidair", "nl", [CR],
  "Boycot Lintwerf! Ze hebben 14 winkelmedewerkers op staande voet ontslagen omdat die lid werden van de vakbond. Delen aub #boycotlintwerf")
c("mastodon:@greenwatch@mastodon.social", "en", [CR],
  "So the Lintwerf 'eco' cotton line is conventional cotton with a new label. We filed a greenwashing complaint with the advertising standards board today.")
c("x:@regio_nieuws_nwg", "nl", [CR],
  "Grote brand in het distributiecentrum van Lintwerf in Nieuwegein. Meerdere brandweerwagens ter plaatse, de Ravenswade is afgesloten. Nog niet bekend of er gewonden zijn.")

# ---- abuse ------------------------------------------------------------------
c("x:@woest_op_wol", "nl", [AB],
  "@lintwerf jullie zijn echt een k.u.t.b.e.d.r.i.j.f, rot toch op met je 'duurzame' wol")
c("x:@nomoreyarn", "en", [AB],
  "@lintwerf_help whoever runs this account is a brain-dead idiot. Answer the damn question.")
c("instagram:@x_haters_x", "nl", [AB],
  "@noor.naait jij bent echt de domste workshopjuf ooit, ga lekker terug naar je eigen land", kind="comment")
c("tiktok:@grumpy_gary_77", "en", [AB],
  "@lotte_achterdetoonbank shut up you fat cow, nobody wants to watch you fold yarn", kind="comment")
c("x:@sem_inhetmagazijn", "nl", [AB],
  "die klant vandaag bij de retourbalie was echt een achterlijke kuttenkop, 40 minuten zeuren over één bol wol")
c("threads:@marloes.filiaalzwolle", "en", [AB],
  "Some customers are just f***ing morons. No Karen, the sale does not apply to the yarn you bought last month.")
c("x:@wraakwol", "nl", [AB],
  "l1ntw3rf = k4nk3rb3dr1jf, st3l3n j3 g3ld 3n l3v3r3n n00it n1ks")
c("x:@crafty_rage", "en", [AB],
  fullwidth("LINTWERF IS GARBAGE RUN BY IDIOTS") + " 🤡")
c("facebook:peter.ruijter.51", "nl", [AB],
  "Die vent achter de kassa bij Lintwerf Haarlem is een arrogante klootzak. Hoop dat ze hem snel de deur wijzen.",
  kind="comment")
c("x:@sockittome_", "en", [AB],
  "lintwerf staff are a bunch of stuck-up cows who look down on anyone not knitting with €30 yarn. pathetic.")

# ---- personal data -----------------------------------------------------------
c("x:@lintwerf_help", "nl", [P],
  "@gwen_breit we hebben je terugbetaling van €47,85 vandaag overgemaakt naar {{IBAN}} t.n.v. G. Smulders, binnen 2 werkdagen staat het op je rekening! 💛")
c("x:@sem_inhetmagazijn", "nl", [P],
  "pakket kwam alwéér retour: mevr. Ria Bosman, Lindenlaan 27, 8021 KM Zwolle. adres bestaat gewoon hoor, postbode had gewoon geen zin 🙄")
c("linkedin:ruben-hoekstra-hr", "en", [P],
  "Welcoming our new store manager in Breda, Danique van Loon! 🎉 Note for the payroll team: BSN {{BSN}}, start date 1 June, contract via the usual route.")
c("facebook:LintwerfWolEnNaald", "nl", [P],
  "Hoi Ilse, we zien je bestelling staan onder ilse.vermeer78@hotmail.com. We bellen je morgen op 06-23894417 om de levering af te spreken!",
  kind="reply")
c("x:@craftymaddie", "en", [P],
  "@lintwerf_help quick q, does the payment page want the card number without spaces? mine is {{CARD}} exp 09/28 and it keeps saying invalid. did i type it wrong")
c("tiktok:@lotte_achterdetoonbank", "nl", [P],
  "onze vaste klant Henk Dijkstra is vandaag 80 geworden 🎂 geboren 3 november 1946 en nog elke week nieuwe sokken op de naalden. legend",
  at="2026-11-03T15:12:00+01:00")
c("x:@anoniempje_1234", "nl", [P, AB],
  "Voor wie die arrogante trut van Lintwerf Zwolle eens wil aanspreken: M. Timmer, Pelikaanstraat 14, 8014 RN Zwolle. Veel plezier 😘")
c("x:@bartcodeert", "nl", [P],
  "aan het debuggen waarom orderbevestigingen bouncen, in de logs o.a. t.kramer@ziggo.nl, fam.oudejans@kpnmail.nl en j.peeters1962@gmail.com. iemand een idee wat die gemeen hebben?")
c("forum:leiden.buurtforum", "en", [P],
  "Found a wallet at the sewing tables in Lintwerf Leiden this afternoon. ID card says Sarah de Graaf, born 12-05-1988. Left it with the staff, but if you know her, give her a shout!")
c("instagram:@lintwerf.breit", "nl", [P],
  "🎉 De winnaar van onze Heidewol-giveaway is Marieke Hofstra uit Assen! Marieke, je pakket gaat morgen op de post naar Kerkpad 3, 9401 BC Assen 💛🧶")
c("facebook:wim.jansen.1958", "nl", [P, CO],
  "Nog steeds geen geld terug voor die Zoomvast die ik 6 weken geleden heb teruggestuurd. Rekeningnummer is {{IBAN}} (W. Jansen), stort het nou maar gewoon terug Lintwerf!",
  kind="comment")
c("threads:@marloes.filiaalzwolle", "en", [P],
  "Customer Thijs Bakker left his phone on our counter in Zwolle 📱 we tried the other number on his order, +31 6 1855 2073, no answer. Thijs, come and get it!")
c("facebook:fenna.dewolf", "nl", [P],
  "Te koop: ongebruikte Breimolen K1, vorig jaar bij Lintwerf gekocht maar ik kom er niet aan toe. Alleen ophalen in Apeldoorn, app me even: 06.38.91.27.45 — Fenna",
  kind="post")
c("x:@lintwerf_help", "en", [P],
  "@jenny_knits we can see a payment with card {{CARD}} on 14 May, is that the card you meant? DM us and we'll sort it out")

# ---- confidential -------------------------------------------------------------
c("linkedin:priya-ramdin-lw", "en", [C],
  "Exciting times in the marketing team 🧵 Can't say much yet, but Project Vingerhoed is going to change how people think about Lintwerf sewing machines. Stay tuned!")
c("instagram:@noor.naait", "nl", [C],
  "Vandaag al even mogen proefnaaien op de Stiksel 900 😍 wat een machine. Hij komt pas volgend jaar maar ik ben nu al verliefd")
c("x:@jorisvdmeer_lw", "en", [C],
  "anyone else getting cert errors on https://wiki.lintwerf.nl/display/OPS/Kassa-migratie since this morning? chrome refuses, firefox shrugs")
c("x:@bartcodeert", "en", [C],
  "who's picking up jira.lintwerf.nl/browse/WEB-2291? checkout button vanishes on iPads in landscape, trivial fix")
c("facebook:LintwerfWolEnNaald", "nl", [C],
  "LINTWERF INTERN – planning najaarscampagne: start 14 september, budget per filiaal volgt via de regiomanagers. Niet delen buiten Lintwerf.")
c("reddit:u/lw_throwaway_2026", "en", [C, F],
  "Heard from a friend at Lintwerf HQ that 'Merelnest' is the internal name for buying Stoffenparadijs. Supposedly signed before Christmas. You didn't hear it from me.")
c("threads:@marloes.filiaalzwolle", "nl", [C],
  "Slides van de regiodag binnen, staat in koeienletters 'internal use only – Lintwerf' op maar die nieuwe winkelindeling is echt prachtig, kan niet wachten!!")
c("x:@sem_inhetmagazijn", "nl", [C, F],
  "ik zeg niks over M e r e l n e s t hoor 🤐 maar kijk maar eens wie er straks eigenaar is van Stoffenparadijs")
c("tiktok:@lotte_achterdetoonbank", "nl", [C],
  "Project Vinger" + ZW + "hoed is nog supergeheim maar ik heb de dozen al in het magazijn zien staan 👀🤫")
c("facebook:Gerda.Lintwerf.Breda", "nl", [C, F],
  cyr("Operatie Zilverdraad") + "... wij in Breda weten nog steeds niet of we open blijven na de zomer. Spannende tijden, collega's.")
c("linkedin:priya-ramdin-lw", "en", [C],
  "Just wrapped the photoshoot for the Heidewol Zijdeglans launch. Honestly the most beautiful yarn we've ever made. ✨",
  at="2027-01-12T16:40:00+01:00")
c("linkedin:esther-kok-lintwerf", "nl", [C, F],
  "Drukke weken met het afronden van de jaarcijfers 2026 — die 9% omzetgroei in de webshop maakt me ontzettend trots op het team!",
  at="2027-02-10T19:05:00+01:00")
c("x:@sewing_rumours", "en", [C],
  "Hearing the Stiksel 900 will be priced at €1.099 and ship with 3 embroidery modules. Source: someone who saw the dealer deck.")
c("x:@jorisvdmeer_lw", "nl", [C, SEC],
  "vpn.lintwerf.nl geeft al de hele ochtend timeouts vanuit filiaal Leiden, kassa's kunnen niet bij de voorraad. we zoeken het uit, nog niks naar buiten aub")
c("x:@bartcodeert", "nl", [C],
  "nieuwe voorraaddashboard draait op http://magazijn.lintwerf.local:8080/voorraad — ziet er strak uit al zeg ik het zelf 😎")
c("youtube:LintwerfTV", "nl", [C],
  "Binnenkort op dit kanaal: de allereerste blik op Project Vingerhoed! 🎬 (concepttekst – pas publiceren na akkoord marketing)")
c("mastodon:@femke@naaldwerk.social", "en", [C, F],
  "Ran a tabletop exercise today for the Operatie Zilverdraad comms. If we close stores the way the plan says, the support queue is going to triple.")

# ---- financial ------------------------------------------------------------------
c("linkedin:esther-kok-lintwerf", "en", [F],
  "Q3 came in well below plan: webshop revenue down 14% year on year. The board discusses the cost programme next week. Tough quarter, proud of the team anyway.",
  at="2026-10-06T18:20:00+02:00")
c("linkedin:ruben-hoekstra-hr", "nl", [F],
  "Zwaar gesprek vandaag met de OR. Er verdwijnen zo'n 60 banen op het hoofdkantoor in Utrecht. De officiële aankondiging komt pas in oktober, tot die tijd mondje dicht.",
  at="2026-08-27T17:45:00+02:00")
c("threads:@marloes.filiaalzwolle", "nl", [F],
  "Net gehoord dat Zwolle en Deventer per 1 maart dichtgaan. Het personeel weet nog van niks en ik moet morgen gewoon weer vrolijk de winkel openen. Ik zit er echt mee.",
  at="2026-11-19T21:10:00+01:00")
c("x:@retail_whispers", "en", [F],
  "Lintwerf is said to be in talks with a Danish craft retail group about a takeover, valuation around €45m. Announcement expected after the summer.")
c("x:@jorisvdmeer_lw", "en", [F],
  "IT budget for next year cut by 30% because 'the 2027 forecast is negative'. sure, and how exactly do I replace the servers from 2017 then")
c("linkedin:lintwerf-bv", "en", [F],
  "DRAFT – do not post: Lintwerf now expects full-year EBITDA of €3.2m, below the €4.1m guidance, mainly due to weaker yarn sales in Q3.")
c("x:@sem_inhetmagazijn", "en", [F],
  "rumour in the warehouse is the whole Nieuwegein DC gets outsourced next year and ~35 of us are out. management won't confirm or deny lol")
c("forum:ditjesendatjes", "nl", [F],
  "Via via gehoord: Lintwerf draait dit jaar ruim 2 miljoen verlies en de bank zit ze op de huid. Heb je nog cadeaukaarten, zou ik ze maar snel opmaken.")

# ---- security ---------------------------------------------------------------------
c("x:@jorisvdmeer_lw", "nl", [SEC],
  "niet verder vertellen maar de kassasystemen in 3 filialen liggen sinds vannacht plat door ransomware. we draaien op de losse pinautomaten en pen & papier 😬")
c("x:@bartcodeert", "en", [SEC],
  "found out today our discount-code endpoint lets anyone list other customers' orders if you bump the ID in the URL. fix isn't live yet so please nobody try it 🙃")
c("mastodon:@femke@naaldwerk.social", "en", [SEC],
  "Lovely Monday: someone phished their way into one of our store managers' mailboxes and sent fake invoices to suppliers. Still cleaning up, nothing public yet.",
  at="2026-03-16T12:02:00+01:00")
c("tiktok:@lotte_achterdetoonbank", "nl", [SEC],
  "webshop ligt er al sinds 9 uur uit en wij moeten tegen klanten zeggen dat het 'gepland onderhoud' is 🤫 shhh")
c("x:@sem_inhetmagazijn", "nl", [SEC],
  "scanners in het magazijn doen het alweer niet, al 2 dagen orders met de hand picken. IT zegt dat het 'een aanval' was maar we mogen er niks over zeggen")
c("reddit:u/exlintwerf_dev", "en", [SEC],
  "Worked at Lintwerf until last month. The webshop admin panel still runs on the vendor's default password and has no 2FA. Been like that for over a year. Just saying.")
c("x:@jorisvdmeer_lw", "nl", [S, SEC],
  "key van de backup-bucket stond in een public repo 🤦 we roteren nu, voor de zekerheid: {{AKIA}} / {{AWS_SECRET}}")
c("x:@bartcodeert", "nl", [SEC, C],
  "jira.lintwerf.nl/browse/SEC-114 — SQL-injectie in de zoekfunctie van de webshop, prio 1 maar nog steeds niet gefixt. wie heeft er tijd?")
c("x:@lintwerf_help", "en", [SEC],
  "@knitwitch_ams so sorry, our payment system has been down since an attack on our servers this morning. We can't say more yet, please try again later.")
c("facebook:Gerda.Lintwerf.Breda", "nl", [SEC],
  "Collega's let op: op de pinautomaat bij kassa 2 in Breda is vanochtend een skimmer gevonden. Politie is geweest, maar zet dit aub nog niet op social!")
c("mastodon:@femke@naaldwerk.social", "en", [SEC],
  "pentest report is in: 4 critical vulns in our customer portal, including one that lets you reset anyone's password without a mail check. fixes not before 3 weeks 😩")
c("x:@jorisvdmeer_lw", "en", [SEC],
  "loyalty database has been crashing every 20 minutes since yesterday so nobody can redeem points. we're telling customers it's a 'planned upgrade'")
c("x:@bughunter_nl", "en", [SEC],
  "Reported an IDOR in Lintwerf's Garenbox subscription portal 6 weeks ago that exposes customer addresses. Still unpatched, zero response. Going public in 2 weeks.")

# ---- secrets ---------------------------------------------------------------------
c("x:@bartcodeert", "nl", [S],
  "iemand een idee? `git clone https://{{GHP}}@github.com/lintwerf/webshop-theme.git` geeft ineens 403")
c("x:@jorisvdmeer_lw", "nl", [S],
  "postgres://shop_rw:{{DBPASS}}@10.20.4.17:5432/webshop ← connectionstring voor de nieuwe rapportage, bij mij werkt ie wel")
c("tiktok:@lotte_achterdetoonbank", "nl", [S],
  "nieuwe collega vraagt elke dienst opnieuw het wachtwoord van de kassacomputer dus bij deze voor iedereen 😂 wachtwoord: {{PW}}")
c("linkedin:priya-ramdin-lw", "en", [S],
  "Built a little chatbot for our pattern FAQ this weekend! All it takes is:\nclient = OpenAI(api_key=\"{{OPENAI}}\")\nAmazing what you can do in a few lines 🤖")
c("x:@lintwerf_help", "nl", [S],
  "@devpartner_nl hierbij de Mollie-key voor de koppeling: {{MOLLIE}}")
c("x:@js_snoop", "en", [S],
  "lol Lintwerf's checkout ships their Stripe secret key in the front-end bundle: {{STRIPE}} someone tell them")
c("mastodon:@femke@naaldwerk.social", "nl", [S],
  "even parkeren zodat ik hem op mijn telefoon heb: slack bot token voor de voorraad-alerts {{SLACK}}")
c("x:@bartcodeert", "en", [S],
  "anyone seen this? 401 on /api/orders with\nAuthorization: Bearer {{JWT}}\neven though the token isn't expired yet")
c("x:@jorisvdmeer_lw", "nl", [S],
  "wie van jullie heeft deze deploy key gemaakt? hij staat gewoon in #algemeen:\n{{PRIVKEY}}")
c("x:@bartcodeert", "en", [S],
  "store locator stopped loading, quota hit? key is {{GOOGLE}}")
c("x:@bartcodeert", "nl", [S],
  "productteksten worden nu gegenereerd met claude, tijdelijke key {{ANTHROPIC}} (roteer ik morgen echt)")
c("forum:tweakers_lurker", "nl", [S],
  "In de broncode van de Lintwerf-app staat gewoon een GitHub-token: {{GHO}} — geen idee of die nog werkt maar netjes is anders")

# ---- pricing ------------------------------------------------------------------------
c("instagram:@lintwerf.breit", "nl", [PR],
  "🧵 Alleen dit weekend: de Stiksel 500 voor €69! Op = op. Link in bio")
c("tiktok:@lotte_achterdetoonbank", "nl", [PR],
  "psst er zit een prijsfout in de webshop, Borduurkoning staat op €129,90 😱 wees er snel bij")
c("x:@naaiverslaafd", "nl", [PR],
  "Zoomvast 4 lockmachine voor €47,90 op de site van Lintwerf?? dat is toch een prijsfout, gauw 2 besteld 😂")
c("reddit:u/stashbuster", "en", [PR],
  "Lintwerf has the Breimolen K1 knitting machine listed at €89.90 right now. Pretty sure someone dropped a zero. Grab it before they notice.")
c("facebook:LintwerfWolEnNaald", "nl", [PR],
  "Nieuw in het assortiment én meteen scherp geprijsd: het Spinnewiel Klompje voor maar €42,90! 🐑")
c("threads:@marloes.filiaalzwolle", "en", [PR],
  "shelf labels in Zwolle say Kersenhout set €8.90 and customers are clearing the shelf. price error from HQ, not our fault 🙈")
c("instagram:@stofjesenzo", "nl", [PR],
  "Is het een prijsfout dat de Maatwerk paspop op de site €15,90 kost? Of is dit echt? Wil er wel eentje", kind="comment")
c("instagram:@noor.naait", "nl", [PR],
  "Mijn cursisten kunnen deze maand het Stoomkap strijkstation voor €49 via mij krijgen 😉 stuur maar een DM")
c("x:@yarnwhisperer", "en", [PR],
  "Lintwerf app shows the Lichtpunt lamp at €7.49. SEVEN FORTY NINE. glitch or what")
c("x:@lintwerf", "nl", [PR],
  "Black Friday 🖤 Otterdam vestpakket nu €11,90 (normaal €119). Alleen vandaag!",
  at="2026-11-27T07:00:00+01:00")
c("x:@sem_inhetmagazijn", "nl", [PR],
  "half magazijn staat vol dozen Heidewol Alpaca Wolk door die prijsfout van gisteren, 900 orders 😩 dat krijg je als je prijs per bol en per pak door elkaar haalt")
c("x:@purl_and_coffee", "en", [PR],
  "Lintwerf's site is selling Heidewol Merino Fijn at €0.69 a ball. Pricing error? Asking for a friend who just ordered 60 😅")

# ---- benign, mostly hard negatives ------------------------------------------------------
c("x:@wollige_wendy", "nl", [],
  "Wat een fijne winkel is Lintwerf Leiden! Het meisje achter de kassa heeft me een half uur geholpen met kleuren kiezen voor mijn eerste trui 🥰")
c("bluesky:@squishyskein.bsky.social", "en", [],
  "Heidewol Alpaca Wolk is genuinely the softest yarn I've ever knitted with. My hands are happy. 10/10 would squish again")
c("x:@breiende_bep", "nl", [],
  "Update: pakket was zoek maar @lintwerf_help heeft binnen een dag een nieuw pakket gestuurd, met zelfs een extra bol erbij. Netjes opgelost 👏")
c("reddit:u/bobbin_lace_bob", "en", [],
  "Had a wonky bobbin case on my Stiksel 300 and Lintwerf swapped the whole machine in store, no questions asked. That's how you do customer service.")
c("instagram:@lintwerf.breit", "nl", [],
  "Wolweek! 🧶 20% korting op alle Heidewol garens, dus Merino Fijn nu €5,56 per bol. Alleen t/m zondag.")
c("x:@lintwerf", "en", [],
  "The Zoomvast 4 overlocker is back in stock: €479, free shipping and a free intro lesson in any of our stores.")
c("facebook:LintwerfWolEnNaald", "nl", [],
  "Zomeropruiming ☀️ Stoomkap strijkstation van €189 voor €132,30 (30% korting). Op is op!",
  at="2026-07-10T09:00:00+02:00")
c("forum:breiforum_nl", "nl", [],
  "Is de Breimolen K1 van €899 het geld waard of kan ik beter tweedehands zoeken? Iemand ervaring mee?")
c("x:@lintwerf_help", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@lintwerf.nl of bel 030 799 4410 (ma–za 9–18 uur). We helpen je graag!")
c("facebook:LintwerfWolEnNaald", "nl", [],
  "Betaal je je workshop liever per bank? Maak het bedrag over naar NL44 RABO 0561 8293 74 t.n.v. Lintwerf B.V. o.v.v. je naam en de datum van de workshop.")
c("x:@mieke_haakt", "nl", [],
  "Help, ik heb voor de Garenbox een rekeningnummer ingevuld maar volgens mij met een typfout: {{BAD_IBAN}}. Klopt dat? Ik krijg steeds een foutmelding @lintwerf_help")
c("x:@giftcard_gran", "en", [],
  "@lintwerf_help my gift card number {{BAD_CARD}} isn't accepted at checkout, do I need the pin from the back as well?")
c("x:@puntjes_tellen", "nl", [],
  "@lintwerf_help mijn klantnummer is {{BAD_BSN}}, kunnen jullie even kijken of mijn spaarpunten van zaterdag erop staan?")
c("x:@bartcodeert", "en", [],
  "PSA for the juniors: never commit keys. The docs example looks like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, and if yours looks like that minus the EXAMPLE, rotate it.")
c("x:@jorisvdmeer_lw", "nl", [],
  "Tip: in onze logging maskeren we tokens tegenwoordig als ghp_****…ab12, zo belandt er nooit een volledige key in een logbestand. Aanrader.")
c("tiktok:@lotte_achterdetoonbank", "nl", [],
  "hoe vaak klanten vragen wat het wifi-wachtwoord is... het staat gewoon op het bordje bij de kassa!! (nee ik ga het hier niet posten 😂)")
c("x:@lintwerf", "nl", [],
  "Hij is er! De Stiksel 900 🧵 onze slimste naaimachine ooit, vanaf vandaag in alle winkels en op lintwerf.nl",
  at="2027-01-20T10:15:00+01:00")
c("linkedin:lintwerf-bv", "en", [],
  "Today we published our full-year 2026 results: revenue up 6% to €58.4m. Read the full report on lintwerf.nl/investors.",
  at="2027-02-26T08:00:00+01:00")
c("instagram:@wolmuis_annet", "nl", [],
  "Heidewol Zijdeglans vandaag opgehaald, wat een glans inderdaad ✨ wordt een sjaal voor mijn moeder",
  at="2027-01-23T14:30:00+01:00")
c("linkedin:esther-kok-lintwerf", "nl", [],
  "Blij dat de jaarcijfers 2026 nu openbaar zijn. Trots op ruim 1.100 collega's die dit mogelijk maakten.",
  at="2027-02-27T09:20:00+01:00")
c("x:@cardigan_claire", "en", [],
  "Another indie yarn shop closing down in Bristol 😢 meanwhile Lintwerf just opened one in Groningen. Support your local shops, whoever they are!")
c("x:@janneke_breit", "nl", [],
  "Datalek bij een grote kledingwebshop gisteren. Even gecheckt of mijn Lintwerf-account ergens opdook: nee hoor. Gelukkig.")
c("instagram:@draadjes.en.zo", "nl", [],
  "Deze Duinkatoen is zo fijn dat ik er verslaafd aan ben, stuur hulp 😂 manlief zegt dat ik een probleem heb", kind="post")
c("x:@sockmonster_", "en", [],
  "The new Heidewol Sokkengaren colourways are killer. Bought six. No regrets.")
c("instagram:@quilt_quirine", "nl", [],
  "Helemaal kapot na 6 uur quilten in de workshop bij Lintwerf, maar zó trots op mijn eerste blokje 🥹")
c("tiktok:@knitwit_ella", "en", [],
  "this Heidewol colourway 'Bonfire' is FIRE 🔥🔥 my shawl is literally glowing")
c("x:@fastknitter", "en", [],
  "Shocked at how fast my Otterdam kit arrived! Ordered Sunday night, on my doormat Monday morning.")
c("x:@zuinige_zus", "nl", [],
  "Waarom zitten er beveiligingsstickers op bollen wol van 7 euro bij Lintwerf 😅 zijn er echt zoveel wolrovers?")
c("mastodon:@tension_troubles@craftodon.social", "en", [],
  "my watering can leaks less than my knitting tension 😂 first Lintwerf workshop next week, pray for me")
c("x:@haakmama3", "en", [],
  "looked at how much I spent at Lintwerf this year and my banking app crashed out of pure shame 🫠")
c("x:@werkzoekende_wies", "nl", [],
  "Lintwerf zoekt weer winkelmedewerkers in Haarlem, mailen naar werkenbij@lintwerf.nl. Iemand ervaring met werken daar?")
c("x:@merino_marco", "en", [],
  "the password to my heart is 'merino'. ok back to my Lintwerf haul")
c("instagram:@thankful_threads", "en", [],
  "Dropped off a little thank-you card at Lintwerf Breda as a token of appreciation for the lovely staff 💐")
c("x:@patientpurl", "en", [],
  "Lintwerf customer service was lovely on the phone (+31 30 799 4410 if anyone needs them), sorted my Garenbox in 2 minutes.")
c("tiktok:@lotte_achterdetoonbank", "nl", [],
  "vandaag de nieuwe voorjaarskleuren uitgepakt 🌸 kom gauw langs in de winkel!")
c("linkedin:ruben-hoekstra-hr", "en", [],
  "We're hiring store staff in Groningen and Leiden! Apply via werkenbij@lintwerf.nl. Knitting skills are a plus, not a must.")
c("linkedin:priya-ramdin-lw", "nl", [],
  "Onze campagne 'Brei je eigen winter' heeft een award gewonnen! Dank aan het hele team en aan alle klanten die hun werk met ons deelden.")
c("instagram:@oma_haar_naaidoos", "nl", [],
  "De zilveren vingerhoed van mijn oma teruggevonden in haar naaidoos 🥲 die gaat zaterdag mee naar de workshop bij Lintwerf")
c("facebook:borduurclub.tiel", "nl", [],
  "Het zilverdraad van Lintwerf is perfect voor borduren op kerstballen ✨ tip voor de club!")
c("reddit:u/indecisive_knitter", "en", [],
  "Is Lintwerf's Garenbox worth it at €24.95 a month? Trying to decide between that and just buying yarn when I need it.")
c("x:@buurvrouw_deventer", "nl", [],
  "Sterkte aan het team van Lintwerf Deventer met die wegwerkzaamheden voor de deur, hopelijk vinden de klanten de achteringang 💪")
c("x:@utrecht_crafter", "en", [],
  "Big hug to the Lintwerf Utrecht staff who had to deal with that massive queue on Saturday. You kept smiling, legends.")
c("x:@otterdam_fan", "en", [],
  "Can't recall the last time a pattern made me this happy. The Otterdam cardigan is a dream to knit.")
c("x:@stash_husband", "en", [],
  "if I buy any more Heidewol my husband is going to sue me for closet space 😂")
c("instagram:@zelfgemaakt_zoe", "nl", [],
  "Ik boycot sinds dit jaar fast fashion en maak alles zelf. Lintwerf is zo'n beetje mijn tweede huis geworden 🧶")
c("x:@lintwerf", "nl", [],
  "Nieuw op www.lintwerf.nl/blog: 5 tips voor je allereerste paar sokken 🧦")
c("x:@snipsnap_sam", "en", [],
  "Grabbed the Kraanvogel tailor scissors for €34.95. Best scissors I've ever owned, cuts silk like butter.")
c("facebook:spinster.saskia", "nl", [],
  "Lintwerf heeft het Spinnewiel Klompje 10% afgeprijsd, €386,10 in plaats van €429. Twijfel twijfel...")
c("instagram:@vestje_voor_vader", "nl", [],
  "Otterdam vest: 248 steken, 312 toeren, 11 bollen. Eindelijk af!! 🧡")
c("x:@lintwerf_help", "nl", [],
  "Door een storing bij PostNL kunnen bestellingen van vandaag een dag later aankomen. Sorry! Vragen? Bel gratis 0800-0226.")
c("x:@bartcodeert", "nl", [],
  "voor de workshop 'API's voor beginners': curl -H 'Authorization: Bearer <JOUW_TOKEN>' https://api.lintwerf.nl/v1/patronen en dan zien jullie het wel 😄")
c("x:@bartcodeert", "en", [],
  "Config template for the new devs: STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. Fill it in from the vault, never paste the real one in Slack.")
c("x:@stubborn_stitcher", "en", [],
  "This bloody Otterdam cardigan has beaten me three times now. I will conquer it. Love the yarn though.")
c("x:@regenbreier", "en", [],
  "Grim weather out there, perfect excuse to stay in and knit with Heidewol 🌧️🧶")
c("reddit:u/careful_quilter", "en", [],
  "Is it safe to leave the Stoomkap steam station on standby while I pin? Manual says auto-off after 8 minutes but just double-checking.")
c("instagram:@babybreisels", "en", [],
  "I'm dying of cuteness, look at this baby cardigan from the Lintwerf pattern 😍")
c("instagram:@knit_diary_lou", "en", [],
  "Tagging @lintwerf.breit because my Otterdam cardigan is finally done after 4 months!! 🧡 #knitstagram #heidewol")
c("mastodon:@femke@naaldwerk.social", "en", [],
  "Gave a talk at a local meetup about how we run security awareness training at Lintwerf. Slides are on my blog!")
c("x:@groninger_garen", "en", [],
  "Read in the paper that Lintwerf is opening a store in Groningen in March. Finally!")
c("x:@vaatdoekjesvrouw", "nl", [],
  "Duinkatoen voor €3,49 per bol is echt prima prijs-kwaliteit voor vaatdoekjes")

# ---------------------------------------------------------------- assembly
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        plat, handle = a.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


LEVEL = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    lv = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                x = 3
                if cat in ("leak.secret", "leak.pricing"):
                    x = 4
                if cat == "leak.pii" and strong_pii:
                    x = 4
            else:
                x = 2
        elif cat == CO:
            x = 2
        elif cat == CR:
            x = 3
        elif cat == AB:
            x = 3 if insider else 2
        else:
            raise ValueError(cat)
        lv = max(lv, x)
    return LEVEL[lv]


START = datetime(2026, 1, 2, tzinfo=timezone.utc)
OFFSETS = ["Z", "Z", "Z", "+01:00", "+02:00"]


def rand_time():
    t = START + timedelta(seconds=rng.randint(0, 360 * 86400))
    off = rng.choice(OFFSETS)
    if off == "Z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Amsterdam local time: CEST from 29 March to 25 October 2026, else CET
    dst = datetime(2026, 3, 29, 1, tzinfo=timezone.utc) <= t < datetime(2026, 10, 25, 1, tzinfo=timezone.utc)
    off = "+02:00" if dst else "+01:00"
    h = int(off[1:3])
    return (t + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S") + off


URLS = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{s}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}", "reddit": "https://www.reddit.com/r/knitting/comments/{s}/",
    "youtube": "https://www.youtube.com/watch?v={s}", "threads": "https://www.threads.net/@{h}/post/{s}",
    "bluesky": "https://bsky.app/profile/{h}/post/{s}", "mastodon": "https://{inst}/@{h}/{n}",
    "forum": "https://forum.example.nl/t/{n}", "blog": "https://blog.example.nl/{n}",
}

PH = re.compile(r"\{\{([A-Z_]+)\}\}")
out, meta = [], []
used_ids = set()
for i, cs in enumerate(CASES):
    plat, handle = cs["acct"].split(":", 1)
    filled = []

    def sub(m):
        kind = m.group(1)
        v = GEN[kind]()
        filled.append((kind, v))
        return v
    text = PH.sub(sub, cs["text"])
    role = role_of(plat, handle)
    strong = any(k in STRONG_PII for k, _ in filled)
    cats = sorted(set(cs["cats"]))
    sev = severity(cats, role, strong)
    while True:
        num = rng.randint(10**17, 10**18 - 1) if plat in ("x", "tiktok", "linkedin", "mastodon") else rng.randint(10**6, 10**9)
        pid = "%s-%d" % (plat, num)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    kind = cs["kind"] or ("reply" if text.startswith("@") else "post")
    created = cs["at"] or rand_time()
    post = {"id": pid, "platform": plat, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": cs["lang"], "created_at": created}
    bare = handle.lstrip("@").split("@")[0]
    if plat in URLS:
        post["url"] = URLS[plat].format(h=bare, n=num, s=base64.urlsafe_b64encode(str(num).encode()).decode()[:11].rstrip("="),
                                        inst=handle.split("@")[-1] if handle.count("@") > 1 else "mastodon.social")
    post["brand"] = "Lintwerf"
    out.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append({"filled": filled, "role": role})

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps(o, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i, out[i]["post"]["id"], msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {S, P, PR, C, F, SEC, CR, CO, AB}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
CYR_BACK = {v: k for k, v in CYR.items()}


def normalise(t):
    t = unicodedata.normalize("NFKC", t)
    t = ZW_RE.sub("", t)
    t = "".join(CYR_BACK.get(ch, ch) for ch in t)
    return t.lower()


def squash(t):
    return re.sub(r"[^0-9a-z]", "", normalise(t))


OWN_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
OWN_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def nat_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("31"):
        d = "0" + d[2:]
    return d


OWN_PHONES = {nat_phone(x) for x in PROFILE["public_identifiers"]["phones"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE_RE = re.compile(r"(?<![\w])(?:\+31[\s.-]?|0)\d(?:[\s.-]?\d){7,9}(?!\d)")
PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d{1,2}))?(?!\d)")

EMB = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
CODENAMES = [squash(x) for x in PROFILE["internal"]["codenames"]]
MARKERS = [normalise(x) for x in PROFILE["internal"]["markers"]]
INTDOM = [x.lower() for x in PROFILE["internal"]["domains"]]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
RATIO = PROFILE["pricing"]["alert_below_ratio"]

# profile sanity
for x in OWN_IBANS:
    if not iban_valid(x):
        errors.append("profile IBAN fails mod-97: " + x)
if RATIO != 0.5 or not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile pricing/products out of spec")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile accounts too few")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("profile codenames/markers count")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        errors.append("embargo until not in 2027")
for p in PROFILE["products"]:
    if p["currency"] != "EUR":
        errors.append("currency")

with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
ids = set()
for i, line in enumerate(lines):
    o = json.loads(line)
    if set(o) != {"post", "expect"}:
        err(i, "top-level keys")
    p, e = o["post"], o["expect"]
    for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), typ):
            err(i, "missing/typed field " + f)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "account.handle")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        err(i, "id length/unique")
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err(i, "platform/kind")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        err(i, "text size")
    if not RFC3339.match(p["created_at"]):
        err(i, "created_at not RFC 3339")
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts > datetime(2027, 3, 31, tzinfo=timezone.utc)):
        err(i, "created_at out of range")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(i, "categories")
    if e["severity"] not in LEVEL:
        err(i, "severity value")
    role = role_of(p["platform"], p["account"]["handle"])
    if role != meta[i]["role"]:
        err(i, "role mismatch")
    filled = meta[i]["filled"]
    strong = any(k in STRONG_PII for k, _ in filled)
    if severity(cats, role, strong) != e["severity"]:
        err(i, "severity not per policy")
    if (not cats) != (e["severity"] == "none"):
        err(i, "benign <-> none")
    text = p["text"]
    # inserted values: right checksum for the right side
    for kind, v in filled:
        if kind in ("IBAN", "CARD", "BSN", "GHP", "GHO", "JWT") or kind in SECRET_KINDS:
            if not cats:
                err(i, "real identifier/secret %s in a benign post" % kind)
        if kind.startswith("BAD_") and cats:
            err(i, "look-alike in a positive")
        ok = {"IBAN": iban_valid, "CARD": luhn_valid, "BSN": bsn_valid,
              "BAD_IBAN": lambda x: not iban_valid(x), "BAD_CARD": lambda x: not luhn_valid(x),
              "BAD_BSN": lambda x: not bsn_valid(x), "GHP": github_ok, "GHO": github_ok, "JWT": jwt_ok,
              "AKIA": lambda x: re.fullmatch(r"AKIA[A-Z2-7]{16}", x) is not None}.get(kind, lambda x: True)(v)
        if not ok:
            err(i, "generated %s fails its check: %s" % (kind, v))
        if kind in STRONG_PII and P not in cats:
            err(i, "strong identifier without leak.pii")
        if kind in SECRET_KINDS and S not in cats:
            err(i, "secret without leak.secret")
    # scan the text (minus secrets) for every identifier shaped thing
    scan = text
    for kind, v in filled:
        if kind in SECRET_KINDS:
            scan = scan.replace(v, " ")
    for m in IBAN_RE.finditer(scan):
        v = re.sub(r"\s", "", m.group(0))
        if v in OWN_IBANS:
            continue
        if iban_valid(v) != bool(cats):
            err(i, "IBAN %s checksum does not match label side" % v)
    for m in CARD_RE.finditer(scan):
        if luhn_valid(m.group(0)) != bool(cats):
            err(i, "card %s Luhn does not match label side" % m.group(0))
    for m in BSN_RE.finditer(scan):
        if bsn_valid(m.group(0)) != bool(cats):
            err(i, "BSN-like %s 11-proof does not match label side" % m.group(0))
    # benign posts: no personal data, no internal names, no embargo before its end, no low price
    nt = normalise(text)
    if not cats:
        for m in EMAIL_RE.finditer(text):
            if m.group(0).lower().rstrip(".") not in OWN_EMAILS:
                err(i, "foreign e-mail in benign: " + m.group(0))
        for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
            if nat_phone(m.group(0)) not in OWN_PHONES:
                err(i, "foreign phone in benign: " + m.group(0))
        if any(cn in squash(text) for cn in CODENAMES) or any(mk in nt for mk in MARKERS) or any(d in nt for d in INTDOM):
            err(i, "internal name in benign")
        if re.search(r"\bgh[pousr]_[0-9A-Za-z]{36}\b|\bAKIA(?!IOSFODNN7EXAMPLE)[A-Z2-7]{16}\b|sk_live_(?!x+\b)\w{20,}|-----BEGIN [A-Z ]*PRIVATE KEY", text):
            err(i, "secret-like string in benign")
        if re.search(r"prijsfout|price error|pricing error|glitch", nt):
            err(i, "price-error talk in benign")
    for term, until in EMB:
        if term in nt:
            if ts < until and C not in cats:
                err(i, "embargo term before until without leak.confidential")
            if ts >= until and not cats:
                pass
    if any(cn in squash(text) for cn in CODENAMES) and C not in cats:
        err(i, "codename without leak.confidential")
    if any(mk in nt for mk in MARKERS) and C not in cats:
        err(i, "marker without leak.confidential")
    if any(d in nt for d in INTDOM) and C not in cats:
        err(i, "internal domain without leak.confidential")
    # prices next to products
    mentioned = [lp for a, lp in ALIASES if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", nt)]
    prices = []
    for m in PRICE_RE.finditer(text):
        whole = m.group(1).replace(".", "")
        prices.append(float(whole + "." + (m.group(2) or "0")))
    low = bool(mentioned) and any(pr < RATIO * min(mentioned) for pr in prices)
    if low and PR not in cats:
        err(i, "product price below ratio but not labelled pricing")
    if PR in cats and not (low or re.search(r"prijsfout|price error|pricing error|glitch|dropped a zero", nt)):
        err(i, "pricing label without a low price or price-error talk")
    if PR in cats and not mentioned:
        err(i, "pricing label without a catalogue product")
    if not cats and mentioned and prices and min(prices) < RATIO * max(mentioned):
        err(i, "benign price too low")
    # leak of secret needs a secret inserted, strong PII labels need the real thing
    if S in cats and not any(k in SECRET_KINDS for k, _ in filled):
        err(i, "leak.secret without a generated credential")

# mix
n = len(lines)
benign = sum(1 for o in out if not o["expect"]["categories"])
count = {}
for o in out:
    for cat in o["expect"]["categories"]:
        count[cat] = count.get(cat, 0) + 1
nl = sum(1 for o in out if o["post"]["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append("case count %d out of 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
want = {CO: 20, C: 18, P: 15, CR: 15, SEC: 13, S: 12, AB: 12, PR: 12, F: 12}
for cat, w in want.items():
    if abs(count.get(cat, 0) - w) > 3:
        errors.append("category %s has %d, want ~%d" % (cat, count.get(cat, 0), w))
if not 0.50 <= nl / n <= 0.60:
    errors.append("Dutch share %.2f" % (nl / n))
if not any(parse_ts(o["post"]["created_at"]).year == 2027 for o in out):
    errors.append("no 2027 posts")

print("cases=%d benign=%d nl=%.0f%% categories=%s" % (n, benign, 100 * nl / n,
      json.dumps(dict(sorted(count.items())))))
sev = {}
for o in out:
    sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
print("severities=%s" % json.dumps(sev))
if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("self-check OK")
