#!/usr/bin/env python3
"""Build the labelled evaluation set sealed346 (Stouwkade Forwarding B.V.).

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, sizes);
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT ...),
    sample/redacted keys in benign posts are not;
  * pricing and embargo annotations are consistent with the profile;
  * the mix (counts, languages, roles) is in the requested range.
Standard library plus PyYAML only.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

SEED = 346
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

SEC, PII, PRI, CON, FIN, SCY = ("leak.secret", "leak.pii", "leak.pricing",
                                "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU}
SEVERITIES = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
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


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- generators
class Gen:
    """Deterministic generator of identifiers and credentials, memoised by key."""

    BANKS = ["INGB", "ABNA", "TRIO", "BUNQ", "KNAB", "SNSB", "ASNB", "RABO"]

    def __init__(self, rng):
        self.rng = rng
        self.memo = {}

    def rs(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def iban(self):
        bank = self.rng.choice(self.BANKS)
        acct = self.rs(string.digits, 10)
        n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
        return "NL%02d%s%s" % (98 - n % 97, bank, acct)

    def bad_iban(self):
        good = self.iban()
        cd = int(good[2:4])
        bad = good[:2] + "%02d" % ((cd + self.rng.randint(1, 9)) % 97 or 11) + good[4:]
        assert not iban_ok(bad)
        return bad

    def card(self):
        prefix = self.rng.choice(["4", "4", "51", "52", "53", "54", "55"])
        body = prefix + self.rs(string.digits, 15 - len(prefix))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c
        raise AssertionError

    def bad_card(self):
        good = self.card()
        bad = good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    def bsn(self):
        while True:
            d = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(7)]
            t = sum(d[i] * (9 - i) for i in range(8)) % 11
            if t <= 9:
                s = "".join(map(str, d)) + str(t)
                if bsn_ok(s):
                    return s

    def bad_bsn(self):
        while True:
            s = str(self.rng.randint(1, 9)) + self.rs(string.digits, 8)
            if not bsn_ok(s):
                return s

    def ghp(self, prefix="ghp_"):
        body = self.rs(ALNUM, 30)
        return prefix + body + b62(zlib.crc32(body.encode()), 6)

    def aws_id(self):
        return "AKIA" + self.rs(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.rs(ALNUM + "/+", 40)

    def stripe(self):
        return "sk_live_51" + self.rs(ALNUM, 22) + self.rs(ALNUM, 64)

    def slack(self):
        return "xoxb-%s-%s-%s" % (self.rs(string.digits, 12), self.rs(string.digits, 13),
                                  self.rs(ALNUM, 24))

    def openai(self):
        return "sk-proj-" + self.rs(URLSAFE, 74) + "T3BlbkFJ" + self.rs(URLSAFE, 74)

    def anthropic(self):
        return "sk-ant-api03-" + self.rs(URLSAFE, 93) + "AA"

    def google(self):
        return "AIza" + self.rs(URLSAFE, 35)

    def jwt(self):
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.rng.randint(0, 300 * 86400)
        body = {"sub": "usr_%d" % self.rng.randint(10000, 99999), "org": "stouwkade",
                "role": "declarant", "iat": iat, "exp": iat + 8 * 3600}
        pay = b64url(json.dumps(body, separators=(",", ":")).encode())
        sig = b64url(bytes(self.rng.getrandbits(8) for _ in range(32)))
        return "%s.%s.%s" % (head, pay, sig)

    def sshkey(self):
        raw = b"openssh-key-v1\x00" + bytes(self.rng.getrandbits(8) for _ in range(240))
        b = base64.b64encode(raw).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    def dbpw(self):
        return self.rs(ALNUM, 10) + self.rng.choice("!#%*") + self.rs(ALNUM, 5)

    def get(self, kind, key):
        k = (kind, key)
        if k not in self.memo:
            self.memo[k] = getattr(self, kind)()
        return self.memo[k]


def fmt_iban(s, style):
    if style == "sp":
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def fmt_card(s, style):
    if style == "sp":
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    if style == "dash":
        return "-".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def fmt_bsn(s, style):
    if style == "dot":
        return s[:4] + "." + s[4:6] + "." + s[6:]
    return s


# ---------------------------------------------------------------- the cases
CASES = []


def case(platform, handle, text, cats=(), lang=None, kind=None, when=None,
         price=None, embargo=None, evasion=False):
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, when=when, price=price or [],
                      embargo=embargo, evasion=evasion))


# ======================= complaints =======================
case("x", "@sanne_importeert",
     "@stouwkade_help al 9 dagen staat mn container 'in behandeling' bij de douane en niemand belt "
     "terug. Ik betaal jullie toch juist voor Aangifte Plus?? Mijn klanten wachten op hun voorraad 😤",
     [CMP], "nl")
case("reddit", "u/candlemaker_utrecht",
     "PSA for anyone using Stouwkade for LCL out of Ningbo: quote said €89/cbm, final invoice had €410 "
     "of 'extra handling' and 'documentation fees' that nobody ever mentioned. Support just pasted "
     "their T&Cs at me. Never again.",
     [CMP], "en")
case("facebook", "marloes.verhagen.77",
     "Wat een circus bij Stouwkade. Pallets kwamen binnen met 2 kapotte dozen en nu zegt de "
     "claimafdeling dat CargoCover het niet dekt want 'onvoldoende verpakt'. Waarom betaal ik dan "
     "elke zending premie? Lekker verzekerd ben je zo.",
     [CMP], "nl", kind="comment")
case("x", "@thegoodteaco",
     "hey @stouwkade my air shipment was promised for thursday. it's now wednesday the week after and "
     "tracking still says 'departed origin'. AirDash my foot 🙄",
     [CMP], "en")
case("instagram", "@bloemenbureau_lisa",
     "Leuk filmpje hoor maar misschien eerst de telefoon opnemen? 45 min in de wacht gehangen en toen "
     "gewoon verbinding verbroken. #stouwkade",
     [CMP], "nl", kind="comment")
case("forum", "kleinhandelaar_pieter",
     "Ervaringen met Stouwkade als douane-agent? Ik ben er eerlijk gezegd klaar mee. Ze hebben een "
     "verkeerde HS-code op mijn aangifte gezet (led-lampen als 'overige artikelen'), nu krijg ik een "
     "naheffing van ruim €1.100 aan invoerrechten plus een boete. Hun reactie: mijn productomschrijving "
     "was 'te vaag' dus mijn verantwoordelijkheid. Terwijl ik juist die HS-Check bij ze had afgenomen "
     "om dit te voorkomen. Iemand tips voor een andere partij?",
     [CMP], "nl")
case("linkedin", "daniel-okafor-trading",
     "Third time this quarter that a Stouwkade invoice arrives with duties calculated on the wrong "
     "incoterm (FOB vs CIF, not rocket science). Reconciling this every month is eating my Fridays. "
     "Would appreciate it if someone senior actually looked at it.",
     [CMP], "en", kind="comment")
case("tiktok", "@jaimy.dropship",
     "bro stouwkade heeft mn FBA zending naar het verkeerde amazon warehouse gestuurd 💀💀 nu 3 weken "
     "extra en amazon rekent gewoon storage door. top service echt",
     [CMP], "nl", kind="comment")
case("x", "@koffiebranderij_oost",
     "Container staat al 6 dagen op de kade in Rotterdam en wij betalen demurrage omdat @stouwkade "
     "'vergeten' is de vrijgave aan te vragen. Wie gaat dit vergoeden?",
     [CMP], "nl")
case("bluesky", "@mira-ceramics.bsky.social",
     "Filed a damage claim with Stouwkade in June. It is now November. Four follow-up emails, zero "
     "replies. If anyone over there reads Bluesky: claim ref SK-CLM-22817.",
     [CMP], "en")
case("threads", "@hennie.van.dam",
     "KlaarVoorInvoer portal ligt er wéér uit net als ik mn aangifte wil checken. elke maandagochtend "
     "hetzelfde liedje 🙄",
     [CMP], "nl")
case("youtube", "@RetroKeyboardsUK",
     "Went with these guys for my first China import because of this video. Clearance took 3 weeks "
     "and nobody told me I needed an EORI first, even though I bought the Importstarter package that "
     "is literally supposed to cover that.",
     [CMP], "en", kind="comment")
case("other", "review-by-yvonne-s",
     "1 ster. Chauffeur van KadeDrop zette 6 pallets gewoon op de stoep in de regen en reed weg. Niet "
     "laten aftekenen, niet gebeld. Doos met meubelstoffen helemaal doorweekt. Stouwkade reageert niet "
     "op mail.",
     [CMP], "nl")
# complaint + pii (customer exposes own data)
case("x", "@ibrahim_imports",
     "@stouwkade_help al 3x gemaild, geen reactie. Zending SKD-449812 staat stil sinds dinsdag. Bel me "
     "gewoon even: 06 41 87 29 53. Dit kost me klanten.",
     [CMP, PII], "nl")
case("facebook", "gareth.whitfield.tiles",
     "Still waiting on a refund for the €240 overcharge. Since my messages apparently get lost, here is "
     "my IBAN AGAIN, just pay it: <<iban:gw:sp>> (G. Whitfield). Not hard, Stouwkade.",
     [CMP, PII], "en", kind="comment")
# complaint + abuse
case("x", "@frankdeboer_nl",
     "Stelletje prutsers bij @stouwkade. 2 weken voor een simpele invoeraangifte en dan nog fout ook. "
     "Incompetente klootzakken.",
     [CMP, ABU], "nl")
case("reddit", "u/fjord_and_fern",
     "Stouwkade's customer service is run by absolute morons. My shipment has been 'under customs "
     "review' for 12 days and the idiot on the phone didn't even know what an MRN was.",
     [CMP, ABU], "en")
# crisis + complaint (first-hand harm)
case("x", "@tuincentrum_elst",
     "@stouwkade bij het lossen van onze container door jullie mensen viel een pallet van de heftruck en "
     "raakte mijn magazijnmedewerker vol op zijn been. Hij ligt nu op de SEH. Niemand van Stouwkade "
     "heeft ons nog gebeld. Dit is echt onacceptabel.",
     [CRI, CMP], "nl")
case("instagram", "@lowlands.lighting.store",
     "Your KadeDrop driver reversed into my shop front this morning while delivering. Glass everywhere "
     "and my daughter was standing right behind the window. She's ok, but only just. Still no call "
     "back @stouwkade.forwarding",
     [CRI, CMP], "en", kind="comment")
case("facebook", "annemiek.terhorst",
     "Vorige week zending via Stouwkade ontvangen. Blijkbaar was de container begast (fumigatie) en "
     "niemand had gewaarschuwd, geen sticker, niks. Mijn collega en ik werden allebei duizelig en "
     "misselijk bij het openen, huisarts denkt aan methylbromide. Hoe kan het dat jullie magazijn geen "
     "gasmeting doet?!",
     [CRI, CMP], "nl")
case("tiktok", "@bas.verkoopt",
     "storytime: stouwkade levert mn pallet af met kapotte wikkelfolie, hele stapel dozen valt om "
     "bovenop mijn voet. teen gebroken 🦶🩻 en hun reactie: 'niet onze verantwoordelijkheid'. serieus??",
     [CRI, CMP], "nl")

# ======================= crisis =======================
case("x", "@douanewaakhond",
     "BREAKING: Stouwkade zou maandenlang invoeraangiftes van klanten met een te lage douanewaarde "
     "hebben ingediend. De FIOD zou een onderzoek zijn gestart. Wie weet meer? #douanefraude",
     [CRI], "nl")
case("reddit", "u/paperlanterns_nl",
     "Anyone else get an email from Stouwkade saying their portal was 'accessed by an unauthorised "
     "party'? My invoices and a passport scan were on there. That's a data breach and they are being "
     "suspiciously quiet about it.",
     [CRI], "en")
case("x", "@kleinondernemers_nl",
     "Oproep aan alle webshops: boycot Stouwkade tot ze de naheffingen vergoeden die ze zelf hebben "
     "veroorzaakt. Deel dit! #BoycotStouwkade",
     [CRI], "nl")
case("linkedin", "karin-vos-advocaat",
     "We are preparing a collective claim against Stouwkade Forwarding over systematic overbilling of "
     "import duties. If you imported through them in 2025 or 2026 and want to join, send me a DM.",
     [CRI], "en")
case("forum", "waalhaven_bewoner",
     "Vanochtend flinke brand in de loods van Stouwkade aan de Waalhaven. Volgens omwonenden zijn er "
     "lithiumaccu's van een klant in brand gevlogen. Twee medewerkers met rookinhalatie naar het "
     "ziekenhuis, rookwolk tot in Charlois te zien.",
     [CRI], "nl")
case("x", "@portnews_rtm",
     "Rotterdam: forklift accident at a Stouwkade warehouse in Waalhaven leaves one worker seriously "
     "injured. Labour Inspectorate is investigating.",
     [CRI], "en")
case("x", "@eerlijkwerk_nl",
     "Schandalig: undercover beelden laten zien hoe uitzendkrachten bij Stouwkade in Venlo 12 uur per "
     "dag zonder pauze containers lossen. Dit moet stoppen. #uitbuiting",
     [CRI], "nl")
case("bluesky", "@opsecgremlin.bsky.social",
     "So Stouwkade had a spreadsheet with every client's VAT number, EORI and home address sitting in "
     "an open S3 bucket? And they still haven't notified anyone? Unreal.",
     [CRI], "en")
case("tiktok", "@webshopmama",
     "Stouwkade wordt aangeklaagd door 40 webshops vanwege verdwenen zendingen… tijd voor een boycot "
     "🚫📦 #stouwkade #boycot",
     [CRI], "nl")
case("x", "@a15_verkeer_watch",
     "Reports that a Stouwkade truck carrying hazardous goods without ADR placards overturned on the A15 "
     "near Ridderkerk this morning. Road closed, fire brigade on scene.",
     [CRI], "en")

# ======================= abuse =======================
case("x", "@rotterdamse_rik",
     "@stouwkade_help jullie zijn echt de grootste oplichters van de haven, tyfuslijers",
     [ABU], "nl")
case("x", "@mattjl_88",
     "@stouwkade whoever runs this account is a brain-dead clown. go f*** yourselves",
     [ABU], "en")
case("instagram", "@cindy_importeert",
     "die Marit van jullie douanedesk is een arrogante trut, ik hoop echt dat ze ontslagen wordt",
     [ABU], "nl", kind="comment")
case("reddit", "u/northsea_grumbler",
     "Of course the customs desk at Stouwkade is full of those headscarf women who can barely speak "
     "Dutch, no wonder nothing ever gets done there.",
     [ABU], "en")
case("tiktok", "@d3nnis_010",
     "st0uwk4de = k4nk3rb3drijf, al die l00pj0ngens van jullie moeten gewoon de laan uit",
     [ABU], "nl", kind="comment", evasion=True)
case("x", "@rutger_douane",
     "@ibrahim_imports misschien eerst zelf je papieren op orde hebben, sukkel. Niet ons probleem dat "
     "jij een factuur niet kan lezen.",
     [ABU], "nl")
case("x", "@stouwkade_help",
     "@frankdeboer_nl Honestly mate, shut up. Nobody asked for your idiotic opinion.",
     [ABU], "en")
case("facebook", "ronnie.kraaijeveld",
     "Ik weet waar die planner van jullie woont. Als mijn container maandag niet vrij is kom ik verhaal "
     "halen, vuile ratten.",
     [ABU], "nl", kind="comment")
case("youtube", "@ImportNightmares",
     "Stouwkade = scum. absolute bunch of w4nk3rs, every single one of them",
     [ABU], "en", kind="comment", evasion=True)
case("x", "@gerard_xl",
     "@stouwkade k u t b e d r i j f. en die medewerkers van jullie zijn gewoon a p e n",
     [ABU], "nl", evasion=True)

# ======================= confidential =======================
case("x", "@lotte_expeditie",
     "Eindelijk mag ik het zeggen… nou ja, bijna 😅 Zeesleper gaat in maart live en dan is het "
     "afgelopen met dat ouwe TMS. Kan niet wachten!",
     [CON], "nl")
case("linkedin", "wouter-kramer-it",
     "Big milestone for the Zeesleper team today: customs declarations now flow end-to-end through the "
     "new stack. Can't share more yet, but 2027 is going to be fun 🚀 #logistics #devops",
     [CON], "en")
case("x", "@rutger_douane",
     "heeft iemand toevallig de link naar https://jira.stouwkade.nl/browse/DOU-1182 ? kan m nergens "
     "meer vinden en ik moet er vandaag op reageren",
     [CON], "nl")
case("threads", "@nadia.customs",
     "Friday mood: reading a 40-page doc stamped STOUWKADE INTERN about our new duty deferment setup. "
     "Who writes these things 😂",
     [CON], "en")
case("instagram", "@kees.opdekade",
     "Nieuwe handscanners getest vandaag 📦 het dashboard draait op grafana.ops.stouwkade.local en ziet "
     "er strak uit! #warehouselife #waalhaven",
     [CON], "nl")
case("linkedin", "stouwkade-forwarding",
     "Binnenkort: KlaarVoorInvoer Pro ✨ met automatische HS-classificatie en realtime vrijgavestatus "
     "voor je zendingen. Zet je alvast op de wachtlijst!",
     [CON], "nl", when="2027-01-12T08:30:00Z", embargo="KlaarVoorInvoer Pro")
case("linkedin", "esra-yilmaz-stouwkade",
     "Sneak peek for my favourite clients: AirDash Next is coming. Same-week air from Shenzhen, more "
     "details soon. Ask me about it 😉",
     [CON], "en", when="2026-11-03T10:14:00Z", embargo="AirDash Next")
case("linkedin", "bram-hoekstra-sk",
     "Drukke weken bij finance: de jaarcijfers 2026 zijn bijna af. Alvast een tipje van de sluier: "
     "omzet ruim 20% hoger dan 2025 en voor het eerst boven de 200 miljoen 💪",
     [CON, FIN], "nl", when="2027-02-20T16:45:00Z", embargo="jaarcijfers 2026")
case("reddit", "u/venlo_vrachtvrouw",
     "Mijn neef werkt bij Stouwkade en volgens hem betekent 'Operatie Bolder' dat het magazijn in "
     "Venlo dichtgaat en dat ze alles naar Rotterdam halen. Iemand meer info?",
     [CON, FIN], "nl")
case("x", "@freightgossip",
     "Someone dropped a Stouwkade PDF marked 'internal - do not forward' into the forwarders Slack "
     "group. It's their whole 2027 rate strategy lol",
     [CON], "en")
case("x", "@marit_vleeuwen",
     "wat was ook alweer de url van de nieuwe urenregistratie? intra.stouwkade.local/uren of zat het nou "
     "op tms.stouwkade.local? 🤔",
     [CON], "nl")
case("linkedin", "esra-yilmaz-stouwkade",
     "Can't say much yet, but Project Meerpaal is the most exciting thing I have worked on in ten years "
     "at Stouwkade. Big news for Dutch SME importers soon.",
     [CON], "en")
case("bluesky", "@joostvandermeer.bsky.social",
     "Z\u200be\u200be\u200bs\u200bl\u200be\u200bp\u200be\u200br testomgeving staat klaar, wie wil er "
     "vrijdag mee testen? 🙋‍♂️",
     [CON], "nl", evasion=True)
case("threads", "@nadia.customs",
     "\uff33\uff34\uff2f\uff35\uff37\uff2b\uff21\uff24\uff25 \uff29\uff2e\uff34\uff25\uff32\uff2e doc "
     "about the new bonded warehouse flow is honestly the best thing I've read all year",
     [CON], "en", evasion=True)
case("facebook", "StouwkadeForwarding",
     "Vacature: Senior Backend Developer voor ons nieuwe platform Zeesleper! Bouw mee aan de software "
     "waarmee duizenden importeurs straks hun douanezaken regelen. Reageer via werkenbij@stouwkade.nl",
     [CON], "nl")
case("x", "@lotte_expeditie",
     "Pr\u043eject Meerp\u0430al kickoff vandaag 🤝 om 6 uur de trein naar Antwerpen in, maar dat is "
     "het dubbel en dwars waard",
     [CON], "nl", evasion=True)

# ======================= financial =======================
case("linkedin", "bram-hoekstra-sk",
     "Q3 afgesloten: omzet €48,2 mln, EBITDA-marge 7,9%. De cijfers gaan pas in november naar buiten, "
     "maar wat heeft dit team geknald!",
     [FIN], "nl")
case("x", "@lotte_expeditie",
     "overheard in the canteen: we're buying Rijnmond Cargo Services. deal was signed on friday "
     "apparently 👀",
     [FIN], "en")
case("x", "@rutger_douane",
     "Sfeer op kantoor is om te snijden. Volgende maand gaan er 60 fte uit bij de douane-afdeling en de "
     "meeste mensen weten het zelf nog niet eens.",
     [FIN], "nl")
case("linkedin", "wouter-kramer-it",
     "Forecast session today: management expects FY revenue to land around €190m, well short of the "
     "€215m guidance we gave the banks. Tough year in forwarding.",
     [FIN], "en")
case("reddit", "u/ex_declarant_rdam",
     "Insider hier: Stouwkade staat in de verkoop. Een private-equitypartij uit Londen heeft rond de 120 "
     "miljoen geboden, due diligence loopt nu. Zegt niemand hardop natuurlijk.",
     [FIN], "nl")
case("forum", "customs_chatter",
     "Heard from a friend in their finance department that Stouwkade is going to breach its bank "
     "covenants this quarter and is quietly renegotiating the loan.",
     [FIN], "en")
case("instagram", "@kees.opdekade",
     "Laatste dienst in Venlo 😢 het magazijn gaat per 1 april dicht, iedereen wordt overgeplaatst naar "
     "Rotterdam of krijgt een regeling. Nog niet officieel dus ssst 🤫",
     [FIN], "nl")
case("bluesky", "@joostvandermeer.bsky.social",
     "Ops budget for 2027 just got cut by 15% and the board wants to close two branches before summer. "
     "Not announced yet, so keep it quiet.",
     [FIN], "en")
case("x", "@stouwkade",
     "Goed nieuws: we hebben overeenstemming bereikt over de overname van Douanekantoor Brabant! Het "
     "persbericht volgt morgen om 07:00.",
     [FIN], "nl")
case("threads", "@nadia.customs",
     "just saw the Q2 numbers in the board deck before they go out: net loss of €3.4m. not great. "
     "bonuses are gone for sure",
     [FIN], "en")
case("linkedin", "esra-yilmaz-stouwkade",
     "Project Meerpaal = de overname van een Belgische douane-expediteur, zo'n 35 collega's erbij. "
     "Ondertekening is volgende week!",
     [CON, FIN], "nl")

# ======================= security =======================
case("x", "@marit_vleeuwen",
     "Niemand op de douanedesk kan sinds 6:00 aangiftes indienen, de hele koppeling met de Douane ligt "
     "eruit. Klanten weten het nog niet, dus als je belt: we 'onderzoeken het' 🙃",
     [SCY], "nl")
case("linkedin", "wouter-kramer-it",
     "Long night. Ransomware hit two of our warehouse servers yesterday; we've isolated them and are "
     "restoring from backup. Customers haven't been told yet, comms is still working on the wording.",
     [SCY], "en")
case("reddit", "u/heftruck_henk",
     "kan iemand uitleggen waarom ons scannersysteem in de loods al 3 dagen offline is? ploegleider zegt "
     "dat het een hack is, management zegt helemaal niks",
     [SCY], "nl")
case("threads", "@nadia.customs",
     "FYI the KlaarVoorInvoer portal has a bug where you can see other clients' invoices just by "
     "changing the number in the URL. Reported it internally weeks ago, still not fixed 🙄",
     [SCY], "en")
case("bluesky", "@joostvandermeer.bsky.social",
     "Phishingmail bij finance en natuurlijk heeft iemand geklikt; de mailbox van de CFO is 2 dagen "
     "door iemand anders gebruikt. Intern de hele dag paniek, naar buiten toe nog stil.",
     [SCY], "nl")
case("x", "@pentest_pim",
     "Did a pentest for Stouwkade last year. Their customer portal still runs the same unpatched Apache "
     "Struts version I reported. Not my problem anymore I guess.",
     [SCY], "en")
case("x", "@lotte_expeditie",
     "tracking voor klanten ligt al de hele ochtend plat, database gecrasht en de backup van gisteren is "
     "corrupt. grote kans dat we een dag aan statussen kwijt zijn 😬",
     [SCY], "nl")
case("instagram", "@kees.opdekade",
     "When the whole WMS goes down and we're back to pen and paper 📝😂 3rd time this week, IT says it's "
     "some kind of attack #warehouselife",
     [SCY], "en")
case("linkedin", "wouter-kramer-it",
     "Vandaag ontdekt dat onze S3-bucket met douanedocumenten maandenlang publiek leesbaar was. Inmiddels "
     "dichtgezet, maar we weten niet wie erbij is geweest. Melding bij de AP volgt (hopelijk).",
     [SCY], "nl")
case("reddit", "u/edi_integrator",
     "I work at a software vendor that integrates with Stouwkade. Since Tuesday their booking API accepts "
     "requests without any valid token. Told them twice. Crickets.",
     [SCY], "en")
case("x", "@rutger_douane",
     "collega's: vandaag NIET inloggen op het portaal, de loginpagina toont sinds vanochtend een nep "
     "MFA-scherm. IT is ermee bezig",
     [SCY], "nl")
case("x", "@marit_vleeuwen",
     "o u t a g e op de douanedesk: AGS-koppeling down sinds 5 uur, nog niks tegen klanten zeggen "
     "aub 🤐",
     [SCY], "nl", evasion=True)
case("bluesky", "@joostvandermeer.bsky.social",
     "na de inbraak van gisteren hebben we alle keys geroteerd behalve deze, dus even hier geparkeerd "
     "zodat ik m thuis heb lol: <<aws_id:j1>> / <<aws_secret:j1>>",
     [SCY, SEC], "nl")

# ======================= secrets =======================
case("x", "@rutger_douane",
     "@wouter_k waarom werkt dit niet? curl -H \"Authorization: token <<ghp:r1>>\" "
     "https://api.github.com/repos/stouwkade/edi-parser krijg steeds 404",
     [SEC], "nl")
case("linkedin", "wouter-kramer-it",
     "Quick how-to for our partners integrating payments in their import webshop. Your .env should look "
     "something like this:\nSTRIPE_SECRET_KEY=<<stripe:w1>>\nSTRIPE_WEBHOOK_PATH=/hooks/stripe\n"
     "Then restart the worker and you're done.",
     [SEC], "en")
case("reddit", "u/heftruck_henk",
     "lol iemand in onze loods heeft de WMS-login gewoon op het scherm geplakt: gebruiker magazijn2 / "
     "wachtwoord: Kade#Venlo2026! echt niet normaal",
     [SEC], "nl")
case("x", "@stouwkade_help",
     "@sanne_importeert Je tijdelijke inlog voor het KlaarVoorInvoer-portaal: gebruikersnaam "
     "sanne.importeert, wachtwoord: Tj7#qP2m!vL9 – wijzig het na de eerste keer inloggen.",
     [SEC], "nl")
case("bluesky", "@joostvandermeer.bsky.social",
     "anyone know why psql refuses this? postgres://tms_app:<<dbpw:j2>>@db01.tms.stouwkade.local:5432/tms "
     "worked fine yesterday",
     [SEC, CON], "en")
case("x", "@octo_integrations",
     "our Stouwkade status notifier keeps dying, here's the config if anyone can spot it: "
     "SLACK_BOT_TOKEN=<<slack:o1>> CHANNEL=#inbound-shipments",
     [SEC], "en")
case("threads", "@nadia.customs",
     "help mn python scriptje voor de HS-codes doet het niet meer 😭 openai.api_key = \"<<openai:n1>>\" "
     "iemand een idee?",
     [SEC], "nl")
case("bluesky", "@joostvandermeer.bsky.social",
     "debugging the portal session: this decodes fine on jwt.io but the API keeps saying 401?? "
     "<<jwt:j3>>",
     [SEC], "en")
case("x", "@marit_vleeuwen",
     "welke moet ik nou in filezilla zetten, deze?? \n<<sshkey:m1>>",
     [SEC], "nl")
case("reddit", "u/leakhunter_eu",
     "Found this in a Stouwkade client's public repo, looks like the key for their tracking dashboard: "
     "<<google:l1>> (reported it, just a heads-up)",
     [SEC], "en")
case("x", "@rutger_douane",
     "iemand ervaring met Claude voor HS-classificatie? dit is mn setup: client = "
     "anthropic.Anthropic(api_key=\"<<anthropic:r2>>\")",
     [SEC], "nl")

# ======================= personal data =======================
case("x", "@stouwkade_help",
     "@ibrahim_imports Excuus! We hebben je net teruggebeld op 06-41872953 maar kregen geen gehoor. We "
     "mailen je ook nog even op i.yilmaz.imports@gmail.com.",
     [PII], "nl")
case("facebook", "StouwkadeForwarding",
     "Hi Gareth, the €240 refund has been sent to <<iban:gw:sp>> (G. Whitfield) and should arrive within "
     "3 working days. Sorry again!",
     [PII], "en", kind="comment")
case("x", "@rutger_douane",
     "Klant belt voor de 5e keer vandaag. Meneer P. de Graaf, Lindelaan 14, 3818 GK Amersfoort: u krijgt "
     "echt geen vrijgave voor 400 kilo vuurwerk 🙄🎆",
     [PII], "nl")
case("linkedin", "esra-yilmaz-stouwkade",
     "Gefeliciteerd aan onze trouwste klant Johan Brouwer (geboren 12-03-1961) met zijn 65e verjaardag! "
     "Al 14 jaar importeert hij zijn fietsonderdelen via ons 🎉",
     [PII], "nl")
case("threads", "@nadia.customs",
     "klant stuurt zijn creditcardnummer gewoon via de chat 🤦‍♀️ <<card:n2:sp>> exp 08/28. mensen "
     "toch.",
     [PII], "nl")
case("x", "@marit_vleeuwen",
     "Waarom zet een particulier zijn BSN op een proforma-factuur?! <<bsn:m2:dot>> staat er gewoon "
     "bovenaan. Heb het in ons systeem gemaskeerd maar jeetje.",
     [PII], "nl")
case("instagram", "@stouwkade.forwarding",
     "Congratulations to Daan Visser, our 1000th KadeDrop customer! 🎁 Daan, your welcome pack is on its "
     "way to Kerkstraat 22, 5611 GH Eindhoven.",
     [PII], "en")
case("reddit", "u/lampenwinkel_jos",
     "Kreeg per ongeluk een mail van Stouwkade met de gegevens van een andere klant: Fatma Demir, "
     "tel. +31 6 2745 8830, f.demir@outlook.com, inklaring van 3 pallets cosmetica. Dit is gewoon een "
     "datalek. Hoe kan dit?",
     [PII, CRI], "nl")
case("x", "@shopkeeper_liam",
     "@stouwkade_help your payment page keeps failing, tried card <<card:s1>> three times now and it "
     "just spins. what is going on??",
     [PII, CMP], "en")
case("facebook", "wendy.importeert",
     "Zoekt iemand een goeie inklaarder? Bel gerust mijn contact daar, Henk Mulder, 06-18273645 (privé), "
     "die regelt alles snel.",
     [PII], "nl", kind="comment")
case("linkedin", "bram-hoekstra-sk",
     "Reminder for the payroll team: new starter Sophie Langen, DOB 04/09/1994, BSN <<bsn:b1>>, starts "
     "Monday. Please have her set up before 9.",
     [PII], "en")
case("x", "@stouwkade_help",
     "@koffiebranderij_oost We sturen de creditnota naar eigenaar Ruud Peeters, r.peeters@kpnmail.nl. "
     "Of liever telefonisch via 010-4129876?",
     [PII], "nl")
case("bluesky", "@joostvandermeer.bsky.social",
     "Driver for tomorrow's Tilburg pickup is Mo Haddou, his personal cell is +31 6 3456 1278, call him "
     "directly if the dock isn't ready.",
     [PII], "en")

# ======================= pricing =======================
case("x", "@dealjager_nl",
     "GLITCH?! SeaBox 40 van Ningbo naar Rotterdam voor €295 op de site van Stouwkade 😱 snel boeken "
     "voor ze het zien",
     [PRI], "nl", price=[("SeaBox 40", 295.0)])
case("x", "@stouwkade",
     "Black Friday deal 🚢 SeaBox 20 for just €185 this week only! Book now at stouwkade.nl",
     [PRI], "en", price=[("SeaBox 20", 185.0)])
case("facebook", "StouwkadeForwarding",
     "Actie! Het Importstarter Pakket nu voor €34,90 in plaats van €349. Alles wat je nodig hebt voor je "
     "eerste import.",
     [PRI], "nl", price=[("Importstarter", 34.90)])
case("reddit", "u/bargainbin_bob",
     "Stouwkade's quote tool is giving me AirDash at €39 per shipment. Price error surely? Booked 5 "
     "anyway lol",
     [PRI], "en", price=[("AirDash", 39.0)])
case("linkedin", "esra-yilmaz-stouwkade",
     "Voor mijn netwerk: RailLink China–Europa deze maand voor €850 per container! Stuur me een DM "
     "voor de voorwaarden.",
     [PRI], "nl", price=[("RailLink", 850.0)])
case("tiktok", "@dealsmetdaan",
     "prijsfout bij stouwkade?? FBA Prep voor €18,90 ipv 189 🤑 #prijsfout #amazonfba",
     [PRI], "nl", price=[("FBA Prep", 18.90)])
case("instagram", "@kees.opdekade",
     "pallet storage for €1,45 a week per pallet this month at our Waalhaven hub, tell your friends 😄",
     [PRI], "en", price=[("pallet storage", 1.45)])
case("x", "@lotte_expeditie",
     "oeps, er staat een prijsfout in de portal bij Douaneaangifte Plus. wordt vandaag nog gefixt, "
     "niet boeken tot dan!",
     [PRI], "nl")
case("x", "@importhacks",
     "Stouwkade charging €12 for their QC-inspectie service?? pretty sure that's meant to be €289. "
     "ordered 3 😂",
     [PRI], "en", price=[("QC-inspectie", 12.0)])
case("facebook", "StouwkadeForwarding",
     "Nieuw in ons aanbod: containerlossen al vanaf €42,50 per container!",
     [PRI], "nl", price=[("containerlossen", 42.50)])
case("linkedin", "stouwkade-forwarding",
     "Starting your import journey? CargoCover insurance is now just €5.90 per shipment.",
     [PRI], "en", price=[("CargoCover", 5.90)])
case("x", "@marktkoopman_ali",
     "KVI Portal abonnement voor €2,90 per maand bij Stouwkade, foutje of actie? 😅",
     [PRI], "nl", price=[("KVI Portal", 2.90)])

# ======================= benign (mostly hard negatives) =======================
case("x", "@stouwkade",
     "Goedemorgen! Vragen over je aangifte? Mail douane@stouwkade.nl of bel 010-5550140, we staan tot "
     "18:00 voor je klaar.", [], "nl")
case("linkedin", "stouwkade-forwarding",
     "Our full-year 2026 results are out: revenue up 12% and 4,100 new importers on board. Thank you to "
     "everyone who trusted us with their cargo. Full report on stouwkade.nl/investors",
     [], "en", when="2027-03-10T09:05:00Z", embargo="full-year 2026 results")
case("x", "@stouwkade",
     "Vanaf vandaag live: KlaarVoorInvoer Pro! Automatische HS-classificatie en realtime "
     "vrijgavestatus. Alles op klaarvoorinvoer.nl",
     [], "nl", when="2027-01-20T10:00:00Z", embargo="KlaarVoorInvoer Pro")
case("x", "@vintage_vinyl_lab",
     "Shoutout naar @stouwkade_help, binnen een uur teruggebeld en mijn container was dezelfde middag "
     "vrij. Zo kan het dus ook 👏", [], "nl")
case("reddit", "u/yiwu_regular",
     "For anyone asking: I've used Stouwkade for three years for LCL from Yiwu. SeaShare is about €89 per "
     "cbm, which is fair, and the paperwork has always been right. Not the cheapest, but reliable.",
     [], "en", price=[("SeaShare", 89.0)])
case("facebook", "StouwkadeForwarding",
     "Deze maand 20% korting op HS-Check: nu €39,20 in plaats van €49. Nooit meer twijfelen over je "
     "goederencode.", [], "nl", price=[("HS-Check", 39.20)])
case("x", "@stouwkade",
     "Spring deal: 15% off SeaBox 40 from Shanghai, now €2,507. Book before 30 April.",
     [], "en", price=[("SeaBox 40", 2507.0)])
case("tiktok", "@stouwkade",
     "POV: je eerste container komt aan en je hebt geen idee wat een MRN is 😅 wij leggen het uit in 60 "
     "sec #importeren #douane", [], "nl")
case("linkedin", "esra-yilmaz-stouwkade",
     "10 years at Stouwkade today! From junior declarant to sales manager. Grateful for this team and "
     "for every importer who picked up the phone 🙏", [], "en")
case("x", "@lotte_expeditie",
     "Sterkte aan de collega's van die expediteur in Moerdijk na de brand van gisteren 🙏 gelukkig geen "
     "gewonden.", [], "nl")
case("x", "@powerbank_pete",
     "Does anyone know if Stouwkade can do lithium battery shipments by air? Need AirDash for 20 boxes of "
     "power banks.", [], "en")
case("x", "@stouwkade",
     "Developers: onze API-docs staan online. Voorbeeld-header: Authorization: Bearer <JOUW_API_SLEUTEL>. "
     "Je eigen sleutel vraag je aan in het portaal.", [], "nl")
case("linkedin", "wouter-kramer-it",
     "Reminder for anyone writing internal AWS docs: use AKIAIOSFODNN7EXAMPLE and "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, never a real key. We scan every commit "
     "for the real thing.", [], "en")
case("x", "@rutger_douane",
     "Tip: zet in je screenshots nooit je echte token maar gewoon iets als "
     "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Scheelt een hoop gedoe.", [], "nl")
case("x", "@carla_candles",
     "Scam alert: got an SMS 'from Stouwkade' asking me to pay import duties with card "
     "<<bad_card:c1:sp>> (not even a valid card number lol). The real Stouwkade never texts you for "
     "payment.", [], "en")
case("facebook", "joyce.handgemaakt",
     "Typfout gemaakt in het rekeningnummer bij mijn betaling aan Stouwkade, <<bad_iban:j4>>, gelukkig "
     "weigerde de bank hem meteen. Even opnieuw overmaken dan.", [], "nl", kind="comment")
case("facebook", "StouwkadeForwarding",
     "Betaal je factuur altijd naar onze vaste rekening <<own_iban>> t.n.v. Stouwkade Forwarding B.V. We "
     "vragen nooit via WhatsApp om een nieuw rekeningnummer.", [], "nl")
case("x", "@kaaskoppen_import",
     "Container MSKU4930217 is vrijgegeven, MRN 26NLE0002184671A3. Bedankt @stouwkade_help voor de "
     "snelle inklaring 🙌", [], "nl")
case("forum", "eerste_import_2026",
     "Waarom vraagt de douane om mijn BSN als particulier? Op het formulier staat 'bijv. "
     "<<bad_bsn:e1>>'. Moet ik dat echt invullen bij Stouwkade of kan dat ook anders?", [], "nl")
case("x", "@koffiebranderij_oost",
     "Update: @stouwkade heeft teruggebeld, de demurrage volledig vergoed en excuses gemaakt. Netjes "
     "opgelost 👍", [], "nl")
case("bluesky", "@joostvandermeer.bsky.social",
     "Sterkte aan iedereen in de haven na de storm van vannacht. Bij ons is alles ok, containers staan "
     "vast 💙", [], "nl")
case("x", "@tinyteeshop",
     "my therapist: and what do we do when the container is stuck in customs? me: cry and call "
     "Stouwkade 😂 (they fixed it tho)", [], "en")
case("instagram", "@kees.opdekade",
     "Vanochtend een zeehond gespot die lag te zonnen naast een meerpaal bij de Waalhaven 🦭☀️ "
     "#rotterdam #haven", [], "nl")
case("x", "@first_time_importer",
     "Is €119 for Aangifte Plus reasonable? Feels a bit steep compared to doing it myself via the "
     "customs website.", [], "en", price=[("Aangifte Plus", 119.0)])
case("x", "@logistiekpraat",
     "Weer een overname in de expeditiewereld: een Duitse speler koopt een Brabants douanekantoor. Wie "
     "is de volgende? (Stouwkade zit er in elk geval niet bij, zegt hun woordvoerder)", [], "nl")
case("linkedin", "stouwkade-forwarding",
     "We're hiring! Customs declarant (m/f/x) for our Rotterdam office. Apply via werkenbij@stouwkade.nl",
     [], "en")
case("x", "@stouwkade_help",
     "Let op: er gaan phishingmails rond uit naam van Stouwkade. Wij vragen nooit om je wachtwoord. "
     "Twijfel je? Bel 010-5550140.", [], "nl")
case("x", "@stouwkade_help",
     "Update: the KlaarVoorInvoer portal is back up after this morning's scheduled maintenance. Thanks for "
     "your patience! Live status: status.stouwkade.nl", [], "en")
case("x", "@startendeondernemer",
     "Stouwkade heeft nu 25% korting op het Importstarter Pakket (€261,75). Goeie deal voor beginners "
     "imo", [], "nl", price=[("Importstarter", 261.75)])
case("tiktok", "@zoe.sells.cases",
     "how I imported 500 phone cases from China at 19 📦 step 1: find a forwarder (I used Stouwkade) "
     "step 2: get an EORI step 3: pray", [], "en")
case("x", "@trackingnerd",
     "the new Stouwkade tracking app is honestly killer 🔥 finally I can see where my pallets are",
     [], "en")
case("x", "@sneakerhub_uk",
     "Stouwkade's customs team absolutely killed it this week, 3 containers cleared in a day. Insane "
     "turnaround 🔥", [], "en")
case("x", "@oma_breit_online",
     "Iemand het nummer van Stouwkade? Ik heb 0800-0233 gevonden maar weet niet of dat klopt.", [], "nl")
case("blog", "smallimporterblog",
     "Comparing five forwarders for small importers in 2026: Stouwkade came out as the most transparent on "
     "fees. AirSaver (€245) isn't the cheapest air option, but the customs handling is included.",
     [], "en", price=[("AirSaver", 245.0)])
case("linkedin", "stouwkade-forwarding",
     "Vandaag publiceren we onze jaarcijfers 2026: een omzet van €201 miljoen en gemiddeld 14 nieuwe "
     "importeurs per dag. Het volledige jaarverslag staat op stouwkade.nl.",
     [], "nl", when="2027-03-10T07:30:00Z", embargo="jaarcijfers 2026")
case("threads", "@nadia.customs",
     "Werken met KlaarVoorInvoer Pro is echt een upgrade, classificeren in twee klikken 🙌",
     [], "nl", when="2027-02-02T13:20:00Z", embargo="KlaarVoorInvoer Pro")
case("linkedin", "esra-yilmaz-stouwkade",
     "AirDash Next is live and my inbox is on fire 🔥 great launch, team!",
     [], "en", when="2027-01-22T08:10:00Z", embargo="AirDash Next")
case("forum", "webshop_wim",
     "In de API-docs van KlaarVoorInvoer staat als voorbeeld 'Authorization: Bearer eyJhbGciOi...' – moet "
     "ik daar gewoon mijn eigen token neerzetten?", [], "nl")
case("instagram", "@stouwkade.forwarding",
     "Never share your portal password, not even with us. Our staff will never ask for it 🔐", [], "en")
case("reddit", "u/scamwatch_benelux",
     "Got an invoice 'from Stouwkade' asking me to pay to <<bad_iban:s2:sp>>. Ran it through an IBAN "
     "checker and it isn't even a valid IBAN. Phishing, ignore it if you get the same mail.", [], "en")
case("facebook", "StouwkadeForwarding",
     "Vandaag bestaat Stouwkade 25 jaar! 🎂 Dank aan alle importeurs, chauffeurs en declaranten die ons "
     "groot hebben gemaakt.", [], "nl")
case("x", "@greenhouse_goods",
     "Does Stouwkade do gas measurements before opening fumigated containers? Asking before I book "
     "their devanning service.", [], "en")
case("x", "@marktplaats_marco",
     "Weer een datalek bij een grote webwinkel. Gelukkig heeft het portaal van Stouwkade gewoon "
     "tweestapsverificatie.", [], "nl")
case("x", "@rutger_douane",
     "Confidential information: the coffee machine on the 3rd floor is the best one. Don't tell "
     "ops ☕", [], "en")
case("instagram", "@kees.opdekade",
     "Taart in de kantine want Marit is jarig 🎂🎈 #teamstouwkade", [], "nl")
case("x", "@dutchdeskdecor",
     "Called +31 10 555 0140 and got through in 2 minutes. Stouwkade customer service is top.", [], "en")
case("reddit", "u/railfreight_rob",
     "RailLink quote came in at €2,150 per 40ft vs €2,950 for SeaBox 40. Rail is worth it for us, "
     "18 days door to door.", [], "en", price=[("RailLink", 2150.0), ("SeaBox 40", 2950.0)])
case("x", "@sjaak_koopt",
     "lol price error at some electronics webshop, a TV for €19. cancelled of course. anyway my "
     "shipment via Stouwkade lands tomorrow 📦", [], "en")
case("linkedin", "lisa-brandsma-law",
     "My lawyer friend recommended Stouwkade for fiscal representation. Best advice she ever gave me.",
     [], "en")
case("x", "@gadgetgijs",
     "That power bank recall at a big discount chain: luckily my import through Stouwkade wasn't part "
     "of it, different factory.", [], "en")
case("linkedin", "stouwkade-forwarding",
     "Trots: onze jaarlijkse ISO 27001-audit is afgerond zonder major findings. Informatiebeveiliging "
     "doen we samen 💪", [], "nl")
case("x", "@ceramicsbymeg",
     "PSA: your Stouwkade portal password has to be 12+ characters now. Annoying but fair.", [], "en")
case("forum", "kleine_importeur",
     "Mijn referentienummer bij Stouwkade is <<bad_card:k1:sp>>, geen idee waarom dat zo lang is. Staat "
     "ook zo op de vrachtbrief. Normaal?", [], "nl")
case("linkedin", "wouter-kramer-it",
     "Brutal week in forwarding with all the Red Sea reroutes, but the team delivered. Proud of everyone "
     "at Stouwkade.", [], "en")
case("x", "@ninja_naaiatelier",
     "stouwkade 🐐🐐 container in 1 dag vrij", [], "nl")
case("x", "@leather_and_lace",
     "Is Stouwkade still affected by the port strike or are they running normally again?", [], "en")
case("reddit", "u/heftruck_henk",
     "Even lekker op een bolder zitten met m'n lunch, haven in de zon. Beste plek van Venlo ☀️", [], "nl")
case("youtube", "@StouwkadeForwarding",
     "In deze video: zo vul je een T1-document in zonder fouten. Vragen? Mail douane@stouwkade.nl",
     [], "nl")
case("bluesky", "@portwatcher.bsky.social",
     "Container rates from Shanghai are dropping again. Quoted €2.300 for a 40ft elsewhere, Stouwkade "
     "was a bit higher but includes clearance.", [], "en")
case("forum", "naaistudio_nina",
     "Vraagje: kan ik bij Stouwkade ook alleen palletopslag afnemen zonder transport? €14,50 per week "
     "lijkt me prima.", [], "nl", price=[("palletopslag", 14.50)])


# ---------------------------------------------------------------- build
PH = re.compile(r"<<([a-z_]+)(?::([a-z0-9]+))?(?::([a-z]+))?>>")


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in {a.lower() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, has_checked_id):
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (SEC, PRI) or (c == PII and has_checked_id):
                    v = "critical"
                else:
                    v = "error"
            else:
                v = "warning"
        elif c == CMP:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if rank[v] > rank[out]:
            out = v
    return out


def build(profile):
    rng = random.Random(SEED)
    gen = Gen(random.Random(SEED * 7919))
    own_iban = profile["public_identifiers"]["ibans"][0]
    lines, meta = [], []
    used_ids = set()
    start = dt.datetime(2026, 1, 5, 6, 0, 0)
    span = int((dt.datetime(2026, 12, 22, 22, 0, 0) - start).total_seconds())
    for c in CASES:
        tokens = []

        def sub(m):
            kind, key, style = m.group(1), m.group(2), m.group(3)
            if kind == "own_iban":
                tokens.append(("own_iban", own_iban))
                return own_iban
            raw = gen.get(kind, key)
            if kind in ("iban", "bad_iban"):
                shown = fmt_iban(raw, style)
            elif kind in ("card", "bad_card"):
                shown = fmt_card(raw, style)
            elif kind in ("bsn", "bad_bsn"):
                shown = fmt_bsn(raw, style)
            else:
                shown = raw
            tokens.append((kind, raw))
            return shown

        text = PH.sub(sub, c["text"])
        while True:
            pid = "%s-%d" % (c["platform"], rng.randint(10 ** 8, 10 ** 9 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        when = c["when"] or (start + dt.timedelta(seconds=rng.randint(0, span))).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        role = role_of(profile, c["platform"], c["handle"])
        checked = any(k in ("iban", "card", "bsn") for k, _ in tokens)
        sev = severity_for(role, c["cats"], checked and PII in c["cats"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "created_at": when}
        if c["lang"] and rng.random() < 0.85:
            post["lang"] = c["lang"]
        if rng.random() < 0.5:
            post["brand"] = "Stouwkade"
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        meta.append(dict(c, role=role, tokens=tokens, final_text=text))
    return lines, meta


# ---------------------------------------------------------------- checks
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def find_product(profile, alias):
    for p in profile["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if alias.lower() in (n.lower() for n in names):
            return p
    return None


CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def check(profile, lines, meta):
    errs = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)

    # --- profile
    acc = profile["accounts"]
    need(len(acc["corporate"]) >= 6, "need 6+ corporate accounts")
    need(len(acc["employee"]) >= 8, "need 8+ employee accounts")
    need(len({a.split(":")[0] for a in acc["corporate"] + acc["employee"]}) >= 4, "platforms")
    for ib in profile["public_identifiers"]["ibans"]:
        need(iban_ok(ib), "profile IBAN fails mod-97: %s" % ib)
    need(len(profile["internal"]["codenames"]) == 3, "3 codenames")
    need(len(profile["internal"]["markers"]) == 3, "3 markers")
    need(1 <= len(profile["embargo"]) <= 2, "1-2 embargo entries")
    for e in profile["embargo"]:
        need(parse_ts(e["until"]).year == 2027, "embargo until in 2027")
    need(15 <= len(profile["products"]) <= 25, "15-25 products")
    for p in profile["products"]:
        need(p["currency"] == "EUR" and p["list_price"] > 0 and p.get("aliases"), "product %s" % p)
    need(profile["pricing"]["alert_below_ratio"] == 0.5, "alert_below_ratio")
    ratio = profile["pricing"]["alert_below_ratio"]
    embargo_terms = {t.lower(): parse_ts(e["until"]) for e in profile["embargo"] for t in e["terms"]}

    # --- contract section 6 shape
    ids = set()
    for ln in lines:
        raw = json.dumps(ln, ensure_ascii=False)
        back = json.loads(raw)
        need(set(back) == {"post", "expect"}, "case keys")
        p, e = back["post"], back["expect"]
        need(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256, "id")
        need(p["id"] not in ids, "duplicate id %s" % p["id"])
        ids.add(p["id"])
        need(p["platform"] in PLATFORMS, "platform %s" % p["platform"])
        need(p.get("kind", "post") in KINDS, "kind")
        need(isinstance(p["account"], dict) and isinstance(p["account"].get("handle"), str)
             and p["account"]["handle"], "handle")
        need(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, "text size")
        p["text"].encode("utf-8")
        try:
            ts = parse_ts(p["created_at"])
            need(ts.tzinfo is not None and re.fullmatch(
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]), "ts format")
            need(ts.year in (2026, 2027), "year %s" % p["created_at"])
        except ValueError:
            errs.append("bad created_at %s" % p["created_at"])
        need(isinstance(e["categories"], list) and e["categories"] == sorted(set(e["categories"])),
             "categories sorted/unique")
        need(all(c in TAXONOMY for c in e["categories"]), "unknown category")
        need(e["severity"] in SEVERITIES, "severity value")
        if not e["categories"]:
            need(e["severity"] == "none", "benign must be none")

    # --- per-case semantic checks
    for ln, m in zip(lines, meta):
        p, e = ln["post"], ln["expect"]
        text, cats, pid = p["text"], e["categories"], p["id"]
        positive = bool(cats)
        # severity recomputed independently from the profile
        role = role_of(profile, p["platform"], p["account"]["handle"])
        checked_ids = [v for k, v in m["tokens"] if k in ("iban", "card", "bsn")]
        need(e["severity"] == severity_for(role, cats, bool(checked_ids) and PII in cats),
             "%s severity mismatch" % pid)
        need("<<" not in text and ">>" not in text, "%s unreplaced placeholder" % pid)
        # annotated identifiers
        for k, v in m["tokens"]:
            if k == "iban":
                need(positive and iban_ok(v), "%s IBAN should pass" % pid)
            elif k == "card":
                need(positive and luhn_ok(v), "%s card should pass" % pid)
            elif k == "bsn":
                need(positive and bsn_ok(v), "%s BSN should pass" % pid)
            elif k == "bad_iban":
                need(not positive and not iban_ok(v), "%s look-alike IBAN passes" % pid)
            elif k == "bad_card":
                need(not positive and not luhn_ok(v), "%s look-alike card passes" % pid)
            elif k == "bad_bsn":
                need(not positive and not bsn_ok(v), "%s look-alike BSN passes" % pid)
            elif k in ("iban", "card", "bsn", "ghp", "aws_id", "aws_secret", "stripe", "slack",
                       "openai", "anthropic", "google", "jwt", "sshkey", "dbpw"):
                need(SEC in cats, "%s credential token outside a secret case" % pid)
            if k in ("iban", "card", "bsn"):
                need(PII in cats, "%s checked identifier without leak.pii" % pid)
        # scan the whole text: positives carry only valid identifiers, benign only failing ones
        own = {re.sub(r"\s", "", x) for x in profile["public_identifiers"]["ibans"]}
        for mt in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", mt.group(0))
            if positive:
                need(iban_ok(v), "%s IBAN-shaped %s fails in positive" % (pid, v))
            else:
                need(v in own or not iban_ok(v), "%s valid IBAN %s in benign" % (pid, v))
        for mt in CARD_RE.finditer(text):
            if positive:
                need(luhn_ok(mt.group(0)), "%s card-shaped %s fails in positive" % (pid, mt.group(0)))
            else:
                need(not luhn_ok(mt.group(0)), "%s Luhn-valid number in benign" % pid)
        for mt in BSN_RE.finditer(text):
            if positive:
                need(bsn_ok(mt.group(0)), "%s BSN-shaped %s fails in positive" % (pid, mt.group(0)))
            else:
                need(not bsn_ok(mt.group(0)), "%s 11-proof number in benign" % pid)
        # credentials built like the real ones
        for mt in GH_RE.finditer(text):
            need(ghp_ok(mt.group(0)) == positive, "%s GitHub token CRC vs label" % pid)
        for mt in AWS_RE.finditer(text):
            need(("EXAMPLE" in mt.group(0)) != positive, "%s AWS key id vs label" % pid)
        for mt in JWT_RE.finditer(text):
            try:
                hdr = json.loads(b64url_dec(mt.group(0).split(".")[0]))
                need(positive and "alg" in hdr, "%s full JWT in benign" % pid)
            except ValueError:
                need(not positive, "%s broken JWT in positive" % pid)
        if "ghp_x" in text or "EXAMPLE" in text or "eyJhbGciOi..." in text:
            need(not positive, "%s sample key in positive" % pid)
        for k, v in m["tokens"]:
            if k == "ghp":
                need(ghp_ok(v), "%s generated ghp bad" % pid)
            if k == "aws_id":
                need(re.fullmatch(r"AKIA[A-Z2-7]{16}", v), "%s aws id shape" % pid)
            if k == "jwt":
                h = json.loads(b64url_dec(v.split(".")[0]))
                need("alg" in h and len(v.split(".")) == 3, "%s jwt shape" % pid)
            if k == "sshkey":
                need(v.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"), "ssh")
        if SEC in cats:
            need(any(k in ("ghp", "aws_id", "stripe", "slack", "openai", "anthropic", "google", "jwt",
                           "sshkey", "dbpw") for k, _ in m["tokens"])
                 or re.search(r"wachtwoord\s*:", text), "%s secret case without credential" % pid)
        # pricing annotations
        for alias, value in m["price"]:
            prod = find_product(profile, alias)
            need(prod is not None, "%s unknown product alias %s" % (pid, alias))
            need(alias.lower() in text.lower(), "%s alias %s not in text" % (pid, alias))
            if prod:
                r = value / prod["list_price"]
                if PRI in cats:
                    need(r < ratio, "%s pricing positive not below ratio (%.2f)" % (pid, r))
                else:
                    need(r >= ratio, "%s benign price below ratio (%.2f)" % (pid, r))
        if PRI in cats and not m["price"]:
            need(re.search(r"prijsfout|price error", text, re.I), "%s pricing without price/error" % pid)
        # embargo annotations and the embargo terms in general
        ts = parse_ts(p["created_at"])
        low = text.lower()
        for term, until in embargo_terms.items():
            if term in low:
                if ts < until:
                    need(CON in cats, "%s embargo term %r before until but not confidential" % (pid, term))
                else:
                    need(CON not in cats or any(x.lower() in low for x in
                                                profile["internal"]["codenames"]),
                         "%s embargo term after until labelled confidential" % pid)
        if m["embargo"]:
            need(m["embargo"].lower() in low, "%s embargo annotation not in text" % pid)
        # benign posts carry none of the inside-only strings
        if not positive:
            inside = (profile["internal"]["domains"] + profile["internal"]["codenames"]
                      + profile["internal"]["markers"])
            for s in inside:
                need(s.lower() not in low, "%s benign contains internal string %r" % (pid, s))
        # public handles are not in the profile; insiders are
        if m["role"] == "public":
            need(not any(m["handle"].lower() == a.split(":", 1)[1].lower()
                         for a in acc["corporate"] + acc["employee"]), "%s public handle" % pid)

    # --- the mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    need(170 <= n <= 180, "case count %d" % n)
    need(55 <= benign <= 65, "benign count %d" % benign)
    per = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    want = {CMP: (18, 24), CON: (15, 21), PII: (13, 17), CRI: (13, 17), SCY: (11, 15),
            SEC: (10, 14), ABU: (10, 14), PRI: (10, 14), FIN: (10, 14)}
    for c, (lo, hi) in want.items():
        need(lo <= per.get(c, 0) <= hi, "%s count %d" % (c, per.get(c, 0)))
    langs = [m["lang"] for m in meta]
    nl = langs.count("nl") / n
    need(0.50 <= nl <= 0.60, "Dutch share %.2f" % nl)
    need(sum(1 for m in meta if m["evasion"]) >= 5, "evasion cases")
    leaks = [m for m in meta if any(c.startswith("leak.") for c in m["cats"])]
    need(any(m["role"] == "public" for m in leaks), "some leaks from the public")
    need(sum(m["role"] != "public" for m in leaks) > len(leaks) / 2, "leaks mostly insiders")
    rep = [m for m in meta if any(c in (CRI, CMP) for c in m["cats"])]
    need(sum(m["role"] == "public" for m in rep) > len(rep) / 2, "reputation mostly public")
    need(any(parse_ts(ln["post"]["created_at"]).year == 2027 for ln in lines), "some 2027 dates")
    texts = [m["final_text"] for m in meta]
    need(len(set(texts)) == len(texts), "duplicate texts")
    return errs, per, benign, nl


def main():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    lines, meta = build(profile)
    again, _ = build(profile)
    errs, per, benign, nl = check(profile, lines, meta)
    if lines != again:
        errs.append("build is not deterministic")
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read the written file and make sure it round-trips
    with open(OUT_PATH, encoding="utf-8") as f:
        reread = [json.loads(x) for x in f]
    if reread != lines:
        errs.append("written file does not round-trip")
    print("cases: %d  benign: %d  dutch: %.0f%%" % (len(lines), benign, nl * 100))
    print("per category: " + ", ".join("%s=%d" % kv for kv in sorted(per.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  - " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
