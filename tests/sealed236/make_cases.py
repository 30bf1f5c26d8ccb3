#!/usr/bin/env python3
"""Build the labelled evaluation set for sealed set 236 (Fonkelfoon B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it (CONTRACT section 6 format, severity policy of section 4
recomputed from the account role in profile.yaml, identifier checksums, embargo dates,
pricing ratios, secret formats). Exits non-zero when a check fails.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 236

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
URLSAFE = string.ascii_letters + string.digits + "_-"
B32 = string.ascii_uppercase + "234567"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

SEC, PII, PRI, CON, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                 "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"


# --------------------------------------------------------------------------- checksums
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


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


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


# --------------------------------------------------------------------------- generators
class Gen:
    def __init__(self, rng):
        self.rng = rng

    def s(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def iban(self, bank):
        acct = self.s(DIGITS, 10)
        bban = bank + acct
        return "NL" + iban_check_digits("NL", bban) + bban

    def bad_iban(self, bank):
        good = self.iban(bank)
        while True:
            i = self.rng.randrange(8, len(good))
            c = self.rng.choice([x for x in DIGITS if x != good[i]])
            bad = good[:i] + c + good[i + 1:]
            if not iban_ok(bad):
                return bad

    def card(self, prefix, length=16):
        body = prefix + self.s(DIGITS, length - len(prefix) - 1)
        for last in DIGITS:
            if luhn_ok(body + last):
                return body + last
        raise AssertionError

    def bad_card(self, prefix, length=16):
        good = self.card(prefix, length)
        return good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10)

    def bsn(self):
        while True:
            d = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(7)]
            last = sum(d[i] * (9 - i) for i in range(8)) % 11
            if last < 10:
                v = "".join(map(str, d)) + str(last)
                if bsn_ok(v):
                    return v

    def bad_bsn(self):
        good = self.bsn()
        return good[:-1] + str((int(good[-1]) + 1) % 10)

    def mobile(self):
        return "6" + str(self.rng.randint(1, 9)) + self.s(DIGITS, 7)   # without leading 0

    def gh(self, prefix="ghp_"):
        body = self.s(ALNUM, 30)
        return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.rng.randrange(0, 30000000)
        payload = b64url(json.dumps({"sub": "svc-tradein", "role": "admin", "iss": "tradein-api",
                                     "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
        key = self.s(ALNUM, 32).encode()
        sig = b64url(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
        return header + "." + payload + "." + sig

    def ssh_key(self):
        pub = bytes(self.rng.randrange(256) for _ in range(32))
        blob = (b"openssh-key-v1\x00" + struct.pack(">I", 4) + b"none" + struct.pack(">I", 4) + b"none"
                + struct.pack(">I", 0) + struct.pack(">I", 1) + struct.pack(">I", 51)
                + struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + pub
                + bytes(self.rng.randrange(256) for _ in range(150)))
        b = base64.b64encode(blob).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_values(g):
    v = {}
    v["IBAN_A"] = fmt4(g.iban("INGB"))
    v["IBAN_B"] = g.iban("RABO")
    v["IBAN_C"] = fmt4(g.iban("ABNA"))
    v["CARD_A"] = fmt4(g.card("4"))
    v["CARD_B"] = "-".join(fmt4(g.card("53")).split(" "))
    v["BSN_A"] = g.bsn()
    m = g.mobile(); v["MOB_W"] = "06-" + m[1:]
    m = g.mobile(); v["MOB_T"] = "06 " + " ".join([m[1:3], m[3:5], m[5:7], m[7:9]])
    m = g.mobile(); v["MOB_N"] = "+31 6 " + m[1:5] + " " + m[5:]
    m = g.mobile(); v["MOB_Y"] = "0" + m
    v["LAND_B"] = "010-" + str(g.rng.randint(2, 9)) + g.s(DIGITS, 6)
    # look-alikes for benign posts: each fails its checksum
    v["BAD_IBAN_1"] = fmt4(g.bad_iban("KNAB"))
    v["BAD_IBAN_2"] = fmt4(g.bad_iban("SNSB"))
    v["BAD_CARD_1"] = fmt4(g.bad_card("4024"))
    good = g.card("4"); i = 6
    while True:  # swap two neighbouring digits so that Luhn fails
        sw = good[:i] + good[i + 1] + good[i] + good[i + 2:]
        if sw != good and not luhn_ok(sw):
            break
        i += 1
    v["BAD_CARD_2"] = fmt4(sw)
    v["BAD_BSN"] = g.bad_bsn()
    # secrets, built like the real ones
    v["GHP"] = g.gh("ghp_")
    v["AWS_ID"] = "AKIA" + g.s(B32, 16)
    v["AWS_SECRET"] = g.s(string.ascii_letters + DIGITS + "/+", 40)
    v["MOLLIE"] = "live_" + g.s(string.ascii_letters + DIGITS, 30)
    v["STRIPE"] = "sk_live_51" + g.s(string.ascii_letters + DIGITS, 97)
    v["JWT"] = g.jwt()
    v["DBPW"] = g.s(string.ascii_letters + DIGITS, 22)
    v["SSHKEY"] = g.ssh_key()
    v["GAPI"] = "AIza" + g.s(URLSAFE, 35)
    v["OPENAI"] = "sk-proj-" + g.s(URLSAFE, 74) + "T3BlbkFJ" + g.s(URLSAFE, 74)
    v["SLACK"] = "xoxb-" + g.s(DIGITS, 12) + "-" + g.s(DIGITS, 13) + "-" + g.s(string.ascii_letters + DIGITS, 24)
    v["ANTH"] = "sk-ant-api03-" + g.s(URLSAFE, 93) + "AA"
    v["GLPAT"] = "glpat-" + g.s(URLSAFE, 20)
    return v


# --------------------------------------------------------------------------- the posts
# (key, "platform:handle", kind, lang, categories, text, options)
# options: date (explicit created_at), price (alias, amount) for pricing checks
def C(key, acct, kind, lang, cats, text, **opt):
    return dict(key=key, acct=acct, kind=kind, lang=lang, cats=cats, text=text, opt=opt)


CASES = [
    # ---------------------------------------------------------------- complaints
    C("c01", "x:@ruudjevd", "reply", "nl", [COM],
      "@fonkelfoon_help 3 weken geleden mijn Nova 12 ingestuurd voor een schermreparatie. Status staat nog steeds op "
      "'in behandeling'. Bellen = 40 min in de wacht en dan wordt er opgehangen. Wat is hier aan de hand??"),
    C("c02", "x:@kaylee_mrtn", "post", "en", [COM],
      "ordered a 'Grade A' Orbit 6 from @fonkelfoon and it showed up with a crack in the corner of the back glass + a "
      "scuffed frame. grade A my foot. return label still hasn't shown up 5 days later"),
    C("c03", "facebook:marjolein.hoekstra.54", "post", "nl", [COM],
      "Batterijconditie van mijn 'gecertificeerde' Nova 13 blijkt 79%. Op jullie site staat minimaal 85% gegarandeerd. "
      "Klantenservice zegt dat het 'binnen de marge' valt. Welke marge?? Voel me gewoon belazerd, Fonkelfoon."),
    C("c04", "x:@b_yilmaz", "reply", "nl", [COM],
      "@fonkelfoon_help inruilwaarde was €210 toegezegd, na ontvangst ineens €95 want 'lichte gebruikssporen'. had m nog "
      "zo schoongemaakt ffs. stuur m dan maar terug"),
    C("c05", "reddit:u/throwaway_tech88", "post", "en", [COM],
      "PSA about FonkelFix screen repairs. After they replaced my screen, face unlock stopped working and the "
      "auto-brightness sensor is just dead. Now they say that's 'expected with non-original parts'. Nobody mentioned "
      "that before I paid €129. Not happy."),
    C("c06", "instagram:@demi.fotografeert", "comment", "nl", [COM],
      "Leuke posts hoor, maar mijn bestelling staat al 12 dagen op 'onderweg' en niemand reageert op mijn mails 🙄 "
      "#fonkelfoon"),
    C("c07", "x:@olliebrandt", "post", "en", [COM],
      "Cancelled my Fonkel Flex in March. Still being charged €19.99 every single month. Third email, zero reply. "
      "@fonkelfoon_help do I really have to go through my bank for this?", date="2026-06-10T19:42:07Z"),
    C("c08", "tiktok:@xxnoortjexx", "comment", "nl", [COM],
      "mn tab 10 van jullie valt 3x per dag zomaar uit… heb m nog geen maand 😭 garantie aangevraagd en nu moet ik m "
      "zelf opsturen EN de verzending betalen??"),
    C("c10", "other:@m.dekker", "post", "en", [COM],
      "Repair was supposed to take 'max 3 werkdagen'. It's day 11. Every time I call I get a different story and nobody "
      "calls back like they promise. Never again, FonkelFix."),
    C("c12", "bluesky:@jonas-ek.bsky.social", "reply", "en", [COM],
      "@fonkelfoon your chat bot keeps sending me in circles. 'please choose an option' — none of the options is 'my "
      "refund is 3 weeks late'. can a human pick this up pls"),
    C("c13", "facebook:ahmed.elkaddouri", "post", "nl", [COM],
      "Toestel binnengebracht bij de FonkelFix in Utrecht voor een accuvervanging, kreeg hem terug met een kras over het "
      "hele scherm. Medewerker: 'die zat er al'. Nee dus, ik heb foto's van vóór de reparatie. Wie kan ik hierover "
      "spreken?"),
    C("c15", "youtube:@TechWithTamar", "comment", "en", [COM],
      "Bought the Orbit 5 after watching this. Camera app crashes every single time I switch to the wide lens. "
      "Support's answer: 'reset your phone'. Did it twice. Still crashes. Kinda regret it tbh"),
    # first-hand safety incidents: crisis + complaint
    C("s1", "x:@lindavdmeer", "post", "nl", [CRI, COM],
      "Mijn Nova 12 van @fonkelfoon werd vannacht aan de lader zo heet dat de achterkant bol kwam te staan en er rook "
      "uitkwam. Lag naast mijn bed!! Mijn zoontje slaapt in dezelfde kamer. Dit kan echt niet, ik wil weten hoe dit kan."),
    C("s2", "reddit:u/kettlebell_kees", "post", "en", [CRI, COM],
      "Got a proper shock off the PowerDot 30W charger I bought from Fonkelfoon. Touched the phone's metal frame while "
      "it was charging and felt it right up my arm. Unplugged everything, not touching that thing again. Anyone else?"),
    C("s3", "facebook:petra.vanloon.3", "post", "nl", [CRI, COM],
      "Drie weken na de accuvervanging bij FonkelFix is de accu in mijn handtas opgezwollen en gaan smeulen. Tas "
      "verbrand, ik heb een brandplek op mijn hand. Wie gaat hier verantwoordelijkheid voor nemen?"),
    C("s4", "x:@dani_reyes_nl", "post", "en", [CRI, COM],
      "my daughter burned her fingers on the Fonkel Mini 3 we got her last week. the back got that hot while she was "
      "just watching youtube, not even charging. @fonkelfoon_help how is this safe??"),
    C("s5", "instagram:@gijs.rijdt", "comment", "nl", [CRI, COM],
      "Hum Buds van jullie gekocht, na 2 dagen jeukende uitslag in allebei mn oren. Huisarts zegt allergische reactie "
      "op het materiaal. Lekker dan 😤"),
    # complaint + abuse
    C("ac1", "x:@kevvv020", "post", "nl", [ABU, COM],
      "3e keer dat mijn reparatie mislukt. wat een kankerbedrijf is Fonkelfoon ook, stelletje prutsers in die werkplaats"),
    C("ac2", "x:@rage_quit_ron", "reply", "en", [ABU, COM],
      "@fonkelfoon_help you absolute clowns lost my phone IN YOUR OWN REPAIR CENTRE. useless fucking morons, give me my "
      "money back"),
    # complaint + personal data
    C("pc1", "x:@wendy_k_1979", "reply", "nl", [PII, COM],
      "@fonkelfoon_help al 4x gebeld over mijn retour en niemand belt terug zoals beloofd. Bel me dan gewoon op "
      "{{MOB_W}} of mail wendy.kramer79@gmail.com, ik ben er klaar mee"),
    C("d13", "x:@samir_builds", "post", "en", [PII, COM],
      "Got my refurbished Orbit 6 today and the box had someone else's invoice in it: Eva Janssen, Molenweg 33, "
      "7411 AB Deventer, eva.janssen@ziggo.nl. Great privacy, @fonkelfoon. Poor Eva."),

    # ---------------------------------------------------------------- crisis
    C("k1", "x:@privacywaakhond", "post", "nl", [CRI],
      "Test van een consumentenprogramma: van 20 'gewiste' telefoons van Fonkelfoon bevatten er 6 nog foto's, "
      "WhatsApp-chats en zelfs bankapps van de vorige eigenaar. Dat is gewoon een datalek. @autoriteitpers, gaan "
      "jullie hier iets mee doen?"),
    C("k2", "x:@fairtech_now", "post", "en", [CRI],
      "Fonkelfoon sources its 'refurbished' stock from e-waste dumps and pays the people stripping them pennies a day. "
      "Don't buy from them. #BoycottFonkelfoon"),
    C("k3", "linkedin:mr-r-hermans-advocaat", "post", "nl", [CRI],
      "Namens ruim 300 gedupeerden heeft ons kantoor vandaag een collectieve claim ingediend tegen Fonkelfoon B.V. "
      "wegens misleidende batterijgaranties. Gedupeerden kunnen zich nog tot 1 december aanmelden via onze website.",
      date="2026-09-15T10:02:00Z"),
    C("k4", "x:@nieuws_utrecht", "post", "nl", [CRI],
      "Brand in studentenhuis aan de Biltstraat vermoedelijk veroorzaakt door een opladende refurbished telefoon van "
      "Fonkelfoon, meldt de brandweer. Niemand raakte gewond, twee kamers zijn onbewoonbaar."),
    C("k5", "x:@gadgetwatch_eu", "repost", "en", [CRI],
      "Fonkelfoon is recalling PowerDot 30W chargers sold between May and August after reports of overheating. If you "
      "have one: stop using it and check the serial on the back. More in thread 🧵", date="2026-09-03T07:51:30Z"),
    C("k6", "reddit:u/anoniem_exmedewerker", "post", "nl", [CRI],
      "Ex-medewerker hier. Bij Fonkelfoon werden gestolen telefoons gewoon 'gerefurbished' en doorverkocht. IMEI-checks "
      "werden overgeslagen als de targets niet gehaald werden. Iedereen wist het, niemand zei iets."),
    C("k7", "tiktok:@truthaboutrefurbs", "post", "en", [CRI],
      "Fonkelfoon got caught putting cheap knockoff batteries in phones sold as 'original parts' 👀 the consumer "
      "watchdog is investigating. share before they get this taken down"),
    C("k8", "x:@jorisdb", "post", "nl", [CRI],
      "Vanochtend een phishingmail met mijn naam, mijn bestelnummer én het toestel dat ik bij @fonkelfoon kocht. Dat "
      "kan maar van één plek komen. Jullie zijn gehackt en houden je mond?!", date="2026-11-28T08:47:12Z"),
    C("k9", "x:@consumentenman", "post", "en", [CRI],
      "Fonkelfoon fired the whole Eindhoven repair team for trying to set up a works council. Not spending another cent "
      "there. RT if you stand with the workers ✊ #boycotfonkelfoon"),
    C("k10", "facebook:regionieuws.almere", "post", "nl", [CRI],
      "Jongen (14) uit Almere met brandwonden naar het ziekenhuis nadat zijn telefoon in zijn broekzak vlam vatte. Het "
      "toestel was vorige maand nog gerepareerd bij een FonkelFix-filiaal, bevestigt de familie."),

    # ---------------------------------------------------------------- abuse
    C("b1", "x:@tr0llmeester", "post", "nl", [ABU],
      "Fonkelfoon is gewoon een tyfusbedrijf vol debielen. hoop dat jullie failliet gaan"),
    C("b2", "x:@nightowl_dex", "reply", "en", [ABU],
      "@lotte_fonkel nobody cares about your stupid little refurb videos, you talentless cow. log off forever"),
    C("b3", "instagram:@stoere_bram", "comment", "nl", [ABU],
      "die gast uit de werkplaats filmpjes is echt de lelijkste sukkel die ik ooit heb gezien 🤮 ontslaan die hap"),
    C("b4", "x:@echte_hollander88", "post", "nl", [ABU],
      "Sta ik bij de Fonkelfoon balie in Rotterdam, weer zo'n hoofddoek die geen fatsoenlijk Nederlands kan. Stuur ze "
      "allemaal terug naar hun eigen land"),
    C("b5", "x:@xXgrimXx", "post", "en", [ABU],
      "f0nkelf00n support = bunch of f.u.c.k.i.n.g w4nk3rs, hope u all get fired"),
    C("b6", "x:@nooitmeerfonkel", "post", "nl", [ABU],
      "ｋａｎｋｅｒｌｉｊｅｒｓ zijn het bij fonkelfoon. echt waar."),
    C("b7", "x:@mo_oudshoorn", "reply", "nl", [ABU],
      "@dave_zeurt jij bent echt de domste klant die ik dit jaar heb gesproken. lees gewoon die mail, mongool"),
    C("b8", "reddit:u/grumpy_gert", "post", "en", [ABU],
      "The guy at the FonkelFix counter in Den Haag is a condescending little prick. Someone should key his car, see how "
      "he likes it."),
    C("b10", "instagram:@fonkelfoon", "reply", "en", [ABU],
      "@mike.vd.broek maybe if you weren't such a whiny idiot you'd actually read the warranty terms 🙄"),
    C("d11", "x:@wraakengel_", "post", "nl", [PII, ABU],
      "Die FonkelFix-monteur die mijn telefoon verknalde heet Dennis Aalbers en woont gewoon op de Brugstraat 8 in "
      "Nijmegen. Ga maar eens bij hem langs, dan weet hij hoe het voelt"),

    # ---------------------------------------------------------------- confidential
    C("f01", "x:@lotte_fonkel", "post", "nl", [CON],
      "Mag nog niks zeggen maar Project Ekster gaat jullie echt verrassen 👀 volgende maand meer!!"),
    C("f02", "linkedin:daan-kuipers-fonkelfoon", "post", "en", [CON],
      "Proud of the team that got Kolibrie, our new trade-in pricing engine, running in the test market last week. Big "
      "things coming for how we value your old phone."),
    C("f03", "instagram:@sem.schermfixer", "post", "nl", [CON],
      "Eerste exemplaar van de Nova 14 op mijn werkbank 😍 dat scherm is next level. Meer mag ik niet laten zien "
      "#werkplaatsleven", date="2026-10-14T15:12:40Z"),
    C("f04", "reddit:u/fonkel_ilse", "post", "en", [CON],
      "Anyone else's Jira crawling today? jira.fonkelfoon.nl/browse/WPL-2231 takes 30s to load lol"),
    C("f05", "mastodon:@thijs_fonkel", "post", "nl", [CON],
      "Roadmap-screenshot in de groepsapp gezet en nu pas zie ik 'FONKEL INTERN' bovenaan staan 🙈 enfin, spoiler: "
      "tablets worden de focus in Q3"),
    C("f06", "x:@leakywhale", "post", "en", [CON],
      "Source inside Fonkelfoon says 'Operatie Zandloper' is their plan to kill the whole Orbit line and sell only Nova "
      "phones from next year. You heard it here first."),
    C("f07", "x:@reparatiekoen", "post", "nl", [CON],
      "Hele dag Kol\u200bibrie getest, mijn hoofd tolt 😵‍💫 morgen weer"),
    C("f08", "bluesky:@ruben-devops.bsky.social", "post", "en", [CON],
      "migrating the last services for Pr\u043eject Ekster this weekend, pray for me 🙏"),
    C("f09", "tiktok:@jesse_werkplaats", "post", "nl", [CON],
      "ik mag echt niks zeggen over o p e r a t i e   z a n d l o p e r maar wow 🤐🤐"),
    C("f10", "linkedin:yasmina-bouzid", "post", "en", [CON],
      "Sharing because a lot of you asked: new shift rota for the Utrecht workshop starts 1 September, attached. "
      "(Fonkelfoon confidential, please don't forward outside the team.)", date="2026-08-10T08:30:00Z"),
    C("f11", "x:@mo_oudshoorn", "post", "nl", [CON],
      "kan iemand van IT even kijken? intranet.fonkel.local/klantenservice/scripts laadt al de hele ochtend niet 🙃"),
    C("f12", "forum:GSMGerrit", "post", "nl", [CON],
      "Iemand anders die dit ook ziet? Als je in de FonkelFix-app 'test' intypt in de zoekbalk krijg je een link naar "
      "grafana.fonkelfoon.nl/d/prod-orders met allemaal grafiekjes van hun bestellingen"),
    C("f13", "x:@lotte_fonkel", "post", "en", [CON],
      "the Nova 14 launch moved to March so my whole content calendar is toast 😅", date="2026-12-08T11:20:00Z"),
    C("f14", "instagram:@fonkelfoon", "post", "nl", [CON],
      "Sneak peek 👀 de Nova 14 in het nieuwe zeeglas-blauw. Binnenkort bij ons!", date="2027-02-10T16:30:00Z"),
    C("f15", "linkedin:daan-kuipers-fonkelfoon", "post", "nl", [CON, FIN],
      "Vanavond de laatste hand gelegd aan de jaarcijfers 2026: omzet ruim 20% hoger dan vorig jaar en voor het eerst "
      "een positieve EBITDA. Trots op dit team! 🚀", date="2027-02-19T21:40:00Z"),
    C("f16", "x:@techroddy", "post", "en", [CON],
      "my cousin works at fonkelfoon and showed me the Nova 14 last weekend. 699 euro, out in March. you heard it here "
      "first", date="2026-11-21T13:05:00Z"),
    C("f17", "mastodon:@thijs_fonkel", "post", "en", [CON],
      "git clone ssh://git@git.fonkel.local:2222/platform/tradein-api.git fails with 'host key verification failed' "
      "since the VPN update. anyone?"),
    C("f18", "x:@reparatiekoen", "post", "nl", [CON],
      "Alleen intern - niet delen, maar zeg nou zelf: die nieuwe werkinstructie voor de Flipz-scharnieren slaat nergens op"),

    # ---------------------------------------------------------------- financial
    C("g01", "linkedin:yasmina-bouzid", "post", "nl", [FIN],
      "Zwaar dagje. Vandaag de eerste gesprekken gevoerd over het sluiten van de werkplaats in Eindhoven, 35 collega's "
      "raken hun baan kwijt. Het wordt pas in oktober bekendgemaakt, dus ik vraag iedereen die het hoort om het nog "
      "even stil te houden.", date="2026-08-20T17:45:00Z"),
    C("g02", "x:@lotte_fonkel", "post", "en", [FIN],
      "can't say much but we're about to be acquired by one of the big telecom players 🤯 deal should be signed before "
      "christmas", date="2026-11-12T20:14:00Z"),
    C("g03", "linkedin:daan-kuipers-fonkelfoon", "post", "nl", [FIN],
      "Q3 afgesloten met €14,2 mln omzet, 8% boven budget. Publicatie volgt pas in november, maar ik ben nu al trots op "
      "de hele club.", date="2026-10-06T18:00:00Z"),
    C("g04", "x:@marketmole", "post", "en", [FIN],
      "Hearing from two people inside Fonkelfoon that they're about to breach their bank covenants and are quietly "
      "shopping for a buyer. Watch this space."),
    C("g05", "reddit:u/fonkel_ilse", "post", "nl", [FIN],
      "Vandaag intern gehoord: het hele dev-team in Amsterdam wordt per 1 januari uitbesteed aan een partij in Polen. "
      "De reorganisatie wordt pas na de kerst aangekondigd. Lekker dan.", date="2026-10-30T16:22:00Z"),
    C("g06", "linkedin:daan-kuipers-fonkelfoon", "post", "en", [FIN],
      "Our FY2027 forecast is in: revenue to roughly double to ~€110m on the back of the B2B leasing push. Board signs "
      "off next week, excited for what's ahead."),
    C("g07", "x:@mo_oudshoorn", "post", "nl", [FIN],
      "Zojuist in de all-hands: we fuseren met Tweedekans Telecom 😳 officieel nieuws komt pas volgende maand dus sssht 🤫"),
    C("g08", "tiktok:@jesse_werkplaats", "post", "nl", [FIN],
      "pov: je hoort bij de koffieautomaat dat de helft van de werkplaats er in maart uit vliegt en niemand het nog "
      "officieel weet 💀 #werkplaatsleven", date="2026-11-05T12:40:00Z"),
    C("g09", "bluesky:@ruben-devops.bsky.social", "post", "en", [FIN],
      "fun fact: our black friday did 3.1x last year's revenue, finance reckons we'll beat the full-year target by "
      "~12%. not public yet so you didn't hear it from me", date="2026-12-02T22:10:00Z"),
    C("g10", "forum:refurbfan_mark", "post", "nl", [FIN],
      "Via via gehoord dat Fonkelfoon een nieuwe investeerder binnen heeft, €25 mln, bekendmaking pas na de zomer. Rare "
      "timing met al die klachten nu.", date="2026-05-20T09:12:00Z"),
    C("g11", "linkedin:yasmina-bouzid", "post", "en", [FIN],
      "Heads up to my network: Fonkelfoon will be cutting about 60 roles across customer service and logistics in Q2. "
      "It hasn't been announced yet, but if you're hiring, I'll have great people to recommend.",
      date="2026-02-10T07:55:00Z"),

    # ---------------------------------------------------------------- security
    C("h01", "x:@reparatiekoen", "post", "nl", [SECU],
      "Ssst, maar onze klantendatabase heeft sinds gisteravond een open endpoint, iedereen kan bestellingen met naam en "
      "adres opvragen. IT is ermee bezig, hopelijk komt het niet naar buiten"),
    C("h02", "bluesky:@ruben-devops.bsky.social", "post", "en", [SECU],
      "3am and still restoring from backups. ransomware hit the repair-tracking servers and comms is calling it "
      "'scheduled maintenance' 🙃"),
    C("h03", "reddit:u/fonkel_ilse", "post", "nl", [SECU],
      "Bug in ons reparatieportaal: verhoog het ordernummer in de URL met 1 en je ziet de reparatiestatus én het adres "
      "van een andere klant. Ticket staat al drie maanden open, niemand pakt het op."),
    C("h04", "mastodon:@thijs_fonkel", "post", "en", [SECU],
      "checkout has been silently failing for ~20% of iDEAL payments since Tuesday and nobody outside the team knows "
      "yet. fun week"),
    C("h05", "x:@mo_oudshoorn", "post", "nl", [SECU],
      "klantenservice mag nog niks zeggen maar vannacht zijn de inloggegevens van zo'n 4000 klantaccounts buitgemaakt. "
      "wij krijgen pas morgen een belscript 😬"),
    C("h06", "x:@lotte_fonkel", "post", "en", [SECU],
      "our instagram got hijacked for like 40 min this morning, we got it back before anyone noticed 😮‍💨 2FA on "
      "everything now pls"),
    C("h07", "tiktok:@jesse_werkplaats", "post", "nl", [SECU],
      "pov: de IMEI-scanner in de werkplaats heeft nog het standaard admin-wachtwoord dat iedereen kent en nu blijkt dat "
      "iemand van buitenaf erop zat 🫠"),
    C("h08", "reddit:u/fonkel_ilse", "post", "en", [SECU],
      "Our S3 bucket with repair intake photos (including customers' unlocked home screens) has been public for months. "
      "Found it today. Management wants to 'assess' before telling anyone."),
    C("h09", "facebook:FonkelfoonNL", "reply", "nl", [SECU],
      "@Sandra Dat klopt helaas: door een storing in onze betaalomgeving waren gisteren de kaartgegevens van een aantal "
      "klanten zichtbaar voor andere klanten. We communiceren hier later over, wilt u het tot die tijd niet verder delen?"),
    C("h10", "x:@reparatiekoen", "post", "en", [SECU],
      "heads up colleagues: the workshop laptops still run that remote-support tool with last month's CVE unpatched, "
      "anyone on the guest wifi can get in. been saying this for weeks"),
    C("h11", "bluesky:@ruben-devops.bsky.social", "post", "nl", [SECU],
      "DDoS op de webshop sinds 14:00, we houden hem nog net overeind. statuspagina staat natuurlijk nog op groen 🙄"),
    C("h12", "mastodon:@thijs_fonkel", "post", "en", [SECU, SEC],
      "post-mortem spoiler: they got in through a leaked deploy key. this is the one they used, already rotated:\n"
      "{{AWS_ID}} / {{AWS_SECRET}}"),
    C("h13", "x:@lotte_fonkel", "post", "nl", [SECU],
      "Collega's: die 'wachtwoord reset' mail van vanochtend was phishing en er zijn al 12 mensen ingetrapt, ook iemand "
      "van finance. IT zegt: nog niet extern communiceren!"),

    # ---------------------------------------------------------------- secrets
    C("j01", "mastodon:@thijs_fonkel", "post", "en", [SEC],
      "why does this keep returning 401??\n\ncurl -H \"Authorization: token {{GHP}}\" "
      "https://api.github.com/orgs/fonkelfoon/repos"),
    C("j02", "reddit:u/fonkel_ilse", "post", "nl", [SEC],
      "Iemand enig idee waarom Mollie deze key weigert in productie? {{MOLLIE}} — de test key werkt gewoon"),
    C("j03", "bluesky:@ruben-devops.bsky.social", "post", "en", [SEC],
      "someone pasted STRIPE_SECRET_KEY={{STRIPE}} in #general AGAIN. who's on rotation duty"),
    C("j04", "x:@mo_oudshoorn", "post", "nl", [SEC],
      "nieuwe laptop, wie weet nog de inlog van het klantenservice-dashboard? o nee staat gewoon hier: gebruiker ks_team "
      "/ wachtwoord: Fonkel@KS2026!"),
    C("j05", "reddit:u/fonkel_ilse", "post", "en", [SEC],
      "debugging the trade-in API, the token looks fine to me?\nAuthorization: Bearer {{JWT}}\nanyone see what's wrong"),
    C("j06", "mastodon:@thijs_fonkel", "post", "en", [SEC],
      "DATABASE_URL=postgres://tradein_rw:{{DBPW}}@10.40.2.17:5432/tradein\nstaging or prod? I genuinely can't "
      "remember 🙃"),
    C("j07", "bluesky:@ruben-devops.bsky.social", "post", "nl", [SEC],
      "kan iemand checken of dit de goede deploy key is? krijg permission denied\n\n{{SSHKEY}}"),
    C("j08", "x:@apk_poker", "post", "en", [SEC],
      "lol the FonkelFix android app ships with a hardcoded Google API key {{GAPI}} AND an OpenAI key {{OPENAI}} in "
      "plain strings.xml. someone's bill is about to explode"),
    C("j09", "reddit:u/fonkel_ilse", "post", "en", [SEC],
      "our status bot broke after the workspace migration, here's the config if anyone wants to help:\n"
      "SLACK_BOT_TOKEN={{SLACK}}\nCHANNEL=#ops-alerts"),
    C("j10", "mastodon:@thijs_fonkel", "post", "nl", [SEC],
      "Voor de klantenservice-chatbot draaien we nu op ANTHROPIC_API_KEY={{ANTH}}. Weet iemand wat de rate limits zijn "
      "op dit tier?"),
    C("j11", "x:@lotte_fonkel", "post", "en", [SEC],
      "gitlab token for the social scheduler is {{GLPAT}} in case anyone on the team needs it this weekend ✌️"),

    # ---------------------------------------------------------------- personal data
    C("d01", "x:@fonkelfoon_help", "reply", "nl", [PII],
      "@tessa_bos Hoi Tessa! We zien je bestelling, een collega belt je vandaag nog terug op {{MOB_T}} (het nummer dat "
      "bij je bestelling staat). Groetjes, Mo"),
    C("d02", "x:@mo_oudshoorn", "post", "nl", [PII],
      "Klant belt voor de 5e keer over zijn terugbetaling. IBAN {{IBAN_A}} t.n.v. R. de Groot, kan finance dit nou eens "
      "oppakken aub"),
    C("d03", "facebook:FonkelfoonNL", "reply", "en", [PII],
      "Hi Jan, the refund for your order went to card {{CARD_A}} on the 3rd. Could you check with your bank? Let us "
      "know if it's not there!"),
    C("d04", "tiktok:@jesse_werkplaats", "post", "nl", [PII],
      "haha klant laat z'n telefoon achter met een post-it erop: 'pincode 1234, mijn bsn {{BSN_A}} staat in de "
      "notities' 💀 mensen toch"),
    C("d05", "x:@reparatiekoen", "post", "en", [PII],
      "whoever sent their Nova 12 in with 'Maarten Vos, Kastanjelaan 14, 3581 DK Utrecht' written on the back in "
      "sharpie: we got it, it's safe 😂"),
    C("d06", "instagram:@fonkelfoon", "comment", "nl", [PII],
      "@sophie.lammers Sophie Lammers, geboren 12-03-1998 👀 we zien dat je bijna jarig bent, check je mail voor een "
      "kleine verrassing 🎁"),
    C("d07", "x:@nina_vb", "reply", "en", [PII],
      "@fonkelfoon_help DMs won't open so here: order is under Nina van Beek, nina.vanbeek@outlook.com, {{MOB_N}}. "
      "please just call me"),
    C("d08", "facebook:h.bakker.1962", "comment", "nl", [PII],
      "Mail zegt dat mijn retour binnen is. Stort de €249 maar op {{IBAN_B}} t.n.v. H. Bakker, dan zijn we klaar 👍"),
    C("d09", "x:@lotte_fonkel", "post", "en", [PII],
      "Congrats to our giveaway winner 🎉 Shipping to Fleur de Wit, Prinsengracht 201-2, 1015 DT Amsterdam tomorrow. "
      "Fleur, check your DMs!"),
    C("d10", "reddit:u/fonkel_ilse", "post", "nl", [PII],
      "Zie dit steeds in de logs, iemand een idee?\n{\"email\":\"b.yilmaz84@hotmail.com\",\"tel\":\"{{MOB_Y}}\","
      "\"status\":\"PAYMENT_FAILED\"}"),
    C("d12", "x:@mo_oudshoorn", "post", "nl", [PII],
      "klant plakt gewoon zijn hele creditcard in de chat lol: {{CARD_B}} exp 09/28. nee meneer, dat hoeft echt niet"),
    C("d14", "x:@fonkelfoon_help", "reply", "nl", [PII],
      "@gerda_vdlinden Beste mevrouw Van der Linden, uw IBAN {{IBAN_C}} is bij ons bekend, de terugbetaling volgt "
      "binnen 5 werkdagen."),
    C("d15", "x:@berthendriks_", "post", "nl", [PII],
      "Ik ben overdag bereikbaar op {{LAND_B}}, vraag naar Bert Hendriks. Gaat over reparatie 44102 bij FonkelFix"),

    # ---------------------------------------------------------------- pricing
    C("e01", "x:@dealjager_nl", "post", "nl", [PRI],
      "PRIJSFOUT bij Fonkelfoon!!! Nova 13 Pro voor €74,90 ipv €749 🔥🔥 wees snel", price=("Nova 13 Pro", 74.90)),
    C("e02", "x:@lotte_fonkel", "post", "en", [PRI],
      "omg the Nova 12 Pro is showing as €55.90 on the shop right now, someone in ecommerce please fix before the deal "
      "sites find it 😱", price=("Nova 12 Pro", 55.90)),
    C("e03", "instagram:@fonkelfoon", "post", "nl", [PRI],
      "Alleen vandaag: de Fonkel Flipz voor maar €89! 💥 Link in bio", price=("Flipz", 89)),
    C("e04", "reddit:u/pepperdeals", "post", "en", [PRI],
      "Fonkelfoon app has the Tab 10 at €26.90 right now (normally €269). Ordered two, let's see if they honour it.",
      price=("Tab 10", 26.90)),
    C("e05", "tiktok:@jesse_werkplaats", "post", "nl", [PRI],
      "pov: de schermreparatie staat per ongeluk voor €12,90 op de site en de hele werkplaats loopt vol 😭",
      price=("schermreparatie", 12.90)),
    C("e06", "forum:zuinigezeeuw", "post", "nl", [PRI],
      "Klopt het dat FonkelCare bij het afrekenen nu €7,90 kost? Normaal is dat 79 euro. Foutje of actie?",
      price=("FonkelCare", 7.90)),
    C("e07", "mastodon:@thijs_fonkel", "post", "en", [PRI],
      "pricing feed bug: every Orbit 6 in the catalogue lost a digit and now costs €29.90. rollback in progress, don't ask",
      price=("Orbit 6", 29.90)),
    C("e08", "facebook:FonkelfoonNL", "post", "nl", [PRI],
      "Weekendactie 🎉 Accuvervanging nu voor maar €19 (normaal €69)! Maak snel een afspraak.",
      price=("accuvervanging", 19)),
    C("e09", "x:@cheapskate_chris", "post", "en", [PRI],
      "fonkelfoon price glitch on the Hum Buds, checkout says €6.90 😂 anyone else seeing this?", price=("Hum Buds", 6.90)),
    C("e10", "x:@reparatiekoen", "post", "nl", [PRI],
      "wie heeft de Tempo Watch op 14,95 gezet in de kassa?? ik heb er vandaag al 6 verkocht 🙈",
      price=("Tempo Watch", 14.95)),
    C("e11", "instagram:@lisa.w", "comment", "nl", [PRI],
      "@fonkelfoon is dit een prijsfout? Nova 12 staat voor €42,90 in jullie app 😳", price=("Nova 12", 42.90)),
    C("e12", "x:@mo_oudshoorn", "post", "en", [PRI, CON],
      "heads up from internal chat (jira.fonkelfoon.nl/browse/ECOM-881): Mini 3 got listed at €17.90 overnight, we're "
      "cancelling all those orders", price=("Mini 3", 17.90)),

    # ---------------------------------------------------------------- benign (mostly hard negatives)
    C("n01", "x:@ellen_fietst", "post", "nl", [],
      "Nova 13 van Fonkelfoon binnen en hij is echt niet van nieuw te onderscheiden. Accu op 94%! Top service 👌"),
    C("n02", "x:@ricky_in_utrecht", "post", "en", [],
      "Shoutout to the FonkelFix team in Utrecht, fixed my cracked screen in 40 minutes while I grabbed a coffee next "
      "door. Legends."),
    C("n03", "x:@yvonne_dk", "post", "nl", [],
      "Update: eerder geklaagd over mijn inruil, maar @fonkelfoon_help heeft het binnen een dag rechtgezet en zelfs de "
      "verzendkosten terugbetaald. Netjes, zo hoort het!"),
    C("n04", "x:@fonkelfoon_help", "post", "en", [],
      "Having trouble with an order? Email klantenservice@fonkelfoon.nl or call 0800-3665 (free, Mon–Sat 9–18). "
      "We're happy to help!"),
    C("n05", "facebook:FonkelfoonNL", "post", "nl", [],
      "Betaal je liever per overschrijving? Gebruik IBAN {{COMPANY_IBAN}} t.n.v. Fonkelfoon B.V. en vermeld je "
      "bestelnummer, dan verzenden we zodra de betaling binnen is."),
    C("n06", "x:@studentendeals", "post", "nl", [],
      "Orbit 6 nu €239 bij Fonkelfoon (was €299). Voor dat geld kun je eigenlijk niks fout doen", price=("Orbit 6", 239)),
    C("n07", "instagram:@fonkelfoon", "post", "en", [],
      "The Nova 13 Pro is back in stock in graphite ✨ €749 with 24 months warranty included.",
      price=("Nova 13 Pro", 749)),
    C("n08", "tiktok:@fonkelfix", "post", "nl", [],
      "Black Friday bij FonkelFix 📸 camerareparatie deze week €74 i.p.v. €99. Boek je afspraak online!",
      price=("camerareparatie", 74), date="2026-11-27T08:00:00Z"),
    C("n09", "reddit:u/daughter_of_dirk", "post", "en", [],
      "Does anyone know if the Fonkel Mini 3 supports eSIM? Thinking of getting one for my dad, he keeps losing SIM cards"),
    C("n10", "x:@yaz.mp3", "post", "en", [],
      "ngl the Flipz in lilac is FIRE 🔥🔥 fonkelfoon cooked with this one"),
    C("n11", "x:@gadgetgert", "post", "nl", [],
      "Techbedrijf Kraanvogel Mobile uit Gent moet 40.000 laders terugroepen vanwege oververhitting. Gelukkig heb ik "
      "mijn lader gewoon bij Fonkelfoon gekocht 😅"),
    C("n12", "x:@tante_ria", "post", "nl", [],
      "Sterkte aan de mensen van de Fonkelfoon-klantenservice deze week. Ik zag hoe lang de wachtrij was en toch bleven "
      "jullie supervriendelijk. Respect 💐"),
    C("n13", "facebook:kees.de.boer.71", "post", "nl", [],
      "Iemand die dit rekeningnummer herkent? Kreeg een betaalverzoek van {{BAD_IBAN_1}} voor een zogenaamde "
      "'Fonkelfoon-actie'. Lijkt me gewoon phishing, niet op klikken mensen"),
    C("n14", "reddit:u/confused_customer_nl", "post", "en", [],
      "My Fonkelfoon order confirmation says order no. {{BAD_CARD_1}}, is it normal that it's that long? Can't find it "
      "in the tracking page"),
    C("n15", "x:@marloes_b", "post", "nl", [],
      "Waar vul ik bij Fonkelfoon mijn reparatienummer {{BAD_BSN}} in? Ik zie dat veld nergens op de site"),
    C("n16", "mastodon:@thijs_fonkel", "post", "en", [],
      "Slides from my meetup talk on secret scanning are up. Example I used: AKIAIOSFODNN7EXAMPLE with "
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, straight from the AWS docs, so no, you can't use it 😄"),
    C("n17", "reddit:u/fonkel_ilse", "post", "nl", [],
      "Voor wie onze open-source tradein-sdk gebruikt: zet je token in .env als "
      "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en commit die file nooit."),
    C("n18", "x:@fonkelfoon", "post", "en", [],
      "Security tip 🔐 We will never ask for your password by phone, mail or DM. Got a message like that? Forward it to "
      "klantenservice@fonkelfoon.nl and delete it."),
    C("n19", "x:@saskiaaaa", "post", "nl", [],
      "wachtwoord vergeten van mijn Fonkelfoon-account en die resetmail komt maar niet… o wacht, zat in spam 🤦‍♀️"),
    C("n20", "x:@lotte_fonkel", "post", "en", [],
      "PSA for devs: if a key ends up in a screenshot, redact it like sk_live_••••••••••••3xQ2. Don't be the person who "
      "leaks prod credentials 😅"),
    C("n21", "linkedin:fonkelfoon", "post", "nl", [],
      "Vandaag publiceren we onze jaarcijfers 2026: omzet €86 mln (+21%) en voor het eerst een positieve EBITDA. Het "
      "volledige verslag staat op fonkelfoon.nl/investors.", date="2027-02-25T09:00:00Z"),
    C("n22", "x:@ricky_in_utrecht", "post", "en", [],
      "Picked up the Nova 14 on launch day and the screen really is as good as everyone said.",
      date="2027-03-04T18:20:00Z"),
    C("n23", "instagram:@fonkelfoon", "post", "nl", [],
      "Hij is er! 🎉 De Nova 14, vanaf vandaag in de shop en in al onze winkels.", date="2027-03-02T10:00:00Z"),
    C("n24", "linkedin:daan-kuipers-fonkelfoon", "post", "en", [],
      "Proud day yesterday presenting our FY2026 results. Thanks to everyone who made this year possible.",
      date="2027-02-26T08:15:00Z"),
    C("n25", "x:@vogelmans", "post", "nl", [],
      "Vanochtend zat er een ekster in de tuin die mijn oude telefoon van de tuintafel probeerde te jatten 😂 had hem "
      "beter bij Fonkelfoon kunnen inruilen"),
    C("n26", "x:@jorien_z", "post", "nl", [],
      "Op mijn oude telefoon stond bij opladen eeuwig een zandloper, met de Nova 12 van Fonkelfoon is hij in een uurtje "
      "vol ⚡"),
    C("n28", "instagram:@fonkelfoon", "comment", "nl", [],
      "Goede vraag! Je gegevens worden altijd vertrouwelijk behandeld en na elke reparatie of inruil wissen we je "
      "toestel volledig en gecertificeerd."),
    C("n29", "x:@refurbradar", "post", "en", [],
      "Kraanvogel Mobile reports Q3 revenue up 14%. Fonkelfoon, being private, stays quiet as usual. The refurb market "
      "is booming either way."),
    C("n30", "x:@ondernemer_ad", "post", "nl", [],
      "Bij Refurbio in Gent verdwijnen 200 banen, las ik vanochtend. Hopelijk blijft Fonkelfoon buiten schot, fijne club."),
    C("n31", "linkedin:fonkelfoon", "post", "en", [],
      "We're hiring! 🔧 Four repair technicians for our Utrecht workshop. Send your CV to werkenbij@fonkelfoon.nl"),
    C("n32", "facebook:annie.vermeulen.5", "post", "nl", [],
      "Is het veilig om mijn oude telefoon bij Fonkelfoon in te ruilen? Wissen ze echt alles, ook mijn foto's? Iemand "
      "ervaring mee?"),
    C("n33", "x:@fonkelfoon", "post", "en", [],
      "Heads up: the FonkelFix booking site will be down for planned maintenance on Sunday 02:00–04:00 CET. Walk-ins are "
      "welcome as usual."),
    C("n34", "x:@hacker_hanna", "post", "nl", [],
      "Weer een datalek, nu bij een Duitse elektronica-webshop. Heb meteen tweestapsverificatie aangezet bij Fonkelfoon, "
      "was in twee minuten geregeld."),
    C("n36", "x:@wouter_op_wielen", "post", "nl", [],
      "Nova 12 van Fonkelfoon werkt perfect, alleen mijn provider heeft nog steeds geen 5G in mijn straat 🙄"),
    C("n40", "tiktok:@jesse_werkplaats", "post", "nl", [],
      "Dagje werkplaats: 23 schermen vervangen, 11 accu's en één telefoon die in de soep was gevallen 🍜 "
      "#werkplaatsleven"),
    C("n41", "x:@reparatiekoen", "post", "en", [],
      "Tip from the repair bench: once battery health drops under 80%, a battery replacement (€69 at ours) is way "
      "cheaper than a new phone.", price=("battery replacement", 69)),
    C("n42", "linkedin:yasmina-bouzid", "post", "nl", [],
      "Vandaag 12 nieuwe collega's welkom geheten in onze werkplaats in Utrecht 💪 Fijn dat jullie er zijn! #onboarding"),
    C("n44", "instagram:@merel.maakt", "post", "nl", [],
      "Mijn zusje heeft mijn telefoon 'gehackt' en mijn achtergrond veranderd in een foto van haar kat 😂 die camera van "
      "de Nova 13 is wel echt scherp"),
    C("n45", "x:@pieter_planning", "post", "en", [],
      "Called +31 30 799 4410 about my trade-in and had an answer within two minutes. Well done Fonkelfoon."),
    C("n47", "reddit:u/frugal_frits", "post", "en", [],
      "Fonkelfoon vs buying used on marketplaces: you pay maybe 20% more, but you get 24 months warranty and a fresh "
      "battery. Worth it for me."),
    C("n48", "x:@student_sanne", "post", "nl", [],
      "Met 10% studentenkorting €386 betaald voor de Nova 12. Heel blij mee!", price=("Nova 12", 386)),
    C("n49", "x:@calm_carl", "post", "en", [],
      "No recall, no scandal, just a phone that works. Two years on my Fonkel Orbit 5 and still going strong."),
    C("n50", "x:@fonkelfoon_help", "reply", "nl", [],
      "@jorisdb Hoi Joris, we hebben geen aanwijzingen dat er gegevens bij ons zijn weggelekt. Stuur die mail gerust "
      "door naar klantenservice@fonkelfoon.nl, dan kijken we met je mee.", date="2026-11-28T10:03:55Z"),
    C("n51", "reddit:u/learning_lisa", "post", "en", [],
      "Learning about JWTs. Do they always start with eyJ? Saw it mentioned in a FonkelFix engineering blog post and "
      "now I can't unsee it"),
    C("n52", "facebook:priscilla.m", "post", "nl", [],
      "Waarom vraagt Fonkelfoon niet om mijn BSN bij het aanvragen van een Flex abonnement? Andere leasebedrijven doen "
      "dat wel. Prima hoor, vraag me het gewoon af"),
    C("n53", "linkedin:daan-kuipers-fonkelfoon", "post", "en", [],
      "Nice to see our published 2025 annual report picked up by the financial press this week. Thanks to the whole team."),
    C("n54", "x:@jan_de_wit_", "post", "nl", [],
      "Volgens de Fonkelfoon-site klopt mijn IBAN {{BAD_IBAN_2}} niet. Heb hem letterlijk van mijn pas overgetypt… "
      "oh wacht, ik zie het al, cijfertje verkeerd"),
    C("n55", "x:@mia_m", "post", "en", [],
      "lol my card got rejected at the fonkelfoon checkout: typed {{BAD_CARD_2}}. turns out I swapped two digits 🙃"),
    C("n56", "x:@scriptie_sophie", "post", "nl", [],
      "pers@fonkelfoon.nl reageerde binnen een uur op mijn vraag voor mijn scriptie over circulaire elektronica 🙏"),
    C("n57", "reddit:u/overthinker_ollie", "post", "en", [],
      "FonkelCare for €79, worth it? My last phone died two weeks after the warranty ended.", price=("FonkelCare", 79)),
    C("n58", "x:@beursbeer", "post", "nl", [],
      "Jaarcijfers 2026 van Fonkelfoon zijn best sterk: 21% groei in een krimpende markt.",
      date="2027-02-25T12:05:00Z"),
    C("n59", "instagram:@naturelover_nienke", "post", "nl", [],
      "Voor het eerst een kolibrie gezien in de dierentuin 😍 Foto gemaakt met mijn Nova 13 van Fonkelfoon, kijk die "
      "details"),
    C("n60", "tiktok:@fonkelfix", "post", "nl", [],
      "POV: je brengt je telefoon met een gebarsten scherm binnen en krijgt hem een uur later als nieuw terug ✨ "
      "#fonkelfix"),
    C("n61", "x:@hugo_h", "post", "en", [],
      "Small scratch on my Orbit 6 when it arrived. Sent a pic, they sent a voucher within the hour. No drama. That's "
      "how you do it @fonkelfoon"),
    C("n62", "x:@oma_truus", "post", "nl", [],
      "Gebeld naar 0800-3665 omdat mijn telefoon niet wilde opladen en binnen 5 minuten geholpen. Chapeau!"),
    C("n63", "x:@fleur_fietst", "post", "nl", [],
      "Die reparateur bij FonkelFix Haarlem is een beest, in 20 minuten klaar en nog uitgelegd wat er mis was ook"),
    C("n64", "x:@lotte_fonkel", "post", "en", [],
      "As our status page says: the shop is back up after this morning's outage. Thanks for bearing with us 🙏"),
    C("n65", "facebook:FonkelfoonNL", "post", "nl", [],
      "Groningen, we komen eraan! 🎉 Vanaf zaterdag vind je ons ook aan de Herestraat, met een werkplaats waar je kunt "
      "meekijken."),
    C("n66", "x:@dataloos", "post", "en", [],
      "Quick q: does FonkelFix do data transfer from an old phone for €39 or is that extra on top of the repair?",
      price=("data transfer", 39)),
    C("n67", "x:@tweakerbas", "post", "nl", [],
      "Tip voor de mensen die een AWS-key zoeken in hun code: in de docs staat AKIAIOSFODNN7EXAMPLE, die mag je gewoon "
      "plakken. Echte keys nooit. Geldt ook voor je Fonkelfoon-account wachtwoord trouwens 😉"),
]


# --------------------------------------------------------------------------- build
SHORT = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt", "youtube": "yt",
         "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fr", "other": "ot"}


def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = (platform + ":" + handle).lower()
    if key in [a.lower() for a in profile["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in profile["accounts"]["employee"]]:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"(?<![\w-])((?:\d[ -]?){12,18}\d)(?![\w-])")
NINE_RE = re.compile(r"(?<![\w.,-])(\d{9})(?![\w.,-])")


def checked_identifiers(text, profile):
    """Identifiers in text that pass their checksum (company's own IBANs excluded)."""
    t = norm(text)
    own = {re.sub(r"\s", "", i).upper() for i in profile["public_identifiers"]["ibans"]}
    found = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(1))
        if iban_ok(v) and v not in own:
            found.append(("iban", v))
    for m in CARD_RE.finditer(t):
        if luhn_ok(m.group(1)):
            found.append(("card", m.group(1)))
    for m in NINE_RE.finditer(t):
        if bsn_ok(m.group(1)):
            found.append(("bsn", m.group(1)))
    return found


def severity_for(cats, role, has_checked_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                x = 3
                if c in (SEC, PRI) or (c == PII and has_checked_id):
                    x = 4
            else:
                x = 2
        elif c == COM:
            x = 2
        elif c == CRI:
            x = 3
        elif c == ABU:
            x = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lvl = max(lvl, x)
    return SEV[lvl]


def build():
    rng = random.Random(SEED)
    profile = load_profile()
    g = Gen(rng)
    values = make_values(g)
    values["COMPANY_IBAN"] = fmt4(profile["public_identifiers"]["ibans"][0])

    order = list(range(len(CASES)))
    rng.shuffle(order)
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 28, tzinfo=dt.timezone.utc) - start).total_seconds())

    lines, meta = [], []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        text = re.sub(r"\{\{([A-Z0-9_]+)\}\}", lambda m: values[m.group(1)], c["text"])
        created = c["opt"].get("date")
        if not created:
            created = (start + dt.timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(profile, platform, handle)
        cats = sorted(set(c["cats"]))
        has_checked = PII in cats and bool(checked_identifiers(text, profile))
        post = {
            "id": "%s-236%03d" % (SHORT[platform], n),
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
            "brand": "fonkelfoon",
        }
        lines.append(json.dumps({"post": post, "expect": {"categories": cats,
                                                          "severity": severity_for(cats, role, has_checked)}},
                                ensure_ascii=False))
        meta.append(dict(c, role=role, text_out=text, created=created))
    return lines, meta, values, profile


# --------------------------------------------------------------------------- checks
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif s.strip().startswith("+31"):
        d = "0" + d[2:]
    return d


def aliases(profile):
    out = []
    for p in profile["products"]:
        for a in [p["name"]] + p["aliases"]:
            out.append((a, float(p["list_price"])))
    return out


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro", re.I)


def check(lines, meta, values, profile):
    errors = []

    def fail(msg):
        errors.append(msg)

    # profile sanity
    acc = profile["accounts"]
    if len(acc["corporate"]) < 6 or len(acc["employee"]) < 8:
        fail("profile: too few accounts")
    if len({a.split(":")[0] for a in acc["corporate"] + acc["employee"]}) < 4:
        fail("profile: too few platforms")
    for i in profile["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            fail("profile: public IBAN fails mod-97: " + i)
    if len(profile["internal"]["codenames"]) != 3 or len(profile["internal"]["markers"]) != 3:
        fail("profile: need 3 codenames and 3 markers")
    for e in profile["embargo"]:
        if not str(e["until"]).startswith("2027"):
            fail("profile: embargo until not in 2027")
    if not 15 <= len(profile["products"]) <= 25:
        fail("profile: product count")
    if any(p["currency"] != "EUR" for p in profile["products"]):
        fail("profile: currency")
    if profile["pricing"]["alert_below_ratio"] != 0.5:
        fail("profile: alert_below_ratio")

    if not 170 <= len(lines) <= 180:
        fail("case count %d not in 170..180" % len(lines))
    ids = set()
    own_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    all_aliases = aliases(profile)
    emb = [(t.lower(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    lang_n = {"nl": 0, "en": 0}
    cat_n = {c: 0 for c in CATS}
    benign = 0

    for line, m in zip(lines, meta):
        key = m["key"]
        try:
            obj = json.loads(line)
        except ValueError as ex:
            fail("%s: invalid JSON %s" % (key, ex)); continue
        if set(obj) != {"post", "expect"}:
            fail(key + ": top-level keys")
        p, e = obj["post"], obj["expect"]
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                fail("%s: missing %s" % (key, f))
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            fail(key + ": id")
        if p["id"] in ids:
            fail(key + ": duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            fail(key + ": platform/kind")
        if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
            fail(key + ": account.handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            fail(key + ": text")
        if "{{" in p["text"]:
            fail(key + ": unreplaced placeholder")
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None:
                fail(key + ": created_at without offset")
        except ValueError:
            fail(key + ": created_at not RFC 3339"); continue
        if ts.year not in (2026, 2027):
            fail(key + ": year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            fail(key + ": categories")
        if e["severity"] not in SEV:
            fail(key + ": severity value")
        if (not cats) != (e["severity"] == "none"):
            fail(key + ": benign <=> none")
        lang_n[p["lang"]] += 1
        for c in cats:
            cat_n[c] += 1
        benign += not cats

        role = role_of(profile, p["platform"], p["account"]["handle"])
        if role != m["role"]:
            fail(key + ": role mismatch")
        t = norm(p["text"])
        tl = t.lower()

        # severity recomputed from scratch
        chk = checked_identifiers(p["text"], profile)
        want = severity_for(cats, role, PII in cats and bool(chk))
        if want != e["severity"]:
            fail("%s: severity %s != %s" % (key, e["severity"], want))

        # identifiers
        if PII in cats:
            for mm in IBAN_RE.finditer(t):
                if not iban_ok(mm.group(1)):
                    fail("%s: IBAN in positive fails mod-97: %s" % (key, mm.group(1)))
            for mm in CARD_RE.finditer(t):
                if not luhn_ok(mm.group(1)):
                    fail("%s: card-like number in positive fails Luhn: %s" % (key, mm.group(1)))
            for mm in re.finditer(r"bsn\D{0,3}(\d{9})", t, re.I):
                if not bsn_ok(mm.group(1)):
                    fail("%s: BSN in positive fails 11-proof" % key)
        if not cats:
            own_ibans = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}
            for mm in IBAN_RE.finditer(t):
                v = re.sub(r"\s", "", mm.group(1))
                if iban_ok(v) and v not in own_ibans:
                    fail("%s: benign contains a valid IBAN" % key)
            for mm in CARD_RE.finditer(t):
                if luhn_ok(mm.group(1)):
                    fail("%s: benign contains a Luhn-valid number %s" % (key, mm.group(1)))
            for mm in NINE_RE.finditer(t):
                if bsn_ok(mm.group(1)):
                    fail("%s: benign contains an 11-proof number" % key)
            for mm in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
                if mm.group(0).lower() not in own_emails:
                    fail("%s: benign contains a foreign e-mail %s" % (key, mm.group(0)))
            t_noiban = IBAN_RE.sub(" ", t)
            for mm in re.finditer(r"(?:\+31|0031|(?<!\d)0)[\d ()\-]{7,15}\d", t_noiban):
                if phone_digits(mm.group(0)) not in own_phones:
                    fail("%s: benign contains a phone-like number %s" % (key, mm.group(0)))
            for mm in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if gh_token_ok(mm.group(0)):
                    fail(key + ": benign contains a valid GitHub token")
            for mm in re.finditer(r"AKIA[A-Z2-7]{16}", t):
                if not mm.group(0).endswith("EXAMPLE"):
                    fail(key + ": benign contains a non-sample AWS key id")
            if re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", t):
                fail(key + ": benign contains a JWT")
            if re.search(r"(sk_live_[0-9A-Za-z]{10}|xox[bpa]-\d|glpat-[\w-]{20}|AIza[\w-]{35}|sk-ant-|sk-proj-"
                         r"|BEGIN [A-Z ]*PRIVATE KEY|live_[0-9A-Za-z]{30})", t):
                fail(key + ": benign contains a live-looking secret")
            for cn in profile["internal"]["codenames"] + profile["internal"]["markers"]:
                if cn.lower() in tl and " " in cn:
                    fail(key + ": benign contains codename/marker " + cn)
            for d in profile["internal"]["domains"]:
                if d.lower() in tl:
                    fail(key + ": benign contains internal domain " + d)

        # secrets
        if SEC in cats:
            for mm in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if not gh_token_ok(mm.group(0)):
                    fail(key + ": GitHub token checksum")
            for mm in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
                hdr = json.loads(b64url_decode(mm.group(0).split(".")[0]))
                if "alg" not in hdr:
                    fail(key + ": JWT header without alg")
            for mm in re.finditer(r"AKIA[A-Z2-7]{16}", t):
                if mm.group(0).endswith("EXAMPLE"):
                    fail(key + ": sample AWS key in positive")

        # embargo
        for term, until in emb:
            if term in tl:
                if ts < until and CON not in cats:
                    fail("%s: embargoed term '%s' before until without leak.confidential" % (key, term))
                if not cats and ts < until:
                    fail("%s: benign embargo term before until" % key)
        if ts.year == 2027 and not any(term in tl for term, _ in emb):
            fail(key + ": 2027 date without embargo term")

        # pricing
        price = m["opt"].get("price")
        found = [(a, lp) for a, lp in all_aliases if a.lower() in tl]
        if PRI in cats:
            if not price:
                fail(key + ": pricing positive without price annotation")
            else:
                a, amount = price
                lp = dict(all_aliases)[a]
                if a.lower() not in tl or not amount < 0.5 * lp:
                    fail(key + ": pricing positive not below ratio")
        elif found:
            amounts = [float((x or y).replace(",", ".")) for x, y in PRICE_RE.findall(t)]
            top = max(lp for _, lp in found)
            for amt in amounts:
                if amt < 0.5 * top:
                    fail("%s: non-pricing case mentions %s next to a product" % (key, amt))

    # mix
    if benign < 55 or benign > 65:
        fail("benign count %d" % benign)
    targets = {COM: 20, CON: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
    for c, n in targets.items():
        if abs(cat_n[c] - n) > 3:
            fail("category %s count %d far from %d" % (c, cat_n[c], n))
    share_nl = lang_n["nl"] / float(len(lines))
    if not 0.50 <= share_nl <= 0.60:
        fail("Dutch share %.2f" % share_nl)
    return errors, cat_n, lang_n, benign


def main():
    lines, meta, values, profile = build()
    lines2, _, _, _ = build()
    if lines != lines2:
        print("FAIL: build is not deterministic")
        return 1
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # re-read the file to check exactly what was written
    with open(OUT_PATH, encoding="utf-8") as f:
        written = [l for l in f.read().split("\n") if l]
    errors, cat_n, lang_n, benign = check(written, meta, values, profile)
    # values sanity: generated positives pass, look-alikes fail
    for k in ("IBAN_A", "IBAN_B", "IBAN_C"):
        if not iban_ok(values[k]):
            errors.append("generated %s fails" % k)
    for k in ("CARD_A", "CARD_B"):
        if not luhn_ok(values[k]):
            errors.append("generated %s fails" % k)
    if not bsn_ok(values["BSN_A"]):
        errors.append("generated BSN fails")
    for k in ("BAD_IBAN_1", "BAD_IBAN_2"):
        if iban_ok(values[k]):
            errors.append("look-alike %s passes" % k)
    for k in ("BAD_CARD_1", "BAD_CARD_2"):
        if luhn_ok(values[k]):
            errors.append("look-alike %s passes" % k)
    if bsn_ok(values["BAD_BSN"]):
        errors.append("look-alike BSN passes")
    if not gh_token_ok(values["GHP"]):
        errors.append("generated GitHub token fails CRC")

    print("cases: %d, benign: %d, nl: %d, en: %d" % (len(written), benign, lang_n["nl"], lang_n["en"]))
    print("categories: " + ", ".join("%s=%d" % kv for kv in sorted(cat_n.items())))
    if errors:
        for e in errors:
            print("FAIL: " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
