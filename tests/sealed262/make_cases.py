#!/usr/bin/env python3
"""Build the sealed evaluation set 262 (Zoemwerf Imkerij, beekeeping supplies & honey).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and self-checks it against the CONTRACT (sections 4 and 6) and against profile.yaml.
Severities are computed from the account role in the profile, never typed by hand.
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 262
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(num):
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


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and int("".join(map(str, d))) > 0


# ---------------------------------------------------------------- generators
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM
URLSAFE = ALNUM + "-_"
BANKS = ["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"]


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban_ok():
    v = iban_make("NL", rng.choice(BANKS) + rs("0123456789", 10))
    return group4(v) if rng.random() < 0.6 else v


def gen_iban_bad():
    v = iban_make("NL", rng.choice(BANKS) + rs("0123456789", 10))
    pos = rng.randrange(8, 18)
    old = v[pos]
    new = rng.choice([c for c in "0123456789" if c != old])
    v = v[:pos] + new + v[pos + 1:]
    assert not iban_valid(v)
    return group4(v) if rng.random() < 0.6 else v


def luhn_complete(prefix, length):
    body = prefix + rs("0123456789", length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def fmt_card(n):
    r = rng.random()
    if r < 0.5:
        return group4(n)
    if r < 0.75:
        return "-".join(n[i:i + 4] for i in range(0, len(n), 4))
    return n


def gen_card_ok():
    pre = rng.choice(["4", "51", "52", "53", "54", "55"])
    return fmt_card(luhn_complete(pre, 16))


def gen_card_bad():
    n = luhn_complete(rng.choice(["4", "52", "55"]), 16)
    last = int(n[-1])
    n = n[:-1] + str((last + rng.randrange(1, 10)) % 10)
    assert not luhn_valid(n)
    return group4(n)


def gen_bsn_ok():
    while True:
        d = [rng.randrange(10) for _ in range(8)]
        if d[0] == 0:
            continue
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            v = "".join(map(str, d)) + str(s)
            assert bsn_valid(v)
            return v


def gen_bsn_bad():
    v = gen_bsn_ok()
    v = v[:-1] + str((int(v[-1]) + rng.randrange(1, 10)) % 10)
    assert not bsn_valid(v)
    return v


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_ghp(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def ghp_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def gen_akia():
    return "AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rs(ALNUM + "/+", 40)


def gen_slack():
    # keep the numeric parts from looking like a Luhn-valid card number
    while True:
        a, b = rs("0123456789", 11), rs("0123456789", 13)
        if not any(luhn_valid(x) for x in (a, b, a + b, b[:12], b[1:])):
            return "xoxb-%s-%s-%s" % (a, b, rs(ALNUM, 24))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(0, 31_000_000)
    payload = {"sub": "usr_%d" % rng.randrange(10000, 99999), "role": "shop_admin",
               "iss": "zoemwerf-auth", "iat": iat, "exp": iat + 3600}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def gen_pem():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.randrange(256) for _ in range(230)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GENS = {
    "IBAN_OK": gen_iban_ok, "IBAN_BAD": gen_iban_bad,
    "CARD_OK": gen_card_ok, "CARD_BAD": gen_card_bad,
    "BSN_OK": gen_bsn_ok, "BSN_BAD": gen_bsn_bad,
    "GHP": gen_ghp, "GHS": lambda: gen_ghp("ghs_"),
    "AKIA": gen_akia, "AWSSECRET": gen_aws_secret,
    "STRIPE": lambda: "sk_live_51" + rs(ALNUM, 97),
    "SLACK": lambda: gen_slack(),
    "OPENAI": lambda: "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rs(URLSAFE, 93) + "AA",
    "MOLLIE": lambda: "live_" + rs(ALNUM, 30),
    "GOOGLE": lambda: "AIza" + rs(URLSAFE, 35),
    "SENDGRID": lambda: "SG." + rs(URLSAFE, 22) + "." + rs(URLSAFE, 43),
    "JWT": gen_jwt, "PEM": gen_pem,
    "COMPANY_IBAN": lambda: group4(PROFILE["public_identifiers"]["ibans"][0]),
}
CHECKED = {"IBAN_OK": ("iban", True), "IBAN_BAD": ("iban", False), "CARD_OK": ("card", True),
           "CARD_BAD": ("card", False), "BSN_OK": ("bsn", True), "BSN_BAD": ("bsn", False),
           "COMPANY_IBAN": ("iban", True)}


def fw(s):
    """full-width letters (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- the posts
# (platform, handle, lang, categories (short), text, options)
# short categories: complaint crisis abuse secret pii pricing confidential financial security
C = []


def add(platform, handle, lang, cats, text, **opt):
    C.append(dict(platform=platform, handle=handle, lang=lang, cats=cats, text=text, opt=opt))


# ======== reputation.complaint (single)
add("x", "@imkerjan73", "nl", ["complaint"],
    "Al 3 weken wachten op mijn Dadant kast van @zoemwerf. Track & trace zegt 'in behandeling' sinds 2 maart. "
    "Serieus?? Het seizoen begint zo 😤", date="2026-03-24T07:41:12Z")
add("facebook", "laura.whitfield.37", "en", ["complaint"],
    "Ordered 6 jars of the heather honey from Zoemwerf, 2 arrived smashed and the whole box was sticky. "
    "Sent photos a week ago and still no reply from anyone.", kind="comment")
add("instagram", "@tuinier_gert", "nl", ["complaint"],
    "@zoemwerf.honing mijn Buckfast koningin kwam dood aan in het kooitje. 45 euro weg en jullie klantenservice "
    "zegt 'kan gebeuren'. Nou nee.", kind="comment")
add("reddit", "u/northsea_bees", "en", ["complaint"],
    "Anyone else having trouble with the Zoemwerf Slingeraar 4? Mine wobbles like crazy after two seasons and the "
    "bearing sounds like a coffee grinder. Support just keeps sending me the same PDF.")
add("x", "@Marloes_R", "nl", ["complaint"],
    "serieus @zoemwerf_help, 2x gebeld, 2x 40 min in de wacht en dan word ik opgehangen 🙄 ik wil gewoon m'n geld "
    "terug voor dat lekke rijpingsvat", kind="reply")
add("facebook", "wim.brouwer.imker", "nl", ["complaint"],
    "Ramen van het starterspakket passen niet in de kast die erbij zat. Beetje jammer als je net begint en alles "
    "'compleet' zou zijn. Zoemwerf, dit kan echt beter.")
add("x", "@urbanbeekeeper", "en", ["complaint"],
    "@zoemwerf the zip on my bee suit Pro split after literally four inspections. For €129 I expected more than "
    "a festival poncho.", kind="reply")
add("tiktok", "@fietsende_imker", "nl", ["complaint"],
    "refund van zoemwerf nog steeds niet binnen na 6 weken, elke keer 'volgende week' 🫠 #zoemwerf #klantenservice")
add("bluesky", "@apiary-anna.bsky.social", "en", ["complaint"],
    "zoemwerf sent me linden honey thats half crystallised and smells kinda fermented?? best before 2028 apparently. "
    "not impressed tbh")
add("forum", "hobbyimker_wim", "nl", ["complaint"],
    "Re: ervaringen Zoemwerf — bij mijn VarroaCheck telset miste de helft van de onderdelen en de handleiding is "
    "alleen in het Duits. Mail gestuurd, nooit meer iets van gehoord.", kind="reply")
add("x", "@sophie_bloemt", "en", ["complaint"],
    "Zoemwerf cancelled my order without any explanation, but the money's already gone from my account. Hello?? "
    "Anyone home?")

# ======== complaint + crisis: first-hand safety incidents
add("facebook", "gerritjan.smit.1962", "nl", ["complaint", "crisis"],
    "Mijn Zoemwerf RVS roker vatte vlam bij de balg terwijl ik ermee bij de kasten stond, halve heg in de fik. "
    "Gelukkig niemand gewond maar dit is levensgevaarlijk. En op mijn mail reageren jullie niet eens.")
add("x", "@beeguy_uk", "en", ["complaint", "crisis"],
    "Got a proper shock off my Zoemwerf Slingeraar 9 this morning, the metal drum was live. Tripped the breaker. "
    "Could've killed me. @zoemwerf explain??")
add("instagram", "@honingliefje", "nl", ["complaint", "crisis"],
    "Na een lepel van jullie raathoning kreeg mijn dochter (4) overgeven en buikkrampen, hele nacht op de SEH "
    "gezeten. Ik wil weten wat erin zat @zoemwerf.honing 😡")
add("reddit", "u/waxandwane", "en", ["complaint", "crisis"],
    "Zoemwerf beeswax candles (the set of 6) — one of them flared up way past the wick and set my windowsill on "
    "fire. Fire's out, my hand is blistered. Avoid these.")
add("x", "@bijenvriend_nl", "nl", ["complaint", "crisis"],
    "Rits van de kap op mijn imkerpak Pro schoot los, gaas scheurde, 20+ steken in m'n gezicht en nek. Ambulance "
    "erbij want ik ben allergisch. Kwaliteit Zoemwerf?? 😡")

# ======== reputation.crisis (single)
add("x", "@honingwaakhond", "nl", ["crisis"],
    "NVWA roept Zoemwerf lindehoning terug, er zijn resten antibiotica in gevonden. Check je batchnummer!! "
    "#terugroepactie #honing")
add("x", "@foodwatch_fan", "en", ["crisis"],
    "BOYCOTT Zoemwerf. Lab tests show their 'pure Dutch honey' is cut with rice syrup. Stop buying until they come "
    "clean. #honeyfraud")
add("facebook", "ImkersverenigingDeRaatEde", "nl", ["crisis"],
    "Let op leden: een imker uit onze vereniging kreeg vorige week een flinke stroomschok van zijn Zoemwerf "
    "slingeraar. Hij is oké, maar laat je apparaat nakijken voor het oogstseizoen.")
add("linkedin", "anna-vermeulen-advocaat", "en", ["crisis"],
    "We have filed a class action on behalf of 140 customers against Zoemwerf Imkerij B.V. over misleading "
    "'organic' labelling across its honey range.")
add("x", "@datalek_alert", "nl", ["crisis"],
    "Zoemwerf heeft een datalek: klantgegevens van duizenden imkers liggen te koop op een forum. Bedrijf zwijgt "
    "in alle talen. #datalek #privacy")
add("tiktok", "@thebeehivecritic", "en", ["crisis"],
    "zoemwerf caught shipping nucs with american foulbrood?? three apiaries in gelderland infected after buying "
    "their startvolk. this is a SCANDAL")
add("reddit", "u/Bijenbeschermer", "en", ["crisis"],
    "Zoemwerf sells queens with clipped wings without mentioning it anywhere. That's animal cruelty. Stop buying "
    "there and share this!")
add("x", "@newsbee_eu", "en", ["crisis"],
    "Breaking: fire at the Zoemwerf warehouse in Zevenaar tonight, two staff treated for smoke inhalation.")
add("instagram", "@moestuin_mama", "nl", ["crisis"],
    "Heb je de bijenwaskaarsen van Zoemwerf? Bij mijn buurvrouw vloog de set in brand, brandweer moest komen. "
    "Gooi ze weg!! 🔥")
add("mastodon", "@consumerwatch", "en", ["crisis"],
    "Zoemwerf is reportedly under investigation by the ACM for price fixing with two other bee-supply wholesalers. "
    "Expect a hefty fine.")

# ======== reputation.abuse (single)
add("x", "@boze_bert", "nl", ["abuse"],
    "Zoemwerf = stelletje kankerlijers, echt het slechtste bedrijf van NL")
add("x", "@grumpyhive", "en", ["abuse"],
    "@zoemwerf_help your support team are a bunch of useless morons. Absolute clowns, every single one.",
    kind="reply")
add("instagram", "@kees_honing", "nl", ["abuse"],
    "Die Mirjam van de klantenservice is gewoon een dom wijf, sorry maar het is zo", kind="comment")
add("reddit", "u/hivemind_420", "en", ["abuse"],
    "the guy who runs zoemwerf's tiktok is such a fucking idiot lmao, someone slap him")
add("x", "@anoniemeimker", "nl", ["abuse"],
    "z0emw3rf = k4nk3rb3dr1jf. h0p3lijk g44n jull13 f41ll13t 🖕")
add("facebook", "peter.de.wit.771", "nl", ["abuse"],
    "Zoemwerf: k l o o t z a k k e n. Meer heb ik er niet over te zeggen.", kind="comment")
add("x", "@stingray_77", "en", ["abuse"],
    "Zoemwerf staff are pathetic l\u043es\u0435rs and fr\u0430uds, the lot of them 🤡")
add("x", "@echte_hollander88", "nl", ["abuse"],
    "Waarom laat Zoemwerf die Youssef de telefoon opnemen? Ga lekker terug naar je eigen land man")
add("x", "@zoemwerf_help", "nl", ["abuse"],
    "@Marloes_R doe even normaal zeg, zeurwijf. Je bestelling komt wanneer hij komt.", kind="reply")
add("tiktok", "@ruud.bijenman", "nl", ["abuse"],
    "die klant van vandaag was echt een achterlijke debiel 🙄 #retail #imkerleven")

# ======== abuse + complaint
add("x", "@tuinvrouw_ria", "nl", ["abuse", "complaint"],
    "Kutzooi van Zoemwerf, 2e keer dat mijn slingeraar kapot binnenkomt. Stelletje prutsers.")
add("facebook", "derek.holloway.bees", "en", ["abuse", "complaint"],
    "Zoemwerf you absolute shitshow of a company, my nuc arrived with half the bees dead and you want ME to pay "
    "return shipping?")

# ======== leak.confidential (single)
add("x", "@bramkoster_imker", "en", ["confidential"],
    "Project Heidebloem is going to be huge this spring, can't say a thing yet but 🐝🔥")
add("linkedin", "eva-hoekstra-zoemwerf", "en", ["confidential"],
    "Proud of the team working on Kolibrie! First prototypes of our smart frame sensor passed field tests this "
    "week. More soon 🐝")
add("instagram", "@imker_daan_zw", "en", ["confidential"],
    "Sneak peek 👀 the new Zoemwerf Thermokast in polystyrene, not announced yet, pic is from our test apiary "
    "#dontshare")
add("x", "@kees_vdwal", "nl", ["confidential"],
    "weet iemand waarom https://jira.zoemwerf.nl/browse/SHOP-2231 al 3 weken op 'blocked' staat? iemand van IT?")
add("x", "@zoemwerf", "nl", ["confidential"],
    "Planning voorjaarscampagne — ALLEEN VOOR INTERN GEBRUIK — budget social 42k, start 3 maart, influencers "
    "via bureau Honingraat", date="2026-02-09T15:02:33Z")
add("bluesky", "@noortje-zw.bsky.social", "en", ["confidential"],
    "screenshot from our wiki (wiki.zoemwerf.nl/ops/leveranciers) because the supplier list is honestly hilarious 😂")
add("x", "@insider_honing", "nl", ["confidential"],
    "Vriend van me werkt bij Zoemwerf: Operatie Klaverveld is een hele nieuwe honinglijn uit Oekraïne. "
    "Jullie hoorden het hier eerst")
add("linkedin", "youssef-benali-zw", "nl", ["confidential"],
    "Mag eigenlijk nog niks zeggen, maar de Korfwachter 2 meet straks ook temperatuur en luchtvochtigheid per "
    "broedkamer. Release volgend voorjaar!", date="2026-10-14T10:20:00Z")
add("x", "@mirjam_zoemwerf", "nl", ["confidential"],
    "niet verder delen hè, zoemwerf intern: nieuwe retourvoorwaarden gaan per 1 juni in, 14 i.p.v. 30 dagen",
    date="2026-05-11T12:03:40Z")
add("x", "@bramkoster_imker", "nl", ["confidential"],
    "Pro" + ZW + "ject Hei" + ZW + "de" + ZW + "bloem demodag was top, trots op dit team 💛")
add("mastodon", "@lotte_devlieger", "nl", ["confidential"],
    fw("KOLIBRIE") + " sprint review vandaag, eindelijk werkt de koppeling met de app 🎉")
add("facebook", "Henk.Oosterhuis.Zoemwerf", "en", ["confidential"],
    "Can't share much (NDA!) but the electric uncapping table we've been testing at Zoemwerf is a game changer. "
    "Launch later this year 🤫")
add("linkedin", "zoemwerf-bv", "nl", ["confidential"],
    "Vacature DevOps engineer: je beheert o.a. onze omgeving op erp.zoemwerf.local en de toegang via "
    "vpn.zoemwerf.nl. Reageer via vacatures@zoemwerf.nl")
add("reddit", "u/marketstall_mike", "en", ["confidential"],
    "Found this on a Zoemwerf printout someone left at the market stall: 'vertrouwelijk - niet delen — "
    "inkoopprijzen 2027'. lol, guess I know their margins now")
add("x", "@kees_vdwal", "en", ["confidential"],
    "Korfwachter2 firmware finally stable after 3 weeks of pain. Can't wait for you all to see it 🐝📈",
    date="2027-01-19T21:14:09Z")

# ======== confidential + financial
add("linkedin", "eva-hoekstra-zoemwerf", "nl", ["confidential", "financial"],
    "Jaarcijfers 2026 zijn binnen en wow: omzet +23%, EBITDA bijna verdubbeld. Trots op dit team! "
    "(officieel pas volgende week 🤐)", date="2027-02-19T08:31:00Z")
add("x", "@bramkoster_imker", "nl", ["confidential", "financial"],
    "Operatie Klaverveld = wij kopen Bijenhof Benelux. Handtekening volgende week. Shhh 🤫")

# ======== leak.financial (single)
add("x", "@kees_vdwal", "nl", ["financial"],
    "Q3 wordt rampzalig, omzet zit 18% onder budget. Dat zeggen ze pas in november, maar bereid je maar voor.",
    date="2026-10-02T19:47:10Z")
add("linkedin", "youssef-benali-zw", "en", ["financial"],
    "Heard at today's all-hands: Zoemwerf will close the Zevenaar warehouse and let about 35 people go early next "
    "year. Rough day for all of us.")
add("reddit", "u/throwaway_hivework", "en", ["financial"],
    "Zoemwerf employee here (throwaway obviously). Management is in talks to sell the company to a German garden "
    "centre chain, due diligence is running right now.")
add("tiktok", "@ruud.bijenman", "en", ["financial"],
    "restructuring at work 😬 the whole customer service team is getting outsourced to a call centre in Portugal, "
    "not announced yet")
add("x", "@zoemwerf", "nl", ["financial"],
    "Forecast 2027: omzet €14,2 mln, brutomarge 31%, 2 nieuwe winkels — concept, niet publiceren")
add("instagram", "@imker_daan_zw", "en", ["financial"],
    "CFO just told us we'll miss the H1 target by almost a million. Not public yet so don't @ me",
    date="2026-06-18T16:55:00Z")
add("x", "@beursbij", "nl", ["financial"],
    "Hoor uit betrouwbare bron binnen Zoemwerf dat ze volgende maand een winstwaarschuwing afgeven. Orderboek "
    "is gehalveerd.")
add("mastodon", "@lotte_devlieger", "nl", ["financial"],
    "Onze webshopomzet in Q2 was €3,1 mln, 12% lager dan vorig jaar. Cijfers komen pas eind juli naar buiten "
    "maar ik moest het even kwijt.", date="2026-07-06T20:12:44Z")
add("facebook", "Henk.Oosterhuis.Zoemwerf", "en", ["financial"],
    "Big news I probably shouldn't share yet: we're merging with Apiwerk Belgium, announcement planned for "
    "September.", date="2026-06-27T09:40:00Z")
add("bluesky", "@noortje-zw.bsky.social", "nl", ["financial"],
    "ontslagronde bij zoemwerf: 1 op de 5 kantoorbanen verdwijnt. HR vertelt het vrijdag pas aan de rest 😶")

# ======== leak.security
add("x", "@kees_vdwal", "nl", ["security"],
    "webshop ligt al sinds 03:00 plat, lijkt gewoon een DDoS. officieel is het 'gepland onderhoud' volgens de "
    "statuspagina 🙃")
add("linkedin", "youssef-benali-zw", "en", ["security"],
    "Long night. We found out someone had access to our order database for at least two weeks. Customers haven't "
    "been told yet.")
add("mastodon", "@lotte_devlieger", "en", ["security"],
    "fun fact: the zoemwerf checkout still lets you change the order id in the URL and see other people's "
    "addresses. reported it internally in march, still open 🤷")
add("reddit", "u/ex_zw_dev", "en", ["security"],
    "Ex-Zoemwerf dev here. Their admin panel still runs an unpatched Magento 2.3 with the known RCE. I told them "
    "a year ago before I left.")
add("tiktok", "@ruud.bijenman", "nl", ["security"],
    "ransomware op de kassa's in alle 4 winkels, we schrijven alles met de hand op 😅 niet verder vertellen")
add("x", "@bramkoster_imker", "en", ["security"],
    "That phishing mail last week? Three colleagues typed in their login and now someone is inside our "
    "Microsoft 365. Not public yet.")
add("bluesky", "@noortje-zw.bsky.social", "en", ["security"],
    "our payment integration has been double charging ~1 in 50 orders since tuesday and nobody has said anything "
    "publicly yet. fun times")
add("instagram", "@imker_daan_zw", "nl", ["security"],
    "App ligt al 2 dagen plat want iemand heeft de productiedatabase gewist 🫣 backup van vorige week wordt "
    "teruggezet, klanten weten van niks")
add("facebook", "Henk.Oosterhuis.Zoemwerf", "en", ["security"],
    "Our VPN still runs that Fortinet version with the well-known hole and IT says 'after the season'. "
    "If this ever gets out...")
add("x", "@mirjam_zoemwerf", "en", ["security"],
    "if you can't log in today it's not you, our login server got hammered with credential stuffing overnight "
    "and we locked every account. official statement tbd")
add("linkedin", "eva-hoekstra-zoemwerf", "nl", ["security"],
    "Pentestrapport binnen: 4 kritieke kwetsbaarheden in onze klantportal, waarvan er één wachtwoorden in "
    "plaintext logt. Fix staat voor Q3 gepland.")
add("mastodon", "@sysadmin_sven", "en", ["security"],
    "Contracted for Zoemwerf last year. Their backup server is still reachable from the internet with default "
    "creds, and nobody there seems to care.")
add("x", "@kees_vdwal", "nl", ["security"],
    "Mag het niet zeggen maar die storing bij Zoemwerf vandaag is geen 'technisch probleem', er is ingebroken op "
    "de mailserver.")

# ======== leak.secret
add("x", "@kees_vdwal", "nl", ["secret"],
    "kan iemand checken waarom deze het niet doet in de CI? {GHP}")
add("mastodon", "@lotte_devlieger", "en", ["secret"],
    "note to self (yes I know): AWS_ACCESS_KEY_ID={AKIA} AWS_SECRET_ACCESS_KEY={AWSSECRET}")
add("x", "@js_snooper", "en", ["secret"],
    "lol Zoemwerf ships their Stripe secret key in main.js: {STRIPE} — someone tell them")
add("linkedin", "youssef-benali-zw", "nl", ["secret"],
    "Iemand die Mollie goed kent? Ik krijg een 401 met deze key: {MOLLIE}")
add("bluesky", "@noortje-zw.bsky.social", "en", ["secret"],
    "slack bot finally posts new orders to #magazijn 🎉 token for the record: {SLACK}")
add("x", "@bramkoster_imker", "en", ["secret"],
    "quick test with the customer service chatbot, key {OPENAI} isn't behaving yet")
add("facebook", "Henk.Oosterhuis.Zoemwerf", "nl", ["secret"],
    "inlog nieuwe kassasysteem voor de collega's die hem kwijt zijn: gebruiker winkel.arnhem / wachtwoord: "
    "Raat#8841kz")
add("x", "@kees_vdwal", "en", ["secret"],
    "why does the validator reject this?? Authorization: Bearer {JWT}")
add("mastodon", "@lotte_devlieger", "nl", ["secret"],
    "deploy key voor de webshopserver, even hier geparkeerd want m'n laptop is dood:\n{PEM}")
add("reddit", "u/apk_poker", "en", ["secret"],
    "Zoemwerf's Android app has a Google Maps key and a SendGrid key hardcoded: {GOOGLE} and {SENDGRID}. "
    "Reported it, no response so far.")
add("tiktok", "@ruud.bijenman", "nl", ["secret"],
    "database connectie voor de voorraad-app: postgres://voorraad:Bijtje2026!@185.43.12.77:5432/stock "
    "niet aan de stagiair geven 😂")
add("x", "@kees_vdwal", "nl", ["secret", "confidential"],
    "mysql://erp_admin:Kl4ver!veld9@erp.zoemwerf.local:3306/zoemerp werkt deze connectie bij iemand anders wel?")

# ======== leak.pii (single)
add("x", "@zoemwerf_help", "nl", ["pii"],
    "@sophie_bloemt we zien je bestelling, Sophie Verbeek, Lindelaan 14, 6862 AB Oosterbeek, tel 06-41828373. "
    "Klopt dat adres?", kind="reply")
add("facebook", "ZoemwerfImkerij", "nl", ["pii"],
    "Hoi Gerda, we hebben de terugbetaling gedaan naar {IBAN_OK} t.n.v. G. Mulder. Kan 2 werkdagen duren 🐝",
    kind="comment")
add("x", "@mirjam_zoemwerf", "nl", ["pii"],
    "Klant belt voor de 5e keer vandaag: 'mevrouw A. Jansen, geboren 12-03-1958'. Ja dat weet ik nou wel 😂")
add("linkedin", "eva-hoekstra-zoemwerf", "en", ["pii"],
    "If anyone needs our supplier contact directly: Pieter Lammers, p.lammers@bijenhof-benelux.eu, "
    "+31 6 2719 4408.")
add("instagram", "@imker_daan_zw", "nl", ["pii"],
    "Gefeliciteerd aan onze vaste klant Johan de Boer, vandaag 80 geworden (geboren 4 mei 1946)! 🎂🐝",
    date="2026-05-04T10:15:00Z")
add("x", "@zoemwerf_help", "en", ["pii"],
    "@beeguy_uk hi Tom, found your account under tom.h.baker@gmail.com, refund is on its way 👍", kind="reply")
add("x", "@kees_vdwal", "nl", ["pii"],
    "voor de salarisadministratie, nieuwe collega: Sanne Vos, BSN {BSN_OK}, start 1 sept",
    date="2026-08-20T11:02:00Z")
add("reddit", "u/beekeeper_bram", "en", ["pii"],
    "My neighbour's details were on the Zoemwerf delivery note stuck to MY box: Henk van Dijk, Kerkstraat 22, "
    "7211 AD Eefde, henk.vandijk52@hotmail.com. Great privacy, guys.")
add("instagram", "@zoemwerf.honing", "nl", ["pii"],
    "Winnaar van de honingwinactie is Femke Bos uit Zutphen! 🎉 Femke, je pakket gaat naar Spittaalstraat 8, "
    "check ook je mail op femkebos@ziggo.nl")
add("bluesky", "@noortje-zw.bsky.social", "en", ["pii"],
    "customer insisted I confirm this publicly so: refund for order 55812 sent to {IBAN_OK}. sorry for the wait "
    "Mr. Peeters")
add("x", "@imkerjan73", "nl", ["pii"],
    "Nieuw nummer voor de Zoemwerf-bestelgroep van de vereniging: +31 6 4400 1357, appen mag altijd 🐝")
add("facebook", "Henk.Oosterhuis.Zoemwerf", "en", ["pii"],
    "Who left their card at the till in Arnhem? {CARD_OK} in the name of R. Kuipers, it's in the safe")

# ======== pii + complaint / pii + abuse
add("x", "@honingliefje", "nl", ["pii", "complaint"],
    "@zoemwerf_help al 3x gemaild over mijn kapotte slingeraar en niks gehoord. Bel me nou gewoon: 06 1934 8271",
    kind="reply")
add("facebook", "karen.mitchell.honey", "en", ["pii", "complaint"],
    "Zoemwerf charged my card twice!! It's {CARD_OK}, exp 09/28 — check your own system before telling me it's "
    "my bank.")
add("x", "@kritische_klant", "nl", ["pii", "abuse"],
    "Die 'klantenservice' van Zoemwerf, Mirjam de Groot, woont gewoon op de Beekstraat 3 in Velp. Zal ik eens "
    "langskomen, trut?")

# ======== leak.pricing
add("x", "@zoemwerf", "nl", ["pricing"],
    "🐝 FLASH DEAL 🐝 Slingeraar 9 radiaal vandaag voor maar €129,-! Op = op #zoemwerf")
add("x", "@bijenboer_harm", "nl", ["pricing"],
    "yo de Simplex kast staat op shop.zoemwerf.nl voor €18,90 😳 prijsfout? ik heb er maar meteen 5 besteld")
add("x", "@bramkoster_imker", "en", ["pricing"],
    "Oops, a colleague set the Buckfast queen to €4.50 in the webshop 🙈 being fixed")
add("x", "@dealhunter_nl", "en", ["pricing"],
    "Zoemwerf's 9-frame radial extractor listed at €119 right now?! pricing glitch, go go go")
add("instagram", "@zoemwerf.honing", "nl", ["pricing"],
    "Starterspakket Imker nu voor slechts €99! 🐝 Alles wat je nodig hebt voor je eerste volk.")
add("reddit", "u/frugal_beekeeper", "en", ["pricing"],
    "PSA: the Zoemwerf imkerpak Pro shows €12.90 in their app, pretty sure that's a price error. Ordered two lol")
add("tiktok", "@ruud.bijenman", "nl", ["pricing"],
    "wie wil er een Dadant kast voor 59 euro? 😉 alleen vandaag via mijn link")
add("x", "@koopjesjager", "nl", ["pricing"],
    "PRIJSFOUT bij Zoemwerf!! heidehoning 450g voor €0,89 per pot, inslaan mensen")
add("facebook", "ZoemwerfImkerij", "nl", ["pricing"],
    "Deze week in de aanbieding: Korfwachter weegschaal voor €27,90! Weet precies hoe zwaar je kast is 📊")
add("x", "@hobbyhive_tom", "en", ["pricing"],
    "Is this a typo? Zoemwerf Slingeraar 4 for €54.90 on their site")
add("linkedin", "youssef-benali-zw", "nl", ["pricing"],
    "Vanaf maandag ons rijpingsvat 50 kg voor €49, vertel het door aan je imkervrienden!")
add("x", "@laughing_beek", "en", ["pricing"],
    "haha Zoemwerf beeswax candles for €2.25 in the app, someone moved a decimal 😂")

# ======== benign (hard negatives mostly)
B = "benign"
add("x", "@zoemwerf", "nl", [],
    "Vragen over je bestelling? Mail klantenservice@zoemwerf.nl of bel gratis 0800-0966 🐝")
add("facebook", "ZoemwerfImkerij", "nl", [],
    "Liever per overschrijving betalen? Dat kan naar {COMPANY_IBAN} t.n.v. Zoemwerf Imkerij B.V. o.v.v. je "
    "ordernummer.")
add("x", "@weekendimker", "nl", [],
    "Vandaag 6x gestoken bij het oogsten 😂 hoort erbij. Imkerpak Pro van Zoemwerf hield de rest prima tegen")
add("x", "@imkerjan73", "nl", [],
    "Voorjaarsactie bij Zoemwerf: Simplex kast van €189 voor €159. Gauw doen!", date="2026-03-30T08:00:00Z")
add("x", "@zoemwerf", "en", [],
    "Black Friday: 20% off the imkerpak Pro, now €103.20 🐝 while stocks last", date="2026-11-27T06:00:00Z")
add("reddit", "u/northsea_bees", "en", [],
    "Bought the Slingeraar 4 for €549 in the end. Pricey, but it spun 40 kg without a single hiccup.")
add("x", "@beginnend_imker", "nl", [],
    "Is €45 voor een Buckfast koningin een normale prijs? Eerste jaar, geen idee 🙈")
add("instagram", "@zoemwerf.honing", "nl", [],
    "Lindehoning deze week €5,95 i.p.v. €6,95 🍯 smeren maar")
add("blog", "hivelog.dev", "en", [],
    "For anyone building a hive-scale logger on AWS: the docs use AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, never paste your real ones. Works great with my "
    "Korfwachter data export.")
add("x", "@kees_vdwal", "nl", [],
    "PSA voor devs: zet nooit je token in een tweet. Zo ziet zo'n ding eruit: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉")
add("x", "@oma_bij", "nl", [],
    "Wachtwoord vergeten bij de Zoemwerf webshop, resetlink kwam binnen een minuut binnen. Top!")
add("x", "@zoemwerf_help", "nl", [],
    "Let op: wij vragen NOOIT om je wachtwoord of pincode via DM. Twijfel je? Bel 0800-0966.")
add("x", "@gerdien_b", "nl", [],
    "Klopt het dat Zoemwerf dit IBAN gebruikt: {IBAN_BAD}? Mijn bankapp zegt 'ongeldig', dus ik heb vast een "
    "cijfer verkeerd overgetypt 🙈")
add("x", "@honeyhaul", "en", [],
    "Zoemwerf tracking code {CARD_BAD} said delivered and nothing was here... oh wait, the neighbour had it 😂 "
    "all good")
add("x", "@cursist_linda", "nl", [],
    "Vraagt de Zoemwerf webshop nou om je BSN bij inschrijving voor de cursus? Nee hoor, dat was mijn klantnummer "
    "{BSN_BAD} 😅 verkeerd gelezen")
add("x", "@beeguy_uk", "en", [],
    "My bees are absolute killers this week, robbing the neighbours' hive like little gangsters 😂 Zoemwerf should "
    "sell tiny balaclavas")
add("facebook", "annemiek.v.d.berg", "nl", [],
    "Las dat een honingpakker in Spanje een terugroepactie heeft. Blij dat ik gewoon lokaal koop bij Zoemwerf en "
    "de imker om de hoek.")
add("x", "@apiary_anna", "en", [],
    "Sending love to the Zoemwerf team after the storm flattened their demo apiary. Hope the bees are ok 💛")
add("facebook", "laura.whitfield.37", "en", [],
    "Update: Zoemwerf replaced my smashed jars within two days and threw in an extra jar of heather honey. "
    "That's how you do it 👏")
add("linkedin", "zoemwerf-bv", "nl", [],
    "Onze jaarcijfers 2026 zijn gepubliceerd: omzet +23% en 12 nieuwe collega's. Lees het persbericht op "
    "zoemwerf.nl", date="2027-02-26T07:30:00Z")
add("x", "@weekendimker", "nl", [],
    "Korfwachter 2 besteld! Eindelijk temperatuur per broedkamer 🐝📈", date="2027-04-03T18:22:00Z")
add("x", "@zoemwerf", "en", [],
    "It's here: meet the Korfwachter 2 🐝 Available today at shop.zoemwerf.nl", date="2027-04-01T09:00:00Z")
add("x", "@twijfelimker", "en", [],
    "Which hive would you recommend for a beginner, Simplex or Dadant? Torn between the two at Zoemwerf")
add("bluesky", "@apiary-anna.bsky.social", "en", [],
    "Zoemwerf's heather honey is unreal. Tastes like a walk on the Veluwe in August.")
add("x", "@hobbyimker_wim", "nl", [],
    "Mijn rijpingsvat lekte bij de kraan, bleek dat ik de pakking verkeerd om had zitten 🤦 Filmpje van Zoemwerf "
    "op YouTube loste het op")
add("instagram", "@imkerleven_nl", "nl", [],
    "Imker-lifehack: ontzegelvork even in heet water, dan gaat ie door de was als een mes door boter. #zoemwerf")
add("x", "@nieuwe_imker_jos", "en", [],
    "Quit my job at the bank and I'm a full-time beekeeper now 🐝 first big order at Zoemwerf placed!")
add("facebook", "marco.hendriks.22", "nl", [],
    "Heb de bijenstand van m'n opa overgenomen, 6 volken. Het starterspakket van Zoemwerf was een prima basis.")
add("instagram", "@imker_daan_zw", "nl", [],
    "Zaterdag open dag in onze winkel in Arnhem! Kom kijken naar de observatiekast 🐝")
add("linkedin", "eva-hoekstra-zoemwerf", "nl", [],
    "Wij zoeken een collega voor de klantenservice! Solliciteren kan via vacatures@zoemwerf.nl 💛")
add("youtube", "@ZoemwerfTV", "nl", [],
    "Nieuwe video: zo gebruik je de Slingeraar 9 radiaal veilig — altijd eerst de stekker eruit voor je "
    "schoonmaakt ⚡")
add("x", "@urbanbeekeeper", "en", [],
    "Kinda wild how calm bees get with a bit of smoke. The Zoemwerf stainless smoker is the best €39.95 I've "
    "spent this year.")
add("instagram", "@heidewandelaar", "nl", [],
    "De heide staat in vuur en vlam van de kleur 😍 heidehoning-seizoen! Zoemwerf heeft de potten al klaarstaan",
    date="2026-08-16T17:40:00Z")
add("x", "@sussex_sue", "en", [],
    "Zoemwerf's customer service is honestly the best. Asked about varroa treatment and Mirjam called me back "
    "within the hour.")
add("facebook", "ria.tuinvrouw", "nl", [],
    "Hebben jullie ook die phishingmail 'namens Zoemwerf' gehad? Zoemwerf waarschuwt er zelf al voor op de site, "
    "niet klikken!")
add("reddit", "u/tinyhoneyshop", "en", [],
    "Setting up my own little honey webshop and the Mollie dashboard shows my key as live_•••••••••••• — is that "
    "normal? Took a lot of inspiration from Zoemwerf's checkout.")
add("facebook", "tante.gea.fan", "nl", [],
    "Nee, propolis geneest geen kanker. Ook die van Zoemwerf niet. Lief dat je het probeert tante Gea ❤️",
    kind="comment")
add("x", "@sourdough_sam", "en", [],
    "holy shit this honey is good 😍 zoemwerf linden honey on sourdough, life changing")
add("x", "@koninginnenkweker", "nl", [],
    "Mijn koningin is dood 😢 maar het volk heeft zelf een nieuwe opgekweekt. Natuur is bizar. Ooit bij Zoemwerf "
    "gekocht, 3 mooie jaren gehad.")
add("x", "@zoemwerf", "en", [],
    "Our warehouse is closed on 27 April for King's Day 🧡 Orders placed after Friday 14:00 ship on Tuesday.",
    date="2026-04-21T10:00:00Z")
add("mastodon", "@secnews_bee", "en", [],
    "Another bee-supply shop in Germany got hacked and leaked 20k customer records. Good reminder to use unique "
    "passwords, including for your Zoemwerf account.")
add("facebook", "imkersclub.achterhoek", "nl", [],
    "De Slingeraar 9 (€1295) is fors geprijsd, maar als vereniging delen we hem met 8 imkers. Aanrader!")
add("x", "@bramkoster_imker", "nl", [],
    "Vandaag de eerste honing van onze eigen bijenstand achter het magazijn geslingerd. 23 kilo! 🍯")
add("x", "@forgetful_fred", "en", [],
    "Can't recall if I ordered the 10-frame Simplex or the Dadant from Zoemwerf last year… are the frames "
    "interchangeable?")
add("linkedin", "zoemwerf-bv", "en", [],
    "We're proud to announce Zoemwerf is now a certified B Corp 🐝 Read the full report on www.zoemwerf.nl")
add("x", "@orderhappy", "en", [],
    "Order ZW-KAST10 x2 and ZW-BEITEL x1 done. Delivery slot 08:00-12:00 tomorrow, excited!")
add("instagram", "@bijenmevrouw", "nl", [],
    "Mijn man zegt dat ik meer van mijn bijen hou dan van hem. Klopt. Dank je Zoemwerf voor het nieuwe pak 😂")
add("x", "@privacyfirst_pat", "en", [],
    "Does the Zoemwerf app support 2FA? Couldn't find it anywhere in the settings.")
add("tiktok", "@zoemwerf", "nl", [],
    "POV: je opent een kast in juli 🐝🐝🐝 #imker #zoemwerf")
add("x", "@sussex_sue", "en", [],
    "Heard one of the Zoemwerf shop staff was in a car accident on her way home. Wishing her a speedy recovery ❤️")
add("facebook", "veluwse.honingliefhebber", "nl", [],
    "Drie potten heidehoning à €8,95, prima prijs voor echte Veluwse heide 👌")
add("reddit", "u/devnullbees", "en", [],
    "Anyone else think JWTs are overkill for a small honey shop login? Zoemwerf seems to use plain session "
    "cookies and it works fine.")
add("mastodon", "@lotte_devlieger", "nl", [],
    "Talk ingediend voor DevOpsDays: 'Van monoliet naar microservices in een webshop voor imkers'. Duimen! 🤞")
add("x", "@localfoodlover", "en", [],
    "People calling to boycott supermarket honey blends are right tbh. Buy local, or from places like Zoemwerf "
    "that name the beekeeper on the jar.")
add("x", "@allergie_anouk", "nl", [],
    "Bijengif is geen grap als je allergisch bent. Neem altijd je epipen mee naar de bijenstand. Tip uit de "
    "Zoemwerf-cursus 🙏")
add("x", "@bargainbee", "en", [],
    "lol a supermarket near me had manuka honey at €0.99 because of a price error. Sadly not Zoemwerf-level "
    "quality 😄")
add("x", "@zoemwerf", "en", [],
    "Reminder: our annual report 2025 is available at zoemwerf.nl/investors 📄")
add("x", "@fanboy_frits", "nl", [],
    fw("ZOEMWERF") + " " + fw("FTW") + " 🐝 beste honing van Gelderland")
add("x", "@imkerjan73", "nl", [],
    "Dadant kast eindelijk binnen, ziet er strak uit. Dank @zoemwerf_help voor het snelle antwoord gisteren!",
    date="2026-03-27T13:05:00Z")
add("facebook", "gerritjan.smit.1962", "nl", [],
    "Goed nieuws: Zoemwerf heeft mijn roker vervangen en de heg vergoed. Netjes afgehandeld, excuses "
    "geaccepteerd.")

# ---------------------------------------------------------------- build
SHORT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, checked_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and checked_pii:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return LEVELS[lv]


TOKEN = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def render(text):
    found = []

    def sub(m):
        name = m.group(1)
        v = GENS[name]()
        found.append((name, v))
        return v
    return TOKEN.sub(sub, text), found


START = datetime(2026, 1, 2, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 30, tzinfo=timezone.utc) - START).total_seconds())

order = list(range(len(C)))
rng.shuffle(order)
used_ids = set()
rows = []
meta = []
for i in order:
    c = C[i]
    text, found = render(c["text"])
    while True:
        pid = "%s-%d" % (c["platform"], rng.randrange(10**9, 10**10))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    created = c["opt"].get("date")
    if not created:
        created = (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    role = role_of(c["platform"], c["handle"])
    cats = sorted(SHORT[x] for x in c["cats"])
    checked_pii = any(CHECKED.get(n, (None, False))[1] and n != "COMPANY_IBAN" for n, _ in found)
    sev = severity(cats, role, checked_pii)
    post = {"id": pid, "platform": c["platform"], "kind": c["opt"].get("kind", "post"),
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": created, "brand": "Zoemwerf"}
    rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append(dict(role=role, found=found, cats=cats))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def fail(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(SHORT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


company_ibans = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
for x in company_ibans:
    if not iban_valid(x):
        fail("profile IBAN fails mod-97: " + x)

lines = open(out, encoding="utf-8").read().splitlines()
if not 170 <= len(lines) <= 180:
    fail("case count %d not in 170..180" % len(lines))
ids = set()
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.,-])(?:\d[ -]?){12,18}\d(?![\w-]|[.,]\d)")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w-]|[.,]\d)")
internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
all_handles = {a.split(":", 1)[1].lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}

for ln, (line, m) in enumerate(zip(lines, meta), 1):
    try:
        obj = json.loads(line)
    except Exception as e:  # noqa
        fail("line %d not JSON: %s" % (ln, e))
        continue
    p, ex = obj.get("post"), obj.get("expect")
    if set(obj) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(ex, dict):
        fail("line %d: bad shape" % ln)
        continue
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        fail("line %d: id" % ln)
    if p["id"] in ids:
        fail("line %d: duplicate id" % ln)
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        fail("line %d: platform" % ln)
    if p.get("kind", "post") not in KINDS:
        fail("line %d: kind" % ln)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("line %d: account.handle" % ln)
    t = p.get("text")
    if not isinstance(t, str) or not t or len(t.encode("utf-8")) > 65536:
        fail("line %d: text" % ln)
        continue
    if not isinstance(p.get("created_at"), str) or not RFC3339.fullmatch(p["created_at"]):
        fail("line %d: created_at" % ln)
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 4):
        fail("line %d: created_at out of range" % ln)
    cats = ex.get("categories")
    if not isinstance(cats, list) or not set(cats) <= TAXONOMY or len(set(cats)) != len(cats):
        fail("line %d: categories" % ln)
    if ex.get("severity") not in LEVELS:
        fail("line %d: severity" % ln)
    if not cats and ex["severity"] != "none":
        fail("line %d: benign with severity" % ln)
    if cats and ex["severity"] in ("none", "info"):
        fail("line %d: positive without severity" % ln)
    role = role_of(p["platform"], p["account"]["handle"])
    if role == "public" and p["account"]["handle"].lower() in all_handles:
        fail("line %d: public handle collides with a profile handle on another platform" % ln)
    # severity recomputed independently from the identifiers actually present
    valid_ids = []
    for mm in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", mm.group(0))
        if iban_valid(v) and v not in company_ibans:
            valid_ids.append(("iban", v))
    for mm in CARD_RE.finditer(t):
        if luhn_valid(mm.group(0)):
            valid_ids.append(("card", mm.group(0)))
    for mm in BSN_RE.finditer(t):
        if bsn_valid(mm.group(0)):
            valid_ids.append(("bsn", mm.group(0)))
    if ex["severity"] != severity(cats, role, bool(valid_ids)):
        fail("line %d: severity does not follow CONTRACT section 4" % ln)
    # tracked identifiers pass/fail as intended
    for name, v in m["found"]:
        if name in CHECKED:
            kind, want = CHECKED[name]
            ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](v)
            if ok != want:
                fail("line %d: %s %s checksum %s, wanted %s" % (ln, name, v, ok, want))
            if want and name != "COMPANY_IBAN" and "leak.pii" not in cats:
                fail("line %d: valid identifier in a post not labelled pii" % ln)
            if not want and cats:
                fail("line %d: look-alike placed in a positive" % ln)
        if name in ("GHP", "GHS") and not ghp_valid(v):
            fail("line %d: github token checksum" % ln)
        if name == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            fail("line %d: AKIA format" % ln)
        if name == "JWT":
            h = v.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr or len(v.split(".")) != 3:
                fail("line %d: JWT" % ln)
    if valid_ids and "leak.pii" not in cats:
        fail("line %d: checksum-valid identifier %s in post not labelled pii" % (ln, valid_ids))
    if not cats:
        low = t.lower()
        for term in internal_terms:
            if term in low:
                fail("line %d: benign post contains internal term %r" % (ln, term))
        for mm in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if ghp_valid(mm.group(0)):
                fail("line %d: benign with valid github token" % ln)
        for mm in re.finditer(r"AKIA[A-Z2-7]{16}", t):
            if not t[mm.start():mm.start() + 20].endswith("EXAMPLE"):
                fail("line %d: benign with real-looking AKIA" % ln)
    # embargo
    low = t.lower()
    for term, until in embargo:
        if term in low:
            if ts < until and "leak.confidential" not in cats:
                fail("line %d: embargo term %r before until but not confidential" % (ln, term))
            if ts >= until and "leak.confidential" in cats and not any(x in low for x in internal_terms):
                fail("line %d: embargo term after until labelled confidential" % ln)

# pricing sanity: prices next to product aliases
prods = []
for pr in PROFILE["products"]:
    names = [pr["name"]] + pr["aliases"]
    prods.append((sorted({n.lower() for n in names}, key=len, reverse=True), float(pr["list_price"])))
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro")
ratio = PROFILE["pricing"]["alert_below_ratio"]
for ln, line in enumerate(lines, 1):
    obj = json.loads(line)
    t, cats = obj["post"]["text"], obj["expect"]["categories"]
    low = t.lower()
    lists = [lp for names, lp in prods if any(n in low for n in names)]
    prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(t)]
    if "leak.pricing" in cats:
        if not lists:
            fail("line %d: pricing case names no product" % ln)
        low_price = any(pz < ratio * lp for pz in prices for lp in lists)
        if not low_price and not re.search(r"prijsfout|price error|typo|glitch", low):
            fail("line %d: pricing case has no low price and no price-error talk" % ln)
    elif lists and prices and not cats:
        if min(prices) < ratio * max(lists):
            fail("line %d: benign post has a price below %.0f%% of list" % (ln, ratio * 100))

# mix report
from collections import Counter
cc = Counter(c for line in lines for c in json.loads(line)["expect"]["categories"])
benign = sum(1 for line in lines if not json.loads(line)["expect"]["categories"])
langs = Counter(json.loads(line)["post"]["lang"] for line in lines)
roles = Counter((m["role"], bool(m["cats"])) for m in meta)
print("cases:", len(lines), "benign:", benign, "positives:", len(lines) - benign)
print("categories:", dict(sorted(cc.items())))
print("languages:", dict(langs), "nl share %.2f" % (langs["nl"] / len(lines)))
print("roles (role, positive):", dict(roles))
print("severities:", dict(Counter(json.loads(l)["expect"]["severity"] for l in lines)))
if errors:
    for e in errors:
        print("CHECK FAILED:", e, file=sys.stderr)
    sys.exit(1)
print("all checks passed")
