#!/usr/bin/env python3
"""Build the labelled evaluation set for the fictional company Mossveld Carpet & Care B.V.

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. The post texts are hand-written below. Writes cases.jsonl next to this file
and then checks it (checksums, contract shape, severity policy, embargo timing, mix).
Standard library + PyYAML only.
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

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(490)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "_-"

# ---------------------------------------------------------------- generators


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out


def gh_token(prefix="ghp"):
    body = rstr(ALNUM, 30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode())).rjust(6, '0')}"


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rstr(B32, 16)


def aws_secret():
    return rstr(string.ascii_letters + string.digits + "/+", 40)


def mollie_live():
    return "live_" + rstr(string.ascii_letters + string.digits, 30)


def stripe_live():
    return "sk_live_51" + rstr(string.ascii_letters + string.digits, 96)


def slack_bot():
    return f"xoxb-{rstr(string.digits, 11)}-{rstr(string.digits, 13)}-{rstr(string.ascii_letters + string.digits, 24)}"


def openai_key():
    return "sk-proj-" + rstr(URLSAFE, 74) + "T3BlbkFJ" + rstr(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rstr(URLSAFE, 35)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "cust_" + rstr(string.digits, 6), "role": "customer",
                                 "iat": 1781000000 + rng.randrange(10**6)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rstr(string.digits, 10)
    r = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    s = f"NL{98 - n % 97:02d}{bank}{acct}"
    assert iban_valid(s)
    return s


def bad_iban(bank):
    s = make_iban(bank)
    last = str((int(s[-1]) + 3) % 10)
    s = s[:-1] + last
    assert not iban_valid(s)
    return s


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
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


def make_card(prefix):
    body = prefix + rstr(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix):
    c = make_card(prefix)
    c = c[:-1] + str((int(c[-1]) + 4) % 10)
    assert not luhn_valid(c)
    return c


def fmt_card(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_valid(s)
            return s


def bad_bsn():
    s = make_bsn()
    s = s[:-1] + str((int(s[-1]) + 1) % 10)
    assert not bsn_valid(s)
    return s


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "p": "\u0440", "c": "\u0441"}


def cyr(s, letters="oe"):
    return "".join(CYR[c] if c in letters else c for c in s)


# ---------------------------------------------------------------- generated values
# (generated in a fixed order, so the output never changes)
G = {}
G["ghp"] = gh_token("ghp")
G["ghs"] = gh_token("ghs")
G["akia_leak"] = aws_key_id()
G["akia2"] = aws_key_id()
G["aws_sec2"] = aws_secret()
G["mollie"] = mollie_live()
G["stripe"] = stripe_live()
G["slack"] = slack_bot()
G["openai"] = openai_key()
G["anthropic"] = anthropic_key()
G["google"] = google_key()
G["jwt"] = jwt_token()
G["sshkey"] = openssh_key()
G["dbpw"] = rstr(string.ascii_letters + string.digits, 10) + "!" + rstr(string.digits, 2)

G["iban_paauwe"] = make_iban("INGB")
G["iban_smulders"] = make_iban("RABO")
G["card_graham"] = make_card("4")
G["card_okafor"] = make_card("53")
G["bsn_sem"] = make_bsn()
G["bsn_petra"] = make_bsn()
G["bad_iban"] = bad_iban("ABNA")
G["bad_card"] = bad_card("45")
G["bad_bsn"] = bad_bsn()

# ---------------------------------------------------------------- categories
SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {SEC, PII, PRC, CONF, FIN, SECU, CRI, CMP, ABU, "reputation.spike"}

CASES = []


def P(who, text, cats=(), lang="nl", kind="post", at=None, ids=(), neg_ids=(),
      secrets=(), price=None):
    """who = 'platform:handle'. ids: [(type, value)] checksummed identifiers that must pass.
    neg_ids: look-alikes that must fail. secrets: [(type, value)] generated credentials.
    price: (alias, amount) to check against the catalogue."""
    platform, handle = who.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, at=at, ids=list(ids), neg_ids=list(neg_ids),
                      secrets=list(secrets), price=price))


# ================================================================ COMPLAINTS (public)
P("x:@jolanda_vdm",
  "Monteur van @mossveld_nl zou tussen 8 en 12 komen. Het is nu 15:40, niemand gebeld, niemand gemaild. "
  "Vrije dag opgenomen voor niks 🙄 #mossveld", [CMP])
P("x:@mark_tilburg84",
  "Paid Mossveld €149 for the Bankstel Fris and the sofa still smells like wet dog, except now it's a damp "
  "wet dog. Two days later and it's still not dry. Not impressed.", [CMP], "en", price=("Bankstel Fris", 149))
P("facebook:sandra.hooijmans.77",
  "Na de dieptereiniging van Mossveld zitten er lichte kringen in ons wollen vloerkleed die er eerst echt niet "
  "waren. Foto's gestuurd naar de klantenservice, inmiddels 9 dagen verder en nog geen reactie. Wie heeft dit ook "
  "gehad?", [CMP])
P("reddit:u/throwaway_rugs",
  "PSA for anyone in the Utrecht area: booked Mossveld for our stair runner (Traploper Reiniging, 109 eur). "
  "Guy showed up 2 hrs late, did half the stairs, said the machine was \"playing up\" and left. Still charged "
  "the full amount. Support keeps sending me the same copy-paste email. Anyone had luck getting a refund from "
  "these people?", [CMP], "en")
P("x:@fleur_bakt",
  "@mossveld_help your app says 'appointment confirmed' but your planners know nothing about it?? 3rd time it's "
  "been moved now. how hard can it be", [CMP], "en", kind="reply")
P("instagram:@the.kitchen.diaries",
  "your vlekweg spray bleached a white patch into my navy rug. like the literal opposite of what it says on the "
  "bottle 😑", [CMP], "en", kind="comment")
P("tiktok:@gwennie.xo",
  "cute video but at my place they just left the wet cloths lying on the parquet and now there are white marks "
  "all over my floor. great service 🙃", [CMP], "en", kind="comment")
P("other:review_mieke_s",
  "1 ster. Fris Abonnement in maart opgezegd (bevestiging in mijn mail), toch in juni weer €299 afgeschreven. "
  "Bellen = 40 minuten in de wacht en dan verbinding verbroken.", [CMP], price=("Fris Abonnement", 299))
P("x:@peterjanssen_ede",
  "@mossveld_nl Ons Perzisch tapijt is drie weken geleden opgehaald voor jullie Atelier en nu kan niemand me "
  "vertellen waar het is?! Dat kleed was van mijn oma.", [CMP], kind="reply")

# ================================================================ COMPLAINT + PII (public, own data)
P("x:@ronald_vk",
  "@mossveld_help al 4x gebeld over mijn schadeclaim, niemand belt terug. Hier mijn nummer dan maar publiek: "
  "06-41 82 73 65. Graag vandaag nog.", [CMP, PII], kind="reply")
P("facebook:graham.whitfield.nl",
  f"Mossveld charged my card twice for ONE sofa clean. Since your team keeps saying they \"can't find the "
  f"payment\", here's the card: {fmt_card(G['card_graham'])}. Sort it out.", [CMP, PII], "en",
  ids=[("card", G["card_graham"])])
P("facebook:ingrid.paauwe",
  f"Wacht nu 7 weken op mijn geld voor de geannuleerde Hoekbank Totaal. Voor de zoveelste keer mijn "
  f"rekeningnummer: {fmt_iban(G['iban_paauwe'])} t.n.v. I. Paauwe. Hoe lang nog, Mossveld?", [CMP, PII],
  ids=[("iban", G["iban_paauwe"])])
P("x:@j_whitmore",
  "still waiting for anyone at @mossveld_help to answer me. your contact form clearly doesn't work so reach me "
  "at jess.whitmore91@outlook.com. 3rd week now", [CMP, PII], "en", kind="reply")

# ================================================================ CRISIS + COMPLAINT (first-hand safety)
P("x:@bas_ruijters",
  "De gehuurde RugPro 3 van Mossveld begon ineens te roken en vatte vlam midden in onze woonkamer. Blusser "
  "gepakt, gelukkig niemand gewond maar het tapijt is verkoold. Hoe kan dit?! 🔥", [CRI, CMP])
P("reddit:u/sparkymom",
  "Got a proper electric shock from the Mossveld rental machine (RugPro 3) when I plugged the hose in. My arm "
  "was tingling for an hour, went to the GP to be safe. The cable had tape wrapped around it when they dropped "
  "it off. This is dangerous and I want an explanation.", [CRI, CMP], "en")
P("facebook:marloes.tersteeg",
  "Na de behandeling met Geurneutraal van Mossveld is onze hond Bobbie twee dagen flink ziek geweest, overgeven "
  "en niks eten. Dierenarts denkt aan het middel. En dan zeggen ze nog dat het 'huisdiervriendelijk' is...",
  [CRI, CMP])
P("x:@tomasz_k_nl",
  "my 4yo broke out in a rash all over her legs after playing on the rug Mossveld cleaned yesterday. GP says "
  "contact dermatitis, probably chemical residue. seriously scared rn", [CRI, CMP], "en")
P("instagram:@lotte.woont",
  "Monteur liet de trap kletsnat achter na de Traploper Reiniging zonder iets te zeggen of een bordje neer te "
  "zetten. Mijn vader (78) is uitgegleden en heeft zijn pols gebroken. Ik ben zo ontzettend boos.",
  [CRI, CMP], kind="comment")
P("x:@hannah_rutten",
  "The Stoomkamer Compact I bought from Mossveld sprayed boiling water out of the side valve straight onto my "
  "hand. Second degree burn, 3 weeks old product. What is wrong with this thing", [CRI, CMP], "en")

# ================================================================ CRISIS (third party, boycotts, lawsuits ...)
P("x:@amersfoort_live",
  "Fire brigade called to a flat on the Leusderweg after a rented carpet cleaning machine caught fire. "
  "Residents evacuated, one treated for smoke inhalation. The machine was reportedly rented from Mossveld. "
  "#Amersfoort", [CRI], "en")
P("x:@anti_uitbuiting",
  "Mossveld laat monteurs via schijnconstructies 60 uur per week werken voor nog geen €9 per uur. Wij roepen "
  "iedereen op: #BoycotMossveld tot ze eerlijk betalen. RT!", [CRI])
P("x:@linda_consumer",
  "Don't give Mossveld your money. They're being sued by 30+ customers over ruined rugs and still advertising "
  "like nothing is happening. Spread the word. #boycott", [CRI], "en")
P("reddit:u/privacy_paul",
  "Volgens mij is Mossveld gehackt. Kreeg vandaag een phishingmail met mijn naam, adres EN de datum van mijn "
  "afspraak bij hen. Dat kan alleen uit hun systeem komen. Datalek?? Iemand anders ook?", [CRI])
P("x:@recallwatch_eu",
  "RECALL: Mossveld Vlekweg Spray 500ml, batch codes 24-118 to 24-131. Possible bacterial contamination. Stop "
  "using and return for a full refund.", [CRI], "en")
P("x:@advocaat_derksen",
  "Namens 14 gedupeerden hebben wij vandaag Mossveld Carpet & Care B.V. gedagvaard wegens structurele schade "
  "aan meubels en misleidende garantievoorwaarden.", [CRI])
P("x:@woedende_wendy",
  "B.O.Y.C.O.T.T  M.O.S.S.V.E.L.D — ze hebben de kat van mijn buurvrouw laten ontsnappen en stonden erom te "
  "lachen. Deel dit!!", [CRI])
P("tiktok:@cleaninsider",
  "storytime: Mossveld technicians caught on camera dumping dirty extraction water straight into a canal in "
  "Leiden. the video is going round every whatsapp group here. huge environmental scandal if it's real",
  [CRI], "en")
P("reddit:u/dumpster_diver_nl",
  "Iemand heeft een klantenlijst van Mossveld op pastebin gezet. Eerste regel: 'M. Verbeek, Kastanjelaan 22, "
  "Bunnik, 06-19283746, m.verbeek@ziggo.nl'. Ze hebben dus gewoon een datalek en zeggen er niks over.",
  [CRI, PII])

# ================================================================ ABUSE
P("x:@kevin_zwolle",
  "@mossveld_help stelletje amateurs, die monteur van jullie is de grootste sukkel die ik ooit gezien heb",
  [ABU], kind="reply")
P("x:@rugrage",
  "Mossveld staff are absolute morons. Every single one of them. Brain cells of a damp sponge.", [ABU], "en")
P("x:@d3_r34l_j4n",
  "m0ssv3ld = k4nk3rb3dr1jf, st3lletj3 0pl1cht3rs", [ABU])
P("x:@truthbomb_88",
  "Of course the Mossveld guy they sent couldn't speak proper Dutch. They only hire cheap foreigners who can't "
  "do anything right. Send them all back.", [ABU], "en")
P("instagram:@xx_jordy_xx",
  "die femke van jullie klantenservice weet ik heus wel te vinden hoor. ik weet waar jullie kantoor is. "
  "wacht maar af", [ABU], kind="comment")
P("x:@ruud_mossveld",
  "@sjaakie1971 als je je tapijt zelf vol hondenpis laat lopen moet je niet bij mij komen janken, mafkees",
  [ABU], kind="reply")
P("x:@anon_cleaner",
  fullwidth("Mossveld = TOTALE KLOOTZAKKEN"), [ABU])
P("facebook:derek.mahoney.101",
  "Your technician turned up an hour late, smoked on my doorstep and left muddy footprints all down the "
  "hallway. Useless bunch of idiots, the lot of you.", [CMP, ABU], "en", kind="comment")
P("x:@mvdlinden_",
  "3x een afspraak gemist en nu willen ze ook nog €45 voorrijkosten rekenen. wat een kutbedrijf, tering op met "
  "je mossveld", [CMP, ABU])
P("x:@shaneo_ie",
  "@mossveld_nl shut up you clowns, nobody believes your fake reviews 🤡", [ABU], "en", kind="reply")
P("x:@bozeburger",
  "Dat hele " + cyr("Mossveld-team") + " bestaat uit " + cyr("idioten") + ", echt waar", [ABU])
P("mastodon:@grumpyguus@mastodon.social",
  "m o s s v e l d  can go  f u c k  themselves, third no-show this month", [ABU], "en")

# ================================================================ CONFIDENTIAL
P("x:@lisakortekaas",
  "Eindelijk mag ik het bijna zeggen 😅 Project Wolvlek gaat de hele planning omgooien, monteurs krijgen straks "
  "hun routes per uur in plaats van per dagdeel. Zo benieuwd!", [CONF])
P("linkedin:joost-verhagen-ops",
  "Proud of the team behind Kolibrie — three months of pilots in Utrecht and the numbers are beyond what we "
  "hoped for. More soon!", [CONF], "en")
P("x:@anneke_hdev",
  f"Deploy van Ko{ZW}li{ZW}brie naar acceptatie gelukt 🎉 nu nog de koppeling met de routeplanner", [CONF])
P("tiktok:@tapijtkees",
  "binnenkort grote verbouwing in ons depot, " + cyr("Operatie Droogdok", "o") + " noemen ze het 😂 wij "
  "krijgen er nieuwe busjes bij #monteurlife", [CONF])
P("x:@ruud_mossveld",
  "Tip voor nieuwe collega's: alle handleidingen voor de machines staan op "
  "https://wiki.mossveld.nl/display/TECH/RugPro — scheelt je een hoop bellen 👍", [CONF])
P("x:@anneke_hdev",
  "note to self: intranet.mossveld.local/hr/verlof only works in Edge for some reason. it's 2026 people",
  [CONF], "en")
P("instagram:@mo_vloerman",
  "Nieuwe werkinstructie binnen, staat 'alleen intern' bovenaan maar jullie mogen heus weten dat we voortaan "
  "blauwe overschoenen dragen haha 👟", [CONF])
P("x:@ruud_mossveld",
  "kreeg net een mail met " + fullwidth("MOSSVELD INTERNAL") + " erboven: nieuwe toeslagen voor zaterdagwerk. "
  "eindelijk 💰", [CONF])
P("forum:schoonmaakpraat_bert",
  "Kreeg dit van een kennis doorgestuurd, staat 'vertrouwelijk - niet delen' op: Mossveld gaat volgend jaar "
  "ook bedrijfspanden doen met een eigen Kantoorpakket Plus, inclusief nachtploeg. Iemand die er meer van "
  "weet?", [CONF])
P("linkedin:priya-raghoebier-mossveld",
  "So excited for January when we finally launch the Vezelschild Pro — the stain guard our technicians have "
  "been begging for! 🛡️", [CONF], "en", at="2026-11-20T10:14:00Z")
P("x:@gadgetgijs",
  "Rumour: Mossveld is about to launch a DroogBot X1, a little robot that blow-dries your carpet after a clean. "
  "Saw the box at a mate's place, he works there 👀", [CONF], "en", at="2027-01-12T19:40:00Z")
P("linkedin:dennis-oudshoorn",
  "Closing the books on the jaarcijfers 2026 this week. Without giving anything away: revenue came in well "
  "above plan and the team should be very proud 😉", [CONF, FIN], "en", at="2027-02-10T16:05:00Z")
P("tiktok:@mossveldcleans",
  "Sneak peek 👀 uit ons testlab. Intern heet het Project Wolvlek, straks mogen jullie een echte naam "
  "verzinnen! #comingsoon #mossveld", [CONF])
P("x:@lisakortekaas",
  "Operatie Droogdok = vestiging Breda gaat dicht en alles gaat naar Tilburg. Heb het van mijn teamleider, "
  "officieel is er nog niks bekend 😬", [CONF, FIN])
P("reddit:u/ex_mossveld",
  "lol Mossveld's planning portal is literally reachable at planning.mossveld.local from their guest wifi in "
  "the Utrecht office, no login needed. Told them when I still worked there, nobody cared.", [CONF, SECU], "en")
P("linkedin:joost-verhagen-ops",
  "Signed the NDA today with a big Dutch furniture chain — they want us as their exclusive upholstery partner "
  "from the spring. Can't say who yet 🤐", [CONF], "en")
P("instagram:@mossveld.nl",
  "Achter de schermen bij de fotoshoot voor de DroogBot X1 📸 binnenkort meer!", [CONF],
  at="2026-12-02T13:30:00Z")
P("x:@kees_weet_alles",
  "mijn zwager werkt bij mossveld en zegt dat Project W o l v l e k het grote nieuwe ding wordt. iemand enig "
  "idee wat dat is?", [CONF])

# ================================================================ FINANCIAL
P("x:@ruud_mossveld",
  "Gerucht op de zaak: we worden overgenomen door een Belgische schoonmaakgroep. Vandaag liepen er pakken door "
  "het depot die alles aan het tellen waren 👀", [FIN])
P("linkedin:priya-raghoebier-mossveld",
  "Hard week. We'll be letting around 35 colleagues in customer service go once the new planning system is "
  "live in Q2. The announcement is still coming, but my heart is with them already.", [FIN], "en")
P("x:@anneke_hdev",
  "Q3 numbers in the internal dashboard are ugly. revenue down ~18% vs last year, wouldn't be surprised if "
  "they cut the bonus. keep it to yourselves lol", [FIN], "en")
P("x:@beleggersbeer",
  "Hearing from a reliable source that Mossveld's owners are in talks with a private equity fund about a sale. "
  "Deal should close before the summer. Nothing official yet.", [FIN], "en")
P("linkedin:joost-verhagen-ops",
  "The 2027 forecast we presented to the board today: 22 new vans, 3 new regions, €41M revenue target. Not "
  "public yet, but I couldn't be prouder of this plan.", [FIN], "en")
P("tiktok:@tapijtkees",
  "baas zei vandaag dat de helft van de zzp'ers eruit gaat per 1 januari. weet nog niet of ik erbij zit 😬 "
  "#monteurlife", [FIN])
P("bluesky:@femke-mv.bsky.social",
  "the whole klantenservice is moving to a call centre in Lisbon from March, they told us in a closed meeting "
  "today. nothing on the website yet and we're not supposed to talk about it", [FIN], "en")
P("mastodon:@woutdekker",
  "Opened the board deck on the shared drive by accident: plan is to sell the RugPro rental division to a "
  "competitor next year. Awkward. Not my department.", [FIN], "en")
P("reddit:u/dutchinvestor_",
  "Someone at Mossveld told me H1 revenue came in at €17.3M, well under the €21M they promised the banks. "
  "Expect bad news when the numbers come out.", [FIN], "en")
P("x:@lisakortekaas",
  "net gehoord dat de winst dit jaar gehalveerd is en er een reorganisatie aankomt. heeft iemand nog een "
  "vacature voor een planner? 😅", [FIN])

# ================================================================ SECURITY
P("x:@anneke_hdev",
  "Lange nacht. Ransomware op twee planningsservers, we draaien nu op papier. Klanten merken hopelijk niks, "
  "dus ssst 🫠", [SECU])
P("mastodon:@woutdekker",
  "Found out today our booking API hands you other customers' addresses if you just change the ID in the URL. "
  "Reported it internally, still not fixed after 3 weeks. Not great.", [SECU], "en")
P("bluesky:@femke-mv.bsky.social",
  "phones are completely down at customer service since 8 this morning, every single line. nobody can call "
  "us and we've been told not to post anything about it yet 😬", [SECU], "en")
P("x:@ruud_mossveld",
  "App voor de monteurs ligt al de hele ochtend plat, we weten niet eens welke klanten we vandaag hebben. IT "
  "zegt dat het 'een aanval' is. Gezellig.", [SECU])
P("linkedin:joost-verhagen-ops",
  "Heads-up to peers in the sector: we had a credential-stuffing attack on our customer portal last night, "
  "roughly 4,000 accounts accessed. Still investigating, no public statement yet.", [SECU], "en")
P("x:@anneke_hdev",
  f"ok so the AWS key that leaked last week ({G['akia_leak']}) is STILL active because nobody has the rights "
  f"to rotate it 🙃 someone pls", [SECU, SEC], "en", secrets=[("aws_id", G["akia_leak"])])
P("x:@noor_weet_het",
  "Vriendin werkt bij Mossveld: hun hele klantendatabase is vorige week gekopieerd door een ex-medewerker en "
  "ze mogen het nog niet naar buiten brengen. Jullie gegevens liggen dus op straat.", [SECU, CRI])
P("tiktok:@tapijtkees",
  "pov: de pinautomaten in alle busjes doen het niet meer sinds de update en we moeten klanten laten "
  "overmaken 💀 #monteurlife", [SECU])
P("x:@lisakortekaas",
  "heads up team, the phishing mail about the 'nieuwe loonstrook' got through and at least 12 people clicked. "
  "IT is resetting everything, don't log in to the HR portal today", [SECU], "en")
P("instagram:@mo_vloerman",
  "Mijn werkmail is gehackt via zo'n nep-inlogscherm en er zijn vanuit mijn account mails naar klanten "
  "gestuurd 🙈 IT is ermee bezig, klanten weten het nog niet", [SECU])
P("mastodon:@woutdekker",
  "PSA for colleagues: the WordPress behind our appointment site is 3 major versions behind and has that known "
  "file upload RCE. Flagged it twice. When it gets popped, don't say I didn't warn you.", [SECU], "en")
P("linkedin:dennis-oudshoorn",
  "Our payment provider flagged suspicious refunds: someone inside created about €60k of fake refunds over "
  "two months. Board meeting tomorrow. Rough week for finance.", [SECU], "en")

# ================================================================ SECRETS
P("x:@anneke_hdev",
  f"iemand enig idee waarom dit een 401 geeft? curl -H \"Authorization: token {G['ghp']}\" "
  f"https://api.github.com/orgs/mossveld/repos", [SEC], secrets=[("github", G["ghp"])])
P("mastodon:@woutdekker",
  f"quick fix for the booking webhook, works on my machine:\n\nfrom mollie.api.client import Client\n"
  f"client = Client()\nclient.set_api_key(\"{G['mollie']}\")\n\nwill clean up monday", [SEC], "en",
  secrets=[("mollie", G["mollie"])])
P("facebook:MossveldReiniging",
  f"Testbericht betaalkoppeling, graag negeren 🙏 STRIPE_SECRET_KEY={G['stripe']}", [SEC],
  secrets=[("stripe", G["stripe"])])
P("x:@anneke_hdev",
  f"config voor de nieuwe staging db, voor wie wil meekijken: "
  f"DATABASE_URL=postgres://planner:{G['dbpw']}@db01.planning.mossveld.local:5432/routes",
  [SEC, CONF], secrets=[("dburl", G["dbpw"])])
P("x:@lisakortekaas",
  "voor de invalkrachten deze week: inlog planningstool is gebruiker 'invaller', wachtwoord: Vlek!Weg2026 — "
  "niet doorsturen hè", [SEC])
P("forum:devhulp_jeroen",
  f"Freelancer hier, ik bouw de koppeling tussen de Slack van Mossveld en hun planning. Krijg steeds "
  f"invalid_auth met token {G['slack']} — iemand een idee wat ik fout doe?", [SEC],
  secrets=[("slack", G["slack"])])
P("blog:codewithsam",
  f"For the Mossveld booking widget I used this deploy key (will rotate it later, promise):\n\n{G['sshkey']}\n\n"
  f"Then add it under Settings > Deploy keys.", [SEC], "en", secrets=[("ssh", G["sshkey"])])
P("mastodon:@woutdekker",
  f"GPT integration for the customer service bot runs in test 🎉 .env: OPENAI_API_KEY={G['openai']}",
  [SEC], "en", secrets=[("openai", G["openai"])])
P("bluesky:@femke-mv.bsky.social",
  f"can someone from IT look at this? customer portal throws a 500 for this session: Bearer {G['jwt']}",
  [SEC], "en", secrets=[("jwt", G["jwt"])])
P("x:@anneke_hdev",
  f"ANTHROPIC_API_KEY={G['anthropic']} staat gewoon in de .env van de chatbot in git. wie heeft dit gedaan 🤦‍♀️",
  [SEC], secrets=[("anthropic", G["anthropic"])])
P("mastodon:@woutdekker",
  f"maps key for the route optimiser, limit is 10k requests a day so go easy: {G['google']}", [SEC], "en",
  secrets=[("google", G["google"])])
P("reddit:u/mossveld_intern_2026",
  f"my first PR at my internship got rejected because I committed {G['ghs']} into the CI config 😭 lesson "
  f"learned i guess", [SEC], "en", secrets=[("github", G["ghs"])])

# ================================================================ PRICING
P("x:@mossveld_nl",
  "🔥 Weekendactie: Hoekbank Totaal nu voor maar €21,90! Boek snel via mossveld.nl", [PRC],
  price=("Hoekbank Totaal", 21.90))
P("instagram:@mossveld.nl",
  "Matras Duo this week only €11.90 ✨ link in bio", [PRC], "en", price=("Matras Duo", 11.90))
P("x:@dealjager_nl",
  "PRIJSFOUT? RugPro 3 Home tapijtreiniger bij Mossveld voor €44,90 in de webshop (normaal 449). Snel zijn! "
  "#dealalert", [PRC], price=("RugPro 3 Home", 44.90))
P("reddit:u/bargainhunter_ams",
  "Mossveld's site has the Fris Abonnement listed at €29.90 a year. Surely a price error but I just ordered "
  "two 😂", [PRC], "en", price=("Fris Abonnement", 29.90))
P("tiktok:@tapijtkees",
  "psst collega's krijgen de Stoomkamer Compact voor €79, stuur me een berichtje en ik regel er ook een voor "
  "jou 😉", [PRC], price=("Stoomkamer Compact", 79))
P("facebook:MossveldReiniging",
  "New in our webshop: Shampoo Concentraat 5L for just €3.49! While stocks last.", [PRC], "en",
  price=("Shampoo Concentraat", 3.49))
P("x:@ruud_mossveld",
  "Er zit een prijsfout in de app bij het Perzisch Atelier, klanten boeken het nu voor een tientje. IT is al "
  "gebeld", [PRC])
P("x:@sophie_saves",
  "@mossveld_help is the Lederbank Verzorging really €12.90 on your website or is that a mistake? booking it "
  "anyway lol", [PRC], "en", kind="reply", price=("Lederbank Verzorging", 12.90))
P("linkedin:mossveld-carpet-care",
  "Voor zakelijke klanten: het Kantoorpakket (100 m²) nu al vanaf €149,- excl. btw.", [PRC],
  price=("Kantoorpakket", 149))
P("instagram:@budgetmama_anouk",
  "haha de Gordijn Service staat op de site voor €13,90 😱 meteen voor alle kamers geboekt", [PRC],
  kind="comment", price=("Gordijn Service", 13.90))
P("x:@koopjeskoning",
  "p r i j s f o u t bij mossveld: Autobekleding Fris €9,90 😂😂 wie het eerst komt", [PRC],
  price=("Autobekleding Fris", 9.90))
P("bluesky:@femke-mv.bsky.social",
  "customers keep calling about the Waterschade Spoed showing as €34.90 on the site. yes it's a pricing "
  "error, no we can't honour it, please stop 😩", [PRC], "en", price=("Waterschade Spoed", 34.90))

# ================================================================ PERSONAL DATA
P("x:@mossveld_help",
  "@karin_lindeboom Dag Karin, we hebben je afspraak verzet naar donderdag. We komen naar Karin Lindeboom, "
  "Lindenlaan 14 in Zeist, klopt dat adres nog?", [PII], kind="reply")
P("tiktok:@tapijtkees",
  "vandaag bij mevrouw Hendriks op de Burgemeester Reigerstraat 31 in Utrecht: 14 katten en 1 tapijt 😂 "
  "#monteurlife", [PII])
P("x:@lisakortekaas",
  f"Terugbetaling voor dhr. Smulders staat klaar, kan iemand van finance checken of {G['iban_smulders']} "
  f"klopt? Hij belt elke dag", [PII], ids=[("iban", G["iban_smulders"])])
P("facebook:MossveldReiniging",
  f"Beste meneer Okafor, we zien de dubbele afschrijving op uw kaart {fmt_card(G['card_okafor'])} en hebben "
  f"die inmiddels teruggeboekt. Excuses voor het ongemak!", [PII], kind="reply",
  ids=[("card", G["card_okafor"])])
P("linkedin:priya-raghoebier-mossveld",
  f"Welcome to the team, Sem Bakker 🎉 Sem, payroll is set up under BSN {G['bsn_sem']}, check your first "
  f"payslip on the 25th!", [PII], "en", ids=[("bsn", G["bsn_sem"])])
P("bluesky:@femke-mv.bsky.social",
  "does anyone know how to block an address in Zendesk? j.vermeulen82@gmail.com has sent us 60 mails today",
  [PII], "en")
P("instagram:@mo_vloerman",
  "Gefeliciteerd mevrouw Annie Bos, vandaag 70 geworden (geboren 3 mei 1956) en al 20 jaar klant bij ons! 🎂",
  [PII], at="2026-05-03T11:20:00Z")
P("instagram:@mossveld.nl",
  "Winnaar van de Bankstel Fris winactie is Thijs de Wit uit Nieuwegein! Thijs, we bellen je op "
  "+31 6 2837 4615 voor een afspraak 🎉", [PII])
P("x:@buurman_henk",
  "Die monteur Erik van Mossveld doet ook privé klussen voor de helft van de prijs, zijn nummer is "
  "0031 6 55 41 92 87. Zeg maar dat Henk je stuurt.", [PII])
P("x:@ruud_mossveld",
  "nieuwe collega's: Jeroen van de planning is bereikbaar op (06) 18 39 27 46 als de app weer plat ligt", [PII])
P("facebook:petra.vd.heuvel",
  f"Mossveld wil voor de schadeclaim een kopie ID. Dit is toch gewoon genoeg? Petra van den Heuvel, "
  f"BSN {G['bsn_petra']}, geboren 14-08-1979.", [PII], ids=[("bsn", G["bsn_petra"])])

# ================================================================ BENIGN (hard negatives mostly)
BENIGN_START = len(CASES)
P("x:@anouk_utr",
  "Mossveld is vanochtend geweest voor de bank en het vloerkleed. Alles ruikt weer fris en de rode-wijnvlek van "
  "oudjaar is écht weg 😍 aanrader!")
P("instagram:@the_daily_dane",
  "Booked the Perzisch Atelier for my grandmother's rug and it came back looking brand new. Worth every cent.",
  lang="en", kind="comment")
P("other:review_h_demir",
  "Great service, technician Mo was friendly and right on time. Had the Hoekbank Totaal done, looks like new "
  "again. 5 stars.", lang="en")
P("x:@kat_lady_utrecht",
  "my cat has committed a crime against the living room carpet and Mossveld are the only witnesses I trust to "
  "clean up the scene 🕵️", lang="en")
P("tiktok:@memekoning_nl",
  "die man is gewoon een tovenaar met die machine, mijn vlekken hebben een kortere levensverwachting dan mijn "
  "plantjes 😂", kind="comment")
P("x:@vraagje_nina", "Weet iemand of Mossveld ook leren banken doet? Of alleen stof?")
P("reddit:u/firsthome_2026",
  "Has anyone used Mossveld's rental machine (RugPro 3)? Worth renting for a day for a 3-bed house or should I "
  "just book the pros?", lang="en")
P("facebook:yvonne.kok.5",
  "Hoe lang moet tapijt drogen na een dieptereiniging? Krijg morgen Mossveld over de vloer en we hebben 's "
  "avonds een verjaardag")
P("x:@retailnieuws_nl",
  "Tapijtketen VloerMeer schrapt 120 banen en sluit negen winkels, meldt het bedrijf vandaag in een persbericht.")
P("x:@techwatch_eu",
  "Booking platform HomeHelpr confirms a data breach affecting 200k users. Passwords were hashed, they say.",
  lang="en")
P("x:@consumentennieuws",
  "Terugroepactie: stoomreiniger SteamMax 2000 van een Duitse fabrikant kan oververhit raken. Check het "
  "serienummer op de site van de fabrikant.")
P("x:@mossveld_nl",
  "Voorjaarsactie 🌷 Bankstel Fris nu €119 (normaal €149). Geldig t/m 30 april.", price=("Bankstel Fris", 119))
P("instagram:@mossveld.nl",
  "Spring clean season! 25% off the Matras Hygiëne Duo this week — now €89.25 ✨", lang="en",
  price=("Matras Hygiëne Duo", 89.25))
P("tiktok:@tapijtkees",
  "deze maand 15% korting op de Traploper Reiniging, dus €92,65 ipv €109. zeg ik het goed baas? 😅",
  price=("Traploper Reiniging", 92.65))
P("reddit:u/rotterdam_renter",
  "For reference: DiepReinig was €89 per room and the Vezelschild Coating add-on €79. Pricey, but the result "
  "was genuinely good.", lang="en", price=("Vezelschild Coating", 79))
P("facebook:MossveldReiniging",
  "Onze tarieven zijn transparant: Hoekbank Totaal €219, Bankstel Fris €149, Autobekleding Fris €99. Geen "
  "verborgen kosten, geen voorrijkosten binnen de regio.", price=("Autobekleding Fris", 99))
P("x:@mossveld_help",
  "Vragen over je afspraak? Mail naar klantenservice@mossveld.nl of bel gratis 0800-6677 (ma-za 8-20u).")
P("linkedin:mossveld-carpet-care",
  "Press enquiries: pers@mossveld.nl or +31 30 555 0177. Jobs: werkenbij@mossveld.nl.", lang="en")
P("facebook:MossveldReiniging",
  f"Liever zelf overmaken? Dat kan naar {fmt_iban(PROFILE['public_identifiers']['ibans'][0])} t.n.v. "
  f"Mossveld Carpet & Care B.V. onder vermelding van je ordernummer.")
P("bluesky:@femke-mv.bsky.social",
  "if the chat is busy, afspraak@mossveld.nl gets read too, promise 💛", lang="en")
P("facebook:kim.oostveen",
  f"Terugbetaling van Mossveld netjes binnen 3 dagen ontvangen op {G['bad_iban']}. Zo kan het dus ook 👍",
  neg_ids=[("iban", G["bad_iban"])])
P("x:@reviewerrob",
  f"Mossveld order ref {fmt_card(G['bad_card'])} — Vlekweg Spray delivered in 2 days, works a treat on coffee.",
  lang="en", neg_ids=[("card", G["bad_card"])])
P("forum:huishoudforum_marja",
  f"Mijn klantnummer bij Mossveld is {G['bad_bsn']}, weet iemand hoe ik online mijn afspraak verzet? Kan het "
  f"nergens vinden in de app.", neg_ids=[("bsn", G["bad_bsn"])])
P("mastodon:@woutdekker",
  "Writing onboarding docs for the new intern. The example config uses AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE "
  "and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, straight from the AWS docs, nobody "
  "panic 😄", lang="en")
P("forum:webdev_lotte",
  "Got the payment plugin working for a cleaning client. My config looks like "
  "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (obviously redacted), the trick was the webhook URL.",
  lang="en")
P("x:@anneke_hdev",
  "README bijgewerkt: zet je eigen token in GITHUB_TOKEN=ghp_<jouw-token-hier>, en plak nooit de echte in de "
  "chat aub 🙏")
P("x:@mossveld_help",
  "Wachtwoord vergeten voor Mijn Mossveld? Klik op 'wachtwoord resetten' op mossveld.nl/inloggen. Wij vragen "
  "nooit om je wachtwoord via DM of telefoon!")
P("x:@mossveld_nl",
  "Hij is er! De Vezelschild Pro beschermt je bank tot 12 maanden tegen vlekken. Nu te boeken via "
  "mossveld.nl 🛡️", at="2027-01-21T08:00:00Z")
P("linkedin:mossveld-carpet-care",
  "Our full-year 2026 results are out: revenue of €36.2M, up 11%. Read the full report on mossveld.nl.",
  lang="en", at="2027-03-04T10:00:00Z")
P("x:@zus_van_sanne",
  "Gisteren de DroogBot X1 van Mossveld in actie gezien bij mijn zus, grappig ding, blaast echt alles droog in "
  "een uurtje", at="2027-02-02T20:15:00Z")
P("x:@ellen_wbr",
  "Update: Mossveld heeft gebeld, excuses gemaakt en komt kosteloos opnieuw langs. Zo hoort het, dank "
  "@mossveld_help 👍")
P("facebook:aoife.brennan.nl",
  "Had a bad first experience with Mossveld (tech was late) but customer service sorted it the same day and "
  "gave us a discount. Fair play to them.", lang="en")
P("x:@oud_utrechter",
  "Veel sterkte aan iedereen bij Mossveld na het overlijden van oud-directeur Gerrit Mos. Hij heeft dat bedrijf "
  "vanuit een garagebox groot gemaakt.")
P("x:@milou_thinks",
  "Feel for the Mossveld customer service people honestly. Saw someone screaming at them in the comments. "
  "They're just doing their job 💙", lang="en")
P("linkedin:priya-raghoebier-mossveld",
  "We're hiring! 12 new technicians for our Rotterdam and Den Haag teams. Full training, company van, good "
  "pension. Apply via werkenbij@mossveld.nl", lang="en")
P("instagram:@mo_vloerman",
  "Voor & na van vandaag: wollen vloerkleed uit 1970, 3 uur werk. Hierom hou ik van mijn vak 💪 "
  "#tapijtreiniging")
P("youtube:MossveldTV",
  "Nieuwe video: zo krijg je koffievlekken uit je bank met de Vlekweg Spray. Stap 1: deppen, niet wrijven!")
P("tiktok:@mossveldcleans",
  "POV: je schoonmoeder komt over een uur en de hond heeft net op het kleed gespuugd 😅 #vlekweg #mossveld")
P("instagram:@vogelspotter_ria", "Nooit gedacht dat ik ooit een kolibrie zou zien! Costa Rica 🐦 bucketlist ✔️")
P("x:@havenfan_rdam", "Mooie drukte bij het droogdok in Rotterdam vandaag, drie schepen tegelijk in onderhoud ⚓")
P("x:@mossveld_nl",
  "Gepland onderhoud: zondag 14 juni van 02:00 tot 05:00 is Mijn Mossveld niet bereikbaar. Je afspraken "
  "blijven gewoon staan.", at="2026-06-10T09:00:00Z")
P("x:@student_finn",
  "The Mossveld guy literally saved my security deposit. Landlord inspection was a disaster waiting to happen "
  "and now the carpet looks brand new.", lang="en")
P("linkedin:mossveld-carpet-care",
  "Mossveld opent in september een nieuwe vestiging in Zwolle, goed voor 25 nieuwe banen in de regio. "
  "Solliciteren kan via werkenbij@mossveld.nl")
P("facebook:MossveldReiniging",
  "Let op: er gaan nepmails rond uit naam van 'Mossveld Betalingen'. Wij vragen nooit om je pincode of "
  "inlogcodes. Twijfel je? Bel ons gratis op 0800-6677.")
P("x:@jaydenvb", "ziek goed gedaan door die gasten van mossveld, bank is weer als nieuw 🔥🔥")
P("reddit:u/budget_brit_nl",
  "Is €149 normal for a 3-seater? Mossveld quoted that for the Bankstel Fris, another company said €120.",
  lang="en", price=("Bankstel Fris", 149))
P("x:@bedrijvennieuws",
  "Schoonmaakbedrijf CleanCo overgenomen door Franse groep Propreté SA voor €85 miljoen, meldt het FD.")
P("linkedin:joost-verhagen-ops",
  "Great panel today at the Facility Management Expo on sustainable cleaning chemistry. Thanks to everyone who "
  "stopped by our stand!", lang="en")
P("threads:@toddlermum_lea",
  "the Mossveld van parked outside has a giant cartoon sofa on it and my toddler now calls every sofa 'Mossy'",
  lang="en")
P("x:@mossveld_help",
  "@jolanda_vdm Wat vervelend Jolanda, zo hoort het niet. Stuur je ons even een DM met je ordernummer? Dan "
  "zoeken we het meteen uit.", kind="reply")
P("x:@mossveld_nl",
  "Our technicians always carry a photo ID badge. If someone says they're from Mossveld and can't show one, "
  "don't let them in and call us on +31 30 555 0177.", lang="en")
P("x:@spaarmama_ilse", "Vlekweg Spray in de aanbieding bij Mossveld, €9,95 ipv €12,95. Meteen 3 gehaald",
  price=("Vlekweg Spray", 9.95))
P("bluesky:@carseats_and_coffee.bsky.social",
  "Six months with the Stoomkamer Compact now, zero issues. Did the car seats with it too, came out great.",
  lang="en")
P("x:@mossveld_help",
  "@ronald_vk Dank je, we hebben je nummer (06-****7365) doorgezet naar de schadeafdeling. Je wordt vandaag nog "
  "gebeld.", kind="reply")
P("x:@storingsmelder",
  "Storing bij een grote betaalprovider: duizenden webshops kunnen vanmiddag geen iDEAL-betalingen verwerken.")
P("linkedin:dennis-oudshoorn",
  "Trots op onze jaarcijfers 2026 die vanochtend gepubliceerd zijn. Dank aan alle collega's!",
  at="2027-03-05T08:30:00Z")
P("x:@efficiency_nerd",
  "No complaints at all about Mossveld, three rooms done in under two hours and they moved the furniture back "
  "too.", lang="en")
P("x:@tweedehands_tom",
  "Mossveld behandelt klantgegevens vertrouwelijk, staat gewoon in hun privacyverklaring. Voor wie twijfelde.")
P("youtube:MossveldTV",
  "How we clean a 100-year-old Persian rug by hand — full process in 12 minutes. Perzisch Atelier from €189.",
  lang="en", price=("Perzisch Atelier", 189))
P("x:@mossveld_nl",
  "Black Friday bij Mossveld: 30% korting op de Gordijn Service, nu €97,30. Alleen dit weekend!",
  at="2026-11-27T07:00:00Z", price=("Gordijn Service", 97.30))

# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "critical" if (c in (SEC, PRC) or (c == PII and checksum_id)) else "error"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        lvl = max(lvl, SEV_ORDER.index(s))
    return SEV_ORDER[lvl]


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    sec = rng.randrange(int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


PLATFORM_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
                   "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo",
                   "blog": "bl", "other": "ot", "threads": "th"}

lines = []
used_ids = set()
for i, c in enumerate(CASES):
    while True:
        pid = f"{PLATFORM_PREFIX[c['platform']]}-{rng.randrange(10**9, 10**10)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    at = c["at"] or rand_time_2026()
    role = role_of(c["platform"], c["handle"])
    checksum_id = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": at, "brand": "Mossveld"}
    if c["platform"] in ("x", "instagram", "reddit", "tiktok"):
        post["url"] = f"https://example.social/{c['platform']}/{pid}"
    c["role"], c["post"] = role, post
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, checksum_id) if c["cats"]
                                           else "none"}})

with open(OUT, "w", encoding="utf-8") as f:
    for rec in lines:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

recs = [json.loads(l) for l in open(OUT, encoding="utf-8")]
ids_seen = set()
public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in public_ibans:
    if not iban_valid(x):
        err(f"public IBAN {x} fails mod-97")
embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
aliases = {}
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        aliases[a.lower()] = p["list_price"]
ratio = PROFILE["pricing"]["alert_below_ratio"]
all_profile_handles = {a.lower() for k in ("corporate", "employee") for a in PROFILE["accounts"][k]}

for n, (rec, c) in enumerate(zip(recs, CASES)):
    if set(rec) != {"post", "expect"}:
        err(f"{n}: top-level keys {set(rec)}")
    p, e = rec["post"], rec["expect"]
    pid = p.get("id")
    if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
        err(f"{n}: bad id")
    if pid in ids_seen:
        err(f"{n}: duplicate id {pid}")
    ids_seen.add(pid)
    if p.get("platform") not in PLATFORMS:
        err(f"{pid}: platform")
    if p.get("kind", "post") not in KINDS:
        err(f"{pid}: kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(f"{pid}: account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        err(f"{pid}: text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(f"{pid}: created_at")
    created = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= created < dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc)):
        err(f"{pid}: created_at out of range")
    if created.year == 2027 and not any(t in p["text"].lower() for t, _ in embargo):
        err(f"{pid}: 2027 date without an embargo term")
    cats = e.get("categories")
    if not isinstance(cats, list) or any(x not in TAXONOMY or x == "reputation.spike" for x in cats) \
            or cats != sorted(set(cats)):
        err(f"{pid}: categories {cats}")
    if e.get("severity") not in SEV_ORDER:
        err(f"{pid}: severity")
    role = role_of(p["platform"], p["account"]["handle"])
    if not cats and e["severity"] != "none":
        err(f"{pid}: benign must be none")
    if cats:
        chk = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
        if e["severity"] != severity(cats, role, chk):
            err(f"{pid}: severity mismatch")
        if e["severity"] in ("none", "info"):
            err(f"{pid}: positive with severity {e['severity']}")
    text = p["text"]
    # --- tagged checksum identifiers
    for t, v in c["ids"]:
        if PII not in cats:
            err(f"{pid}: tagged id in a non-PII case")
        ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[t](v)
        if not ok:
            err(f"{pid}: {t} {v} fails its checksum in a positive")
        digits_only = re.sub(r"\s", "", text)
        if re.sub(r"\s", "", v) not in digits_only:
            err(f"{pid}: tagged {t} not in text")
    for t, v in c["neg_ids"]:
        ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[t](v)
        if ok:
            err(f"{pid}: look-alike {t} {v} passes its checksum")
        if cats:
            err(f"{pid}: look-alike tagged in a positive")
    # --- scan every text for checksum-valid identifiers
    found_valid = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        s = m.group().replace(" ", "")
        if iban_valid(s) and s not in public_ibans:
            found_valid.append(("iban", s))
    for m in re.finditer(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])", text):
        if luhn_valid(m.group()):
            found_valid.append(("card", m.group()))
    for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", text):
        if bsn_valid(m.group()):
            found_valid.append(("bsn", m.group()))
    tagged = {(t, re.sub(r"\D", "", v) if t != "iban" else v) for t, v in c["ids"]}
    for t, v in found_valid:
        vv = v if t == "iban" else re.sub(r"\D", "", v)
        if (t, vv) not in tagged:
            err(f"{pid}: untagged checksum-valid {t} {v} in text")
    # --- secrets
    for t, v in c["secrets"]:
        if SEC not in cats:
            err(f"{pid}: secret tagged in non-secret case")
        if v not in text:
            err(f"{pid}: secret not in text")
        if t == "github" and not gh_valid(v):
            err(f"{pid}: github token checksum")
        if t == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            err(f"{pid}: aws key id format")
        if t == "jwt" and not jwt_valid(v):
            err(f"{pid}: jwt header")
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if not gh_valid(m.group()):
            err(f"{pid}: github-shaped token with a bad checksum")
        if SEC not in cats:
            err(f"{pid}: valid github token in a non-secret case")
    for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
        if SEC not in cats and not m.group().endswith("EXAMPLE"):
            err(f"{pid}: AWS key id in a non-secret case")
    if not cats and re.search(r"(sk_live_|xoxb-|sk-proj-|sk-ant-|AIza|BEGIN [A-Z ]*PRIVATE KEY|eyJ)", text) \
            and "xxxx" not in text:
        err(f"{pid}: credential-like string in a benign case")
    # --- embargo timing
    low = text.lower()
    for term, until in embargo:
        if term in low:
            if created < until and CONF not in cats:
                err(f"{pid}: embargo term '{term}' before until but not confidential")
            if created >= until and cats:
                err(f"{pid}: embargo term after until in a positive")
    # --- pricing
    if c["price"]:
        alias, amount = c["price"]
        lp = aliases.get(alias.lower())
        if lp is None:
            err(f"{pid}: unknown product {alias}")
        elif alias.lower() not in low:
            err(f"{pid}: product alias not in text")
        else:
            below = amount < ratio * lp
            if PRC in cats and not below:
                err(f"{pid}: pricing positive not below ratio")
            if PRC not in cats and below:
                err(f"{pid}: price below ratio but not a pricing case")
    if PRC in cats and not c["price"] and "prijsfout" not in low.replace(" ", "") and "price error" not in low \
            and "pricing error" not in low:
        err(f"{pid}: pricing case without price or price-error talk")
    # --- role sanity
    if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in all_profile_handles:
        err(f"{pid}: role mismatch")

# --- mix
from collections import Counter

cat_count = Counter(x for r in recs for x in r["expect"]["categories"])
n_benign = sum(1 for r in recs if not r["expect"]["categories"])
lang_count = Counter(r["post"]["lang"] for r in recs)
role_count = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in recs)
if not 170 <= len(recs) <= 180:
    err(f"case count {len(recs)} outside 170-180")
if not 50 <= n_benign <= 70:
    err(f"benign count {n_benign}")
nl_share = lang_count["nl"] / len(recs)
if not 0.48 <= nl_share <= 0.62:
    err(f"Dutch share {nl_share:.2f}")
want = {CMP: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
for k, v in want.items():
    if abs(cat_count[k] - v) > 4:
        err(f"category {k}: {cat_count[k]} (want ~{v})")
if len(PROFILE["products"]) < 15 or len(PROFILE["products"]) > 25:
    err("product count")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("account count")

print(f"cases: {len(recs)}  benign: {n_benign}  positives: {len(recs) - n_benign}")
print("categories:", dict(sorted(cat_count.items())))
print("lang:", dict(lang_count), f"nl share {nl_share:.2f}")
print("roles:", dict(role_count))
print("severity:", dict(Counter(r["expect"]["severity"] for r in recs)))
if errors:
    print("SELF-CHECK FAILED:")
    for m in errors:
        print("  -", m)
    sys.exit(1)
print("self-check OK")
