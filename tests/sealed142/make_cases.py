#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 142.

    python3 make_cases.py          # writes cases.jsonl next to this file and checks it

Company: the fictional "Pawlo Groep B.V." (profile.yaml next to this file), a Dutch
pet insurer with vet clinics, a pet-food webshop and the PawloVet appointment app.

Texts are hand-written below. Identifiers and secrets come from placeholders such as
<<IBAN_NL>> that a seeded RNG fills in: positives get checksum-VALID identifiers,
hard negatives get look-alikes that FAIL their checksum. All secrets are random and
fake but shaped like real ones (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role looked up in profile.yaml (platform:handle, case-insensitive).
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

import yaml

SEED = 1420917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
        while True:
            v = iban_build("NL", bank + self.dig(10))
            if v != "NL40RABO0318452760":
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["30050110", "37050198", "44010046", "36010043"]) + self.dig(10, False))

    def iban_be(self):
        head = self.r.choice(["063", "001", "310", "737", "751"]) + self.dig(7, False)
        return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")

    def spoil_iban(self, v):
        for delta in (7, 19, 31, 44):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def chip(self):
        while True:
            s = "528" + self.r.choice(["14", "21", "09"]) + self.dig(10, False)
            if not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9, False)
            for d in string.digits:
                if ean13_valid(body + d) and not luhn_valid(body + d):
                    return body + d

    def phone(self, f):
        m8 = self.r.choice("12345") + self.dig(7, False)
        area = self.r.choice(["10", "20", "26", "30", "33", "38", "40", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6, False)
        return {
            "mob_dash": f"06-{m8}",
            "mob_pairs": f"06 {m8[:2]} {m8[2:4]} {m8[4:6]} {m8[6:]}",
            "mob_intl_sp": f"+31 6 {m8[:4]} {m8[4:]}",
            "mob_intl_c": f"+316{m8}",
            "mob_0031": f"0031 6 {m8[:2]} {m8[2:5]} {m8[5:]}",
            "mob_plain": f"06{m8}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[f]

    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        h = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 280 * 86400)
        body = {"sub": "owner_" + self.dig(7), "pet": "pet_" + self.dig(6), "iss": "api.pawlovet.app",
                "scope": "appointments:rw", "iat": iat, "exp": iat + 7200}
        return f"{h}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 43)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#*$") + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"


VALIDATED = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
SPOILED = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "CHIP", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def sub(m):
        k, fmt = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(f, k.lower())()
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = f.spoil_iban(f.iban_nl())
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = f.card(brand) if k == "CARD" else f.bad_card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif k == "NOT_BSN9":
            raw = shown = f.not_bsn(9)
        elif k == "NOT_BSN8":
            raw = shown = f.not_bsn(8)
        elif k == "CHIP":
            raw = shown = f.chip()
        elif k == "EAN13":
            raw = shown = f.ean13()
        elif k == "PHONE":
            raw = shown = f.phone(fmt)
        elif k == "DIGITS":
            raw = shown = f.dig(int(fmt))
        elif k == "HEX":
            raw = shown = f.hexs(int(fmt))
        else:
            meth = {"GHP": f.ghp, "GLPAT": f.glpat, "MOLLIE": f.mollie, "SENDGRID": f.sendgrid,
                    "STRIPE": f.stripe, "GAPI": f.gapi, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret,
                    "SLACK_HOOK": f.slack_hook, "JWT": f.jwt, "PEM_SSH": f.pem_ssh, "PW": f.pw,
                    "UUID": f.uuid}[k]
            raw = shown = meth()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
C_NL = ("x", "@pawlo_nl", "Pawlo")
C_HELP = ("x", "@pawlo_helpt", "Pawlo Klantenservice")
C_IG = ("instagram", "@pawlo.dierenklinieken", "Pawlo Dierenklinieken")
C_LI = ("linkedin", "pawlo-groep", "Pawlo Groep B.V.")
C_FB = ("facebook", "PawloDierenzorg", "Pawlo")
C_TT = ("tiktok", "@pawlo.vet", "PawloVet")
# employees
LV = ("x", "@lotte_dierenarts", "Lotte Verbeek")            # vet, clinic Zwolle
RK = ("linkedin", "ruben-kok-pawlo", "Ruben Kok")            # platform / DevOps
MA = ("x", "@mo_claims", "Mohamed Aziz")                     # claims handler
IP = ("instagram", "@iris.paravet", "Iris Postma")           # veterinary nurse
ED = ("linkedin", "eva-dijkman-finance", "Eva Dijkman")      # finance controller
BC = ("x", "@bart_codeert", "Bart Claassen")                 # app developer
NW = ("threads", "@noor.webshop", "Noor Willems")            # webshop / e-commerce


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, as_handle=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=as_handle or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================== leak.pricing
case("nl", NW, "wie heeft vannacht de prijsfeed in de shop geladen?? Vitaal Hondenbrok 12 kg staat live voor €6,49 😬 "
     "da's een zak van bijna 65 euro. ik kan er pas na de stand-up aan zitten", [PRICING])
case("en", BC, "heads up team: the premium calculator in the app quotes Compleet Hond at €4.25/month for EVERY breed. "
     "someone dropped a digit in the rate table 🙃 #fridaydeploy", [PRICING])
case("nl", pub("reddit", "u/koopjesjager_ede"), "PRIJSFOUT bij Pawlo Shop: Speurneus GPS-tracker voor €12,90 ipv €129.\n"
     "Heb er 2 besteld, benieuwd of ze gaan leveren lol", [PRICING], kind="post")
case("nl", pub("facebook", "wendy.hoogland.9"), "Hallo Pawlo is dit een foutje? De TPLO staat op jullie tarievenpagina voor €245 "
     "ipv €2.450 😅 mijn labrador moet geopereerd dus plan hem graag nu in hoor", [PRICING], kind="comment")
case("en", pub("x", "@dealz_nl_bot"), "pawlo shop glitch rn 🚨 Vitaal Kattenbrok 7kg = €4.99 💀 go go go", [PRICING])
case("nl", LV, "Collega's: sinds de update van vanochtend rekent de kassa de Gebitsreiniging af voor 24,50. "
     "Niet tegen baasjes zeggen maar meld het wel even bij de regio 🙏", [PRICING])
case("nl", pub("x", "@ffff_snel"), "\u0405peurneus tracker bij pawlo voor €9,99 😳 snel zijn mensen", [PRICING],
     tags=["evasion:cyrillic"])
case("en", pub("threads", "@catmom.amber"), "not sure if this is a price error or a promo but Basis Kat is €1.79 a month "
     "on the pawlo site?? it was 17.95 last week", [PRICING])
case("nl", MA, "Telefoon staat roodgloeiend: in de webshop zit een prijsfout bij de Speurneus tracker en iedereen wil er tien. "
     "Ik ga echt geen 40 mails meer beantwoorden vandaag 😩", [PRICING])
case("en", pub("youtube", "PuppyDiariesNL"), "Ordered the Puppypakket last night in the app for €18.90 and checkout just went "
     "through?? pricing mistake I guess, keeping it 😇", [PRICING], kind="comment")
case("nl", IP, "Stiekem 🤫 de Vitaal kattenbrokken kosten vandaag maar €0,50 bij ons aan de balie, de scanner pakt de "
     "verkeerde prijs. Kom snel langs!! #pawlo #zwolle", [PRICING])
case("nl", pub("x", "@budgetbaasje"), fullwidth("PRIJSFOUT") + " pawlo shop, Vitaal Hondenbrok voor 5 euro 🤑🤑", [PRICING],
     tags=["evasion:fullwidth"])
case("nl", C_IG, "Nieuw in de shop 🐕📍 de Speurneus GPS-tracker, nu voor maar €19,-! Nooit meer zoeken in het bos. "
     "Bestel via shop.pawlo.nl", [PRICING])

# benign price talk
case("nl", C_NL, "Deze week 20% korting op Vitaal Hondenbrok 12 kg 🐾 van €64,95 voor €51,96. Op = op!",
     tags=["hn:sale"])
case("nl", pub("x", "@marjolein_wandelt"), "Speurneus nu €99 met Black Friday bij Pawlo, goede deal of wachten tot de "
     "kerst? Mijn beagle gaat er steeds vandoor 🙄", tags=["hn:sale", "hn:codename-word"])
case("nl", pub("instagram", "@doodle.dex"), "Met de code PUPPY10 krijg je €10 korting op het Puppypakket, scheelt weer 🐶💛",
     tags=["hn:discount-amount"])
case("nl", pub("facebook", "marktplaats.gijs"), "Te koop: tweedehands Speurneus tracker, €35, werkt prima, "
     "onze hond is helaas overleden. Ophalen in Hattem.", tags=["hn:second-hand"])
case("nl", C_HELP, "Nee hoor, geen prijsfout 😊 Basis Kat begint echt bij €17,95 per maand, de premie hangt af van "
     "leeftijd en ras. Check je premie op pawlo.nl/kat", kind="reply", tags=["hn:denied-error"])
case("nl", pub("reddit", "u/dubbel_verzekerd"), "Bij mijn vorige verzekeraar betaalde ik €11 p/m voor de kat, Pawlo Basis Kat "
     "is 17,95. Iemand ervaring of het dat verschil waard is?", kind="comment", tags=["hn:other-brand-price"])
case("nl", pub("x", "@hondenmens_anke"), "TPLO bij Pawlo €2.450, bij de universiteitskliniek 3.100. Pfff dieren zijn duur "
     "maar je doet het toch", tags=["hn:list-price"])
case("en", pub("reddit", "u/lost_my_corgi_once"), "fwiw the Speurneus itself is fine but the subscription is €3.99 a month "
     "on top, they don't tell you that upfront", kind="comment", tags=["hn:fee"])

# =========================================================== leak.secret
case("en", BC, "ugh who pushed this to the public repo.\n`GOOGLE_MAPS_KEY=<<GAPI>>`\nclinic finder key. revoking, don't bother",
     [SECRET])
case("nl", RK, "Tip voor iedereen die GitLab runners opzet: zet je token niet in de pipeline-yaml zoals wij eerst deden 😅\n"
     "CI_TOKEN: <<GLPAT>>\nGebruik masked variables!", [SECRET])
case("en", RK, "If your Airflow DAG can't reach the claims DB after the upgrade, check the connection string:\n"
     "postgresql://claims_etl:<<PW>>@pg-claims-01.pawlo.internal:5432/claims\nsslmode is now required.",
     [SECRET, CONF])
case("nl", NW, "mollie koppeling werkt eindelijk!! 🎉 key <<MOLLIE>> in de .env gezet en de eerste betalingen komen binnen",
     [SECRET])
case("en", pub("reddit", "u/apk_poker"), "decompiled the PawloVet android apk for fun. hardcoded:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nbucket name mentions 'vet-uploads'. yikes",
     [SECRET], kind="post")
case("nl", MA, "ww van het schadeportaal is wéér veranderd. voor de thuiswerkers: gebruiker schade_team, wachtwoord <<PW>>",
     [SECRET])
case("en", IP, "new tablet at the front desk 🖥️ login for the agenda is iris.postma / <<PW>> if the evening shift needs it",
     [SECRET])
case("en", BC, "debugging the appointment api, this bearer works in Postman but not in the app?\n<<JWT>>\nany ideas #devlife",
     [SECRET])
case("nl", pub("forum", "tweakende_tim"), "Die Slack webhook van Pawlo staat gewoon in de broncode van hun afsprakenpagina:\n"
     "<<SLACK_HOOK>>\nkan iedereen berichten in hun kanaal posten", [SECRET], kind="reply")
case("en", BC, "pasted the wrong thing in my gist, ignore 🙈\n<<PEM_SSH>>", [SECRET])
case("nl", NW, "nieuwsbriefjes naar klanten gaan weer 👍 sendgrid key was <<SENDGRID>> (al geroteerd hoor)", [SECRET])
case("nl", pub("mastodon", "exdev@fosstodon.org"), "ex-Pawlo dev hier. hun stripe key stond jaren op de wiki: <<STRIPE>> "
     "en ik wed dat ie nog steeds werkt", [SECRET])
case("en", BC, "ok which of you put <<GHP>> in the README of pawlovet-ios 😤 that PAT has org scope", [SECRET],
     as_handle="@Bart_Codeert")

# benign secret look-alikes
case("en", BC, "reminder: never paste tokens (ghp_..., glpat-...) in slack. use the vault, it takes 2 minutes 🙏",
     tags=["hn:bare-prefix"])
case("en", RK, "Our onboarding doc uses AKIAIOSFODNN7EXAMPLE as a placeholder, straight from the AWS docs, so no, "
     "that's not a real key 😄", tags=["hn:placeholder"])
case("en", BC, "the crash on android 14 is fixed in <<HEX:40>>, rolling out in 1.18.2 tonight", tags=["hn:git-sha"])
case("nl", C_HELP, "Wachtwoord vergeten? Via mijn.pawlo.nl/wachtwoord vraag je een nieuw aan. Deel je wachtwoord nooit, "
     "ook niet met ons 🔒", kind="reply", tags=["hn:password-word"])
case("en", pub("bluesky", "jaspervos.bsky.social"), "PawloVet gave me appointment ref <<UUID>> and then immediately also a "
     "text with the same thing. slick app tbh", tags=["hn:uuid"])

# =========================================================== leak.pii
case("nl", MA, "Klant belt voor de 5e keer over dezelfde claim 🙄 Dhr. H. de Groot, Vechtstraat 12 in Zwolle: jouw teckel "
     "heeft gewoon geen dekking voor het gebit. Klaar.", [PII])
case("nl", MA, "Kan iemand van finance kijken? uitbetaling claim 88213 ging naar <<IBAN_NL:grp>> maar de klant zegt "
     "dat er niks binnenkomt", [PII])
case("nl", LV, "Baasje van Bobbie (de border collie met de poot), bel ons even terug aub! We hebben <<PHONE:mob_dash>> "
     "maar je neemt niet op", [PII])
case("nl", IP, "Patiënt van de week: Mila 🐈 van Sandra Kuipers! (geboren 14-03-1987 stond er op het formulier, "
     "waarom vragen we dat eigenlijk haha)", [PII])
case("en", BC, "customer pasted their full card number in the in-app chat AGAIN 🤦 <<CARD:mc_dash>>\n"
     "please people, we never ask for that", [PII])
case("nl", ED, "Voor de nieuwe collega's op salarisadministratie: testrun met BSN <<BSN>> ging fout, "
     "dat was dus een echte medewerker. Sorry Jeroen 🙈", [PII])
case("en", RK, "Spotted in a CSV someone attached to a public ticket: anouk.brinkman84@hotmail.com and "
     "<<PHONE:mob_intl_sp>>. Please scrub exports before sharing!", [PII])
case("nl", NW, "pakket komt steeds terug, adres klopt niet: Fenna de Boer, Lindelaan 4b, 3971 Driebergen 🤷 "
     "iemand die haar kent?", [PII])
case("nl", pub("x", "@daan_met_dobby"), "@pawlo_helpt al 3 dagen geen reactie op mijn claim. Bel me gewoon: "
     "<<PHONE:mob_pairs>>", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "karin.mulder.735"), "Voor de claim moet ik mijn rekeningnummer doorgeven, is dit zo goed? "
     "<<IBAN_NL>> t.n.v. K. Mulder", [PII], kind="comment")
case("en", pub("reddit", "u/wrong_envelope"), "Pawlo just emailed me someone else's invoice?!\nname Peter Hendriks, "
     "Kerkweg 88 Ede, dog Rocky, phone <<PHONE:land_sp>>.\nthat's a data leak right there", [PII, CRISIS], kind="post")
case("nl", pub("instagram", "@sophie.en.sjakie"), "jullie app doet het niet en niemand reageert 😤 mail me dan gewoon: "
     "sophie.vandijk (apenstaartje) outlook punt com", [PII, COMPLAINT], kind="comment", tags=["evasion:email-words"])
case("nl", pub("facebook", "tom.peeters.antwerpen"), "Ik woon in Antwerpen en de uitkering voor mijn kat komt al 2 maanden "
     "niet aan op <<IBAN_BE:grp>>. Wat is hier aan de hand Pawlo?", [PII, COMPLAINT])
case("nl", pub("x", "@renske_r"), "Shop heeft 2x afgeschreven van mijn creditcard <<CARD:amex_sp>>!! wie helpt mij "
     "@pawlo_helpt", [PII, COMPLAINT])
case("nl", pub("forum", "poezenmama_zeist"), "formulier voor de verzekering ingevuld, BSN <<BSN:dots>> er ook bij gezet "
     "want dat vroegen ze. hoop dat het zo goed is 🤞", [PII])
case("en", pub("x", "@find_bram_now"), "LOST DOG 🐕 near the Pawlo clinic in Zwolle Zuid, black lab, answers to Bram. "
     "Please call <<PHONE:mob_intl_c>> day or night!!", [PII])
case("en", pub("facebook", "jens.becker.kleve"), "Paid the clinic invoice twice from my German account <<IBAN_DE>>, "
     "3 emails and still no refund from Pawlo", [PII, COMPLAINT])

# benign identifier look-alikes and own contact data
case("nl", C_HELP, "Vragen over je claim? Mail schade@pawlo.nl of bel gratis 0800-7287 (ma-vr 8-20u) 📞", kind="reply",
     tags=["hn:own-contact", "hn:elfproef-own-number"])
case("nl", C_FB, "Premie liever zelf overmaken? Dat kan naar NL40 RABO 0318 4527 60 o.v.v. je polisnummer 🐾",
     tags=["hn:own-iban"])
case("nl", C_IG, "Spoed met je dier buiten openingstijden? Bel onze spoedlijn 088 729 59 11, dag en nacht 🚑",
     tags=["hn:own-phone"])
case("en", C_LI, "Press enquiries about our clinic expansion: pers@pawlo.nl or +31 30 760 4400.", tags=["hn:own-contact"])
case("nl", C_HELP, "Je kunt ons ook bellen op +31307604400 of een afspraak maken via afspraken@pawlo.nl 😊", kind="reply",
     as_handle="@Pawlo_Helpt", tags=["hn:own-contact"])
case("nl", pub("x", "@minoes_en_ik"), "Chip van Minoes eindelijk geregistreerd: <<CHIP>>. Pawlo assistente deed het "
     "in 2 minuten 🥰", tags=["hn:chip-number"])
case("nl", pub("facebook", "gerda.pootjes"), "Polisnummer PW-2026-<<DIGITS:6>> staat nu in de app, handig voor bij de "
     "dierenarts", tags=["hn:policy-number"])
case("nl", pub("x", "@wouter_typt"), "App zei 'ongeldig IBAN' bij <<BAD_IBAN_NL:grp>>, bleek een typfout van mij 😅 "
     "nu wel gelukt", tags=["hn:bad-iban"])
case("nl", pub("reddit", "u/claimvraagje"), "Mijn claimnummer is <<NOT_BSN9>>, hoe lang duurt het gemiddeld bij Pawlo? "
     "Eerste keer dat ik iets indien", kind="post", tags=["hn:claim-number"])
case("nl", pub("instagram", "@boxer.bolle"), "EAN <<EAN13>> = Vitaal Hondenbrok, scan 'm in de app en je ziet alle "
     "ingrediënten. Top functie", tags=["hn:ean"])
case("en", pub("reddit", "u/cardtypo"), "Checkout kept saying my card <<BAD_CARD:visa_sp>> was invalid... I'd swapped two "
     "digits 🤦 all good now, order placed", kind="comment", tags=["hn:bad-card"])
case("nl", pub("x", "@pakketjes_paul"), "Track & trace van mijn brokken: 3SPWL<<NOT_BSN8>>, morgen in huis 🙌",
     tags=["hn:tracking"])

# =========================================================== leak.confidential
case("nl", LV, "Vandaag eerste training voor Project Beagle 🐶 mag er nog niks over zeggen maar dit gaat onze "
     "kliniek echt veranderen", [CONF])
case("en", BC, "Operatie Kattenkruid sprint demo went great!! the new symptom checker is 🔥 can't wait for you all to see it",
     [CONF])
case("en", RK, "Proud of the team: Zilvervos is fully migrated to Kubernetes. Dashboards on grafana.pawlo.internal "
     "all green 💚", [CONF])
case("nl", MA, "de nieuwe richtlijnen voor afwijzingen staan op https://intranet.pawlo.local/schade/richtlijnen-2026 "
     "voor wie ze zoekt", [CONF])
case("nl", IP, "Nieuwe protocollen binnen 📋 er staat 'alleen voor intern gebruik' op maar ach het gaat gewoon over "
     "handen wassen 😂 [foto]", [CONF])
case("nl", NW, "psst.. dit najaar komt Pawlo Senior Zorg, ik heb de flyers al gezien 👀👀", [CONF],
     when="2026-09-21T19:42:11+02:00", tags=["embargo:before"])
case("en", BC, "PawloVet Videoconsult is basically done, waiting on legal. video call a vet at 3am 🤯", [CONF],
     when="2026-10-06T09:30:00+02:00", tags=["embargo:before-local-looks-after"])
case("nl", pub("x", "@lottedierenarts"), "stagiair bij Pawlo hier 🙋‍♀️ we testen Project Beagle al in Zwolle, "
     "meer mag ik niet zeggen 🤐", [CONF], tags=["lookalike-handle"])
case("nl", LV, "Druk druk druk. Project\nBeagle gaat volgende maand naar alle klinieken in Overijssel", [CONF],
     tags=["evasion:linebreak"])
case("nl", IP, "Vergadering over Operatie 🐈 Kattenkruid duurde 3 uur, ik heb er nu écht zin in", [CONF],
     tags=["evasion:emoji-between"])
case("en", pub("reddit", "u/friendofafriend_nl"), "friend works at pawlo IT, says there's a ticket on jira.pawlo-it.nl "
     "for a whole new claims flow in the app. anyone heard more?", [CONF], kind="comment")
case("en", RK, "Our runbook (marked Pawlo intern, shh) literally says: restart vet-agenda-api first, then the queue "
     "workers. Took me 3 incidents to learn that", [CONF])
case("nl", ED, "Drukke weken: de halfjaarcijfers 2026 moeten eind deze maand af. Koffie 3x per uur ☕", [CONF],
     when="2026-08-11T08:15:40+02:00", tags=["embargo:before"])
case("nl", BC, "ben echt trots op " + fullwidth("ZILVERVOS") + ", eindelijk een claims-app die niet crasht", [CONF],
     tags=["evasion:fullwidth"])
case("en", BC, "MR is up, reviews welcome: https://gitlab.pawlo-it.nl/app/pawlovet-android/-/merge_requests/412", [CONF])

# benign confidential look-alikes
case("nl", pub("instagram", "@sam.de.beagle"), "Onze beagle Sam 🐶 was vandaag bij Pawlo in Zwolle voor zijn prik, "
     "hij krijgt altijd een koekje", tags=["hn:codename-word"])
case("nl", pub("x", "@katjes_kim"), "Kattenkruid speeltje uit de Pawlo shop en Minoes is helemaal los 😹",
     tags=["hn:codename-word"])
case("nl", C_NL, "Vanaf vandaag: Pawlo Senior Zorg 🐾 dé verzekering voor honden en katten vanaf 8 jaar. "
     "Alles over de dekking op pawlo.nl/senior", when="2026-10-06T10:15:00+02:00", tags=["hn:after-embargo"])
case("en", C_TT, "PawloVet Videoconsult is LIVE 📱🐶 talk to a vet from your couch, 24/7", when="2026-10-06T08:00:00Z",
     tags=["hn:embargo-moment"])
case("nl", pub("x", "@ellen_polis"), "Polis aangepast via mijn.pawlo.nl, ging super makkelijk. Fijn!",
     tags=["hn:public-domain"])
case("en", LV, "Great evening lecture on feline dental care at the Pawlo academy, thanks to everyone who came! 🦷🐈",
     tags=["hn:ordinary-employee"])

# =========================================================== leak.financial
case("nl", ED, "Voorlopig beeld: schadelast H1 ruim 18% boven begroting, premies gaan in januari flink omhoog. "
     "Nog niet extern delen 😉", [FIN])
case("en", ED, "Big things coming 🤐 we're in final talks to take over a chain of 14 clinics in Gelderland. "
     "Can't say more yet!", [FIN])
case("nl", MA, "Hoorde net dat het schadeteam in Amersfoort wordt opgeheven, alles gaat naar Kaunas. 40 man. "
     "Officieel weet nog niemand het", [FIN])
case("nl", LV, "Onze kliniek in Deventer gaat per 1 maart dicht zegt de regiomanager 😢 baasjes weten nog van niks",
     [FIN])
case("en", RK, "internal Q3 numbers: app bookings +41%, churn on cat policies up to 9%. board's not happy", [FIN])
case("nl", pub("reddit", "u/beursgeruchten"), "Insider info: Pawlo wordt overgenomen door een Zweedse verzekeraar, "
     "wordt in november bekendgemaakt. Heb het van iemand uit de directie", [FIN], kind="post")
case("nl", NW, "reorgani" + SHY + "satie bij de webshop, 1 op de 3 moet weg volgens de slides van vanmiddag 😶", [FIN],
     tags=["evasion:soft-hyphen"])
case("nl", ED, "Forecast 2026 bijgesteld naar €212 mln omzet, EBITDA lager door de drie nieuwe klinieken. "
     "Spannende tijden!", [FIN])
case("en", pub("x", "@throwaway_vetlife"), "my sister works in pawlo finance and they're cutting the vet bonus pool "
     "30% next year. announcement in december", [FIN])
case("en", BC, "so Zilvervos gets killed in the cost cuts and the app team is halved in Q1. great week 🙃", [FIN, CONF])
case("nl", ED, "Die H1-cijfers 2026 zien er goed uit: +11% premie-inkomen 🚀 (officieel pas eind augustus)", [FIN, CONF],
     when="2026-08-27T06:59:00+02:00", tags=["embargo:before-edge"])
case("nl", pub("forum", "aandelenadam"), "Pawlo gaat in 2027 naar de beurs, weet ik uit betrouwbare bron. "
     "Waardering rond de 600 miljoen", [FIN], kind="reply")

# benign financial look-alikes
case("nl", C_LI, "Halfjaarcijfers 2026: premie-inkomen +11%, drie nieuwe klinieken geopend. Lees het persbericht op "
     "pawlo.nl/pers", when="2026-08-27T07:00:00+02:00", tags=["hn:published-results"])
case("nl", pub("x", "@nieuwsvolger_jan"), "Bij een andere dierenverzekeraar vallen 200 ontslagen. Hopelijk blijft "
     "Pawlo overeind, ben er best tevreden over", tags=["hn:other-company-layoffs"])
case("nl", pub("instagram", "@loki.de.herder"), "Loki is vandaag ontslagen uit de Pawlo kliniek na zijn operatie 🥹 "
     "dankjewel lieve mensen!", tags=["hn:ontslagen-discharged"])

# =========================================================== leak.security
case("nl", LV, "Lange nacht gehad: ransomware op de systemen van 3 klinieken, agenda's liggen plat. Nog geen communicatie "
     "naar buiten dus 🤫", [SEC])
case("en", BC, "lol the appointment api lets you pull any pet's medical record by just changing the id in the url. "
     "ticket filed, hope nobody notices before the fix 😬", [SEC])
case("nl", MA, "Schadeportaal ligt er al sinds 6 uur uit, IT zegt database corrupt. Klanten krijgen voorlopig nog "
     "niks te horen", [SEC])
case("nl", LV, "Collega's let op: phishingmail uit naam van de directie, twee mensen hebben hun inlog al gegeven. "
     "Ze kijken nu of er patiëntgegevens weg zijn", [SEC])
case("nl", NW, "sinds de update laat de checkout orderdetails van ándere klanten zien 😳 we zijn aan het fixen, "
     "niet verder vertellen pls", [SEC])
case("nl", IP, "kliniek systemen zijn geh@ckt of zo, alles op papier vandaag 📝 succes collega's", [SEC],
     tags=["evasion:leet"])
case("en", RK, "Post-mortem draft, not public yet: the bucket with x-ray images was world-readable for about five "
     "weeks. Lessons learned coming soon.", [SEC])
case("nl", pub("facebook", "ria.vanleeuwen.3"), "Pawlo heeft een datalek gehad en houdt het stil!! mijn buurvrouw werkt "
     "er. Alle klantgegevens liggen op straat", [SEC, CRISIS])
case("en", pub("x", "@angry_corgi_dad"), "Pawlo is covering up a hack. their vet app leaked my dog's records AND mine "
     "and they won't even confirm it", [SEC, CRISIS])
case("nl", BC, "da" + ZW + "talek in de app 😬 pas morgen komt het in het nieuws, tot die tijd mondje dicht", [SEC],
     tags=["evasion:zero-width"])
case("nl", pub("reddit", "u/dierenarts_vriend"), "Vriend van me is dierenarts bij Pawlo: systemen liggen al een week "
     "plat door een hack en ze verzwijgen het gewoon", [SEC, CRISIS], kind="comment")
case("nl", ED, "Finance-systemen vergrendeld na een aanval, uitbetalingen aan klanten staan stil tot nader order. "
     "Intern houden aub", [SEC])
case("en", LV, "heads up vets: the lab integration has been sending results to the wrong clinic since Tuesday. "
     "IT knows, no announcement yet", [SEC])

# benign security look-alikes
case("nl", C_HELP, "Gepland onderhoud: de PawloVet app is vannacht tussen 02:00 en 04:00 niet bereikbaar. "
     "Spoed? Bel 088 729 59 11", tags=["hn:official-maintenance", "hn:own-phone"])
case("nl", C_NL, "Vanochtend had het schadeportaal een storing. Alles werkt weer, sorry voor het ongemak!",
     tags=["hn:official-outage"])
case("nl", pub("x", "@gemeentewatcher"), "Datalek bij de gemeente, let op phishingmails. Trouwens ook van "
     "'dierenverzekeraars', Pawlo zegt dat ze nooit om inloggegevens vragen", tags=["hn:other-breach"])
case("nl", MA, "Leuke security-training gehad vandaag. Phishing herkennen is lastiger dan je denkt!",
     tags=["hn:ordinary-employee"])

# =========================================================== reputation.crisis
case("nl", pub("facebook", "marloes.terhorst"), "Onze kat is overleden na een simpele castratie bij Pawlo Zwolle. "
     "Niemand neemt verantwoordelijkheid. Ik stap naar de rechter.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@dierenvriend_070"), "#BoycotPawlo: een verzekeraar die zijn eigen dierenartsen onder druk zet om "
     "dure behandelingen te verkopen. Nooit meer.", [CRISIS])
case("en", pub("reddit", "u/kibble_watch"), "Multiple dogs in our club got sick after Pawlo Vitaal Hondenbrok batch L2207. "
     "vomiting, kidney values through the roof. RECALL WHEN??", [CRISIS], kind="post")
case("nl", pub("facebook", "bas.de.wit.77"), "Mijn hond 2 dagen opgenomen na Vitaal Hondenbrok, dierenarts denkt aan "
     "vergiftiging. En Pawlo? Reageert gewoon niet.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@consumentnieuws"), "200 klanten starten samen een rechtszaak tegen Pawlo over structureel "
     "afgewezen claims", [CRISIS])
case("nl", pub("x", "@dierenleed_nu"), "Undercoverbeelden uit een Pawlo-kliniek: dieren worden ruw vastgepakt en "
     "geslagen. Dit moet iedereen zien", [CRISIS])
case("nl", pub("instagram", "@fleur.en.fientje"), "Hoe kan het dat ik spam krijg met de naam van mijn kat erin?? "
     "Pawlo heeft mijn gegevens gelekt!!", [CRISIS])
case("nl", pub("tiktok", "@boos_baasje"), "B O Y C O T  P A W L O 🚫 deel deel deel", [CRISIS],
     tags=["evasion:spaced"])
case("en", pub("x", "@husky.hannah"), "the Pawlo Speurneus battery swelled up and burned my dog's neck 😡 "
     "photos in the thread", [CRISIS, COMPLAINT])
case("nl", pub("forum", "hondenforum_els"), "Klopt het dat Pawlo alle Speurneus trackers uit serie 2025-11 "
     "terugroept wegens oververhitting? Ik lees het overal", [CRISIS], kind="reply")
case("nl", pub("x", "@regio_nieuws_dev"), "Dierenarts van Pawlo-kliniek in Deventer geschorst na fouten bij narcose, "
     "er loopt een onderzoek", [CRISIS])

# benign crisis look-alikes
case("nl", pub("x", "@kattenvoer_alert"), "Terugroepactie bij een ander kattenvoermerk (niet Pawlo), check even "
     "je zakken mensen", tags=["hn:other-recall"])
case("en", pub("x", "@greyhound_gina"), "I can't recall the name of the vet at Pawlo Zwolle but she was amazing "
     "with our rescue 💛", tags=["hn:recall-other-sense"])
case("nl", pub("x", "@kater_karel"), "Mijn kater houdt een boycot tegen alles behalve Vitaal Kattenbrok 😹 verwend nest",
     tags=["hn:boycott-other-sense"])
case("nl", pub("blog", "schrijfsels.nl"), "Hoofdstuk 4 van mijn thriller: de dierenarts van de fictieve kliniek "
     "'Pootjes' verdwijnt spoorloos... (geïnspireerd door mijn bezoekjes aan Pawlo, die gelukkig gewoon normaal zijn 😄)",
     tags=["hn:fiction"])
case("nl", pub("facebook", "annet.broekhuis"), "Vandaag afscheid genomen van onze Bikkel, 14 jaar. Het team van Pawlo "
     "Amersfoort heeft het zo liefdevol gedaan. Dankjewel 💔", tags=["hn:grief-praise"])

# =========================================================== reputation.complaint
case("nl", pub("x", "@bo_de_boxer"), "@pawlo_helpt claim voor de tandbehandeling van Bo staat na 6 weken nog steeds "
     "op 'in behandeling'. Serieus?", [COMPLAINT], kind="reply")
case("en", pub("x", "@tabby_tess"), "premium went up 34% this year for the same cat, zero explanation from Pawlo. switching.",
     [COMPLAINT])
case("nl", pub("x", "@jorisvda"), "wachttijd Pawlo kliniek Amersfoort: 1u45 met een hond die bloedt. geen excuus voor",
     [COMPLAINT])
case("nl", pub("x", "@ilse_met_ijs"), "PawloVet app crasht elke keer als ik een afspraak wil maken 🙃 3e keer vandaag",
     [COMPLAINT])
case("nl", pub("facebook", "ger.smits.1962"), "Verkeerde brokken geleverd (kat ipv hond) en het retour moet ik zelf "
     "betalen?? Echt niet klantvriendelijk Pawlo", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/limpinglabrador"), "Pawlo rejected my claim because the limp was 'pre-existing'. "
     "Dog was 9 months old when we signed up. Unbelievable.", [COMPLAINT], kind="post")
case("en", pub("x", "@kateandkoda"), "refund for a cancelled appointment at pawlo still not there after 5 weeks. "
     "hello??", [COMPLAINT])
case("nl", pub("facebook", "petra.vos.zwolle"), "Rekening van €640 voor een oorontsteking bij Pawlo, niemand zei vooraf "
     "wat het ging kosten. Voel me echt overvallen", [COMPLAINT])
case("en", pub("tiktok", "@dogdad.dennis"), "pawlo vet rushed us out in 5 min and still charged a full consult. never again",
     [COMPLAINT], kind="comment")
case("nl", pub("x", "@hanna_wacht"), "klantenservice van pawlo is echt onbereikbaar,, 45 min in de wacht en dan valt "
     "de lijn weg. mailde ook al naar klantenservice@pawlo.nl maar niks", [COMPLAINT])
case("nl", pub("trustpilot", "R. Jansen"), "Speurneus tracker verliest elke dag de verbinding en de batterij is na "
     "6 uur leeg. 1 ster.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("reddit", "u/policy_gone"), "Pawlo cancelled my policy right after one big claim. is that even legal?",
     [COMPLAINT], kind="comment")
case("nl", pub("facebook", "linda.k.hengelo"), "Bezorging van de brokken 3x gemist terwijl ik gewoon thuis was. Pawlo "
     "shop zegt 'neem contact op met de bezorger'. Hallo, jullie zijn de verkoper!", [COMPLAINT])
case("nl", pub("x", "@dirkjan_boos"), "Pawlo jullie zijn echt een stelletje oplichters, kutbedrijf. Claim van €900 "
     "afgewezen om helemaal niks", [COMPLAINT, ABUSE])
case("en", pub("x", "@mattie_rants"), "fuck pawlo and their useless app. booked an appointment that didn't exist, "
     "drove 40 min for nothing", [COMPLAINT, ABUSE])

# benign complaint look-alikes
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Pawlo hoor, claim binnen 4 dagen uitbetaald 👍",
     tags=["hn:negated-complaint"])
case("nl", pub("reddit", "u/katvraag"), "Weet iemand of Pawlo Basis Kat ook gebitsproblemen dekt? Kon het niet "
     "vinden in de voorwaarden", kind="post", tags=["hn:neutral-question"])
case("nl", pub("x", "@overstapper"), "Bij mijn oude verzekeraar duurde alles eeuwen en kreeg ik nooit iemand te "
     "pakken. Sinds ik bij Pawlo zit is dat anders", tags=["hn:competitor-complaint"])
case("en", pub("instagram", "@twopugsandme"), "small wish for the PawloVet app: dark mode pleeeease 🌚 otherwise "
     "love it", kind="comment", tags=["hn:polite-wish"])

# =========================================================== reputation.abuse
case("nl", pub("x", "@anoniem8841"), "die dierenarts van pawlo zwolle is een arrogante trut", [ABUSE])
case("en", pub("x", "@memelord_jay"), "pawlo staff are brain-dead morons lmao", [ABUSE])
case("nl", pub("facebook", "h.dekker.1958"), "Waarom werken er zoveel buitenlanders bij die Pawlo kliniek, ga "
     "terug naar je eigen land", [ABUSE], kind="comment")
case("nl", pub("x", "@nachtuil_x"), "@lotte_dierenarts ik weet waar je werkt en ik wacht je op na je dienst", [ABUSE],
     kind="reply")
case("nl", MA, "weer zo'n debiele klant aan de lijn die vindt dat een hamster een ambulance verdient. idioten allemaal",
     [ABUSE])
case("nl", C_TT, "lol wat een sukkels in de comments vandaag 🙄", [ABUSE], kind="comment")
case("en", pub("x", "@clownhunter"), "f*cking pawlo clowns 🤡🤡", [ABUSE], tags=["evasion:masked"])
case("nl", pub("x", "@ruzie_rob"), "pawlo = een stel kl00tzakken", [ABUSE], tags=["evasion:leet"])
case("en", pub("youtube", "randomviewer22"), "the vet in this pawlo ad is so ugly lol who hired her", [ABUSE],
     kind="comment")
case("nl", IP, "Sommige baasjes zijn echt achterlijk hoor 🙄 hond van 40 kilo 'maar hij eet bijna niks'", [ABUSE])
case("en", pub("reddit", "u/salty_sam"), "Pawlo support agent Kevin is a pathetic little worm", [ABUSE], kind="comment")

# benign abuse look-alikes
case("nl", pub("facebook", "yvonne.bakker.56"), "Onze Max heeft kanker 💔 de dierenartsen van Pawlo waren zo lief en "
     "eerlijk over de opties", tags=["hn:kanker-literal"])
case("en", pub("x", "@goldenbreeder_nl"), "our bitch whelped 7 healthy puppies at the Pawlo clinic last night 🐾 "
     "(breeder talk, relax)", tags=["hn:breeder-term"])
case("en", pub("x", "@waitingroom_vibes"), "\"Who let the dogs out\" blasting in the Pawlo waiting room 😂 peak comedy",
     tags=["hn:lyrics"])
case("en", pub("x", "@frank_enstein"), "damn, those Pawlo vets know their stuff. Our cat is purring again",
     tags=["hn:mild-word"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn kat heeft inmiddels een betere verzekering dan ik 😂 dankjewel Pawlo",
     tags=["hn:joke"])

# =========================================================== other benign (sector chatter)
case("nl", C_IG, "Het is warm! 🌡️ Laat je hond nooit achter in de auto, ook niet 'even'. Tips op pawlo.nl/hitte",
     tags=["hn:corporate"])
case("en", C_LI, "We're proud to open our 31st Pawlo clinic, in Almere. Welcome to the team, dr. Yusuf and colleagues!",
     tags=["hn:corporate"])
case("nl", C_HELP, "Wat vervelend dat het zo lang duurt! Stuur je je polisnummer via DM? Dan kijken we direct mee 🙏",
     kind="reply", tags=["hn:corporate-reply"])
case("nl", IP, "Vandaag 6 kittens gechipt en gevaccineerd, beste dag van de week 🐱🐱🐱", tags=["hn:ordinary-employee"])
case("en", pub("x", "@nu_nl_bot"), "Quoted from the Pawlo press release: \"we grew to 31 clinics and 210,000 insured pets\"",
     tags=["hn:published-news"])
case("nl", pub("x", "@lottedierenarts"), "Nieuwe kattenposter voor de wachtkamer, hoe vinden jullie hem? 🐈‍⬛",
     tags=["lookalike-handle", "hn:ordinary"])


# ---------------------------------------------------------------- labelling
def load_profile():
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
            else:
                s = "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "huisdieren", "dogs", "cats", "PersonalFinanceNL"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-dierenpraat-{n}", f"https://forum.dierenpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def amsterdam_offset(t):
    lo = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if lo <= t < hi else 1


def random_time(r):
    day = r.randint(2, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def build(profile):
    f = Filler(SEED)
    mr = random.Random(SEED + 11)
    sr = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(f, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALIDATED))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "pawlo"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         role=role, lang=c["lang"], tags=c["tags"], used=used))
    sr.shuffle(rows)
    return rows


# ---------------------------------------------------------------- checks
def check(rows, profile):
    errs = []
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    ids = [r["post"]["id"] for r in rows]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    for r in rows:
        p, e = r["post"], r["expect"]
        cats, text = e["categories"], p["text"]
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: invalid IBAN")
            if k.startswith("IBAN_") and raw in own_iban:
                errs.append(f"{p['id']}: own IBAN used as leak")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: invalid card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: invalid BSN")
            if k in SPOILED:
                if k == "BAD_IBAN_NL" and iban_valid(raw):
                    errs.append(f"{p['id']}: spoiled IBAN is valid")
                if k in ("BAD_CARD", "CHIP", "EAN13", "NOT_BSN9", "NOT_BSN8") and luhn_valid(raw):
                    errs.append(f"{p['id']}: look-alike passes Luhn")
                if k in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                    errs.append(f"{p['id']}: look-alike passes 11-proof")
                if cats:
                    errs.append(f"{p['id']}: spoiled identifier in a positive")
            if k in VALIDATED and PII not in cats:
                errs.append(f"{p['id']}: valid identifier but no leak.pii")
        low = text.casefold()
        when = parse_ts(p["created_at"])
        if not cats:
            for term, until in embargo:
                if term in low and when < until:
                    errs.append(f"{p['id']}: benign post mentions embargoed term before embargo")
            for cn in codenames:
                if cn in low:
                    errs.append(f"{p['id']}: benign post holds codename")
            for d in profile["internal"]["domains"]:
                if d in low:
                    errs.append(f"{p['id']}: benign post holds internal domain")
            if e["severity"] != "none":
                errs.append(f"{p['id']}: benign with severity")
        if len(text.encode()) > 65536:
            errs.append(f"{p['id']}: too long")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    print(f"cases: {len(rows)}  benign: {sum(1 for r in rows if not r['expect']['categories'])}  "
          f"multi: {sum(1 for r in rows if len(r['expect']['categories']) > 1)}  "
          f"evasion: {sum(1 for r in rows if any(t.startswith('evasion') for t in r['tags']))}")
    for k in sorted(cat):
        print(f"  {k}: {cat[k]}")
    print("  severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  role:", dict(Counter(r["role"] for r in rows)))
    print("  lang:", dict(Counter(r["lang"] for r in rows)))
    print("  platform:", dict(Counter(r["post"]["platform"] for r in rows)))


if __name__ == "__main__":
    main()
