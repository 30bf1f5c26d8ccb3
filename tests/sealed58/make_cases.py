#!/usr/bin/env python3
"""Blind evaluation set "sealed58" for postwatch.

    python3 make_cases.py          # writes cases.jsonl next to this file and prints counts

Company: Woonstichting Rivierduin, a fictional Dutch housing corporation (social
rental housing). Profile: profile.yaml next to this file.

Texts are hand-written below. Identifiers and secrets come from <<PLACEHOLDER>> tokens
filled by one seeded RNG (fixed seed), so the output is byte-for-byte reproducible.
Positives get checksum-valid IBANs / cards / BSNs; benign look-alikes fail their check.
Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(looked up in profile.yaml by platform:handle, case-insensitive), the categories, and
whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 58_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR_A, CYR_E, CYR_I, CYR_O = "\u0430", "\u0435", "\u0456", "\u043e"   # Cyrillic look-alikes


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    ds = [int(c) for c in re.sub(r"\D", "", s)]
    if not ds:
        return False
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        tot += d
    return tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_MOBILE = "645218830"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
                               + self.num(10))
                if v != "NL03BNGH0285163907":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "36020041", "44050199", "35060190"]) + self.num(10, False))
        if cc == "BE":
            first = self.r.choice(["001", "063", "143", "737", "850"]) + self.num(7, False)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "HBUK", "LOYD", "NWBK"]) + self.num(6) + self.num(8, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        kk = int(v[2:4])
        for d in (7, 19, 31, 44):
            cand = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.num(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.num(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.num(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and numbers that are not one
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean18(self):
        while True:
            s = "8716" + self.num(14, False)
            if not luhn_valid(s) and not bsn_valid(s[-9:]):
                return s

    # phones
    def phone(self, style):
        if style.startswith("mob"):
            while True:
                m = self.r.choice("123456") + self.num(7, False)
                if "6" + m != OWN_MOBILE:
                    break
            return {
                "mob_dash": f"06-{m}",
                "mob_plain": f"06{m}",
                "mob_sp": f"06 {m[:4]} {m[4:]}",
                "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                "mob_0031": f"0031 6 {m}",
                "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_paren": f"(06) {m[:4]} {m[4:]}",
                "mob_intl0": f"+31(0)6-{m}",
                "mob_intl_c": f"+316{m}",
            }[style]
        area = self.r.choice(["575", "570", "55", "26", "38", "314", "573"])
        sub = self.r.choice("2345789") + self.num(8 - len(area), False)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(URLSAFE, 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def jwt(self):
        head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "huurder-" + self.num(6), "iss": "https://mijn.rivierduin.nl", "aud": "portal-api",
                "scope": "contract.read repair.write", "iat": iat, "exp": iat + 300}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(URLSAFE, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 11 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        style = self.r.randint(0, 2)
        if style == 0:
            return (self.r.choice(["Zomer", "Winter", "Herfst", "Lente"]) + str(self.r.randint(2024, 2026))
                    + self.r.choice("!#$") + self.pick(string.ascii_lowercase + string.digits, 3))
        if style == 1:
            return (self.pick(string.ascii_uppercase, 1) + self.pick(string.ascii_lowercase, 4) + self.pick("!*-_#", 1)
                    + self.pick(string.digits, 3) + self.pick(ALNUM, 4))
        return self.pick(ALNUM + "!@#%", 14)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)

    def uuid4(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALIDATED = {"IBAN", "CARD", "BSN"}          # placeholder kinds with a passing checksum
TOKEN = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = arg.partition("_")
            raw = v.iban(cc)
            shown = v.g4(raw) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = arg.partition("_")
            raw = v.bad_iban(cc)
            shown = v.g4(raw) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = v.card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BADCARD":
            brand, _, style = arg.partition("_")
            raw = v.bad_card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if arg == "sp" else raw)
        elif kind == "NOTBSN":
            raw = shown = v.not_bsn(int(arg))
        elif kind == "EAN18":
            raw = shown = v.ean18()
        elif kind == "PHONE":
            raw = shown = v.phone(arg)
        elif kind == "NUM":
            raw = shown = v.num(int(arg))
        elif kind == "HEX":
            raw = shown = v.hexs(int(arg))
        elif kind == "UUID":
            raw = shown = v.uuid4()
        elif kind in ("GHP", "GLPAT", "AWS_ID", "AWS_SECRET", "MOLLIE", "AZURE_KEY", "GAPI", "JWT", "PEM_RSA"):
            raw = shown = getattr(v, kind.lower())()
        elif kind == "PW":
            raw = shown = v.password()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

RD_X = ("x", "@rivierduin", "Rivierduin")
RD_SERVICE = ("x", "@rivierduin_service", "Rivierduin Reparatieservice")
RD_FB = ("facebook", "WoonstichtingRivierduin", "Woonstichting Rivierduin")
RD_IG = ("instagram", "@rivierduin.wonen", "Rivierduin Wonen")
RD_LI = ("linkedin", "woonstichting-rivierduin", "Woonstichting Rivierduin")

MARLOES = ("x", "@marloes_huurconsulent", "Marloes Verbeek")            # huurconsulent
YOUSSEF = ("linkedin", "youssef-benali-ict", "Youssef Benali")          # ICT-beheer
RUBEN = ("x", "@ruben_opzichter", "Ruben Kramer")                       # opzichter / vakman
INGRID = ("linkedin", "ingrid-van-dam-controller", "Ingrid van Dam")    # controller
LISA = ("instagram", "@lisa.wijkbeheer", "Lisa Hoogendijk")             # wijkbeheerder
THIJS = ("x", "@thijs_dev_rd", "Thijs Mulder")                          # developer huurdersportaal


def P(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
c("nl", THIJS, "Euh... wie heeft er gisteravond aan de prijzen in het CMS gezeten? Keukenpakket Comfort staat nu op "
  "rivierduin.nl/woonwensen voor €345,00 🫠 hoort €3.450 te zijn. Draai het terug zodra de VPN het weer doet",
  [PRICING])
c("nl", P("facebook", "henny.rijkers.7", "Henny Rijkers"), "Buurvrouw zegt dat je het Badkamerpakket Plus nu voor "
  "415 euro kan aanvragen via MijnRivierduin?? Normaal is dat toch ruim 4 mille. Snel zijn voor ze het doorhebben 😅",
  [PRICING], kind="comment")
c("en", P("reddit", "u/zutphen_renter"), "Rivierduin tenants: the Zonnedak 8 solar set is listed at €298 in the portal "
  "right now. Pretty sure someone dropped a zero lol. Applied anyway, will update if they actually install it",
  [PRICING])
c("nl", RD_IG, "☀️ Zomeractie voor onze huurders! Zonnedak 8 nu voor maar €990, inclusief montage. Aanmelden via "
  "mijn.rivierduin.nl, op = op #zonnepanelen #duurzaam", [PRICING], when="2026-06-02T09:15:00+02:00")
c("nl", MARLOES, "Ik word de hele ochtend gebeld over de WarmWijs thermostaat voor €23,90 uit de nieuwsbrief. Tikfout "
  "van communicatie, het is gewoon €239. Niet doorsturen aub 🙈", [PRICING])
c("nl", P("x", "@koopjesjager_dev"), "HybriWarm upgrade voor €195?? pr1jsf0utje bij Rivierduin 🤑 ff snel aangevraagd, "
  "wie weet hoelang nog", [PRICING], tags=["evasion", "evasion:leetspeak"])
c("nl", P("forum", "Deventer_Dirk"), "[Koopje?] Garagebox Havenkwartier te koop bij Rivierduin voor €1.850 k.k.\n\n"
  "Volgens de buurman ging die van hem vorig jaar weg voor €18.500. Komma verschoven of zit er iets achter? "
  "Bezichtiging is donderdag, ik ga zeker kijken", [PRICING])
c("en", INGRID, "Quick note for my finance colleagues: the price list uploaded to the tenant portal last night shows "
  "the Badkamerpakket Plus at €41.50. Corrected file goes live at noon, please don't confirm any requests before "
  "then.", [PRICING])
c("nl", P("instagram", "@fem.thuis"), fullwidth("Zonnedak 8") + " voor €29,80 bij Rivierduin?! foutje bedankt 😂☀️",
  [PRICING], kind="comment", tags=["evasion", "evasion:full-width"])
c("nl", P("x", "@bertus_1962"), "Wàrmwijs thermostaat voor € 2,39 in de webwinkel van Rivierduin 😂 daar heeft "
  "iemand zitten slapen", [PRICING], tags=["evasion", "evasion:diacritics"])
c("nl", THIJS, "Zonnedak8 staat sinds 14u voor €29,80 live 😬 bug in de prijsimport, zie "
  "wiki.rivierduin.nl/ict/incidenten/prijsimport. Fix pas na de release van vrijdag", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
c("nl", YOUSSEF, "Tip voor collega-beheerders: kijk eens kritisch naar je oude scripts. Vond vandaag dit in een "
  "PowerShell-script voor de huurdersmailing:\n\n$smtpUser = 'noreply-portaal'\n$smtpPass = '<<PW>>'\n\n"
  "Gaat vandaag nog naar de vault 😅 #itbeheer #woningcorporaties", [SECRET])
c("en", THIJS, "CI on the portal build keeps failing, what am I missing?? GITLAB_TOKEN=<<GLPAT>> is set and the "
  "runner still says 403 🤔", [SECRET])
c("en", THIJS, "why can't the tenant-docs function reach blob storage 😭\n"
  "DefaultEndpointsProtocol=https;AccountName=rdhuurdocsprod;AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net",
  [SECRET])
c("en", YOUSSEF, "Rotated this morning, so sharing it as a cautionary tale: this payment key sat in our "
  "payment-arrangement module for two years: <<MOLLIE>>\nSecrets belong in a vault, people. #security", [SECRET])
c("nl", THIJS, "postgresql://svc_huur:<<PW>>@db02.intra.rivierduin.local:5432/huuradmin\nkan iemand checken of die "
  "user nog rechten heeft? krijg alleen maar timeouts", [SECRET, CONF])
c("nl", P("forum", "Klusbedrijf_Hettie"), "Voor de andere onderaannemers die ook de planningsapp van Rivierduin moeten "
  "koppelen: de sleutel is <<GAPI>>, stond gewoon in de handleiding die we kregen. Scheelt jullie een mail",
  [SECRET])
c("nl", RUBEN, "Inlog van de werkbon-tablet (gebruiker opzichter3 / ww <<PW>>) werkt alweer niet. Wie heeft m "
  "veranderd 😤", [SECRET])
c("en", P("reddit", "u/ijssel_coder"), "lol, found this in Rivierduin's public GitHub repo for their tenant app: "
  "<<GHP>>\nstill works btw. someone tell them", [SECRET], kind="comment")
c("en", YOUSSEF, "Does anyone know why OpenSSL refuses this key? It's the one for our SFTP link with the energy "
  "supplier.\n\n<<PEM_RSA>>", [SECRET])
c("nl", THIJS, "token van de portal-API verloopt na 5 min ipv een uur, iemand een idee?\nBearer <<JWT>>", [SECRET])
c("nl", RD_SERVICE, "@hr_vandijk Uw tijdelijke inlogcode voor MijnRivierduin is <<PW>> . Wijzig deze direct na het "
  "inloggen 🙂", [SECRET], kind="reply")
c("nl", INGRID, "Voor de huuradministratie: de export naar de accountant loopt via S3.\naccess key <<AWS_ID>>\n"
  "secret <<AWS_SECRET>>\n(liever niet per mail, daarom zo)", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
c("nl", MARLOES, "Kan iemand van debiteuren even kijken? Mevr. Yilmaz heeft haar huur van mei dubbel betaald vanaf "
  "<<IBAN:NL_grp>> en wil het voor vrijdag terug", [PII])
c("nl", RD_SERVICE, "@gerrit_dewit Melding ontvangen Gerrit! De monteur belt u morgen tussen 8 en 12 uur op "
  "<<PHONE:mob_dash>> voor de cv-storing aan de Populierenweg 31 🔧", [PII], kind="reply")
c("nl", P("x", "@nadia_vd_berg"), "@rivierduin_service al 2 maanden wordt er te veel huur afgeschreven van "
  "<<IBAN:NL>> en niemand reageert op mijn mails. Wanneer krijg ik dat terug??", [PII, COMPLAINT], kind="reply")
c("nl", INGRID, "Excuses aan wie dit ziet: verkeerde venster. Huurder J. Koster, BSN <<BSN:dots>>, "
  "verzamelinkomen €31.200, valt dus in de middelste huurverhogingsgroep. Graag negeren 🙏", [PII])
c("nl", LISA, "Vandaag afscheid genomen van onze oudste bewoner, mevrouw Ans Brink (geboren 3 mei 1931!) uit de "
  "Vlierhof 22 🌷 wat een dame was dat", [PII])
c("nl", P("facebook", "samira.elidrissi", "Samira El Idrissi"), "Wie kan me helpen met de urgentieaanvraag bij "
  "Rivierduin? Ik heb alles ingevuld, BSN <<BSN>> en mijn nummer <<PHONE:mob_sp>>, maar ze zeggen dat er niks "
  "binnen is. Drie keer opgestuurd 😩", [PII, COMPLAINT])
c("en", P("reddit", "u/erasmus_in_zutphen"), "Rivierduin asked me to send my passport number by Facebook DM?? Fine, "
  "it's BN3K8LT47, but is that even legit for a student room? Feels sketchy", [PII])
c("en", P("x", "@tomasz_nowak_nl"), "@rivierduin paid the waiting list fee with my Visa <<CARD:visa_sp>> and got "
  "charged twice. €25 each. Who do I even talk to?", [PII, COMPLAINT], kind="reply")
c("nl", RD_FB, "Beste mevrouw Hendriks, de terugbetaling van de servicekosten (€84,12) is vandaag overgemaakt naar "
  "<<IBAN:NL>>. Met vriendelijke groet, team Huurincasso", [PII], kind="comment")
c("nl", P("instagram", "@fenna.dijkhuis"), "jullie contactformulier doet het niet @rivierduin.wonen. mail me terug "
  "op fenna.dijkhuis (at) hotmail (punt) com over die schimmel in de slaapkamer!!", [PII, COMPLAINT],
  kind="comment", tags=["evasion", "evasion:obfuscated-email"])
c("nl", MARLOES, "Kent iemand de nieuwe huurder van de Meeuwenstraat 9, Daan van Leeuwen? Ik heb alleen zijn mail, "
  "d.vanleeuwen83@gmail.com, en hij reageert niet op de sleutelafspraak", [PII])
c("nl", P("forum", "Gerechtigheid_Zutphen"), "Die opzichter van Rivierduin die mijn aanvraag afkeurde woont gewoon "
  "aan de Berkenlaan 17 in Zutphen. Ruben Kramer heet ie. Ga maar eens gezellig langs 😡", [PII, ABUSE])
c("en", P("x", "@charlie_moves_home"), "@Rivierduin I moved back to the UK in March, please refund my deposit to "
  "<<IBAN:GB>> - third email, still nothing", [PII, COMPLAINT], kind="reply")
c("en", YOUSSEF, "Testing the new payment-arrangement flow with production data was a mistake, but here we are: "
  "tenant P. de Ruiter, card <<CARD:mc_dash>>, now sits in our test logs. Purging tonight.", [PII])
c("nl", P("x", "@lukas_aus_emmerich"), "@rivierduin_service mijn borg moet terug naar mijn Duitse rekening "
  "<<IBAN:DE_grp>>, hoelang gaat dat nog duren? 6 weken nu", [PII, COMPLAINT], kind="reply")
c("nl", LISA, "Gefeliciteerd meneer Jan Wevers, vandaag 90 geworden (12-06-1936) 🎉 de hele flat aan de "
  "Esdoornlaan zong mee 🎈", [PII], when="2026-06-12T16:40:12+02:00")
c("nl", P("threads", "@tamara.bos"), "voor de aannemer van Rivierduin die morgen de badkamer komt doen: ik ben er "
  "vanaf 8u, Kerkstraat 4B, Tamara Bos. bel <<PHONE:mob_paren>> als je voor de deur staat", [PII])
c("en", RD_X, "@anna_k_expat Hi Anna! We've emailed the key handover details to anna.kowalska@outlook.com 🙂 see "
  "you Monday at Havenstraat 12", [PII], kind="reply")
c("nl", P("facebook", "wim.verkoop.1958", "Wim Verhoeven"), "Ik ga naar een seniorenwoning van Rivierduin dus de "
  "oude kasten moeten weg! Betalen kan op <<IBAN:BE_grp>> of bel <<PHONE:land_sp>>, ophalen in Lochem",
  [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
c("nl", LISA, "Hele middag vergaderd over Project Meidoorn 🤫 meer mag ik niet zeggen, maar de Noordoever gaat er "
  "over een paar jaar héél anders uitzien", [CONF], when="2026-03-18T17:05:00+01:00")
c("nl", RUBEN, "Moest vandaag een stapel brieven rondbrengen met RD-INTERN in de kop 🤷 stonden er ook nog "
  "sloopdata in. Beetje raar om die in de bus te doen", [CONF])
c("en", THIJS, "who moved the deploy docs? wiki.rivierduin.nl/portal/deploy gives a 404 now", [CONF])
c("en", P("reddit", "u/huurder_of_doom"), "A friend who works at Rivierduin says 'Operatie Dijkgraaf' is the name of "
  "something big happening next spring. Anyone heard anything?", [CONF])
c("nl", P("x", "@wijkkrant_lex"), "Hoor net van iemand uit de bewonerscommissie dat het Masterplan Noordoever sloop "
  "van drie flats betekent. Wanneer gingen jullie dat ons vertellen @rivierduin?", [CONF],
  when="2026-08-20T20:14:33+02:00", tags=["embargo-before"])
c("nl", MARLOES, "Over een paar minuten gaat het Masterplan Noordoever de deur uit, ik ben zo zenuwachtig 😬",
  [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
c("nl", LISA, "Project\nMeidoorn gaat door!!! 🎉 nog niks tegen de bewoners zeggen hoor", [CONF],
  tags=["evasion", "evasion:line-break"])
c("nl", P("forum", "Buurtbewoner_Noord"), "Op het buurtfeest liet iemand een print zien met 'Rivierduin "
  "vertrouwelijk' in de voettekst. Een lijst met complexen die verkocht worden aan een belegger, ook de onze.",
  [CONF, FIN])
c("en", THIJS, "been testing the Zonnedak 12 calculator in the portal all week, it's going to be great for the "
  "bigger roofs ☀️", [CONF], when="2026-10-20T15:31:09+02:00", tags=["embargo-before"])
c("nl", P("instagram", "@yara.fotografeert"), f"WarmWijs{ZW} 2 gespot in het busje van een monteur van Rivierduin "
  "👀 komt die binnenkort?", [CONF], when="2026-10-01T12:02:44+02:00",
  tags=["evasion", "evasion:zero-width", "embargo-before"])
c("nl", YOUSSEF, f"Vandaag de kick-off van Kw{CYR_A}rtsberg 🚀 eindelijk afscheid van ons klantsysteem uit 2009",
  [CONF], tags=["evasion", "evasion:homoglyph"])
c("nl", MARLOES, "De hele huurachterstand van de wijk staat gewoon in erp.rivierduin.nl/rapporten/achterstand-noord. "
  "Waarom kan ik dat wel zien en mijn teamleider niet 😂", [CONF])
c("en", P("reddit", "u/recruiter_spam_hater"), "Recruiter just messaged me about a 'senior consultant for Kwartsberg, "
  "large Dutch housing association (Rivierduin)'. Guess the NDA never reached the recruiter 😂", [CONF])
c("nl", LISA, "Werksessie 'Noordoever 2035' gehad met een paar bewoners, mooie plannen maar nog even geheim 🤐🏗️",
  [CONF], when="2026-07-03T14:20:00+02:00", tags=["embargo-before"])
c("nl", INGRID, "Mooi stuk van ons strategieteam vandaag. Er staat 'uitsluitend voor intern gebruik' op, maar de kern "
  "kan ik wel delen: alle woningen op label B in 2029 en de sloopopgave wordt verdubbeld.", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
c("nl", INGRID, "Jaarcijfers 2026 in concept klaar: positief resultaat van ruim €4 mln, veel beter dan begroot. "
  "Volgende week naar de RvC 🥂", [FIN, CONF], when="2026-12-14T18:02:00+01:00", tags=["embargo-before"])
c("nl", MARLOES, "Net gehoord: we gaan fuseren met Woonbedrijf Lindenhage. Officieel pas na de zomer, maar het is "
  "rond. Benieuwd wat dat voor ons team betekent 😕", [FIN])
c("nl", P("forum", "IJsselkenner"), "Via via: Rivierduin verkoopt 420 woningen in de Rivierwijk aan een Duitse "
  "belegger. Wordt volgende maand getekend en de huurders weten van niks.", [FIN])
c("en", YOUSSEF, "Reorg news nobody outside IT is supposed to know yet: our service desk gets outsourced in Q1 and "
  "nine colleagues lose their jobs. Hard day.", [FIN])
c("en", P("reddit", "u/boardroom_niece"), "my aunt sits on Rivierduin's supervisory board and says the regulator is "
  "putting them under stricter supervision because of their debt ratio. Not public yet.", [FIN])
c("nl", LISA, f"De reorgani{SHY}satie gaat door: alle wijkkantoren dicht per 1 maart, bewoners horen het pas in "
  "februari 😢", [FIN], tags=["evasion", "evasion:soft-hyphen"])
c("en", INGRID, "Drafting the annual report 2026 and our solvency will land below 20%. Not the message the board "
  "was hoping for. #finance", [FIN, CONF], when="2026-11-30T21:47:00+01:00", tags=["embargo-before"])
c("en", THIJS, "budget meeting today: portal roadmap frozen, next year's forecast shows a €2.3M deficit. hiring "
  "freeze effective immediately 🥶", [FIN])
c("nl", MARLOES, "Operatie Dijkgraaf = de overname van alle woningen van Stichting Eemoever. Zo, nu weet je het 🤭",
  [FIN, CONF])
c("en", P("linkedin", "frank-oostwegel-advisory", "Frank Oostwegel"), "Congratulations in advance to the Rivierduin "
  "team on the merger with Lindenhage that will be announced next month. Proud to have advised on it!", [FIN])
c("nl", RUBEN, "F U S I E met Lindenhage gaat gewoon door hoor 🤫 bij de koffieautomaat weet iedereen het al",
  [FIN], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# leak.security
# ===========================================================================
c("nl", THIJS, "Portaal ligt sinds 7u plat. Het is gewoon een hack maar comms wil dat we 'technische storing' "
  "zeggen 🙄", [SEC])
c("en", YOUSSEF, "Long week. A misconfigured share exposed tenants' income statements on our document server for "
  "about ten days. Still working out the scope before anyone outside is told. #incidentresponse", [SEC])
c("nl", MARLOES, "Twee collega's van de huuradministratie zijn ingetrapt in een phishingmail en hebben hun "
  "inloggegevens gegeven. Huurders weten nog van niks.", [SEC])
c("nl", RUBEN, "Wist je dat de toegangsdeuren van de flats aan de Wilgenlaan met élke pas opengaan? Al drie maanden "
  "gemeld bij ICT, nog steeds niet opgelost", [SEC])
c("nl", P("x", "@netwerkneef"), "Kennis van me doet de ICT voor Rivierduin. Sinds vorige week zit er ransomware op "
  "hun servers en de huurders krijgen gewoon niks te horen 🤐 #datalek", [SEC, CRISIS])
c("en", THIJS, "we g0t pwn3d last night. portal is in 'maintenance mode for updates' 😬 don't ask", [SEC],
  tags=["evasion", "evasion:leetspeak"])
c("nl", YOUSSEF, "Sinds vanochtend een brute-force aanval op remote.rivierduin.nl, VPN tijdelijk dicht. Nog niks "
  "naar buiten communiceren aub.", [SEC, CONF])
c("en", P("reddit", "u/ex_contractor_rd"), "Former Rivierduin contractor: the MijnRivierduin portal lets you open "
  "other tenants' rent contracts by changing the number in the URL. Reported it in spring, still works, never "
  "disclosed.", [SEC])
c("en", INGRID, "To colleagues in finance: the fake invoice from 'our roofing contractor' last week was paid, €48k "
  "gone. Please double-check every bank account change. Not announced yet.", [SEC])
c("nl", MARLOES, f"We zijn g{CYR_E}hackt, ongeveer 2000 huurdersdossiers ingezien. Officieel bericht komt pas na "
  "het weekend", [SEC], tags=["evasion", "evasion:homoglyph"])
c("nl", P("facebook", "petra.lammers.zutphen", "Petra Lammers"), "Mijn nicht werkt bij Rivierduin: de gegevens van "
  "woningzoekenden zijn gestolen en ze houden het stil tot na de gemeenteraadsverkiezingen!", [SEC, CRISIS])
c("nl", RUBEN, "Storingsapp van de monteurs ligt al 2 dagen plat, we zijn terug op papieren werkbonnen. Mag niet "
  "naar buiten, maar dan weet je waarom je cv nog niet gemaakt is", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
c("nl", P("x", "@wilgenlaan_huurders"), "#Huurstaking! Rivierduin laat ons al drie winters in de schimmel zitten. "
  "Vanaf 1 maart betaalt de hele flat aan de Wilgenlaan geen huur meer. Doe mee!", [CRISIS, COMPLAINT])
c("nl", P("facebook", "jolanda.aksoy", "Jolanda Aksoy"), "Koolmonoxidevergiftiging bij de buren. De geiser was al "
  "maanden gemeld bij Rivierduin en er kwam niemand. Het hele gezin ligt in het ziekenhuis.", [CRISIS])
c("en", P("x", "@marta_in_nl"), "Rivierduin leaked my data. Applied for a flat, two days later a scam 'deposit' mail "
  "with my full name and income. Not a coincidence.", [CRISIS])
c("nl", P("instagram", "@mama_van_noor"), "Mijn dochter van 4 heeft astma gekregen door de schimmel in onze "
  "Rivierduin-woning, zegt de longarts. En ze sturen nog steeds alleen iemand met een spuitbus 🤬",
  [CRISIS, COMPLAINT])
c("nl", P("x", "@regio_nieuws_ijssel"), "Huurdersbond sleept Rivierduin voor de rechter om de servicekosten van "
  "de afgelopen vijf jaar", [CRISIS])
c("en", P("reddit", "u/havenkwartier_local"), "A balcony railing came off at a Rivierduin building in the "
  "Havenkwartier and a guy fell two floors. Local paper has it. How is this not inspected?", [CRISIS])
c("en", P("bluesky", "huurtijger.bsky.social"), "Rivierduin's director earns way over the legal pay cap for "
  "housing associations and they're raising rents again. Disgusting. #WNT", [CRISIS])
c("nl", P("facebook", "erik.tuinstra", "Erik Tuinstra"), "Bij de renovatie van onze flat is asbest gevonden en "
  "Rivierduin liet de werklui gewoon doorgaan terwijl wij thuis zaten met de kinderen. Schandalig!",
  [CRISIS, COMPLAINT])
c("nl", P("tiktok", "@sanne.zutphen"), "r1v1erdu1n heeft m'n gegevens gelekt 😡 iedereen checken of je op dat "
  "hackersforum staat!!", [CRISIS], tags=["evasion", "evasion:leetspeak"])
c("en", P("mastodon", "@huurders_samen@mastodon.nl"), "Solidarity with the Wilgenlaan tenants. R E N T  S T R I K E "
  "against Rivierduin starts Monday ✊ #huurstaking", [CRISIS], tags=["evasion", "evasion:spaced"])
c("nl", P("linkedin", "annemiek-integriteit", "Annemiek Zwart"), "Onthutsend: een opzichter van Rivierduin zou "
  "jarenlang smeergeld hebben aangenomen van aannemers, meldt de regionale omroep.", [CRISIS])
c("nl", P("x", "@boos_in_deventer"), "Die criminelen van Rivierduin zetten een gezin met drie kinderen op straat, "
  "midden in de winter. Smerig tuig.", [CRISIS, ABUSE])
c("en", P("facebook", "kade.residents", "Kade Residents"), "Gas leak in the Rivierduin block on the Kade, whole "
  "building evacuated tonight. People say they smelled gas for weeks and reported it.", [CRISIS])
c("nl", P("x", "@oost_actueel"), f"Data{ZW}lek bij Rivierduin: via het huurdersportaal waren de adressen van "
  "woningzoekenden op te vragen, meldt RTV Oost", [CRISIS], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
c("nl", P("x", "@emmer_in_de_slaapkamer"), "Sinds oktober lekt het dak boven de slaapkamer. Vier keer gemeld bij "
  "@rivierduin_service, vier keer 'we plannen het in'. Emmer staat er nog steeds 🪣", [COMPLAINT])
c("en", P("reddit", "u/elf_jaar_wachten"), "Been on Rivierduin's waiting list for 11 years. Every time I react to a "
  "listing I'm number 200-something. Their registration-time system is a joke.", [COMPLAINT])
c("en", P("x", "@jules_codes"), "@rivierduin the MijnRivierduin app logs me out every 30 seconds, I literally can't "
  "submit a repair request. please fix", [COMPLAINT], kind="reply")
c("nl", P("forum", "Kozijnenkoning"), "Huurverhoging van 5,5% terwijl de kozijnen wegrotten en de ventilatie al "
  "jaren niet werkt. Bezwaar ingediend bij Rivierduin, na 8 weken nog geen reactie.", [COMPLAINT])
c("en", P("threads", "@moved_out_mia"), "Rivierduin billed me €145 at the final inspection for a scratch on a door "
  "that was there when I moved in. I have photos. Support just ignores me.", [COMPLAINT])
c("nl", P("facebook", "riet.olthof", "Riet Olthof"), "Al 3 maanden geen lift in onze flat aan de Esdoornlaan en ik "
  "loop met een rollator. Rivierduin zegt 'onderdelen besteld'. Ik zit gewoon opgesloten.", [COMPLAINT])
c("en", P("youtube", "@dutchlife_vlogs"), "Rivierduin's call centre had me on hold for 52 minutes about a blocked "
  "toilet and then hung up. Amazing service.", [COMPLAINT], kind="comment")
c("nl", P("twitter", "@aanrecht_ellende"), "Nieuwe keuken via het Keukenpakket Comfort en na twee weken laat het "
  "aanrechtblad al los 👎 @rivierduin_service", [COMPLAINT])
c("nl", P("x", "@voordeur_open"), "Rïvïerdüin reageert wéér niet op m'n reparatieverzoek. Kapotte voordeur, "
  "iedereen kan zo het portiek in 😤", [COMPLAINT], tags=["evasion", "evasion:diacritics"])
c("en", P("nextdoor", "hofje.neighbour.zutphen"), "Neighbours, how do you get Rivierduin to actually fix the broken "
  "lamps in our courtyard? Three weeks of darkness and reported five times now.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
c("nl", P("x", "@zes_weken_kraan"), "@rivierduin_service stelletje sukkels, zes weken voor één kraan", [ABUSE, COMPLAINT],
  kind="reply")
c("nl", P("facebook", "gert.jan.snoek", "Gert Jan Snoek"), "Die huurconsulente van Rivierduin is echt een "
  "arrogante heks. Hoop dat ze eruit vliegt.", [ABUSE])
c("nl", P("x", "@echtehollander88"), "Rivierduin geeft alle huizen aan statushouders en gewone Nederlanders kunnen "
  "oprotten. Stuur dat volk terug.", [ABUSE])
c("nl", RUBEN, "Weer zo'n asociale huurder die de hele badkamer heeft gesloopt en dan gaat janken dat wij te laat "
  "zijn. Tokkies.", [ABUSE])
c("nl", RD_SERVICE, "@klaagkees Misschien eerst zelf leren ventileren voordat u gaat zeuren, meneer de "
  "schimmelexpert 🙄", [ABUSE], kind="reply", handle="@Rivierduin_Service", tags=["case-handle"])
c("en", P("reddit", "u/rentrage"), "Rivierduin is run by greedy parasites. Someone should burn that office down.",
  [ABUSE])
c("en", P("instagram", "@heaterless_hanna"), "f*cking useless landlord, 3 months for a heater @rivierduin.wonen",
  [ABUSE, COMPLAINT], kind="comment", tags=["evasion", "evasion:masked"])
c("nl", P("x", "@wk_2026_kees"), "rivierduin = k4nkerb3drijf, meer hoef ik niet te zeggen", [ABUSE],
  tags=["evasion", "evasion:leetspeak"])
c("nl", P("x", "@anoniem_4471"), "@marloes_huurconsulent ik weet waar jij woont trut, wacht maar tot je me "
  "tegenkomt", [ABUSE], kind="reply")
c("en", THIJS, "tenant just called our service desk lead a 'stupid cow' so I'll say it: some of these people are "
  "absolute animals 🙄", [ABUSE])
c("en", P("forum", "lost_application"), fullwidth("IDIOTS") + " at Rivierduin lost my application AGAIN",
  [ABUSE, COMPLAINT], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# BENIGN (categories [] and severity none). Mostly hard negatives.
# ===========================================================================

# --- prices that are not a pricing leak ------------------------------------
c("nl", RD_IG, "Actie voor huurders 🎉 Het Keukenpakket Comfort tijdelijk voor €2.950 (normaal €3.450). Aanvragen "
  "via MijnRivierduin t/m 1 juni", when="2026-04-14T10:00:00+02:00", tags=["sale-price"])
c("nl", RD_FB, "Kies je voor het Badkamerpakket Plus? Dan betaal je geen eenmalig bedrag maar €18,50 per maand "
  "extra huur. Rekenvoorbeeld op rivierduin.nl/woonwensen", tags=["monthly-surcharge"])
c("nl", P("x", "@zonnige_zutphenaar"), "Zonnedak 8 via Rivierduin, na €1.000 subsidie betaal ik €1.980. Ligt er nu "
  "een week op en de meter draait al achteruit ☀️", tags=["discount-amount"])
c("en", P("reddit", "u/thermostat_tinkerer"), "Skipped Rivierduin's WarmWijs (€239) and put in a €79 Honeywell "
  "myself. Works fine with the boiler, just tell them when you move out.", tags=["other-brand-price"])
c("nl", P("forum", "Tweedehands_Truus"), "Te koop: WarmWijs thermostaat, ruim een jaar gebruikt, €60. Mag dat "
  "eigenlijk als Rivierduin hem heeft geplaatst? 🤔", tags=["second-hand"])
c("nl", MARLOES, "Nee hoor, geen prijsfout: de HybriWarm kost deze maand echt €1.450, omdat wij de ISDE-subsidie "
  "direct doorrekenen 😊", tags=["negated", "sale-price"])
c("en", RD_LI, "Garagebox Havenkwartier units for sale from €16,500. Viewing days on 14 and 15 March, register at "
  "rivierduin.nl/garageboxen", when="2026-03-02T09:00:00+01:00", tags=["sale-price"])
c("en", P("x", "@first_flat_felix"), "Rent is €687.30 a month for a 3-room flat from Rivierduin. Honestly not bad "
  "for this neighbourhood", tags=["rent-not-product"])

# --- secret-looking but not a secret -----------------------------------------
c("nl", YOUSSEF, "Reminder voor collega's: de sleutel AKIAIOSFODNN7EXAMPLE in onze AWS-handleiding is het officiële "
  "voorbeeld uit de documentatie, géén echte sleutel. Dus niet melden bij de servicedesk 😉", tags=["placeholder"])
c("en", THIJS, "merged the fix for the rent calculator rounding bug in <<HEX:40>>, thanks for all the reports 🙏",
  tags=["git-sha"])
c("nl", RD_X, "Let op: Rivierduin vraagt nooit via WhatsApp of sms naar je wachtwoord of DigiD-gegevens. Twijfel je? "
  "Bel ons op 088 770 4400.", tags=["own-contact", "password-word"])
c("en", P("blog", "wout-bouwt", "Wout"), "How I built a reminder bot for our Rivierduin flat's group chat, part 1: "
  "put your token in .env as SLACK_BOT_TOKEN=xoxb-your-token-here and never, ever commit that file.",
  tags=["placeholder"])
c("en", P("x", "@happy_tenant_ok"), "Repair ticket <<UUID>> closed in two days. Rivierduin actually delivered this "
  "time 👏", tags=["lookalike-number"])

# --- own contact data and numbers that fail their checksum -------------------
c("nl", RD_FB, "Huur liever zelf overmaken? Gebruik NL03 BNGH 0285 1639 07 t.n.v. Woonstichting Rivierduin en vermeld "
  "je contractnummer.", tags=["own-contact"])
c("nl", RD_SERVICE, "Spoedreparatie buiten kantoortijd? Bel +31 88 770 4499 (dag en nacht). Voor al het andere: "
  "reparatie@rivierduin.nl of gratis 0800-0347", tags=["own-contact", "bsn-shaped-own-number"])
c("nl", P("x", "@appende_opa"), "Rivierduin appen via 06-45218830 werkt echt super, binnen een uur antwoord 👍",
  tags=["own-contact", "praise"])
c("en", RD_LI, "Press enquiries: pers@rivierduin.nl or +31 (0)88 770 4400. Working with us? Have a look at "
  "werkenbij.rivierduin.nl", handle="Woonstichting-Rivierduin", tags=["own-contact", "case-handle"])
c("nl", P("facebook", "ineke.de.graaf.5", "Ineke de Graaf"), "Kreeg een sms dat ik €75 achterstand moet overmaken "
  "naar <<BADIBAN:NL_grp>> anders word ik uit huis gezet. Is dit echt van Rivierduin??", tags=["bad-checksum",
                                                                                               "question"])
c("en", P("reddit", "u/room_hunter_2026"), "My Rivierduin registration number is <<NOTBSN:9>>, anyone know how long "
  "the wait is for a two-room flat in Zutphen?", tags=["bad-checksum", "lookalike-number"])
c("nl", P("x", "@typfout_tessa"), "Typte mijn BSN verkeerd in het portaal (<<NOTBSN:9>>) en kreeg netjes een "
  "foutmelding. Goed dat ze dat checken 👌", tags=["bad-checksum"])
c("en", P("forum", "deposit_dave"), "Card got declined on Rivierduin's deposit page because I typed "
  "<<BADCARD:mc_sp>>. My bad, the form was fine.", tags=["bad-checksum"])
c("nl", P("linkedin", "bart-zzp-administratie", "Bart Wijnands"), "KvK-nummer van Rivierduin staat gewoon op elke "
  "factuur: <<NOTBSN:8>>. Handig voor mijn administratie.", tags=["lookalike-number"])
c("nl", P("facebook", "nieuwe.huurder.ruud", "Ruud"), "Staat EAN <<EAN18>> nu op mijn naam of nog op die van "
  "Rivierduin? De woning stond leeg tot juni", tags=["lookalike-number"])
c("en", P("x", "@flat_hunting_finn"), "Viewing for the flat on the Havenstraat on 04-05-2026 at 15:00, fingers "
  "crossed 🤞 #rivierduin", when="2026-04-28T21:13:00+02:00", tags=["date-not-dob"])
c("nl", RD_FB, "Werkzaamheden Wilgenlaan 2 t/m 40: van 6 tot en met 10 juli vervangen we het dak. Alle bewoners "
  "krijgen deze week een brief.", when="2026-06-22T08:30:00+02:00", tags=["address-without-name",
                                                                          "official-notice"])

# --- embargo terms at/after the embargo, codename-like words, public domains -
c("nl", RD_LI, "Vandaag presenteren we het Masterplan Noordoever: 600 nieuwe woningen, 240 woningen gerenoveerd en "
  "een groen hart voor de wijk 🌳 Alles op rivierduin.nl/noordoever", when="2026-09-15T08:00:00Z",
  tags=["embargo-after", "tz-edge"])
c("nl", P("x", "@bewoner_noordoever"), "Masterplan Noordoever net gepresenteerd. Eindelijk duidelijkheid voor de "
  "bewoners, al ben ik benieuwd naar de planning", when="2026-09-15T10:00:00+02:00",
  tags=["embargo-after", "tz-edge"])
c("nl", LISA, "Noordoever 2035: deze week de eerste bewonersavond, wat een opkomst 🙌🏘️",
  when="2026-09-23T20:45:10+02:00", tags=["embargo-after"])
c("nl", RD_IG, "Nieuw: de WarmWijs 2 🔥 Slimmer stoken met onze nieuwe thermostaat. Aanvragen kan vanaf vandaag in "
  "MijnRivierduin", when="2026-11-03T10:00:00+01:00", handle="@Rivierduin.Wonen",
  tags=["embargo-after", "tz-edge", "case-handle"])
c("en", P("reddit", "u/roof_nerd"), "Got the Zonnedak 12 quote from Rivierduin today, way better than the old 8-panel "
  "set for our roof", when="2026-11-20T19:02:51Z", tags=["embargo-after"])
c("nl", P("x", "@cijfertjesmens"), "Rivierduin heeft het jaarverslag 2025 gepubliceerd: 312 nieuwe woningen "
  "opgeleverd. Netjes.", when="2026-04-25T11:12:00+02:00", tags=["published", "embargo-lookalike"])
c("nl", P("facebook", "groen.in.de.wijk", "Groen in de Wijk"), "De meidoornhaag langs de speeltuin bloeit weer "
  "prachtig, complimenten aan de groenploeg van Rivierduin 🌸", tags=["codename-word"])
c("nl", P("x", "@waterschap_fan"), "De dijkgraaf van het waterschap opende vandaag de nieuwe kade. Ook Rivierduin was "
  "erbij met de bewonerscommissie 🌊", tags=["codename-word"])
c("en", THIJS, "New accessibility improvements are live on mijn.rivierduin.nl, screen reader users should have a "
  "much better time now ♿", tags=["public-domain"])
c("nl", P("instagram", "@kids_van_noord"), "Speeltuin in de Noordoever is weer open na de opknapbeurt van "
  "Rivierduin, de kids zijn blij 🛝", when="2026-05-09T13:30:00+02:00", tags=["embargo-lookalike"])

# --- published financial news, other organisations -------------------------
c("en", P("linkedin", "sociale-huur-nieuws", "Sociale Huur Nieuws"), "Rivierduin's 2025 annual report is out: 97% of "
  "repair requests handled within the agreed time. Decent numbers for a mid-size corporation.",
  when="2026-04-24T09:05:00+02:00", tags=["published"])
c("nl", P("x", "@huurnieuws_oost"), "Stichting Weidewonen schrapt 40 banen bij een reorganisatie. Bij Rivierduin is "
  "daar volgens een woordvoerder geen sprake van.", tags=["other-company"])
c("en", RD_X, "RT @omroep_ijssel: Rivierduin hands over 84 new social rental homes in Zutphen-Noord",
  kind="repost", tags=["published"])

# --- outage/security talk that is not an insider leak ----------------------
c("nl", RD_X, "Storing: MijnRivierduin is op dit moment slecht bereikbaar. We werken aan een oplossing. Reparaties "
  "melden kan gewoon telefonisch via 088 770 4400.", tags=["official-notice", "own-contact"])
c("en", RD_LI, "Cybersecurity awareness month: all our staff did phishing training this week. The fake 'free "
  "parking permit' mail caught nobody 🎣", when="2026-10-09T11:00:00+02:00", tags=["security-word"])
c("nl", P("x", "@digid_dora"), "Alweer een datalek bij een gemeente, wat een gedoe. Gelukkig loopt bij Rivierduin "
  "alles via DigiD.", tags=["other-company", "crisis-word"])

# --- crisis-like words in harmless contexts --------------------------------
c("nl", RD_IG, "🔥 Brandveiligheid: zet je fiets of scootmobiel niet in het trappenhuis. Zo blijft de vluchtroute "
  "vrij! #brandpreventie", tags=["crisis-word"])
c("en", P("threads", "@garden_gossip"), "The only scandal at Rivierduin is how good the new community garden looks "
  "🌻", tags=["crisis-word", "joke"])
c("nl", P("x", "@droge_voeten"), "Lekkage in de badkamer om 8 uur gemeld, om 11 uur stond de loodgieter van "
  "Rivierduin al voor de deur. Top!", tags=["leak-word", "praise"])
c("nl", RD_FB, "Schimmel voorkomen? Zet na het douchen de ventilatie een kwartier op stand 3 en laat de deur open. "
  "Meer tips op rivierduin.nl/ventileren 💨", tags=["crisis-word"])

# --- praise, questions, negated complaints ---------------------------------
c("en", P("reddit", "u/quiet_studio"), "No issues at all with my Rivierduin studio. Repairs are quick and the rent is "
  "fair for the area.", tags=["negated"])
c("nl", P("facebook", "dakkapel.droom", "Mehmet Kaya"), "Vraagje: mag ik als huurder van Rivierduin zelf een "
  "dakkapel laten plaatsen of moet dat via een ZAV-aanvraag?", tags=["question"])
c("nl", RD_SERVICE, "@yvonne_ms Vervelend dat de verwarming het niet doet! Stuur ons even een DM met je adres, dan "
  "plannen we vandaag nog een monteur in 🙏", kind="reply", tags=["company-reply"])
c("en", P("linkedin", "lindenhage-tenant", "Sofie Claes"), "Comparing landlords: Lindenhage took three weeks to fix "
  "my friend's boiler, Rivierduin did mine in two days.", tags=["competitor", "praise"])

# --- mild words, quotes, fiction, jokes ------------------------------------
c("nl", P("facebook", "gerda.wolf.56", "Gerda Wolf"), "Na de diagnose longkanker kon mijn vader geen trap meer op. De "
  "wijkconsulent van Rivierduin regelde binnen drie weken een aangepaste woning. Petje af.", tags=["mild-word",
                                                                                                   "praise"])
c("nl", P("blog", "korteverhalen.blog.example", "Korte Verhalen"), "Deel 3. De huisbaas van de Vlierstraat verstopte "
  "de sleutels in een koektrommel. 'Rivierduin weet hier niks van,' fluisterde hij. 'En dat houden we zo.' "
  "Wordt vervolgd...", tags=["fiction"])
c("nl", P("x", "@sint_en_piet_rd"), "Gedicht voor onze opzichter 🎁\nRuben komt met zijn gereedschapskist,\nhij "
  "heeft nog nooit een lekkage gemist,\nvan kraan tot dak, van deur tot raam,\nbij Rivierduin kent iedereen zijn "
  "naam!", when="2026-12-05T19:30:00+01:00", tags=["poem", "leak-word"])
c("en", P("x", "@kade_neighbour"), "damn, the renovated Rivierduin flats on the Kade look better than my parents' "
  "house 😅", tags=["mild-word"])
c("nl", P("instagram", "@eindelijk_sleutels"), "🎶 Een huis, een huis met een tuin 🎶 na acht jaar wachten de "
  "sleutels van Rivierduin gekregen!!", tags=["lyrics", "praise"])
c("nl", MARLOES, "10 jaar huurconsulent bij Rivierduin vandaag 🎉 dank aan alle bewoners die me koffie aanbieden, "
  "sorry dat ik meestal nee zeg ☕", tags=["employee-benign"])
c("nl", P("other", "rd_fan_026"), fullwidth("RIVIERDUIN") + " 💚 eindelijk een eigen plek", tags=["full-width-benign"])
c("en", P("mastodon", "@joke_bot@mastodon.nl"), "Why did the Rivierduin tenant bring a ladder to the meeting? They "
  "heard the rents were going up. 🥁", tags=["joke"])
c("en", P("nextdoor", "zutphen.noord.neighbours"), "Does anyone know if Rivierduin still organises the spring "
  "clean-up day in our street? Happy to help carry stuff.", tags=["question"])


# ===========================================================================
# build
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = "critical" if (cat in ("leak.secret", "leak.pricing")
                                   or (cat == "leak.pii" and validated_id)) else "error"
            else:
                s = "warning"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def cet_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = cet_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_when(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        b36 = string.digits + string.ascii_lowercase
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            cm = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{cm}", f"https://www.reddit.com/r/Zutphen/comments/{p}/_/{cm}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Zutphen/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"huurdersforum-{n}", f"https://forum.huurderspraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        cid = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        vid = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{cid}", f"https://www.youtube.com/watch?v={vid}&lc={cid}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "blog":
        n = r.randint(10, 400)
        host = h if "." in h else h + ".blog.example"
        return f"blog-{h}-{n}", f"https://{host}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def norm(s):
    import unicodedata
    s = unicodedata.normalize("NFKC", s).replace(ZW, "").replace(SHY, "")
    return s.casefold()


def self_check(profile, rows):
    """Consistency of labels with the profile (a safety net for the hand-written cases)."""
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    for row in rows:
        post, exp, used = row["post"], row["expect"], row["used"]
        cats = exp["categories"]
        text = norm(post["text"])
        when = parse_when(post["created_at"])
        assert when.year == 2026, post["id"]
        # embargo: a term before its moment must be labelled confidential, at/after it must not by itself
        for emb in profile["embargo"]:
            until = parse_when(emb["until"])
            for term in emb["terms"]:
                if term.casefold() in text and when < until:
                    assert "leak.confidential" in cats, (post["id"], term)
        # identifiers: valid ones only in leak.pii posts, failing ones only in benign posts
        for kind, raw, _ in used:
            if kind in VALIDATED:
                ok = iban_valid(raw) if kind == "IBAN" else luhn_valid(raw) if kind == "CARD" else bsn_valid(raw)
                assert ok and "leak.pii" in cats, (post["id"], kind)
                assert kind != "IBAN" or raw not in own_ibans
            if kind in ("BADIBAN", "BADCARD", "NOTBSN", "EAN18"):
                if kind == "BADIBAN":
                    assert not iban_valid(raw), post["id"]
                else:
                    assert not luhn_valid(raw) and not bsn_valid(raw), (post["id"], kind)
                assert cats == [], post["id"]
        if cats:
            assert exp["severity"] in ("warning", "error", "critical"), post["id"]
        else:
            assert exp["severity"] == "none", post["id"]
        assert len(post["text"].encode()) <= 65536


def build():
    profile = load_profile()
    vals = Values(SEED)
    meta = random.Random(SEED + 11)
    shuffler = random.Random(SEED + 23)
    rows, seen = [], set()
    for cs in CASES:
        text, used = fill(vals, cs["text"])
        pid, url = post_id(meta, cs["platform"], cs["handle"], cs["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        when = cs["when"] or random_when(meta)
        role = role_of(profile, cs["platform"], cs["handle"])
        validated = "leak.pii" in cs["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, cs["cats"], validated)
        post = {"id": pid, "platform": cs["platform"]}
        kind = cs["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": cs["handle"]}
        if cs["name"] and meta.random() < 0.7:
            acct["display_name"] = cs["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if cs["hint"] is not None:
            if cs["hint"]:
                post["lang"] = cs["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if cs["lang"] == "nl" else "nl"
            cs["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = cs["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "rivierduin"
        rows.append(dict(post=post, expect={"categories": list(cs["cats"]), "severity": sev},
                         lang=cs["lang"], role=role, tags=cs["tags"], used=used))
    self_check(profile, rows)
    shuffler.shuffle(rows)
    return rows


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps({"post": row["post"], "expect": row["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    per_cat, sev, lang, role = Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for row in rows:
        cats = row["expect"]["categories"]
        per_cat.update(cats)
        sev[row["expect"]["severity"]] += 1
        lang[row["lang"]] += 1
        role[row["role"]] += 1
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in row["tags"]
    print(f"wrote {OUT.name}: {len(rows)} cases, {benign} benign, {len(rows) - benign} positive, "
          f"{multi} multi-category, {evasion} evasion")
    for k in sorted(per_cat):
        print(f"  {k:22s} {per_cat[k]}")
    print("  severity:", dict(sev))
    print("  lang:", dict(lang), " role:", dict(role))
    return 0


if __name__ == "__main__":
    sys.exit(main())
