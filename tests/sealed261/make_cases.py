#!/usr/bin/env python3
"""Build the labelled evaluation set sealed261 (Amberlens Studio's B.V.).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials. Writes cases.jsonl beside this file and checks it:
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike placed in a benign post fails it;
  * every line has the CONTRACT section 6 shape;
  * severities are computed from the profile's account roles (CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(261)

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
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
        if i % 2:
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
    return tot % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# --------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = rs("0123456789", 10)
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    good = gen_iban()
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + 37) % 97 + 2 if (chk + 37) % 97 + 2 <= 98 else 11) + good[4:]
    if iban_ok(bad):
        bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    return bad


def luhn_digit(body):
    for c in "0123456789":
        if luhn_ok(body + c):
            return c
    raise AssertionError


def gen_card():
    body = rng.choice(["4", "5" + rng.choice("12345")])
    body += rs("0123456789", 15 - len(body))
    return body + luhn_digit(body)


def bad_card():
    c = gen_card()
    return c[:-1] + str((int(c[-1]) + rng.randint(1, 9)) % 10)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            return "".join(map(str, d)) + str(last)


def bad_bsn():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not bsn_ok(s):
            return s


def gen_mobile():
    return "6" + str(rng.randint(1, 9)) + rs("0123456789", 7)


def fmt_mobile(kind):
    m = gen_mobile()  # 9 digits, starts with 6
    if kind == "DASH":
        return "0" + m[:1] + "-" + m[1:]
    if kind == "SP":
        return "0" + m[:1] + " " + m[1:5] + " " + m[5:]
    if kind == "INTL":
        return "+31 " + m[:1] + " " + m[1:5] + " " + m[5:]
    if kind == "PAREN":
        return "+31 (0)" + m[:1] + " " + " ".join(m[i:i + 2] for i in range(1, 9, 2))
    if kind == "PLAIN":
        return "0" + m
    if kind == "0031":
        return "0031 " + m[:1] + " " + m[1:]
    raise KeyError(kind)


def gh_token(prefix):
    body = rs(ALNUM, 30)
    return prefix + "_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 30000000)
    body = {"sub": "booking-webhook", "iss": "boeken.amberlens.nl", "role": "studio_admin",
            "iat": iat, "exp": iat + 86400 * 30}
    sig = bytes(rng.randint(0, 255) for _ in range(32))
    return ".".join([b64url(json.dumps(head, separators=(",", ":")).encode()),
                     b64url(json.dumps(body, separators=(",", ":")).encode()),
                     b64url(sig)])


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def gen_openssh_key():
    pub = bytes(rng.randint(0, 255) for _ in range(32))
    priv = bytes(rng.randint(0, 255) for _ in range(32))
    pubblob = sshstr(b"ssh-ed25519") + sshstr(pub)
    check = struct.pack(">I", rng.getrandbits(32))
    sec = check + check + sshstr(b"ssh-ed25519") + sshstr(pub) + sshstr(priv + pub) + sshstr(b"bas@studio-utr")
    pad = 1
    while len(sec) % 8:
        sec += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + struct.pack(">I", 1) + sshstr(pubblob) + sshstr(sec))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = ALNUM + "-_"
OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# token name -> (generator, checksum kind or None, valid expected)
GENS = {
    "IBAN": (lambda: gen_iban(), "iban", True),
    "IBAN_SP": (lambda: spaced4(gen_iban()), "iban", True),
    "IBAN_BAD_SP": (lambda: spaced4(bad_iban()), "iban", False),
    "OWN_IBAN_SP": (lambda: spaced4(OWN_IBAN), "iban", True),
    "CARD_SP": (lambda: spaced4(gen_card()), "card", True),
    "CARD_BAD_SP": (lambda: spaced4(bad_card()), "card", False),
    "BSN": (lambda: gen_bsn(), "bsn", True),
    "BSN_BAD": (lambda: bad_bsn(), "bsn", False),
    "ORDER_BAD": (lambda: bad_bsn(), "bsn", False),
    "MOB_DASH": (lambda: fmt_mobile("DASH"), None, None),
    "MOB_SP": (lambda: fmt_mobile("SP"), None, None),
    "MOB_INTL": (lambda: fmt_mobile("INTL"), None, None),
    "MOB_PAREN": (lambda: fmt_mobile("PAREN"), None, None),
    "MOB_PLAIN": (lambda: fmt_mobile("PLAIN"), None, None),
    "MOB_0031": (lambda: fmt_mobile("0031"), None, None),
    "GHP": (lambda: gh_token("ghp"), "gh", True),
    "GHS": (lambda: gh_token("ghs"), "gh", True),
    "AWSID": (lambda: "AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "aws", True),
    "AWSSECRET": (lambda: rs(ALNUM + "+/", 40), None, None),
    "STRIPE": (lambda: "sk_live_51" + rs(ALNUM, 56), None, None),
    "SLACK": (lambda: "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1),
                                         rng.randint(10 ** 12, 10 ** 13 - 1), rs(ALNUM, 24)), None, None),
    "OPENAI": (lambda: "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74), None, None),
    "ANTHROPIC": (lambda: "sk-ant-api03-" + rs(URLSAFE, 93) + "AA", None, None),
    "GOOGLE": (lambda: "AIza" + rs(URLSAFE, 35), None, None),
    "JWT": (lambda: gen_jwt(), "jwt", True),
    "PRIVKEY": (lambda: gen_openssh_key(), None, None),
    "DBPW": (lambda: rs(ALNUM, 10) + rng.choice("!#%") + rs(ALNUM, 5), None, None),
    "PW1": (lambda: "Nas" + rs(ALNUM, 6) + "#" + rs("0123456789", 2), None, None),
}

# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def add(platform, handle, lang, text, cats="", kind="post", when=None, name=None, allow=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats.split()], kind=kind, when=when, name=name,
                      allow=allow))


# ---------------- complaints ----------------
add("x", "@sanne_trouwt", "nl",
    "Bijna 5 maanden na onze bruiloft nog steeds geen foto's van @amberlens_nl 😤 Elke keer is het "
    "'volgende week'. Ik wil gewoon mijn trouwfoto's!!", "complaint")
add("instagram", "@bride.to.be.lou", "en",
    "Paid for the Heirloom Album in March and it arrived with the wrong date embossed on the cover. "
    "12 instead of 21. Nobody from Amberlens answers my emails. Really disappointed tbh", "complaint",
    kind="comment", when="2026-06-15T21:19:50+02:00")
add("facebook", "ronald.verkerk.71", "nl",
    "Fotograaf van Amberlens kwam drie kwartier te laat op ons huwelijk. Ceremonie al half voorbij, "
    "geen enkele foto van de ringwissel. Een excuusmailtje, verder niks. Echt balen dit.", "complaint",
    name="Ronald Verkerk")
add("x", "@mikeyb_ams", "en",
    "@amberlens_help the download link for our gallery expired after 14 days?? nobody told us that. "
    "now you want €79 to 'reactivate' it. seriously?", "complaint", kind="reply")
add("forum", "karin_m74", "nl",
    "Review: pasfoto's laten maken bij Amberlens Amersfoort. 2x afgekeurd door de gemeente omdat de "
    "achtergrond niet egaal was. Mocht zelf terugrijden en opnieuw betalen. 1 ster, zou het niet doen.",
    "complaint")
add("reddit", "u/throwaway_wed2026", "en",
    "PSA for anyone booking Amberlens: they sent our 'edited' photos with half the faces orange from "
    "some bad preset, and when I asked for a fix they said retouching is an extra package. We paid 2.5k "
    "for the full day. Not impressed.", "complaint")
add("tiktok", "@jessy.en.tim", "nl",
    "pov: je krijgt je newbornfoto's terug en je dochter is zo zwaar geretoucheerd dat ze op een pop "
    "lijkt 🙃 @amberlens waaromm", "complaint")
add("x", "@dewitpaul", "nl",
    "Aanbetaling van €500 gedaan bij Amberlens, bruiloft ging niet door ivm ziekte in de familie. Zouden "
    "terugstorten binnen 30 dagen. We zijn nu 3 maanden verder en niemand neemt de telefoon op.",
    "complaint")
add("threads", "@hannah.writes", "en",
    "the photographer amberlens sent to our family shoot was on her phone the entire time and we got "
    "maybe 20 usable shots out of 2 hours. kids were great, she wasn't.", "complaint")
add("instagram", "@lieke.vdm", "nl",
    "Al 3x gemaild over ons album. Proef goedgekeurd in mei, nu is het oktober. Hallo Amberlens?? 📚❌",
    "complaint", kind="comment", when="2026-10-22T11:37:02+02:00")
add("x", "@rajsingh_nl", "en",
    "Booked the Drone add-on with Amberlens for our wedding. Drone never flew, 'too windy' - fine - but "
    "they won't refund the €350 either. That's not how this works.", "complaint")
add("facebook", "hatice.yilmaz.93", "nl",
    "Onze trouwfilm is eindelijk binnen, maar de muziek staat er zo hard onder dat je de geloften niet "
    "eens kan verstaan. Gevraagd of het aangepast kan worden: 'dat is onze stijl'. Dan had ik dat graag "
    "vooraf geweten, Amberlens.", "complaint", name="Hatice Yilmaz")
add("x", "@tessel_R", "nl",
    "Wat een stelletje amateurs bij Amberlens. Foto's onscherp, fotograaf een arrogante eikel die de "
    "hele avond aan de bar hing. Nooit meer.", "complaint abuse")
add("x", "@dannyboyo", "en",
    "@amberlens_help you useless pricks lost the entire first half of my sister's wedding. 'memory card "
    "error'. Fuck your apology template.", "complaint abuse", kind="reply")
add("x", "@petra_bosch_", "nl",
    "@amberlens_help ik wacht nu al 2 weken op een telefoontje over mijn album. Bel me gewoon even: "
    "<<MOB_DASH>> of mail naar petra.bosch64@gmail.com", "complaint pii", kind="reply")
add("facebook", "marloes.dekker.88", "nl",
    "Tijdens onze gezinsshoot in de studio van Amberlens Utrecht viel er een flitser mét statief om, "
    "recht op het hoofd van mijn zoontje (4). Bult en een snee boven zijn oog, we moesten naar de "
    "huisartsenpost. Geen zandzak op die statieven, niemand die oplette. Ik ben woedend.",
    "complaint crisis", name="Marloes Dekker")
add("instagram", "@lena.and.jo", "en",
    "Our photobooth from Amberlens literally started smoking halfway through the party. Guests smelled "
    "burning plastic, my uncle went to pull the plug and got a shock off the metal casing. Nobody badly "
    "hurt but wtf?? Still waiting for a call back.", "complaint crisis")
add("x", "@wendy_vd_pol", "nl",
    "Dronebeelden add-on van Amberlens geboekt. Drone raakt tijdens het dansen een slinger en stort neer "
    "tussen de gasten. Mijn schoonmoeder heeft een jaap in haar arm. De fotograaf raapte de drone op en "
    "liep weg. Ongelooflijk.", "complaint crisis")
add("reddit", "u/mara_newmum", "en",
    "Newborn session at Amberlens last week. The heating pad they put under my 9 day old got so hot it "
    "left a red burn mark on her back, our GP confirmed a first degree burn. Studio says 'that never "
    "happens'. Well, it did.", "complaint crisis")
add("tiktok", "@fleur_and_daan", "nl",
    "de koude vonkenfontein die Amberlens bij onze eerste dans neerzette heeft een gat in mijn jurk "
    "gebrand en mijn kuit geschroeid 😭 foto's zijn prachtig, mijn been niet #bruiloft", "complaint crisis")

# ---------------- crisis (third party, scandal, lawsuits, recall, breach) ----------------
add("x", "@utrecht_nieuws_nu", "nl",
    "Studiofotograaf van Amberlens in Utrecht verdacht van heimelijk filmen in de kleedruimte. Politie "
    "doet onderzoek na aangiftes van meerdere klanten.", "crisis")
add("x", "@privacyfirst_eu", "en",
    "Amberlens client galleries appear to be publicly indexable - search results show private wedding "
    "and boudoir sets with clients' full names. If you've shot with them, check now. This is a data "
    "breach, full stop.", "crisis")
add("instagram", "@weddingtalks.nl", "nl",
    "Na alles wat er nu naar buiten komt over Amberlens: wij roepen iedereen op om ze NIET meer te "
    "boeken. Deel dit. #boycotamberlens", "crisis")
add("linkedin", "m-vos-advocaten", "en",
    "We are representing eleven couples in a collective action against Amberlens Studio's B.V. over "
    "wedding footage that was lost and never delivered. The summons was filed with the court in Utrecht "
    "this morning.", "crisis", name="M. Vos Advocaten")
add("facebook", "BuurtKanaleneiland", "nl",
    "Gisteravond brandje bij de fotostudio van Amberlens hier in de wijk. Volgens buren vloog een "
    "studiolamp in brand tijdens een shoot, twee mensen zijn door de ambulance nagekeken.", "crisis",
    name="Buurtapp Kanaleneiland")
add("x", "@hetkindjevan_eva", "en",
    "Heard from a friend that a toddler got hurt at an Amberlens family shoot when a backdrop frame came "
    "down. Hope the little one is ok, and hope someone looks into how safe those studios are.", "crisis")
add("x", "@rtv_oost_redactie", "nl",
    "Amberlens haalt Linnen Albums uit de productie van september terug: de gebruikte lijm zou "
    "formaldehyde afgeven. Klanten kunnen het album kosteloos laten vervangen.", "crisis")
add("threads", "@weddingbiz.watch", "en",
    "Ex-employees say Amberlens reused client wedding photos in ads without consent. Apparently dozens "
    "of couples are now talking to lawyers. Yikes.", "crisis")
add("reddit", "u/fotonerd_030", "nl",
    "Wie heeft die mail ook gehad van Amberlens? 'Beveiligingsincident bij een leverancier'. Hoeveel "
    "klantgegevens zijn er nou eigenlijk op straat beland? Ze zeggen er helemaal niks over, dit stinkt.",
    "crisis")
add("x", "@wedbiz_insider", "en",
    "Amberlens hit with a second lawsuit this year, this time from a former franchise studio owner "
    "claiming unpaid fees. Not a great look for the biggest wedding studio chain in NL.", "crisis")

# ---------------- abuse ----------------
add("x", "@kb_0311", "nl", "Amberlens is een k4nk3rb3drijf. Punt.", "abuse")
add("x", "@troll_deluxe", "en",
    "that ginger photographer from amberlens is the ugliest cow I've ever seen, no wonder she hides "
    "behind a camera lmao", "abuse")
add("instagram", "@xx_dirk_xx", "nl",
    "@maartje_klikt jij bent echt een waardeloze trut, hoop dat je nooit meer een camera mag vasthouden",
    "abuse", kind="comment")
add("facebook", "henk.stoop.1962", "nl",
    "Die fotografe met dat hoofddoekje moeten ze bij Amberlens gewoon ontslaan. Zo iemand hoort niet "
    "op een Nederlandse bruiloft.", "abuse", name="Henk Stoop")
add("x", "@angrydad_77", "en",
    "Amberlens staff are a bunch of thieving idiots. Hope every last one of you goes broke.", "abuse")
add("x", "@anoniempje93", "nl",
    "A m b e r l e n s   =   o p l i c h t e r s   e n   k l o o t z a k k e n", "abuse")
add("x", "@pixelhater", "en",
    "amberlens photographers are a bunch of ѕhіtty hacks with a preset and a loan for a camera",
    "abuse")
add("x", "@jorisvdlinde", "nl",
    "@bruidje_boos jij bent echt de meest zeurende bridezilla die ik ooit heb gefotografeerd. Zoek maar "
    "een andere idioot.", "abuse", kind="reply")
add("instagram", "@ruben.achterdelens", "en",
    "lol imagine paying us 2k and then whining about your fat arms in the photos. nothing I can "
    "photoshop about that, sweetheart", "abuse", kind="comment")
add("x", "@amberlens_help", "nl",
    "@kees_klaagt Misschien eerst leren lezen voordat je hier gaat lopen janken, sukkel.", "abuse",
    kind="reply")

# ---------------- confidential ----------------
add("x", "@maartje_klikt", "nl",
    "Net de eerste proefdruk van het Aurora Album gezien op kantoor 😍 Dat velours omslag… jullie gaan "
    "het zo mooi vinden, maar ik mag nog niks laten zien!", "conf", when="2026-11-18T16:42:10+01:00")
add("instagram", "@noor.retoucheert", "en",
    "sneak peek from the Project Zonnewende test shoot today 🌅 can't say more, NDA and all 🤐", "conf")
add("linkedin", "sophie-kramer-amberlens", "nl",
    "Trots op het team dat deze week de pilot van Goudvink in Den Bosch heeft gedraaid. De eerste "
    "klanten zijn enthousiast en de landelijke uitrol staat voor het voorjaar gepland!", "conf",
    when="2026-11-05T10:20:00+01:00")
add("x", "@bas_amberlens_ops", "en",
    "anyone else's Lightroom catalog sync choking on files from nas01.amberlens.local since the update? "
    "asking for the whole retouch team 😩", "conf")
add("threads", "@emma.flitst", "nl",
    "Screenshot van de nieuwe prijslijst voor volgend jaar 👀 (staat 'alleen voor medewerkers' bovenaan "
    "maar jullie mogen alvast spieken haha)", "conf")
add("x", "@amberlens_nl", "en",
    "Big things coming. Here's a little teaser of the Amberlens Aurora 👀✨ #comingsoon", "conf",
    when="2027-01-30T18:05:00+01:00")
add("tiktok", "@kees.vangelder.foto", "nl",
    "pov: je werkt aan Operatie Wilgenroos en je mag er aan niemand iets over vertellen 🤫📸 "
    "#fotograaf #werkleven", "conf")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "Uploaded the shot list to https://wiki.amberlens.nl/spaces/WED/pages/shotlist-2026 for the new "
    "second shooters, ping me if the link doesn't open for you", "conf")
add("x", "@jorisvdlinde", "nl",
    "Kan iemand mij een invite sturen voor jira.amberlens.nl? Mijn account is nog steeds niet "
    "aangemaakt en ticket STUD-4412 staat op mijn naam 🙈", "conf")
add("reddit", "u/second_shooter_sam", "en",
    "Second-shot for Amberlens last weekend. The freelancer briefing PDF literally says 'Amberlens "
    "internal' on every page and mentions Goudvink replacing their old booking flow. Interesting times "
    "over there.", "conf")
add("x", "@fotovakblad_tips", "nl",
    "Hoor uit betrouwbare bron dat het Aurora-album van Amberlens begin volgend jaar gelanceerd wordt, "
    "met handgeschept papier. Foto van het sample hieronder 👇", "conf",
    when="2026-10-07T11:20:00+02:00")
add("instagram", "@ruben.achterdelens", "nl",
    "Eerste testbeelden voor Project Zon\u200bne\u200bwende staan klaar 🔥 morgen door naar de directie",
    "conf")
add("x", "@maartje_klikt", "en",
    "long day in the studio for ＧＯＵＤＶＩＮＫ but the light was unreal today ✨", "conf")
add("linkedin", "daan-oosterhuis", "nl",
    "Operatie Wilgenroos gaat de laatste fase in: als de due diligence goed uitpakt nemen we in Q1 de "
    "zes studio's van Fotohuis Meerman over. Spannende tijden!", "conf fin",
    when="2026-10-14T17:26:00+02:00")
add("linkedin", "ingrid-meulenbelt", "en",
    "Can't share much yet, but with Project Zonnewende the board just approved a €4.2m investment plan "
    "and our internal forecast has portrait revenue up 31% next year. Proud of this team.", "conf fin")
add("reddit", "u/mo_lichtbak", "en",
    "Our vpn.amberlens.nl box has been throwing cert errors since Friday and a colleague found the "
    "admin panel is reachable from outside without logging in. Nothing announced yet, we're scrambling.",
    "conf sec")
add("instagram", "@amberlens.weddings", "nl",
    "Oeps verkeerde story 🙈 'Planning fotografen week 48 - niet buiten de studio delen' - negeer maar "
    "even!", "conf", when="2026-11-19T21:02:33+01:00")
add("threads", "@emma.flitst", "en",
    "when the intra.amberlens.local timesheet page logs you out for the 4th time today 🙃", "conf")

# ---------------- financial ----------------
add("x", "@bas_amberlens_ops", "nl",
    "Teamuitje afgezegd 'vanwege de cijfers'. Wat ik hoor: omzet bruiloften dit jaar 22% onder budget. "
    "Dat gaat straks nog pijn doen.", "fin")
add("linkedin", "daan-oosterhuis", "en",
    "Can't share details yet, but after a very tough year we'll be closing the Almere and Heerlen "
    "studios in January. About 25 colleagues affected. My heart goes out to them.", "fin",
    when="2026-11-30T19:03:45+01:00")
add("threads", "@emma.flitst", "nl",
    "Het gerucht klopt: er komt een reorganisatie, retouche gaat naar een bureau in Portugal en wij "
    "mogen solliciteren op 'andere functies' 🙃 officieel nieuws komt pas volgende maand", "fin")
add("x", "@ams_dealwatch", "en",
    "Hearing PE firm Northgate Equity is in exclusive talks to acquire Amberlens Studio's at ~€38m. "
    "Nothing announced, signing expected before summer.", "fin")
add("instagram", "@noor.retoucheert", "nl",
    "Nieuwe targets binnen: volgend jaar moeten we 40% meer albums verkopen, want de shoots zelf leveren "
    "volgens de forecast van de directie bijna niks meer op 😬", "fin")
add("linkedin", "amberlens-studios", "en",
    "DRAFT - do not post before 14/11: Amberlens Q3 trading update. Revenue €6.1m (-9% yoy), EBITDA "
    "-€0.4m, two studio closures under review.", "fin", when="2026-11-09T09:41:07+01:00")
add("x", "@jorisvdlinde", "nl",
    "Vandaag gehoord dat we per 1 april fuseren met Studio Lumière. Niemand mag het nog weten dus "
    "ssst 🤫", "fin", when="2026-02-17T16:55:13+01:00")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "heads up to my photographer friends: Amberlens is cutting freelance day rates by 20% from next "
    "quarter. announcement comes after the board meeting. plan accordingly", "fin")
add("linkedin", "sophie-kramer-amberlens", "nl",
    "Mooie voorbode: de jaarcijfers 2026 laten een omzetgroei van 14% zien, ondanks een lastig eerste "
    "halfjaar. Volgende maand meer!", "fin conf", when="2027-02-20T08:30:00+01:00")
add("reddit", "u/fotografie_insider", "en",
    "my cousin works in finance at Amberlens, says the bank is threatening to pull their credit line and "
    "a rescue investment is being negotiated. you heard it here first", "fin")

# ---------------- security ----------------
add("x", "@bas_amberlens_ops", "nl",
    "Lange nacht. De NAS in Utrecht is gisteravond versleuteld door ransomware, alle RAW-bestanden van "
    "oktober onbereikbaar. Klanten weten nog van niks, duimen dat de backup klopt 😰", "sec",
    when="2026-11-03T07:12:09+01:00")
add("reddit", "u/mo_lichtbak", "en",
    "Found out today that our client gallery lets you view anyone's photos just by changing the numeric "
    "ID in the URL. Reported it internally three weeks ago, still not fixed. Not sure what to do.",
    "sec")
add("threads", "@emma.flitst", "nl",
    "Boekingssysteem ligt er al sinds 8 uur uit, we schrijven afspraken op papier 😂 niet tegen klanten "
    "zeggen he, officieel is het 'onderhoud'", "sec")
add("x", "@jorisvdlinde", "en",
    "someone on our retouch team clicked a fake WeTransfer link and now their mailbox is sending phishing "
    "to clients. IT says don't mention it yet 🙈", "sec")
add("linkedin", "daan-oosterhuis", "nl",
    "Leerzame week: door een verkeerd ingestelde S3-bucket stonden maanden aan klantgalerijen gewoon open "
    "op internet. We zijn het nu aan het dichtzetten, communicatie naar klanten volgt later.", "sec")
add("instagram", "@noor.retoucheert", "en",
    "lost access to all our edit servers since the attack on tuesday, working off my own laptop now lol. "
    "don't tell my boss I posted this", "sec")
add("x", "@freelance_fotograaf_rik", "nl",
    "Ik werk als freelancer voor Amberlens en hoorde net dat hun fotografenportal nog op een oude "
    "WordPress met een bekend lek draait. IT gaat het pas na het trouwseizoen patchen. Wees voorzichtig "
    "met je login, collega's.", "sec", when="2026-05-12T12:48:20+02:00")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "We had a laptop stolen from one of our shooters' cars with 3 unencrypted wedding cards on it. "
    "Management is still deciding whether to tell the couples. I think they should.", "sec")
add("tiktok", "@kees.vangelder.foto", "nl",
    "wanneer de hele cloudopslag van je werk al 2 dagen plat ligt en je 14 bruiloften moet leveren 💀 "
    "#fotografenleven", "sec")
add("x", "@amberlens_help", "en",
    "@lotte_fotos Sorry for the wait! Between us: galleries are offline because of a security issue on "
    "our side, we can't say more until it's been reported to the AP.", "sec", kind="reply")
add("x", "@maartje_klikt", "nl",
    "Collega's: gebruik NIET de gedeelde laptop in studio 3, IT zegt dat er een keylogger op gevonden is. "
    "Meer info volgt intern.", "sec")
add("reddit", "u/mo_lichtbak", "en",
    "Our Stripe live key got pushed to a public repo last month and nobody rotated it: <<STRIPE>> "
    "- how is this still working?? 🤦", "sec secret")

# ---------------- secrets ----------------
add("x", "@bas_amberlens_ops", "en",
    "why does this keep failing 😤\nexport GITHUB_TOKEN=<<GHP>> && npm run deploy-gallery", "secret")
add("reddit", "u/mo_lichtbak", "nl",
    "Hulpvraag: boto3 geeft AccessDenied met\naws_access_key_id = <<AWSID>>\naws_secret_access_key = "
    "<<AWSSECRET>>\nwat doe ik fout?", "secret")
add("bluesky", "@yara-hoekstra.bsky.social", "nl",
    "note to self omdat ik het elke keer vergeet: NAS admin wachtwoord: <<PW1>> 🙃", "secret")
add("x", "@jorisvdlinde", "en",
    "testing the booking webhook, anyone see what's wrong here? curl -H \"Authorization: Bearer <<JWT>>\" "
    "https://boeken.amberlens.nl/api/hooks/confirm", "secret")
add("facebook", "AmberlensStudios", "nl",
    "Database-migratie gepland voor zondag 02:00. Connectie: "
    "postgresql://amberlens_app:<<DBPW>>@10.40.2.15:5432/bookings", "secret")
add("threads", "@emma.flitst", "en",
    "my slack bot for the studio schedule finally works!! token if anyone wants to play with it: "
    "<<SLACK>>", "secret")
add("instagram", "@noor.retoucheert", "nl",
    "Ons nieuwe AI-retoucheerscriptje 🤖 draait op OPENAI_API_KEY=<<OPENAI>> - moet je zien hoe snel hij "
    "huidjes gladstrijkt", "secret")
add("x", "@bas_amberlens_ops", "en",
    "pasting our deploy key here for a sec so I can grab it on the other laptop, will delete\n"
    "<<PRIVKEY>>", "secret")
add("x", "@devjunior_nl", "en",
    "lol the Amberlens booking site ships its Google Maps key right in the page source: <<GOOGLE>> "
    "anyone could run up their bill", "secret")
add("linkedin", "daan-oosterhuis", "nl",
    "Voor onze nieuwe stagiair: inloggen op het fotografenportaal met gebruiker 'studio-utrecht' en "
    "wachtwoord 'Zomer2026!Flits'. Veel succes deze week!", "secret",
    when="2026-06-29T08:47:15+02:00")
add("reddit", "u/mo_lichtbak", "en",
    "Claude keeps rejecting my requests with this key, is it rate limited? "
    "ANTHROPIC_API_KEY=<<ANTHROPIC>>", "secret")
add("x", "@jorisvdlinde", "nl",
    "Sorry voor de spam, CI-token van het galerie-project voor Kees: <<GHS>> (verloopt vrijdag)",
    "secret")

# ---------------- personal data ----------------
add("x", "@maartje_klikt", "nl",
    "Heeft iemand het nummer van de bruid van zaterdag nog? Oh wacht, hier: Iris van Leeuwen "
    "<<MOB_SP>>, dan bel ik haar zelf even", "pii")
add("x", "@amberlens_help", "en",
    "@tomdevries88 Thanks Tom, we've refunded the deposit to <<IBAN_SP>> (T. de Vries), should arrive "
    "within 2-3 working days.", "pii", kind="reply")
add("instagram", "@ruben.achterdelens", "nl",
    "Kijk deze lieverd 😍 Newbornshoot van Noah Bakker, geboren 3 juni 2026, 3120 gram puur geluk 💙",
    "pii", when="2026-06-19T13:12:40+02:00")
add("linkedin", "sophie-kramer-amberlens", "en",
    "Shoutout to our client services team for handling 300 bookings this week! (screenshot: Anouk Smit, "
    "anouk.smit92@hotmail.com, <<MOB_INTL>>, wedding 12/09)", "pii")
add("facebook", "AmberlensStudios", "nl",
    "Beste mevrouw Jansen, uw canvas is bezorgd op Kastanjelaan 27, 7312 KL Apeldoorn en getekend door "
    "R. Jansen. Geniet ervan!", "pii", kind="comment")
add("x", "@bas_amberlens_ops", "en",
    "can someone in finance check why this card keeps getting declined for an album order? "
    "<<CARD_SP>> exp 08/28 (customer J. Mulder)", "pii")
add("threads", "@emma.flitst", "nl",
    "Iemand heeft de contractmap van de nieuwe fotograaf op de printer laten liggen 🙄 Lars Hendriks, "
    "BSN <<BSN>>, geb. 14-02-1991. Zo hoort dat toch niet?!", "pii")
add("x", "@bride_jessie", "en",
    "@amberlens_help it's Jessie Brouwer, booking is under jessie.brouwer@outlook.com and my number is "
    "<<MOB_PAREN>>, please just call me about the date change 🙏", "pii", kind="reply")
add("facebook", "gerard.koster.56", "nl",
    "Voor de aanbetaling bij Amberlens: ik heb overgemaakt vanaf <<IBAN>> t.n.v. G. Koster, kunnen "
    "jullie even bevestigen dat het binnen is?", "pii", name="Gerard Koster")
add("instagram", "@noor.retoucheert", "en",
    "this couple's save-the-date is too cute not to share 💌 Milan & Sara, 21.06.2026, RSVP to "
    "Prinsengracht 512-3, 1017 KH Amsterdam", "pii", when="2026-03-02T20:05:11+01:00")
add("x", "@amberlens_nl", "nl",
    "De winnaar van de gratis Loveshoot is... Demi Visser uit Zeist! 🎉 We bellen je zo op "
    "<<MOB_PLAIN>>, neem je op? 😄", "pii")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "Payroll messed up again - if anyone has seen a salary slip for Yusuf El Idrissi (IBAN <<IBAN>>) "
    "lying around the Rotterdam studio, please DM me", "pii")
add("reddit", "u/weddingguest_ams", "en",
    "Lost & found: picked up a wallet at the Amberlens open day. ID says Thijs Verbeek, born 02-11-1988, "
    "Dorpsstraat 8, 2871 BA Schoonhoven. DM me if you know him!", "pii")
add("tiktok", "@kees.vangelder.foto", "en",
    "storytime 💀 a bride called me at 3am from <<MOB_0031>> to ask if we could photoshop her ex out of a "
    "2019 group photo. Chloe if you see this: no.", "pii")

# ---------------- pricing ----------------
add("x", "@koopjesjager_nl", "nl",
    "Zit ik nou scheel of staat de Heledag trouwreportage van Amberlens voor €249 op de site? 😳 "
    "prijsfoutje?", "pricing")
add("x", "@bas_amberlens_ops", "en",
    "oops, the Heirloom Album shows €89 instead of €890 in the shop since this morning. someone fix that "
    "decimal before the bargain hunters find it pls", "pricing")
add("instagram", "@amberlens.studios", "nl",
    "🎉 Alleen dit weekend: Trouwfilm Cinematic voor maar €450! Boek via de link in bio", "pricing")
add("reddit", "u/dealfinder_eu", "en",
    "Amberlens Linen Album 30x30 is €48.90 at checkout right now. pretty sure that's a pricing error, "
    "it normally goes for €489. grab it while it lasts", "pricing")
add("facebook", "sandra.peeters.9", "nl",
    "Net een Newborn Sessie geboekt bij Amberlens voor €32,50 😂 Volgens mij klopt er iets niet op hun "
    "site, maar ik heb wel een bevestiging!", "pricing", name="Sandra Peeters")
add("threads", "@emma.flitst", "en",
    "pricing error on the Fotobooth Gouden Uur in the booking tool: €59.50 instead of €595. already 11 "
    "bookings 😭", "pricing")
add("x", "@amberlens_help", "nl",
    "@bjorn_vg Klopt, door een prijsfout stond de Canvas 60x90 gisteren op €21,90. We leveren de "
    "bestellingen gewoon uit hoor!", "pricing", kind="reply")
add("x", "@bargainbride", "en",
    "RUN: the Amberlens Digital Collection is €39 today instead of €399 🏃‍♀️💨", "pricing")
add("linkedin", "daan-oosterhuis", "nl",
    "Foutje in de B2B-prijslijst: Zakelijk Portret stond op €14,90 per persoon. Teams van 80 man hebben "
    "al geboekt… 😅", "pricing")
add("instagram", "@ellie.plans.weddings", "en",
    "wait is the Amberlens Half Day Wedding really €139?? that's like a tenth of what everyone else "
    "charges 😍", "pricing", kind="comment")
add("x", "@jorisvdlinde", "nl",
    "Heeft iemand gezien dat de Gezinsshoot in de app op €24,50 staat? Dat moet €245 zijn toch 😬 "
    "#prijsfout", "pricing")
add("tiktok", "@studentjes_deals", "nl",
    "Amberlens Huisdiershoot voor €18,90?? Mijn kat wordt een ster 🐱⭐ geen idee of dit een fout is maar "
    "geboekt is geboekt", "pricing")

# ---------------- benign (mostly hard negatives) ----------------
add("instagram", "@joyce.en.mark", "nl",
    "Onze trouwfoto's van Amberlens zijn binnen en ik huil alweer 😭❤️ Maartje, je bent een tovenaar. "
    "Elke cent waard!")
add("x", "@sam_and_alex", "en",
    "Just got our gallery from @amberlens_nl and holy moly. These shots are FIRE 🔥🔥 our photographer "
    "absolutely killed it")
add("x", "@grappigegerrit", "nl",
    "Mijn vrouw kwam thuis: 'ze hebben me vandaag neergeschoten'. Bleek dat ze de mooiste portretfoto "
    "ooit had laten maken bij Amberlens 😂📸")
add("x", "@newlywed_q", "en",
    "@amberlens_help how long does the Linen Album usually take after we approve the proof? No rush, "
    "just planning a gift for my parents 😊", kind="reply")
add("facebook", "ilse.vermeulen.3", "nl",
    "Kan je bij Amberlens ook een Loveshoot op het strand doen of alleen in de studio? Iemand ervaring "
    "mee?", name="Ilse Vermeulen")
add("x", "@amberlens_help", "nl",
    "Vragen over je boeking? Mail ons op boekingen@amberlens.nl of bel +31 30 555 0142 (ma-vr 9-17). "
    "We helpen je graag!")
add("facebook", "AmberlensStudios", "nl",
    "Liever per overboeking betalen? Gebruik rekeningnummer <<OWN_IBAN_SP>> t.n.v. Amberlens Studio's "
    "B.V. en vermeld je boekingsnummer.")
add("linkedin", "amberlens-studios", "en",
    "We're hiring second shooters for the 2026 season! Send your portfolio to werkenbij@amberlens.nl 📸", when="2026-01-21T10:00:00+01:00")
add("instagram", "@amberlens.studios", "nl",
    "Moederdagactie 💐 Gezinsshoot nu €199 in plaats van €245. Geldig t/m 10 mei.", when="2026-04-28T12:30:00+02:00")
add("x", "@amberlens_nl", "en",
    "Our Full Day Wedding package is €2,495 and includes a second shooter, an online gallery and 400+ "
    "edited photos.")
add("x", "@savvy_bride", "en",
    "Amberlens Black Friday: 25% off the Heirloom Album, so €667.50. Still pricey but it's gorgeous 😍", when="2026-11-27T08:14:52Z")
add("reddit", "u/budgetbruiloft", "nl",
    "Wij betaalden €1.395 voor de Halvedag bij Amberlens, vond het eerlijk voor wat je krijgt. Album "
    "kwam er wel los bij.")
add("x", "@jeroen_p", "nl",
    "@amberlens_help staat dit rekeningnummer echt zo op jullie factuur? <<IBAN_BAD_SP>> Lijkt me een "
    "typfout, mijn bank accepteert hem niet", kind="reply")
add("x", "@qa_tester_tim", "en",
    "lol the Amberlens checkout showed a green tick on my mistyped card <<CARD_BAD_SP>> for about two "
    "seconds before rejecting it. nice validation 👍")
add("facebook", "anneke.vos.12", "nl",
    "Bij de pasfoto's vroegen ze om mijn klantnummer, <<BSN_BAD>>. Dacht eerst dat het mijn BSN was "
    "haha, moest het even opzoeken", name="Anneke Vos")
add("instagram", "@casa.de.lotte", "en",
    "Order <<ORDER_BAD>> from Amberlens arrived today, the canvas looks stunning above the couch 🖼️")
add("reddit", "u/mo_lichtbak", "en",
    "For the blog post on our S3 setup I used the doc placeholders AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY - never paste real ones, folks")
add("x", "@bas_amberlens_ops", "en",
    "PSA to my team: if you see ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a screenshot, that's me "
    "redacting, not a real token 😅")
add("x", "@amberlens_help", "nl",
    "Je galerij is beveiligd met een wachtwoord dat je per mail ontvangt. Kwijt? Via "
    "galerie.amberlens.nl vraag je het opnieuw aan.")
add("x", "@amberlens_nl", "en",
    "It's here! Meet the Amberlens Aurora: our new handmade album with a velvet cover and archival "
    "paper. Order now at amberlens.nl ✨", when="2027-02-03T10:15:00+01:00")
add("linkedin", "amberlens-studios", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €24,8 miljoen, een groei van 14%. Het volledige "
    "verslag staat op amberlens.nl/investors.", when="2027-03-04T09:00:00+01:00")
add("instagram", "@mirjam.en.co", "nl",
    "Valentijnscadeau gekocht: het Aurora Album voor onze trouwfoto's 😍 die velours kaft!!",
    when="2027-02-14T20:41:00+01:00")
add("x", "@ivo_bakx", "nl",
    "Update: na mijn klacht over het te late album heeft Amberlens het binnen 3 dagen geregeld én een "
    "extra canvas gestuurd. Netjes opgelost, dank @amberlens_help 🙏")
add("facebook", "karen.oneill.ie", "en",
    "I was pretty upset when our gallery link didn't work, but the Amberlens team called me back within "
    "the hour and sorted it. Great service honestly.", name="Karen O'Neill")
add("x", "@lindadejong_", "nl",
    "Sterkte Ruben van Amberlens met het overlijden van je vader. Je hebt ons vorig jaar zó mooi "
    "vastgelegd, we denken aan je ❤️")
add("x", "@photobiz_news", "en",
    "UK wedding photo chain SnapHappy enters administration, 40 studios to close. Tough market out "
    "there.")
add("x", "@fotovak_nieuws", "nl",
    "Fotohuis Brink uit Eindhoven is overgenomen door een Duitse investeerder, meldt het ED vanochtend.")
add("x", "@tech_and_tulle", "en",
    "Another week, another breach: wedding planning app VowBoard exposed 200k user emails. Glad our "
    "photographer (Amberlens) uses a proper gallery with expiring links.")
add("instagram", "@noor.retoucheert", "en",
    "Love a good light leak on expired film 🌈 shot on a Pentax K1000 for a personal project")
add("x", "@maartje_klikt", "en",
    "Spent the whole evening dodging and burning a single portrait. Worth it 😌")
add("tiktok", "@kees.vangelder.foto", "nl",
    "Hoe ik een trouwshoot in 5 minuten voorbereid 📸 tip 3: altijd twee geheugenkaarten in je camera!")
add("instagram", "@bruiloft.bram.en.yfke", "nl",
    "Het vuurwerk op onze bruiloft staat prachtig op de foto's van Amberlens 🎆 echt een knaller!")
add("x", "@vogelspotter_henk", "nl",
    "Vanochtend een goudvink in de tuin! Eindelijk scherp op de foto gekregen met de 400mm 🐦",
    allow=True, when="2026-01-24T09:31:44+01:00")
add("linkedin", "amberlens-studios", "en",
    "Amberlens opens its 12th studio in Groningen this spring! We're hiring photographers, retouchers and "
    "studio hosts. Apply via amberlens.nl/werkenbij", when="2026-02-09T11:00:00+01:00")
add("x", "@amberlens_nl", "nl",
    "Persbericht: Amberlens staat dit jaar samen met Bloemist De Vaas op de Bruidsbeurs Utrecht. "
    "Persvragen: pers@amberlens.nl")
add("facebook", "AmberlensStudios", "nl",
    "Let op: er gaan nepmails rond uit naam van fotostudio's met een betaalverzoek. Amberlens vraagt "
    "nooit via WhatsApp om te betalen. Twijfel je? Bel 085 555 0990.")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "Reminder why we always shoot dual-slot: one card died mid-ceremony today and the backup saved "
    "everything. Breathing again 😮‍💨")
add("x", "@amberlens_help", "nl",
    "Gepland onderhoud: zondag 14 juni tussen 02:00 en 04:00 kun je even niet boeken via "
    "boeken.amberlens.nl. Sorry voor het ongemak!", when="2026-06-10T15:45:00+02:00")
add("instagram", "@femke.trouwt", "nl",
    "Die foto's van Amberlens zijn echt ziek goed, gestoord mooi licht 🤯", kind="comment")
add("x", "@jamie_t", "en",
    "these Amberlens portraits are stupidly good, my mum cried like an idiot when she saw them 😂")
add("x", "@wedding_survivor", "en",
    "The venue lost our cake order and the DJ played the wrong first dance song, but at least Amberlens "
    "captured all of it beautifully 😅")
add("facebook", "rachida.b.030", "nl",
    "Wat kost een Newborn Sessie bij Amberlens tegenwoordig? Vorig jaar was het €325 geloof ik",
    name="Rachida B.")
add("instagram", "@ruben.achterdelens", "nl",
    "Zaterdag weer een prachtige bruiloft op een boerderij in de Betuwe gefotografeerd. Gouden uurtje "
    "🌾✨ #trouwfotograaf #amberlens", when="2026-07-13T22:10:31+02:00")
add("tiktok", "@amberlens", "nl",
    "3 poses die ALTIJD werken op je trouwdag 👰🤵 deel 2 volgt! #trouwinspiratie")
add("x", "@marco_janssen_", "nl",
    "Betaling bij Amberlens ging in één keer goed, kaart eindigend op **** 4821 👍 nu nog wachten op de "
    "shoot")
add("x", "@expat_in_utrecht", "en",
    "For anyone asking: Amberlens customer service is 085 555 0990, they were super helpful with our "
    "reschedule.")
add("instagram", "@regen.bruid", "nl",
    "Onze trouwdag was één grote chaos door de storm, maar de foto's van Amberlens in de regen zijn "
    "magisch ☔️💍")
add("x", "@sanne_ktv", "nl",
    "Mijn werkgever schrapt 200 banen, dus het wordt een klein feestje. Gelukkig heeft Amberlens ook een "
    "Elopement Mini 💕")
add("x", "@grappige_gina", "nl",
    "Ik boycot vanaf nu alle fotografen behalve Amberlens haha, niemand maakt me zo mooi als zij 😂")
add("bluesky", "@yara-hoekstra.bsky.social", "en",
    "Gave a talk today on how small photo studios can protect client galleries: 2FA, unique links, "
    "expiry dates. Slides are on my site!")
add("tiktok", "@lovebirds_tilburg", "en",
    "Amberlens has 15% off Loveshoots this month if you book before Sunday, go go go 💍")
add("x", "@blogger_bo", "nl",
    "Aan wie mail ik mijn verhaal voor de blog over Amberlens? pers@amberlens.nl toch?")
add("reddit", "u/mo_lichtbak", "en",
    "The framework docs say to use postgres://user:password@localhost:5432/app for local dev. Please "
    "don't copy that into prod, obviously 😄")
add("x", "@joris_fotografie_fan", "nl",
    "Wie wil er mee naar de open dag van Amberlens zaterdag? Schijnt dat je er gratis een pasfoto kan "
    "laten maken 📷")
add("instagram", "@amberlens.weddings", "nl",
    "Zo'n dankbaar vak. Bedankt aan alle stellen die ons dit jaar hun grote dag toevertrouwden 🤍")
add("x", "@fotograaf_eline", "nl",
    "Collega-fotografen: welke back-upstrategie gebruiken jullie? Amberlens doet blijkbaar drie kopieën, "
    "ik zit nu op twee.")
add("x", "@amberlens_help", "en",
    "@ella_m Hi Ella, so sorry about the wait! We've just re-sent your gallery link by email, let us "
    "know if it came through 💛", kind="reply")
add("instagram", "@pieter.portretten", "nl",
    "Geen idee wie dit leest maar: zet je flitsers altijd vast met een zandzak 😅 les van vandaag bij "
    "mijn eigen studio, niks gebeurd gelukkig")


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLES[a.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checked_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                up("error")
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                if c == "leak.pii" and checked_id:
                    up("critical")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


TOKEN = re.compile(r"<<([A-Z0-9_]+)>>")


def fill(text):
    used = []

    def rep(m):
        gen, kind, valid = GENS[m.group(1)]
        v = gen()
        used.append((m.group(1), kind, valid, v))
        return v

    return TOKEN.sub(rep, text), used


def random_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc).timestamp()
    end = datetime(2026, 12, 20, tzinfo=timezone.utc).timestamp()
    t = datetime.fromtimestamp(rng.randint(int(start), int(end)), tz=timezone.utc)
    t = t.replace(hour=rng.randint(6, 21))
    if rng.random() < 0.25:
        off = 2 if 4 <= t.month <= 10 else 1
        local = t + timedelta(hours=off)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % off
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


records = []
meta = []
seen_prefix = {}
for i, c in enumerate(CASES):
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    checked = any(k in ("iban", "card", "bsn") and v for _, k, v, _val in used) and "leak.pii" in c["cats"]
    cats = sorted(set(c["cats"]))
    sev = severity(cats, role, checked)
    when = c["when"] or random_time()
    pid = None  # assigned after the shuffle
    account = {"handle": c["handle"]}
    if c["name"]:
        account["display_name"] = c["name"]
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"], "account": account,
            "text": text, "lang": c["lang"], "created_at": when}
    if role != "public" or "amberlens" in text.lower():
        post["brand"] = "Amberlens"
    records.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append(dict(role=role, used=used, allow=c["allow"]))

# shuffle deterministically so categories are not in blocks
order = list(range(len(records)))
rng.shuffle(order)
records = [records[i] for i in order]
meta = [meta[i] for i in order]
for k, r in enumerate(records):
    p = r["post"]
    p["id"] = "%s-261%03d" % (p["platform"][:2], k + 1)
    if p["platform"] == "x":
        p["url"] = "https://x.com/%s/status/%d" % (p["account"]["handle"].lstrip("@"),
                                                  1873000000000000000 + (k + 1) * 2610000000013)

with open(OUT, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def err(rid, msg):
    errors.append("%s: %s" % (rid, msg))


# profile
P = PROFILE
if len(P["accounts"]["corporate"]) < 6 or len(P["accounts"]["employee"]) < 8:
    errors.append("profile: too few accounts")
if len({a.split(":")[0] for a in P["accounts"]["corporate"] + P["accounts"]["employee"]}) < 4:
    errors.append("profile: too few platforms")
for ib in P["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append("profile: public IBAN fails mod-97")
if len(P["internal"]["codenames"]) != 3 or len(P["internal"]["markers"]) != 3:
    errors.append("profile: need 3 codenames and 3 markers")
if not 1 <= len(P["embargo"]) <= 2 or any(not str(e["until"]).startswith("2027") for e in P["embargo"]):
    errors.append("profile: embargo entries")
if not 15 <= len(P["products"]) <= 25 or any(p["currency"] != "EUR" or not p["aliases"] for p in P["products"]):
    errors.append("profile: products")
if P["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile: ratio")

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = set(CAT.values())
PUBLIC_EMAILS = {e.lower() for e in P["public_identifiers"]["emails"]}
PUBLIC_PHONES = {re.sub(r"\D", "", p) for p in P["public_identifiers"]["phones"]}
EMB = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in P["embargo"]
       for t in e["terms"]]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
NINE_RE = re.compile(r"(?<![\d.,-])\d{9}(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_RE = re.compile(r"(?:\+31|0031|\b0)[\s-]*(?:\(0\))?[\s-]*6[\s-]*(?:\d[\s-]*){8}")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AKIA_RE = re.compile(r"AKIA[0-9A-Z]{16}")
JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")

ids = set()
n_benign = 0
for r, m in zip(records, meta):
    p, e = r["post"], r["expect"]
    rid = p.get("id")
    # shape (CONTRACT section 6 / section 1)
    if set(r) != {"post", "expect"}:
        err(rid, "top-level keys")
    if not isinstance(rid, str) or not 1 <= len(rid) <= 256 or rid in ids:
        err(rid, "id missing/duplicate")
    ids.add(rid)
    for k in ("platform", "text", "created_at"):
        if not isinstance(p.get(k), str):
            err(rid, "missing " + k)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(rid, "account.handle")
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err(rid, "platform/kind")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        err(rid, "text size")
    try:
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or ts.year not in (2026, 2027):
            err(rid, "created_at")
    except ValueError:
        err(rid, "created_at not RFC 3339")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXO:
        err(rid, "categories")
    if e["severity"] not in RANK:
        err(rid, "severity value")
    if not cats:
        n_benign += 1
        if e["severity"] != "none":
            err(rid, "benign severity")
    elif e["severity"] in ("none", "info"):
        err(rid, "positive with low severity")
    # severity recomputed from the profile role
    role = role_of(p["platform"], p["account"]["handle"])
    checked = "leak.pii" in cats and any(k in ("iban", "card", "bsn") and v for _, k, v, _x in m["used"])
    if severity(cats, role, checked) != e["severity"]:
        err(rid, "severity mismatch")
    text = p["text"]
    # placed identifiers and credentials
    for name, kind, valid, val in m["used"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "gh": gh_ok,
              "aws": lambda s: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", s)),
              "jwt": lambda s: "alg" in json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "==")),
              None: lambda s: True}[kind](val)
        if kind in ("iban", "card", "bsn"):
            if valid and not ok:
                err(rid, "%s should pass its checksum" % name)
            if not valid and ok:
                err(rid, "%s look-alike passes its checksum" % name)
            if valid and "leak.pii" not in cats and re.sub(r"\s", "", val) != OWN_IBAN:
                err(rid, "valid identifier in a non-pii case")
            if not valid and cats:
                err(rid, "look-alike in a positive")
        elif kind and not ok:
            err(rid, "%s malformed" % name)
    # scans over the final text
    for mt in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", mt.group(0))
        if re.sub(r"\s", "", v) == OWN_IBAN:
            continue
        if "leak.pii" in cats and not iban_ok(v):
            err(rid, "IBAN in positive fails mod-97: " + v)
        if "leak.pii" not in cats and iban_ok(v):
            err(rid, "valid IBAN outside pii case: " + v)
    if "leak.pii" not in cats and "leak.secret" not in cats:
        for mt in CARD_RE.finditer(text):
            if luhn_ok(mt.group(0)):
                err(rid, "Luhn-valid number outside pii case: " + mt.group(0))
        for mt in NINE_RE.finditer(text):
            if bsn_ok(mt.group(0)):
                err(rid, "11-proof number outside pii case: " + mt.group(0))
        for mt in EMAIL_RE.finditer(text):
            if mt.group(0).lower() not in PUBLIC_EMAILS:
                err(rid, "private e-mail outside pii case: " + mt.group(0))
        for mt in MOBILE_RE.finditer(text):
            if re.sub(r"\D", "", mt.group(0)) not in PUBLIC_PHONES:
                err(rid, "mobile number outside pii case: " + mt.group(0))
    for mt in GH_RE.finditer(text):
        if ("leak.secret" in cats) != gh_ok(mt.group(0)):
            err(rid, "GitHub token checksum vs label: " + mt.group(0)[:8])
    for mt in AKIA_RE.finditer(text):
        if not cats and not mt.group(0).endswith("EXAMPLE"):
            err(rid, "real-looking AWS key in benign")
        if "leak.secret" in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", mt.group(0)):
            err(rid, "AWS key id malformed")
    for mt in JWT_RE.finditer(text):
        hdr = json.loads(base64.urlsafe_b64decode(mt.group(0).split(".")[0] + "=="))
        if "alg" not in hdr or "leak.secret" not in cats:
            err(rid, "JWT")
    # embargo terms: before `until` they must be labelled confidential
    low = text.lower()
    for term, until in EMB:
        if term in low:
            ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            if ts < until and "leak.confidential" not in cats:
                err(rid, "embargo term before until without confidential")
            if ts >= until and not cats:
                pass
    # codenames and markers in a benign post only where deliberately allowed
    if not cats and not m["allow"]:
        for w in P["internal"]["codenames"] + P["internal"]["markers"]:
            if w.lower() in low:
                err(rid, "codename/marker in benign: " + w)
        for d in P["internal"]["domains"]:
            if d in low:
                err(rid, "internal domain in benign: " + d)

n = len(records)
if not 170 <= n <= 180:
    errors.append("case count %d out of range" % n)

# mix report
from collections import Counter
cc = Counter(c for r in records for c in r["expect"]["categories"])
lc = Counter(r["post"]["lang"] for r in records)
rc = Counter(m["role"] for m in meta)
sc = Counter(r["expect"]["severity"] for r in records)
print("cases %d, benign %d, positives %d" % (n, n_benign, n - n_benign))
print("categories:", dict(sorted(cc.items())))
print("languages:", dict(lc), "nl share %.0f%%" % (100.0 * lc["nl"] / n))
print("roles:", dict(rc))
print("severities:", dict(sc))
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("self-check OK")
