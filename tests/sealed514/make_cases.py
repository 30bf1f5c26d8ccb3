#!/usr/bin/env python3
"""Build the sealed evaluation set 514 (fictional airport lounge operator Aerhaven).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it: checksums of identifiers, credential formats, CONTRACT §6
shape, and severities derived from CONTRACT §4 and the account role in profile.yaml.
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

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(514)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits


def rs(n, alphabet=ALNUM):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def gen_gh(prefix="ghp_"):
    body = rs(30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gen_akia():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def gen_aws_secret():
    return rs(40, ALNUM + "/+")


def gen_stripe():
    return "sk_live_51" + rs(14, string.digits + string.ascii_uppercase) + rs(80)


def gen_slack():
    return f"xoxb-{rs(11, string.digits)}-{rs(13, string.digits)}-{rs(24)}"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    now = 1780000000 + RNG.randint(0, 9_000_000)
    body = {"sub": str(RNG.randint(100000, 999999)), "name": "HavenPass member",
            "role": "member", "iat": now, "exp": now + 3600}
    pay = b64u(json.dumps(body, separators=(",", ":")).encode())
    sig = b64u(bytes(RNG.randrange(256) for _ in range(32)))
    return f"{head}.{pay}.{sig}"


def gen_openai():
    return "sk-proj-" + rs(74, ALNUM + "-_") + "T3BlbkFJ" + rs(74, ALNUM + "-_")


def gen_anthropic():
    return "sk-ant-api03-" + rs(93, ALNUM + "-_") + "AA"


def gen_glpat():
    return "glpat-" + rs(20, ALNUM + "-_")


def gen_google():
    return "AIza" + rs(35, ALNUM + "-_")


def gen_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(RNG.randrange(256) for _ in range(420))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    words = ["Kofferband", "Gate", "Lounge", "Vertrek", "Pier", "Boarding", "Zeewind", "Landing"]
    return RNG.choice(words) + RNG.choice("!#$%&*") + rs(4, string.digits) + rs(2, string.ascii_lowercase)


def gen_nl_iban():
    bank = RNG.choice(["RABO", "INGB", "ABNA", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    return make_iban("NL", bank + rs(10, string.digits))


def gen_be_iban():
    first = rs(10, string.digits)
    chk = int(first) % 97 or 97
    return make_iban("BE", f"{first}{chk:02d}")


def gen_card(prefix="4"):
    while True:
        num = prefix + rs(15 - len(prefix), string.digits)
        for last in string.digits:
            if luhn_ok(num + last):
                return num + last


def gen_bsn():
    while True:
        d = rs(8, string.digits)
        if d[0] == "0":
            continue
        s = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            cand = d + str(s)
            if bsn_ok(cand):
                return cand


def break_digit(num, checker):
    """A look-alike: same shape, one digit changed so the checksum fails."""
    chars = list(num)
    idx = [i for i, c in enumerate(chars) if c.isdigit()]
    i = idx[-1]
    for k in range(1, 10):
        chars[i] = str((int(num[i]) + k) % 10)
        cand = "".join(chars)
        if not checker(cand):
            return cand
    raise AssertionError("cannot break " + num)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- values used in posts
GH1 = gen_gh("ghp_")
AKIA1, AWS_SEC1 = gen_akia(), gen_aws_secret()
STRIPE1 = gen_stripe()
SLACK1 = gen_slack()
PW1, PW2 = gen_password(), gen_password()
JWT1 = gen_jwt()
DBPW1 = rs(18)
PEM1 = gen_pem()
OPENAI1 = gen_openai()
ANTH1 = gen_anthropic()
GLPAT1 = gen_glpat()

IBAN_CUST = gen_nl_iban()
IBAN_SUPP = gen_be_iban()
IBAN_TEST = gen_nl_iban()
IBAN_OWN = gen_nl_iban()
BSN1, BSN2 = gen_bsn(), gen_bsn()
CARD_OWN = gen_card("5")
CARD_FW = gen_card("4")

IBAN_BAD = break_digit(gen_nl_iban(), iban_ok)
CARD_BAD = "4111111111111112"
BSN_BAD = break_digit(gen_bsn(), bsn_ok)
CARD_BAD2 = break_digit(gen_card("4"), luhn_ok)

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing",
}
CASES = []


def P(handle, platform, cats, lang, text, kind="post", when=None, ids=(), fakes=(),
      price=None, secrets=()):
    CASES.append(dict(handle=handle, platform=platform, cats=[CAT[c] for c in cats], lang=lang,
                      text=text, kind=kind, when=when, ids=list(ids), fakes=list(fakes),
                      price=price, secrets=list(secrets)))


# ---- complaints (first-hand), some also a safety incident
P("@jetlagjan", "x", ["cmp"], "nl",
  "Kom ik met mijn HavenPass Gold bij de lounge op Schiphol: 'helaas vol, probeer het over een uur nog eens'. "
  "Mijn boarding is over 50 min. Waar betaal ik €549 per jaar voor @aerhaven ?? 😤")
P("@sophie_travels", "x", ["cmp"], "en",
  "@aerhaven_care been waiting 6 weeks for the refund on my Day Pass Brussels. flight got cancelled, "
  "lounge was closed anyway. three emails, zero answers. not great.", kind="reply")
P("@kofferbak_kim", "instagram", ["cmp"], "nl",
  "De douchesuite was echt smerig. haren in het putje, geen handdoeken en het rook naar riool. "
  "voor 25 euro verwacht ik wel beter Aerhaven", kind="comment")
P("@avgeek_mike", "reddit", ["cmp"], "en",
  "PSA for anyone using the Aerhaven lounge in Eindhoven: the 'hot buffet' at 6am was two trays of lukewarm "
  "scrambled eggs and stale croissants. Staff just shrugged. Used to be my favourite lounge, now it's a "
  "glorified gate area with a coffee machine.")
P("@reislustig_sanne", "facebook", ["cmp"], "nl",
  "2x afgeschreven voor 1 Dagpas Schiphol?! Bank laat het gewoon zien, €90 ipv €45. Chat van Aerhaven zegt "
  "'dat zien wij niet in ons systeem'. Nou ik wel hoor.")
P("@paxwatch", "x", ["cmp"], "en",
  "the QR code in the Aerhaven app just spins forever at the desk. showed a screenshot of my confirmation "
  "and the host still wanted 'the live code'. missed my coffee, nearly missed my flight. fix your app pls",
  kind="reply")
P("@noordzeeman", "x", ["cmp"], "nl",
  "wifi in de aerhaven lounge doet het weer eens niet. 'probeer AH-Guest-5G'. bestaat niet. zit nu te "
  "tetheren op m'n eigen bundel terwijl ik voor een lounge betaald heb 🙄 #aerhaven")
P("@gezin_op_reis", "instagram", ["cmp"], "nl",
  "Gezinspas gekocht voor onze vakantie naar Gran Canaria. Bij de balie: 'kinderen boven de 12 tellen als "
  "volwassene'. Staat NERGENS op de site. Moesten €70 bijbetalen. Beetje schimmig @aerhaven.lounges")
P("@tommyflies", "threads", ["cmp"], "en",
  "Booked a SkyPod for a 7h layover. Pod hadn't been cleaned after the previous guest, used blanket, crumbs "
  "on the pillow. Asked for another one: 'fully booked'. Aerhaven, this is grim.")
P("@ellenvdm", "x", ["cmp"], "nl",
  "Lounge ging om 21:00 dicht terwijl er op de site 23:00 staat. Met 30 man buiten gezet, onze vlucht had "
  "vertraging. Super klantonvriendelijk @aerhaven_care")
P("travel-desk-nordvik", "linkedin", ["cmp"], "en",
  "Our company bought the Aerhaven Business 50-pack. Three colleagues were turned away in Brussels last week "
  "because 'corporate passes are not valid during peak hours'. Nobody ever told our travel desk about that "
  "restriction. We are reviewing the contract.")
P("HondenmamaIlse", "facebook", ["cmp"], "nl",
  "Pawport gekocht zodat Bobby mee de lounge in kon. Mocht er niet in, 'huisdierenruimte gesloten wegens "
  "verbouwing'. Geen mail gehad vooraf, geen geld terug. Jammer hoor Aerhaven.")
P("@mo_reist", "tiktok", ["cmp"], "nl",
  "aerhaven lounge rn: geen stoel te vinden, mensen zitten op de grond bij de ramen, koffieautomaat kapot. "
  "dit is toch geen premium meer 💀", kind="comment")
P("@carla_in_transit", "x", ["cmp"], "en",
  "Arrivals Pass is supposed to include a shower and breakfast. Showers 'out of service', breakfast finished "
  "at 9. Got a voucher for one coffee. Not what I paid €35 for, @aerhaven.")
P("@pvanleeuwen", "x", ["cmp"], "nl",
  "@aerhaven_care en nu? Curbside Transfer geboekt voor 05:15, chauffeur kwam gewoon niet opdagen. Zelf maar "
  "een taxi geregeld voor €85. Wie gaat dat betalen?", kind="reply")
P("@anouk_reist", "facebook", ["cmp", "cri"], "nl",
  "Gisteren in de Aerhaven lounge op Schiphol de garnalensalade gegeten en de hele vlucht naar Lissabon "
  "liggen overgeven. Mijn vriend ook, zelfde salade. Aerhaven heeft nog niet eens op mijn mail gereageerd.")
P("@dan_on_layover", "x", ["cmp", "cri"], "en",
  "The glass door of the Aerhaven shower suite in Eindhoven literally shattered while I was in there. Cut my "
  "foot open, blood everywhere, and staff took 15 min to find a first aid kit. Unreal.")
P("@rikverhoeven", "x", ["cmp", "cri"], "nl",
  "Stroomschok gekregen van het stopcontact naast m'n stoel in de Aerhaven lounge. Hele arm tintelde. Gemeld "
  "bij de balie, ze plakten er een briefje 'defect' op en dat was het. Levensgevaarlijk dit!!")
P("@lisa_k_travels", "instagram", ["cmp", "cri"], "en",
  "My daughter slipped on the wet floor by the Aerhaven buffet, no sign, no mop, and hit her head on a table "
  "edge. We spent our layover at the airport medical post instead of the lounge. Still waiting for anyone "
  "from Aerhaven to even call us.")

# ---- crisis (news, accusations, boycotts, lawsuits, recalls)
P("@luchtvaartnieuws_nl", "x", ["cri"], "nl",
  "Brand in de keuken van de Aerhaven-lounge op Schiphol, lounge ontruimd. Volgens omstanders veel rook in "
  "pier D. Nog geen gewonden gemeld. #schiphol")
P("@paxwatch", "x", ["cri"], "en",
  "Multiple reports that Aerhaven leaked HavenPass members' passport scans, someone posted a dump on a "
  "forum. If you're a member, check your accounts. #databreach #aerhaven")
P("consumentenclaim-nl", "linkedin", ["cri"], "nl",
  "Wij starten een collectieve actie tegen Aerhaven Lounges B.V. namens HavenPass-leden die jarenlang "
  "onterecht 'servicekosten' hebben betaald. Aanmelden kan via onze website.")
P("@boycot_mo", "x", ["cri"], "nl",
  "Aerhaven zet vaste schoonmakers op straat en vervangt ze door uitzendkrachten voor een hongerloon. Ik kom "
  "daar niet meer. #boycotAerhaven")
P("@food_safety_watch", "x", ["cri"], "en",
  "Aerhaven is recalling the 'Haven Bites' snack boxes served in all its lounges after listeria was found in "
  "a supplier batch. Statement expected later today.")
P("@verslaggever_joost", "x", ["cri"], "nl",
  "Bronnen: twee medewerkers van een Aerhaven-lounge aangehouden na diefstal uit handbagage van gasten. "
  "Aerhaven wil nog niet reageren.")
P("@throwaway_bru", "reddit", ["cri"], "en",
  "Aerhaven staff in Brussels refused entry to a wheelchair user because they 'cannot guarantee evacuation'. "
  "The video is going viral and honestly they deserve to get sued over this.")
P("ReizenMetOma", "facebook", ["cri"], "nl",
  "Oudere man onwel geworden in de Aerhaven-lounge in Eindhoven, personeel kon de AED niet vinden. De man is "
  "later in het ziekenhuis overleden. Familie overweegt een rechtszaak.")
P("@flyertalk_ana", "x", ["cri"], "en",
  "Aerhaven now faces a class action in Belgium over hidden HavenPass fees. Lawyers say around 12,000 members "
  "are affected.")
P("@sophiadekker_", "x", ["cri"], "nl",
  "Heeft iemand anders ook een phishingmail gehad met je volledige HavenPass-nummer erin? Volgens mij is "
  "Aerhaven gewoon gehackt en houden ze hun mond.")

# ---- abuse
P("@woedende_wim", "x", ["abu"], "nl",
  "Aerhaven is een kutbedrijf met kutpersoneel. Die trut bij de balie mag wat mij betreft morgen op straat.")
P("@angryflyer99", "x", ["abu"], "en",
  "@aerhaven_care you absolute clowns. useless bunch of morons, can't even scan a QR code. fuck off.",
  kind="reply")
P("@d3nn1s_r", "tiktok", ["abu"], "nl",
  "die host in de aerhaven lounge is echt een debiel, als ik hem buiten tegenkom krijgt ie een klap 🤬",
  kind="comment")
P("@kevin0_0", "x", ["abu"], "nl", "4erh4ven = k4nk3rz00i. st3rf allemaal")
P("@xx_rage_xx", "x", ["abu"], "en", "Aerhaven staff are fu\u0441king \u0456d\u0456ots, every single one of them")
P("Rita.Roos.77", "facebook", ["abu"], "en",
  "That Aerhaven receptionist with the headscarf should go back to where she came from. Can't even speak "
  "proper Dutch.", kind="comment")
P("@bramtje_88", "x", ["abu"], "nl",
  "wat een stelletje oplichters en idioten bij aerhaven. lul de behanger met je 'premium ervaring'")
P("@ah_hater", "instagram", ["abu"], "en",
  "that lounge hostess Lotte at Aerhaven is a dumb bitch lol", kind="comment")
P("@bram_ops_ah", "x", ["abu"], "nl",
  "Weer zo'n randdebiel met een HavenPass die denkt dat ie de eigenaar is. Wat een sukkel. #nachtdienst")
P("@aerhaven.lounges", "threads", ["abu"], "nl",
  "@klaagkees misschien gewoon je bek houden als je niet eens kunt lezen wat er op je ticket staat.",
  kind="reply")
P("@mauricio_v", "x", ["abu"], "nl",
  "Aerhaven is echt k-u-t en dat personeel is t.y.f.u.s, stelletje s.u.k.k.e.l.s")
P("@jordy_nl_", "x", ["abu"], "nl",
  "@aerhaven_care jullie zijn gewoon schorem. tyfusbedrijf.", kind="reply")

# ---- confidential
P("@marloes_aerhaven", "x", ["conf"], "nl",
  "Vandaag de eerste tekeningen gezien van Project Albatros 😍 als dit doorgaat wordt het de mooiste lounge "
  "van Europa. Meer mag ik echt niet zeggen 🤫")
P("emma-de-graaf-aerhaven", "linkedin", ["conf"], "en",
  "Proud of the team that gave up their weekends for Operatie Zeewind. Can't share details yet, but the "
  "roll-out to all our lounges starts in March!")
P("@nadiabouzid.bsky.social", "bluesky", ["conf"], "en",
  "anyone else's staging env acting weird after following https://wiki.aerhaven.nl/display/OPS/Cirrus-7+cutover ? "
  "asking for a friend 😅")
P("@yvette_klaassen", "x", ["conf"], "nl",
  "Onze nieuwe Aerhaven Rotterdam Lounge gaat in het voorjaar open en ik heb hem al mogen zien!! 🛫",
  when="2026-10-14T16:22:05Z")
P("@aerhaven.lounges", "instagram", ["conf"], "en",
  "Something big is coming... HavenPass Infinity: unlimited lounges, unlimited guests. Stay tuned ✨",
  when="2026-11-03T11:00:00Z")
P("sanjay-ramdin", "linkedin", ["conf"], "en",
  "Great session today on our new roster tool. Slides are at https://jira.aerhaven.nl/browse/OPS-4471 "
  "(AH-INTERN), ping me for access.")
P("@ruben.barista.ah", "threads", ["conf"], "nl",
  "nieuwe menukaart voor de lounges 'uitgelekt'? nee hoor ik deel hem gewoon zelf 😂 staat AH-INTERN op maar "
  "boeiend, het is maar koffie")
P("@lounge_lurker", "reddit", ["conf"], "en",
  "A friend who works at Aerhaven says Project Albatros is a fully private terminal lounge at Schiphol with its "
  "own security lane. Opening 2027 apparently.")
P("@avgeek_mike", "x", ["conf"], "en",
  "Guy next to me on the Thalys has a deck open titled 'Aerhaven confidential: Cirrus-7 pricing model'. "
  "People, privacy screens exist lol")
P("@bram_ops_ah", "x", ["conf"], "nl",
  "kan iemand me de link naar ops.aerhaven.internal/rooster sturen? ben hem kwijt sinds de laptopwissel")
P("@jeroen_sec_ah", "x", ["conf"], "nl",
  "Morgen de demo van " + fullwidth("Project Albatros") + " voor het bestuur, duimen!")
P("@lotte.vanrijn.ah", "instagram", ["conf"], "nl",
  "Sneak peek van de nieuwe uniformen voor Operatie Zee\u200bwind 👀 #werkplezier #loungelife")
P("dirk-hoekstra-aerhaven", "linkedin", ["conf", "fin"], "nl",
  "Drukke weken. De jaarcijfers 2026 liggen al klaar en ze zijn beter dan iedereen verwacht. Ik ben trots "
  "op het team.", when="2027-01-20T08:41:00Z")
P("@keesdev", "mastodon", ["conf"], "en",
  "Migrating the booking API to the new cluster this weekend. Runbook is on https://wiki.aerhaven.nl/x/Q2k9 "
  "if you're on the team. Internal use only, obviously.")
P("ExMedewerkerAH", "facebook", ["conf"], "nl",
  "Ik heb hier een document met 'strikt vertrouwelijk - Aerhaven' erop over de nieuwe bonusregeling voor "
  "managers. Wie wil het zien? DM.")
P("@marloes_aerhaven", "x", ["conf"], "en",
  "@travelqueen can't say much, but HavenPass Infinity is worth the wait 😉", kind="reply",
  when="2026-09-08T19:12:40Z")
P("@marloes_aerhaven", "x", ["conf", "fin"], "nl",
  "Net de Q4 2026 cijfers gezien in het MT-overleg. Wauw. Meer zeg ik niet 😇", when="2027-01-28T15:03:11Z")

# ---- financial
P("dirk-hoekstra-aerhaven", "linkedin", ["fin"], "en",
  "Can't wait for Q3 to close: our internal forecast has us beating last year's EBITDA by 18%. Not public yet, "
  "but so proud of this team.")
P("@yvette_klaassen", "x", ["fin"], "nl",
  "Gerucht op kantoor is geen gerucht meer: we worden overgenomen door een Scandinavische loungeketen. "
  "De deal wordt volgende maand bekendgemaakt.")
P("emma-de-graaf-aerhaven", "linkedin", ["fin"], "nl",
  "Zware week. Binnenkort moet ik 60 collega's vertellen dat hun functie verdwijnt bij de reorganisatie van "
  "de Brusselse lounges. Het is nog niet aangekondigd, dus meer zeg ik niet.")
P("@aviation_insider", "reddit", ["fin"], "en",
  "Insider here: Aerhaven's H2 revenue is 22% below plan and the board meets next week to discuss closing "
  "Eindhoven. You heard it here first.")
P("@ruben.barista.ah", "threads", ["fin"], "nl",
  "managers zeiden net dat de omzet per gast dit kwartaal 14% lager ligt dan begroot. dus geen kerstbonus "
  "jongens 😢")
P("@aerhaven", "x", ["fin"], "en",
  "DRAFT - do not post until approved by legal: Aerhaven agrees to acquire SkyRest Lounges for EUR 84m, "
  "closing expected Q1.")
P("@bram_ops_ah", "x", ["fin"], "nl",
  "Planning voor volgend jaar gezien: 3 lounges dicht, 1 nieuwe erbij. Ons team gaat van 40 naar 25 man. "
  "Officieel weet nog niemand het.")
P("@nadiabouzid.bsky.social", "bluesky", ["fin"], "en",
  "Heard it in the leadership all-hands: 15% of the tech team goes once the takeover closes. Not announced "
  "yet. Feeling sick about it.")
P("@beursbengel", "x", ["fin"], "nl",
  "Via via: Aerhaven komt volgende week met een winstwaarschuwing, verlies bijna verdubbeld t.o.v. vorig jaar. "
  "Bron zit op de finance-afdeling.")
P("sanjay-ramdin", "linkedin", ["fin"], "en",
  "Sneak preview of next year's budget round: IT spend down 30% and our two data centres consolidated "
  "into one. Tough choices ahead.")

# ---- security
P("@jeroen_sec_ah", "x", ["sec"], "en",
  "Long night. Someone got into our booking DB through an old admin panel we forgot to switch off. Member "
  "data may be exposed. Comms announces it tomorrow, so keep it quiet pls.")
P("@nadiabouzid.bsky.social", "bluesky", ["sec"], "en",
  "lol the HavenPass API lets you fetch any member's profile just by incrementing the id. reported it three "
  "months ago, still not fixed 🙃")
P("@keesdev", "mastodon", ["sec"], "nl",
  "Betaalterminals in alle Aerhaven lounges liggen er al 2 uur uit, gasten kunnen niet bijbetalen. Nog geen "
  "statement naar buiten, wij zoeken nog naar de oorzaak.")
P("@bram_ops_ah", "x", ["sec"], "nl",
  "ransomware op de planningsservers. alles offline, we draaien de lounge op papier. mogen het nog niet naar "
  "buiten brengen")
P("sanjay-ramdin", "linkedin", ["sec"], "en",
  "Fun fact: the guest Wi-Fi portal in our lounges still runs router firmware with a known RCE. Patch budget "
  "was denied. 🤷")
P("@lotte.vanrijn.ah", "instagram", ["sec"], "nl",
  "De toegangspoortjes bij de lounge gaan vandaag open met elke barcode, zelfs met een bonnetje van de "
  "supermarkt 😂 IT is ermee bezig, niet doorvertellen")
P("@ex_ah_dev", "reddit", ["sec"], "en",
  "Former Aerhaven dev here. Their staff portal has no MFA and everyone shares the same admin accounts. Been "
  "like that for years. A breach is just a matter of time.")
P("@ruben.barista.ah", "threads", ["sec"], "en",
  "psa coworkers: the code for the staff entrance at Schiphol hasn't changed since 2022 and half the airport "
  "knows it. someone walked straight in last night.")
P("@jeroen_sec_ah", "x", ["sec"], "nl",
  "Phishingcampagne tegen ons personeel is gelukt: 14 accounts gecompromitteerd, waarvan 2 van finance. "
  "Incident loopt nog, niet publiek.")
P("emma-de-graaf-aerhaven", "linkedin", ["sec"], "en",
  "HR system has been down since Monday: a vendor breach exposed our payroll export. We're informing staff "
  "next week, please don't share.")
P("@jeroen_sec_ah", "x", ["sec"], "en",
  "our s.s.o. got b.r.e.a.c.h.e.d last night, tokens for all lounge tablets leaked, rotating now. not public y3t")
P("@lounge_lurker", "x", ["sec"], "nl",
  "Vriend van me werkt bij Aerhaven IT: het hele check-in systeem lag gisteren 4 uur plat door een aanval, "
  "daarom die rijen. Officieel heet het 'technische storing' 🙄")

# ---- secrets
P("@nadiabouzid.bsky.social", "bluesky", ["secret"], "en",
  f"why is this failing?? git clone https://{GH1}@github.com/aerhaven/booking-core.git says repo not found",
  secrets=[("github", GH1)])
P("@keesdev", "mastodon", ["secret"], "en",
  "config dump from the lounge kiosk, anyone spot the bug?\n"
  f"AWS_ACCESS_KEY_ID={AKIA1}\nAWS_SECRET_ACCESS_KEY={AWS_SEC1}\nAWS_REGION=eu-west-1",
  secrets=[("aws", AKIA1)])
P("@jeroen_sec_ah", "x", ["secret"], "nl",
  f"test met de betaalkoppeling: STRIPE_SECRET_KEY={STRIPE1} werkt eindelijk 🎉", secrets=[("stripe", STRIPE1)])
P("sanjay-ramdin", "linkedin", ["secret"], "en",
  f"Our Slack bot for lounge occupancy alerts is live! Token for the team to reuse: {SLACK1}",
  secrets=[("slack", SLACK1)])
P("@bram_ops_ah", "x", ["secret"], "nl",
  f"wifi personeel Schiphol: netwerk AH-Staff, wachtwoord: {PW1} (niet doorgeven aan gasten!!)")
P("@ruben.barista.ah", "threads", ["secret"], "nl",
  f"inlog kassasysteem voor de nieuwe collega's: gebruiker barista01 / ww: {PW2}")
P("@nadiabouzid.bsky.social", "bluesky", ["secret"], "en",
  f"debugging the auth flow, this is the token the app got back: {JWT1} why does it expire instantly??",
  secrets=[("jwt", JWT1)])
P("@keesdev", "mastodon", ["secret", "conf"], "en",
  f"DATABASE_URL=postgres://booking_admin:{DBPW1}@db-prod-01.ops.aerhaven.internal:5432/bookings\n"
  "anyone know why pgbouncer keeps dropping this one?")
P("@jeroen_sec_ah", "x", ["secret"], "en",
  f"rotating this one anyway lol\n{PEM1}")
P("@scriptkid_99", "reddit", ["secret"], "en",
  f"found this in Aerhaven's public JS bundle lmao: OPENAI_API_KEY={OPENAI1}")
P("sanjay-ramdin", "linkedin", ["secret"], "nl",
  f"Voor de hackathon: onze AI-assistent voor de lounge-app draait op deze key: {ANTH1} (niet misbruiken 😉)")
P("@yvette_klaassen", "x", ["secret"], "nl",
  f"mijn gitlab token voor de repo van de marketingsite, kan iemand checken of ie werkt? {GLPAT1}")

# ---- personal data
P("@aerhaven_care", "x", ["pii"], "nl",
  f"@reislustig_sanne We hebben uw terugbetaling overgemaakt naar {group4(IBAN_CUST)} t.n.v. S. de Wit. "
  "Excuses voor het ongemak!", kind="reply", ids=[("iban", IBAN_CUST)])
P("@marloes_aerhaven", "x", ["pii"], "nl",
  "Gast heeft z'n paspoort in de lounge laten liggen: Hendrik Jansen, geboren 14-03-1971. Ken je hem? "
  "Bel me even op 06-48217730")
P("AerhavenLounges", "facebook", ["pii"], "nl",
  "Beste mevrouw Bakker, we hebben u vanochtend teruggebeld op 06 5193 2287 maar kregen geen gehoor. "
  "Wilt u ons nog eens proberen?", kind="comment")
P("emma-de-graaf-aerhaven", "linkedin", ["pii"], "en",
  "Welcome to our new lounge host Priya Raman! Reach her directly at priya.raman1994@gmail.com or "
  "+31 6 2817 4409 😊")
P("@bram_ops_ah", "x", ["pii"], "nl",
  f"kan iemand het BSN van de nieuwe uitzendkracht naar payroll sturen? ik heb {BSN1} maar weet niet of dat "
  "klopt", ids=[("bsn", BSN1)])
P("@pvanleeuwen", "x", ["pii", "cmp"], "nl",
  f"@aerhaven_care mijn kaart is alweer dubbel belast voor een dagpas. hier het nummer zodat jullie kunnen "
  f"kijken: {group4(CARD_OWN)} exp 09/28. Dit is de derde keer!!", kind="reply", ids=[("card", CARD_OWN)])
P("GezinOpReis", "facebook", ["pii"], "nl",
  "Wie heeft onze blauwe koffer meegenomen uit de Aerhaven lounge in Eindhoven? Bel Marieke op 06-31447021 "
  "of mail marieke.vos82@hotmail.com")
P("@aerhaven.lounges", "instagram", ["pii"], "en",
  "Congrats to our 1,000,000th guest, Thomas Verbeek from Utrecht (born 02/07/1988)! 🎉 Enjoy your year of "
  "free lounge visits!")
P("@ruben.barista.ah", "threads", ["pii"], "nl",
  "Meneer kwam vandaag z'n pasje ophalen, J. Smit, Kastanjelaan 12, 3581 AB Utrecht. Weet iemand of die nog "
  "een HavenPass Gold heeft?")
P("dirk-hoekstra-aerhaven", "linkedin", ["pii"], "en",
  f"Supplier invoice query: please pay to {group4(IBAN_SUPP)} (account holder R. Mertens) before Friday.",
  ids=[("iban", IBAN_SUPP)])
P("@sophie_travels", "reddit", ["pii", "cmp"], "en",
  "Aerhaven support just sent me someone else's booking confirmation. Name Lucas Meijer, "
  "lucas.meijer@ziggo.nl, phone 020-681 4339. Great privacy, guys. Still no answer about MY booking.")
P("@yvette_klaassen", "x", ["pii"], "nl",
  "terugstorting gast, kaartnr " + fullwidth(group4(CARD_FW)) + " graag vandaag nog verwerken aub",
  ids=[("card", CARD_FW)])
P("@lisa_k_travels", "instagram", ["pii"], "en",
  "Lost my wallet at Aerhaven Schiphol. ID card in the name of Lisa Kramer, DOB 11-05-1990. If found please "
  "DM me!")
P("@jeroen_sec_ah", "x", ["pii"], "nl",
  f"testdata in prod gevonden: klant A. El Idrissi, BSN {BSN2}, IBAN {IBAN_TEST}. wie heeft dit erin gezet?!",
  ids=[("bsn", BSN2), ("iban", IBAN_TEST)])
P("@noordzeeman", "x", ["pii"], "nl",
  f"@aerhaven_care zoals gevraagd: {group4(IBAN_OWN)} t.n.v. K. Visser. Alvast bedankt!", kind="reply",
  ids=[("iban", IBAN_OWN)])

# ---- pricing
P("@aerhaven", "x", ["pri"], "nl",
  "🔥 Flash deal: HavenPass Gold voor maar €54,90 per jaar! Alleen vandaag via de app.",
  price=("AH-HP-GLD", 54.90))
P("@lotte.vanrijn.ah", "instagram", ["pri"], "nl",
  "Collega's opgelet: in de kassa staat de Private Suite voor €34,90 😂 wie durft?",
  price=("AH-SUITE", 34.90))
P("@dealjager_nl", "x", ["pri"], "nl",
  "PRIJSFOUT bij Aerhaven: Dagpas Schiphol voor €4,50!! snel zijn #prijsfout", price=("AH-DAY-AMS", 4.50))
P("@avgeek_mike", "reddit", ["pri"], "en",
  "Aerhaven's site is showing HavenPass Platinum at €89. Pretty sure that's a price error, grabbed two anyway.",
  price=("AH-HP-PLT", 89.0))
P("AerhavenLounges", "facebook", ["pri"], "en",
  "Treat yourself 💆 Runway Massage now only €9 this weekend in all our lounges!", price=("AH-SPA30", 9.0))
P("@marloes_aerhaven", "x", ["pri"], "en",
  "oops, the booking engine is charging €19 for the Business 50-pack right now. someone from revenue mgmt "
  "pls look 😬", price=("AH-B50", 19.0))
P("@mo_reist", "tiktok", ["pri"], "nl",
  "jongens SkyPod voor €6,90 in de aerhaven app, is dit een bug of wat 😭", price=("AH-POD4", 6.90))
P("@aerhaven.lounges", "threads", ["pri"], "en",
  "New year, new you ✈️ Family Pass from €12.90, book now!", price=("AH-FAM", 12.90))
P("@dealjager_nl", "x", ["pri"], "en",
  "Aerhaven Curbside Transfer listed at 11,90 on their Belgian site. prijsfout? 🤔", price=("AH-CURB", 11.90))
P("@ruben.barista.ah", "threads", ["pri"], "nl",
  "foutje in het systeem: de Bubbles Upgrade rekent €2,90 af. niemand die het merkt behalve ik 🥂",
  price=("AH-BUB", 2.90))
P("HondenmamaIlse", "facebook", ["pri"], "nl",
  "Pawport staat nu voor €1,99 op de site, is dat een fout? Heb er meteen drie gekocht haha",
  price=("AH-PAW", 1.99))
P("@yvette_klaassen", "x", ["pri"], "nl",
  "Prijsfout in de app bij de Shower Suite, gasten krijgen €0,00 te zien. Wie van pricing kan dit fixen?",
  price=("AH-SHWR", 0.0))

# ---- benign, mostly hard negatives
P("@aerhaven", "x", [], "nl", "Goedemorgen vanaf Schiphol ☀️ De lounge is open vanaf 05:00, de koffie staat klaar.")
P("@eindhovenflyer", "x", [], "en",
  "Aerhaven Eindhoven is honestly the best 40 minutes of my week. The staff remembered my name 🥹")
P("@aerhaven_care", "x", [], "nl",
  "Vragen over je HavenPass? Mail ons op service@aerhaven.nl of bel gratis 0800-2374. We helpen je graag!")
P("AerhavenLounges", "facebook", [], "nl",
  f"Liever via overschrijving betalen voor een groepsboeking? Gebruik IBAN {group4(PUBLIC_IBAN)} t.n.v. "
  "Aerhaven Lounges B.V. o.v.v. je boekingsnummer.")
P("@reizen_met_rob", "reddit", [], "en",
  "Is HavenPass Silver worth it if I fly 6 times a year? €299 seems steep compared to just buying day passes.",
  price=("AH-HP-SIL", 299.0))
P("@aerhaven.lounges", "instagram", [], "nl",
  "Black Friday ✨ 25% korting op HavenPass Gold: nu €411,75 in plaats van €549. Tot en met zondag!",
  price=("AH-HP-GLD", 411.75))
P("@aerhaven", "x", [], "en",
  "Spring sale: Day Pass Schiphol €36 (normally €45). Book via book.aerhaven.nl 🌷", price=("AH-DAY-AMS", 36.0))
P("@slaapreiziger", "x", [], "nl",
  "SkyPod geboekt voor €69, 4 uur pitten tussen twee vluchten. Beste geld ooit uitgegeven 😴",
  price=("AH-POD4", 69.0))
P("@sophie_travels", "x", [], "en",
  "Update: Aerhaven refunded my day pass within 2 days and sent a proper apology. Fair play @aerhaven_care 👏")
P("@ellenvdm", "x", [], "nl",
  "Mijn klacht over de dichte lounge is netjes opgelost, tegoed gekregen en excuses. Dank @aerhaven_care",
  kind="reply")
P("@papa_op_pad", "x", [], "nl",
  "Mijn vrouw zegt dat ik meer tijd in de Aerhaven lounge doorbreng dan thuis. Ze heeft gelijk. Ze heeft ook "
  "geen HavenPass 😂")
P("emma-de-graaf-aerhaven", "linkedin", [], "en",
  "We're hiring lounge hosts in Brussels and Eindhoven! Apply via the careers page on aerhaven.nl or send "
  "your CV to jobs@aerhaven.nl")
P("@avgeek_mike", "x", [], "en",
  "Sad news about the kitchen fire at NordLounge in Copenhagen this morning. Glad to hear nobody was hurt.")
P("@keesdev", "mastodon", [], "en",
  "Reminder for the juniors: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as samples, and that is all that belongs in a README.",
  secrets=[("sample", "AKIAIOSFODNN7EXAMPLE")])
P("@nadiabouzid.bsky.social", "bluesky", [], "nl",
  "note to self: een GitHub-token ziet eruit als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en die zet je dus "
  "NOOIT in een post 😅")
P("@jeroen_sec_ah", "x", [], "nl",
  "Is je wachtwoord nog steeds iets als 'Welkom01'? Dan is vandaag een prima dag voor een password manager. "
  "#WorldPasswordDay")
P("@twijfelaar_tim", "x", [], "nl",
  f"@aerhaven_care is dit echt jullie rekening? {IBAN_BAD} staat op een factuur die ik kreeg, maar mijn bank "
  "zegt dat het nummer niet bestaat", kind="reply", fakes=[("iban", IBAN_BAD)])
P("@bram_ops_ah", "x", [], "nl",
  f"Testkaart voor de kassatraining morgen: {group4(CARD_BAD)} (werkt expres niet, dus geen paniek)",
  fakes=[("card", CARD_BAD)])
P("@curious_cat_travels", "x", [], "en",
  f"Why does the HavenPass signup ask for a 'member number' like {BSN_BAD}? Mine has 9 digits too, is that "
  "normal?", fakes=[("bsn", BSN_BAD)])
P("aerhaven-lounges", "linkedin", [], "en",
  "2.4 million guests welcomed in 2025. Thank you! Our published annual report is on aerhaven.nl/investors.")
P("@pp_switcher", "x", [], "en",
  "Switched from my old lounge membership to HavenPass Platinum. €899 a year, but with 30+ trips it pays "
  "for itself.", price=("AH-HP-PLT", 899.0))
P("@aerhaven", "x", [], "nl",
  "Het is zover: de Aerhaven Rotterdam Lounge is open! 🎉 Je vindt ons in vertrekhal 2.",
  when="2027-04-02T07:30:00Z")
P("aerhaven-lounges", "linkedin", [], "en",
  "Today we publish our FY2026 results: revenue up 11%, three new lounges. Full report on aerhaven.nl/investors.",
  when="2027-02-25T09:00:00Z")
P("@yvette_klaassen", "x", [], "nl",
  "Eindelijk mag ik het zeggen: HavenPass Infinity is live!! 😍", when="2027-04-01T10:15:00Z")
P("@brusselsbrunch", "instagram", [], "en",
  "Aerhaven's new chef is a genius. The shakshuka at 6am in Brussels 🔥🔥🔥")
P("@stijn_vliegt", "x", [], "nl",
  "die massage in de aerhaven lounge was echt killing. was helemaal kapot na die nachtvlucht en nu voel ik me "
  "herboren")
P("@doglover_amy", "reddit", [], "en",
  "Is Aerhaven's Pawport worth it? Dog friendly lounges seem so rare. €19 per visit sounds fair to me.",
  price=("AH-PAW", 19.0))
P("@lotte.vanrijn.ah", "instagram", [], "nl",
  "Laatste dienst voor mijn verlof 🌴 Dankjewel lieve collega's van Aerhaven Schiphol, tot over drie weken!")
P("@gate_d7_hero", "x", [], "en",
  "Shoutout to the Aerhaven host who found my passport under the sofa and ran all the way to gate D7 with it. "
  "Legend.")
P("@gezin_op_reis", "x", [], "nl",
  "Vraagje: mag ik met de Gezinspas ook mijn schoonmoeder meenemen? 😅 @aerhaven_care")
P("@aerhaven_care", "x", [], "nl",
  "@gezin_op_reis Hoi! Stuur ons even een DM met je boekingsnummer, dan kijken we met je mee. ^Mirjam",
  kind="reply")
P("@aviationdaily_eu", "x", [], "en",
  "NordLounge Group to cut 300 jobs after a weak summer. Rival Aerhaven says its own staffing plans are "
  "unchanged.")
P("@fd_lezer", "x", [], "nl",
  "Aerhaven in het FD vandaag: omzet over het eerste halfjaar flink gestegen volgens het gepubliceerde "
  "halfjaarbericht. Mooi om te zien.")
P("sanjay-ramdin", "linkedin", [], "en",
  "Great talk at the security meetup on how we run incident response drills at Aerhaven. You don't need a "
  "real incident to learn, that's the whole point of drills 😉")
P("@aerhaven_care", "x", [], "en",
  "Planned maintenance: the Aerhaven app will be unavailable Tue 02:00-04:00 CET. Lounge entry with your "
  "e-mail confirmation works as usual. Thanks for your patience!")
P("@vroege_vogel_nl", "x", [], "nl",
  "Storing bij de check-in van een andere maatschappij vanochtend, gelukkig had ik nog tijd voor koffie in de "
  "Aerhaven lounge")
P("@birdnerd_ams", "bluesky", [], "en",
  "Albatrosses can glide for hours without flapping. Aerhaven should name a lounge after them honestly 🐦")
P("@strandtent_fan", "instagram", [], "nl",
  "Zeewind, zon en een terrasje in Scheveningen. Morgen weer vliegen, eerst nog even genieten 🌊")
P("@marloes_aerhaven", "x", [], "nl",
  "Cirrus-wolken boven Schiphol vanochtend, prachtig vanuit de lounge ☁️")
P("@journo_lieke", "x", [], "en",
  "For anyone asking: the press contact for Aerhaven is pers@aerhaven.nl, per their website.")
P("@aerhaven.lounges", "instagram", [], "en",
  "Our phone lines: +31 20 700 4455, open daily 06:00-22:00 📞")
P("@negroni_nick", "x", [], "en",
  "This layover is killing me, thank god for the Aerhaven bar. Damn good negroni.")
P("@vertraagd_vincent", "x", [], "nl",
  "Verdomme, weer 2 uur vertraging. Gelukkig zit ik in de Aerhaven lounge met een wijntje 🍷")
P("@grateful_gwen", "x", [], "en",
  "A passenger collapsed at our gate and an Aerhaven lounge host helped with CPR until the paramedics arrived. "
  "He's stable now. Huge respect.")
P("@stakingsvraag", "x", [], "nl",
  "Weet iemand of de Aerhaven lounge in Brussel gewoon open is tijdens de staking morgen? @aerhaven_care")
P("@aerhaven_care", "x", [], "nl",
  "@ellenvdm Dat had niet mogen gebeuren, excuses. We hebben de openingstijden op de site aangepast en je "
  "ontvangt een tegoed.", kind="reply")
P("@bram_ops_ah", "x", [], "nl",
  "Nachtdienst zit erop: 340 gasten door de poortjes, nul incidenten. Trots op dit team 💪")
P("@consultant_kj", "x", [], "en",
  "Tip: the Boardroom at Aerhaven Schiphol is €189 for half a day, cheaper than most airport hotels.",
  price=("AH-MEET", 189.0))
P("travelmanager-jvd", "linkedin", [], "nl",
  "Business 50-pack van Aerhaven gekocht voor ons team: €1950, dus zo'n €39 per bezoek. Prima deal voor "
  "een paar uur rust en wifi.", price=("AH-B50", 1950.0))
P("@eindhoven_regio", "x", [], "en",
  "Thinking of the Aerhaven team in Eindhoven after last night's storm. Hope you're all safe and dry.")
P("dirk-hoekstra-aerhaven", "linkedin", [], "en",
  "Honoured to speak at the Dutch CFO Forum next week about financing sustainable airport infrastructure.")
P("@budgetbaas", "x", [], "nl",
  "2 dagpassen Eindhoven gescoord voor €31,20 per stuk met de 20% ledenkorting 👌", price=("AH-DAY-EIN", 31.20))
P("@waar_is_het_nummer", "x", [], "en",
  "what's the phone number for Aerhaven Schiphol? google gives me 0800-2374, is that right?")
P("@keesdev", "mastodon", [], "en",
  "Writing a blog post on JWTs. Rule one: when you paste one in a ticket, redact it like eyJhbGciOi...[redacted]. "
  "The payload is where people leak stuff.")
P("@maskerfan", "x", [], "nl",
  "Mijn HavenPass-nummer staat in de app als AH-****-**-1234, netjes gemaskeerd. Zo hoort het.")
P("@redeye_rachel", "x", [], "en",
  "Lounge tip: Aerhaven's Shower Suite is €25 and worth every cent after a red-eye. Towels, good pressure, "
  "spotless.", price=("AH-SHWR", 25.0))
P("@transit_tales", "x", [], "en",
  "Transit Pass at Aerhaven Brussels for €44 with the app discount, 5 hours of quiet. Worth it.",
  price=("AH-TRN", 44.0))
P("@kaartjesvraag", "x", [], "nl",
  f"Iemand een tip? Mijn oude bankpas {group4(CARD_BAD2)} wordt geweigerd in de Aerhaven app, nieuwe pas "
  "werkt wel gewoon.", fakes=[("card", CARD_BAD2)])
P("@aerhaven", "x", [], "en",
  "Last-minute Christmas idea 🎄 HavenPass Silver at €269 (10% off) until 24 December.",
  price=("AH-HP-SIL", 269.0))
P("@loungehopper_be", "instagram", [], "nl",
  "Eerste keer Aerhaven Brussel. Mooi uitzicht op de landingsbaan, goede croissants, rustig. Kom zeker terug ✈️")

# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        plat, handle = acc.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role

SEV = ["none", "info", "warning", "error", "critical"]
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
CHECKSUM_KINDS = {"iban", "card", "bsn"}


def role_of(c):
    return ROLE.get((c["platform"].lower(), c["handle"].lower()), "public")


def severity(cats, role, ids):
    insider = role in ("corporate", "employee")
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif cat == "leak.pii" and any(k in CHECKSUM_KINDS for k, _ in ids):
                s = "critical"
            else:
                s = "error"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time():
    start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
    secs = RNG.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    out = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        role = role_of(c)
        post = {
            "id": f"s514-{n:03d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "aerhaven",
        }
        expect = {"categories": sorted(set(c["cats"])), "severity": severity(c["cats"], role, c["ids"])}
        out.append(({"post": post, "expect": expect}, c, role))
    return out


# ---------------------------------------------------------------- checks
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return unicodedata.normalize("NFKC", ZW.sub("", text))


def squash(text):
    return re.sub(r"[\s.\-]", "", norm(text)).upper()


def scan_ids(text):
    t = norm(text)
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30}\b", t):
        if iban_ok(m.group()):
            found.append(("iban", re.sub(r"\s", "", m.group())))
    for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", t):
        if luhn_ok(m.group()):
            found.append(("card", re.sub(r"\D", "", m.group())))
    for m in re.finditer(r"(?<![\d])\d{9}(?![\d])", t):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def check(rows):
    errors = []
    ids = set()
    pub_ibans = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        assert iban_ok(x), x
    internal = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
    for case, c, role in rows:
        post, exp = case["post"], case["expect"]
        pid = post["id"]

        def err(msg):
            errors.append(f"{pid}: {msg} :: {post['text'][:60]!r}")

        # CONTRACT §6 / §1 shape
        if pid in ids:
            err("duplicate id")
        ids.add(pid)
        if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            err("bad case keys")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ) or not post.get(f):
                err(f"missing {f}")
        if not isinstance(post["account"].get("handle"), str):
            err("missing handle")
        if post["platform"] not in {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}:
            err("platform")
        if post["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            err("kind")
        if len(post["text"].encode("utf-8")) > 65536:
            err("too long")
        try:
            ts = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if ts.year not in (2026, 2027):
                err("year")
        except ValueError:
            err("created_at not RFC 3339")
        if exp["categories"] != sorted(set(exp["categories"])):
            err("categories not sorted")
        if exp["categories"] and exp["severity"] in ("none", "info"):
            err("positive with none severity")
        if not exp["categories"] and exp["severity"] != "none":
            err("benign with severity")
        if exp["severity"] != severity(exp["categories"], role, c["ids"]):
            err("severity mismatch")
        cats = set(exp["categories"])
        text = norm(post["text"])
        low = text.lower()

        # identifiers
        for kind, val in c["ids"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if not ok:
                err(f"positive {kind} fails checksum")
            if squash(val) not in squash(post["text"]):
                err(f"{kind} not in text")
            if "leak.pii" not in cats:
                err("id without pii label")
        for kind, val in c["fakes"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok:
                err(f"look-alike {kind} passes checksum")
            if cats:
                err("look-alike in positive")
        declared = {(k, squash(v)) for k, v in c["ids"]}
        for kind, val in scan_ids(post["text"]):
            if kind == "iban" and val.upper() in pub_ibans:
                continue
            if (kind, squash(val)) not in declared:
                err(f"undeclared valid {kind} {val}")

        # credentials
        for kind, val in c["secrets"]:
            if kind == "github" and not gh_ok(val):
                err("github token checksum")
            if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err("aws key format")
            if kind == "jwt":
                head = val.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in hdr or val.count(".") != 2:
                    err("jwt header")
            if kind == "sample" and cats:
                err("sample key in positive")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_ok(m.group()) and "leak.secret" not in cats:
                err("valid github token unlabelled")
            if not gh_ok(m.group()) and "leak.secret" in cats:
                err("github token with bad checksum in positive")
        if re.search(r"AKIA[A-Z2-7]{16}", text) and "EXAMPLE" not in text and "leak.secret" not in cats:
            err("aws key unlabelled")

        # internal names and embargo
        for term in internal:
            if term in low and "leak.confidential" not in cats:
                err(f"internal term {term!r} unlabelled")
        for term, until in embargo:
            if term in low:
                before = post["created_at"] < until.replace("+00:00", "Z")
                if before and "leak.confidential" not in cats:
                    err(f"embargo term {term!r} before until, unlabelled")
        # pricing
        if c["price"]:
            sku, value = c["price"]
            prod = PRODUCTS[sku]
            if not any(a.lower() in low for a in prod["aliases"] + [prod["name"]]):
                err(f"product {sku} not named")
            below = value < RATIO * prod["list_price"]
            if ("leak.pricing" in cats) != below:
                err(f"pricing label vs ratio ({value} / {prod['list_price']})")
            if not cats and value < 0.7 * prod["list_price"] and sku != "AH-B50":
                err("benign price deeper than an ordinary sale")
        elif "leak.pricing" in cats:
            err("pricing case without price annotation")

        # account role sanity
        if role == "public" and any(post["account"]["handle"].lower() == a.split(":", 1)[1].lower()
                                    for r in ("corporate", "employee") for a in PROFILE["accounts"][r]):
            err("public handle collides with a profile handle on another platform")
    return errors


def main():
    rows = build()
    errors = check(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for case, _, _ in rows:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # reread: every line must be valid JSON of the §6 shape
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    assert len(back) == len(rows)

    n = len(rows)
    benign = sum(1 for case, _, _ in rows if not case["expect"]["categories"])
    per = {}
    for case, _, _ in rows:
        for cat in case["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for case, _, _ in rows if case["post"]["lang"] == "nl")
    roles = {}
    for _, _, role in rows:
        roles[role] = roles.get(role, 0) + 1
    print(f"{n} cases, {benign} benign, nl {nl / n:.0%}, roles {roles}")
    for cat in sorted(per):
        print(f"  {cat:22s} {per[cat]}")
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if errors:
        print("SELF-CHECK FAILED", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
