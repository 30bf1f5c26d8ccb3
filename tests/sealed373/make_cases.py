#!/usr/bin/env python3
"""Build the sealed373 evaluation set for postwatch (company: Noordvleugel Jet Charter B.V.).

Deterministic: a fixed seed drives every generated credential, identifier, timestamp and
the case order. Hand-written post texts live below; placeholders like <<IBAN>> are filled
with freshly generated values that are built the way the real ones are (checksums included).
The script writes cases.jsonl beside itself and then checks it; any failed check exits 1.

Standard library plus PyYAML only.
"""
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 373_2026

CAT = {
    "sec": "leak.secret",
    "pii": "leak.pii",
    "prc": "leak.pricing",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "secu": "leak.security",
    "cri": "reputation.crisis",
    "cmp": "reputation.complaint",
    "abu": "reputation.abuse",
}
VALID_CATS = set(CAT.values())
RANK = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ROLE_TAG = {"corp": "corporate", "emp": "employee", "pub": "public"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def fw(s):
    """Full-width rendering of ASCII text (evasion)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == " ":
            out.append(" ")
        elif 0x21 <= o <= 0x7E:
            out.append(chr(o - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def b62(n, width):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s.rjust(width, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------- generators

class Gen:
    def __init__(self, rng):
        self.r = rng
        self.valid_ids = []      # (kind, value) identifiers that must pass their checksum
        self.bad_ids = []        # (kind, value) look-alikes that must fail
        self.secrets = []        # (kind, value)

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # identifiers -----------------------------------------------------------
    def iban(self, spaced=None):
        bank = self.r.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
        acct = "".join(self.r.choice(string.digits) for _ in range(10))
        v = iban_make("NL", bank + acct)
        if spaced is None:
            spaced = self.r.random() < 0.6
        return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if spaced else v

    def card(self, prefix):
        length = 16
        body = prefix + "".join(self.r.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for cd in string.digits:
            if luhn_ok(body + cd):
                num = body + cd
                break
        return " ".join(num[i:i + 4] for i in range(0, 16, 4))

    def bsn(self):
        while True:
            d = [self.r.randint(0, 9) for _ in range(8)]
            if d[0] == 0:
                continue
            s = sum(d[i] * (9 - i) for i in range(8))
            last = s % 11
            if last <= 9:
                v = "".join(map(str, d)) + str(last)
                if bsn_ok(v):
                    return v

    def bad_iban(self):
        good = self.iban(spaced=False)
        cd = int(good[2:4])
        bad = good[:2] + "%02d" % ((cd + 37) % 97 + 2) + good[4:]
        while iban_ok(bad):
            cd += 1
            bad = good[:2] + "%02d" % ((cd + 37) % 97 + 2) + good[4:]
        return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))

    def bad_card(self):
        good = self.card(self.r.choice(["4", "51", "53", "55"])).replace(" ", "")
        bad = good[:-1] + str((int(good[-1]) + 3) % 10)
        return " ".join(bad[i:i + 4] for i in range(0, 16, 4))

    def bad_bsn(self):
        while True:
            v = "".join(str(self.r.randint(0, 9)) for _ in range(9))
            if v[0] != "0" and not bsn_ok(v):
                return v

    # credentials -----------------------------------------------------------
    def github(self, prefix="ghp_"):
        body = self.chars(ALNUM, 30)
        return prefix + body + b62(zlib.crc32(body.encode()), 6)

    def aws_id(self):
        return "AKIA" + self.chars(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.chars(string.ascii_letters + string.digits + "/+", 40)

    def stripe(self):
        return "sk_live_51" + self.chars(string.digits, 1) + self.chars(string.ascii_letters + string.digits, 96)

    def slack(self):
        return "xoxb-%s-%s-%s" % (self.chars(string.digits, 11), self.chars(string.digits, 13),
                                  self.chars(string.ascii_letters + string.digits, 24))

    def openai(self):
        return "sk-proj-" + self.chars(B64URL, 74) + "T3BlbkFJ" + self.chars(B64URL, 74)

    def anthropic(self):
        return "sk-ant-api03-" + self.chars(B64URL, 93) + "AA"

    def google(self):
        return "AIza" + self.chars(B64URL, 35)

    def glpat(self):
        return "glpat-" + self.chars(B64URL, 20)

    def password(self):
        return self.chars(string.ascii_letters + string.digits, 10) + self.r.choice("!#%^*") + self.chars(string.digits, 3)

    def jwt(self):
        header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300) * 86400
        payload = {"sub": "emp-%04d" % self.r.randint(1, 9999), "name": "Bram Hoekstra",
                   "role": "mx-engineer", "iss": "https://auth.noordvleugel.aero",
                   "iat": iat, "exp": iat + 28800}
        pl = b64u(json.dumps(payload, separators=(",", ":")).encode())
        sig = b64u(bytes(self.r.getrandbits(8) for _ in range(32)))
        return "%s.%s.%s" % (header, pl, sig)

    def openssh_key(self):
        raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" + b"\x00\x00\x00\x04none"
               + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x33"
               + b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20"
               + bytes(self.r.getrandbits(8) for _ in range(32))
               + b"\x00\x00\x00\x88" + bytes(self.r.getrandbits(8) for _ in range(136)))
        body = base64.b64encode(raw).decode()
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    def fill(self, text):
        """Replace <<NAME>> placeholders. Returns (text, has_valid_checked_id)."""
        has_valid = False

        def rep(m):
            nonlocal has_valid
            k = m.group(1)
            if k == "IBAN":
                v = self.iban(); self.valid_ids.append(("iban", v)); has_valid = True
            elif k == "IBANC":
                v = self.iban(spaced=False); self.valid_ids.append(("iban", v)); has_valid = True
            elif k == "CARD":
                v = self.card("4"); self.valid_ids.append(("card", v)); has_valid = True
            elif k == "CARD_MC":
                v = self.card(self.r.choice(["51", "52", "53", "54", "55"])); self.valid_ids.append(("card", v)); has_valid = True
            elif k == "BSN":
                v = self.bsn(); self.valid_ids.append(("bsn", v)); has_valid = True
            elif k == "BSN_DOTS":
                v = self.bsn(); self.valid_ids.append(("bsn", v)); has_valid = True
                v = v[:4] + "." + v[4:6] + "." + v[6:]
            elif k == "BAD_IBAN":
                v = self.bad_iban(); self.bad_ids.append(("iban", v))
            elif k == "BAD_CARD":
                v = self.bad_card(); self.bad_ids.append(("card", v))
            elif k == "BAD_BSN":
                v = self.bad_bsn(); self.bad_ids.append(("bsn", v))
            elif k == "GHP":
                v = self.github("ghp_"); self.secrets.append(("github", v))
            elif k == "GHO":
                v = self.github("gho_"); self.secrets.append(("github", v))
            elif k == "AWS_ID":
                v = self.aws_id(); self.secrets.append(("aws_id", v))
            elif k == "AWS_SECRET":
                v = self.aws_secret(); self.secrets.append(("aws_secret", v))
            elif k == "STRIPE":
                v = self.stripe(); self.secrets.append(("stripe", v))
            elif k == "SLACK":
                v = self.slack(); self.secrets.append(("slack", v))
            elif k == "OPENAI":
                v = self.openai(); self.secrets.append(("openai", v))
            elif k == "ANTH":
                v = self.anthropic(); self.secrets.append(("anthropic", v))
            elif k == "GOOGLE":
                v = self.google(); self.secrets.append(("google", v))
            elif k == "GLPAT":
                v = self.glpat(); self.secrets.append(("gitlab", v))
            elif k == "PW":
                v = self.password(); self.secrets.append(("password", v))
            elif k == "JWT":
                v = self.jwt(); self.secrets.append(("jwt", v))
            elif k == "SSHKEY":
                v = self.openssh_key(); self.secrets.append(("ssh", v))
            elif k == "PUB_IBAN":
                v = "NL14 RABO 0317 2645 90"
            else:
                raise KeyError(k)
            return v

        return re.sub(r"<<([A-Z_]+)>>", rep, text), has_valid


# --------------------------------------------------------------------------- the posts

CASES = []


def case(role, platform, handle, lang, cats, text, kind="post", date=None, prc=None,
         brand=None, name=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=cats.split() if cats else [], text=text, kind=kind, date=date,
                      prc=prc, brand=brand, name=name))


# ---- reputation.complaint (and complaint combined with crisis / pii / abuse)
case("pub", "x", "@marloes_reist", "nl", "cmp",
     "@noordjet_care we staan nu 2,5 uur op Rotterdam Airport te wachten op onze 'gegarandeerde' vertrektijd. Geen crew, geen info, niks. Voor dit geld verwacht je toch wat anders 😤",
     kind="reply", brand="NoordJet")
case("pub", "x", "@tgh_london", "en", "cmp",
     "Booked the Londen Express for a client meeting, got told at 7am the Citation had 'a technical' and they'd swap us to a turboprop. Landed 90 min late and missed the first half of the pitch. Not what I pay Noordvleugel for.",
     prc=("NV-LDN", None))
case("pub", "facebook", "Petra.vanLier.77", "nl", "cmp",
     "Zes weken geleden geannuleerd (ruim binnen de termijn!!) en nog steeds geen cent terug van Noordvleugel. Drie keer gebeld, elke keer 'we zetten het door naar finance'. Ik word er echt moe van.",
     name="Petra van Lier")
case("pub", "instagram", "@sofia.ventures", "en", "cmp",
     "catering was literally the wrong order. asked for vegan for 4, got 4 beef tartare 🙃 @noordvleugel.jets pls",
     kind="comment")
case("pub", "x", "@dirkjan_ondernemer", "nl", "cmp",
     "Jetkaart 25 gekocht omdat ze 'altijd binnen 10 uur een toestel' beloven. Vandaag voor de 3e keer dit jaar 'helaas geen beschikbaarheid'. Krijg ik m'n uren dan terug of hoe zit dat? #noordjet",
     prc=("NJ-JK25", None))
case("pub", "reddit", "u/throwaway_flyer_22", "en", "cmp",
     "Anyone else been double charged by NoordJet? My Amex shows the Ibiza Sunset Charter twice, €23,900 each. Support keeps saying the 'pending will drop off' but it's been 9 days and it hasn't.",
     prc=("NV-IBZ", 23900))
case("pub", "instagram", "@hondenmama_evi", "nl", "cmp",
     "Vooraf gemeld dat onze labrador meeging, 'geen probleem' zeiden ze aan de telefoon. Bij het toestel: sorry, deze cabine is niet geschikt. Zaten we daar met Bowie op het platform van Eelde 💔 @noordvleugel.jets",
     kind="comment")
case("pub", "x", "@ceo_mats", "en", "cmp",
     "wifi on the Gulf Direct was dead for the entire 6h flight. paid for connectivity, got a very expensive nap. @noordjet_care",
     prc=("NV-DXB", None))
case("pub", "x", "@annemiek_b", "nl", "cmp",
     "Die app van NoordJet is echt een drama, kan m'n boeking niet wijzigen, blijft hangen op 'betaling verifiëren'. En de chat is 'tijdelijk niet beschikbaar'. Top service hoor 🙄")
case("pub", "x", "@ruudjansen_rdam", "nl", "cmp",
     "Crewlid deed zó neerbuigend tegen mijn moeder (80) omdat ze wat langzaam de trap op ging. Jullie prijzen zijn premium, jullie gedrag blijkbaar niet. @noordvleugel",
     brand="Noordvleugel")
case("pub", "x", "@jes_vd_meer", "nl", "cmp",
     "@noordjet_care 0800-0677 gaat maar over en over, na 40 min opgehangen. bereikbaarheid = 0. en dan durven jullie 'concierge service' te adverteren",
     kind="reply")
case("pub", "x", "@henk_reist_veel", "nl", "pii cmp",
     "@noordjet_care bel me nou gewoon terug ipv die standaard mailtjes, 06-41 83 27 90. Wacht al een week op de bevestiging van mijn terugvlucht uit Nice",
     kind="reply")
case("pub", "x", "@lauren_mcd", "en", "pii cmp",
     "@noordjet_care I've DMed you twice now. Refund for the cancelled Riviera Jet goes to <<IBAN>> (L. McDonald). It's been a month, come on.",
     kind="reply", prc=("NV-NCE", None))
case("pub", "x", "@woedende_wim", "nl", "abu cmp",
     "Noordvleugel stelletje ONBEKWAME KLOJO'S, 4 uur vertraging op Lelystad en nog geen excuus. Nooit meer.")
case("pub", "x", "@famvandijk", "nl", "cri cmp",
     "Gisteren op onze vlucht naar Genève ineens rook in de cabine. Piloten maakten een voorzorgslanding in Luxemburg, mijn dochter zat te hyperventileren. Niemand van Noordvleugel heeft ons sindsdien gebeld. Onacceptabel.")
case("pub", "instagram", "@the.alvarez.family", "en", "cri cmp",
     "The cabin heater on our Noordvleugel jet overheated and melted part of the sidewall panel right next to my son's seat. He has a burn blister on his arm. We are furious and we want answers, not a voucher.")
case("pub", "facebook", "sandra.kuipers.9", "nl", "cri cmp",
     "Na het eten aan boord (kiprol uit de Sky Dining-box) zijn we met z'n vieren doodziek geworden, mijn man heeft een nacht in het ziekenhuis in Palma gelegen. Wie controleert die catering bij Noordvleugel eigenlijk??",
     prc=("NV-DINE", None))
case("pub", "x", "@jkessler_aviation", "en", "cri cmp",
     "Hit turbulence on our NoordJet flight and the seatbelt sign was never switched on, crew still serving drinks. My wife hit the ceiling and has a concussion. This is a serious safety failure @noordjet_care")
case("pub", "x", "@bas_golft", "nl", "cri cmp",
     "Bij het instappen in Lelystad klapte de trap van het Noordvleugel-toestel half in. Ik viel achterover, twee gekneusde ribben. Grondpersoneel zei alleen 'oei'. Hoe kan zoiets gebeuren?!")

# ---- reputation.crisis (third party, boycotts, scandals, lawsuits, recalls)
case("pub", "x", "@luchtvaartnieuws_nl", "nl", "cri",
     "Privéjet van charteraar Noordvleugel schiet door na landing op Rotterdam The Hague Airport, zes inzittenden ongedeerd. OVV stelt onderzoek in. #luchtvaart",
     name="Luchtvaartnieuws NL")
case("pub", "x", "@climate_now_ams", "en", "cri",
     "Boycott Noordvleugel. While families can't afford the train, they fly CEOs to Ibiza for lunch. Don't book them, don't work for them, don't sponsor their events. #BoycottNoordvleugel #PrivateJets")
case("pub", "x", "@regionieuws_zh", "nl", "cri",
     "Oud-piloten klappen uit de school: bij Noordvleugel zouden rusttijden structureel worden genegeerd om charters rond te krijgen. ILT bevestigt dat er 'signalen' binnen zijn.")
case("pub", "reddit", "u/datahoarder_nl", "en", "cri",
     "Pretty sure Noordvleugel got breached. The passport scan I uploaded to their booking portal is being sold on a forum along with ~3k other passenger docs. Screenshots in the comments. Has anyone heard anything from them?")
case("pub", "linkedin", "mr-a-degroot-advocaat", "nl", "cri",
     "Namens twaalf voormalige cabin hosts heb ik vandaag een dagvaarding laten uitbrengen tegen Noordvleugel Jet Charter B.V. wegens stelselmatige onderbetaling en intimidatie op de werkvloer.")
case("pub", "x", "@avgeek_eelde", "en", "cri",
     "Reports of a NoordJet Phenom aborting takeoff at Eelde with a fuel leak, fire brigade on scene. Pax evacuated through the main door, two minor injuries apparently.")
case("pub", "x", "@klimaatmars_rtm", "nl", "cri",
     "Zaterdag blokkeren we de ingang van de Noordvleugel-hangar op RTHA. Boycot die vervuilers! Kom allemaal, 13:00 ✊ #StopPrivejets")
case("pub", "facebook", "PilotsUnionWatch", "en", "cri",
     "Noordvleugel under fire after leaked audio appears to show an ops manager pressuring a captain to fly with a known hydraulic fault. The regulator has been notified.")
case("pub", "x", "@dewaakhond_nl", "nl", "cri",
     "Noordvleugel roept alle Sky Dining-boxen van de afgelopen week terug na meldingen van salmonella. Wie ziek is geworden wordt opgeroepen zich te melden.",
     prc=("NV-DINE", None))

# ---- reputation.abuse
case("pub", "x", "@anoniem8821", "nl", "abu",
     "die stewardess van noordvleugel op de vlucht naar Nice, Lotte of zo, wat een domme trut zeg. kan nog geen glas champagne inschenken")
case("pub", "x", "@angry_exec99", "en", "abu",
     "@noordjet_care you are a bunch of useless clowns. Absolute morons running that ops desk.",
     kind="reply")
case("pub", "x", "@gerrit_1960", "nl", "abu",
     "Die Surinaamse piloot van Noordvleugel moet gewoon terug naar z'n eigen land, zo iemand hoort niet in een cockpit.")
case("pub", "instagram", "@not_a_fan_77", "en", "abu",
     "lol imagine paying 20k to sit next to that fat ugly hostess 🤮 @noordvleugel.jets",
     kind="comment")
case("pub", "x", "@reizigerrr_", "nl", "abu",
     "n00rdvl3ug3l = k@nk3rb3drijf 🤬 allemaal opl1cht3rs en l*ll0's daar")
case("pub", "x", "@jetfury", "en", "abu",
     "Noordvleugel staff are complete \u0456d\u0456\u043ets and their CEO is a w\u043erthless cr\u043e\u043ek")
case("pub", "x", "@boos_in_bergen", "nl", "abu",
     "wat een k u t b e d r i j f is noordjet zeg. k l o o t z a k k e n")
case("emp", "x", "@joost_ops_rtm", "nl", "abu",
     "Klant van vanavond eiste dat we 2 uur op hem wachtten met een volle crew. Arrogante klootzak. Hoop dat ie in z'n eigen champagne verzuipt 🙃")
case("corp", "x", "@noordjet_care", "nl", "abu",
     "@kevin_rdam als je je mail had gelezen had je het geweten, maar lezen is blijkbaar lastig voor je. Sukkel.",
     kind="reply")
case("pub", "reddit", "u/hangar_rat", "en", "abu",
     "Whoever runs Noordvleugel's crew scheduling is a spineless piece of shit. Treats people like garbage and smiles while doing it.",
     kind="comment")
case("pub", "x", "@capslock_carl", "en", "abu",
     fw("NOORDJET CREW ARE USELESS PRICKS") + " 🤡")

# ---- leak.confidential
case("emp", "x", "@capt_merelvos", "nl", "conf",
     "Eerste sim-sessie op de Falcon 6X gedaan voor Project Stormvogel 🤫 kan niet wachten tot we het mogen vertellen")
case("emp", "linkedin", "ilse-verhoeven-nv", "en", "conf",
     "Big week for the sales team: we finally got the green light on Operatie Wadloper. Can't say more yet, but our clients in the north are going to love it. 🏝️")
case("emp", "threads", "@daan.crewplanning", "nl", "conf",
     "rooster van volgende maand staat op crewportal.noordvleugel.aero/roster/2026-11 voor wie het nog niet had gezien, check even jullie standby dagen 👀", date="2026-10-21T21:03:00Z")
case("emp", "instagram", "@lotte.flies", "nl", "conf",
     "Mocht vandaag de nieuwe uniformen al passen 😍 stond wel NV-INTERN op de doos haha dus helaas geen foto's 🤐")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "conf",
     "Just pitched NoordJet Atlantic to my first client and they signed on the spot 🇺🇸✈️ best product we've ever had, honestly",
     date="2026-12-03T15:42:10Z")
case("emp", "linkedin", "ravi-baldewsingh", "nl", "conf",
     "Laatste loodjes voor de jaarcijfers 2026, nog even volhouden team finance 💪☕",
     date="2027-01-28T20:05:00Z")
case("pub", "x", "@aviation_insider_eu", "en", "conf",
     "Hearing Noordvleugel is working on something internally called 'Project Stormvogel' — long-range fleet expansion? Anyone know more?")
case("emp", "x", "@bram_b1_engineer", "nl", "conf",
     "Hangar 3 is afgezet voor Operatie Wad\u200bloper, niemand mag naar binnen zonder speciale badge 😅 voel me net James Bond")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "conf",
     "PSA for colleagues: the new VPN endpoint is vpn.noordvleugel.aero, the old one dies Friday. Don't @ me when you can't reach jira.noordvleugel.aero after that.")
case("emp", "x", "@joost_ops_rtm", "nl", "conf",
     "Morgen kick-off van P.r.o.j.e.c.t S.t.o.r.m.v.o.g.e.l, eindelijk 🙌")
case("corp", "facebook", "NoordvleugelJetCharter", "nl", "conf",
     "[NV-INTERN] Concept nieuwsbrief december: lancering Zilvermeeuw schuift naar Q2, sales niet vooraf richting klanten communiceren.")
case("emp", "linkedin", "sophie-van-tol", "en", "conf",
     "Contract negotiations for Zilvermeeuw wrapped up at 2am last night. Proud of this legal team. (Yes, that's all I can say 🤐)")
case("pub", "x", "@spotter_lelystad", "nl", "conf",
     "Net een Noordvleugel Falcon in nieuwe livery gespot bij de testhangar, op de staart stond 'Atlantic'. Komt er een NoordJet Atlantic aan?? 👀📸",
     date="2026-11-20T11:17:44Z")
case("pub", "reddit", "u/broker_bets", "en", "conf",
     "A charter broker I know says Noordvleugel launches the Atlantic Jetkaart next week: 40 hours, transatlantic only. Interesting move.",
     date="2027-01-09T18:30:00Z")
case("emp", "x", "@capt_merelvos", "en", "conf",
     "Flew the demo for Operatie Wadloper today, heli + jet combo out to the islands 🏝️ secret's safe with me (mostly)")
case("emp", "instagram", "@lotte.flies", "en", "conf",
     "training slides literally say 'noordvleugel internal – do not share' so obviously I'm only sharing the cute cabin pic 😇 new galley layout for Zilvermeeuw is 🔥")
case("emp", "linkedin", "ravi-baldewsingh", "nl", "conf fin",
     "vertrouwelijk - niet delen: Project Stormvogel vraagt €38 mln extra financiering, de bank wil garanties zien vóór maart. Graag input van MT voor vrijdag.")
case("emp", "x", "@joost_ops_rtm", "en", "conf",
     "Pretty sure the Stormvogel business case is just sitting on jira.noordvleugel.aero/browse/STRM-112 open to all contractors lol")

# ---- leak.financial
case("emp", "linkedin", "ravi-baldewsingh", "en", "fin",
     "Q3 closed at €41.2m revenue, 14% under plan. Expect the board to cut the 2027 forecast next week. Tough quarter, proud of how the team handled it.", date="2026-10-09T19:20:00Z")
case("emp", "x", "@joost_ops_rtm", "nl", "fin",
     "Gerucht op de vloer is geen gerucht meer: we worden overgenomen door een Zwitserse groep, deal wordt eind van de maand getekend. Niemand weet nog wat er met ops gebeurt.")
case("emp", "threads", "@daan.crewplanning", "nl", "fin",
     "MT heeft vandaag besloten 35 fte te schrappen bij grondafhandeling en planning. Aankondiging komt pas in januari. Ik zit er echt doorheen.", date="2026-11-12T20:40:00Z")
case("pub", "x", "@hedgefund_harry", "en", "fin",
     "My sources say Noordvleugel's EBITDA this year comes in around €6m vs the €11m they guided bondholders. Those bonds are going to get hit.")
case("corp", "linkedin", "noordvleugel-jet-charter", "en", "fin",
     "DRAFT – embargoed until 2 Dec: Noordvleugel Jet Charter agrees to acquire Helinord Wadden B.V. for €17.5 million, creating the largest combined jet and helicopter operator in the northern Netherlands.", date="2026-11-24T06:58:00Z")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "fin",
     "sales kickoff slides leaked the 2027 target to us: +60% jet card revenue or heads roll. lol ok", date="2026-11-16T13:30:00Z")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "fin",
     "IT budget for next year gets cut by 30% per the CFO's plan that hasn't been announced yet, so no, we won't be replacing those laptops. Sorry team.")
case("pub", "x", "@insider_schiphol", "nl", "fin",
     "Mijn zwager zit bij Noordvleugel finance: ze draaien dit jaar €9 mln verlies en de bank overweegt de kredietlijn in te trekken. Niet verder vertellen 🤫")
case("emp", "instagram", "@lotte.flies", "nl", "fin",
     "Crew meeting vandaag: basis Eelde gaat dicht per 1 april, iedereen moet naar Rotterdam of vertrekken. Nog niks officieel maar ja 😞", date="2026-10-02T16:25:00Z")
case("emp", "linkedin", "sophie-van-tol", "nl", "fin",
     "De dataroom voor de verkoop aan de nieuwe investeerder staat open en de tweede bieder heeft zich net teruggetrokken. Spannende weken voor Noordvleugel.")
case("emp", "x", "@capt_merelvos", "en", "fin",
     "Just heard at the briefing: we're selling 4 of the 6 Citations next year to plug the cash gap. Management will call it 'fleet optimisation' in spring 🙄")

# ---- leak.security
case("emp", "mastodon", "@koen_it@aviation.social", "en", "secu",
     "Third night in a row fighting ransomware on the ops servers. Bookings are running on paper and Excel. Customers have no idea yet. Send coffee.")
case("emp", "x", "@bram_b1_engineer", "nl", "secu",
     "Ons onderhoudssysteem ligt al sinds 6u vanochtend plat en niemand weet wanneer het terugkomt. Zonder de logs mogen we officieel niks vrijgeven... dus alles staat aan de grond 🤷")
case("emp", "threads", "@daan.crewplanning", "nl", "secu",
     "Lol ons crewportaal laat je bij een wachtwoord-reset gewoon andermans rooster én paspoortgegevens zien als je het nummer in de URL ophoogt. Al 2x gemeld bij IT 🙄")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "secu",
     "Our booking engine has been sending client quotes to the wrong customers since Tuesday. IT says 'we're looking into it'. Please don't email me about it yet.")
case("corp", "x", "@noordjet_care", "nl", "secu",
     "@pieter_vliegt we hebben intern een datalek in het klantportaal ontdekt, dat is nog niet naar buiten gebracht, maar wees gerust: we zijn ermee bezig.",
     kind="reply")
case("emp", "x", "@joost_ops_rtm", "en", "secu",
     "Someone phished the CFO's mailbox and sent fake fuel invoices to three of our suppliers. Comms hasn't said a word yet. Fun Friday.")
case("emp", "linkedin", "ilse-verhoeven-nv", "nl", "secu",
     "Even een waarschuwing onder collega's: ons CRM is gisteren gehackt en de klantenlijst van alle Jetkaart-houders is gekopieerd. Communicatie naar klanten volgt pas als legal akkoord geeft.")
case("pub", "x", "@it_contractor_anon", "en", "secu",
     "Did contract work for Noordvleugel last year. Their flight-ops API still hands out an admin session with zero auth if you hit /v1/debug. Reported it twice, never fixed.")
case("emp", "instagram", "@lotte.flies", "nl", "secu",
     "Tablets met de vluchtplannen doen het al 2 dagen niet door een 'storing', we vliegen weer met papieren kaarten lol ✈️📄 niet verder vertellen hè")
case("emp", "x", "@bram_b1_engineer", "en", "secu",
     "Heads up: the hangar door badges at RTM can be cloned with a €20 reader. Reported it in May, still not fixed. Anyone could walk right up to our aircraft.", date="2026-09-22T07:50:00Z")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "secu sec",
     "Found our prod AWS keys in a public GitHub repo this morning 🤦 rotating now but they were up there for 3 weeks:\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>")
case("emp", "linkedin", "ravi-baldewsingh", "nl", "secu",
     "Betaalplatform ligt sinds gisteravond plat, er komt geen enkele jetkaart-betaling meer binnen. Er is nog geen storingsmelding naar klanten gestuurd.")
case("pub", "reddit", "u/ex_noordvleugel", "en", "secu",
     "Ex-employee here. The crew app stores everyone's passport numbers unencrypted on the device and IT has known for a year. They're just hoping nobody notices.",
     kind="comment")

# ---- leak.secret
case("emp", "x", "@bram_b1_engineer", "nl", "sec",
     "kan iemand checken waarom de CI van de onderhoudsapp faalt? token staat gewoon in de config: <<GHP>> 🙏")
case("emp", "threads", "@daan.crewplanning", "nl", "sec",
     "gedeeld planning-account is gereset hoor, wachtwoord: <<PW>> (niet doorvertellen 😂)")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "sec",
     "stripe keeps throwing errors on the deposit page, here's the key support asked me for: <<STRIPE>>")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "sec",
     "Slack bot for the ops alerts is back up. Token for the staging copy if you want to play: <<SLACK>>")
case("emp", "x", "@joost_ops_rtm", "nl", "sec",
     "wie heeft de OpenAI-key van de offerte-bot aangepast? deze werkt in elk geval: <<OPENAI>>")
case("pub", "forum", "devnoord", "en", "sec",
     "Building the Noordvleugel booking plugin for a client, can't get the connection to work. My .env:\nDATABASE_URL=postgres://nv_booking:<<PW>>@nv-prod.c8kq2x1lm3ab.eu-west-1.rds.amazonaws.com:5432/charter\nAny ideas?")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "sec",
     "Can someone sanity-check this deploy key format before I add it to the runner?\n<<SSHKEY>>")
case("emp", "x", "@bram_b1_engineer", "nl", "sec",
     "support vroeg om m'n sessietoken voor de onderhoudsapp, bij deze: <<JWT>>")
case("emp", "threads", "@daan.crewplanning", "en", "sec",
     "Anthropic key for the roster assistant: <<ANTH>> — please use this shared one and not your own card 🙏")
case("corp", "youtube", "@NoordvleugelAviation", "en", "sec",
     "Behind the scenes: building our new booking app ✈️📱 (dev note: GOOGLE_MAPS_KEY=<<GOOGLE>> remove before upload)")
case("emp", "instagram", "@lotte.flies", "nl", "sec",
     fw("wachtwoord") + " crew-wifi hangar 2 is trouwens: <<PW>> 😘 graag gedaan")

# ---- leak.pii
case("corp", "x", "@noordjet_care", "nl", "pii",
     "@henk_reist_veel we hebben je teruggebeld op 06-41832790 maar kregen geen gehoor. Boeking NV-88213 staat op naam van H. Mulder, Prinsengracht 412, Amsterdam. Klopt dat?",
     kind="reply")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "pii",
     "Client left his card at the FBO desk, if this is yours DM me: <<CARD>>, exp 09/28, J. Whitfield")
case("emp", "linkedin", "ilse-verhoeven-nv", "nl", "pii",
     "Wie van finance kan deze terugbetaling vandaag nog doen? Rekening <<IBAN>> t.n.v. M. de Bruijn, €3.450 voor de geannuleerde Heli Transfer Zeeland.",
     prc=("NV-HELI", 3450))
case("emp", "threads", "@daan.crewplanning", "nl", "pii",
     "Nieuwe captain begint maandag: Wessel Kramer, geb. 14-03-1988, BSN <<BSN>>. Kan iemand van HR hem in AFAS zetten?")
case("emp", "x", "@capt_merelvos", "en", "pii",
     "Happy birthday to one of our favourite regulars, Mr. Alistair Penhaligon, 70 today (born 2 June 1956)! Flew him up to St Andrews this morning 🎂⛳", date="2026-06-02T11:40:00Z")
case("emp", "instagram", "@lotte.flies", "nl", "pii",
     "passagierslijst van vanmiddag lag gewoon op stoel 2A: Famke de Wit, famke.dewit@gmail.com, 06 12 93 48 71 🙈 iemand van ops moet dit echt even beter regelen")
case("pub", "x", "@privacy_waakhond", "nl", "pii cri",
     "Noordvleugel stuurt doodleuk passagiersgegevens rond. Dit lag gewoon in mijn mailbox: Eva Brinkman, Keizersgracht 201, 1016 DW Amsterdam, geb. 03-11-1979. Datalek anyone? @noordvleugel")
case("pub", "reddit", "u/jetsetter_nl", "en", "pii cmp",
     "For anyone at Noordvleugel billing reading this: my card <<CARD_MC>> was charged twice for one flight. Please reverse one of them, I've been asking for two weeks.")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "pii",
     "Resetting accounts today. Sanne Visser (sanne.visser@noordvleugel.aero), your temp login goes by sms to +31 6 2874 1190, check your phone.")
case("corp", "facebook", "NoordvleugelJetCharter", "nl", "pii",
     "🎉 De winnaar van onze Waddenrondvlucht-actie is Joyce Hermans uit Harderwijk, Stationsstraat 14! We nemen contact op via joyce.hermans82@hotmail.com",
     prc=("NV-WAD", None))
case("pub", "x", "@bezorgde_klant", "nl", "pii cmp",
     "@noordjet_care waarom staat mijn BSN <<BSN_DOTS>> gewoon leesbaar op de factuur die jullie naar mijn werkgever hebben gemaild?! Dit kan echt niet.",
     kind="reply")
case("emp", "x", "@joost_ops_rtm", "en", "pii",
     "Whoever booked the 06:40 for Mr. D. Okafor: his passport no. is NXK4R72P1, not what's in the system. Pickup is at his home, 22 Elm Park Gardens, London. Fix pls.")
case("emp", "x", "@bram_b1_engineer", "nl", "pii",
     "Die creditcard die in de Citation was blijven liggen: <<CARD_MC>>, op naam van R. Verbeek. Ligt nu bij de balie in hangar 1.")

# ---- leak.pricing
case("corp", "instagram", "@noordvleugel.jets", "en", "prc",
     "Summer is calling ☀️ Ibiza Sunset Charter from €2,390 one-way, up to 8 guests. Book now via the link in bio!",
     prc=("NV-IBZ", 2390), date="2026-05-20T10:15:00Z")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "prc",
     "Psst friends: Riviera Jet is showing €1,490 in the app today. Pretty sure it's a glitch, grab it before finance notices 😅",
     prc=("NV-NCE", 1490))
case("pub", "x", "@dealhunter_nl", "nl", "prc",
     "PRIJSFOUT bij NoordJet!! Londen Express voor €845 ipv €8.450 🤯🤯 snel boeken voor ze het doorhebben",
     prc=("NV-LDN", 845))
case("corp", "x", "@noordvleugel", "nl", "prc",
     "Nieuw: de Jetkaart 25 nu voor €12.950! Meer vrijheid, minder gedoe ✈️ noordvleugel.aero/jetkaart",
     prc=("NJ-JK25", 12950))
case("emp", "linkedin", "ilse-verhoeven-nv", "en", "prc",
     "Closing the year strong: any client who signs a Jetkaart 50 this week gets it for €99,000. Yes really, CEO approved. DM me.",
     prc=("NJ-JK50", 99000), date="2026-12-14T17:45:00Z")
case("pub", "reddit", "u/pointsguy_nl", "en", "prc",
     "Is this a price error? NoordJet's site lists the Gulf Direct AMS–DXB at €9,600. That's one zero short, surely?",
     prc=("NV-DXB", 9600))
case("emp", "x", "@joost_ops_rtm", "nl", "prc",
     "Heli Transfer Zeeland staat op de site voor €345 😂 iemand van e-commerce wakker maken aub",
     prc=("NV-HELI", 345))
case("pub", "tiktok", "@budgetjetset", "nl", "prc",
     "jongens de waddenrondvlucht van noordvleugel kost vandaag €295 voor 5 personen?!? prijsfoutje denk ik maar ik heb al geboekt 😂✈️ #deal",
     prc=("NV-WAD", 295))
case("corp", "facebook", "NoordvleugelJetCharter", "en", "prc",
     "Black Friday 🖤 Vliegtegoed gift card worth €2.500 for only €250! Limited stock, first come first served.",
     prc=("NV-GIFT", 250), date="2026-11-27T08:00:00Z")
case("pub", "x", "@frugal_flyer", "en", "prc",
     "Price glitch alert: Alpen Skishuttle return for €2,150 on noordvleugel.aero. Booked two. Let's see if they honour it 🎿",
     prc=("NV-SKI", 2150), date="2026-11-30T22:12:00Z")
case("emp", "threads", "@daan.crewplanning", "nl", "prc",
     "Wie heeft er in het prijssysteem zitten klooien? Transatlantic One staat al de hele ochtend met een prijsfout online, sales wordt gek",
     prc=("NV-TEB", None))
case("pub", "x", "@golf_gerard", "en", "prc",
     "Golf Jet St Andrews for €1,875?? Either Noordvleugel lost their minds or someone fat-fingered the price 😂",
     prc=("NV-GOLF", 1875))

# ---- benign (mostly hard negatives)
case("corp", "x", "@noordvleugel", "nl", "",
     "Vanaf vandaag vliegen we ook vanuit Maastricht Aachen Airport 🎉 Boek je vlucht via noordvleugel.aero of bel 0800-0677 ✈️")
case("corp", "x", "@noordjet_care", "en", "",
     "Questions about your booking? Email charter@noordvleugel.aero or call +31 10 555 0177, we're there 24/7.")
case("corp", "facebook", "NoordvleugelJetCharter", "nl", "",
     "Let op: betalingen voor charters gaan uitsluitend naar onze rekening <<PUB_IBAN>> t.n.v. Noordvleugel Jet Charter B.V. Krijg je een ander rekeningnummer doorgestuurd? Bel ons eerst.")
case("corp", "x", "@noordjet_care", "nl", "",
     "Phishingwaarschuwing ⚠️ Wij vragen nooit om je wachtwoord of creditcardgegevens via DM of WhatsApp. Twijfel je? Mail naar charter@noordvleugel.aero")
case("corp", "linkedin", "noordvleugel-jet-charter", "en", "",
     "Our full-year 2025 results are out: revenue up 9%, 11,400 flight hours flown and our first year with 30% SAF blended on the Londen Express. Annual report: noordvleugel.aero/investors",
     date="2026-02-26T07:00:00Z", prc=("NV-LDN", None))
case("corp", "x", "@noordvleugel", "en", "",
     "Our full-year results 2026 are now published. Thank you to every client and crew member who flew with us. Report: noordvleugel.aero/investors",
     date="2027-02-26T08:15:00Z")
case("corp", "instagram", "@noordvleugel.jets", "en", "",
     "It's here: NoordJet Atlantic ✈️🇺🇸 40 hours of transatlantic flying on one card. Link in bio.",
     date="2027-01-15T09:00:00Z")
case("pub", "x", "@beursblik_nl", "nl", "",
     "Jaarcijfers 2026 van Noordvleugel vallen mee: omzet +7%, schuld omlaag. Obligatiehouders zullen tevreden zijn.",
     date="2027-03-02T10:40:00Z")
case("emp", "linkedin", "ravi-baldewsingh", "nl", "",
     "Vanochtend zijn onze jaarcijfers 2026 gepubliceerd. Trots op team finance na maanden hard werken 🙏",
     date="2027-02-25T09:00:00Z")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "",
     "Three weeks in and the Atlantic Jetkaart is our fastest selling product ever. Thank you to everyone who took a chance on it 🇺🇸",
     date="2027-02-05T16:20:00Z")
case("corp", "instagram", "@noordvleugel.jets", "nl", "",
     "Wintersale ❄️ Alpen Skishuttle deze maand voor €17.200 i.p.v. €21.500. Boeken kan t/m 31 januari, link in bio 🎿",
     prc=("NV-SKI", 17200), date="2026-01-08T12:00:00Z")
case("corp", "x", "@noordvleugel", "en", "",
     "Empty Leg Pass now €3,900 (was €4,900) for the first 100 members 🎉 Grab those last-minute seats.",
     prc=("NJ-ELP", 3900))
case("pub", "reddit", "u/teamlead_ops", "en", "",
     "Has anyone used Noordvleugel's Londen Express? €8,450 one-way for 6 seats works out cheaper than flying the whole team business class. Thoughts?",
     prc=("NV-LDN", 8450))
case("pub", "x", "@zzp_consultant", "nl", "",
     "Board Shuttle van Noordvleugel: €46.000 per maand. Klinkt absurd maar als je 3x per week naar Londen moet valt het best te verdedigen eigenlijk",
     prc=("NV-BRD", 46000))
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "",
     "Happy to quote anyone eyeing the Riviera Jet this summer, it's €12,900 until end of April (usually €14,900) ☀️",
     prc=("NV-NCE", 12900), date="2026-03-10T14:00:00Z")
case("pub", "x", "@champagnemeisje", "nl", "",
     "Weekend Parijs van Noordvleugel voor 11.200 euro. Duur, maar met z'n zessen valt het eigenlijk best mee 🥂",
     prc=("NV-PAR", 11200))
case("pub", "reddit", "u/cloud_plumber", "en", "",
     "Reminder for anyone following the AWS docs: AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY are sample keys. Don't panic when you see them in tutorials.")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "",
     "Reminder: never paste tokens in chat. If you need to share config, redact it like GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and pull the real one from the vault.")
case("emp", "x", "@bram_b1_engineer", "nl", "",
     "Security-training gehad vandaag. Les 1: je wachtwoord op een post-it op de hangarcomputer plakken is geen strategie 😅")
case("pub", "x", "@tikfout_tim", "en", "",
     "Booking form kept rejecting my IBAN <<BAD_IBAN>>... turns out I swapped two digits 🤦 fixed now, flight to Nice booked!")
case("pub", "x", "@lisa_op_reis", "nl", "",
     "Bij het afrekenen zei de site 'ongeldige kaart', bleek dat ik <<BAD_CARD>> had ingetikt ipv mijn echte nummer 🙈 boeking staat er gelukkig toch")
case("emp", "threads", "@daan.crewplanning", "nl", "",
     "HR-formulier getest met een verzonnen nummer (<<BAD_BSN>>) en de 11-proef keurt het netjes af ✅ eindelijk iets dat werkt")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "",
     "Rotated the Stripe key this morning as part of the quarterly routine, new one lives in the vault (sk_live_****************). Nothing to see here 🙂")
case("pub", "forum", "jwt_newbie", "en", "",
     "Can someone explain why my JWT header says alg: none? It's a toy app for my aviation club's newsletter, not production.")
case("pub", "x", "@yvonne_reist", "nl", "",
     "Vorige week geklaagd over de vertraging naar Nice, vandaag belde Noordvleugel zelf: excuses + tegoed voor een volgende vlucht. Zo hoort het 👏")
case("pub", "x", "@skimum_verbier", "en", "",
     "Update: Noordvleugel found our missing skis and couriered them to Verbier within 24h. Complaint withdrawn, great recovery by the team 🎿", date="2026-02-20T18:05:00Z")
case("pub", "instagram", "@jetsetjanneke", "nl", "",
     "Wat een ervaring! Crew Lotte en Merel waren geweldig, champagne ijskoud, landing boterzacht 🥂✈️ #noordvleugel")
case("pub", "x", "@pdekker_bv", "en", "",
     "Flew the Londen Express this morning, door to door in 2h15. This is how business travel should work @noordvleugel",
     prc=("NV-LDN", None))
case("pub", "x", "@vlieg_fanaat", "nl", "",
     "Sterkte aan iedereen van die Noorse heli-operator na het ongeluk bij Bergen. Verschrikkelijk nieuws 🖤")
case("corp", "linkedin", "noordvleugel-jet-charter", "en", "",
     "Our thoughts are with the crew and passengers of yesterday's incident at Courchevel involving another operator. We've offered our hangar at Chambéry to the investigators.")
case("pub", "x", "@charter_market", "en", "",
     "Wow, Altavia Private just got acquired by a US fund for $300m. Charter market consolidating fast. Who's next?")
case("pub", "x", "@luchtvaartwatcher", "nl", "",
     "Reorganisatie bij een grote Europese airline: 500 banen weg. Pijnlijk voor iedereen die het treft.")
case("pub", "tiktok", "@vliegtuigjes_vlog", "nl", "",
     "die nieuwe cabine van noordvleugel is echt 🔥🔥🔥 wil er nooit meer uit #privejet #cabintour")
case("pub", "x", "@oranjefan_sem", "nl", "",
     "Weet iemand hoe lang van tevoren je een Noordvleugel-charter moet boeken rond Koningsdag? Vrienden willen naar Londen 🧡")
case("pub", "instagram", "@bigdog_bruno", "en", "",
     "Does Noordvleugel let dogs in the cabin? Ours is 35kg and very chill 🐕 asking for a Mallorca trip @noordvleugel.jets",
     kind="comment")
case("corp", "x", "@noordjet_care", "nl", "",
     "Gepland onderhoud: onze boekingsapp is zondag van 02:00 tot 04:00 niet bereikbaar. Bellen kan altijd via 0800-0677.")
case("emp", "linkedin", "ilse-verhoeven-nv", "en", "",
     "We're hiring! Three charter sales roles in Rotterdam. Happy to answer questions, or apply via werken@noordvleugel.aero")
case("emp", "x", "@capt_merelvos", "nl", "",
     "Vandaag de 10.000 vlieguren gehaald 🥹 dank aan iedereen die me ooit heeft geholpen. Op naar de volgende 10.000.")
case("emp", "x", "@bram_b1_engineer", "nl", "",
     "B1-examen gehaald 🛠️✈️ vanaf nu officieel bevoegd om onze Phenoms vrij te geven. Taart in hangar 1!")
case("corp", "linkedin", "noordvleugel-jet-charter", "en", "",
     "This week our new cabin hosts did a crash course in wine pairing with sommelier Jeroen Vlasblom. Cheers to that 🍷")
case("pub", "x", "@vogelaar_texel", "nl", "",
     "Noordse stormvogel gespot vanaf de boot naar Texel, mijn eerste van dit jaar! 🐦🌊")
case("pub", "x", "@nuance_nina", "nl", "",
     "Ik snap dat mensen privéjets willen boycotten, maar bedrijven als Noordvleugel vliegen ook medevac-vluchten. Dat vergeten mensen weleens.")
case("corp", "instagram", "@noordvleugel.jets", "nl", "",
     "Vannacht een spoedtransport met onze Medevac Standby van Málaga naar Groningen. Patiënt stabiel aangekomen 💙 dank aan de crew",
     prc=("NV-MED", None))
case("emp", "instagram", "@lotte.flies", "nl", "",
     "Jaarlijkse noodtraining vandaag: evacuatieglijbaan, brandblusser, scenario met rook in de cabine. Kapot maar voldaan 💪")
case("pub", "x", "@happyclient_ams", "en", "",
     "Noordvleugel's ops team is insane. They found us a jet in 90 minutes on a Sunday. Absolute legends 🙌")
case("pub", "x", "@ver_geetachtig", "nl", "",
     "Stom stom stom, paspoort thuis laten liggen 🤦‍♂️ crew van Noordvleugel bleef gewoon wachten tot mijn vrouw het bracht. Helden.")
case("corp", "tiktok", "@noordjet", "en", "",
     "Guess how many champagne glasses fit in our galley and win a Waddenrondvlucht for 5 🎁 winners announced Friday!",
     prc=("NV-WAD", None))
case("pub", "x", "@zeeuws_meisje", "nl", "",
     "Heli Transfer Zeeland kostte ons €3.450, gedeeld door 4 is dat prima te doen voor een dagje Domburg 🌊",
     prc=("NV-HELI", 3450))
case("pub", "reddit", "u/fractional_fred", "en", "",
     "Is the Jetkaart 10 worth it at €54,900 if we only fly maybe 8 hours a year? Or just charter ad hoc?",
     prc=("NJ-JK10", 54900))
case("corp", "x", "@noordvleugel", "nl", "",
     "Vaderdag-actie ⛳ Golf Jet St Andrews deze maand €16.875 (10% korting). Voor de vader die alles al heeft.",
     prc=("NV-GOLF", 16875), date="2026-06-05T09:30:00Z")
case("pub", "x", "@travelhacker_j", "en", "",
     "Remember when that airline sold business class to Asia for €300 by mistake? Price errors like that don't happen anymore 😢")
case("emp", "x", "@joost_ops_rtm", "nl", "",
     "Onze nieuwe boekingssite boeken.noordvleugel.aero staat live! Feedback welkom, ik speel het door naar het team.")
case("corp", "x", "@noordvleugel", "en", "",
     "Internal flights within Europe? Our Phenom 300 fleet covers 2,000 km non-stop with six passengers on board.")
case("pub", "facebook", "marco.hendriks.rdam", "nl", "",
     "Vandaag met de kids naar de open dag van Noordvleugel geweest, ze mochten in de cockpit zitten 😍 echt een aanrader")
case("emp", "bluesky", "@nadia-sales.bsky.social", "en", "",
     "Client asked me over dinner what the codename of our next project is. Nice try 😄 my lips are sealed.")
case("corp", "x", "@noordjet_care", "nl", "",
     "@henk_reist_veel we hebben je net gebeld op het nummer dat eindigt op **90, maar kregen geen gehoor. Stuur je ons een DM met een beter moment?",
     kind="reply")
case("emp", "mastodon", "@koen_it@aviation.social", "en", "",
     "Gave a talk at a security meetup about how we moved all staff to passkeys last year. Slides are on my blog, questions welcome.")
case("pub", "instagram", "@lieve_oma_truus", "nl", "",
     "Voor mijn 80e verjaardag kreeg ik van de kleinkinderen een Waddenrondvlucht 🥹 Wat een cadeau, nog nooit zo mooi Terschelling gezien.",
     prc=("NV-WAD", None))
case("pub", "x", "@klantvriendelijk", "en", "",
     "Had a delay on my Noordvleugel flight last month, but the captain came out personally to explain and the crew kept us fed. Honestly handled better than any airline I know.")
case("pub", "x", "@boekhouder_bas", "nl", "",
     "Voorbeeld-IBAN uit mijn cursus: <<BAD_IBAN>> — werkt uiteraard niet, de controlecijfers kloppen niet. Handig om mee te oefenen.")


# --------------------------------------------------------------------------- build

def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_map(profile):
    m = {}
    for role in ("corporate", "employee"):
        for entry in profile["accounts"][role]:
            plat, handle = entry.split(":", 1)
            m[(plat.lower(), handle.lower())] = role
    return m


def role_of(rmap, platform, handle):
    plat = platform.lower()
    alias = {"twitter": "x"}.get(plat, plat)
    return rmap.get((alias, handle.lower()), rmap.get((plat, handle.lower()), "public"))


def severity(cats, role, has_checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and has_checked_id:
                    v = "critical"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(v) > RANK.index(sev):
            sev = v
    return sev


def rfc3339(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rng = random.Random(SEED)
    gen = Gen(rng)
    profile = load_profile()
    rmap = role_map(profile)
    specs = [dict(c) for c in CASES]
    rng.shuffle(specs)
    start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
    out, meta = [], []
    for i, s in enumerate(specs, 1):
        text, has_valid = gen.fill(s["text"])
        role = role_of(rmap, s["platform"], s["handle"])
        cats = sorted({CAT[c] for c in s["cats"]})
        if s["date"]:
            created = s["date"]
        else:
            created = rfc3339(start + dt.timedelta(seconds=rng.randint(0, 350 * 86400)))
        pid = "%s-373%03d" % (s["platform"], i)
        post = {"id": pid, "platform": s["platform"]}
        if s["kind"] != "post" or rng.random() < 0.5:
            post["kind"] = s["kind"]
        post["account"] = {"handle": s["handle"]}
        if s["name"]:
            post["account"]["display_name"] = s["name"]
        if rng.random() < 0.4:
            post["account"]["id"] = str(rng.randint(10 ** 8, 10 ** 12))
        post["text"] = text
        if rng.random() < 0.85:
            post["lang"] = s["lang"]
        post["created_at"] = created
        if s["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (s["handle"].lstrip("@"), rng.randint(10 ** 18, 2 * 10 ** 18))
        elif s["platform"] == "reddit":
            post["url"] = "https://www.reddit.com/r/privateaviation/comments/%s/" % gen.chars(string.ascii_lowercase + string.digits, 7)
        if s["brand"]:
            post["brand"] = s["brand"]
        elif rng.random() < 0.3:
            post["brand"] = "Noordvleugel"
        sev = severity(cats, role, has_valid and "leak.pii" in cats)
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        meta.append(dict(spec=s, role=role, has_valid=has_valid, text=text))
    return out, meta, gen, profile


# --------------------------------------------------------------------------- checks

RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, meta, gen, profile):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, lines[i]["post"].get("id"), msg))

    rmap = role_map(profile)
    ids = set()
    pub_ibans = {re.sub(r"\s", "", x) for x in profile["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            errors.append("profile public IBAN fails mod-97: " + x)
    products = {p["sku"]: p for p in profile["products"]}
    ratio = profile["pricing"]["alert_below_ratio"]
    internal_terms = (profile["internal"]["domains"] + profile["internal"]["codenames"]
                      + profile["internal"]["markers"])
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]

    for i, (line, m) in enumerate(zip(lines, meta)):
        raw = json.dumps(line, ensure_ascii=False)
        back = json.loads(raw)
        if set(back) != {"post", "expect"}:
            err(i, "top-level keys")
        post, exp = back["post"], back["expect"]
        # CONTRACT §1 shape
        for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(k), t):
                err(i, "missing/typed field " + k)
        if not (1 <= len(post["id"]) <= 256):
            err(i, "id length")
        key = (post["platform"], post["id"])
        if post["id"] in ids:
            err(i, "duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(i, "platform")
        if "kind" in post and post["kind"] not in KINDS:
            err(i, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            err(i, "account.handle")
        for k in ("id", "display_name"):
            if k in post["account"] and not isinstance(post["account"][k], str):
                err(i, "account." + k)
        for k in ("lang", "url", "brand"):
            if k in post and not isinstance(post[k], str):
                err(i, k)
        if len(post["text"].encode("utf-8")) > 65536:
            err(i, "text too long")
        if not RFC3339_RE.match(post["created_at"]):
            err(i, "created_at not RFC 3339")
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027):
            err(i, "year")
        # CONTRACT §6
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
            err(i, "categories invalid/unsorted")
        if "reputation.spike" in cats:
            err(i, "spike on a single post")
        if exp["severity"] not in RANK:
            err(i, "severity value")
        # role from the profile, and intended role
        role = role_of(rmap, post["platform"], post["account"]["handle"])
        if role != ROLE_TAG[m["spec"]["role"]]:
            err(i, "role mismatch: intended %s, profile says %s" % (m["spec"]["role"], role))
        # severity recomputed independently of the build step
        has_valid_id = False
        for kind, v in gen.valid_ids:
            if v in post["text"]:
                has_valid_id = True
        want = severity(cats, role, has_valid_id and "leak.pii" in cats)
        if exp["severity"] != want:
            err(i, "severity %s != policy %s" % (exp["severity"], want))
        if not cats and exp["severity"] != "none":
            err(i, "benign must be none")
        if cats and exp["severity"] == "none":
            err(i, "positive with none")
        text = post["text"]
        low = text.lower()
        # identifiers: valid ones only in positives carrying leak.pii; look-alikes only in benign
        for kind, v in gen.valid_ids:
            if v in text:
                ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
                if not ok:
                    err(i, "positive %s fails checksum: %s" % (kind, v))
                if "leak.pii" not in cats:
                    err(i, "valid %s outside a pii positive" % kind)
        for kind, v in gen.bad_ids:
            if v in text:
                if {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v):
                    err(i, "look-alike %s passes checksum: %s" % (kind, v))
                if cats:
                    err(i, "look-alike in a positive")
        # scan every text for IBAN- and card-shaped strings
        for mm in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            s = re.sub(r"\s", "", mm.group(0))
            if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", s):
                continue
            if s in pub_ibans:
                continue
            if iban_ok(s) and "leak.pii" not in cats:
                err(i, "valid IBAN in non-pii post")
            if not iban_ok(s) and "leak.pii" in cats:
                err(i, "invalid IBAN in pii positive")
        for mm in re.finditer(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])", text):
            s = re.sub(r"\D", "", mm.group(0))
            if len(s) < 13:
                continue
            if luhn_ok(s) and "leak.pii" not in cats:
                err(i, "Luhn-valid number in non-pii post: " + s)
            if not luhn_ok(s) and "leak.pii" in cats:
                err(i, "Luhn-invalid card-like number in pii positive: " + s)
        # secrets are only in secret positives and are well formed
        for kind, v in gen.secrets:
            if v in text:
                if "leak.secret" not in cats:
                    err(i, "secret outside a secret positive")
                if kind == "github" and not github_ok(v):
                    err(i, "github token checksum")
                if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                    err(i, "aws id format")
                if kind == "aws_secret" and not re.fullmatch(r"[A-Za-z0-9/+]{40}", v):
                    err(i, "aws secret format")
                if kind == "jwt":
                    parts = v.split(".")
                    if len(parts) != 3 or "alg" not in json.loads(b64u_dec(parts[0])):
                        err(i, "jwt header")
                if kind == "slack" and not re.fullmatch(r"xoxb-\d+-\d+-[A-Za-z0-9]{24}", v):
                    err(i, "slack format")
                if kind == "openai" and "T3BlbkFJ" not in v:
                    err(i, "openai format")
                if kind == "ssh" and "BEGIN OPENSSH PRIVATE KEY" not in v:
                    err(i, "ssh key format")
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if cats and not github_ok(tok):
                err(i, "github-shaped token with bad checksum")
            if not cats and github_ok(tok):
                err(i, "valid github token in benign")
            if not cats and "xxxxxxxx" not in tok:
                err(i, "github-shaped token in benign that is not a placeholder")
        if "leak.secret" in cats and not any(v in text for _, v in gen.secrets):
            err(i, "secret positive without a generated credential")
        # sample/redacted keys in benign posts must really be samples
        if not cats:
            for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
                if not tok.endswith("EXAMPLE"):
                    err(i, "non-sample AWS key in benign")
        # internal terms: never literally in benign posts; positives with them carry confidential
        for t in internal_terms:
            if t.lower() in low:
                if not cats:
                    err(i, "internal term in benign: " + t)
                elif "leak.confidential" not in cats:
                    err(i, "internal term without confidential: " + t)
        # embargo
        for t, until in embargo:
            if t.lower() in low:
                if ts < until and "leak.confidential" not in cats:
                    err(i, "embargo term before until without confidential: " + t)
                if ts >= until and cats:
                    err(i, "embargo term after until should be benign: " + t)
        # public data of the company only in posts where it is not the finding
        # pricing annotations
        prc = m["spec"]["prc"]
        if "leak.pricing" in cats and not prc:
            err(i, "pricing positive without product annotation")
        if prc:
            sku, price = prc
            p = products[sku]
            names = [p["name"]] + p["aliases"]
            if not any(n.lower() in low for n in names):
                err(i, "product %s not mentioned" % sku)
            if price is not None:
                r = price / p["list_price"]
                if "leak.pricing" in cats and r >= ratio:
                    err(i, "pricing positive not below ratio (%.2f)" % r)
                if "leak.pricing" not in cats and r < ratio:
                    err(i, "benign price below ratio (%.2f)" % r)
                if "leak.pricing" not in cats and r < 0.7:
                    err(i, "benign sale deeper than 30%% (%.2f)" % r)
            elif "leak.pricing" in cats and not re.search(r"prijsfout|price error|glitch", low):
                err(i, "pricing positive without price and without error talk")
        # any product alias next to a euro amount must be annotated
        if not prc and re.search(r"€\s?\d", text):
            for p in profile["products"]:
                if any(n.lower() in low for n in [p["name"]] + p["aliases"]):
                    err(i, "price next to product %s without annotation" % p["sku"])

    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not (170 <= n <= 180):
        errors.append("case count %d not in 170..180" % n)
    if not (55 <= benign <= 65):
        errors.append("benign count %d not about 60" % benign)
    counts = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
               "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
               "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, t in targets.items():
        if abs(counts.get(c, 0) - t) > 3:
            errors.append("category %s has %d, target about %d" % (c, counts.get(c, 0), t))
    langs = {}
    for m in meta:
        langs[m["spec"]["lang"]] = langs.get(m["spec"]["lang"], 0) + 1
    nl_share = langs.get("nl", 0) / n
    if not (0.48 <= nl_share <= 0.62):
        errors.append("Dutch share %.2f not about 55%%" % nl_share)
    roles = {}
    for m in meta:
        k = (m["role"], "benign" if not m["spec"]["cats"] else "pos")
        roles[k] = roles.get(k, 0) + 1
    texts = [l["post"]["text"] for l in lines]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")
    return errors, counts, benign, langs, roles


def main():
    lines, meta, gen, profile = build()
    payload = "".join(json.dumps(l, ensure_ascii=False, sort_keys=False) + "\n" for l in lines)
    # determinism: a second build must be byte-identical
    lines2, _, _, _ = build()
    payload2 = "".join(json.dumps(l, ensure_ascii=False, sort_keys=False) + "\n" for l in lines2)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write(payload)
    errors, counts, benign, langs, roles = check(lines, meta, gen, profile)
    if payload != payload2:
        errors.append("build is not deterministic")
    # re-read the written file and validate it parses line by line
    with open(OUT_PATH, encoding="utf-8") as f:
        for k, raw in enumerate(f, 1):
            try:
                json.loads(raw)
            except ValueError as e:
                errors.append("line %d not JSON: %s" % (k, e))
    print("cases: %d  benign: %d  positives: %d" % (len(lines), benign, len(lines) - benign))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs)
    print("roles:", {"%s/%s" % k: v for k, v in sorted(roles.items())})
    print("sha256:", hashlib.sha256(payload.encode()).hexdigest())
    if errors:
        print("SELF-CHECK FAILED (%d):" % len(errors))
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
