#!/usr/bin/env python3
"""Blind evaluation set 252 for postwatch: Tassaro B.V., a webshop in pre-owned
designer handbags. Hand-written posts; identifiers and credentials are generated
here with a fixed seed. Writes cases.jsonl next to this file and checks it."""
import base64
import datetime as dt
import json
import os
import re
import random
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(252)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rs(30, B62)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rs(40, ALNUM + "/+")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def rsa_block():
    raw = bytes(rng.randrange(256) for _ in range(360))
    b = "MIIEowIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(n=14):
    pw = rs(n, ALNUM + "!#$%&*?")
    return pw


def iban_checkdigits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def nl_iban(valid=True, spaced=False):
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "BUNQ", "KNAB", "SNSB", "ASNB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    cd = iban_checkdigits("NL", bank + acct)
    if not valid:
        cd = "%02d" % ((int(cd) + rng.randint(1, 40)) % 97 + 2)
        if iban_ok("NL" + cd + bank + acct):
            return nl_iban(valid, spaced)
    s = "NL" + cd + bank + acct
    return group4(s) if spaced else s


def be_iban():
    base = rng.randint(10 ** 9, 10 ** 10 - 1)
    chk = base % 97 or 97
    bban = "%010d%02d" % (base, chk)
    return group4("BE" + iban_checkdigits("BE", bban) + bban)


def de_iban():
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    return group4("DE" + iban_checkdigits("DE", bban) + bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(valid=True, prefix="4"):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in range(10):
        if luhn_ok(body + str(last)):
            good = last
            break
    last = good if valid else (good + rng.randint(1, 9)) % 10
    return group4(body + str(last))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def bsn(valid=True):
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        hits = [x for x in range(10) if bsn_ok(head + str(x))]
        if valid and hits:
            return head + str(hits[0])
        if not valid:
            misses = [x for x in range(10) if not bsn_ok(head + str(x))]
            return head + str(rng.choice(misses))


def mobile(style):
    d = str(rng.randint(1, 5)) + "".join(rng.choice(string.digits) for _ in range(7))
    return {
        "dash": f"06-{d}",
        "plain": f"06{d}",
        "spaced": f"06 {d[:4]} {d[4:]}",
        "intl": f"+31 6 {d}",
        "pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
    }[style]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_O, CYR_E, CYR_A = "\u043e", "\u0435", "\u0430"

# ---------------------------------------------------------------- authors
# (intended role, "platform:handle")
def corp(h):
    return ("corporate", h)


def emp(h):
    return ("employee", h)


def pub(h):
    return ("public", h)


TS_NL = corp("x:@tassaro_nl")
TS_HELP = corp("x:@tassaro_help")
TS_IG = corp("instagram:@tassaro.vintage")
TS_TT = corp("tiktok:@tassaro")
TS_LI = corp("linkedin:tassaro-bv")
TS_FB = corp("facebook:TassaroVintage")
MEREL = emp("x:@merelvdlinden")
DAAN = emp("x:@daan_authentiek")
NOOR = emp("instagram:@noor.checkt.tassen")
ILSE = emp("linkedin:ilse-kramer-tassaro")
YOUSSEF = emp("linkedin:youssef-benali-ops")
LOTTE = emp("tiktok:@lotte.achterdeschermen")
KEVIN = emp("x:@kevin_dk_dev")
SOPHIE = emp("bluesky:@sophiemulder.bsky.social")
BRAM = emp("mastodon:@bramh@techhub.social")
FEMKE = emp("threads:@femke.inkoop")

CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis",
    "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
    "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security",
}

RAW = []


def P(author, lang, cats, text, kind="post", at=None, allow=(), display=None):
    RAW.append(dict(author=author, lang=lang, cats=[CAT[c] for c in cats], text=text,
                    kind=kind, at=at, allow=set(allow), display=display))


# ================================================================ COMPLAINTS
P(pub("x:@marloes_vh"), "nl", ["complaint"],
  "@tassaro_help al drie weken wacht ik op mijn terugbetaling voor de Tessa 28 die ik heb teruggestuurd. "
  "Volgens track & trace hebben jullie hem op 4 maart binnengekregen. Wanneer zie ik mijn geld terug??",
  kind="reply")
P(pub("instagram:@kaylabuysbags"), "en", ["complaint"],
  "Ordered the Kelso 25 listed as 'excellent condition'. Corners are rubbed through and there's a pen mark "
  "in the lining that was conveniently not in the photos. For almost ten grand?? Really not ok @tassaro.vintage",
  kind="comment")
P(pub("facebook:sandra.wijnberg"), "nl", ["complaint"],
  "Mijn Sella in januari bij Tassaro in consignatie gegeven. Op 12 februari verkocht. Uitbetaling? Nog steeds "
  "niks. Elke mail krijgt hetzelfde antwoord: 'we kijken ernaar'. Ik ben er eerlijk gezegd helemaal klaar mee.")
P(pub("reddit:u/throwaway_bagcurious"), "en", ["complaint"],
  "PSA re Tassaro: my Palais Mini arrived without the dust bag and the authenticity card that were literally "
  "listed in the description. Support's answer: 'descriptions may contain errors'. Then... fix your descriptions?")
P(pub("x:@dewi_sneek"), "nl", ["complaint"],
  "pakket van tassaro 'bezorgd' volgens dhl maar hier ligt echt niks. klantenservice verwijst naar dhl, dhl "
  "verwijst naar tassaro. leuk pingpongen met 1900 euro aan tas 🙃")
P(pub("tiktok:@jasmijn.thrift"), "nl", ["complaint"],
  "eerlijke review tassaro: tas stinkt naar sigarettenrook 🤢 stond nergens in de beschrijving. retour aangevraagd "
  "en ik moet zelf 25 euro verzendkosten betalen?? nooit meer #tassaro #vintagebags")
P(pub("x:@Rob_Hallworth"), "en", ["complaint"],
  "Tassaro offered me a measly €300 to consign my Aurèle flap and two weeks later listed one just like it for "
  "€5,400. Is that normal?? Feels like a proper ripoff tbh")
P(pub("forum:tasjesmeisje84"), "nl", ["complaint"],
  "Heeft iemand anders ook gedoe met de chat van Tassaro? Ik krijg al dagen een bot die me in rondjes laat lopen, "
  "mijn bestelling is zonder reden geannuleerd en het geld staat nog steeds 'in behandeling'. Hoe krijg ik daar "
  "een mens te spreken?")
P(pub("bluesky:@noemi.reads"), "en", ["complaint"],
  "tassaro sent me the wrong bag. ordered a black Nuit Bucket, got a tan one with a busted zip. how does an "
  "'authenticated & inspected' bag have a busted zip lol")
P(pub("x:@pietjanssens"), "nl", ["complaint"],
  "@tassaro_nl op jullie site staat 'levering in 1-2 werkdagen'. ik zit nu op dag 9. en op dat 020 nummer neemt "
  "ook niemand op", kind="reply")
P(pub("instagram:@rosa.mode"), "nl", ["complaint"],
  "Retour geweigerd vanwege 'gebruikssporen'. Die zaten er AL op toen ik hem kreeg, ik heb de unboxing nota bene "
  "gefilmd!! Echt heel teleurstellend @tassaro.vintage", kind="comment")
P(pub("threads:@femkeloos"), "nl", ["complaint"],
  "tassaro heeft mijn kelso twee keer afgeschreven van mn creditcard. 2x 8900. nu al 5 dagen 'we zoeken het uit'. "
  "ik word hier echt gek van")
P(pub("x:@lenaschreurs"), "nl", ["complaint"],
  "Vorige week een Micro Pochette besteld, krijg ik vandaag een mail dat hij 'helaas toch al verkocht' was. "
  "Waarom staat ie dan online?? En mijn geld pas over 10 werkdagen terug 🙄")

# complaint + personal data (customer exposing own data)
P(pub("x:@anoukdejong_"), "nl", ["complaint", "pii"],
  f"@tassaro_help bel me gewoon even terug ipv die standaardmails, {mobile('dash')}. bestelling TS-118204, "
  "tas is er nog steeds niet", kind="reply")
P(pub("x:@gracie_m"), "en", ["complaint", "pii"],
  "@tassaro_help two weeks, zero replies. my email is grace.mbeki91@outlook.com, order TS-220719, "
  "just refund me please", kind="reply")

# safety incidents told first-hand: crisis + complaint
P(pub("facebook:linda.overbeek.5"), "nl", ["crisis", "complaint"],
  "WAARSCHUWING! Die lederverzorgingsset van Tassaro gebruikt op mijn tas en een uur later brandende rode plekken "
  "en blaartjes op mijn handen. Huisarts zegt chemische irritatie. Nergens op de verpakking iets over handschoenen. "
  "Schandalig.")
P(pub("x:@jordyn_cole"), "en", ["crisis", "complaint"],
  "the chain on my Camille WOC from @tassaro_nl snapped on an escalator and the clasp sliced my finger open. "
  "3 stitches. 'inspected by experts' yeah sure")
P(pub("x:@sterre_bos"), "nl", ["crisis", "complaint"],
  "Tas van Tassaro binnen, hele voering zat onder de schimmel. Heb er een dag mee rondgelopen voor ik het zag en "
  "lag vannacht benauwd met een astma-aanval op de bank. Hoe mis je dat bij een 'inspectie'?!")
P(pub("instagram:@mira.handmade"), "en", ["crisis", "complaint"],
  "My daughter came out in a nasty rash on her shoulder from the Arco Crossbody strap we bought from Tassaro - "
  "the dermatologist says it's nickel in the hardware. Emailed them twice, nobody seems to care.")

# complaint + abuse
P(pub("x:@gerrit_1971"), "nl", ["complaint", "abuse"],
  "Tassaro stelletje oplichters. Jullie klantenservice bestaat uit incompetente idioten. Waar blijft mijn geld "
  "voor die retour???")
P(pub("x:@bigdawg_dre"), "en", ["complaint", "abuse"],
  "@tassaro_help you useless clowns lost my bag AGAIN. worst shop in europe, fuck you and your "
  "'we're looking into it'", kind="reply")

# ================================================================ CRISIS
P(pub("x:@fashionwatchdog"), "en", ["crisis"],
  "Thread 🧵 Multiple buyers now say 'authenticated' Kelso bags from Tassaro are superfakes. One had hers checked "
  "at the brand boutique in Paris: not genuine. If you bought one this year, get it checked. #Tassaro #fakes")
P(pub("x:@consumentenfan"), "nl", ["crisis"],
  "Is Tassaro gehackt? Ik krijg phishingmails met mijn naam, adres én mijn laatste bestelling erin. Dat kan alleen "
  "uit hun klantenbestand komen. #datalek #tassaro")
P(pub("reddit:u/leatherlegal"), "en", ["crisis"],
  "Consignors who never got paid by Tassaro: a lawyer in Utrecht is putting together a class action. 30+ people "
  "signed up already. DM me and I'll pass on her details.")
P(pub("instagram:@dierenvrij_nl"), "nl", ["crisis"],
  "Tassaro verkoopt nog steeds tassen van krokodillen- en pythonleer. Boycot Tassaro tot ze ermee stoppen! "
  "Delen = steunen 🐊 #boycottassaro")
P(pub("x:@carlahdz"), "en", ["crisis"],
  "A friend's toddler swallowed a tiny screw that came loose from a Tassaro bag charm and ended up in A&E. "
  "He's fine now thank god but wow, check your bags people")
P(pub("tiktok:@eva.ontmaskert"), "nl", ["crisis"],
  "deel 2 van mijn tassaro onderzoek 🔎 drie ex-medewerkers vertellen me dat tassen als 'geauthenticeerd' werden "
  "verkocht zonder dat iemand er ooit naar gekeken had. dit is een schandaal en iedereen moet het weten")
P(pub("linkedin:jeroen-smit-advocaten"), "en", ["crisis"],
  "Today we issued summons on behalf of 42 consignors against Tassaro B.V. over withheld payouts totalling more "
  "than €380,000. We expect the first hearing in the autumn.")
P(pub("x:@privacyfirst_eu"), "en", ["crisis"],
  "@tassaro_help when I logged into your consignor portal this morning I saw someone else's name, address and bank "
  "details. That is a data breach, full stop. Have you notified the AP?", kind="reply")
P(pub("x:@huismusmarieke"), "nl", ["crisis"],
  "Via de buurtapp: vrouw uit Zwolle heeft brandwonden aan haar been nadat dat Tassaro leerpoetsspul in haar tas "
  "was gaan lekken. Pas op met die flesjes mensen.")
P(pub("x:@echtnietblij"), "nl", ["crisis", "abuse"],
  "Tassaro = nepwinkel, verkoopt namaak als echt. Boycotten die hele tyfuszooi, en die eigenaar erbij.")

# ================================================================ ABUSE
P(pub("x:@xkevinx010"), "nl", ["abuse"], "tassaro kankerbedrijf")
P(pub("x:@hatefulhal"), "en", ["abuse"],
  "that noor girl doing tassaro's videos is hideous lmao. who hired her, the diversity quota?")
P(pub("instagram:@mrbigmouth_nl"), "nl", ["abuse"],
  "@noor.checkt.tassen jij ziet het verschil tussen echt en nep nog niet als het in je gezicht slaat, dom wijf",
  kind="comment")
P(pub("x:@r4g3_q"), "en", ["abuse"],
  "T4ss4r0 = sc4mm3rs & l14rs. burn in h3ll u p1eces of sh1t")
P(pub("facebook:ronald.vd.berg.77"), "nl", ["abuse"],
  f"Tassaro zijn gewoon {CYR_O}plichters en hun personeel is een stel sukk{CYR_E}ls")
P(pub("x:@hardop_gezegd"), "nl", ["abuse"],
  "T.a.s.s.a.r.o is een k.u.t.b.e.d.r.i.j.f vol k.l.o.o.t.z.a.k.k.e.n")
P(DAAN, "nl", ["abuse"],
  "@gerrit_1971 als je op die toon blijft praten mag je je nepgeld lekker houden, mafkees. Leer eerst lezen.",
  kind="reply")
P(pub("threads:@sassyshopper"), "en", ["abuse"],
  "whoever runs @tassaro.vintage is a brain-dead moron. delete your account and your shop")
P(TS_HELP, "en", ["abuse"],
  "@bigdawg_dre maybe learn to read your own tracking link, genius. Pathetic.", kind="reply")
P(pub("x:@zwijgnooit"), "nl", ["abuse"],
  fullwidth("vuile oplichters") + " @tassaro_nl, " + fullwidth("hoop dat jullie failliet gaan, eikels"))

# ================================================================ CONFIDENTIAL
P(KEVIN, "nl", ["conf"],
  "lange dag maar Project Ekster draait eindelijk groen op staging 🎉 morgen demo voor Merel, duimen")
P(ILSE, "en", ["conf"],
  "Incredibly proud of the small team behind Goudvink. I can't share details yet, but it will change how "
  "consignment works across Europe. More soon!")
P(NOOR, "nl", ["conf"],
  "sneak peek van waar we stiekem aan werken 👀 Operatie Fluweel komt eraan en ik kan niet wachten "
  "#tassaro #behindthescenes")
P(YOUSSEF, "en", ["conf"],
  "Sharing one slide from our warehouse review. It says 'strikt vertrouwelijk - tassaro' at the top, but these "
  "numbers deserve celebrating: returns down to 6.1%, pick accuracy 99.4%, average dispatch 19 hours. 💪")
P(KEVIN, "en", ["conf"],
  "anyone else getting timeouts on grafana.tassaro.internal/d/orders-overview? only when I'm on the vpn, "
  "works fine from the office")
P(LOTTE, "nl", ["conf"],
  "vandaag de launchvideo voor Tassaro Rent gefilmd!! huren ipv kopen 💼✨ jullie gaan het zo leuk vinden, "
  "nog even geduld", at="2026-12-02T15:41:07Z")
P(TS_IG, "nl", ["conf"],
  "Binnenkort bij ons: TassaroRent 💫 Designer tassen huren vanaf €49 per maand. Stay tuned!",
  at="2027-01-14T18:00:00Z")
P(ILSE, "en", ["conf"],
  "Last late night on the jaarcijfers 2026: auditors signed off an hour ago, board presentation tomorrow "
  "morning. Bring on the weekend ☕", at="2027-02-12T22:47:30Z")
P(SOPHIE, "nl", ["conf"],
  "nieuwe retourscripts binnen. staat wel 'niet extern delen' boven maar dit moet ik even kwijt: 'twijfelt klant "
  "aan echtheid? bied eerst 15% tegoed aan in plaats van retour' 😬 ik weet het niet hoor")
P(pub("x:@insider_luxe"), "en", ["conf"],
  "Hearing that Tassaro's 'Project Ekster' is a resale app for the German market, launching in spring. "
  "Source has seen the deck.")
P(pub("reddit:u/devnl_"), "en", ["conf"],
  "lol Tassaro's new vacancy page links straight to git.tassaro.dev/platform/checkout-service/-/merge_requests, "
  "so now everyone knows where their internal gitlab lives")
P(MEREL, "nl", ["conf"],
  f"Vandaag weer een hele dag G{ZW}oud{ZW}vink. Meer mag ik niet zeggen 🤫")
P(FEMKE, "nl", ["conf"],
  fullwidth("OPERATIE FLUWEEL") + " 🖤 wie weet, die weet")
P(DAAN, "nl", ["conf"],
  "P r o j e c t   E k s t e r gaat in april live. Meer zeg ik niet 🐦")
P(YOUSSEF, "nl", ["conf", "fin"],
  "Operatie Fluweel in het kort: het depot in Antwerpen gaat dicht en alles verhuist naar Amersfoort. Ongeveer "
  "twintig collega's krijgen een ander aanbod of moeten helaas vertrekken. Zwaar, maar nodig.")
P(pub("x:@beursbabbel"), "nl", ["conf", "fin"],
  "Goudvink blijkt de codenaam voor de verkoop van Tassaro aan een Parijse luxegroep, zeggen twee ingewijden. "
  "De deal zou rond de €60 mln liggen.")
P(FEMKE, "nl", ["conf"],
  "we gaan binnenkort ook vintage horloges verkopen 🤐 eerste partij is al ingekocht, ssst niet doorvertellen")

# ================================================================ FINANCIAL
P(MEREL, "en", ["fin"],
  "Board just approved the takeover of our biggest Dutch competitor, ~€6M all in. Signing next week. "
  "Can't wait to tell everyone properly 🥂")
P(MEREL, "nl", ["fin"],
  "Term sheet getekend!! Series B van €18 mln, lead uit Londen. Aankondiging pas in juni dus mondje dicht "
  "iedereen 🤫")
P(YOUSSEF, "en", ["fin"],
  "Sharing this early with my network because I care about these people: Tassaro will cut roughly a third of "
  "the authentication team next quarter. If you're hiring experienced authenticators, please reach out.")
P(KEVIN, "nl", ["fin"],
  "gerucht op de werkvloer: we worden overgenomen door een van die grote Franse resale platforms. al twee weken "
  "lopen hier due diligence mensen met laptops rond 👀")
P(FEMKE, "nl", ["fin"],
  "Q3 was echt slecht, omzet 18% onder budget en nu inkoopstop tot januari. Is nog niet officieel gecommuniceerd "
  "maar ja.")
P(SOPHIE, "en", ["fin"],
  "Heard at today's all-hands: 2027 revenue forecast cut from €30M to €24M. Oof.")
P(pub("x:@tassenbeurs_insider"), "nl", ["fin"],
  "Via via: Tassaro sluit de Belgische tak en 15 man staat op straat. Al een maand besloten, nog altijd niet "
  "naar buiten gebracht.")
P(LOTTE, "nl", ["fin"],
  "storytime 🥲 vandaag gehoord dat we na de zomer met 12 mensen minder zijn. reorganisatie. officieel is er nog "
  "niks bekend dus meer zeg ik niet")
P(DAAN, "nl", ["fin"],
  "Bonus gaat dit jaar niet door. Ilse zei in het MT dat we de H1-target van 11 miljoen niet halen, we staan "
  "op 8,3. Top.")
P(ILSE, "en", ["conf", "fin"],
  "jaarcijfers 2026 are done: €23.9M revenue, €1.2M net profit. Publication is on 5 March but I couldn't wait, "
  "my team crushed it.", at="2027-02-25T08:12:44Z")

# ================================================================ SECURITY
P(BRAM, "en", ["sec"],
  "rough night. someone got into our consignor portal through an old admin account and pulled payout data. "
  "locked it down around 4am, comms haven't gone out yet. coffee please.")
P(KEVIN, "en", ["sec"],
  "found an IDOR in our own order API today 😬 change the order number in the URL and you get someone else's "
  "order. patched on staging, prod goes tomorrow")
P(SOPHIE, "nl", ["sec"],
  "Kan echt niks, de hele backoffice ligt al sinds 7 uur vanochtend plat en klanten krijgen nog van niks te "
  "horen. Dus als je belt: sorry 🙏")
P(YOUSSEF, "en", ["sec"],
  "Our warehouse scanners were hit by ransomware on Saturday. Shipping is paused while IT rebuilds everything. "
  "We're not telling customers yet, so please bear with us.")
P(LOTTE, "nl", ["sec"],
  "pov: je werkt bij een tassenwebshop, de hele site ligt al 6 uur plat en je mag er niks over posten 💀")
P(DAAN, "nl", ["sec"],
  "Haha onze S3 bucket met alle authenticatiefoto's bleek gewoon publiek te staan. Net dichtgezet. Hoeveel "
  "mensen erin hebben gekeken weet niemand 🙃")
P(BRAM, "en", ["sec"],
  "note to self: product search on our shop is SQL-injectable via the sort parameter. ticket filed, fix planned "
  "next sprint. please don't @ me about it")
P(pub("reddit:u/ex_tassaro_dev"), "en", ["sec"],
  "Ex-dev here. Tassaro's admin panel still runs on the default admin password from 2021, nobody ever rotated "
  "it. They know. They don't care.")
P(pub("x:@sec_researcher_nl"), "en", ["sec"],
  "Reported a stored XSS in Tassaro's product review form three weeks ago. Still unpatched, no reply. Giving "
  "them two more weeks before I publish the details.")
P(TS_HELP, "en", ["sec"],
  "@noemi.reads sorry for the slow reply! Our payment provider had a breach last night so card payments are "
  "switched off. We haven't announced it yet, but we're on it.", kind="reply")
P(KEVIN, "en", ["sec", "secret"],
  f"well. prod db creds ended up in a public repo this morning, rotating now. for the record: "
  f"postgres://tassaro_app:{rs(18)}@10.20.4.17:5432/shop")
P(FEMKE, "nl", ["sec"],
  "IT zegt dat we geen facturen meer mogen mailen omdat er een keylogger op de inkooplaptops is gevonden 🙄 "
  "nog niet bekendgemaakt, dus als je van mij geen factuur krijgt: daarom")

# ================================================================ SECRETS
P(KEVIN, "nl", ["secret"],
  f"waarom krijg ik opeens 401 op de deploy?? export GITHUB_TOKEN={github_token()} staat er gewoon in")
P(BRAM, "en", ["secret"],
  f"backup job creds so I stop losing them:\nAWS_ACCESS_KEY_ID={aws_key_id()}\n"
  f"AWS_SECRET_ACCESS_KEY={aws_secret()}")
P(pub("forum:scriptkiddo_nl"), "nl", ["secret"],
  f"Haha Tassaro heeft hun Mollie live key gewoon in de frontend JS staan: live_{rs(30)} 🤡")
P(SOPHIE, "nl", ["secret"],
  f"nieuwe login voor de gedeelde klantenservice-inbox want de oude is verlopen: gebruiker kcs-team, "
  f"wachtwoord: {password()} niet kwijtraken team!")
P(KEVIN, "en", ["secret"],
  f"slack bot for #orders-alerts keeps dying, token is xoxb-{rng.randint(10**11, 10**12 - 1)}-"
  f"{rng.randint(10**12, 10**13 - 1)}-{rs(24)} can someone check the scopes")
P(BRAM, "en", ["secret"],
  "for the intern, deploy key for the staging box (yes I know):\n" + rsa_block())
P(KEVIN, "en", ["secret"],
  "why does this prod token say exp is in 2019?? " +
  jwt({"sub": "usr_" + rs(10), "role": "admin", "iss": "tassaro-auth", "iat": 1546300800, "exp": 1546387200}))
P(LOTTE, "nl", ["secret"],
  f"help ik heb per ongeluk de OpenAI key van onze caption-tool in mijn story gezet 😭 "
  f"sk-proj-{rs(74, URLSAFE)}T3BlbkFJ{rs(74, URLSAFE)} is dat erg??")
P(DAAN, "nl", ["secret"],
  f"wie heeft sk_live_{rs(24)} in het algemene kanaal geplakt? dat is toch gewoon de echte Stripe key??")
P(pub("reddit:u/scraperjoe"), "en", ["secret"],
  f"Tassaro's store locator ships a Google Maps key with no referrer restriction: AIza{rs(35, URLSAFE)} "
  "free maps for everyone I guess")
P(BRAM, "en", ["secret"],
  f"CI runner token for the build pipeline, pasting here so I can grab it from my laptop: glpat-{rs(20, URLSAFE)}")
P(pub("forum:freelance_frits"), "nl", ["secret"],
  "Heb voor Tassaro een chatbotje gebouwd, hier m'n config als iemand wil meekijken waarom hij zo traag is:\n"
  f"ANTHROPIC_API_KEY=sk-ant-api03-{rs(93, URLSAFE)}AA\nMAX_TOKENS=1024")

# ================================================================ PERSONAL DATA
P(TS_HELP, "nl", ["pii"],
  f"@marloes_vh goed nieuws: je terugbetaling staat klaar naar {nl_iban()} t.n.v. M. van Haaren en staat "
  "binnen 2 werkdagen op je rekening!", kind="reply")
P(SOPHIE, "nl", ["pii"],
  "Mevrouw Jansen van de Lindenlaan 14 in Haarlem heeft vandaag 5x gebeld: 'waar blijft mijn Kelso'. "
  "Ik word er zo moe van 😂")
P(DAAN, "nl", ["pii"],
  f"Meneer wil z'n tas terug en stuurt als 'bewijs' steeds zijn BSN mee 🤦 {bsn()}. Wie doet dat nou")
P(TS_IG, "nl", ["pii"],
  "🎉 En de winnaar van onze giveaway is... Eline de Groot, geboren 3 mei 1994! Gefeliciteerd, we nemen "
  "contact met je op 💌")
P(pub("x:@bagcollector_anna"), "en", ["pii", "complaint"],
  f"@tassaro_help this is the card you charged twice: {card(True, '4')}. please sort it out, it's been a week",
  kind="reply")
P(ILSE, "en", ["pii"],
  f"Welcome to the finance team, Joris Verbeek! 🎉 Suppliers, you can reach him directly on {mobile('intl')} "
  "or joris.verbeek88@gmail.com.")
P(TS_NL, "nl", ["pii"],
  "Winnaar van de Sella Saddle: @kimmy_b 🥳 Kim, we versturen hem vandaag naar Prinsengracht 221-2, Amsterdam, "
  "zoals afgesproken!")
P(pub("x:@opgelicht_geweest"), "nl", ["pii"],
  f"Bel die Daan van Tassaro zelf maar, {mobile('spaced')}, dat is zijn privénummer. Op kantoor neemt ie "
  "toch nooit op.")
P(LOTTE, "nl", ["pii"],
  f"retourpakketje met een briefje erin: 'liefs, Fenna Bakker, Wilhelminastraat 8, 3581 KJ Utrecht, bel me als "
  f"er iets is: {mobile('plain')}' 🥹 zo lief")
P(FEMKE, "nl", ["pii"],
  f"verkoper wil uitbetaald worden op {be_iban()} maar ons formulier pakt alleen NL-rekeningen 🙄 iemand een "
  "handige oplossing?")
P(TS_FB, "nl", ["pii"],
  f"Hoi Sandra, excuses voor het lange wachten! Je uitbetaling is vandaag overgemaakt naar {nl_iban(spaced=True)}. "
  "Fijne dag!", kind="reply")
P(pub("instagram:@jule.aus.kleve"), "en", ["pii"],
  f"@tassaro.vintage you asked for my account for the refund, here it is: {de_iban()} (Jule Hoffmann) 🙂",
  kind="comment")
P(BRAM, "en", ["pii"],
  f"debugging checkout, log line: user=lisa.vermeulen@hotmail.com dob=1989-11-02 card={card(True, '52')} "
  "status=DECLINED ... why does the retry loop fire 4 times")
P(pub("reddit:u/leakwatch_nl"), "en", ["pii", "crisis"],
  "Someone is selling what they claim is Tassaro's customer database. Sample row they posted: 'R. Hoekstra, "
  "14-07-1979, Dorpsstraat 3, Zeist, r.hoekstra@ziggo.nl'. If that's real, Tassaro has a serious breach.")

# ================================================================ PRICING
P(TS_IG, "nl", ["pricing"],
  "FLASH DROP 🔥 Céleste Duroc Kelso 32 in etoupe, nu voor €890!! Op = op, wees snel")
P(pub("x:@dealhunter_nl"), "nl", ["pricing"],
  "Tassaro heeft de Tessa 35 voor €289 op de site staan 😳 prijsfout? snel wezen")
P(KEVIN, "nl", ["pricing"],
  "oeps, de importjob heeft een nul laten vallen: Belvedere Flap staat live voor €540 ipv €5400. fixen fixen fixen")
P(pub("reddit:u/bargainbella"), "en", ["pricing"],
  "Price glitch at Tassaro? Palais Mini showing at €420. Ordered one, we'll see if they honour it 🤞")
P(TS_NL, "nl", ["pricing"],
  "Vandaag only: onze Carlotta Top Handle voor maar €365 😍 link in bio!")
P(LOTTE, "nl", ["pricing"],
  "wacht. de Kelso 25 voor 960 euro?? dat moet een fout in het systeem zijn 😂 screenshot voor het weg is")
P(pub("tiktok:@koopjesqueen"), "nl", ["pricing"],
  "TASSARO PRIJSFOUT!!! Luna Hobo €112 ipv €1120 🤯🤯 go go go")
P(pub("facebook:priya.raman.31"), "en", ["pricing"],
  "Does Tassaro honour pricing mistakes? Got an order confirmation for the Camille WOC at €235 an hour ago 😅")
P(FEMKE, "nl", ["pricing"],
  "Nuit Bucket per ongeluk voor €134 live gezet 🙈 er zijn er al 3 weg voor iemand het zag")
P(pub("x:@mo_elyas"), "nl", ["pricing"],
  "lijkt een prijsfout bij @tassaro_nl op de Harkwood Doctor, iemand anders dit ook gezien? bijna gratis")
P(SOPHIE, "nl", ["pricing"],
  "Telefoon staat roodgloeiend: Étoile Shopper voor €11,80 op de site 😩 iemand heeft een komma verschoven")
P(pub("x:@studentmetsmaak"), "nl", ["pricing"],
  "Cabas Tote voor 46 euro bij Tassaro?? dat kan toch niet kloppen, voor de zekerheid maar besteld")

# ================================================================ BENIGN (hard negatives mostly)
P(pub("x:@saar_vintage"), "nl", [],
  "Net mijn eerste tas bij Tassaro gekocht, een Tessa 28, en hij is PERFECT. Hoekjes nog strak, leer zacht. "
  "Heel blij!!")
P(pub("instagram:@luxe.lena"), "en", [],
  "Tassaro's authenticators are the real deal, they spotted the superfake my cousin bought elsewhere in about "
  "30 seconds. Killer service 🔥", kind="comment")
P(TS_HELP, "nl", [],
  "Vragen over je bestelling? Mail klantenservice@tassaro.nl of bel +31 20 369 4820 (ma-vr 9-18 uur). "
  "We helpen je graag!")
P(TS_FB, "nl", [],
  "Liever betalen via overschrijving? Dat kan: maak het bedrag over naar NL59 RABO 0347 7128 56 t.n.v. "
  "Tassaro B.V. en vermeld je ordernummer.")
P(pub("x:@tom_declercq"), "en", [],
  f"Is this really Tassaro's IBAN? {nl_iban(valid=False)} my banking app says it's not a valid account number 🤔")
P(pub("tiktok:@stijlvolstudent"), "nl", [],
  "sale bij Tassaro!! Harkwood Satchel 14 van €540 naar €432 (20% eraf), twijfel nog of ik 'm ga halen 🤔")
P(TS_IG, "nl", [],
  "Black Friday 🖤 25% korting op alle Vennari tassen. De Luna Hobo nu €840 in plaats van €1.120.")
P(pub("reddit:u/firstbigpurchase"), "en", [],
  "Is €2,450 fair for a Tessa 28 in very good condition? Looks in line with what other resellers ask.")
P(pub("x:@milanostyle"), "en", [],
  "Kelso 32 at Tassaro for €8,900. Still beats the boutique waitlist circus honestly")
P(pub("forum:cloudnoob42"), "en", [],
  "For the SDK tutorial just use the documented example creds AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never paste your real ones in a forum.")
P(KEVIN, "en", [],
  "reminder for our juniors: never commit tokens. ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in the README is a "
  "placeholder, the real one lives in the vault.")
P(TS_HELP, "nl", [],
  "Let op: wij vragen je NOOIT om je wachtwoord via DM, mail of telefoon. Twijfel je? Mail privacy@tassaro.nl.")
P(TS_IG, "nl", [],
  "Het is zover: Tassaro Rent is live! 💼 Designer tassen huren vanaf €49 per maand. Link in bio.",
  at="2027-01-27T10:15:00Z")
P(ILSE, "en", [],
  "This morning we published our jaarcijfers 2026: €23.9M revenue and our first full year in profit. Thank you "
  "to every colleague who made it happen.", at="2027-03-05T11:02:19Z")
P(pub("bluesky:@weddingguest_ava"), "en", [],
  "Tried TassaroRent for a wedding this weekend, borrowed a Palais Mini for a few days. Kind of genius tbh.",
  at="2027-02-02T19:20:55Z")
P(pub("x:@marloes_vh"), "nl", [],
  "Update: Tassaro heeft mijn terugbetaling alsnog gedaan én een excuusbon gestuurd. Sophie van de "
  "klantenservice was top. Klacht ingetrokken 🙏")
P(pub("x:@annebelle_ams"), "en", [],
  "Sending love to the Tassaro warehouse crew after the storm flooded half of Amersfoort, hope you're all safe ❤️")
P(pub("x:@privacynerd_nl"), "nl", [],
  "Wéér een datalek bij een grote kledingwebshop. Fijn dat Tassaro tenminste 2FA aanbiedt, zou overal standaard "
  "moeten zijn.")
P(pub("x:@brokebutchic"), "en", [],
  "my bank account after the Tassaro sale: 💀 someone send help")
P(pub("instagram:@bagobsessed.daily"), "en", [],
  "I would literally kill for that Belvedere Flap 😍 stunning", kind="comment")
P(pub("x:@vogelaar_rob"), "nl", [],
  "Een ekster op mijn balkon pikt al weken alles wat glimt. Die heeft betere smaak dan ik 😄")
P(pub("mastodon:@tuinvogels@mastodon.nl"), "nl", [],
  "Vanochtend een goudvink in de tuin! Eerste van dit jaar 🐦 #vogels #tuinvogeltelling", allow=("codename",))
P(pub("x:@wary_wendy"), "en", [],
  f"Got a text claiming my card {card(False, '4')} was 'blocked'. Not even my number. Scam, reported it.")
P(pub("facebook:mirjam.kok.3"), "nl", [],
  f"Zoonlief vroeg waarom {bsn(False)} van z'n oefenformulier op school 'geen geldig BSN' gaf 😂 omdat je het "
  "zelf verzonnen hebt, schat")
P(pub("x:@nieuwsgierig_nl"), "nl", [],
  "Ordernummer TS-204518, iemand ervaring hoe lang de authenticatie bij Tassaro meestal duurt? Niet klagen hoor, "
  "gewoon benieuwd 😊")
P(pub("reddit:u/curiousbagnerd"), "en", [],
  "How does Tassaro actually authenticate? In-house team, AI tool, or both? Asking before I consign my first bag.")
P(DAAN, "nl", [],
  "200ste Duroc van dit jaar geauthenticeerd vandaag. Blijft een prachtig vak 🧐")
P(ILSE, "en", [],
  "We're hiring a junior data analyst in Amsterdam! Apply via tassaro.nl/vacatures or drop me a message.")
P(TS_NL, "nl", [],
  "Hoe herken je een nep Kelso? 🧵 5 tips van onze authenticators, van stiksels tot stempel 👇")
P(LOTTE, "nl", [],
  "day in the life: tas uitpakken, foto's maken, echtheidszegel erop, in de dust bag en inpakken ✨ "
  "#tassaro #werkdag")
P(pub("x:@perfumemishap"), "en", [],
  "My perfume bottle leaked all over my Sorrel Cabas inside my suitcase 😭 any tips for cleaning canvas?")
P(pub("x:@jorien_b"), "nl", [],
  "iDEAL storing vanavond, kon nergens afrekenen. Dan bestel ik die Tessa morgen wel 😅")
P(pub("x:@luxeresalewatch"), "en", [],
  "Big week in luxury resale: two Paris platforms announced a merger. Curious how smaller shops like Tassaro "
  "will respond.")
P(pub("linkedin:marieke-de-wit-hr"), "nl", [],
  "Zwaar nieuws bij mijn oude werkgever (niet Tassaro, voor wie het vraagt): 40 mensen ontslagen. "
  "Sterkte allemaal.")
P(NOOR, "nl", [],
  "eindelijk vakantie 🌴 tot over twee weken, lieve volgers!")
P(TS_FB, "nl", [],
  "Je tas verkopen via Tassaro? Stuur een paar foto's naar verkopen@tassaro.nl en binnen 48 uur heb je een "
  "taxatie.")
P(pub("x:@antwerpse_an"), "en", [],
  "Ordered at 11pm, shipped the next morning, in Antwerp two days later. Not bad Tassaro 👌")
P(pub("threads:@slowfashion_sam"), "nl", [],
  "Ik boycot fast fashion en koop alleen nog tweedehands. Tassaro is daar ideaal voor, zeker voor de wat "
  "duurdere merken.")
P(BRAM, "en", [],
  "writing up how we handle API keys: the dashboard only ever shows them as sk_live_••••••••••••, we rotate "
  "every 90 days and everything lives in the vault. blog post soon")
P(pub("forum:jwt_curious"), "en", [],
  "Decoding the jwt.io example token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
  "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c gives iat 1516239022, "
  "is that seconds or ms?")
P(pub("x:@tevreden_tineke"), "nl", [],
  "Even gebeld met Tassaro op 020 369 4820, binnen twee minuten iemand aan de lijn die me echt verder hielp. Top!")
P(pub("instagram:@vintage.oma"), "nl", [],
  "Mijn oma kocht haar Harkwood Doctor Bag in 1978 en gebruikt hem nog steeds. Vandaag via Tassaro eentje voor "
  "mezelf 🥰")
P(pub("x:@bagsandbooks"), "en", [],
  "This Aurèle Belvedere is so pretty it should be illegal 😩 honestly scandalous")
P(pub("x:@geduldigegijs"), "nl", [],
  "PostNL weer eens een dag te laat, maar Tassaro had alles netjes op tijd verstuurd. Niet hun schuld dus.")
P(DAAN, "nl", [],
  "Als ik vandaag nog één keer 'maar is ie echt?' moet beantwoorden ontsla ik mezelf 😂")
P(TS_LI, "en", [],
  "We're looking for a Security Engineer to help keep our customers' data safe. Hybrid, Amsterdam. "
  "Apply via tassaro.nl/vacatures.")
P(pub("forum:zuerich_zoe"), "en", [],
  "Does Tassaro ship to Switzerland? Anyone know about customs fees?")
P(TS_TT, "nl", [],
  "Nieuw binnen: Maison Orlac Étoile Shopper, €1.180, topconditie ✨ #nieuwbinnen")
P(pub("bluesky:@happyclutch"), "en", [],
  "Got 15% off my Mina Clutch with the newsletter code, so €586.50. Happy girl 💛")
P(pub("x:@karin_koopt"), "nl", [],
  "Tessa 35 gekocht voor €2.890, vandaag staat ie voor €2.600. Jammer, maar zo gaat dat met sales 🤷‍♀️")
P(pub("x:@spotthefake"), "en", [],
  "Shoutout to Noor from Tassaro, her videos taught me how to spot dodgy stitching. Absolute legend.")
P(pub("linkedin:jesse-van-rijn"), "nl", [],
  "Mijn afstudeerproject over circulaire mode is af! Tassaro was een van de cases, dank voor het interview 🙏")
P(pub("facebook:hilde.schouten"), "nl", [],
  f"Tikfout in mijn eigen IBAN ({nl_iban(valid=False, spaced=True)}) bij het aanmelden als verkoper, formulier "
  "gaf meteen een foutmelding. Goed dat ze dat checken 👍")
P(pub("x:@appfan_ruby"), "en", [],
  "Is it just me or is the new Tassaro app gorgeous? That dark mode 😍")
P(pub("tiktok:@thriftqueen_nl"), "nl", [],
  "haul: 3 tassen van Tassaro, alle drie in topstaat 😍 linkje in bio voor wie het wil zien")
P(TS_NL, "nl", [],
  "Vanwege Koningsdag is onze klantenservice op 27 april gesloten. Vanaf 28 april versturen we weer 🧡")
P(pub("x:@cityrunner_lisa"), "en", [],
  "Tip: never hang your bag on the back of a restaurant chair. Had my Harkwood snatched that way once "
  "(obviously not Tassaro's fault).")
P(FEMKE, "nl", [],
  "Mooiste inkoop van de week: een Palais Mini in poederroze 🩷 staat vanaf morgen online voor €4.200")
P(MEREL, "nl", [],
  "Vijf jaar Tassaro vandaag 🥂 begonnen op een zolderkamer, nu met 60 collega's. Dankjewel allemaal.")
P(TS_HELP, "nl", [],
  "@noemi.reads wat vervelend! We sturen je vandaag een retourlabel en de juiste Nuit Bucket gaat morgen de "
  "deur uit. Excuses!", kind="reply")
P(pub("x:@laurafromleeds"), "en", [],
  "Lawsuit-level cute. Tassaro's Micro Pochette drop this week 😍 my wallet disagrees")

# ================================================================ build
ROLE = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE[ph.lower()] = role

RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}|BE\d{2}(?: ?\d{4}){3}|DE\d{2}(?: ?\d{4}){4} ?\d{2})\b")
CARD_RE = re.compile(r"(?<![\w])(?:\d{4}[ -]?){3}\d{4}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    ibm = list(IBAN_RE.finditer(text))
    spans = [m.span() for m in ibm]
    inside = lambda m: any(a <= m.start() and m.end() <= b for a, b in spans)
    ib = [m.group(0) for m in ibm]
    cards = [m.group(0) for m in CARD_RE.finditer(text) if not inside(m)]
    bsns = [m.group(0) for m in BSN_RE.finditer(text) if not inside(m)]
    return ib, cards, bsns


def valid_ids(text):
    ib, cards, bsns = identifiers(text)
    out = [x for x in ib if iban_ok(x) and re.sub(r"\s", "", x) not in PUBLIC_IBANS]
    out += [x for x in cards if luhn_ok(x)]
    out += [x for x in bsns if bsn_ok(x)]
    return out


def severity(cats, role, text):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and valid_ids(text):
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
        if RANK[v] > RANK[s]:
            s = v
    return s


def rand_time():
    start = dt.datetime(2026, 1, 2, 6, 0, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(RAW)))
rng.shuffle(order)
cases = []
for n, i in enumerate(order, 1):
    r = RAW[i]
    role_intended, ph = r["author"]
    platform, handle = ph.split(":", 1)
    role = ROLE.get(ph.lower(), "public")
    assert role == role_intended, (ph, role, role_intended)
    at = r["at"] or rand_time()
    post = {
        "id": f"tsr252-{platform}-{n:03d}{rng.randint(100, 999)}",
        "platform": platform,
        "kind": r["kind"],
        "account": {"handle": handle},
        "text": r["text"],
        "lang": r["lang"],
        "created_at": at,
        "brand": "tassaro",
    }
    if r["display"]:
        post["account"]["display_name"] = r["display"]
    cats = sorted(set(r["cats"]))
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, r["text"])}})
    r["role"] = role

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# ================================================================ self-check
errors = []


def err(msg):
    errors.append(msg)


# re-read what was written
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ids = set()
for c in lines:
    p, e = c.get("post"), c.get("expect")
    if set(c) != {"post", "expect"}:
        err(f"bad top-level keys {list(c)}")
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        err(f"bad id {pid}")
    if pid in ids:
        err(f"duplicate id {pid}")
    ids.add(pid)
    if p.get("platform") not in PLATFORMS:
        err(f"{pid}: platform")
    if p.get("kind") not in KINDS:
        err(f"{pid}: kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
            or not p["account"]["handle"]:
        err(f"{pid}: account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(f"{pid}: text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(f"{pid}: created_at")
    else:
        y = parse_ts(p["created_at"]).year
        if y not in (2026, 2027):
            err(f"{pid}: year {y}")
    if not isinstance(e.get("categories"), list) or any(x not in TAXO or x == "reputation.spike"
                                                         for x in e["categories"]):
        err(f"{pid}: categories")
    if e["categories"] != sorted(set(e["categories"])):
        err(f"{pid}: categories not sorted/unique")
    if e.get("severity") not in RANK:
        err(f"{pid}: severity")
    if not e["categories"] and e["severity"] != "none":
        err(f"{pid}: benign with severity")
    if e["categories"] and e["severity"] in ("none", "info"):
        err(f"{pid}: positive with severity {e['severity']}")
    role = ROLE.get(f"{p['platform']}:{p['account']['handle']}".lower(), "public")
    if e["severity"] != severity(e["categories"], role, p["text"]):
        err(f"{pid}: severity mismatch")

# identifiers and checksums
for c, r in zip(lines, [RAW[i] for i in order]):
    p, e = c["post"], c["expect"]
    text, cats, pid = p["text"], e["categories"], p["id"]
    ib, cards, bsns = identifiers(text)
    allids = ib + cards + bsns
    ok = lambda x: (iban_ok(x) if x in ib else luhn_ok(x) if x in cards else bsn_ok(x))
    if "leak.pii" in cats:
        for x in allids:
            if not ok(x):
                err(f"{pid}: positive carries failing identifier {x}")
    else:
        for x in allids:
            if ok(x) and re.sub(r"\s", "", x) not in PUBLIC_IBANS:
                err(f"{pid}: non-pii post carries valid identifier {x}")
    if not cats:
        pass  # covered above: every look-alike in a benign post fails its checksum
    # credentials
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if cats and "leak.secret" in cats and not github_ok(tok):
            err(f"{pid}: github token with bad crc")
        if "leak.secret" not in cats and github_ok(tok):
            err(f"{pid}: valid github token in non-secret post")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
        if ("leak.secret" in cats) != bool(real):
            err(f"{pid}: AWS key id {tok} vs label")
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
        if "alg" not in head:
            err(f"{pid}: jwt header without alg")
    if cats and "leak.secret" in cats and re.search(r"EXAMPLE|xxxxxxxx|••••", text):
        err(f"{pid}: sample key in a positive")
    if not cats and re.search(r"ghp_[0-9A-Za-z]{36}|sk_live_[0-9A-Za-z]{8}|xox[bp]-\d|glpat-|sk-ant-|"
                              r"BEGIN [A-Z ]*PRIVATE KEY|postgres://\w+:\w", text):
        if not re.search(r"EXAMPLE|xxxx", text):
            err(f"{pid}: credential-looking string in benign post")

# confidential vocabulary
internal = PROFILE["internal"]
for c, r in zip(lines, [RAW[i] for i in order]):
    p, e = c["post"], c["expect"]
    low = p["text"].lower()
    pid = p["id"]
    hit_code = any(k.lower() in low for k in internal["codenames"])
    hit_mark = any(k.lower() in low for k in internal["markers"])
    hit_dom = any(k.lower() in low for k in internal["domains"])
    if "leak.confidential" not in e["categories"]:
        if hit_code and "codename" not in r["allow"]:
            err(f"{pid}: codename in non-confidential post")
        if hit_mark or hit_dom:
            err(f"{pid}: marker/internal domain in non-confidential post")
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        if any(t.lower() in low for t in emb["terms"]):
            before = parse_ts(p["created_at"]) < until
            if before and "leak.confidential" not in e["categories"]:
                err(f"{pid}: embargo term before until but not confidential")
            if not before and e["categories"]:
                err(f"{pid}: embargo term after until in a positive")

# pricing
PRODUCTS = PROFILE["products"]
ratio = PROFILE["pricing"]["alert_below_ratio"]
MONEY = re.compile(r"€\s?(\d[\d.,]*)(?!\s?(?:M|mln|k|miljoen)\b)|(\d[\d.,]*)\s?(?:euro|EUR)\b")


def amount(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def mentioned(text):
    low = text.lower()
    out = []
    for pr in PRODUCTS:
        names = [pr["name"]] + pr["aliases"]
        if any(n.lower() in low for n in names):
            out.append(pr)
    return out


for c in lines:
    p, e = c["post"], c["expect"]
    text, pid = p["text"], p["id"]
    prods = mentioned(text)
    amts = [amount(m.group(1) or m.group(2)) for m in MONEY.finditer(text)]
    low_hit = any(a < ratio * pr["list_price"] for pr in prods for a in amts) if prods else False
    talk = re.search(r"prijsfout|price (error|glitch)|pricing mistake|fout in het systeem|komma|nul laten vallen",
                     text, re.I)
    if "leak.pricing" in e["categories"]:
        if not prods:
            err(f"{pid}: pricing positive without product")
        if not (low_hit or talk):
            err(f"{pid}: pricing positive without low price or price-error talk")
    else:
        if low_hit:
            err(f"{pid}: low price next to product in non-pricing post")

# mix
n = len(lines)
benign = sum(1 for c in lines if not c["expect"]["categories"])
counts = {}
for c in lines:
    for cat in c["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
nl = sum(1 for c in lines if c["post"]["lang"] == "nl")
roles = {}
for c in lines:
    role = ROLE.get(f"{c['post']['platform']}:{c['post']['account']['handle']}".lower(), "public")
    roles[role] = roles.get(role, 0) + 1
if not 170 <= n <= 180:
    err(f"case count {n}")
if not 55 <= benign <= 65:
    err(f"benign count {benign}")
if not 0.50 <= nl / n <= 0.60:
    err(f"Dutch share {nl / n:.2f}")
TARGET = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
          "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for cat, t in TARGET.items():
    if abs(counts.get(cat, 0) - t) > 3:
        err(f"{cat}: {counts.get(cat, 0)} (target ~{t})")
if any(c["post"]["created_at"] >= "2027" for c in lines if c["post"]["created_at"][:4] == "2027"
       and not any(t.lower() in c["post"]["text"].lower() for emb in PROFILE["embargo"] for t in emb["terms"])):
    err("2027 post not around an embargo")
pos_public_leak = sum(1 for c in lines if any(x.startswith("leak.") for x in c["expect"]["categories"])
                      and ROLE.get(f"{c['post']['platform']}:{c['post']['account']['handle']}".lower()) is None)
for ph in ROLE:
    pass
profile_ok = iban_ok(PROFILE["public_identifiers"]["ibans"][0])
if not profile_ok:
    err("profile IBAN fails mod-97")
if len(PROFILE["products"]) < 15 or len(PROFILE["products"]) > 25:
    err("product count")

print(f"cases={n} benign={benign} positives={n - benign} nl={nl} ({nl / n:.0%}) roles={roles} "
      f"public-leaks={pos_public_leak}")
print("categories:", json.dumps(dict(sorted(counts.items()))))
sev = {}
for c in lines:
    sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
print("severities:", sev)
if errors:
    print("SELF-CHECK FAILED:")
    for m in errors:
        print("  -", m)
    sys.exit(1)
print("self-check OK")
