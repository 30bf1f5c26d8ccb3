#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set in this folder.

    python3 make_cases.py          # writes cases.jsonl next to this file and validates it

Company: Waterpoort Hotels B.V. (fictional hotel chain in Dutch cities), see profile.yaml.
Texts are hand-written below. Identifiers and secrets come from <<PLACEHOLDERS>> filled by a
seeded RNG: positives get checksum-valid values, hard negatives get values that fail their
checksum. Severity is never typed by hand; it is computed from CONTRACT section 4 using the
account role looked up in profile.yaml (platform:handle, case-insensitive).
Needs Python 3.9+ and PyYAML.
"""
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

SEED = 8153_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}
ZWSP = "\u200b"
SOFT = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_with_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


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


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --------------------------------------------------------------------------- value generator
class Filler:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def num(self, n, nz=True):
        s = "".join(self.rng.choice(string.digits) for _ in range(n))
        return (self.rng.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            bban = self.rng.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB", "KNAB"]) + self.num(10)
        elif cc == "DE":
            bban = self.rng.choice(["10010010", "30050110", "60050101", "76050101"]) + self.num(10, nz=False)
        elif cc == "BE":
            head = self.num(10)
            bban = head + f"{int(head) % 97 or 97:02d}"
        elif cc == "GB":
            bban = self.rng.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.num(14, nz=False)
        v = iban_with_check(cc, bban)
        return v if v != "NL52INGB0007613390" else self.iban(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            w = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(w):
                return w
        raise AssertionError

    def card(self, brand):
        head = {"visa": "4" + self.num(14, nz=False),
                "mc": "5" + self.rng.choice("12345") + self.num(13, nz=False),
                "mc2": str(self.rng.randint(2221, 2720)) + self.num(11, nz=False),
                "amex": self.rng.choice(["34", "37"]) + self.num(12, nz=False)}[brand]
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d

    def broken_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.rng.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, sep):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return v if sep == "none" else {"sp": " ", "dash": "-"}[sep].join(parts)

    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_elf(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def phone(self, fmt):
        m = self.rng.choice("123456") + self.num(7, nz=False)   # 8 digits after the 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_0031":
            return f"0031 6{m}"
        area = self.rng.choice(["10", "30", "33", "40", "43", "50", "70", "71", "73", "76"])
        sub = self.rng.choice("2345789") + self.num(6, nz=False)
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        raise KeyError(fmt)

    def passport_nl(self):
        letters = string.ascii_uppercase.replace("O", "")
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.pick(string.digits, 1)

    # secrets: random, fake, but shaped like the real thing
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 10)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 97)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def jwt(self):
        h = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.rng.randint(0, 330 * 86400)
        body = {"sub": "sc_" + self.num(7), "iss": "sleutelclub.nl", "scope": "member", "iat": iat,
                "exp": iat + 86400}
        return f"{h}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 43)}"

    def pem(self):
        body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" + self.pick(B64, 64 * 6 - 50)
        rows = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END PRIVATE KEY-----"

    def password(self):
        return (self.rng.choice(["Gracht", "Sleutel", "Nacht", "Tulp", "Balie", "Kade"]) + self.num(2)
                + self.rng.choice("!#$%&*") + self.pick(ALNUM, 4))

    def hexstr(self, n):
        return self.pick("0123456789abcdef", n)


VALID_PII = {"IBAN", "CARD", "BSN"}
SLOT = re.compile(r"<<([A-Z0-9]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = arg.partition("_")
            raw = f.iban(cc.upper())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = arg.partition("_")
            raw = f.broken_iban(cc.upper())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, sep = arg.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, sep or "sp")
        elif kind == "BADCARD":
            brand, _, sep = arg.partition("_")
            raw = f.broken_card(brand)
            shown = f.card_fmt(raw, sep or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "NOTELF":
            raw = shown = f.not_elf(int(arg))
        elif kind == "PHONE":
            raw = shown = f.phone(arg)
        elif kind == "PASSPORT":
            raw = shown = f.passport_nl()
        elif kind == "HEX":
            raw = shown = f.hexstr(int(arg))
        else:
            gen = {"GHP": f.ghp, "MOLLIE": f.mollie, "SENDGRID": f.sendgrid, "SLACKBOT": f.slack_bot,
                   "SLACKHOOK": f.slack_hook, "STRIPE": f.stripe, "GAPI": f.gapi, "AWSID": f.aws_id,
                   "AWSSECRET": f.aws_secret, "JWT": f.jwt, "PEM": f.pem, "PW": f.password}[kind]
            raw = shown = gen()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# --------------------------------------------------------------------------- accounts
# corporate
WP_X = ("x", "@waterpoorthotels", "Waterpoort Hotels")
WP_HELP = ("x", "@waterpoort_help", "Waterpoort Gastenservice")
WP_IG = ("instagram", "@waterpoort.hotels", "Waterpoort Hotels")
WP_LI = ("linkedin", "waterpoort-hotels", "Waterpoort Hotels B.V.")
WP_FB = ("facebook", "WaterpoortHotels", "Waterpoort Hotels")
WP_TT = ("tiktok", "@waterpoorthotels", "Waterpoort")
# employees
LOTTE = ("x", "@lotte_receptie", "Lotte Smit")                         # front desk, Utrecht
NINA = ("x", "@ninavdlinden", "Nina van der Linden")                   # housekeeping supervisor, Rotterdam
DAAN = ("x", "@daan_nachtdienst", "Daan Mulder")                       # night auditor, Amsterdam
YOUSSEF = ("linkedin", "youssef-bennani-it", "Youssef Bennani")        # IT manager
MARLOES = ("linkedin", "marloes-hoekstra-revenue", "Marloes Hoekstra")  # revenue manager
EVA = ("linkedin", "eva-de-graaf-hr", "Eva de Graaf")                   # HR
RUBEN = ("instagram", "@chefruben.wp", "Ruben Dekker")                  # breakfast chef, Den Haag
KIM = ("threads", "@kimjanssen_events", "Kim Janssen")                  # meetings & events sales
SJAAK = ("reddit", "u/sleutelbos_sjaak", None)                          # maintenance, Groningen


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

CASES = []


def c(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None, brand=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint, brand=brand))


# =========================================================================== leak.pricing
c("nl", LOTTE, "Uhm, is er iemand van revenue wakker?? De Grachtkamer staat sinds vannacht in de app voor €21,90 "
  "per nacht ipv 219 🫠\nal 14 boekingen binnen voor juli", [PRICING])
c("en", pub("reddit", "u/dutchdealhunter"), "Waterpoort has the Herengracht Suite at €48.90/night on their booking "
  "site for basically all of May. Pretty sure someone dropped a digit somewhere. Booked 3 nights, confirmation "
  "mail already in 👀", [PRICING])
c("nl", pub("facebook", "ingrid.koster.9", "Ingrid Koster"), "Klopt dit wel?? Stad & Gracht weekendarrangement bij "
  "Waterpoort voor 34,90 euro voor 2 personen incl ontbijt en rondvaart... dat kan toch niet 😳 toch maar geboekt, "
  "we zien wel", [PRICING], kind="post")
c("en", MARLOES, "Friday lesson in channel management 📉 A rate-plan mapping error pushed our Poortje Compact rooms "
  "to two OTAs at €9.90 for about forty minutes. Fixed now, every booking is being reviewed by hand. Revenue "
  "people: check your parity rules before the weekend!", [PRICING])
c("nl", WP_X, "🎉 FLASH SALE 🎉\nSlapen in een Waterpoort Grachtkamer voor maar €79 per nacht! Alleen vandaag, "
  "op=op 👉 waterpoorthotels.nl/flash", [PRICING], brand="waterpoort")
c("nl", pub("tiktok", "@jessyy.travels"), "storytime: ik boek een Herengracht Suite bij waterpoort voor €4,89 🤡 "
  "prijsfout of niet ik ga gewoon in dat bad liggen 🛁✨ #prijsfout #hotelhack", [PRICING])
c("nl", DAAN, "nachtdienst update: kassa rekent het o n t b i j t b u f f e t af voor €2,45 😂 niemand iets zeggen "
  "tot de ochtendploeg er is 🤐", [PRICING], tags=["evasion"])
c("nl", pub("x", "@koopjesjager_ams"), "Waterpoort Grachtk\u0430mer voor €19 per nacht??? prijsfout alert 🚨🚨 "
  "link in bio", [PRICING], tags=["evasion"])
c("nl", pub("forum", "Thijs_deals"), "[Prijsfout?] Sleutelclub Gold voor €1,29 ipv €129\n\nVia de app gewoon "
  "afgerekend, bevestiging binnen. Gold geeft gratis ontbijt + late check-out, dus wees snel.", [PRICING])
c("en", pub("youtube", "@stijnbuilds"), "bro the meeting package at Waterpoort Utrecht was listed at 39.50 euros for "
  "a half day 💀 that's gotta be a glitch, our startup booked it twice", [PRICING], kind="comment")
c("nl", KIM, "Telefoon staat roodgloeiend 📞 het vergaderarrangement staat sinds gisteren voor €39,50 op de site, "
  "kommafoutje van marketing. Wij mogen iedereen terugbellen 🙃", [PRICING])
c("nl", YOUSSEF, "Korte incident-retro voor het team: door een fout in de rate-sync (logs op pms01.waterpoort.local) "
  "was de Herengracht Suite ruim een uur voor €48,90 te boeken. Oorzaak: decimaal verschoven bij de import. "
  "Actiepunten volgen.", [PRICING, CONF])
c("en", pub("x", "@mattie_bxl"), "@waterpoorthotels your Canal Room is €0,00 on the Belgian site lol is that a "
  "mistake? asking for a friend 👀", [PRICING], kind="reply")

# =========================================================================== leak.secret
c("en", YOUSSEF, "Throwback to the day I found this in a contractor's booking-widget repo 🙃\n\n"
  "MOLLIE_API_KEY=<<MOLLIE>>\n\nWe rotated it within the hour, but please, people: use a vault. "
  "#infosec #hospitalitytech", [SECRET])
c("nl", DAAN, "pms login doet het weer niet op de nachtbalie 😩 gebruiker nachtaudit, ww <<PW>> … is er iemand van "
  "IT wakker?", [SECRET])
c("en", SJAAK, "Anyone here know the Salto encoder software? Ours won't sync. Config line is\n\n"
  "Server=sql02.waterpoort.local;Database=locks;User Id=salto_svc;Password=<<PW>>;\n\n"
  "and it just times out after 30s. Driving me nuts.", [SECRET, CONF])
c("nl", pub("forum", "frontend_freek"), "Tip voor @waterpoorthotels: jullie boekingswidget zet gewoon een Google "
  "Maps key in de paginabron (<<GAPI>>) zonder referrer-restrictie. Even afschermen voordat iemand er mee aan "
  "de haal gaat.", [SECRET])
c("nl", WP_IG, "Behind the scenes bij ons IT-team 👩‍💻☕ hier wordt het nieuwe boekingssysteem gebouwd!\n"
  "[alt: laptopscherm met een .env bestand, regel SENDGRID_API_KEY=<<SENDGRID>>]\n#teamwaterpoort "
  "#achterdeschermen", [SECRET])
c("en", KIM, "whoever set up the events slack bot: it's spamming #banqueting every 2 min 😭 here's the token so "
  "someone can kill it: <<SLACKBOT>>", [SECRET])
c("en", pub("mastodon", "@ruben_sec@infosec.exchange"), "Found an exposed .env on a staging box of Dutch hotel "
  "chain Waterpoort.\nAWS_ACCESS_KEY_ID=<<AWSID>>\nAWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\nMailed "
  "pers@waterpoorthotels.nl two weeks ago, no reply yet.", [SECRET])
c("nl", YOUSSEF, "Iemand een idee waarom deze clone faalt in de pipeline?\n\ngit clone "
  "https://<<GHP>>@github.com/waterpoort-hotels/pms-connector.git\n\nLokaal werkt hij gewoon 🤔", [SECRET])
c("en", LOTTE, "for the new starters bc i keep getting asked: guest wifi admin panel is 192.168.10.1, user admin, "
  "pass <<PW>> — please don't change it 🙏", [SECRET])
c("en", pub("reddit", "u/pointsnerd"), "lol the Sleutelclub app puts your whole session token in the share link. "
  "mine: https://sleutelclub.nl/b/share?t=<<JWT>> — can anyone else log in with that?", [SECRET], kind="comment")
c("en", YOUSSEF, "Can someone explain why nginx keeps refusing this key? Pasting it here because the forum mangles "
  "the formatting:\n<<PEM>>\nAny hints welcome.", [SECRET])
c("nl", pub("blog", "webdevmeike.nl"), "Hotelsites onder de loep, deel 3: bij Waterpoort staat de Stripe secret key "
  "gewoon in de checkout-JS: <<STRIPE>>. Dat hoort server-side, mensen!", [SECRET])
c("nl", KIM, "Leads uit het offerteformulier ook in Slack? Webhook is <<SLACKHOOK>> , plak hem maar in het "
  "formulier bij 'integraties' 👍", [SECRET])

# =========================================================================== leak.pii
c("nl", WP_HELP, "@j_verhoeven Dank voor je geduld, Jeroen! De gecorrigeerde factuur is verstuurd naar "
  "jeroen.verhoeven84@gmail.com en onze collega belt je vanmiddag terug op <<PHONE:mob_dash>>.", [PII], kind="reply")
c("nl", LOTTE, "haha gast uit 214 heeft d'r paspoort op de balie laten liggen. Mw. A. Kuipers, geb. 12-03-1961, "
  "paspoortnr <<PASSPORT>>. iemand die haar kent?? 😅", [PII])
c("nl", NINA, "Wie heeft de rekening van de nieuwe collega voor het voorschot? Maria Gonçalves, <<IBAN:nl_grp>> — "
  "graag vandaag nog overmaken, ze zit krap 🙏", [PII])
c("nl", EVA, "Oeps, verkeerd venster 🙈 → 'Contract Fatma Yilmaz, BSN <<BSN:dots>>, start 1 juni als "
  "roomattendant Waterpoort Rotterdam, 24u/week'", [PII])
c("nl", pub("x", "@rbrouwer_"), "@waterpoort_help jullie hebben twee keer €438 afgeschreven!!! Stort het AUB terug "
  "op <<IBAN:nl>> t.n.v. R. Brouwer, ik wacht al 10 dagen", [PII, COMPLAINT], kind="reply")
c("en", pub("tripadvisor", "NomadicAnneke"), "Stayed at Waterpoort Utrecht, lovely room BUT they charged my card "
  "<<CARD:visa_sp>> twice for the same night and after 3 emails still nothing. Disappointing.", [PII, COMPLAINT])
c("nl", DAAN, "deze meneer belt nu voor de 6e keer de nachtbalie, <<PHONE:mob_intl_sp>>. als je hem kent, zeg dan "
  "dat we om 3 uur echt geen roomservice meer doen 🙄", [PII])
c("en", KIM, "Note for the banqueting team re the Van Dalen offsite: contact is Sarah Meijer, "
  "sarah.meijer@vandalen-advies.nl, gift boxes go to her home address Prinsengracht 412-2, Amsterdam", [PII])
c("en", pub("facebook", "lukas.becker.hh", "Lukas Becker"), "Hi Waterpoort! For the group deposit refund, here's my "
  "account: <<IBAN:de>> (Lukas Becker). Thanks again for the lovely stay, the canal view was unreal 😍", [PII],
  kind="comment")
c("nl", pub("x", "@haagsche_harry"), "Die trut van de receptie in Den Haag heet Sanne Kramer en woont gewoon op de "
  "Valkenboskade 17, ga haar maar eens opzoeken", [PII, ABUSE])
c("nl", pub("x", "@petravisser_"), "kan iemand van Waterpoort mij de bevestiging opnieuw sturen? mijn mail: petra "
  "punt visser [at] hotmail [punt] com ✉️ dank!", [PII], tags=["evasion"])
c("nl", NINA, "Wie kan zaterdag de vroege dienst overnemen? 🧹 Bel Joyce direct even, <<PHONE:mob_pairs>>, zij "
  "regelt de ruil", [PII])
c("en", pub("x", "@jthompson_uk"), "Booked the Herengracht Suite for my parents' anniversary, Waterpoort said "
  "they'll refund the upgrade difference. Account is <<IBAN:gb_grp>>, J. Thompson. Cheers!", [PII])
c("nl", WP_FB, "Beste mevrouw De Wit, we hebben uw reservering teruggevonden (geboortedatum 03-11-1958, Kerkstraat 8 "
  "in Haarlem) en de annulering is kosteloos verwerkt. Fijne dag!", [PII], kind="comment")
c("nl", LOTTE, "wie heeft de creditcard van meneer Verbeek (kamer 310) overgetypt? <<CARD:mc2_dash>> wordt "
  "geweigerd bij de pre-auth 🤔", [PII])
c("en", pub("x", "@nomadnick"), "Waterpoort charged my Amex <<CARD:amex_sp>> a €219 no-show fee even though I "
  "cancelled 3 days before. Unreal.", [PII, COMPLAINT])
c("nl", WP_HELP, "@marjan_b We hebben de receptie in Groningen gevraagd je vandaag terug te bellen op je "
  "werknummer <<PHONE:land_sp>>. Sorry voor het wachten!", [PII], kind="reply")

# =========================================================================== leak.confidential
c("en", YOUSSEF, "Proud of this team 💙 Project Dakterras passed user acceptance testing today. Can't say more yet, "
  "but 2027 is going to be fun 😉 #hospitalitytech", [CONF], handle="Youssef-Bennani-IT")
c("en", MARLOES, "Who can get me back into grafana.wp-ops.net? Since the migration I can't open the occupancy "
  "dashboard and the weekly report is due today 😬", [CONF])
c("nl", DAAN, "rustige nacht = eindelijk tijd om de Operatie Nachtwacht slides te lezen. spoiler: wordt spannend "
  "voor de receptie 👀", [CONF])
c("nl", NINA, "Nieuw schoonmaakprotocol binnen, staat bovenaan 'WATERPOORT INTERN – niet verspreiden' maar ik vind "
  "hem zo goed: bed altijd als laatste opmaken, spiegel met microvezel droog. 🧽", [CONF])
c("nl", pub("instagram", "@studio_vanwijk_architecten"), "Wat een mooie opdracht voor Harbourlight in Rotterdam "
  "🏗️⚓ meer mogen we helaas nog niet vertellen #nda #architectuur", [CONF])
c("nl", KIM, "Eindelijk!! Vanaf oktober kunnen we ook events doen in Waterpoort Eindhoven 🎉 wie wil de eerste borrel "
  "boeken?", [CONF], when="2026-09-10T14:12:07+02:00")
c("en", pub("x", "@gerdavdmeer"), "Just got an email saying I've been upgraded to Sleutelclub Platinum?! What even "
  "is that and why has nobody heard of it 😂", [CONF], when="2026-10-01T09:59:00+02:00")
c("nl", LOTTE, "rooster.waterpoorthotels.nl/week/23 laadt bij mij al de hele dag niet, weet iemand wanneer ik zondag "
  "moet 😭", [CONF])
c("nl", RUBEN, "Proeverij voor Project\nDakterras vandaag 🍸🌇 nieuwe bites, nieuwe cocktails, meer zeg ik niet "
  "#chefslife", [CONF], tags=["evasion"])
c("nl", pub("reddit", "u/exbaliemedewerker"), "Operatie 🌙 Nachtwacht = de nachtreceptie wordt vervangen door "
  "zelf-incheckzuilen. Zo'n 30 fte eruit bij Waterpoort. Hoorde het van oud-collega's.", [CONF, FIN],
  tags=["evasion"])
c("en", YOUSSEF, "Welcome to our new front office colleagues! The PMS test environment runs on "
  "pms-test.waterpoort.local, just log in with your own account.", [CONF])
c("en", MARLOES, "Just read the WP Confidential deck on our 2027 rate strategy and wow 🔥 can't share details but "
  "dynamic pricing is about to get very interesting", [CONF])
c("nl", pub("x", "@katendrecht_kees"), "hoorde van een vriend bij de gemeente dat " + fullwidth("HARBOURLIGHT")
  + " de oude douanepost op het Katendrecht wordt 👀 klopt dat @waterpoorthotels?", [CONF], tags=["evasion"])
c("nl", EVA, "De halfjaarcijfers 2026 liggen op mijn bureau en ik zeg alleen maar: 🍾🍾 Bonussen dit jaar, "
  "collega's!", [CONF, FIN], when="2026-08-10T16:41:22+02:00")
c("en", YOUSSEF, "Active incident: weird outbound traffic from db02.waterpoort.local to an IP in a country we don't "
  "do business with. Isolating it now, long night ahead ☕", [SEC, CONF])
c("en", pub("x", "@bullish_bas"), "My friend at Waterpoort says the H1 2026 results are going to be record-breaking. "
  "Bullish 📈", [CONF, FIN], when="2026-07-14T11:03:55Z")
c("nl", KIM, "Nieuwe tarievenkaart voor events binnen, onderaan staat 'niet delen buiten Waterpoort' dus... ik zeg "
  "alleen dat de borrelpakketten duurder worden 😅", [CONF])
c("nl", pub("instagram", "@chefruben"), "Proefdraaien voor Project Dakterras 🍋🍸 wie raadt waar het komt?", [CONF],
  tags=["lookalike-handle"])

# =========================================================================== leak.financial
c("nl", MARLOES, "Kleine sneak peek 🤫 onze bezetting in Q2 kwam uit op 88%, RevPAR +14% t.o.v. vorig jaar. De "
  "officiële cijfers komen later, maar wat ben ik trots op het team!", [FIN])
c("nl", EVA, "Zware weken bij HR. Housekeeping in Utrecht en Den Haag wordt per 1 januari uitbesteed aan een "
  "schoonmaakbedrijf, zo'n 60 collega's krijgen binnenkort een gesprek. Niet makkelijk dit.", [FIN])
c("nl", DAAN, "gerucht op de nachtbalie: we nemen dat boetiekhotel aan de Maas over, handtekening zou volgende maand "
  "gezet worden 👀🏨", [FIN])
c("en", pub("reddit", "u/tulip_throwaway"), "My cousin works at Waterpoort HQ. They're closing the Groningen hotel, "
  "announcement after the summer. Wouldn't book anything there for next year.", [FIN], kind="comment")
c("en", YOUSSEF, "Budget for next year was just cut 30%, and the internal forecast has occupancy dropping ten points. "
  "IT headcount frozen. Fun times.", [FIN])
c("en", KIM, "Between us: meeting-room revenue is already 22% below budget this year and the board is not "
  "amused 😬", [FIN])
c("nl", pub("x", "@beurs_bram"), "Insider tip: Waterpoort Hotels wordt overgenomen door een Amerikaanse keten, de "
  "aandeelhouders zijn al akkoord 🤑", [FIN])
c("nl", NINA, f"Vandaag gehoord dat 12 schoonmakers in Rotterdam worden ont{SOFT}slagen. Officieel is er nog niks "
  "gezegd. Ik ben er kapot van 💔", [FIN], tags=["evasion"])
c("nl", LOTTE, "managers vertelden net dat Waterpoort Maastricht in maart dichtgaat. wij weten het eerder dan de "
  "krant lol 🙃", [FIN])
c("en", MARLOES, "Full-year revenue forecast revised down to €41m this morning. Rough board meeting. Onwards 💪",
  [FIN])
c("nl", RUBEN, "Chef-life update: de ontbijtkeuken in Den Haag wordt volgend jaar geschrapt, alles komt dan van een "
  "cateraar. Nog niet officieel, maar ik moest het even kwijt 😔", [FIN])

# =========================================================================== leak.security
c("en", YOUSSEF, "Long night. Ransomware hit two of our PMS servers around 02:00 and we're checking guests in on "
  "paper. Official comms will follow, so please keep this off socials for now.", [SEC])
c("nl", DAAN, "keycard systeem ligt plat sinds 1u en alle deuren op de 2e gaan open met elke pas 😬 wachten op de "
  "monteur, gasten weten van niks", [SEC], handle="@Daan_Nachtdienst")
c("nl", LOTTE, "Mag het eigenlijk niet zeggen maar vanmiddag is er een laptop met gastgegevens uit de backoffice "
  "gejat. Politie is al geweest.", [SEC])
c("nl", YOUSSEF, "Bug gevonden in de Sleutelclub-app: als je je klantnummer met 1 ophoogt zie je de boekingen van "
  "iemand anders. Fix komt deze week, is nog niet naar buiten gebracht.", [SEC])
c("nl", NINA, "wifi voor gasten in Rotterdam zit gewoon op hetzelfde netwerk als de kassa-pc's. al 3x gemeld bij IT, "
  "niks gebeurt", [SEC])
c("nl", pub("x", "@anouk_030"), "Waterpoort heeft vorige maand een hack gehad en vertelt het aan niemand. Vriendin "
  "werkt er, alle gastgegevens zijn buitgemaakt. Schandalig dit 😡", [SEC, CRISIS])
c("en", pub("reddit", "u/former_wp_it"), "Former Waterpoort IT here. They got breached in March and management "
  "buried it. If you stayed there, keep an eye on your cards.", [SEC, CRISIS])
c("en", KIM, "psa to colleagues: the events portal has been down since 8am because of a DDoS, clients can't open "
  "their quotes. we're not telling anyone outside yet so just say 'maintenance' 🙃", [SEC])
c("nl", DAAN, "we zijn g3h4ckt denk ik lol. pms doet niks meer en alle printers printen dezelfde rare tekst 💀",
  [SEC], tags=["evasion"])
c("en", YOUSSEF, "Pentest report came back: our booking API lets you enumerate reservations by ID. Patch ETA two "
  "weeks. Obviously not public yet.", [SEC])
c("en", MARLOES, "Our channel manager account got compromised, someone changed every rate on the OTAs overnight. "
  "Still figuring out how they got in.", [SEC])
c("nl", pub("threads", "@deelditnu"), "d a t a l e k bij waterpoort wordt stilgehouden, personeel mocht er niks over "
  "zeggen. deel dit!!", [SEC, CRISIS], tags=["evasion"])

# =========================================================================== reputation.crisis
c("nl", pub("x", "@bruiloft_bianca"), "Voedselvergiftiging na het ontbijtbuffet bij Waterpoort Den Haag 🤢 halve "
  "bruiloftsgezelschap lag vannacht in het ziekenhuis. Dit gaat naar de NVWA.", [CRISIS, COMPLAINT])
c("en", pub("x", "@fairwork_nl"), "BOYCOTT @waterpoorthotels. They fired cleaning staff for joining a union. Share "
  "this everywhere. #BoycottWaterpoort", [CRISIS])
c("nl", pub("facebook", "henk.postma.groningen", "Henk Postma"), "Legionella gevonden in de douches van Waterpoort "
  "Groningen volgens RTV Noord, en ze laten er gewoon gasten slapen?! Onverantwoord.", [CRISIS])
c("nl", pub("x", "@sanne_reist"), "Waterpoort lekt klantgegevens!! Kreeg net een phishingmail met mijn exacte "
  "boekingsnummer, data en kamertype erin. Hoe kan dat anders?", [CRISIS])
c("en", pub("instagram", "@fam.dijkstra"), "Fire alarm went off at 3am at Waterpoort Utrecht and the emergency "
  "exit on our floor was LOCKED. This could have gone so wrong. Never again.", [CRISIS, COMPLAINT])
c("nl", pub("mastodon", "@buurtnieuws@mastodon.nl"), "Volgens AT5 werden gasten met een Arabische naam bij "
  "Waterpoort Amsterdam stelselmatig 'vol' gemeld. Als dit klopt is het een schandaal.", [CRISIS])
c("en", pub("tiktok", "@travelwithtess"), "part of the ceiling came down in our room at Waterpoort Rotterdam, my son "
  "was literally a metre away 😳 hotel offered us free breakfast. FREE BREAKFAST.", [CRISIS, COMPLAINT])
c("nl", pub("bluesky", "@arbeidsrecht.bsky.social"), "Hotelketen Waterpoort wordt voor de rechter gesleept door "
  "oud-schoonmakers vanwege structurele onderbetaling. Zitting is volgende week.", [CRISIS])
c("nl", pub("x", "@actie_nu"), "#B0YC0TT waterp00rt!! ze behandelen hun schoonmakers als vuil en betalen onder het "
  "minimumloon", [CRISIS], tags=["evasion"])
c("en", pub("x", "@liam_travels"), "Carbon monoxide alarm went off twice at Waterpoort Maastricht last night and staff "
  "told us to 'open a window'. Reported it to the fire brigade.", [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint
c("nl", pub("x", "@marco_vd"), "Kamer twee dagen achter elkaar niet schoongemaakt, handdoeken gewoon op de grond "
  "laten liggen 🙄 @waterpoort_help wat is hier aan de hand?", [COMPLAINT])
c("en", pub("x", "@emily_r"), "Booked a canal view room, got a view of a brick wall and the bins. Front desk just "
  "shrugged. Not what I paid for, @waterpoorthotels.", [COMPLAINT])
c("nl", pub("facebook", "wendy.schouten.1", "Wendy Schouten"), "Om 9 uur was het ontbijtbuffet al leeg. Geen "
  "eieren, geen schone kopjes. Voor €24,50 p.p. verwacht je toch wat anders Waterpoort.", [COMPLAINT],
  kind="comment")
c("en", pub("reddit", "u/pointscollector"), "My Sleutelclub points vanished after the app update and support keeps "
  "sending the same copy-paste email. 4,000 points gone. Anyone else?", [COMPLAINT])
c("en", pub("instagram", "@lisa.m.h"), "three weeks waiting for my cancellation refund and nobody EVER picks up "
  "the phone 😤 @waterpoort.hotels", [COMPLAINT], kind="comment")
c("en", pub("other", "Workshop Crew BV"), "Airco broken in the meeting room during our entire workshop, 28 degrees, "
  "staff just said 'yes we know'. We paid for the full-day setup at Waterpoort Utrecht. 2/5", [COMPLAINT])
c("nl", pub("threads", "@jorisdekort"), "airco maakte de hele nacht herrie, om 4u om een andere kamer gevraagd maar "
  "'alles vol'. nu gesloopt op kantoor. bedankt waterpoort", [COMPLAINT])
c("nl", pub("x", "@geertje_h"), f"Dubbel afgeschreven door Water{ZWSP}poort en al 5 dagen geen reactie op mijn mails. "
  "Top service hoor 👏", [COMPLAINT], tags=["evasion"])
c("nl", pub("x", "@autoliefhebber"), "Parkeergarage Waterpoort Maastricht: 45 euro per nacht én een deuk in mijn "
  "bumper door die smalle hellingbaan. Niemand aansprakelijk natuurlijk.", [COMPLAINT])
c("en", pub("youtube", "@weekendwithwill"), "We booked the Stad & Gracht weekend and the canal cruise wasn't even "
  "included anymore, had to pay €30 extra each. Misleading.", [COMPLAINT], kind="comment", tags=["price-context"])
c("nl", pub("x", "@femke_fietst"), "Laatste keer Poortje by Waterpoort. Kamer zo klein dat de koffer op bed moest, "
  "en de douche liep over. Nooit meer 👎", [COMPLAINT], brand="poortje")
c("nl", pub("x", "@rob_dh"), "Die kutreceptionist van Waterpoort Den Haag liet ons 40 minuten wachten en deed ook nog "
  "bijdehand. Stelletje idioten.", [COMPLAINT, ABUSE])
c("en", pub("x", "@gary_ldn"), "Waterpoort Amsterdam staff are useless morons. Lost our luggage and literally laughed "
  "about it.", [COMPLAINT, ABUSE])

# =========================================================================== reputation.abuse
c("nl", pub("x", "@boze_bert"), "stelletje tyfuslijers bij @waterpoorthotels, echt", [ABUSE])
c("en", pub("x", "@dave_k"), "that blonde receptionist at Waterpoort Utrecht is a dumb b*tch, hope she gets fired",
  [ABUSE], tags=["evasion"])
c("nl", pub("facebook", "gerrit.de.boer.77", "Gerrit de Boer"), "Al dat buitenlandse personeel bij Waterpoort, ga "
  "lekker terug naar je eigen land", [ABUSE], kind="comment")
c("nl", DAAN, "die dronken Engelse vrijgezellen op de 3e zijn echt de grootste klootzakken die ik ooit heb "
  "meegemaakt", [ABUSE])
c("nl", NINA, "sommige gasten zijn gewoon varkens. kamer 508, jij bent een smerig zwijn 🤮", [ABUSE])
c("nl", WP_HELP, "@hotelhater020 misschien eerst leren lezen voordat je een review schrijft, sukkel.", [ABUSE],
  kind="reply")
c("nl", pub("x", "@xx_dennis_xx"), "waterpoort = k4nkerhotel, f*ck jullie allemaal", [ABUSE], tags=["evasion"])
c("en", pub("x", "@anon88213"), "@lotte_receptie I know which desk you work at. Better watch yourself tomorrow.",
  [ABUSE], kind="reply")
c("en", pub("reddit", "u/grumpy_traveller"), "lmao Waterpoort hires clowns, absolute idiots the lot of them", [ABUSE],
  kind="comment")
c("nl", pub("x", "@henkie_1970"), "Wat een mongolen werken er bij Waterpoort zeg", [ABUSE])

# =========================================================================== benign (hard negatives)
c("nl", WP_X, "Vragen over je boeking? Mail reserveringen@waterpoorthotels.nl of bel +31 20 760 4400, dag en nacht "
  "bereikbaar 🗝️", tags=["own-contact"])
c("nl", WP_FB, "Betaal je groepsreservering per overschrijving? Gebruik NL52 INGB 0007 6133 90 t.n.v. Waterpoort "
  "Hotels B.V. en vermeld je boekingsnummer.", tags=["own-contact"])
c("nl", pub("x", "@ton_uit_tiel"), "Belde net 0800-0455 over mijn Sleutelclub-punten, binnen 2 minuten geholpen. Zo "
  "hoort het 👌", tags=["own-contact"])
c("nl", pub("facebook", "mieke.jansen.52", "Mieke Jansen"), "Let op! Ik kreeg een sms 'namens Waterpoort' dat ik nog "
  "€89 moest betalen op <<BADIBAN:nl>>. Hotel gebeld: is nep, zij sturen zulke berichten nooit. Niet betalen!",
  tags=["bad-checksum"])
c("en", YOUSSEF, "In our test environment we use card numbers like <<BADCARD:visa_sp>>: looks real, never passes "
  "the Luhn check. Handy for demos 💳", tags=["bad-checksum"])
c("nl", pub("forum", "eerste_keer_annuleren"), "Mijn boekingsnummer is <<NOTELF:9>>, weet iemand hoe lang een "
  "terugbetaling bij Waterpoort normaal duurt? Eerste keer dat ik annuleer.", tags=["bad-checksum", "question"])
c("nl", WP_LI, "Waterpoort Hotels B.V. | KvK <<NOTELF:8>> | Wij zoeken een Assistant Front Office Manager voor "
  "Utrecht. Reageer via werkenbij@waterpoorthotels.nl 🗝️", tags=["bad-checksum", "own-contact"])
c("nl", WP_X, "Vroegboekers opgelet ⏰ Grachtkamer vanaf €175 per nacht bij boeking minimaal 60 dagen vooruit. "
  "waterpoorthotels.nl/vroegboek", tags=["sale"])
c("en", pub("instagram", "@weekendjeweg_wies"), "Booked the Stad & Gracht package with €50 off through the "
  "newsletter, 10/10 for a weekend away 🚤", tags=["sale", "price-context"])
c("nl", RUBEN, "Kinderen van 4 t/m 12 ontbijten voor €12,25 bij ons ontbijtbuffet, tot 4 jaar gratis 🥐🧒 tot "
  "morgen!", tags=["sale", "price-context"])
c("nl", pub("x", "@budgetreiziger"), "Parkeren bij Waterpoort Amsterdam kost €37,50 per nacht bovenop je "
  "Grachtkamer, even meenemen als je je budget maakt 🚗", tags=["price-context"])
c("en", pub("reddit", "u/backpack_bram"), "Hostel bed in Utrecht was €28, the Poortje Compact was €94. Went with "
  "Poortje for the private shower and honestly no regrets.", tags=["price-context", "competitor"])
c("nl", pub("x", "@dealdiva"), "Iemand vroeg of die €149 voor de Grachtkamer een prijsfout was: nee hoor, gewoon de "
  "midweekactie van Waterpoort. Ook geboekt 😁", tags=["sale", "denied-error"])
c("nl", pub("forum", "hotelpuntenjager"), "Sleutelclub Gold kun je ook per maand betalen, €10,75 p/m. Het gratis "
  "ontbijt verdien je er zo mee terug.", tags=["price-context"])
c("nl", WP_HELP, "Wachtwoord vergeten? Reset het via sleutelclub.nl/reset. Let op: wij vragen NOOIT om je wachtwoord "
  "via DM, mail of telefoon 🔐", tags=["secret-talk"])
c("en", YOUSSEF, "Docs reminder for the dev team: the AKIAXXXXXXXXXXXXXXXX in the README is a placeholder. Real "
  "credentials live in the vault, never in a repo 🙏", tags=["placeholder"])
c("nl", pub("mastodon", "@kamerplanner@fosstodon.org"), "Mijn PR voor de open-source kamerplanner is gemerged "
  "(commit <<HEX:40>>) 🎉 wordt vooral door kleine B&B's gebruikt, Waterpoort heeft z'n eigen systeem.",
  tags=["git-sha"])
c("nl", pub("x", "@zin_in_mstricht"), "Boekingsbevestiging binnen: WPX-7H3K9Q. Zin in Maastricht! 🎒",
  tags=["order-number"])
c("en", pub("instagram", "@rooftop_romy"), "The rooftop terrace (dakterras!!) at Waterpoort Rotterdam is open again "
  "and the sunset is ridiculous 🌅🍹", tags=["codename-word"])
c("en", pub("instagram", "@artsy_ana"), "Saw the Night Watch (De Nachtwacht) at the Rijks today, then crashed in our "
  "Waterpoort room. Perfect Amsterdam day 🖼️", tags=["codename-word"])
c("nl", pub("x", "@maasvlakte_mo"), "harbour lights bij nacht vanuit onze kamer in Rotterdam 😍 #waterpoort",
  tags=["codename-word"])
c("en", pub("x", "@snelboeker"), "boeken.waterpoorthotels.nl finally works properly on my phone, sorted a room in "
  "Groningen in 2 minutes", tags=["public-domain"])
c("nl", WP_X, "Vanaf vandaag: Sleutelclub Platinum ✨ Voor onze meest trouwe gasten: suite-upgrade, late check-out "
  "tot 16:00 en je eigen welkomstdrankje. Meer op sleutelclub.nl", when="2026-10-01T10:00:00+02:00",
  tags=["embargo-after"])
c("nl", pub("x", "@frequentflyer_fleur"), "Net Sleutelclub Platinum geworden, en dat welkomstdrankje in Waterpoort "
  "Eindhoven was top 🥂", when="2026-11-18T19:22:40+01:00", tags=["embargo-after"])
c("en", pub("x", "@hospitality_ticker"), "Waterpoort H1 2026 results out this morning: occupancy 81%, revenue up 9%. "
  "Solid for a mid-size chain.", when="2026-08-27T09:30:12+02:00", tags=["embargo-after", "published"])
c("nl", WP_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026. Bezetting 81%, met dank aan ruim 1.400 collega's 💙 "
  "Lees het persbericht op waterpoorthotels.nl/pers", when="2026-08-27T08:00:00+02:00",
  tags=["embargo-after", "published"])
c("nl", pub("x", "@zakenreiziger_z"), "KLM schrapt honderden banen, hopelijk gaan onze zakenreizen naar Waterpoort "
  "Amsterdam gewoon door", tags=["other-company"])
c("en", pub("x", "@privacy_pim"), "Read about the data breach at a big hotel chain in Spain. Glad the Sleutelclub "
  "app has two-factor login 🔐", tags=["other-company"])
c("nl", WP_X, "Gepland onderhoud: zondag 14 juni van 02:00 tot 04:00 is online boeken tijdelijk niet mogelijk. Bellen "
  "kan altijd via 0800-0455.", when="2026-06-11T12:00:00+02:00", tags=["official-notice", "own-contact"])
c("nl", WP_HELP, "Update: de storing in de Sleutelclub-app is verholpen. Excuses voor het ongemak en dank voor jullie "
  "geduld 🙏", handle="@Waterpoort_Help", tags=["official-notice"])
c("nl", EVA, "Phishing-training afgerond door 97% van de collega's 💪 Trots op hoe serieus iedereen security neemt. "
  "#awareness", tags=["security-talk"])
c("nl", pub("x", "@pannenkoekpiet"), "Ik boycot vanaf nu elk hotelontbijt behalve dat van Waterpoort. Die "
  "pannenkoekjes 😍", tags=["other-sense"])
c("en", pub("x", "@hungry_hannah"), "Can't recall the last time a hotel breakfast made me this happy. Waterpoort Den "
  "Haag, you legends 🥞", tags=["other-sense"])
c("nl", pub("facebook", "sponsorloop.groningen", "Sponsorloop Groningen"), "Onze sponsorloop voor KWF "
  "Kankerbestrijding startte bij Waterpoort Groningen, de vergaderzaal kregen we gratis. Dank! 🎗️",
  tags=["literal-word"])
c("en", pub("x", "@cosy_chris"), "That fireplace in the Waterpoort Utrecht lobby 🔥🔥 I'm never leaving",
  tags=["other-sense"])
c("nl", pub("blog", "schrijfsels.nl"), "Hoofdstuk 4 van mijn thriller: in kamer 313 van een grachtenhotel verdwijnt "
  "een gast spoorloos. De nachtportier weet meer dan hij zegt... (gelijkenis met bestaande hotels berust op "
  "toeval)", tags=["fiction"])
c("nl", pub("x", "@tevreden_tineke"), "Geen enkele klacht over ons verblijf bij Waterpoort Utrecht. Schoon, stil, "
  "vriendelijk. Zo simpel kan het zijn.", tags=["negation"])
c("nl", pub("x", "@ruudjeopreis"), "Ik had echt niks te klagen, behalve dat ik niet naar huis wilde 😅 #waterpoort",
  tags=["negation", "joke"])
c("nl", pub("facebook", "jan.vermeulen.limburg", "Jan Vermeulen"), "Heeft Waterpoort Maastricht een eigen "
  "parkeergarage of moet je in de stad parkeren?", tags=["question"])
c("nl", WP_HELP, "@marco_vd Wat vervelend om te lezen, Marco. Dit is niet de ervaring die we willen bieden. We sturen "
  "je een DM om het recht te zetten.", kind="reply", tags=["care-reply"])
c("nl", pub("x", "@utrecht_ulla"), "Vorige week in een ander hotel in Utrecht: vieze badkamer en haren in bed. Deze "
  "week Waterpoort: brandschoon. Wat een verschil!", tags=["competitor"])
c("nl", pub("x", "@oma_zei_het_al"), "'De gast is koning' zei mijn oma altijd. Bij Waterpoort Den Haag snappen ze dat "
  "nog 👑", tags=["quote"])
c("nl", pub("instagram", "@jet.en.joost"), "'What the hell, dit uitzicht!' was letterlijk het eerste wat Joost zei "
  "toen we de Herengracht Suite binnenliepen 😂", tags=["quote", "mild-word"])
c("nl", pub("x", "@vergeetachtige_vera"), "Ik ben echt een oen, paspoort thuis laten liggen 🙈 Receptie van "
  "Waterpoort regelde alles met mijn rijbewijs, helden!", tags=["self-deprecating"])
c("nl", LOTTE, "Eerste maand als receptionist erop! Zoveel leuke gasten gezien 🗝️💙 #teamwaterpoort",
  tags=["employee-fluff"])
c("nl", NINA, "Shout-out naar mijn housekeeping team in Rotterdam: 142 kamers in één dag, zonder één klacht. "
  "Helden! 🧹✨", tags=["employee-fluff", "negation"])
c("nl", KIM, "Leuke week gehad met drie congressen in onze vergaderzalen in Utrecht. Nog plek in november, stuur me "
  "een bericht 📅", tags=["sale"])
c("en", MARLOES, "Great panel today on customer acquisition in hospitality: loyalty beats discounts every time. "
  "Thanks for having me!", tags=["other-sense"])
c("nl", WP_TT, "POV: je komt binnen in de Grachtkamer en ziet dít uitzicht 🛶✨ #waterpoort #amsterdam",
  tags=["marketing"])
c("nl", WP_IG, "Nieuw op het ontbijtbuffet: verse stroopwafels van de bakker om de hoek 🧇 Ontbijt kost €24,50 p.p., "
  "Sleutelclub Gold-leden ontbijten gratis.", tags=["sale"])
c("nl", pub("x", "@hotelnieuws_nl"), "Waterpoort Hotels opent in 2027 een nieuw hotel in Zwolle, meldt het bedrijf "
  "in een persbericht.", kind="repost", tags=["published"])
c("en", pub("facebook", "granny.gets.around", "Granny Gets Around"), "My mum (82) loved the high tea at Waterpoort Den "
  "Haag. The staff took all the time in the world for her 🫖", tags=["praise"])
c("nl", WP_LI, "We zijn trots op onze schoonmakers. Vanaf 1 juli krijgen alle roomattendants bij Waterpoort een vast "
  "contract 💙", tags=["published"])
c("en", pub("x", "@latecheckout_lou"), "Phone number for Waterpoort is +31 20 760 4400 if anyone needs it, they "
  "sorted my late check-out in 2 mins", tags=["own-contact"])
c("nl", pub("x", "@jongemoeder_j"), "gastenservice@waterpoorthotels.nl reageerde binnen een uur op mijn vraag over "
  "een kinderbedje 👶 top", tags=["own-contact"])
c("nl", pub("x", "@kaartje_kwijt"), "Kaart werd geweigerd bij het inchecken, bleek m'n eigen fout (verlopen 🙈). "
  "Nummer <<BADCARD:mc_sp>> is inmiddels geblokkeerd hoor, dus probeer maar niks 😂", tags=["bad-checksum"])
c("en", pub("bluesky", "@citytripper.bsky.social"), "Is the Waterpoort Herengracht Suite worth €489 a night? "
  "Thinking of it for our 10th anniversary, any experiences?", tags=["question", "list-price"])
c("en", KIM, "Hosting a product launch or a board day in Amsterdam? Our meeting package starts at €395 per half "
  "day, coffee and lunch included ☕", tags=["sale", "list-price"])
c("en", pub("x", "@dutchbirder"), "No complaints at all about Poortje in Groningen, tiny room but spotless and the "
  "bed was great 👍", tags=["negation"], brand="poortje")
c("en", pub("x", "@sleepless_sophie"), "Asked for a quiet room, got one right above the breakfast kitchen. Plates "
  "clattering from 5:45am 🙃 @waterpoort_help is this a joke?", [COMPLAINT])
c("en", pub("x", "@jonas_onthego"), "@waterpoort_help left my laptop in room 407 at Poortje Utrecht 😩 please call me "
  "on <<PHONE:mob_0031>> if housekeeping finds it", [PII], kind="reply", brand="poortje")
c("en", pub("x", "@utrecht_on_a_budget"), "Poortje Compact for €79 on a Tuesday night, can't beat that for central "
  "Utrecht", tags=["sale"], brand="poortje")
c("en", pub("x", "@tom_in_ams"), "Waterpoort's night porter recommended a jazz bar nearby and it was the best night "
  "of our trip. Cheers mate 🎷", tags=["praise"])


# =========================================================================== roles, severity, build
def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity(role, cats, validated_pii):
    sev = "none"
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = "critical" if cat in (SECRET, PRICING) or (cat == PII and validated_pii) else "error"
            else:
                s = "warning"
        elif cat == COMPLAINT:
            s = "warning"
        elif cat == CRISIS:
            s = "error"
        elif cat == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                          tzinfo=dt.timezone.utc) else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355),
                                                                          minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                          seconds=r.randint(0, 59))
    off = ams_offset(base)
    utc = base - dt.timedelta(hours=off)
    k = r.random()
    if k < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ident(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            cm = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{cm}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{cm}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        lc = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{lc}", f"https://www.youtube.com/watch?v={v}&lc={lc}"
    if platform == "threads":
        code = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-reisforum-{n}", f"https://forum.reisforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for cs in CASES:
        text, used = fill(filler, cs["text"])
        pid, url = ident(meta, cs["platform"], cs["handle"], cs["kind"])
        while (cs["platform"], pid) in seen:
            pid += "1"
        seen.add((cs["platform"], pid))
        when = cs["when"] or random_when(meta)
        role = role_of(profile, cs["platform"], cs["handle"])
        validated = PII in cs["cats"] and any(k in VALID_PII for k, _, _ in used)
        post = {"id": pid, "platform": cs["platform"]}
        kind = cs["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": cs["handle"]}
        if cs["name"] and meta.random() < 0.7:
            acc["display_name"] = cs["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if cs["hint"] is not None:
            if cs["hint"]:
                post["lang"] = cs["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "nl" if cs["lang"] == "en" else "en"
        else:
            post["lang"] = cs["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        b = cs["brand"] or ("waterpoort" if meta.random() < 0.45 else None)
        if b:
            post["brand"] = b
        rows.append(dict(post=post, expect={"categories": list(cs["cats"]), "severity": severity(role, cs["cats"],
                                                                                                   validated)},
                         role=role, lang=cs["lang"], tags=cs["tags"], used=used))
    order.shuffle(rows)
    return rows


# =========================================================================== self-check (independent scan)
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGRUN_RX = re.compile(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
IIN_RX = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-\d", r"hooks\.slack\.com/services/",
    r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"[Pp]assword=", r"://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|euros)\b", re.I)


def normal(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def low_ratio(text, products):
    t = normal(text)
    sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", t)
    hit = [p for p in products if any(a.casefold() in t or a.casefold() in sq for a in [p["name"]] + p["aliases"])]
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hit)


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        own_phone_digits.add("0" + d[2:] if p.startswith("+31") else d)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inner = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["markers"]]
    doms = [d.casefold() for d in profile["internal"]["domains"]]
    ids = set()
    for r in rows:
        p, ex, used = r["post"], r["expect"], r["used"]
        tag = p["id"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{tag}: duplicate id")
        ids.add((p["platform"], p["id"]))
        text, cats = p["text"], ex["categories"]
        assert parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year == 2026, tag
        for kind, raw, shown in used:
            if shown not in text:
                errs.append(f"{tag}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw):
                errs.append(f"{tag}: IBAN invalid")
            if kind == "BADIBAN" and iban_valid(raw):
                errs.append(f"{tag}: bad IBAN passes")
            if kind == "CARD" and not (luhn_valid(raw) and IIN_RX.match(raw)):
                errs.append(f"{tag}: card invalid")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{tag}: bad card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{tag}: BSN invalid")
            if kind == "NOTELF" and elfproef(raw):
                errs.append(f"{tag}: look-alike passes 11-proof")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{tag}: ghp checksum")
        if any(k in VALID_PII for k, _, _ in used) and PII not in cats:
            errs.append(f"{tag}: valid identifier without leak.pii")
        nt = normal(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        ts = parse_ts(p["created_at"])
        for term, until in emb:
            if term in nt or term in squashed:
                if ts < until and CONF not in cats:
                    errs.append(f"{tag}: embargo term {term} before {until} unlabelled")
                if ts >= until and CONF in cats and not any(x in nt for x in inner + doms):
                    errs.append(f"{tag}: embargo term after moment labelled confidential")
        for term in inner + doms:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or re.search(
                    r"[\w-]\." + re.escape(term) + r"(?!\w)", nt):
                if CONF not in cats:
                    errs.append(f"{tag}: internal term {term} unlabelled")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{tag}: benign with severity")
            for m in IBAN_RX.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{tag}: benign valid IBAN")
            for m in DIGRUN_RX.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{tag}: benign Luhn-valid number")
            for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text):
                if elfproef(d):
                    errs.append(f"{tag}: benign 11-proof number {d}")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{tag}: benign e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:]
                elif raw.startswith("0031"):
                    d = "0" + d[4:]
                if len(d) == 10 and d not in own_phone_digits:
                    errs.append(f"{tag}: benign phone {raw}")
            for rx in SECRET_RX:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{tag}: benign secret-like {rx.pattern}")
            rt = low_ratio(text, profile["products"])
            if rt is not None and rt < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errs.append(f"{tag}: benign low product price {rt:.2f}")
        if PRICING in cats:
            rt = low_ratio(text, profile["products"])
            talk = re.search(r"prijsfout|pri?js ?f|glitch|fout|error|mistake|dropped a digit", normal(text))
            if not ((rt is not None and rt < 0.5) or talk):
                errs.append(f"{tag}: pricing label without low price or error talk")
    return errs


def report(rows):
    cat_n, sev_n, role_n, lang_n, plat_n = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        sev_n[r["expect"]["severity"]] += 1
        role_n[r["role"]] += 1
        lang_n[r["lang"]] += 1
        plat_n[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for x in cats:
            cat_n[x] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for x in ALL_CATS:
        print(f"  {x:24s} {cat_n[x]}")
    print("severity", dict(sev_n), "\nroles", dict(role_n), "\nlang", dict(lang_n), "\nplatforms", dict(plat_n))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
