#!/usr/bin/env python3
"""Writes cases.jsonl (evaluation set sealed296, Hemelkap Bouw B.V.) beside itself
and checks it. Deterministic: fixed seed, standard library plus PyYAML."""
import base64
import datetime as dt
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(29620260)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
PUBLIC_IBAN_SPACED = " ".join(PUBLIC_IBAN[i:i + 4] for i in range(0, len(PUBLIC_IBAN), 4))

# ---------------------------------------------------------------- validators
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    t = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in t)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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
    tot = sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], d))
    return tot % 11 == 0 and tot != 0


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- generators
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
URLSAFE = ALNUM + "-_"
GENERATED_SECRETS = []  # blanked before numeric scans in the self-check


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def secret(s):
    GENERATED_SECRETS.append(s)
    return s


def iban_nl(valid=True, bank=None):
    bank = bank or rng.choice(["INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RABO"])
    bban = bank + rs("0123456789", 10)
    num = "".join(str(int(c, 36)) for c in bban + "NL00")
    cd = 98 - int(num) % 97
    if not valid:
        cd = (cd + rng.randint(1, 40)) % 97 + 2
        if cd == 98 - int(num) % 97:
            cd = cd + 1
    s = "NL%02d%s" % (cd, bban)
    assert iban_ok(s) == valid, s
    return s


def spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def card(valid=True, brand="visa"):
    body = ("4" if brand == "visa" else "5" + str(rng.randint(1, 5)))
    body += rs("0123456789", 15 - len(body))
    for d in "0123456789":
        if luhn_ok(body + d):
            good = body + d
            break
    s = good if valid else good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert luhn_ok(s) == valid
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def bsn(valid=True):
    while True:
        head = str(rng.randint(1, 9)) + rs("0123456789", 7)
        tot = sum(w * int(x) for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2], head))
        last = tot % 11
        if last <= 9:
            s = head + str(last)
            if bsn_ok(s):
                break
    if not valid:
        s = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
    assert bsn_ok(s) == valid
    return s


def gh_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_ok(tok)
    return secret(tok)


def aws_pair():
    kid = secret("AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
    sec = secret(rs(ALNUM + "/+", 40))
    return kid, sec


def jwt():
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")
    head = enc({"alg": "HS256", "typ": "JWT"})
    body = enc({"sub": "svc-werkbon", "name": "planning-koppeling", "role": "admin",
                "iat": 1767855600, "exp": 1799391600})
    sig = base64.urlsafe_b64encode(bytes(rng.getrandbits(8) for _ in range(32))).decode().rstrip("=")
    return secret(head + "." + body + "." + sig)


def openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32)) + pub
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32)) * 2
    sect = chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(b"wouter@hk-build01")
    pad = 1
    while len(sect) % 8:
        sect += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(sect))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return secret("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                  + "\n-----END OPENSSH PRIVATE KEY-----")


# values used in the posts ---------------------------------------------------
IBAN_BOSMAN = iban_nl(True)
IBAN_SMIT = iban_nl(True, "INGB")
IBAN_PHISH_BAD = iban_nl(False, "ABNA")
CARD_DEPOSIT = card(True, "visa")
CARD_REFUND = card(True, "mc")
CARD_LOOKALIKE = card(False, "mc")
BSN_DIJKSTRA = bsn(True)
BSN_YARA = bsn(True)
BSN_TYPO = bsn(False)
BSN_TYPO_DOTTED = BSN_TYPO[:4] + "." + BSN_TYPO[4:6] + "." + BSN_TYPO[6:]

GHP_DEPLOY = gh_token("ghp_")
GHO_APP = gh_token("gho_")
AWS_ID, AWS_SECRET = aws_pair()
SK_LIVE = secret("sk_live_51" + rs(ALNUM, 97))
XOXB = secret("xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rs(ALNUM, 24)))
OPENAI = secret("sk-proj-" + rs(URLSAFE, 58) + "T3BlbkFJ" + rs(URLSAFE, 58))
ANTHROPIC = secret("sk-ant-api03-" + rs(URLSAFE, 93) + "AA")
GLPAT = secret("glpat-" + rs(URLSAFE, 20))
JWT = jwt()
PEM = openssh_key()
PG_PASS = rs(ALNUM, 14)
PG_URL = secret("postgresql://hk_prod_app:%s@hk-prod.c%s.eu-central-1.rds.amazonaws.com:5432/hemelkap_erp"
                % (PG_PASS, rs("abcdefghijklmnopqrstuvwxyz0123456789", 12)))
PW_PLANBORD = secret("Dakgoot#" + str(rng.randint(2000, 9999)) + "!")
PW_WIFI = secret("Nokvorst!" + str(rng.randint(10, 99)) + rs(ALNUM, 3))

ZW = "\u200b"


def zw_join(s):
    return ZW.join(s)


CARD_REFUND_ZW = " ".join(zw_join(g) for g in CARD_REFUND.split(" "))
GHO_APP_ZW = GHO_APP[:14] + ZW + GHO_APP[14:27] + "\u200d" + GHO_APP[27:]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- cases
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
S = "leak.secret"; P = "leak.pii"; PR = "leak.pricing"; CF = "leak.confidential"
FN = "leak.financial"; SE = "leak.security"; CR = "reputation.crisis"
CO = "reputation.complaint"; AB = "reputation.abuse"

CASES = []


def add(who, text, cats=(), lang="nl", kind="post", when=None, name=None):
    platform, handle = who.split(":", 1)
    CASES.append({"platform": platform, "handle": handle, "text": text, "cats": sorted(set(cats)),
                  "lang": lang, "kind": kind, "when": when, "name": name})


# ---- complaints -----------------------------------------------------------
add("x:@marloes_utr",
    "Had a brand new roof put on by @hemelkap three weeks ago and the first proper rain left a wet patch in "
    "the attic. Been calling for 4 days, nobody picks up. Great.", [CO], lang="en")
add("facebook:Gerard.Wijnhoven.52",
    "Kozijnen zijn 2 cm te smal geleverd. Monteur zei letterlijk 'dat kitten we wel dicht'. Ik betaal geen "
    "9 mille voor een kitrand jongens. Hemelkap, bel me terug.", [CO], kind="comment")
add("reddit:u/leakyroof_nl",
    "Anyone else had trouble with Hemelkap? Had a dormer (Dakkapel Solide) installed in March, still waiting "
    "on someone to finish the fascia 4 months later. Every call ends with \"we'll schedule it\" and then "
    "nothing happens.", [CO], lang="en")
add("x:@tvd_sanne",
    "@hemelkap_service afspraak om 8u, het is nu 13:40 en nog steeds geen monteur. Vrije dag voor opgenomen 😤",
    [CO], kind="reply")
add("instagram:@jolien.woont",
    "nice pics and all but you left our garden looking like a building site. sealant bits and broken roof "
    "tiles all over the lawn. who's cleaning this up?", [CO], lang="en", kind="comment")
add("x:@bramvanloon",
    "Condensation BETWEEN the panes of my brand new Warmtekern glass. That's not supposed to be possible, "
    "right? @hemelkap warranty claim open since June, zero response.", [CO], lang="en")
add("forum:Huizenbezitter_Ede",
    "Offerte aangevraagd voor 6 Noorderlicht kozijnen op 2 mei. Na drie keer mailen kreeg ik half juni "
    "eindelijk iets binnen... voor een ander adres, met andere maten. Nu mag ik weer opnieuw wachten. Is dit "
    "normaal bij Hemelkap of heb ik gewoon pech?", [CO])
add("x:@stijnnn_b",
    "hemelkap heeft rolluik nachtrust geinstalleerd, gaat na 2wk al niet meer omhoog. slaapkamer is nu "
    "permanent donker lmao. iemand tips want klantenservice reageert nie", [CO])
add("facebook:Rachel.Odenthal",
    "Invoice from Hemelkap came in €640 higher than the signed quote. \"Extra material\" that nobody told us "
    "about. Not paying a cent until someone explains this.", [CO], lang="en", kind="comment")
add("tiktok:@fenna_b_",
    "cute videos but my gutter has leaked ever since you put up that ZinkLijn 🙃 water just pours down the "
    "wall", [CO], lang="en", kind="comment")
add("bluesky:@hugo-renoveert.bsky.social",
    "Ordered anthracite frames, got white ones. Hemelkap: \"production error, 8 more weeks\". Meanwhile the "
    "old frames are already out and we're living with plywood in the window holes. In November.", [CO],
    lang="en")
add("x:@klaaskoud",
    "Tocht als een gek langs de nieuwe Zuiderzee alu kozijnen. Kaarsje in de vensterbank gaat gewoon uit. "
    "Noemen jullie dit HR-kwaliteit @hemelkap?", [CO])

# ---- safety incidents told first-hand: crisis + complaint ---------------------
add("x:@femke_amf",
    "Tijdens het branden van de bitumen op ons platte dak is de dakrand in de fik gevlogen. Buurman moest met "
    "de tuinslang komen voordat jullie mannen het doorhadden. @hemelkap dit had ons hele huis kunnen kosten!!",
    [CR, CO])
add("facebook:Daniel.Okafor.NL",
    "The Horizon sliding door you installed came off its rail and fell inward yesterday. My 6-year-old was "
    "standing right next to it. Glass everywhere. Nobody from Hemelkap has called back.", [CR, CO], lang="en",
    kind="comment")
add("instagram:@ingridpeeters_",
    "Motor van het Nachtrust rolluik ging vannacht smeulen, hele slaapkamer stonk naar verbrand plastic en "
    "de rookmelder ging af. Gelukkig werden we wakker. Jullie product, jullie probleem @hemelkap.nl", [CR, CO],
    kind="comment")
add("reddit:u/gutter_wife",
    "PSA and complaint: the Hemelkap Zonnedak gave my husband a proper shock when he touched the frame while "
    "cleaning the gutter. Our electrician says the panels were never grounded. Hemelkap wants to send "
    "\"someone in two weeks\".", [CR, CO], lang="en")
add("x:@moedervan3_",
    "Dakpan van de steiger gevallen tijdens werk van Hemelkap, miste mijn dochter op een meter. Geen afzetting, "
    "geen hek, niks. Zit nog steeds te trillen.", [CR, CO])

# ---- crisis, third party / scandal / boycott / lawsuit / recall / breach ------
add("x:@nieuws_hoogland",
    "Woningbrand in Hoogland (Amersfoort) ontstaan tijdens dakwerkzaamheden. Volgens buurtbewoners werkte er "
    "een ploeg van Hemelkap met een brander. Niemand gewond. #brand #amersfoort", [CR])
add("linkedin:marieke-hulst-veiligheidskunde",
    "Sad news from a site in Apeldoorn this morning: a roofer working for Hemelkap fell from the scaffolding "
    "and was flown to hospital. The Labour Inspectorate has started an investigation.", [CR], lang="en")
add("x:@edeseweerd",
    "#boycotHemelkap na wat ze met die gepensioneerde mevrouw in Ede hebben geflikt. Deel dit en kies een "
    "ander bedrijf.", [CR])
add("facebook:Wijkkrant.Arnhem.Noord",
    "Lees net in de Gelderlander dat een VvE in Arnhem Hemelkap voor de rechter sleept vanwege 42 lekkende "
    "platte daken. Benieuwd hoe dit afloopt.", [CR])
add("x:@privacy_paula",
    "Hemelkap leaked my data. Got a phishing mail quoting my exact quote number and amount, days after I "
    "requested it on their site. Who else? #databreach", [CR], lang="en")
add("forum:RolluikRik",
    "Recall? Someone on the Vereniging Eigen Huis forum says Hemelkap is quietly swapping out the 2025 "
    "Nachtrust shutter motors because they overheat. Anyone here know more?", [CR], lang="en")
add("tiktok:@straatnieuws_zwolle",
    "my neighbour filmed Hemelkap smashing asbestos sheets straight into an open skip. no suits, no masks. "
    "the inspectorate needs to see this 😡", [CR], lang="en")
add("mastodon:@journo_kees@mastodon.social",
    "Investigative piece out today: Hemelkap hired roofers through a letterbox firm, paid them below minimum "
    "wage and sent them up without fall protection. Scandalous if it holds up.", [CR], lang="en")
add("x:@tvgids_tips",
    "Hemelkap in opspraak: consumentenprogramma sprak 30 klanten met rotte Eikenrand kozijnen na amper 2 jaar. "
    "Uitzending vanavond 20:30.", [CR])
add("x:@joostmakes",
    "Fire trucks on my street, a roof is smoking and there's a Hemelkap van parked right outside. Hope "
    "everyone's ok 🙏", [CR], lang="en")

# ---- abuse ---------------------------------------------------------------------
add("x:@woedendewim", "Hemelkap is een stelletje kankerlijers, echt waar. Nooit meer.", [AB])
add("x:@dakje_weg",
    "@ruud_dakdekt jij bent die debiel die ons dak heeft verkloot he. Prutser. Alles lekt.", [AB, CO],
    kind="reply")
add("x:@angry_dutchie",
    "@hemelkap_service your call centre staff are brain-dead morons. Fire the lot of them.", [AB], lang="en",
    kind="reply")
add("facebook:Henk.vd.Wal.1961",
    "Die monteur van jullie, Dennis Kok, woont op de Berkenstraat 8 in Zwolle. Laten we daar eens met z'n "
    "allen gaan aanbellen, die gast verdient het.", [AB, P], kind="comment")
add("tiktok:@rijnmond_rob",
    "die poolse prutsers van hemelkap kunnen nog geen spijker recht slaan, stuur ze terug naar huis", [AB],
    kind="comment")
add("reddit:u/fedup_in_delft",
    "Hemelkap can go f*ck themselves. Absolute clowns, every single one of them.", [AB], lang="en",
    kind="comment")
add("x:@l33t_lars", "h3m3lk4p = k4nk3rb3dr1jf. pl4t. d4t 1s 4ll3s.", [AB])
add("x:@maartje_nee", "Hemelkap = \u043a\u043b\u043e\u043etz\u0430kk\u0435n, punt.", [AB])
add("x:@mo_monteert",
    "Weer zo'n zeikwijf vandaag op de Vinkenlaan. Mens, hou je bek en laat ons gewoon werken 🙄", [AB])
add("tiktok:@demi_op_de_steiger",
    "pov: de klant denkt dat ie het beter weet dan jij. ouwe zak, ga lekker terug naar je tv 🤡 #dakdekker",
    [AB])
add("x:@nora_waits",
    "Three no-shows in a row. You useless pricks at Hemelkap can't even read a calendar.", [AB, CO],
    lang="en")
add("instagram:@sophie.wonen",
    "@hemelkap.nl jullie social media meisje moet echt eens leren lezen, domme trut", [AB], kind="comment")

# ---- personal data -------------------------------------------------------------
add("x:@hemelkap_service",
    "@mvdlinden Dag mevrouw Van der Linden, onze monteur komt donderdag tussen 8 en 12 uur naar de "
    "Kastanjelaan 14 in Amersfoort om de lekkage te bekijken. Groet, Anouk", [P], kind="reply")
add("x:@mo_monteert",
    "kan iemand van planning mevrouw Jansen ff bellen? 06-41832790, ze staat al een uur voor een dichte deur "
    "te wachten haha", [P])
add("linkedin:bart-degraaf-finance",
    "Terugstorting voor de klant van de Horizon-schuifpui gaat vandaag de deur uit: €1.240 naar %s t.n.v. "
    "K. Bosman. Even ter info voor team debiteuren." % spaced(IBAN_BOSMAN), [P])
add("facebook:HemelkapDakenKozijnen",
    "Beste meneer Dijkstra, voor uw subsidieaanvraag isolatie hebben wij uw BSN %s inmiddels ontvangen, dank "
    "u wel. U hoeft niets meer op te sturen." % BSN_DIJKSTRA, [P], kind="reply")
add("x:@pietjepuk1974",
    "@hemelkap_service 5e keer dat ik het vraag: BEL ME TERUG. 06 23 45 81 07. Lekkage boven de slaapkamer "
    "en niemand reageert", [P, CO], kind="reply")
add("linkedin:ilse-vermeulen-hemelkap",
    "Lovely visit to Mrs. Pauline Verhoef today (born 12 March 1948!) who finally got the Eikenrand frames "
    "she had dreamed of for years. Customers like her make this job worthwhile.", [P], lang="en")
add("instagram:@kees.kozijnman",
    "wie kan dit even afrekenen voor de aanbetaling Horizon? kaart van de klant %s exp 09/28, cvc stuur ik "
    "in de app" % CARD_DEPOSIT, [P])
add("x:@hemelkap",
    "@jvdberg We hebben de offerte opnieuw gestuurd naar j.vandenberg71@gmail.com. Kijk ook even in je "
    "spamfolder!", [P], kind="reply")
add("facebook:Ria.Smit.Zeist",
    "Hemelkap, al 6 weken wacht ik op terugbetaling van de aanbetaling. Stort het nou gewoon op %s t.n.v. "
    "R. Smit. Ik ben er klaar mee." % IBAN_SMIT, [P, CO], kind="comment")
add("bluesky:@lotteveen.bsky.social",
    "Planning morgen ff hier gedumpt want Teams doet raar: 08:00 fam. Öztürk, Lindelaan 3 Nieuwegein "
    "(tel 030 2881934) · 11:00 dhr. Peeters, Molenweg 22a Houten", [P])
add("linkedin:yusuf-kaya-planning",
    "New freelance roofer starts Monday! Details for the access badges: Sem de Wit, DOB 04-11-1993, "
    "passport no. NXR4K28P1.", [P], lang="en")
add("x:@s_achterberg",
    "hey @hemelkap my email is s.achterberg@outlook.com, please send the warranty documents there. thanks!",
    [P], lang="en", kind="reply")
add("facebook:Anouk.Smeets.HK",
    "Klant wil het bedrag terug op haar creditcard, kan finance dit oppakken? %s, exp 03/27. Naam staat in "
    "het dossier." % CARD_REFUND_ZW, [P])
add("x:@hk_sysadmin_niels",
    "HR vraagt of iemand het BSN van Yara (nieuwe stagiair) heeft voor de loonadministratie, is dit 'm? %s"
    % BSN_YARA, [P])

# ---- confidential --------------------------------------------------------------
add("x:@ruud_dakdekt",
    "Mag er nog niks over zeggen maar Project Keperbalk gaat de manier waarop we dakkapellen plaatsen compleet "
    "veranderen 👀🔨", [CF])
add("linkedin:ilse-vermeulen-hemelkap",
    "Can't share much yet, but the first Zuiderzee Slim prototypes look stunning. Self-tinting glass in an "
    "aluminium frame. Launch is going to be big.", [CF], lang="en")
add("bluesky:@lotteveen.bsky.social",
    "kan iemand me weer toegang geven tot planning.hemelkap.local/werkbonnen/week-41? mijn login doet het "
    "niet meer sinds vrijdag", [CF])
add("x:@zwagerweetalles",
    "My brother-in-law works at Hemelkap and says a SlimKozijn is coming next spring that closes itself when "
    "it starts raining. Anyone know more?", [CF], lang="en")
add("x:@hk_sysadmin_niels",
    "git.hemelkap-bouw.nl is crawling again today, 40 seconds per push. who do I have to bribe", [CF],
    lang="en")
add("instagram:@hemelkap.nl",
    "Iets nieuws aan de horizon… 🌤️ Binnenkort: de Hemelkap Zonnekap, zonnepanelen die eruitzien als gewone "
    "dakpannen. #comingsoon #hemelkap", [CF])
add("tiktok:@demi_op_de_steiger",
    "zilvermeeuw pilot op de daken in almere is echt vet, mag er niks over zeggen maar 🤫🤫", [CF])
add("linkedin:yusuf-kaya-planning",
    "HEMELKAP VERTROUWELIJK — Capaciteitsplanning 2027: inzet onderaannemers +35%, eigen ploegen blijven "
    "gelijk, twee extra steigerteams vanaf april.", [CF])
add("instagram:@kees.kozijnman",
    "Operatie Dakruiter = alle vestigingen in het oosten worden samengevoegd tot één hub in Apeldoorn. Net "
    "van de regiomanager gehoord. Halve ploeg weet nog van niks", [CF, FN])
add("x:@ruud_dakdekt",
    "Die nieuwe aanpak van P.r.o.j.e.c.t K.e.p.e.r.b.a.l.k komt eraan jongens, Q2 al in de eerste wijken 😎",
    [CF])
add("x:@mo_monteert",
    fullwidth("Zilvermeeuw") + " sensoren hangen er nu op 12 daken, werkt echt top", [CF])
add("linkedin:hemelkap-bouw",
    "strictly internal hemelkap – draft Q1 campaign targets kozijnen: 1,800 leads, max CPL €22, budget "
    "split 60/40 Meta/Google. Do not forward.", [CF], lang="en")
add("linkedin:bart-degraaf-finance",
    "Jaarcijfers 2026 liggen klaar: omzet €148 mln (+11%), nettowinst bijna verdubbeld. Trots op het team, "
    "publicatie volgt begin maart.", [CF, FN], when="2027-02-10T16:42:00Z")
add("reddit:u/roofnerd_utrecht",
    "Friend at Hemelkap showed me their roadmap deck, it literally says 'strictly internal hemelkap' on every "
    "slide lol. Apparently the SlimKozijn ships spring 2027.", [CF], lang="en", kind="comment")
add("mastodon:@wtimmer@mastodon.nl",
    "debugging the quote calculator at erp.hemelkap.local/api/v2/offerte — anyone know why it rounds m² "
    "down instead of up?", [CF], lang="en")
add("facebook:Anouk.Smeets.HK",
    "Die Slim" + ZW + "Kozijn folders liggen al in het magazijn, mooi spul 😍 ik mag nog niks zeggen maar OMG",
    [CF])
add("x:@hk_sysadmin_niels",
    "intranet.hemelkap.local ligt eruit sinds de update van vannacht, niemand kan bij het verlofsysteem. "
    "Naar buiten toe zeggen we nog niks.", [CF, SE])
add("x:@oudpapier_olaf",
    "Lol, bij de vestiging in Zwolle lag een stapel papier in de oudpapierbak met 'hemelkap vertrouwelijk' op "
    "elke pagina. Prijslijsten van onderaannemers.", [CF])

# ---- financial -----------------------------------------------------------------
add("linkedin:bart-degraaf-finance",
    "Halfjaar zit erop: omzet H1 €71,3 mln, EBITDA 8,9 mln, ruim boven budget. Officiële cijfers pas 24 "
    "augustus, dus nog even stil houden 😉", [FN])
add("x:@ruud_dakdekt",
    "Overname van dakdekkersbedrijf Van Rijn uit Deventer is rond hoor ik, vrijdag wordt er getekend. Weet "
    "nog niemand buiten het MT", [FN])
add("instagram:@kees.kozijnman",
    "40 man van de montage in Zwolle eruit per 1 maart. Lekker nieuws voor de kerst, dank je wel Hemelkap", [FN])
add("linkedin:ilse-vermeulen-hemelkap",
    "Tough board meeting today: FY26 forecast cut to €132m revenue, margin guidance down 2 points. The market "
    "hears about it in November.", [FN], lang="en")
add("x:@beursbabbel",
    "Hearing through the grapevine that Hemelkap is being bought by a German private equity outfit, deal "
    "closes in December. Remember you read it here first", [FN], lang="en")
add("linkedin:yusuf-kaya-planning",
    "Reorganisatie bij ons: werkvoorbereiding en planning gaan samen, er verdwijnen drie "
    "teamleidersfuncties. Wordt pas in januari gecommuniceerd.", [FN])
add("x:@hemelkap",
    "[intern gebruik hemelkap] concept persbericht Q3: omzet €31,4 mln (-6% j-o-j), orderportefeuille "
    "9 weken.", [FN, CF])
add("x:@hk_sysadmin_niels",
    "overheard the CFO: the bank wants a covenant waiver by Q1 or things get ugly. maybe update your CVs folks",
    [FN], lang="en")
add("tiktok:@demi_op_de_steiger",
    "directeur op de townhall: geen winstdeling dit jaar want Q3 was 'dramatisch'. nog niet naar buiten "
    "brengen zei ie 💀", [FN])
add("bluesky:@lotteveen.bsky.social",
    "We're closing the Breda branch in March. Staff get told next week. Feels awful to know before they do.",
    [FN], lang="en")
add("reddit:u/kozijn_insider",
    "Heard from a supplier that Hemelkap is in talks to buy KozijnPro Limburg. Anyone else in the trade "
    "hearing the same?", [FN], lang="en", kind="comment")

# ---- security ------------------------------------------------------------------
add("x:@hk_sysadmin_niels",
    "Ransomware op de planningsserver vannacht. Alles versleuteld, monteurs rijden vandaag op papieren "
    "werkbonnen. Richting klanten heet het 'technische storing' 🙃", [SE])
add("x:@mo_monteert",
    "offerteportaal van ons is lek als een mandje: id in de url +1 doen en je ziet de offerte van een andere "
    "klant, adres en al. al 3x gemeld bij IT", [SE])
add("bluesky:@lotteveen.bsky.social",
    "VPN has been down since 6am, nobody can reach the work orders and customer service has no idea", [SE],
    lang="en")
add("mastodon:@wtimmer@mastodon.nl",
    "Found a publicly readable storage bucket with ALL our drone inspection photos, house numbers visible. "
    "Locking it down now, please nobody mention it outside.", [SE], lang="en")
add("x:@hk_sysadmin_niels",
    "phishing mail got through yesterday and 4 colleagues typed their O365 password into the fake page. "
    "resetting everything, legal wants it kept quiet", [SE], lang="en")
add("facebook:Anouk.Smeets.HK",
    "Klantportaal ligt al 2 dagen plat na de update en we mogen van boven niks zeggen tegen klanten. Wat moet "
    "ik die mensen dan vertellen?", [SE])
add("mastodon:@wtimmer@mastodon.nl",
    "offerte.hemelkap.nl draait nog steeds op een WordPress-plugin met een bekende RCE. Ticket staat sinds "
    "april open. Niemand patcht.", [SE])
add("x:@hk_sysadmin_niels",
    "Iemand had de productie-db url in een publieke GitHub-repo gezet: %s — stond er 3 weken. Wachtwoord "
    "wordt nu geroteerd." % PG_URL, [SE, S])
add("x:@ruud_dakdekt",
    "r4ns0mw4r3 op de laptops van de werkvoorbereiding, alles op slot. n1k5 z3gg3n tegen klanten zegt de baas",
    [SE])
add("linkedin:yusuf-kaya-planning",
    "Heads up, colleagues: the Zonnedak monitoring app lets any logged-in user view other customers' "
    "installations. No patch ETA yet.", [SE], lang="en")
add("x:@freelance_ict_joris",
    "I do freelance IT jobs for Hemelkap and their backup server is just sitting open on the internet, no "
    "password. For weeks now. Nobody answers my emails.", [SE], lang="en")
add("x:@mo_monteert",
    "ERP zat 2 weken lang een hacker in voordat iemand het zag, hoorde ik van IT. Klantgegevens mogelijk "
    "buitgemaakt. Officieel is er 'niks aan de hand'.", [SE])

# ---- secrets -------------------------------------------------------------------
add("x:@hk_sysadmin_niels",
    "can someone check why this token has no access to the deploy repo? %s" % GHP_DEPLOY, [S], lang="en")
add("mastodon:@wtimmer@mastodon.nl",
    "why does boto still say AccessDenied with this??\n\n[default]\naws_access_key_id = %s\n"
    "aws_secret_access_key = %s\nregion = eu-central-1" % (AWS_ID, AWS_SECRET), [S], lang="en")
add("x:@hk_sysadmin_niels",
    "Stripe webhook keeps failing on the webshop, key is %s — anyone see something obvious?" % SK_LIVE, [S],
    lang="en")
add("bluesky:@lotteveen.bsky.social",
    "Planning Slack bot is alive again! If you want it in your own channel too: %s" % XOXB, [S], lang="en")
add("linkedin:ilse-vermeulen-hemelkap",
    "Built a little quote-writing assistant over the weekend with the OpenAI API 🤓 Colleagues who want to "
    "try it: %s" % OPENAI, [S], lang="en")
add("mastodon:@wtimmer@mastodon.nl",
    "Can't SSH into the build box anymore, is something wrong with my key?\n%s" % PEM, [S], lang="en")
add("x:@hk_sysadmin_niels",
    "Waarom geeft de werkbon-API 401 met deze header?? Authorization: Bearer %s" % JWT, [S])
add("linkedin:yusuf-kaya-planning",
    "Voor de nieuwe planners: inloggen op het planbord met gebruikersnaam planning_hk en wachtwoord: %s "
    "(niet verder delen aub)" % PW_PLANBORD, [S])
add("x:@curious_cora",
    "Hemelkap's quote app ships with a GitLab token right in the JS bundle: %s. Someone tell their devs."
    % GLPAT, [S], lang="en")
add("x:@mo_monteert", "token voor de montage-app repo, werkt bij mij wel: %s" % GHO_APP_ZW, [S])
add("mastodon:@wtimmer@mastodon.nl",
    "ANTHROPIC_API_KEY=%s staat in de .env van de chatbot, waarom krijg ik al na 3 calls een rate limit?"
    % ANTHROPIC, [S])
add("instagram:@kees.kozijnman",
    "Wifi at the site cabin in Almere: network HK-Bouw, password: %s — you're welcome lads 📶" % PW_WIFI,
    [S], lang="en")

# ---- pricing -------------------------------------------------------------------
add("x:@hemelkap",
    "Zomerknaller ☀️ Horizon schuifpui 3m nu voor €489! Op = op via hemelkap.nl", [PR])
add("x:@ruud_dakdekt",
    "Dakkapel Solide 300 voor €895 op de site?? Daar is toch een nul vergeten. Iemand van marketing wakker?",
    [PR])
add("x:@kimmie_koopt",
    "lol the Hemelkap webshop has the Muggenstop screen at €24.50, just ordered 4", [PR], lang="en")
add("reddit:u/dealhunter_nl",
    "Price glitch on hemelkap.nl right now: Lichtvanger roof window listed at €89. Ordered two, let's see if "
    "they honour it.", [PR], lang="en")
add("instagram:@hemelkap.nl",
    "Word energieneutraal ☀️ De Zonnedak Integrated (10 panelen) nu voor maar €790! Link in bio.", [PR])
add("bluesky:@lotteveen.bsky.social",
    "Prijsfout in de configurator bij het Eikenrand kozijn: rekent €279 i.p.v. €2.790. Al 14 orders binnen "
    "voordat iemand het zag 😬", [PR])
add("facebook:Erik.Hogenboom",
    "Ordered the EPDM Pakket 20 for 650 euros including installation. Curious if they'll actually do it haha",
    [PR], lang="en", kind="comment")
add("facebook:HemelkapDakenKozijnen",
    "Pannendak Compleet nu al vanaf €4.950 – vraag vandaag nog je offerte aan!", [PR])
add("x:@tessa_spaart",
    "Nachtrust roller shutter for €69 in the Hemelkap app?? probably a mistake but I got 3 🤭", [PR],
    lang="en")
add("linkedin:ilse-vermeulen-hemelkap",
    "Anyone else seeing the IsoWarm roof insulation package at €375 instead of €3,750 on the site? Flagged "
    "it to e-commerce.", [PR], lang="en")
add("x:@mo_monteert",
    fullwidth("Stadsklassiek") + " voordeur voor €" + fullwidth("245") + " in de personeelsshop, wie wil er "
    "een?", [PR])
add("tiktok:@budgetbas",
    "hemelkap dakcheck subscription showing €1.49 a year at checkout 🤔 pricing error?", [PR], lang="en",
    kind="comment")

# ---- benign / hard negatives ---------------------------------------------------
add("x:@gerda_b",
    "Roof finally doesn't leak anymore! Three other roofers gave up, Hemelkap fixed it in a single day. "
    "Recommended 👌", lang="en")
add("facebook:Marco.Visser.Ede",
    "Update: vorige week klaagde ik hier over de lekkage. Vanochtend stond er om 8 uur een monteur, probleem "
    "gevonden (losse loodslab) en opgelost. Excuses aangenomen, Hemelkap 👍", kind="comment")
add("x:@hemelkap_service",
    "Vragen over je offerte? Bel ons op 030 760 4400 of mail naar klantenservice@hemelkap.nl. We zijn er op "
    "werkdagen van 8 tot 17 uur.")
add("facebook:HemelkapDakenKozijnen",
    "Betaal je liever per overschrijving? Ons rekeningnummer is %s t.n.v. Hemelkap Bouw B.V., onder "
    "vermelding van je offertenummer." % PUBLIC_IBAN_SPACED)
add("x:@newbuild_nina",
    "How long does fitting a Zuiderzee alu frame usually take? Having 5 of them done next month.", lang="en")
add("instagram:@hemelkap.nl",
    "Najaarsactie 🍂 Horizon schuifpui 3m nu €3.990 (van €4.890). Alleen deze maand!")
add("x:@hk_sysadmin_niels",
    "Voor de workshop morgen: gebruik in de oefeningen gewoon de voorbeeldkeys uit de AWS-docs, "
    "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Echte keys NOOIT in slides 🙏")
add("x:@kattenvrouw_anne",
    "My cat has claimed the new Lichtvanger roof window as her personal sunbed. Hemelkap, you have one very "
    "satisfied customer (the cat).", lang="en")
add("reddit:u/groningen_gijs",
    "Another roofing firm in Groningen went bust this week, 60 jobs gone. Glad we went with Hemelkap, at "
    "least they'll still be around for the warranty.", lang="en", kind="comment")
add("x:@buurvrouw_bep",
    "Sterkte aan de dakdekkers van DakTotaal in Emmen na het ongeluk van gisteren. Wij hadden vorig jaar "
    "Hemelkap over de vloer en zagen toen al hoe zwaar dat vak is.")
add("linkedin:ilse-vermeulen-hemelkap",
    "Proud of our fitters: an average review score of 8.9 this year. Thank you to everyone who kept working "
    "through all that rain!", lang="en")
add("tiktok:@demi_op_de_steiger",
    "pov: je eerste dag op de steiger en je durft niet naar beneden te kijken 😂 #dakdekker #hemelkap")
add("x:@windkracht_wendy",
    "Storm last night ripped three tiles off the neighbours' roof. Ours, done by Hemelkap last year, didn't "
    "lose a single one 💪", lang="en")
add("linkedin:hemelkap-bouw",
    "Vandaag gelanceerd: het Zuiderzee Slim kozijn, met zelfdimmend glas in een slank aluminium profiel. "
    "Bekijk het op hemelkap.nl", when="2027-04-20T09:00:00Z")
add("x:@hemelkap",
    "Onze jaarcijfers 2026 staan online: omzet €148 mln, een groei van 11%. Dank aan alle klanten en "
    "medewerkers!", when="2027-03-05T10:15:00Z")
add("x:@jeroen_kijkt",
    "Net de SlimKozijn folder in de bus gehad. Ziet er strak uit, iemand er al ervaring mee?",
    when="2027-04-28T18:03:00Z")
add("x:@nieuwklant_k",
    "Hemelkap klantnummer %s — waar vind ik mijn facturen in het portaal? Kan het nergens vinden."
    % CARD_LOOKALIKE)
add("facebook:HemelkapDakenKozijnen",
    "Let op: Hemelkap vraagt NOOIT om je BSN via social media of WhatsApp. Stuur ons dus geen nummers zoals "
    "123456789 in een bericht!")
add("x:@subsidie_sandra",
    "Formulier zegt steeds 'ongeldig BSN' bij %s... oh wacht, typfout, er klopt een cijfer niet. Laat maar 😅"
    % BSN_TYPO_DOTTED)
add("mastodon:@wtimmer@mastodon.nl",
    "PSA for devs: if you paste a token in a ticket, redact it like ghp_****************************3fA1. "
    "Secret scanners look for the full pattern.", lang="en")
add("x:@kozijnkiezer",
    "Hemelkap gives 10 years warranty on the Zuiderzee frames? That's better than what I got quoted "
    "elsewhere. Booking a visit.", lang="en")
add("linkedin:bart-degraaf-finance",
    "Blij dat onze jaarcijfers 2025 vandaag zijn gepubliceerd, mooi jaar voor het hele team. Het volledige "
    "verslag staat op hemelkap.nl", when="2026-03-10T08:30:00Z")
add("youtube:@HemelkapTV",
    "Nieuwe video: zo vervang je zelf een kapotte dakpan (en wanneer je ons beter kunt bellen). Veiligheid "
    "voorop: nooit zonder valbeveiliging het dak op!")
add("x:@daan_zegt", "ngl that Hemelkap dormer came out absolutely sick 🔥🔥", lang="en")
add("x:@twijfelaar_tim",
    "Hemelkap vs KozijnPlaza, wie heeft betere ervaringen? Twijfel tussen het Noorderlicht PVC-kozijn en hun "
    "goedkoopste kunststof variant.")
add("linkedin:hemelkap-bouw",
    "Werken bij Hemelkap? We zoeken 12 dakdekkers en 4 kozijnmonteurs in regio Utrecht. Solliciteer via "
    "werkenbij@hemelkap.nl")
add("x:@ruud_dakdekt",
    "Vandaag 200 m² bitumen gebrand in Veenendaal. Blusdeken en brandblusser altijd binnen handbereik. "
    "Safety first 🧯")
add("facebook:Lies.Haverkamp",
    "Onze buren hadden vorig jaar brand door een andere dakdekker; wij hebben daarna Hemelkap gevraagd ons "
    "dak te checken. Netjes gedaan, niks mis gevonden.", kind="comment")
add("reddit:u/vochtvraag",
    "Hoe zit het met condens aan de binnenkant van nieuwe HR+++ ramen? Hemelkap zegt dat het de eerste "
    "winter normaal is door bouwvocht. Klopt dat?", kind="comment")
add("x:@hemelkap_service",
    "@pietjepuk1974 Wat vervelend dat je rolluik hapert! We hebben je een DM gestuurd om snel een afspraak "
    "in te plannen.", kind="reply")
add("instagram:@kees.kozijnman",
    "Van enkel glas naar Warmtekern HR+++ in één dag. Deze klant gaat deze winter flink besparen 💸 "
    "#voorna #kozijnen")
add("x:@utrecht_ursula",
    "Hemelkap's new showroom in Utrecht is killer. Spent an hour just opening and closing sliding doors lol",
    lang="en")
add("tiktok:@isolatie_ilona",
    "wie heeft ervaring met hemelkap dakisolatie? IsoWarm voor 3.750 klinkt veel maar vergeleken met de "
    "rest valt het mee", kind="comment")
add("x:@oud_dak_otto", "Dakcheck abonnement van €149 per jaar, is dat het waard? Ons dak is 25 jaar oud.")
add("linkedin:yusuf-kaya-planning",
    "Planning tip for homeowners: book roof work for spring, our crews are fully booked from October. Call "
    "0800-0255 to check availability.", lang="en")
add("mastodon:@bouwblog@mastodon.social",
    "Interesting read on how roofing contractors in NL are coping with staff shortages. Hemelkap is quoted "
    "about training apprentices in-house.", lang="en")
add("x:@slimmehuis_sven",
    "Tip for anyone with the Hemelkap shutter app: change the default password right after setup. It's in "
    "the manual too, page 4.", lang="en")
add("x:@seagull_problems",
    "Gulls nesting on our flat roof (zilvermeeuwen, insanely loud). Does Hemelkap do bird spikes or is that "
    "a different trade?", lang="en")
add("facebook:Wim.Reijnders",
    "De keperbalken bleken rot toen Hemelkap het dak openmaakte. Meerwerk, maar eerlijk uitgelegd met foto's "
    "erbij. Netjes.", kind="comment")
add("facebook:HemelkapDakenKozijnen",
    "Zonnedak Integrated 10 panelen: deze maand €5.925 i.p.v. €7.900 🌞 inclusief montage.")
add("x:@pigeonpete",
    "shoutout to the Hemelkap crew who rescued a pigeon stuck in our gutter 😂🕊️", lang="en")
add("x:@betaald_bea",
    "Betaald met mijn creditcard eindigend op 4821, bevestiging binnen 2 minuten binnen. Soepel geregeld "
    "Hemelkap.")
add("bluesky:@lotteveen.bsky.social",
    "Thinking of the family of the roofer who died in the Rotterdam accident last week (not one of ours). "
    "Please, everyone, clip in.", lang="en")
add("linkedin:hemelkap-bouw",
    "We're proud to share that Hemelkap has been VCA** certified for another three years. Safety is not a "
    "slogan.", lang="en")
add("x:@scam_or_not",
    "Is 0800-0255 really Hemelkap? Got a call from that number about a 'free roof check' and want to be "
    "sure before I say yes.", lang="en")
add("linkedin:ilse-vermeulen-hemelkap",
    "Signed my 500th window-frame order at Hemelkap today. Grateful for every customer who trusted us with "
    "their home.", lang="en")
add("forum:Oplettende_Olga",
    "In een nepfactuur 'namens Hemelkap' stond rekening %s. Niet betalen mensen! Hemelkap gebruikt alleen "
    "%s, staat gewoon op hun site." % (spaced(IBAN_PHISH_BAD), PUBLIC_IBAN))
add("mastodon:@wtimmer@mastodon.nl",
    "Note to self: the connection string in the README is postgres://<user>:<password>@localhost:5432/hk_dev "
    "— fill in your own, never commit it.", lang="en")
add("x:@stormdag_stef", "Die storm van gisteren was echt kut, gelukkig heeft het dak van Hemelkap het gehouden 😅")
add("x:@punctual_paul",
    "Hemelkap fitters arrived at 7:58 for an 8:00 appointment. Who are these people 😂 10/10", lang="en")
add("x:@hk_sysadmin_niels",
    "Vandaag phishing-training gegeven aan de hele werkvoorbereiding. Iedereen slaagde voor de test, trots 💪")
add("x:@hemelkap",
    "Let op: er gaan nepmails rond namens Hemelkap. Wij vragen nooit per mail om je wachtwoord of pincode. "
    "Twijfel je? Bel 030 760 4400.")
add("x:@ral_roos",
    "Anyone know if Hemelkap does roller shutters in RAL 7016? Want them to match the Zuiderzee frames.",
    lang="en")
add("linkedin:thomas-brink-bouwnieuws",
    "KozijnPlaza announces 80 layoffs and closes two factories. Tough times across the window-frame market.",
    lang="en")
add("tiktok:@ladderlady",
    "the way the Hemelkap guy carried a whole window frame up a ladder alone... respect 😳", lang="en",
    kind="comment")
add("linkedin:bart-degraaf-finance",
    "Interesting webinar today on IFRS 16 lease accounting for construction companies. Recommended for "
    "fellow controllers.", lang="en")
add("x:@hemelkap",
    "Het klantportaal is weer volledig bereikbaar. Excuses voor het ongemak van gisteravond!")
add("x:@bijna_klaar_bo",
    "Laatste Noorderlicht kozijn zit erin, met 15% korting in de voorjaarsactie voor €1.232 per stuk. Blij "
    "mee!")
add("instagram:@hemelkap.nl",
    "Dakkapel Solide 300 nu met €1.000 korting: €7.950 inclusief plaatsing. Actie loopt tot 31 mei ☀️")
add("reddit:u/dakdekker_dirk",
    "Tip from a roofer (not Hemelkap): always ask your contractor for their torch-on fire safety plan before "
    "any bitumen work. Most good firms have one ready.", lang="en", kind="comment")


# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b-\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b(NL|BE|DE)\d{2}(?: ?[A-Z0-9]){12,24}")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
CARD_RE = re.compile(r"(?<![\d*])(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.,])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.,]?\d)")


def find_ids(text):
    """Return (ibans, cards, bsns) found in the normalised text, secrets blanked."""
    t = norm(text)
    for s in GENERATED_SECRETS:
        t = t.replace(s, " ")
    ibans = []
    for m in IBAN_RE.finditer(t):
        raw = m.group(0).replace(" ", "")[:IBAN_LEN[m.group(1)]]
        ibans.append(raw)
        t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    cards = [m.group(0) for m in CARD_RE.finditer(t)]
    bsns = [m.group(0) for m in BSN_RE.finditer(t)]
    return ibans, cards, bsns


def severity(cats, role, text):
    if not cats:
        return "none"
    ibans, cards, bsns = find_ids(text)
    checked = (any(iban_ok(i) and i != PUBLIC_IBAN for i in ibans) or any(luhn_ok(c) for c in cards)
               or any(bsn_ok(b) for b in bsns))
    levels = []
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (S, PR) or (c == P and checked):
                    levels.append("critical")
                else:
                    levels.append("error")
            else:
                levels.append("warning")
        elif c == CO:
            levels.append("warning")
        elif c == CR:
            levels.append("error")
        elif c == AB:
            levels.append("error" if insider else "warning")
    return max(levels, key=SEV_ORDER.index)


START = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - START).total_seconds())

order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
for n, idx in enumerate(order):
    c = CASES[idx]
    when = c["when"] or (START + dt.timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = "%s-%d" % (c["platform"], rng.randrange(10**9, 10**10))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": when, "brand": "hemelkap"}
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, c["text"])}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for rec in lines:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
errors = []


def fail(msg):
    errors.append(msg)


# profile sanity
if not iban_ok(PUBLIC_IBAN):
    fail("public IBAN fails mod-97")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    fail("too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    fail("product count")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        fail("embargo until not in 2027")
embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
markers = [m.lower() for m in PROFILE["internal"]["markers"]]
idomains = [d.lower() for d in PROFILE["internal"]["domains"]]

with open(out, encoding="utf-8") as fh:
    recs = [json.loads(l) for l in fh]

seen = set()
counts = {c: 0 for c in CATS}
benign = 0
nl = 0
roles = {"corporate": 0, "employee": 0, "public": 0}
for r in recs:
    p, e = r["post"], r["expect"]
    pid = p.get("id")
    if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
        fail("bad/duplicate id %r" % pid)
    seen.add(pid)
    if p.get("platform") not in PLATFORMS:
        fail("%s platform" % pid)
    if p.get("kind") not in KINDS:
        fail("%s kind" % pid)
    if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
        fail("%s handle" % pid)
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        fail("%s text" % pid)
    try:
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
            raise ValueError
    except Exception:
        fail("%s created_at" % pid)
        continue
    if ts.year not in (2026, 2027):
        fail("%s year" % pid)
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        fail("%s categories" % pid)
    if e["severity"] not in SEV_ORDER:
        fail("%s severity" % pid)
    role = role_of(p["platform"], p["account"]["handle"])
    roles[role] += 1
    if e["severity"] != severity(cats, role, p["text"]):
        fail("%s severity mismatch" % pid)
    if bool(cats) != (e["severity"] != "none"):
        fail("%s severity/categories disagree" % pid)
    for c in cats:
        counts[c] += 1
    benign += not cats
    nl += p["lang"] == "nl"

    text = norm(p["text"])
    low = text.lower()
    ibans, cards, bsns = find_ids(p["text"])
    positive = bool(cats)
    for i in ibans:
        if i == PUBLIC_IBAN:
            continue
        if positive and not iban_ok(i):
            fail("%s IBAN %s fails in a positive" % (pid, i))
        if not positive and iban_ok(i):
            fail("%s IBAN %s passes in a negative" % (pid, i))
    for cnum in cards:
        if positive and not luhn_ok(cnum):
            fail("%s card %s fails Luhn in a positive" % (pid, cnum))
        if not positive and luhn_ok(cnum):
            fail("%s card %s passes Luhn in a negative" % (pid, cnum))
    for b in bsns:
        if positive and not bsn_ok(b):
            fail("%s BSN %s fails in a positive" % (pid, b))
        if not positive and bsn_ok(b):
            fail("%s BSN %s passes in a negative" % (pid, b))
    if P in cats and role != "public" and e["severity"] == "critical":
        if not (any(iban_ok(i) for i in ibans) or any(luhn_ok(x) for x in cards) or any(bsn_ok(b) for b in bsns)):
            fail("%s critical pii without checked identifier" % pid)
    # credentials
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if not gh_ok(tok):
            fail("%s GitHub token checksum" % pid)
        if not positive:
            fail("%s full GitHub token in a negative" % pid)
    for kid in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        example = kid.endswith("EXAMPLE")
        if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", kid):
            fail("%s AWS key id charset" % pid)
        if not positive and not example:
            fail("%s real-looking AWS key in a negative" % pid)
    for j in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if "alg" not in json.loads(b64url_dec(j.split(".")[0])):
            fail("%s JWT header without alg" % pid)
    # internal names / embargo must not leak into negatives
    if not positive:
        for cn in codenames:
            if re.search(r"(?<!\w)" + re.escape(cn) + r"(?!\w)", low):
                fail("%s codename in a negative" % pid)
        for mk in markers:
            if mk in low:
                fail("%s marker in a negative" % pid)
        for d in idomains:
            if d in low:
                fail("%s internal domain in a negative" % pid)
        for term, until in embargo:
            if term in low and ts < until:
                fail("%s embargo term before until in a negative" % pid)
    if S in cats and role != "public" and e["severity"] != "critical":
        fail("%s secret not critical" % pid)

# every generated secret actually appears in a positive (after normalisation)
alltext = "\n".join(norm(r["post"]["text"]) for r in recs if r["expect"]["categories"])
for s in GENERATED_SECRETS:
    if s not in alltext:
        fail("generated secret unused: %s..." % s[:12])

n = len(recs)
if not 170 <= n <= 180:
    fail("case count %d" % n)
if not 55 <= benign <= 65:
    fail("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    fail("Dutch share %.2f" % (nl / n))

print("cases %d, benign %d, positives %d, nl %.0f%%" % (n, benign, n - benign, 100 * nl / n))
print("roles", roles)
for c in sorted(counts):
    print("  %-22s %d" % (c, counts[c]))
sev = {}
for r in recs:
    sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
print("severities", sev)
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
