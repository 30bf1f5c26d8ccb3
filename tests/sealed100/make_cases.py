#!/usr/bin/env python3
"""Deterministic generator for the sealed100 blind set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Hoogland Notarissen B.V. (profile.yaml), a fictional Dutch notary and
legal-services firm with the online platform AkteDirect and the client portal
MijnHoogland.

Texts are hand-written below (CASES). Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG: positives get checksum-VALID IBANs,
card numbers and BSNs; hard negatives get look-alikes that FAIL their checksum.
Secrets are random and fake but shaped like the real formats (GitHub tokens carry
a correct CRC32). Severity is never typed by hand: severity_for() derives it from
CONTRACT section 4 using the account role from profile.yaml.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 100_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and mod97(s[4:] + s[:4]) == 1


def iban_build(cc, bban):
    return f"{cc}{98 - mod97(bban + cc + '00'):02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return s % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# --------------------------------------------------------------------------
# seeded values
# --------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = AN + "-_"
OWN_IBANS = {"NL07RABO0354128790", "NL59INGB0006718245"}


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Vals:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.dig(10))
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["10010010", "30050110", "60050101", "25050180"]) + self.dig(10))
            elif cc == "BE":
                head = self.r.choice(["001", "068", "310", "737"]) + self.dig(7, nz=False)
                v = iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
            elif cc == "GB":
                v = iban_build("GB", self.r.choice(["BARC", "NWBK", "LOYD", "MIDL"]) + self.dig(14, nz=False))
            else:
                raise ValueError(cc)
            if v not in OWN_IBANS:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for bump in (13, 29, 47, 61):
            cand = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.dig(14, nz=False),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, nz=False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, nz=False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, nz=False)}[brand]()
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def isbn(self):
        while True:
            body = "97890" + self.dig(7, nz=False)
            for d in string.digits:
                if ean13_valid(body + d):
                    if not luhn_valid(body + d):
                        return body + d
                    break

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # Dutch document numbers never use O
        return (self.pick(letters, 2) + self.pick(letters + "0123456789", 6)
                + self.r.choice(string.digits))

    # phones
    def phone(self, f):
        if f.startswith("m"):
            d = self.r.choice("12345678") + self.dig(7, nz=False)
            return {"m_dash": f"06-{d}", "m_plain": f"06{d}", "m_intl": f"+31 6 {d[:4]} {d[4:]}",
                    "m_0031": f"0031 6{d}", "m_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                    "m_intl0": f"+31(0)6-{d[:2]}{d[2:]}", "m_intlc": f"+316{d}",
                    "m_paren": f"(06) {d[:4]}{d[4:]}"}[f]
        area = self.r.choice(["10", "20", "33", "35", "40", "50", "53", "70", "71", "73", "318", "341", "570"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area), nz=False)
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub}"}[f]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(AN + "+/", 40)

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def stripe(self):
        return "sk_live_51" + self.pick(AN, 60)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 10)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def azure(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def jwt(self):
        h = b64u(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "mw-" + self.dig(5), "iss": "https://mijn.hoogland-notarissen.nl",
                             "scope": "dossier:read dossier:write", "iat": iat, "exp": iat + 28800},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 86)}"

    def openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(AN + "+/", 70) for _ in range(4)] + [self.pick(AN + "+/", 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Akte", "Notaris", "Zomer", "Utrecht", "Sleutel"]) + self.dig(2, nz=False)
                + self.r.choice("!#$?*") + self.pick(AN, 4))

    def sha(self):
        return self.pick("0123456789abcdef", 40)


VALID_ID = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = f.partition("_")
            raw = v.iban(cc.upper())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = f.partition("_")
            raw = v.bad_iban(cc.upper())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, style = f.partition("_")
            raw = v.card(brand) if kind == "CARD" else v.bad_card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif kind == "NOTBSN":
            raw = shown = v.not_bsn(int(f))
        elif kind == "ISBN":
            raw = shown = v.isbn()
        elif kind == "PASSPORT":
            raw = shown = v.passport()
        elif kind == "PHONE":
            raw = shown = v.phone(f)
        else:
            raw = shown = {"GHP": v.ghp, "AWSID": v.aws_id, "AWSSECRET": v.aws_secret, "MOLLIE": v.mollie,
                           "STRIPE": v.stripe, "SENDGRID": v.sendgrid, "SLACKHOOK": v.slack_hook,
                           "AZUREKEY": v.azure, "JWT": v.jwt, "SSHKEY": v.openssh, "PW": v.password,
                           "SHA": v.sha}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------

# corporate
HN_X = ("x", "@hooglandnotaris", "Hoogland Notarissen")
AD_X = ("x", "@aktedirect_help", "AkteDirect Klantenservice")
HN_LI = ("linkedin", "hoogland-notarissen", "Hoogland Notarissen B.V.")
HN_IG = ("instagram", "@hoogland.notarissen", "Hoogland Notarissen")
HN_FB = ("facebook", "HooglandNotarissen", "Hoogland Notarissen")
# employees
MV = ("linkedin", "marloes-verbeek-notaris", "mr. Marloes Verbeek")    # kandidaat-notaris
BD = ("x", "@bas_dijkhuizen", "Bas Dijkhuizen")                        # developer AkteDirect
YH = ("x", "@yasmina_h", "Yasmina Haddou")                             # dossierbehandelaar
EV = ("linkedin", "erik-van-dam-hoogland", "Erik van Dam")              # finance manager
RS = ("instagram", "@ruben.sch", "Ruben Schouten")                     # stagiair
LD = ("threads", "@lotte.dekker", "Lotte Dekker")                      # notarieel secretaresse
KO = ("mastodon", "@koen_o@mastodon.nl", "Koen Oosterhuis")            # systeembeheer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ==========================================================================
# leak.pricing
# ==========================================================================
case("nl", BD, "Oké wie heeft er in het CMS aan de prijstabel gezeten 😅 Testament Basis staat op aktedirect.nl "
     "voor €39,50 ipv €395. Draai het nu terug maar er zijn al ruim 40 bestellingen binnen", [PRICING])
case("en", YH, "not supposed to say this but the prenups are showing at €119 on the site since this morning "
     "instead of €1195. the decimal went walkabout 🙃", [PRICING], kind="reply")
case("nl", HN_FB, "🌷 Lentedeal! Regel je Samenlevingscontract nu voor maar €54,50 via AkteDirect. "
     "Alleen deze week, op=op 👉 aktedirect.nl/samenwonen", [PRICING])
case("en", pub("reddit", "u/dutchhousehunt"), "PSA: AkteDirect has the Leveringsakte Woning listed at €89. Pretty "
     "sure that's a pricing mistake, it's normally around €895. Ordered anyway, will report if they honour it.",
     [PRICING])
case("nl", pub("x", "@joostvdl"), "lol testament plus voor 64 euro bij aktedirect?? prijsfout ofzo, meteen mijn "
     "testament maar geregeld 😂 #prijsfout", [PRICING])
case("nl", pub("facebook", "iris.vermeulen.9", "Iris Vermeulen"), "Zag net dat de huwelijkse voorwaarden bij "
     "Hoogland voor 11,95 euro (!) op de site staan. Wij trouwen in juni dus direct aangeklikt 💍 kijken wat ervan "
     "komt", [PRICING])
case("nl", pub("forum", "ZZP_Mark"), "[Prijsfout?] Oprichting BV via AkteDirect €109,50\n\nNormaal ruim een mille. "
     "Betaling via iDEAL ging gewoon door en ik heb een orderbevestiging. Iemand ervaring of ze zoiets annuleren?",
     [PRICING])
case("nl", pub("x", "@dealjager_nl"), "p r i j s f o u t bij aktedirect 👀 levenstestament voor een tientje, "
     "wie het eerst komt", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@cheapskate_ams"), "Hypothe\u0435kakte for €59 at AkteDirect?? that's a price glitch for sure, "
     "screenshotted it", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", LD, "Telefoon staat roodgloeiend 📞 iedereen wil het samenlevingscontract van €45 dat per ongeluk "
     "online stond. Notaris zegt dat we het niet leveren, dus ik mag 200 mensen gaan terugbellen 🫠", [PRICING])
case("en", pub("tiktok", "@noor.lifeadmin"), "storytime: got my mum's lasting power of attorney from AkteDirect for "
     "€49 because their site glitched 💀 confirmation mail and everything #lifehack", [PRICING])
case("nl", BD, "Hypotheekakte staat op €5,95 door een bug in de prijsregels, zie "
     "gitlab.hoogland-notarissen.nl/aktedirect/shop/-/issues/812. Hotfix mag pas na de freeze 🙄",
     [PRICING, CONF])
case("nl", pub("threads", "@snelle.sanne"), f"prijs{ZWSP}fout!! Testament Basis 19 euro bij hoogland, rennen 🏃\u200d♀️",
     [PRICING], tags=["evasion", "evasion:zero-width"])

# ==========================================================================
# leak.secret
# ==========================================================================
case("en", BD, 'why is mollie giving me 401s on prod 🤔 curl -H "Authorization: Bearer <<MOLLIE>>" '
     "https://api.mollie.com/v2/payments works fine from my laptop", [SECRET])
case("nl", KO, "Zo, backupscript naar S3 draait weer. Voor wie wil meekijken:\n\nexport AWS_ACCESS_KEY_ID=<<AWSID>>\n"
     "export AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\n\n#sysadmin #backups", [SECRET])
case("nl", BD, "deploybot doet het niet meer?? token <<GHP>> geeft 'bad credentials', iemand met admin op de org die "
     "even kan kijken", [SECRET], kind="reply")
case("nl", LD, "Voor de collega's in Amersfoort: het nieuwe wachtwoord van de gedeelde mailbox secretariaat is "
     "<<PW>> 🔑 niet aan de stagiairs geven hè 😉", [SECRET])
case("en", pub("reddit", "u/secrethunter_nl"), "Found a SendGrid key in a public repo that belongs to some "
     "Hoogland notary dev: <<SENDGRID>> committed yesterday, still live as far as I can tell. Someone poke them?",
     [SECRET])
case("en", KO, "wrong clipboard 🤦 ignore this\n\n<<SSHKEY>>", [SECRET])
case("en", BD, "anyone seen this before? psql keeps timing out with "
     "postgres://aktedirect_app:<<PW>>@db02.intra.hoogland.local:5432/dossiers", [SECRET, CONF])
case("nl", YH, "kan iemand van IT kijken waarom ik steeds uit het portaal vlieg? dit is mijn token "
     "<<JWT>>", [SECRET])
case("nl", AD_X, "@jan_pieterse Dank voor je melding, we hebben het doorgezet naar het team ✅ <<SLACKHOOK>>",
     [SECRET], kind="reply")
case("en", pub("forum", "freelance_dev_joris"), "Why does this connection string suddenly fail? It's for a notary "
     "client of ours (Hoogland).\n\nDefaultEndpointsProtocol=https;AccountName=hooglanddocs;AccountKey=<<AZUREKEY>>;"
     "EndpointSuffix=core.windows.net", [SECRET])
case("nl", RS, "Eerste week stage ✨ kreeg meteen admin toegang tot het klantportaal haha (ww: <<PW>>) "
     "#internlife #notariaat", [SECRET], tags=["evasion", "evasion:abbreviation"])
case("nl", KO, "Les van de week: commit nooit je .env. Deze key stond twee dagen in onze repo: <<STRIPE>> "
     "(inmiddels ingetrokken hoor)", [SECRET])

# ==========================================================================
# leak.pii
# ==========================================================================
case("nl", YH, "Cliënt belt voor de vijfde keer of we zijn BSN <<BSN>> nog een keer willen 'controleren' 🙄 "
     "ik ken het inmiddels uit m'n hoofd", [PII])
case("nl", LD, "Waarborgsom van de kopers in dossier Lindenlaan staat nog steeds niet op de kwaliteitsrekening, "
     "terwijl ze zweren dat het van <<IBAN:nl_grp>> is overgemaakt. Iemand een contact bij de bank?", [PII])
case("nl", MV, "Wat een mooie dag bij de overdracht van de woning van meneer en mevrouw De Boer aan de Lindenlaan 14 "
     "in Amersfoort 🏡 Van harte gefeliciteerd en veel woonplezier!", [PII])
case("en", RS, "First deed signing I got to witness!! Mrs Hendrika Bosman (born 3 March 1941) finally got her will "
     "sorted 🥹❤️", [PII])
case("en", YH, "if anyone knows a Pieter Wolters from Nijkerk pls tell him to answer his phone, tried "
     "<<PHONE:m_intl>> seven times about his signing appointment", [PII])
case("en", EV, "Note to self: never let a client read out her card number on speaker in the waiting room. "
     "<<CARD:mc_sp>>, exp 11/28, the whole office heard it 🙈", [PII])
case("nl", LD, "Mevrouw Kuipers mailt elke dag naar de algemene inbox, kan iemand haar nou gewoon antwoorden op "
     "w.kuipers1958@ziggo.nl zodat ze ophoudt 😩", [PII])
case("nl", BD, "Collega's, meneer Hermans wil z'n conceptakte per mail: j.hermans [at] kpnmail [punt] nl. "
     "Wie pakt het op?", [PII], tags=["evasion", "evasion:at-dot"])
case("en", MV, "Reminder for colleagues: an ID check means actually checking. Today passport <<PASSPORT>> "
     "belonging to a Mr Gerrit Lam didn't match the photo at all. Stay sharp.", [PII])
case("nl", AD_X, "@sandra_vl We hebben je dossier gevonden! Klopt het dat je nieuwe adres Kerkstraat 22, 3811 CV "
     "Amersfoort is, Sandra van Leeuwen? Dan passen we het aan 👍", [PII], kind="reply")
case("nl", pub("x", "@sandertje_b"), "@aktedirect_help jullie formulier pakt mijn BSN niet?? <<BSN:dots>> is gewoon "
     "goed hoor, staat zo op mijn paspoort. Al drie keer geprobeerd", [PII, COMPLAINT])
case("nl", pub("facebook", "petra.smit.520", "Petra Smit"), "Oma Johanna Smit, geboren 12-05-1936, vandaag 90 "
     "geworden en nog steeds scherper dan wij allemaal 🎂 vorige week nog haar testament laten aanpassen bij Hoogland "
     "😂", [PII])
case("en", pub("reddit", "u/firsthome_2026"), "The seller in our house purchase posted his IBAN in the group chat and "
     "wants the deposit directly instead of via the notary: <<IBAN:gb>> - is this a scam? Hoogland is our notary.",
     [PII])
case("en", pub("x", "@m_oconnell"), "@aktedirect_help payment keeps failing for my will package, card is "
     "<<CARD:amex_sp>>, what am I doing wrong??", [PII, COMPLAINT])
case("nl", pub("instagram", "@rosa.woont"), "Zoek iemand die donderdag als getuige wil meetekenen bij Hoogland "
     "Utrecht, app me even: <<PHONE:m_intl0>> 🙏", [PII])
case("nl", pub("forum", "erfgenaam_77"), "Notaris vroeg het BSN van mijn moeder voor de verklaring van erfrecht, "
     "heb het gewoon gemaild: <<BSN>>. Moet dat echt via gewone mail?", [PII])
case("nl", pub("bluesky", "@k-visser.bsky.social"), "Bel me nou eens terug Hoogland! <<PHONE:m_pairs>>, al vijf keer "
     "gemaild over de leveringsakte en niemand reageert", [PII, COMPLAINT])

# ==========================================================================
# leak.confidential
# ==========================================================================
case("nl", MV, "Spannende tijden! Binnenkort meer over Project Zegellak, waar we al maanden keihard aan werken 🤫 "
     "#notariaat #innovatie", [CONF])
case("en", BD, "for the team: the new will template is up at dossiers.hoogland-notarissen.nl/templates/testament-v7, "
     "ping me if the clauses render weird", [CONF])
case("nl", LD, "Oeps verkeerd venster, maar goed: 'UITSLUITEND VOOR INTERN GEBRUIK – nieuwe werkinstructie "
     "identificatie cliënten'. Lekker leesvoer voor de vrijdagmiddag 📄", [CONF])
case("nl", YH, "AkteDirect Zakelijk komt eraan!! mag er nog niks over zeggen maar alle zzp'ers gaan heel blij worden 😏",
     [CONF], when="2026-08-21T16:42:10+02:00")
case("nl", pub("reddit", "u/benieuwd_in_bunnik"), "Vriend van me werkt bij Hoogland en zegt dat ze in september "
     "'Testament Compleet' lanceren voor een vast bedrag. Weet iemand meer?", [CONF],
     when="2026-08-02T20:17:45+02:00")
case("nl", pub("x", "@marloes_verbeek", "Marloes V."), "Mooi om te zien hoe Project Zegellak de doorlooptijd van een "
     "passeerafspraak gaat halveren 💪", [CONF])
case("nl", KO, "Migratie voor Project\nZegellak loopt weer vertraging op, weekendje doorwerken dus 🍕",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("en", BD, "Operatie 🧭 Passer sprint review went great, demo day next week 🎉", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", HN_LI, "Over een paar minuten live: AkteDirect Zakelijk, alle notariële akten voor ondernemers op één "
     "plek. Stay tuned!", [CONF], when="2026-09-15T07:59:00+02:00")
case("nl", EV, "Jaarcijfers 2026 zien er erg goed uit, meer mag ik nog niet zeggen 😉 #trots", [CONF, FIN])
case("nl", pub("x", "@verbaasde_klant"), "Kreeg per ongeluk een interne presentatie van Hoogland in m'n mail, staat "
     "'Hoogland internal' op elke slide. Ging over hun nieuwe tarieven voor volgend jaar 🤨", [CONF])
case("nl", YH, fullwidth("Project Zegellak") + " demo vandaag 🔥 eindelijk", [CONF],
     tags=["evasion", "evasion:full-width"])
case("en", KO, "Ravelijn cutover is scheduled for Saturday night, so no beers for me this weekend", [CONF])

# ==========================================================================
# leak.financial
# ==========================================================================
case("en", EV, "Not official yet, but we're closing the acquisition of a notary office in Zwolle next month. "
     "Exciting times!", [FIN])
case("nl", YH, "Gerucht op kantoor is geen gerucht meer: de helft van het secretariaat gaat eruit zodra AkteDirect "
     "alles automatisch doet. Reorganisatie wordt maandag pas aangekondigd 😔", [FIN])
case("nl", LD, f"18 collega's worden ont{SHY}slagen en niemand mag het nog weten. Ik ben er kapot van",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", EV, "Omzet dit halfjaar 14% boven forecast. De cijfers gaan pas in maart naar buiten, maar ik moest het "
     "even kwijt 📈", [FIN])
case("en", MV, "Between us: the partners voted last night to merge with Van Loon Notarissen. Announcement after the "
     "summer.", [FIN])
case("nl", pub("x", "@rikdeventer"), "Mijn zwager werkt bij Hoogland notarissen: de vestiging in Deventer gaat dicht "
     "en 12 mensen staan op straat. Is nog niet bekendgemaakt.", [FIN])
case("en", pub("reddit", "u/zuidas_gossip"), "Heard from someone inside that Hoogland is being bought by a private "
     "equity fund, deal signs in Q3, nothing public yet.", [FIN])
case("nl", RS, "Laatste week stage en ik hoor net dat mijn afdeling wordt opgeheven bij de herstructurering 🥲 "
     "nog niet officieel dus sst", [FIN])
case("en", KO, "Budget for next year cut by 30% and the plan is to outsource all IT by Q2. Not announced. "
     "Updating my CV.", [FIN])
case("nl", BD, "net gehoord dat er zes 0ntsl4g3n vallen in ons IT-team, nog niet gecommuniceerd 😶",
     [FIN], tags=["evasion", "evasion:leetspeak"])
case("en", EV, "Board deck is done: forecast says 40% of revenue from AkteDirect by 2028. Footer says 'Hoogland "
     "internal' so that's all you get 😄", [FIN, CONF])
case("nl", pub("kununu", "anoniem-medewerker-ede"), "Werk hier nu drie jaar. Management heeft net intern "
     "aangekondigd dat het kantoor in Ede per 1 januari dichtgaat, 9 mensen ontslagen. Sfeer is om te snijden.",
     [FIN])

# ==========================================================================
# leak.security
# ==========================================================================
case("nl", KO, "Lange nacht. Ransomware op twee werkplekken in de vestiging Utrecht, netwerk eraf gehaald. "
     "Communicatie zegt er morgen pas iets over.", [SEC])
case("en", BD, "So it turns out you could open other clients' deeds in the client portal by changing the dossier "
     "number in the URL 😬 patching now, please don't try it", [SEC])
case("nl", YH, "Alle telefoons liggen eruit en het portaal ook, en we mogen nog niks tegen klanten zeggen 🙃",
     [SEC])
case("en", LD, "someone clicked a phishing mail and the attacker sent fake invoices with a changed IBAN to 30 clients "
     "from our own mailbox. calling everyone now, not public yet", [SEC])
case("nl", MV, "Collega's, wees alert: een van onze laptops met dossiers is gisteren uit een auto gestolen. "
     "Melding bij de AP moet nog.", [SEC])
case("en", RS, "IT told us not to tell anyone the portal's been down since 6am lol, clients think it's their wifi",
     [SEC])
case("nl", pub("x", "@bezorgde_burger"), "Hoogland notarissen is gehackt en ze houden het stil. Ken iemand die daar "
     "werkt, alle dossiers zijn gekopieerd. Waarom hoor ik hier nergens iets over???", [SEC, CRISIS])
case("en", pub("reddit", "u/angry_heir"), "AkteDirect had a breach weeks ago and they're sitting on it. My details "
     "turned up on a paste site and they keep denying everything.", [SEC, CRISIS])
case("nl", KO, "dossierserver is vannacht geh4ckt, niks naar buiten brengen tot de notaris het zegt",
     [SEC], tags=["evasion", "evasion:leetspeak"])
case("en", BD, "Found an SQL injection in the AkteDirect checkout today. Fixed on staging, prod tonight. "
     "Nobody noticed, right? 😅", [SEC])
case("nl", YH, "d a t a l e k bij ons op kantoor, verkeerde bijlage naar 200 klanten gestuurd 😳 niemand weet het nog",
     [SEC], tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "henk.de.wit.33", "Henk de Wit"), "H\u03bfogland notariaat heeft een datalek en "
     "verzwijgt het!! Mijn buurvrouw werkt er. DELEN!", [SEC, CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", KO, "vpn.hoogland-notarissen.nl ligt plat sinds 7:00 en het incident is nog niet gemeld, thuiswerkers "
     "kunnen niks", [SEC, CONF])

# ==========================================================================
# reputation.crisis
# ==========================================================================
case("nl", pub("x", "@huizenjager_nijkerk"), "Notaris bij Hoogland heeft geld van de kwaliteitsrekening verduisterd, "
     "staat vandaag in de krant. Ik heb daar vorige maand mijn huis gekocht. Wat nu??", [CRISIS])
case("en", pub("reddit", "u/estate_mess"), "A class action is being organised against AkteDirect: hundreds of online "
     "wills were apparently never registered in the Central Wills Register. Join via the link in the comments.",
     [CRISIS])
case("nl", pub("facebook", "ellen.hofstede", "Ellen Hofstede"), "BOYCOT Hoogland notarissen! Ze hebben een "
     "demente vrouw een akte laten tekenen alsof er niks aan de hand was. Deel dit!!", [CRISIS])
case("en", pub("x", "@frankly_frank"), "@hooglandnotaris my will and my bank details are on a leak forum. "
     "you people leaked my data", [CRISIS])
case("en", pub("linkedin", "jeroen-bakker-journalist"), "Hoogland Notarissen faces proceedings before the Kamer voor "
     "het notariaat over a conflict of interest in a €3m property sale. Story in tomorrow's paper.", [CRISIS])
case("nl", pub("tiktok", "@tim.en.noa"), "deze notaris liet ons tekenen zonder uitleg en door een fout in de akte "
     "zijn we nu ons huis kwijt. we stappen naar de rechter #hoogland #oplichting", [CRISIS, COMPLAINT])
case("nl", pub("forum", "gedupeerde_nijkerk"), "Rechtszaak tegen Hoogland notarissen dient volgende week. Alle "
     "gedupeerden van het mislukte bouwproject in Nijkerk: meld je bij de stichting.", [CRISIS])
case("en", pub("mastodon", "@civicwatch@mstdn.social"), "Hoogl@nd notaries caught backdating deeds. "
     "Absolute sc4ndal.", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("reddit", "u/privacy_eerst"), "Las net dat de Autoriteit Persoonsgegevens onderzoek doet naar "
     "AkteDirect na meldingen over gelekte paspoortkopieën.", [CRISIS])
case("en", pub("bluesky", "@newsdesk-nl.bsky.social"), "Breaking: notary chain Hoogland under criminal "
     "investigation for money laundering through property transfers, according to the FIOD.", [CRISIS])
case("nl", pub("youtube", "@regionieuws_eemland"), "Er loopt een strafzaak tegen een oud-notaris van Hoogland die "
     "een levenstestament zou hebben vervalst. Reacties hieronder.", [CRISIS], kind="comment")

# ==========================================================================
# reputation.complaint
# ==========================================================================
case("nl", pub("x", "@lisa_k_utrecht"), "@aktedirect_help al drie weken wachten op mijn concept-testament, mails "
     "worden niet beantwoord. Waar betaal ik eigenlijk voor?", [COMPLAINT])
case("nl", pub("facebook", "marco.pels", "Marco Pels"), "Vaste prijs zeiden ze. Uiteindelijk €280 extra 'meerwerk' "
     "op de factuur voor de leveringsakte. Niet netjes, Hoogland.", [COMPLAINT])
case("en", pub("reddit", "u/uploadfail"), "The AkteDirect client portal logs me out every two minutes and I can't "
     "upload my ID. Support says clear your cookies. Third time this week.", [COMPLAINT])
case("en", pub("x", "@moving_mieke"), "Hoogland postponed the signing of our house deed for the second time. Movers "
     "booked, kids switched schools. Thanks for nothing.", [COMPLAINT])
case("nl", pub("instagram", "@femke.en.daan"), "Naam verkeerd gespeld in onze huwelijkse voorwaarden 🙄 en nu "
     "moeten we wéér langskomen om te tekenen. Twee vrije dagen weg.", [COMPLAINT])
case("en", pub("threads", "@amira.b"), "asked AkteDirect for a refund after we cancelled the prenup, six weeks later "
     "still nothing 🙃", [COMPLAINT])
case("nl", pub("forum", "kopers2026"), "Koop ging niet door (financieringsvoorbehoud), maar de waarborgsom staat na "
     "vijf weken nog steeds bij Hoogland. Elke keer als ik bel 'wordt het uitgezocht'. Hoe lang mag een notaris dit "
     "vasthouden?", [COMPLAINT])
case("en", pub("youtube", "@grumpy_grandpa_nl"), "Used their online will service. The video call with the notary "
     "lasted four minutes and he clearly hadn't read a thing.", [COMPLAINT], kind="comment")
case("nl", pub("bluesky", "@ruud-ijssel.bsky.social"), "Akte gepasseerd, sleutels binnen, maar de overwaarde staat "
     "na 10 werkdagen nog steeds niet op mijn rekening. Hoogland, hoe zit dat?", [COMPLAINT])
case("nl", pub("x", "@wachtende_wim"), "Hööglând nötàrissen: vijf wéken geen antwoord op mijn vraag over de "
     "verklaring van erfrecht. Echt belabberd.", [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("en", pub("x", "@tomasz_w"), "why does @aktedirect_help charge €35 to change one line in my will?? not what the "
     "'all-in' price promised", [COMPLAINT])
case("en", pub("mastodon", "@jvdm@fosstodon.org"), "The AkteDirect app crashes at the ID verification step on "
     "Android 14. Can't finish my will. Support hasn't replied in a week.", [COMPLAINT])
case("nl", pub("trustpilot", "Karin B."), "1 ster. Afspraak voor ons samenlevingscontract twee keer op de dag zelf "
     "afgezegd door het kantoor. Geen excuses, geen compensatie.", [COMPLAINT])
case("nl", pub("x", "@boze_bram"), "Kut notaris. Twee maanden voor een simpel samenlevingscontract, incompetente "
     "prutsers daar bij Hoogland.", [COMPLAINT, ABUSE])
case("en", pub("x", "@dkerr_"), "@aktedirect_help your 'support' is a bunch of useless idiots, my deed has been "
     "'in review' for five weeks", [COMPLAINT, ABUSE], kind="reply")

# ==========================================================================
# reputation.abuse
# ==========================================================================
case("nl", pub("x", "@stoere_stefan"), "die notaris van Hoogland is gewoon een arrogante klootzak", [ABUSE])
case("en", pub("reddit", "u/throwaway_rage"), "Hoogland staff are absolute morons, every last one of them.", [ABUSE],
     kind="comment")
case("nl", YH, "Sommige klanten zijn echt debiel. Vandaag eentje die dacht dat zijn testament ook voor zijn hond "
     "gold 🙄", [ABUSE])
case("en", RS, "client today was such a f*cking idiot lmao, three hours for one signature", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", AD_X, "@klager88 Misschien eerst even leren lezen voordat je gaat zeuren, sukkel. De voorwaarden staan "
     "gewoon op de site.", [ABUSE], kind="reply")
case("nl", pub("x", "@echte_hollander77"), "Weer zo'n hoofddoek achter de balie bij Hoogland. Ga terug naar je eigen "
     "land.", [ABUSE])
case("nl", pub("x", "@rotzooi_roel"), "Hoogland k@nkerlijers allemaal", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@anon83172"), "@yasmina_h ik weet waar je werkt en ik wacht je op na kantoor, trut", [ABUSE],
     kind="reply")
case("nl", pub("tiktok", "@jayjay.020"), "tering Hoogland met jullie vage notarissen, allemaal zakkenvullers", [ABUSE],
     kind="comment")
case("en", LD, "our new partner is a sexist pig. told me to fetch coffee in front of a client. lovely.", [ABUSE])
case("nl", pub("instagram", "@bozebazz"), "i d i o t e n bij aktedirect, allemaal", [ABUSE],
     tags=["evasion", "evasion:spaced"])

# ==========================================================================
# benign hard negatives
# ==========================================================================

case("nl", HN_X, "Vragen over je testament of levenstestament? Bel ons op 030 799 44 00 of mail naar "
     "testament@hoogland-notarissen.nl 📞", tags=["own-contact"])
case("nl", pub("x", "@eerste_huis_eva"), "Moet de waarborgsom echt naar NL07 RABO 0354 1287 90? Dat is toch de "
     "kwaliteitsrekening van Hoogland, of zie ik iets over het hoofd", tags=["own-contact", "own-iban"])
case("nl", AD_X, "Lukt inloggen niet? Mail support@aktedirect.nl of bel gratis 0800-2266, we helpen je graag 👋",
     tags=["own-contact"], kind="reply")
case("en", pub("linkedin", "claire-moreau-press"), "Shout-out to the press office at Hoogland: pers@hoogland-notarissen.nl "
     "answered my query within the hour. Rare these days.", tags=["own-contact"])
case("nl", pub("facebook", "gerda.mulder.7", "Gerda Mulder"), "Telefoonnummer van Hoogland voor wie het zocht: "
     "+31 30 7994400. Vanaf half 9 bereikbaar.", tags=["own-contact"])
case("nl", MV, "Vragen over een levenstestament voor je ouders? Neem gerust contact op via "
     "info@hoogland-notarissen.nl of 0031 30 799 4400.", tags=["own-contact"])
case("en", HN_FB, "Paying the purchase price for your new home? Only ever transfer to our client account "
     "NL07RABO0354128790 and call us on 030-7994400 if an invoice looks odd.", tags=["own-contact", "own-iban"])
case("nl", pub("x", "@argwanende_ans"), "Kreeg een betaalverzoek 'namens de notaris' naar <<BADIBAN:nl_grp>>. "
     "Hoogland bevestigde al dat het niet van hen is. Pas op mensen!", tags=["bad-iban"])
case("nl", YH, "Dossier <<NOTBSN:9>> eindelijk afgerond ✅ archief mag hem ophalen", tags=["not-bsn"])
case("en", pub("reddit", "u/confused_payer"), "Payment form at AkteDirect rejected <<BADCARD:visa_sp>>, turns out I "
     "swapped two digits. Works now, my bad.", tags=["bad-card"])
case("nl", pub("forum", "kritische_koper"), "Hoogland Notarissen B.V., KvK <<NOTBSN:8>>, staat gewoon in het "
     "register hoor, geen nepkantoor.", tags=["kvk"])
case("nl", pub("x", "@test_tessa"), "Formulier getest met BSN <<NOTBSN:9>>, zelf verzonnen natuurlijk, en hij "
     "weigert netjes. Goed zo 👍", tags=["not-bsn"])
case("en", pub("instagram", "@bookish.bram"), "Currently reading a guide to Dutch inheritance law (ISBN <<ISBN>>) "
     "before our appointment at Hoogland 📚", tags=["ean"])
case("nl", pub("facebook", "dirk.brouwer.de", "Dirk Brouwer"), "Erfenis in Duitsland, de notaris zei dat "
     "<<BADIBAN:de>> niet klopte. Klopte ook niet, tikfout van mijzelf 😅", tags=["bad-iban"])
case("nl", HN_IG, "Deze maand 20% korting op Testament Plus: nu €516 in plaats van €645 ✨ Maak een afspraak via "
     "hoogland-notarissen.nl", tags=["sale"])
case("nl", pub("x", "@prijsbewust_pim"), "Bij een notaris in Zeist kosten huwelijkse voorwaarden €450, bij Hoogland "
     "€1195. Scheelt nogal. Iemand ervaring met die goedkopere?", tags=["competitor-price", "price-context"])
case("en", pub("reddit", "u/numbers_guy"), "Land registry fee for our transfer was €155 on top of the fixed €895 for "
     "the leveringsakte at AkteDirect. No surprises, exactly as quoted.", tags=["fee", "price-context"])
case("nl", pub("x", "@samen_in_huis"), "€50 korting op het samenlevingscontract met code SAMEN50, net gebruikt 🎉",
     tags=["discount", "price-context"])
case("nl", HN_X, "Gespreid betalen kan ook: Testament Plus in 3 termijnen van €215. Vraag ernaar bij je afspraak.",
     tags=["installments", "price-context"])
case("nl", LD, "Prijsfout? Nee hoor, Testament Basis is deze week echt €295, actie rond de Dag van het Testament 😉",
     tags=["denied-error"], kind="reply")
case("nl", HN_LI, "Het is zover 🚀 AkteDirect Zakelijk is gelanceerd. Statutenwijziging, aandelenoverdracht of oprichting: "
     "ondernemers regelen het nu online met een vaste prijs.",
     tags=["embargo-after"], when="2026-09-15T08:00:00+02:00")
case("en", pub("x", "@planner_pete"), "Just did Testament Compleet through AkteDirect. Smooth process, video call "
     "with the notary was thorough.", tags=["embargo-after"], when="2026-10-02T19:22:41+02:00")
case("nl", pub("threads", "@nieuwsgierige.nina"), "Testament Compleet is net gelanceerd, heeft iemand het al "
     "geprobeerd?", tags=["embargo-after"], when="2026-09-15T06:00:00.000Z")
case("nl", EV, "Onze jaarcijfers 2025 staan online: omzet +9% en 35 nieuwe collega's. Trots op het hele team!",
     tags=["published-results"], when="2026-03-11T09:30:00+01:00")
case("nl", pub("instagram", "@kaarsjes.en.lak"), "Zegellak en het oude zegel van opa gevonden 🕯️ meteen alle "
     "kerstkaarten verzegeld #hobby #zegellak", tags=["codename-word"])
case("nl", pub("x", "@wiskunde_wendy"), "Mijn passer is kwijt en morgen meetkundetoets. Operatie paniek 😩",
     tags=["codename-word"])
case("nl", MV, "Vandaag weer een akte gepasseerd voor een jong stel met hun eerste huis 🏡 het mooiste deel van het "
     "vak.", tags=["codename-near"])
case("en", pub("reddit", "u/careful_carla"), "A notary office in Rotterdam (not Hoogland) had a data breach last "
     "week, scary. Does anyone know how notaries store ID copies?", tags=["other-company"])
case("nl", HN_LI, "In de krant vandaag: het aantal levenstestamenten in Nederland is in vijf jaar verdubbeld. Onze "
     "kandidaat-notaris legt uit waarom het zo belangrijk is.", tags=["published-news"], kind="repost")
case("nl", pub("x", "@regiowatcher"), "Notariskantoor in Groningen schrapt 40 banen, lees ik. Bij Hoogland zie ik "
     "juist steeds nieuwe vacatures.", tags=["other-company"])
case("en", HN_LI, "Our half-year figures are published today: revenue up 11%, full report on "
     "hoogland-notarissen.nl/investors.", tags=["published-results"], when="2026-08-19T07:30:00Z")
case("nl", pub("x", "@nieuwe_huiseigenaar"), "Onze nieuwe woning blijkt een lek dak te hebben, gelukkig stond het als "
     "bekend gebrek in de leveringsakte 😅", tags=["lek-other-sense"])
case("nl", pub("x", "@grapjas_gijs"), "Ik boycot vanaf vandaag alle suiker. Testament alvast laten opmaken bij "
     "Hoogland, voor de zekerheid 😂", tags=["boycott-other-sense", "joke"])
case("nl", MV, "Na de diagnose kanker wilde meneer alles snel geregeld hebben. Vandaag samen zijn levenstestament "
     "doorgenomen. Veel respect voor zijn kracht.", tags=["kanker-literal"])
case("en", pub("x", "@bingewatcher_b"), "That new courtroom drama on Netflix about a crooked notary is wild. Glad "
     "mine at Hoogland is boring in the best possible way", tags=["fiction"])
case("nl", pub("facebook", "wilma.ter.horst", "Wilma ter Horst"), "Brand bij de buren in de keuken, gelukkig "
     "niemand gewond. Moest meteen aan ons testament denken, morgen Hoogland maar bellen.",
     tags=["brand-other-sense"])
case("nl", pub("x", "@blije_bea"), "Geen klachten over AkteDirect, testament binnen een week geregeld 👌",
     tags=["negated-complaint"])
case("en", pub("facebook", "rob.jennings.nl", "Rob Jennings"), "Never had a single issue with Hoogland, three deeds in "
     "ten years and always on time.", tags=["negated-complaint"])
case("nl", pub("reddit", "u/vragensteller"), "Vraagje: wat is eigenlijk het verschil tussen een testament en een "
     "levenstestament? Overweeg Hoogland.", tags=["question"])
case("nl", pub("instagram", "@huisje.boompje"), "Vandaag de sleutels gekregen!! 🔑🏡 dank aan iedereen bij Hoogland "
     "notarissen voor de fijne begeleiding", tags=["praise"])
case("en", pub("linkedin", "tessa-founder"), "Great webinar by Hoogland on prenups for startup founders. "
     "Recommended.", tags=["praise"])
case("en", pub("mastodon", "@hanna@social.coop"), "Nothing to complain about: the notary explained the mortgage deed "
     "twice without rushing us.", tags=["negated-complaint"])
case("nl", AD_X, "Gepland onderhoud: MijnHoogland is zondag tussen 02:00 en 05:00 niet bereikbaar. Excuses voor het "
     "ongemak.", tags=["official-notice"])
case("nl", HN_X, "Update: de storing in het klantportaal is verholpen. Nog problemen? Mail support@aktedirect.nl",
     tags=["official-notice", "own-contact"])
case("en", HN_LI, "We're hiring: kandidaat-notaris (m/f/x) in Utrecht. All details at "
     "hoogland-notarissen.nl/vacatures", tags=["hiring"])
case("en", pub("x", "@adulting_anouk"), "'Nothing is certain except death and taxes' - and notary fees. Signed my "
     "will at Hoogland today, damn that felt grown-up", tags=["quote", "mild-word"])
case("nl", pub("x", "@kattenmens_karin"), "Mijn testament: de kat krijgt alles, de kinderen mogen de wifi houden 😹 "
     "afspraak bij Hoogland staat", tags=["joke"])
case("en", BD, "Friday deploy done, nothing broke, nobody cried. AkteDirect v4.2 is live with a darker dark mode 🌚",
     tags=["public-release"])
case("en", BD, "Tip for junior devs: never hardcode keys. Use env vars like MOLLIE_API_KEY=<your-key-here>, and "
     "only ever paste the docs example AKIAIOSFODNN7EXAMPLE in tutorials.", tags=["placeholder-secret"])
case("en", KO, "Reverted <<SHA>> because it broke the footer on our public site. All good again.",
     tags=["git-sha"])
case("en", BD, "the ghp_… prefix in our onboarding docs keeps confusing people. it's an example, not a token 🙄",
     tags=["bare-prefix"])
case("en", pub("reddit", "u/digid_advice"), "Reminder: never share your DigiD password with anyone, notaries "
     "included. Hoogland's support confirmed they will never ask for it.", tags=["password-word"])
case("nl", pub("x", "@digi_daan"), "Inloggen op mijn.hoogland-notarissen.nl ging soepel, ondertekenen met DigiD in "
     "twee minuten gedaan", tags=["public-domain"])
case("nl", pub("instagram", "@fietsende.fenna"), "Mooie fietstocht door Hoogland en Hooglanderveen vandaag ☀️🚴",
     tags=["place-name"])
case("nl", HN_FB, "We zijn verhuisd! Ons kantoor in Amersfoort zit vanaf maandag aan de Utrechtseweg 21. Koffie "
     "staat klaar ☕", tags=["office-address"])
case("en", pub("x", "@champagne_charlie"), "Hell yes, finally signed the prenup at AkteDirect 🥂", tags=["mild-word"])
case("en", pub("x", "@ethicalhacker_nl"), "Did a quick look at AkteDirect's login page: HSTS, MFA, rate limiting. "
     "Nice to see a notary take security seriously for once.", tags=["security-praise"])


# ==========================================================================
# policy
# ==========================================================================

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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# ==========================================================================
# building posts
# ==========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                         tzinfo=dt.timezone.utc) else 1


def some_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355),
                                                                          minutes=r.randint(6 * 60, 23 * 60 + 30),
                                                                          seconds=r.randint(0, 59))
    off = amsterdam_offset(base)
    utc = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/juridischadvies/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-woonforum-{n}", f"https://forum.woonvragen.example/topic/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


# handles written in another casing than the profile (role must still resolve)
RECASE = {"@hooglandnotaris": "@HooglandNotaris", "@yasmina_h": "@Yasmina_H",
          "marloes-verbeek-notaris": "Marloes-Verbeek-Notaris", "@hoogland.notarissen": "@Hoogland.Notarissen"}


def build(profile):
    vals = Vals(SEED)
    r = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    recased = set()
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        handle = c["handle"]
        if handle in RECASE and handle not in recased and r.random() < 0.5:
            recased.add(handle)
            handle = RECASE[handle]
            c["tags"].add("recased-handle")
        kind = c["kind"]
        pid, url = post_id(r, c["platform"], handle, kind)
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], handle)
        pii_ok = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_ok)
        post = {"id": pid, "platform": c["platform"]}
        if kind is None and r.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": handle}
        if c["name"] and r.random() < 0.7:
            acc["display_name"] = c["name"]
        if r.random() < 0.3:
            acc["id"] = str(r.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            c["tags"].add("no-lang-hint")
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or some_time(r)
        if url and r.random() < 0.6:
            post["url"] = url
        if r.random() < 0.45:
            post["brand"] = "aktedirect" if "akte" in text.casefold() else "hoogland"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": x["post"], "expect": x["expect"]}, ensure_ascii=False) + "\n" for x in rows]


# ==========================================================================
# checker
# ==========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"AccountKey=[A-Za-z0-9+/=]{40,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "k@nker", "tering", "klootzak", "debiel", "trut", "sukkel", "idiot", "moron", "f*ck",
           "fuck", "shit", "hell", "damn", "prutser", "clown", "parasite", "zakkenvuller"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    else:
        return d
    return "0" + d.lstrip("0")


def valid_ids(text):
    out = []
    for m in IBAN_RX.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] not in OWN_IBANS:
                    out.append(("iban", comp[:end]))
                break
    for m in NUM_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and d[0] in "2345":
            out.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text) + \
            [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if elfproef(d):
            out.append(("bsn", d))
    return out


AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s:
        s = s.replace(".", "").replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def low_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(x["post"]["platform"], x["post"]["id"]): x for x in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: created_at {p['created_at']}")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"])
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} but policy gives {want} ({role}, ids {ids})")
        m = meta[key]
        parsed.append((p, cats, sev, role, m))
        text = p["text"]
        for kind, raw, shown in m["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw) or kind == "BADIBAN" and iban_valid(raw):
                errors.append(f"{w}: iban checksum {raw}")
            if kind == "CARD" and not luhn_valid(raw) or kind == "BADCARD" and luhn_valid(raw):
                errors.append(f"{w}: card checksum {raw}")
            if kind == "BSN" and not elfproef(raw) or kind == "NOTBSN" and elfproef(raw):
                errors.append(f"{w}: bsn checksum {raw}")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID for k, _, _ in m["used"]) and not ids:
            errors.append(f"{w}: valid identifier not found by the scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity {sev}")
            if ids:
                errors.append(f"{w}: benign with identifier {ids}")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errors.append(f"{w}: benign with e-mail {e}")
            for mm in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = phone_digits(mm.group(0))
                if len(d) >= 8 and d not in own_phone:
                    errors.append(f"{w}: benign with phone {mm.group(0)}")
            for rx in SECRET_RX:
                for mm in rx.finditer(text):
                    if mm.group(0) != "AKIAIOSFODNN7EXAMPLE":
                        errors.append(f"{w}: benign with secret shape {mm.group(0)[:16]}")
            low = norm(text)
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), low):
                    (notes if word in MILD_OK and m["tags"] & {"mild-word", "kanker-literal"} else errors).append(
                        f"{w}: benign with word {word!r}")
        nt, sq = norm(text), squash(text)
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and not cats:
                    notes.append(f"{w}: embargo term {term!r} at/after its end, benign")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq.replace("\n", " "):
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = low_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in m["tags"] else errors).append(
                f"{w}: benign with an amount at {ratio:.2f} of a mentioned product's list price")
        if cats and PRICING not in cats and ratio is not None and ratio < 0.5:
            notes.append(f"{w}: non-pricing positive with an amount at {ratio:.2f} of list ({cats})")
    # near duplicates
    sh = [set(zip(*(norm(p["text"]).split()[i:] for i in range(3)))) for p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errors.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errors, notes, parsed


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for x in rows:
        for kind, raw, _ in x["used"]:
            ok = {"IBAN": lambda: si.is_valid(raw), "BADIBAN": lambda: not si.is_valid(raw),
                  "CARD": lambda: sl.is_valid(raw), "BADCARD": lambda: not sl.is_valid(raw),
                  "BSN": lambda: sb.is_valid(raw),
                  "NOTBSN": lambda: not sb.is_valid(raw.zfill(9)),
                  "ISBN": lambda: not sl.is_valid(raw)}.get(kind)
            if ok:
                n += 1
                if not ok():
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    by_cat, by_lang, by_role, by_sev, by_plat, cl = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for p, cats, sev, role, m in parsed:
        by_lang[m["lang"]] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        if not cats:
            benign += 1
            cl[("(benign)", m["lang"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in m["tags"]
        for c in cats:
            by_cat[c] += 1
            cl[(c, m["lang"])] += 1
    total = len(parsed)
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:24s} {by_cat[c]:4d}   nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'(benign)':24s} {benign:4d}   nl {cl[('(benign)', 'nl')]:3d}  en {cl[('(benign)', 'en')]:3d}")
    print("languages", dict(by_lang), " roles", dict(by_role))
    print("severities", {s: by_sev[s] for s in SEVERITIES})
    print("platforms", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
