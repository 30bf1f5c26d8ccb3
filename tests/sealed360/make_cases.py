#!/usr/bin/env python3
"""Builds cases.jsonl for sealed set 360 (Bloesemkist B.V., organic cosmetics subscription box).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written; only the
identifiers and credentials inside them are generated (with their real checksums, or deliberately
broken ones for look-alikes). Severities are computed from CONTRACT section 4 and the account role
in profile.yaml, never typed by hand. The script self-checks its output and exits non-zero on error.
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

SEED = 360_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

# --------------------------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_check_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def gen_iban(valid=True):
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    cd = iban_check_digits("NL", bban)
    if not valid:
        cd = "%02d" % ((int(cd) + rng.randint(1, 40)) % 97 + 2)
        while iban_valid("NL" + cd + bban):
            cd = "%02d" % ((int(cd) + 1) % 97 + 2)
    return "NL" + cd + bban


def fmt_iban(i, spaced):
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4)) if spaced else i


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    s = 0
    for k, x in enumerate(reversed(d)):
        if k % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return len(d) >= 12 and s % 10 == 0


def gen_card(valid=True):
    prefix = rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_valid(body + last):
            good = body + last
            break
    if valid:
        return good
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return bad


def fmt_card(c, style):
    if style == "space":
        return " ".join(c[k:k + 4] for k in range(0, 16, 4))
    if style == "dash":
        return "-".join(c[k:k + 4] for k in range(0, 16, 4))
    return c


def bsn_valid(b):
    d = re.sub(r"\D", "", b)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def gen_bsn(valid=True):
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r == 10:
            continue
        good = "".join(map(str, d)) + str(r)
        if valid:
            return good
        bad = good[:-1] + str((r + rng.randint(1, 8)) % 10)
        if not bsn_valid(bad):
            return bad


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_aws_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 20_000_000)
    payload = b64url(json.dumps({"sub": "scanner-%02d" % rng.randint(1, 40), "role": "dc-nieuwegein",
                                 "iat": iat, "exp": iat + 86400 * 30}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def gen_pem():
    raw = bytes(rng.getrandbits(8) for _ in range(288))
    body = base64.b64encode(raw).decode()
    lines = [body[k:k + 64] for k in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    words = ["Bloesem", "Kamille", "Lavendel", "Rozen", "Klei", "Zeewier", "Haver", "Calendula"]
    return rng.choice(words) + rnd(string.digits, 3) + rng.choice("!#$%&*?") + rnd(string.ascii_letters, 3)


GEN = {
    "GHP": lambda: gen_github("ghp_"),
    "GHS": lambda: gen_github("ghs_"),
    "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret,
    "STRIPE": lambda: "sk_live_" + rnd(ALNUM, 24),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rnd(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rnd(ALNUM + "_-", 28) + "T3BlbkFJ" + rnd(ALNUM + "_-", 28),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rnd(ALNUM + "_-", 93) + "AA",
    "GOOGLE": lambda: "AIza" + rnd(ALNUM + "_-", 35),
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PW": gen_password,
    "PWURL": lambda: rng.choice(["bk", "ord", "klei"]) + rnd(ALNUM, 14) + rng.choice("-_.") + rnd(ALNUM, 4),
}

# --------------------------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------------------------
ZW = "\u200b"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440", "s": "\u0455",
       "i": "\u0456", "y": "\u0443", "x": "\u0445"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


# --------------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------------
# corporate
C_X = ("x", "@bloesemkist")
C_ZORG = ("x", "@bloesemkist_zorg")
C_IG = ("instagram", "@bloesemkist")
C_KK = ("instagram", "@kistenklei")
C_TT = ("tiktok", "@bloesemkist")
C_FB = ("facebook", "BloesemkistNL")
C_LI = ("linkedin", "bloesemkist-bv")
# employees
E_NOOR = ("x", "@noor_bk")
E_DAAN = ("x", "@daanvermeulen")
E_MIKE = ("x", "@mikekoster_dev")
E_LOTTE = ("instagram", "@lotte.formuleert")
E_SVEN = ("linkedin", "sven-de-graaf-bloesemkist")
E_YARA = ("linkedin", "yara-haddou")
E_FEMKE = ("tiktok", "@femke.inpakt")
E_ILSE = ("bluesky", "@ilse-bk.bsky.social")
E_JESSE = ("threads", "@jesse.bk")
E_ROEL = ("mastodon", "@rvl@mastodon.nl")


def pub(platform, handle):
    return (platform, handle)


# category short codes
CAT = {
    "C": "reputation.complaint", "A": "reputation.abuse", "R": "reputation.crisis",
    "P": "leak.pii", "K": "leak.secret", "F": "leak.confidential", "N": "leak.financial",
    "S": "leak.security", "$": "leak.pricing",
}

# --------------------------------------------------------------------------------------------
# the posts: (lang, account, kind, categories, text, options)
# placeholders «NAME» are filled with generated values; options: ts, prices, price_error,
# codename_ok (a codename word used harmlessly), brand
# --------------------------------------------------------------------------------------------
POSTS = [
    # ---------------- complaints ----------------
    ("nl", pub("x", "@sanne_glowt"), "reply", "C",
     "@bloesemkist al 3 weken geen box ontvangen en wel 2x afgeschreven?? Mail ik jullie, krijg ik een "
     "automatisch antwoord terug. Dit is de derde keer dit jaar 😤", {}),
    ("en", pub("reddit", "u/quietlyfizzing"), "post", "C",
     "PSA for anyone thinking about Bloesemkist: cancelling is a nightmare. No cancel button in the app, "
     "you have to email, and they kept billing me for two more months after I got a 'confirmation'. "
     "Still waiting on that refund.", {}),
    ("nl", pub("instagram", "@mamavanmax_"), "comment", "C",
     "Hele havermelkbalsem was leeggelopen in de doos, alles plakte aan elkaar. Foto gestuurd naar de "
     "klantenservice, 9 dagen later nog niks gehoord. Jammer hoor @bloesemkist", {}),
    ("en", pub("x", "@katiebrewsco"), "post", "C",
     "third month in a row my Bloesemkist box has a lip balm in it. I have 4 unopened ones now. what "
     "happened to 'curated for your skin type' lol. feels like ur just clearing warehouse stock", {}),
    ("nl", pub("facebook", "ingrid.mulder.77"), "post", "C",
     "Besteld op 2 november als cadeau, Cadeaubox Bloei zou 'binnen 2 werkdagen' komen. Het is nu 14 "
     "november. Verjaardag gemist. In de chat krijg ik steeds een andere medewerker die opnieuw begint "
     "met vragen. Nooit meer Bloesemkist.", {"ts": "2026-11-14T19:42:10Z"}),
    ("en", pub("tiktok", "@glowgetter_92"), "comment", "C",
     "the vit c serum in my box was literally brown and smelled off 🤢 expiry date says 03/2026 and it's "
     "september. how do you send EXPIRED skincare in a subscription you charge 35 a month for @bloesemkist",
     {"ts": "2026-09-08T16:05:33Z"}),
    ("nl", pub("x", "@joriscoolen"), "post", "C",
     "Kortingscode uit de nieuwsbrief werkt niet bij afrekenen, 'ongeldige code'. Klantenservice zegt "
     "'probeer het later nog eens'. Ja dag. #bloesemkist", {}),
    ("nl", pub("reddit", "u/plantmoeder"), "post", "C",
     "Ervaring met Bloesemkist? Ik heb mn seizoensbox opgezegd omdat de inhoud echt niet meer in "
     "verhouding staat tot de prijs. Vorige box: 3 sachets, een mini zeepje en een flyer. Voor 89 euro. "
     "Voelt als afzetterij eerlijk gezegd", {"prices": [("BK-BOX-S", 89.00)]}),
    ("en", pub("instagram", "@heyitsmarlou"), "comment", "C",
     "your 'plastic free' box came wrapped in bubble wrap and two plastic bags 🙃 kinda defeats the "
     "point @bloesemkist?", {}),
    ("nl", pub("threads", "@d.kuipers"), "post", "C",
     "Mijn pakket van Bloesemkist ligt al 6 dagen 'bij het sorteercentrum'. Zij zeggen: neem contact op "
     "met de vervoerder. Vervoerder zegt: neem contact op met de webshop. Top service 👏👏", {}),
    ("en", pub("x", "@tomasz_pl_nl"), "post", "C",
     "Changed my address in the Bloesemkist app a week ago, box still went to my old flat. Support says "
     "they 'can't reroute'. So I paid €34.95 for a Monthly Box my ex now has. Great.",
     {"prices": [("BK-BOX-M", 34.95)]}),
    ("nl", pub("bluesky", "@evi-leest.bsky.social"), "post", "C",
     "al twee weken probeer ik in te loggen bij bloesemkist, steeds 'er ging iets mis'. wil alleen mn abo "
     "pauzeren. telefonisch onbereikbaar, wachtrij van 45 min. serieus frustrerend", {}),
    # complaint + abuse
    ("nl", pub("x", "@woestewillem"), "reply", "CA",
     "@bloesemkist_zorg stelletje klootzakken, DRIE keer opgezegd en jullie blijven gewoon afschrijven. "
     "Geef m'n geld terug", {}),
    ("en", pub("x", "@rachel_not_rach"), "reply", "CA",
     "@bloesemkist your support team are fucking useless idiots. 5 emails, 0 answers, box missing for a "
     "month. absolute clowns", {}),
    # complaint + pii (customer's own IBAN)
    ("nl", pub("x", "@bramvdh"), "reply", "CP",
     "@bloesemkist_zorg jullie zouden binnen 5 werkdagen terugstorten, het is nu 3 weken later. Nog een "
     "keer dan: «IBAN_OK_SP» t.n.v. B. van der Heijden. Graag vandaag nog.", {}),
    # first-hand safety incidents: crisis + complaint
    ("nl", pub("instagram", "@linda.rozemarijn"), "post", "RC",
     "Na 2 dagen de Vitamine C Serum uit mijn Bloesemkist box: hele wangen rood, gezwollen en branderig. "
     "Huisarts zegt allergische reactie, moet nu hydrocortison smeren. Staat nergens een waarschuwing op. "
     "Ben echt boos en geschrokken 😢", {}),
    ("en", pub("reddit", "u/sunburnt_and_mad"), "post", "RC",
     "Used the Kist & Klei Mineral Sunscreen on my 6yo at the beach, reapplied every 2 hours like it says. "
     "She got blistering burns on her shoulders, we ended up at the huisartsenpost. Bloesemkist support "
     "offered me a 10% discount code. Ten percent.", {}),
    ("nl", pub("facebook", "petra.brouwer.nl"), "post", "RC",
     "Pot koffiescrub stond in de douche en is gewoon gebarsten toen ik hem opendraaide, glasscherf in "
     "mijn hand. 3 hechtingen. Waarom zit een scrub voor onder de douche in een glazen pot?? Bloesemkist "
     "reageer alsjeblieft eens", {}),
    ("en", pub("x", "@j_okafor"), "post", "RC",
     "my eye has been swollen shut for two days after using the Chamomile Eye Cream from my Bloesemkist "
     "box. doctor thinks it's an infection, possibly from the product. has anyone else had this?? "
     "honestly scared", {}),
    ("nl", pub("tiktok", "@nikki.nails.nl"), "post", "RC",
     "ik heb 1 week de tea tree bar van kist & klei gebruikt en mijn hoofdhuid is letterlijk open gaan "
     "liggen, overal korstjes. dermatoloog zegt contactallergie. dankjewel bloesemkist 🙃 nooit meer", {}),
    # ---------------- crisis (third party, boycott, lawsuit, recall, breach claims) ----------------
    ("nl", pub("x", "@waakhond_nl"), "post", "R",
     "Terugroepactie: Bloesemkist haalt partij Kist & Klei Aloë After-Sun (lot 2607B) uit de handel "
     "vanwege bacteriële besmetting. Gebruik het product niet en lever het in bij de klantenservice. "
     "#terugroepactie", {}),
    ("en", pub("x", "@beautybiznews"), "post", "R",
     "Report: a Rotterdam mum says her teenage daughter needed hospital treatment after a severe allergic "
     "reaction to a product from a Bloesemkist subscription box. The company has not yet commented.", {}),
    ("nl", pub("instagram", "@groenegloed"), "post", "R",
     "BOYCOT BLOESEMKIST 🚫 Hun 'biologische' rozenbottelolie blijkt gewoon palmolie-derivaten te "
     "bevatten en dat certificaat staat in geen enkel register. Greenwashing pur sang. Zeg je abo op en "
     "deel dit. #boycotbloesemkist", {}),
    ("en", pub("reddit", "u/legaleagle_nl"), "post", "R",
     "Apparently a group of ex-subscribers is starting a class action against Bloesemkist over the silent "
     "auto-renew of the annual plan, and the Consumentenbond is backing it. Anyone know how to join?", {}),
    ("nl", pub("x", "@mareike_k"), "reply", "R",
     "Sinds ik me bij Bloesemkist heb aangemeld krijg ik phishing-sms'jes met mijn volledige naam én mijn "
     "bestelnummer erin. Die gegevens komen ergens vandaan. Hebben jullie een datalek @bloesemkist?? "
     "Wees eerlijk.", {}),
    ("en", pub("tiktok", "@dermdiaries"), "post", "R",
     "ok so a former Bloesemkist lab tech just posted that they were told to relabel expired stock with "
     "new dates?? if that's true it's a massive scandal. stitch this if you've seen the doc", {}),
    ("nl", pub("facebook", "UtrechtZuidNieuws"), "post", "R",
     "Bij het distributiecentrum van Bloesemkist in Nieuwegein raakten vanmiddag twee medewerkers gewond "
     "toen een stelling met pallets omviel. Eén van hen is met de ambulance afgevoerd.",
     {"ts": "2026-05-12T15:31:00Z"}),
    ("en", pub("x", "@skintox_watch"), "post", "R",
     "Independent lab test: Bloesemkist's Lavender Night Cream contains 4x the permitted level of a "
     "preservative restricted in the EU for leave-on products. Full results in thread 🧵 This should be "
     "a recall.", {}),
    ("nl", pub("threads", "@hanneke.leest"), "post", "R",
     "Heel mijn tijdlijn staat vol met 'zeg je Bloesemkist op' na die racistische reclamevideo. En "
     "terecht, wie heeft dat in godsnaam goedgekeurd? #boycot", {}),
    # ---------------- abuse ----------------
    ("nl", pub("x", "@frankiezuur"), "post", "A",
     "bloesemkist is echt een kankerbedrijf en jullie medewerkers zijn allemaal debielen", {}),
    ("en", pub("x", "@darkmoon_ryo"), "post", "A",
     "whoever runs the bloesemkist insta is a braindead bitch lmao", {}),
    ("nl", pub("tiktok", "@xx_meesterdief"), "comment", "A",
     "die chick met die hoofddoek in jullie filmpje moet terug naar haar eigen land, niemand wil haar zien "
     "🤮 @bloesemkist", {}),
    ("nl", pub("x", "@kevin_020"), "post", "A",
     "k4nk3rb3drijf m3t j3 n3pp3 'b10' z00tj3s. st1kk3n m3t z'n all3n @bloesemkist", {}),
    ("en", pub("x", "@anon88412"), "reply", "A",
     "@bloesemkist " + cyr("scam company") + " run by " + cyr("fucking idiots"), {}),
    ("en", pub("instagram", "@h8ter_j"), "comment", "A",
     "@lotte.formuleert you're a fraud, your 'chemistry degree' came out of a cereal box and your ugly "
     "face is proof the Bloesemkist stuff doesn't work 🤡", {}),
    ("nl", E_DAAN, "post", "A",
     "Weer zo'n zeikwijf aan de lijn gehad die 'haar box' wilde terugsturen nadat ze hem half leeg had "
     "gesmeerd. Wat een achterlijke mongool zeg", {}),
    ("en", pub("reddit", "u/throwaway_rage55"), "comment", "A",
     "Bloesemkist and every smug cunt who works there can go straight to hell", {}),
    ("nl", pub("instagram", "@roxy.vd"), "comment", "A",
     "@jesse.bk wat ben jij een lelijke kale sukkel, niemand wil jouw kop in een Bloesemkist reclame zien. "
     "Rot op", {}),
    ("en", pub("x", "@grumpyhal"), "reply", "A",
     "hey @bloesemkist_zorg, eat shit. that's it, that's the tweet", {}),
    # ---------------- confidential ----------------
    ("nl", E_NOOR, "post", "F",
     "Eindelijk mag ik het een béétje zeggen: Zonnedauw gaat écht gebeuren 🌱 de eerste testdozen voor "
     "Duitsland zijn vandaag de deur uit. Meer kan ik nog niet vertellen!", {}),
    ("en", E_LOTTE, "post", "F",
     "lab day ✨ finalising the texture of the Nachtbloei Serum, the one I've been teasing for months. "
     "launch isn't until next year so shhh 🤫", {"ts": "2026-10-14T13:20:00Z"}),
    ("nl", E_JESSE, "post", "F",
     "Moodboard voor de Nachtbloei campagne hangt eindelijk aan de muur 😍 (sorry, mag eigenlijk nog "
     "niks laten zien)", {"ts": "2026-12-02T10:11:45Z"}),
    ("en", E_MIKE, "post", "F",
     "anyone else's Jira just die? https://jira.bloesemkist.nl/browse/HZW-412 won't load for me and the "
     "Hazelworm cutover is tomorrow 😬", {}),
    ("nl", E_YARA, "post", "F",
     "Trots op ons team dat de afgelopen maanden keihard aan Operatie Kamille heeft gewerkt. Niet "
     "makkelijk, wel nodig. Binnenkort meer.", {}),
    ("en", E_DAAN, "post", "F",
     "warehouse is gonna look so different after " + fullwidth("Hazelworm") + " goes live lol, new "
     "scanners everywhere", {}),
    ("nl", E_FEMKE, "post", "F",
     "POV: je pakt de allereerste proefdozen in van een box die nog niemand mag zien 🤐 met een "
     "BK-INTERN sticker op elke doos haha", {}),
    ("en", E_SVEN, "post", "F",
     "Sharing a few slides from our strategy offsite (bloesemkist internal only, so please don't forward "
     "😉): three priorities for 2027: own-brand share to 60%, a retail pilot with a drugstore chain, and "
     "Zonnedauw.", {}),
    ("nl", pub("x", "@insider_beauty_nl"), "post", "F",
     "Hoor van iemand bij Bloesemkist dat ze in januari een 'Nachtbloei' serum lanceren, zou een "
     "retinol-alternatief zijn. Wie weet meer?", {"ts": "2026-11-20T21:03:12Z"}),
    ("nl", E_ILSE, "post", "F",
     "Haha collega's zijn helemaal gek van Zonne" + ZW + "dauw, de hele kantine hangt vol Duitse vlaggetjes 🇩🇪",
     {}),
    ("en", E_JESSE, "post", "F",
     "dropping the draft lookbook for the team, wrong channel oops: "
     "https://intra.bloesemkist.local/marketing/lookbook-ss27-DRAFT.pdf", {}),
    ("nl", C_KK, "post", "F",
     "Sneak peek 👀 Iets nieuws voor je avondritueel… Nachtbloei komt eraan! 🌙",
     {"ts": "2026-12-15T18:00:00Z"}),
    ("en", E_MIKE, "post", "F",
     "finally merged the new checkout flow 🎉 https://git.bloesemkist.dev/web/checkout/-/merge_requests/88 "
     "reviews welcome", {}),
    ("nl", pub("facebook", "jaap.uitzend"), "post", "F",
     "Het 'Operatie Kamille'-document lag gewoon open op de printer bij Bloesemkist toen ik daar "
     "uitzendwerk deed. Niet zo handig, mensen.", {}),
    # confidential + financial
    ("nl", E_NOOR, "post", "FN",
     "Net de jaarcijfers 2026 voorbij zien komen in de teamsmeeting: omzet €41,8 mln, 22% groei en voor "
     "het eerst winst 🥳 mag pas in maart naar buiten dus dit heb je niet van mij",
     {"ts": "2027-01-28T12:40:00Z"}),
    ("en", E_DAAN, "post", "FN",
     "Operatie Kamille is basically code for closing the Nieuwegein packing line. ~35 of us out by "
     "April. found out from a leaked slide, not from management.", {}),
    # ---------------- financial ----------------
    ("nl", E_YARA, "post", "N",
     "Zware week. Morgen moeten we 18 collega's van de klantenservice vertellen dat hun functie vervalt. "
     "Wordt pas volgende maand officieel aangekondigd.", {}),
    ("en", E_JESSE, "post", "N",
     "not supposed to say but we're getting acquired 👀 big French beauty group, term sheet signed last "
     "week. my options might actually be worth something lol", {}),
    ("nl", E_MIKE, "post", "N",
     "Q3 was echt dramatisch, churn van 14% per maand volgens het dashboard. Komt pas in november in het "
     "kwartaalbericht dus ssst 🙈", {}),
    ("en", E_SVEN, "post", "N",
     "Reflecting on a tough quarter: we'll land around €8.9M revenue for Q3, roughly 12% below plan, and "
     "we're revising the full-year forecast down before the board meets. Transparency matters, more soon.",
     {}),
    ("nl", E_FEMKE, "post", "N",
     "story time: magazijn nieuwegein gaat in juni dicht, alles gaat naar een fulfilmentbedrijf in venlo. "
     "we mogen t nog niet zeggen maar iedereen weet t al 🫠", {"ts": "2026-02-17T20:14:00Z"}),
    ("en", pub("x", "@vc_gossip_eu"), "post", "N",
     "Hearing Bloesemkist is quietly raising a €15M Series B led by a Scandinavian fund, closing before "
     "Christmas. Not announced yet.", {}),
    ("nl", pub("reddit", "u/beleggerbart"), "comment", "N",
     "Zwager werkt bij Bloesemkist, zegt dat de overname door Maison Orvé rond is voor zo'n €120 mln. "
     "Aankondiging pas na de jaarwisseling.", {}),
    ("en", E_ILSE, "post", "N",
     "can't believe they're cutting the whole Belgian customer care team, 11 people, and we can't tell "
     "them until after the works council meeting 💔", {}),
    ("nl", E_LOTTE, "post", "N",
     "budgetmeeting vandaag: R&D krijgt volgend jaar 40% minder want we halen de omzetprognose voor 2026 "
     "bij lange na niet (zo'n 6 mln onder plan) 😩", {}),
    ("en", pub("facebook", "mark.dejong.finance"), "post", "N",
     "My neighbour, who's in finance at Bloesemkist, told me at a BBQ they'll miss the annual target by a "
     "mile and the CFO is being pushed out. Wouldn't put money in their crowdfunding round if I were you.",
     {}),
    # ---------------- security ----------------
    ("en", E_ROEL, "post", "SF",
     "3am and grafana.bk-ops.net is all red. someone's been hammering the login endpoint with credential "
     "stuffing since midnight, ~40k attempts, a few hundred accounts got in. no status page update yet, "
     "still scoping. coffee.", {}),
    ("nl", pub("x", "@digitaaldetective"), "post", "SR",
     "Bron binnen Bloesemkist bevestigt: ze zijn vorige week gehackt en klantgegevens (namen, adressen, "
     "bestelhistorie) zijn buitgemaakt. Ze hebben het nog niet gemeld bij de AP. #datalek", {}),
    ("nl", E_MIKE, "post", "S",
     "lol net ontdekt dat je via /api/orders?user= gewoon andermans bestellingen kan opvragen als je het "
     "id ophoogt. fix staat pas voor volgende sprint gepland 🙃", {}),
    ("en", E_ILSE, "post", "S",
     "apparently the ransomware hit the warehouse PCs too, that's why nobody's box has shipped since "
     "Monday. we've been told to call it a 'carrier delay' 🙄", {}),
    ("nl", E_JESSE, "post", "S",
     "Drie collega's hebben op die nep-'salarisstrook'-mail geklikt en hun inlog ingevuld. IT is nu alle "
     "accounts aan het resetten, heel marketing ligt plat. Niet verder vertellen", {}),
    ("en", E_DAAN, "post", "S",
     "the storage bucket with all the customer skin-quiz selfies was public for like 6 weeks. found out "
     "today. pretty sure legal is going to sit on it", {}),
    ("nl", E_ROEL, "post", "S",
     "Betaalpagina van de webshop draait sinds 14:00 op een noodserver omdat de primaire database corrupt "
     "is. Naar buiten heet het 'gepland onderhoud'. Bestellingen van vanochtend zijn mogelijk weg.", {}),
    ("en", E_MIKE, "post", "S",
     "fun fact: the discount code field on our checkout is injectable (SQLi). reported it in march. still "
     "open. just saying.", {}),
    ("nl", E_FEMKE, "post", "S",
     "magazijn ligt al 2 dagen stil, het hele WMS is gehackt ofzo en we mogen niks zeggen tegen klanten 🤫 "
     "dus als je box laat is, nu weet je waarom", {}),
    ("en", pub("facebook", "sam.pentest.consult"), "post", "S",
     "Did a pentest for a Dutch beauty subscription (Bloesemkist) last month. Their admin panel still "
     "accepts the vendor's default credentials and nothing has been patched. Not posting the URL, but "
     "come on.", {}),
    ("nl", E_NOOR, "post", "S",
     "Collega's, niet schrikken: iemand heeft vannacht ingelogd op ons Instagram-account en zat in de DM's "
     "van klanten. Nog niet publiek, we zijn ermee bezig.", {}),
    ("en", E_LOTTE, "post", "S",
     "our formulation database got encrypted overnight, IT thinks it's ransomware and the last clean "
     "backup is from August 😭 pray for us", {}),
    ("nl", pub("x", "@ex_bk_dev"), "post", "S",
     "Werkte tot vorige maand bij Bloesemkist. Wist je dat klantwachtwoorden daar nog als ongesalte MD5 "
     "worden opgeslagen? Al 2 jaar gemeld. Niks mee gedaan.", {}),
    # ---------------- secrets ----------------
    ("en", E_MIKE, "post", "KF",
     "why does this keep timing out 😤 DATABASE_URL=postgres://bk_orders:«PWURL»@db01.intra.bloesemkist.local:5432/orders",
     {}),
    ("nl", E_ROEL, "post", "K",
     "Wie kan even meekijken? Deploy faalt steeds. export GITHUB_TOKEN=«GHP» en dan gewoon ./deploy.sh", {}),
    ("en", E_JESSE, "post", "K",
     "trying to get the newsletter bot working, docs said paste this: OPENAI_API_KEY=«OPENAI» and it still "
     "says 401?? help", {}),
    ("nl", E_ILSE, "post", "K",
     "Voor de nieuwe collega's van het weekendteam: inloggen op het klantportaal met gebruiker weekend-cs, "
     "wachtwoord: «PW» (niet delen 😉)", {}),
    ("en", E_DAAN, "post", "K",
     "label printer integration finally works 🎉 config for anyone at the DC: aws_access_key_id = «AWS_ID» "
     "aws_secret_access_key = «AWS_SECRET»", {}),
    ("nl", E_FEMKE, "post", "K",
     "de scanner app logt steeds uit, IT zei ik moest deze token plakken: «JWT» ... wie snapt dit 😭", {}),
    ("en", E_MIKE, "post", "K",
     "stripe webhook debugging at 1am. live key for whoever on the team needs it, I'm going to bed: «STRIPE»",
     {}),
    ("nl", E_ROEL, "post", "K",
     "Slackbot voor de magazijnalerts staat live. Token staat in de README maar voor het gemak: «SLACK»", {}),
    ("en", pub("forum", "devhelp_anna"), "post", "K",
     "Freelancing for Bloesemkist atm, anyone know why this Anthropic key keeps getting rate limited? "
     "ANTHROPIC_API_KEY=«ANTHROPIC» calls start failing after ~10 requests", {}),
    ("en", E_MIKE, "post", "K",
     "oops wrong window 🙈\n«PEM»", {}),
    ("nl", E_DAAN, "post", "K",
     "Voor de nachtploeg: printer-pc DC Nieuwegein, w.a.c.h.t.w.o.o.r.d = «PW»", {}),
    ("en", pub("reddit", "u/scraper_dude"), "post", "K",
     "Found this in a sourcemap on shop.bloesemkist.nl lol, someone left their deploy token in: «GHS» "
     "(also a maps key «GOOGLE» but whatever)", {}),
    # ---------------- personal data ----------------
    ("nl", C_ZORG, "reply", "P",
     "@evavdberg Hoi Eva! We hebben je box opnieuw verstuurd naar Eva van den Berg, Kromme Nieuwegracht 41, "
     "3512 HE Utrecht. Klopt dat adres nog? 🌸", {}),
    ("en", C_FB, "comment", "P",
     "Hi Tom, we've checked with the card issuer: the charge on card «CARD_OK_SPACE» was a duplicate and "
     "has been reversed. So sorry for the hassle!", {}),
    ("nl", E_YARA, "post", "P",
     "Welkom Samira El Idrissi in ons team! Voor de salarisadministratie nog even: BSN «BSN_OK», "
     "geboortedatum 14-07-1996. Stuur maar door naar payroll 🙂", {}),
    ("en", E_NOOR, "post", "P",
     "happy birthday to our lovely Marieke Jansen, born 3 March 1989 and still the fastest packer in the "
     "building 🎂", {}),
    ("nl", E_ILSE, "post", "P",
     "Mevrouw belde net voor de 5e keer, als iemand haar wil terugbellen: Gerda Hoekstra, 06-41 82 73 95. "
     "ik ben er klaar mee", {}),
    ("en", E_FEMKE, "post", "P",
     "packing slip of the day 😂 'to: Dennis Smit, Hoofdstraat 112b, 7311 KG Apeldoorn' with a note "
     "asking for extra samples for his mum 🥹", {}),
    ("nl", pub("x", "@lisa_beautyjunk"), "reply", "P",
     "@bloesemkist_zorg mail me maar even terug op lisa.verhoeven92@gmail.com of bel 06 2738 4410, ik wil "
     "mijn abo overzetten naar mijn zus", {}),
    ("en", pub("instagram", "@mo.reviews"), "comment", "P",
     "@bloesemkist for the giveaway prize transfer, my IBAN is «IBAN_OK» (Mohammed Aziz) 🙏", {}),
    ("nl", C_FB, "post", "P",
     "De winnaar van onze decembergiveaway is Jolanda Peeters uit Zwolle! 🎁 Jolanda, je prijs gaat naar "
     "Thorbeckegracht 8, 8011 VM Zwolle. Gefeliciteerd!", {}),
    ("en", E_DAAN, "post", "P",
     "whoever keeps ordering with card «CARD_OK_PLAIN» and then charging back every box, we see you 👀", {}),
    ("nl", pub("reddit", "u/bezorgdemoeder"), "post", "P",
     "Mijn dochter (Sophie de Boer, geb. 22-09-2009) heeft zonder toestemming een jaarabonnement bij "
     "Bloesemkist afgesloten. Hoe zeg ik dat op namens haar?", {}),
    ("en", C_ZORG, "reply", "P",
     "@mark_b_photo Hi Mark, we found your account under mark.bakker1984@hotmail.com and 06-19283746, the "
     "refund is on its way!", {}),
    ("nl", E_JESSE, "post", "P",
     "influencerlijst voor de lancering staat klaar, oeps verkeerde app: Bibi (bibi.glowt@gmail.com, "
     "06-55123987), Kim (kimskin.nl@outlook.com, +31 6 4410 2291)", {}),
    ("en", E_YARA, "post", "P",
     "Reference check for our former colleague Pieter Vos: BSN «BSN_OK_DOT» for the UWV form, can someone "
     "from payroll confirm his end date?", {}),
    # ---------------- pricing ----------------
    ("nl", pub("x", "@dealjager_nl"), "post", "$",
     "PRIJSFOUT? Bloesemkist Jaarabonnement staat nu voor €34,90 in de shop ipv €349 😱 snel zijn!",
     {"prices": [("BK-BOX-J", 34.90)]}),
    ("en", E_NOOR, "post", "$",
     "friends & fam only 🤫 Season Box for €19 this weekend with my link, don't share",
     {"prices": [("BK-BOX-S", 19.00)]}),
    ("nl", C_IG, "post", "$",
     "🌸 Alleen vandaag: de Vitamine C Serum voor maar €3,90! Op = op ✨",
     {"prices": [("KK-VITC", 3.90)]}),
    ("en", pub("reddit", "u/frugalfleur"), "post", "$",
     "Is this a glitch? Rosehip Face Oil showing as €2.99 in the Bloesemkist app, normally €29.95. Ordered "
     "three just in case lol", {"prices": [("KK-ROZ", 2.99)]}),
    ("nl", E_FEMKE, "post", "$",
     "collega's krijgen de cadeaubox bloei straks voor 12 euro 😳 normaal 59. mag niet verder vertellen maar ja",
     {"prices": [("BK-GIFT-BLOEI", 12.00)]}),
    ("en", pub("x", "@bargainbetty"), "post", "$",
     "bloesemkist has a pricing error on the Shea Body Butter, cart says €0.95 😂 grab it before they fix it",
     {"prices": [("KK-SHEA", 0.95)]}),
    ("nl", C_FB, "post", "$",
     "Black Friday deal 🖤 Kist & Klei Argan Haarserum nu €2,10 (van €21,00)",
     {"prices": [("KK-ARG", 2.10)], "ts": "2026-11-27T07:00:00Z"}),
    ("en", E_JESSE, "post", "$",
     "ugh, the price error on the Mini Box was live for 20 min before we caught it. people got it for "
     "€1.99 lmao", {"prices": [("BK-BOX-MINI", 1.99)]}),
    ("nl", pub("x", "@kortingskoning"), "post", "$",
     "Calendula Dagcrème bij Bloesemkist voor €8,50 (!!) in de app, geen idee of het een fout is maar ik "
     "heb er 4 besteld", {"prices": [("KK-CAL", 8.50)]}),
    ("nl", pub("bluesky", "@spaarvarken.bsky.social"), "post", "$",
     "zie ik dat goed? maandbox voor € 4,95 bij bloesemkist?? prijsfoutje denk ik 😅",
     {"prices": [("BK-BOX-M", 4.95)]}),
    ("en", C_TT, "post", "$",
     "flash sale ⚡ Lavender Night Cream now €7.50, only for the next hour!",
     {"prices": [("KK-LAV", 7.50)]}),
    ("nl", E_MIKE, "post", "$",
     "oké wie heeft in het CMS de prijs van de Koffie Bodyscrub op 0 gezet 😂 prijsfout staat al een uur live",
     {"price_error": "KK-KOF"}),

    # ================= benign (hard negatives mostly) =================
    ("nl", pub("instagram", "@sanne_glowt"), "post", "",
     "Mijn Bloesemkist box van deze maand is echt 🔥 die Rozenbottel Gezichtsolie ruikt zo goed, huid "
     "voelt super zacht", {}),
    ("en", pub("x", "@skincare_sam"), "post", "",
     "the bloesemkist oat cleansing balm slaps. melts off sunscreen in like 20 seconds. sick product honestly",
     {}),
    ("nl", C_TT, "post", "",
     "Unboxing de Seizoensbox winter ❄️ met Shea Bodybutter, Hibiscus Lippenbalsem en een verrassing. Nu "
     "te bestellen voor €89 via bloesemkist.nl", {"prices": [("BK-BOX-S", 89.00)]}),
    ("nl", C_FB, "post", "",
     "Deze week 20% korting op alle Kist & Klei gezichtsverzorging! Vitamine C Serum nu €31,20 i.p.v. €39,00.",
     {"prices": [("KK-VITC", 31.20)]}),
    ("en", pub("x", "@bargainbetty"), "post", "",
     "decent deal: Bloesemkist Annual Box down to €279 for Black Friday (normally €349). not a glitch, "
     "it's on their homepage", {"prices": [("BK-BOX-J", 279.00)], "ts": "2026-11-27T09:12:00Z"}),
    ("nl", pub("x", "@kortingskoning"), "post", "",
     "Kortingscode BLOEI15 werkt nog! Cadeaubox Bloei voor €50,15 ipv €59 🎁",
     {"prices": [("BK-GIFT-BLOEI", 50.15)]}),
    ("en", C_KK, "post", "",
     "Mineral Sunscreen SPF30, €19.50, reef-safe and gentle on sensitive skin ☀️",
     {"prices": [("KK-SPF30", 19.50)]}),
    ("nl", pub("reddit", "u/twijfelkont"), "post", "",
     "Is 34,95 per maand voor de Maandbox van Bloesemkist het waard? Twijfel tussen die en een andere box",
     {"prices": [("BK-BOX-M", 34.95)]}),
    ("en", pub("x", "@deals_daily_nl"), "post", "",
     "Bloesemkist spring sale: Coffee Body Scrub €11.40 (35% off). Not a price error, just a good sale 🙂",
     {"prices": [("KK-KOF", 11.40)]}),
    ("nl", C_ZORG, "post", "",
     "Vragen over je box? Mail naar klantenservice@bloesemkist.nl of bel 030 207 4410 (ma-vr 9-17u). We "
     "helpen je graag!", {}),
    ("en", C_LI, "post", "",
     "Press enquiries: pers@bloesemkist.nl / +31 30 207 4410. Job applications go to werkenbij@bloesemkist.nl.",
     {}),
    ("nl", C_FB, "post", "",
     "Betaal je liever per overschrijving? Maak het bedrag over naar «COMPANY_IBAN» t.n.v. Bloesemkist B.V. "
     "o.v.v. je ordernummer.", {}),
    ("nl", pub("x", "@testtester_nl"), "post", "",
     "Waarom accepteert de Bloesemkist checkout mijn IBAN «IBAN_BAD» niet?? Oh wacht, typfout 🙈 laat maar",
     {}),
    ("en", pub("reddit", "u/swapped_digits"), "comment", "",
     "Bloesemkist's form kept rejecting my card as 'invalid number', turns out I'd typed «CARD_BAD_SPACE». "
     "Two digits swapped. Fixed now, all good.", {}),
    ("nl", E_YARA, "post", "",
     "Tip voor sollicitanten bij Bloesemkist: vul in het testformulier nooit je echte BSN in, gebruik "
     "gewoon 123456789 zoals in de handleiding staat.", {}),
    ("en", pub("x", "@phishwatch_eu"), "post", "",
     "Got a fake 'Bloesemkist' sms asking me to 'verify' my BSN, their example was «BSN_BAD», not even a "
     "real one. Don't click those links people, the real Bloesemkist never asks for it.", {}),
    ("en", E_MIKE, "post", "",
     "PSA for the team: never commit keys. If you need one in the docs, use AKIAIOSFODNN7EXAMPLE like AWS "
     "does, not a real one.", {}),
    ("nl", E_ROEL, "post", "",
     "Onze secret scanner vond vandaag 0 echte tokens 🎉 alleen placeholders als "
     "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx in de testsuite.", {}),
    ("en", pub("forum", "api_nerd"), "post", "",
     "Bloesemkist's public partner API docs show the header as 'Authorization: Bearer <your-token-here>' "
     "with ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the GitHub example. Pretty standard stuff.", {}),
    ("nl", E_DAAN, "post", "",
     "Wachtwoord vergeten voor de Bloesemkist app? Via instellingen > account kun je het resetten, duurt "
     "1 minuut 👍", {}),
    ("en", E_JESSE, "post", "",
     "changed my password to a 20-character passphrase after today's security training. feeling very "
     "responsible 😎", {}),
    ("nl", E_ILSE, "post", "",
     "Nieuwe collega's: je tijdelijke wachtwoord krijg je van IT, nooit via de chat. Dus niet 'wachtwoord: "
     "********' in een groepsapp zetten 😉", {}),
    # embargo terms after their until
    ("nl", C_KK, "post", "",
     "Hij is er! 🌙 Nachtbloei Serum, ons nieuwe nachtserum met bakuchiol. Vanaf vandaag verkrijgbaar via "
     "kistenklei.nl", {"ts": "2027-01-19T10:00:00Z"}),
    ("en", E_LOTTE, "post", "",
     "so proud the Night Bloom Serum is finally out in the world. two years of formulation work ✨",
     {"ts": "2027-01-25T17:45:00Z"}),
    ("nl", C_LI, "post", "",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €41,8 mln en voor het eerst winstgevend. Lees het "
     "volledige verslag op bloesemkist.nl/investors", {"ts": "2027-03-04T09:00:00Z"}),
    ("en", pub("x", "@retailwatcher"), "post", "",
     "Bloesemkist FY2026 results look solid, first profitable year for a Dutch beauty box. Nice.",
     {"ts": "2027-03-05T08:20:00Z"}),
    # resolved complaints, sympathy, praise
    ("nl", pub("x", "@sanne_glowt"), "reply", "",
     "Update: @bloesemkist_zorg heeft het binnen een dag opgelost, nieuwe box is onderweg én ik kreeg m'n "
     "geld terug voor de dubbele afschrijving. Top!", {}),
    ("en", pub("instagram", "@fleur.and.foam"), "post", "",
     "had an issue with a leaky bottle last month but Bloesemkist replaced it no questions asked. that's "
     "how you keep customers 💕", {}),
    ("nl", pub("x", "@marjoleintje"), "post", "",
     "Sterkte aan de medewerkers van Bloesemkist in Nieuwegein na het ongeluk vorige week, hoop dat "
     "iedereen snel herstelt 💛", {"ts": "2026-05-19T08:30:00Z"}),
    ("en", pub("x", "@kindnessclub"), "post", "",
     "whoever handles Bloesemkist's socials deserves a raise, the way you answered those trolls today was "
     "so kind", {}),
    # news about other companies
    ("nl", pub("x", "@techbeurs"), "post", "",
     "Datalek bij een grote Duitse drogisterijketen: 2 miljoen klantgegevens op straat. Fijn dat "
     "Bloesemkist laatst zo duidelijk uitlegde hoe ze met mijn gegevens omgaan.", {}),
    ("en", pub("reddit", "u/subscriptionhopper"), "comment", "",
     "Another beauty subscription (not Bloesemkist) is being sued over auto-renewals in Germany. Glad my "
     "Bloesemkist plan has a clear cancel button.", {}),
    ("nl", pub("x", "@zonnigzuinig"), "post", "",
     "Terugroepactie van een Belgisch zonnebrandmerk vanwege te lage SPF. Check je strandtas! Mijn Kist & "
     "Klei Minerale Zonnebrand valt er niet onder, heb het nagevraagd.", {}),
    ("en", pub("x", "@fashion_ops"), "post", "",
     "the layoffs at that big Swedish fashion subscription are brutal. hope Bloesemkist stays the small "
     "cozy company it is", {}),
    # harmless use of strong words
    ("nl", pub("tiktok", "@maaike.skin"), "post", "",
     "dit zeewiermasker van bloesemkist is ZIEK goed, ik ga dood hoe zacht mijn huid is 😭😭", {}),
    ("en", pub("x", "@darkspotdiaries"), "post", "",
     "Bloesemkist's Vitamin C Serum is a killer, my dark spots are fading like crazy", {}),
    ("nl", pub("x", "@roos_en_ruben"), "post", "",
     "Haha mijn vriend dacht dat 'Zeewier Kleimasker' iets was om te eten. Zet hem maar op mijn "
     "verlanglijstje voor Sinterklaas 😂", {}),
    ("nl", pub("instagram", "@tuinvanties"), "post", "",
     "Leuk detail: bij de Kamille Oogcrème zat een kaartje met kamillezaadjes om te zaaien 🌼 zo lief "
     "Bloesemkist", {}),
    ("nl", pub("x", "@veenwandelaar"), "post", "",
     "Zonnedauw gespot in het Fochteloërveen vandaag 🌿 en thuis lag mijn Bloesemkist box te wachten, "
     "perfecte zondag", {"codename_ok": True}),
    ("nl", E_FEMKE, "post", "",
     "dag 100 in het magazijn 📦 nog steeds verliefd op de geur van de koffiescrub in de ochtend", {}),
    ("en", pub("reddit", "u/belgian_waffle"), "post", "",
     "Does anyone know if the Bloesemkist Mini Box ships to Belgium? The site says yes but I only see NL "
     "at checkout, probably me doing something wrong", {}),
    ("nl", pub("x", "@zwanger_en_zo"), "reply", "",
     "Zijn de producten van Kist & Klei ook geschikt tijdens de zwangerschap? Iemand ervaring? @bloesemkist",
     {}),
    ("en", C_ZORG, "reply", "",
     "@lena_skin Hi Lena! You can pause your subscription anytime under Account > Subscription. Need help? "
     "DM us 💌", {}),
    ("nl", pub("x", "@studentjoep"), "post", "",
     "Mijn Bloesemkist box is gehackt door mijn huisgenoot, de helft van de samples is weg 😤😂", {}),
    ("en", pub("x", "@porelessly"), "post", "",
     "my skin got 'breached' by the Bloesemkist clay mask and all my pores leaked their secrets 😂", {}),
    ("en", E_SVEN, "post", "",
     "Proud that Bloesemkist was named one of the fastest-growing scale-ups in Utrecht this year (as the "
     "regional press reported today). Onwards!", {}),
    ("nl", E_YARA, "post", "",
     "We zoeken een Teamleider Klantenservice! 32-40 uur, Utrecht. Solliciteren via "
     "werkenbij@bloesemkist.nl 💼", {}),
    ("en", E_LOTTE, "post", "",
     "people always ask what a cosmetic chemist does all day. today: 14 pH measurements and way too much "
     "oat milk 🥣", {}),
    ("nl", E_ROEL, "post", "",
     "Leuke talk gegeven op een security-meetup over hoe je secrets uit je git-history houdt. Slides staan "
     "op mijn blog, zonder echte voorbeelden natuurlijk 😉", {}),
    ("en", E_MIKE, "post", "",
     "shipping a small UI tweak to the checkout today. nothing dramatic, just nicer buttons 🙂", {}),
    ("nl", C_X, "post", "",
     "Update: de storing in onze app van vanochtend is opgelost. Sorry voor het ongemak en dank voor jullie "
     "geduld! 💐", {}),
    ("en", pub("x", "@glowjournal"), "post", "",
     "my confidential skincare secret? the Bloesemkist Rosehip Face Oil. don't tell anyone 🤫", {}),
    ("nl", C_X, "post", "",
     "Psst... vanaf maandag zit er een verrassingsproduct in de Maandbox 🤫 Meer verklappen we nog niet!",
     {}),
    ("en", pub("x", "@doublebox_dana"), "post", "",
     "I'm such an idiot, ordered the same Bloesemkist box twice 🤦‍♀️ (support sorted it in 5 minutes though)",
     {}),
    ("nl", pub("x", "@snelleschoenen"), "post", "",
     "Bestelling BK-2026-118 is al binnen! Gisteravond om 23:00 besteld, vanochtend op de mat 👏 "
     "#bloesemkist", {}),
    ("en", pub("x", "@lipbalmlover"), "post", "",
     "for anyone asking: Hibiscus Lip Balm is €6.95, Bamboo Deo €12.50. both worth it imo",
     {"prices": [("KK-LIP", 6.95), ("KK-DEO", 12.50)]}),
    ("nl", pub("x", "@venlovooruit"), "post", "",
     "Bloesemkist heeft vandaag officieel bekendgemaakt dat ze een nieuw distributiecentrum openen in Venlo. "
     "Goed nieuws voor de regio!", {"ts": "2026-12-09T11:00:00Z"}),
    ("en", pub("x", "@crisis_averted"), "post", "",
     "not me having a full-on crisis because my Bloesemkist box came a day early and I wasn't home 😂 "
     "neighbour had it, crisis averted", {}),
    ("nl", pub("facebook", "anita.groen.3"), "post", "",
     "Boycot? Welnee. Ik zeg mijn Bloesemkist abo echt nooit op, al 3 jaar fan 💚", {}),
    ("en", pub("x", "@safetyfirst_fi"), "post", "",
     "Bloesemkist support asked me to confirm only the last 4 digits of my card (**** **** **** 4821) over "
     "DM. That's the right way to do it 👍", {}),
    ("nl", pub("instagram", "@melle.makeup"), "comment", "",
     "Argan Haarserum van Kist & Klei voor €16,80 met de ledenkorting, dat is 20% eraf. Prima deal toch?",
     {"prices": [("KK-ARG", 16.80)]}),
]

# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        plat, handle = acc.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def least_severity(cats, role, has_checked_id):
    """CONTRACT section 4: the least severity a correct verdict has."""
    sev = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and has_checked_id:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        sev = max(sev, s)
    return SEV[sev]


PLACEHOLDER = re.compile(r"«([A-Z_]+)»")


def fill(text, record):
    def sub(m):
        name = m.group(1)
        if name == "COMPANY_IBAN":
            v = fmt_iban(PROFILE["public_identifiers"]["ibans"][0], True)
            record.append(("IBAN_PUBLIC", v))
            return v
        if name.startswith("IBAN_"):
            ok = name.startswith("IBAN_OK")
            v = fmt_iban(gen_iban(ok), name.endswith("_SP"))
            record.append(("IBAN_OK" if ok else "IBAN_BAD", v))
            return v
        if name.startswith("CARD_"):
            ok = name.startswith("CARD_OK")
            style = "space" if name.endswith("SPACE") else ("dash" if name.endswith("DASH") else "plain")
            v = fmt_card(gen_card(ok), style)
            record.append(("CARD_OK" if ok else "CARD_BAD", v))
            return v
        if name.startswith("BSN_"):
            ok = name.startswith("BSN_OK")
            b = gen_bsn(ok)
            v = b[:4] + "." + b[4:6] + "." + b[6:] if name.endswith("_DOT") else b
            record.append(("BSN_OK" if ok else "BSN_BAD", v))
            return v
        v = GEN[name]()
        record.append((name, v))
        return v
    return PLACEHOLDER.sub(sub, text)


def random_ts():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 28, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "instagram": "ig", "tiktok": "tt", "facebook": "fb", "linkedin": "li", "reddit": "rd",
             "bluesky": "bsky", "threads": "th", "mastodon": "mst", "forum": "fr"}

BRAND_FOR = lambda text: "Kist & Klei" if re.search(r"kist\s*(&|en)\s*klei", text, re.I) else "Bloesemkist"


def build():
    cases, meta = [], []
    used_ids = set()
    for n, (lang, (platform, handle), kind, short, text, opts) in enumerate(POSTS):
        record = []
        text = fill(text, record)
        cats = sorted({CAT[c] for c in short})
        role = role_of(platform, handle)
        checked = any(k in ("IBAN_OK", "CARD_OK", "BSN_OK") for k, _ in record)
        sev = least_severity(cats, role, checked and "leak.pii" in cats)
        while True:
            pid = "%s-%d" % (ID_PREFIX[platform], rng.randint(10**8, 10**10))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": opts.get("ts") or random_ts(),
            "brand": BRAND_FOR(text),
        }
        if rng.random() < 0.4:
            post["url"] = "https://%s.example/%s" % (platform, pid)
        cases.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        meta.append({"record": record, "opts": opts, "role": role, "lang": lang})
    return cases, meta


# --------------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

IBAN_RE = re.compile(r"(?<![0-9A-Za-z])NL\d{2}(?:\s?[A-Z]{4})(?:\s?\d){10}(?![0-9A-Za-z])")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![0-9A-Za-z])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AWS_RE = re.compile(r"AKIA[A-Z2-7]{16}")


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZERO_WIDTH).lower()


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(cases, meta, lines):
    errs = []
    prof = PROFILE
    public_ibans = {re.sub(r"\s", "", i) for i in prof["public_identifiers"]["ibans"]}
    products = {p["sku"]: p for p in prof["products"]}
    ratio = prof["pricing"]["alert_below_ratio"]
    assert ratio == 0.5 and all(p["currency"] == "EUR" for p in products.values())
    assert 15 <= len(products) <= 25
    assert len(prof["accounts"]["corporate"]) >= 6 and len(prof["accounts"]["employee"]) >= 8
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    assert all(iban_valid(i) for i in prof["public_identifiers"]["ibans"])
    assert all(e["until"].startswith("2027") for e in prof["embargo"])
    ids = set()
    for ln, (line, case, m) in enumerate(zip(lines, cases, meta), 1):
        where = "line %d" % ln

        def err(msg):
            errs.append("%s (%s): %s" % (where, case["post"]["id"], msg))

        # ---- CONTRACT section 6 shape
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err("top-level keys")
        p, e = obj["post"], obj["expect"]
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            err("id")
        if p["id"] in ids:
            err("duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err("platform")
        if p.get("kind", "post") not in KINDS:
            err("kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err("account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err("text")
        try:
            t = parse_ts(p["created_at"])
        except Exception:
            err("created_at")
            continue
        if t.year not in (2026, 2027):
            err("created_at year")
        if t.year == 2027 and t > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc):
            err("created_at too late")
        cats = e.get("categories")
        if not isinstance(cats, list) or not set(cats) <= ALL_CATS or cats != sorted(set(cats)):
            err("categories")
        if "reputation.spike" in cats:
            err("spike on a single post")
        if e.get("severity") not in SEV:
            err("severity value")
        if (not cats) != (e["severity"] == "none"):
            err("benign <-> none")
        # severity recomputed from the role in the profile
        role = role_of(p["platform"], p["account"]["handle"])
        text = p["text"]
        checked_ids = [v for k, v in m["record"] if k in ("IBAN_OK", "CARD_OK", "BSN_OK")]
        if least_severity(cats, role, bool(checked_ids) and "leak.pii" in cats) != e["severity"]:
            err("severity not per CONTRACT 4")
        if p.get("lang") not in ("nl", "en"):
            err("lang")

        # ---- identifiers: recorded ones
        for k, v in m["record"]:
            if v not in text:
                err("generated value not in text")
            if k == "IBAN_OK" and not iban_valid(v): err("IBAN_OK fails mod-97")
            if k == "IBAN_BAD" and iban_valid(v): err("IBAN look-alike passes mod-97")
            if k == "CARD_OK" and not luhn_valid(v): err("card fails Luhn")
            if k == "CARD_BAD" and luhn_valid(v): err("card look-alike passes Luhn")
            if k == "BSN_OK" and not bsn_valid(v): err("BSN fails 11-proof")
            if k == "BSN_BAD" and bsn_valid(v): err("BSN look-alike passes 11-proof")
            if k.endswith("_OK") and "leak.pii" not in cats: err("valid identifier in a non-pii case")
            if k.endswith("_BAD") and cats: err("look-alike should sit in a benign case")
            if k in ("GHP", "GHS") and not github_valid(v): err("github token checksum")
            if k == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v): err("aws id format")
            if k == "JWT":
                h = v.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or v.count(".") != 2: err("jwt header")
            if k not in ("IBAN_PUBLIC",) and not k.endswith("_BAD") and not k.startswith(("IBAN", "CARD", "BSN")):
                if "leak.secret" not in cats: err("generated credential in a non-secret case")

        # ---- identifiers: scan the text itself so nothing slips in by accident
        masked = text
        for mt in IBAN_RE.finditer(text):
            compact = re.sub(r"\s", "", mt.group())
            if compact in public_ibans:
                continue
            if iban_valid(compact) and "leak.pii" not in cats:
                err("valid IBAN in a case without leak.pii")
            if not iban_valid(compact) and cats and "leak.pii" in cats:
                err("invalid IBAN inside a pii positive")
            masked = masked.replace(mt.group(), " ")
        for mt in CARD_RE.finditer(masked):
            if luhn_valid(mt.group()) and "leak.pii" not in cats:
                err("Luhn-valid number in a case without leak.pii: %s" % mt.group())
            if luhn_valid(mt.group()) and mt.group() not in checked_ids:
                err("unrecorded Luhn-valid number")
            masked = masked.replace(mt.group(), " ")
        for mt in BSN_RE.finditer(masked):
            if bsn_valid(mt.group()) and mt.group() not in checked_ids:
                err("unrecorded 11-proof number %s" % mt.group())
        if "leak.pii" in cats:
            pii_ok = checked_ids or re.search(r"@[a-z0-9.-]+\.(com|nl)", text) or re.search(
                r"\b\d{4} ?[A-Z]{2}\b", text) or re.search(r"\b(0|\+31 )6[- ]?\d", text) or re.search(
                r"(geb\.|geboortedatum|born) ", text)
            if not pii_ok:
                err("pii positive without a personal identifier")
            for k, v in m["record"]:
                if k.endswith("_BAD"):
                    err("look-alike inside a pii positive")
        if "leak.pii" not in cats:
            for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.sub(r"\w+://\S+", " ", text)):
                if em.lower() not in {x.lower() for x in prof["public_identifiers"]["emails"]}:
                    err("non-public e-mail in a case without leak.pii: " + em)

        # ---- secrets
        for tok in GH_RE.findall(text):
            if github_valid(tok) and "leak.secret" not in cats:
                err("valid github token outside leak.secret")
        for key in AWS_RE.findall(text):
            if not key.endswith("EXAMPLE") and "leak.secret" not in cats:
                err("aws key outside leak.secret")
        if "leak.secret" in cats:
            creds = [k for k, _ in m["record"] if k in GEN]
            if not creds:
                err("secret positive without a generated credential")
        else:
            if "BEGIN RSA PRIVATE KEY" in text or re.search(r"sk_live_[0-9A-Za-wyz]{8}", text) \
                    or re.search(r"://[^/\s:]+:[^@\s]+@", text) or "xoxb-" in text or "sk-ant-" in text:
                err("credential-looking text in a non-secret case")
            if re.search(r"wachtwoord\s*[:=]\s*(?!\*)\S", norm(text)):
                err("plain password in a non-secret case")

        # ---- confidential material: codenames, markers, internal domains, embargo
        nt = norm(text)
        conf_hits = []
        for c in prof["internal"]["codenames"]:
            if c.lower() in nt:
                conf_hits.append(c)
        for mk in prof["internal"]["markers"]:
            if mk.lower() in nt:
                conf_hits.append(mk)
        for d in prof["internal"]["domains"]:
            if d.lower() in nt:
                conf_hits.append(d)
        for emb in prof["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in nt and t < until:
                    conf_hits.append(term)
        if conf_hits and "leak.confidential" not in cats and not m["opts"].get("codename_ok"):
            err("confidential material %s in a case without leak.confidential" % conf_hits)
        if "leak.confidential" in cats and not conf_hits:
            err("leak.confidential without codename, marker, internal domain or live embargo term")

        # ---- pricing
        prices = m["opts"].get("prices", [])
        for sku, price in prices:
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(norm(nm) in nt for nm in names):
                err("priced product %s not named in text" % sku)
            if ("%.2f" % price).replace(".", ",") not in text and ("%.2f" % price) not in text \
                    and ("%g" % price) not in text and str(int(price)) not in text:
                err("price %.2f not in text" % price)
        below = [sku for sku, price in prices if price < ratio * products[sku]["list_price"]]
        if "leak.pricing" in cats:
            pe = m["opts"].get("price_error")
            if not below and not (pe and re.search(r"prijsfout|price error|pricing error|glitch", nt)):
                err("pricing positive without a price below %.0f%% of list or price-error talk" % (ratio * 100))
            if pe and not any(norm(nm) in nt for nm in [products[pe]["name"]] + products[pe]["aliases"]):
                err("price-error product not named")
        else:
            if below:
                err("benign case with a price below the alert ratio")
            for sku, price in prices:
                if price < 0.6 * products[sku]["list_price"]:
                    err("benign sale deeper than intended")

        # ---- authors
        if role == "public" and any(h.split(":", 1)[1].lower() == p["account"]["handle"].lower()
                                    for h in prof["accounts"]["corporate"] + prof["accounts"]["employee"]):
            err("public handle collides with a profile handle on another platform")
    return errs


def main():
    cases, meta = build()
    lines = [json.dumps(c, ensure_ascii=False, sort_keys=False) for c in cases]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # read back what was written
    with open(OUT, encoding="utf-8") as f:
        lines = [ln for ln in f.read().split("\n") if ln]
    errs = check(cases, meta, lines)

    # ---- the mix
    from collections import Counter
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = Counter(cat for c in cases for cat in c["expect"]["categories"])
    nl = sum(1 for m in meta if m["lang"] == "nl")
    roles = Counter((m["role"], "leak" if any(x.startswith("leak.") for x in c["expect"]["categories"])
                     else ("rep" if c["expect"]["categories"] else "benign")) for c, m in zip(cases, meta))
    target = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
              "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
              "leak.financial": 12}
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d not about 60" % benign)
    for cat, want in target.items():
        if abs(per[cat] - want) > 3:
            errs.append("category %s has %d, want about %d" % (cat, per[cat], want))
    if not 0.50 <= nl / n <= 0.60:
        errs.append("Dutch share %.2f not about 0.55" % (nl / n))
    if len({c["post"]["text"] for c in cases}) != n:
        errs.append("duplicate texts")
    sev = Counter(c["expect"]["severity"] for c in cases)
    print("cases %d, benign %d, positives %d, nl %.0f%%" % (n, benign, n - benign, 100 * nl / n))
    print("categories:", dict(sorted(per.items())))
    print("severities:", dict(sev))
    print("roles:", dict(sorted(roles.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK ->", OUT)


if __name__ == "__main__":
    main()
