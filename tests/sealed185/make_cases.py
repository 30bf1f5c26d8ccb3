#!/usr/bin/env python3
"""Evaluation set sealed185 for postwatch: Druppelhaven Wijnkoperij (fictional Dutch online
wine merchant). Hand-written posts; identifiers and credentials are generated from a fixed
seed so that every valid one passes its checksum and every look-alike fails it.

Writes cases.jsonl beside this file and self-checks it. Standard library plus PyYAML.
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

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 185
rng = random.Random(SEED)

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"
ALL_CATS = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU, "reputation.spike"}

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, cc="NL"):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    iban = "%s%02d%s" % (cc, 98 - n % 97, bban)
    assert iban_ok(iban)
    return iban


def iban_spaced(i):
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4))


def iban_break(i):
    # change one account digit: mod-97 always catches a single-digit change
    k = len(i) - 3
    d = str((int(i[k]) + 3) % 10)
    bad = i[:k] + d + i[k + 1:]
    assert not iban_ok(bad)
    return bad


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for k, v in enumerate(reversed(d)):
        if k % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def card_make(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            num = body + last
            return " ".join(num[k:k + 4] for k in range(0, 16, 4))
    raise AssertionError


def card_break(c):
    last = int(c[-1])
    bad = c[:-1] + str((last + 1) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[k]) * (9 - k) for k in range(8)) - int(d[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(head[k]) * (9 - k) for k in range(8)) % 11
        if tot < 10:
            b = head + str(tot)
            assert bsn_ok(b)
            return b


def bsn_break(b):
    bad = b[:-1] + str((int(b[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


# --------------------------------------------------------------------------- credentials
ALNUM = string.ascii_letters + string.digits
UPNUM = string.ascii_uppercase + string.digits
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt_make():
    head = b64url({"alg": "HS256", "typ": "JWT"})
    body = b64url({"sub": "svc-wijnclub", "iss": "auth.druppelhaven.nl", "role": "admin",
                   "iat": 1767225600, "exp": 1769817600})
    return head + "." + body + "." + rs(43, URLSAFE)


def ssh_key_make():
    lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
    for _ in range(4):
        lines.append(rs(70, B64))
    lines.append(rs(24, B64) + "==")
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


V = {}
V["IBAN_REFUND"] = iban_spaced(iban_make("INGB"))
V["IBAN_CUST"] = iban_make("ASNB")
V["IBAN_PAYROLL"] = iban_spaced(iban_make("RABO"))
V["BAD_IBAN_SCAM"] = iban_spaced(iban_break(iban_make("BUNQ")))
V["BAD_IBAN_FORM"] = iban_break(iban_make("TRIO"))
V["CARD_LOG"] = card_make("4")
V["CARD_FIXTURE"] = card_make("5")
V["CARD_CUST"] = card_make("4")
V["BAD_CARD_DEMO"] = card_break(card_make("5"))
V["BAD_CARD_GIFT"] = card_break(card_make("4"))
V["BSN_NEW"] = bsn_make()
V["BSN_PAYROLL"] = bsn_make()
V["BSN_PUBLIC"] = bsn_make()
V["BAD_BSN_FORM"] = bsn_break(bsn_make())
V["BAD_BSN_JOKE"] = bsn_break(bsn_make())
V["GHP"] = "ghp_" + rs(36)
V["AWS_ID"] = "AKIA" + rs(16, UPNUM)
V["AWS_SECRET"] = rs(40, string.ascii_letters + string.digits + "/+")
V["MOLLIE"] = "live_" + rs(30)
V["OPENAI"] = "sk-proj-" + rs(64, URLSAFE) + "T3BlbkFJ" + rs(24, URLSAFE)
V["STRIPE"] = "sk_live_51" + rs(40) + rs(50)
V["SLACK"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1),
                                 rng.randint(10 ** 12, 10 ** 13 - 1), rs(24))
V["ANTHROPIC"] = "sk-ant-api03-" + rs(93, URLSAFE) + "AA"
V["JWT"] = jwt_make()
V["SSH"] = ssh_key_make()
V["PG_PW"] = rs(10) + "!" + rs(6)
V["GLPAT"] = "glpat-" + rs(20, URLSAFE)


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"\[\[([A-Z_]+)\]\]", rep, text)
    assert "[[" not in out, out
    return out


# --------------------------------------------------------------------------- cases
CASES = []


def C(role, platform, handle, lang, text, cats=(), kind="post", at=None, evasion=False):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      text=fill(text), cats=sorted(set(cats)), kind=kind, at=at,
                      evasion=evasion))


# ---- complaints ----------------------------------------------------------------------
C("p", "x", "@sanne_proost", "nl",
  "@druppelhaven_help al 9 dagen wachten op mijn Proefdoos Ontdekking, track & trace zegt "
  "sinds dinsdag 'in sorteercentrum'. Het was nota bene een verjaardagscadeau 🙄",
  [CMP], kind="reply")
C("p", "reddit", "u/vinho_overlord", "en",
  "Ordered the Orvel Champagne from Druppelhaven for our anniversary. Box showed up soaked, "
  "one bottle smashed. Support asked for a photo, I sent three, and then... silence for a "
  "week. Not impressed tbh", [CMP])
C("p", "facebook", "Henk Mulder", "nl",
  "Opzeggen bij Wijnclub Druppelhaven is echt een doolhof. Knop nergens te vinden, mail "
  "geen reactie en ondertussen wordt er gewoon weer 34,95 afgeschreven. Hoe dan?!", [CMP],
  kind="comment")
C("p", "x", "@rodewijnruud", "nl",
  "Steinhalde Riesling besteld, kwam een Kloofberg Chenin binnen. Vast lekker hoor maar "
  "niet wat ik betaald heb @druppelhaven", [CMP])
C("p", "x", "@claire_in_adam", "en",
  "3rd time the Druppelhaven courier left my wine with a neighbour I've literally never "
  "met. There's supposed to be an age check?? how does that even work", [CMP])
C("p", "instagram", "@fam.bosman.eet", "nl",
  "Die Falcoro Barolo smaakte naar natte kelder, duidelijk kurk. Retour aangevraagd en "
  "dan krijg je 'kan tot 14 werkdagen duren'. Serieus, voor 54 euro per fles 😒 "
  "@druppelhaven.wijnen", [CMP], kind="comment")
C("p", "forum", "wijnliefhebber_gert", "en",
  "Booked the Sommelier aan Huis evening for 8 guests. The sommelier turned up 50 minutes "
  "late and had brought maybe half of the wines on the menu we agreed. For €249 I expected "
  "more than an apology and a shrug.", [CMP])
C("p", "x", "@mvdlinden", "nl",
  "Klantenservice Druppelhaven: 'we bellen u vandaag nog terug'. Dat was vorige week "
  "donderdag. Nog steeds niks gehoord. #druppelhaven #klantonvriendelijk", [CMP])
C("p", "x", "@tomwinesnob", "en",
  "Paid extra for next-day delivery, Druppelhaven showed up 4 days later and the Chablis "
  "was warm as tea. Refund of the shipping fee? 'not possible'. cool cool cool", [CMP])
C("p", "instagram", "@wine.with.priya", "en",
  "the tasting box looked NOTHING like the pics?? half of it was the cheap house wine 😕 "
  "@druppelhaven.wijnen", [CMP], kind="comment")
C("p", "x", "@jeroen_k82", "nl",
  "Geld voor de geretourneerde wijnkast 24 na 5 weken nog steeds niet terug. 549 euro is "
  "voor mij geen kleingeld @druppelhaven_help", [CMP], kind="reply")
C("p", "bluesky", "@nadiaschrijft.bsky.social", "en",
  "Druppelhaven charged my card twice for one Premium box. Bank says it's their side, they "
  "say it's my bank's side. What a fun way to spend a Tuesday afternoon", [CMP])
C("p", "tiktok", "@lisa_en_wijn", "nl",
  "POV: je opent je Bubbels doos en 2 flessen zijn al helemaal plat 🫠 druppelhaven wat is "
  "dit nou #wijn #fail", [CMP])
C("p", "reddit", "u/tagine_tuesday", "en",
  "PSA: Druppelhaven's 'sommelier advice' is basically a chatbot now. Asked for something "
  "with lamb tagine and got their own house white recommended three times in a row. Used "
  "to be an actual person. Massive downgrade.", [CMP])
C("p", "x", "@boze_bart", "nl",
  "@druppelhaven_help jullie zijn echt een stelletje incompetente klojo's. 3 weken geen "
  "wijn, geen antwoord, wel netjes het geld afgeschreven.", [CMP, ABU], kind="reply")
C("p", "x", "@vintage_vic", "en",
  "Druppelhaven customer service is run by absolute morons. Wrong vintage AGAIN, second "
  "time this year. fuck this shop", [CMP, ABU])
C("p", "x", "@koopjesjager_nl", "nl",
  "Had de Orvel Magnum besteld voor €11,90 toen die prijsfout in de shop stond en nu "
  "annuleren ze gewoon mijn bestelling. Netjes hoor Druppelhaven 🙃", [CMP, PRI])
C("p", "x", "@ellen_drinkt_wit", "nl",
  "wtf @druppelhaven bezorger zegt 'niemand thuis' terwijl ik de hele middag bij het raam "
  "zat te wachten. Nu moet ik morgen naar een afhaalpunt in een ander dorp", [CMP])

# ---- abuse -----------------------------------------------------------------------------
C("p", "x", "@grapejuicegate", "en",
  "@marloes_sommelier you're a pretentious cow who couldn't tell Merlot from grape juice. "
  "Nobody asked for your tasting notes, log off.", [ABU], kind="reply")
C("p", "instagram", "@echte_nederlander_77", "nl",
  "Een sommelier met een hoofddoek die ons over wijn komt vertellen 🤡 ga lekker terug "
  "naar je eigen land", [ABU], kind="comment")
C("p", "x", "@rooie_ronnie", "nl",
  "druppelhaven = k4nker0pl1cht3rs, stelletje l00zers met jullie n3pw1jn", [ABU],
  evasion=True)
C("p", "tiktok", "@wijnmeme_account", "nl",
  "die daan van druppelhaven is echt een t.y.f.u.s.l.i.j.d.e.r lol wat een sukkel", [ABU],
  kind="comment", evasion=True)
C("e", "x", "@thijs_logistiek", "nl",
  "Klant belt voor de 6e keer over z'n 'te warme' wijn. Man wat een zeikerd. Sommige "
  "mensen moet je gewoon niks verkopen, kutklanten", [ABU])
C("c", "x", "@druppelhaven_help", "nl",
  "@mvdlinden Misschien eerst even leren lezen voordat je gaat klagen, sukkel. Het staat "
  "gewoon in de bevestigingsmail.", [ABU], kind="reply")
C("p", "x", "@cork_dork_", "en",
  "Druppelhaven staff are fu\u0441king idi\u043ets, every single one of them", [ABU],
  evasion=True)
C("p", "facebook", "Rob Verschuren", "nl",
  "Die vent van de klantenservice (Mehmet ofzo) is een arrogante eikel, hing gewoon op "
  "midden in mijn verhaal. Zo iemand hoort niet aan de telefoon te zitten.", [ABU, CMP],
  kind="comment")
C("p", "x", "@reviewwarrior", "en",
  "@kdekker_dh I know where your office is. Keep deleting my reviews and see what "
  "happens 😡", [ABU], kind="reply")

# ---- crisis ----------------------------------------------------------------------------
C("p", "x", "@annekevisser", "nl",
  "Sinds ik bij Druppelhaven heb besteld krijg ik phishingmails mét mijn bestelnummer en "
  "adres erin. Jullie zijn gehackt, geef het gewoon toe. #datalek", [CRI])
C("p", "reddit", "u/bordeauxbandit", "en",
  "Druppelhaven sold 'Château Belleroche Pauillac 2018' that turns out to be counterfeit. "
  "The château confirmed those lot numbers don't exist. How many of us drank fake "
  "Bordeaux at €64 a pop?", [CRI])
C("p", "x", "@oom_wouter", "nl",
  "Druppelhaven bezorgt gewoon wijn aan 15-jarigen zonder leeftijdscheck, heb het zelf "
  "gezien bij mijn neefje. Niet meer bestellen mensen. #boycotdruppelhaven", [CRI])
C("p", "blog", "consumentenclaimblog", "nl",
  "Stichting Wijnclaim start een collectieve procedure tegen Druppelhaven vanwege de "
  "'abonnementsval' bij de Wijnclub. Inmiddels hebben zich ruim 4.000 gedupeerden "
  "aangemeld.", [CRI])
C("p", "x", "@mama_of_3", "en",
  "Glass shards at the bottom of our Haven Huiswijn Wit. My daughter nearly swallowed one. "
  "Druppelhaven needs to recall this batch NOW, I've reported it.", [CRI])
C("p", "facebook", "Wendy Schouten", "nl",
  "Onze Druppelhaven wijnklimaatkast is vannacht gaan smeulen, hele keuken vol rook. "
  "Brandweer zegt dat het de compressor was. Hoeveel mensen hebben dit ding in huis staan??",
  [CRI])
C("p", "linkedin", "karin-oosterhout", "en",
  "Former employees of Druppelhaven describe a culture of intimidation in the warehouse: "
  "unpaid overtime, pregnant staff pushed out. The story ran in the regional paper this "
  "morning and it's grim reading.", [CRI])
C("p", "x", "@joris_proeft", "nl",
  "NVWA onderzoekt een partij Lumbre Reserva van Druppelhaven na meldingen van "
  "misselijkheid. Ik heb er nog twee flessen van staan… weggooien dan maar?", [CRI])
C("p", "bluesky", "@fairtradefrits.bsky.social", "en",
  "Boycott Druppelhaven. They're still importing from the vineyard that was caught using "
  "forced labour, and they know it. #boycottdruppelhaven", [CRI])
C("p", "x", "@petra_vd_meer", "nl",
  "Mijn creditcard werd misbruikt vlak nadat ik bij Druppelhaven had betaald, en bij mijn "
  "buurvrouw precies hetzelfde. Klantenservice doet alsof hun neus bloedt. Datalek?",
  [CRI, CMP])
C("p", "x", "@leakedagain", "en",
  "Druppelhaven leaked my data and now won't even answer my emails. Scumbag company, "
  "absolute vultures.", [CRI, ABU])
C("p", "reddit", "u/notenvrij", "nl",
  "Druppelhaven haalt de Kerstkist Deluxe terug: de bonbons erin bevatten ongedeclareerde "
  "noten. Mijn zoon heeft een notenallergie en heeft ervan gegeten, we zitten nu op de SEH.",
  [CRI], at="2026-12-18T21:14:00+01:00")
C("p", "instagram", "@eerlijkereviews.nl", "nl",
  "Dit is toch niet normaal?? Influencers krijgen gratis Druppelboxen als ze 5 sterren "
  "posten zonder #ad te vermelden. Nepreviews dus. Schandalig.", [CRI])

# ---- confidential ----------------------------------------------------------------------
C("e", "x", "@kdekker_dh", "nl",
  "Eindelijk een go-live datum voor Kelderlicht 🎉 nog 3 sprints en dat oude "
  "magazijnsysteem kan de prullenbak in", [CON])
C("e", "linkedin", "annelies-postma-wijn", "en",
  "Thrilled to be part of the Project Nachtegaal team. Can't say much yet, but 2027 is "
  "going to be a big year for all of us 🍷", [CON])
C("e", "instagram", "@wijnmetyara", "nl",
  "Vandaag de eerste proefsessie gedaan voor de Druppelbox Grand Cru 🤫 echt wauw, jullie "
  "gaan dit zo lief hebben", [CON], at="2026-10-14T16:20:00+02:00")
C("c", "tiktok", "@druppelhaven", "en",
  "Sneak peek 👀 Wijnclub Zero is coming: alcohol-free wines picked by our sommeliers. "
  "Stay tuned!", [CON], at="2026-12-03T18:00:00+01:00")
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "wie heeft er nog toegang tot https://grafana.ops.druppelhaven.nl/d/orders-prod ? "
  "dashboard blijft bij mij op laden hangen", [CON])
C("e", "linkedin", "mehmet-yilmaz-dh", "nl",
  "Handig voor nieuwe collega's 👇 ons belscript voor opzeggers. (Er staat 'Strikt "
  "vertrouwelijk - Druppelhaven' boven maar het is gewoon een belscript lol.) Stap 1: "
  "nooit direct akkoord geven, eerst 2 maanden korting aanbieden…", [CON])
C("p", "reddit", "u/recruiter_fail", "en",
  "Someone on my team got a mail from a Druppelhaven recruiter with an attachment headed "
  "'DRUPPELHAVEN INTERNAL ONLY'. It's their whole 2027 shop roll-out plan lol. Sloppy.",
  [CON])
C("p", "x", "@zwager_weet_alles", "nl",
  "Mijn zwager werkt bij Druppelhaven en zegt dat 'Operatie Kurkvrij' eraan komt: hele "
  "klantenservice wordt gehalveerd en deels naar Portugal verplaatst. Wordt pas na de "
  "zomer bekendgemaakt.", [CON, FIN])
C("e", "bluesky", "@lottekuipers.bsky.social", "en",
  "Loved shooting the campaign for Wijnclub Zero today. Alcohol-free never looked this "
  "good 🥂 #behindthescenes", [CON], at="2026-11-09T17:45:00+01:00")
C("e", "x", "@thijs_logistiek", "nl",
  "Morgen training voor de nieuwe Kel\u200bder\u200blicht scanners, eindelijk af van die "
  "papieren picklijsten 🙌", [CON], evasion=True)
C("e", "tiktok", "@sommelier_daan", "en",
  "can't tell you what we're tasting for the G r a n d  C r u  b o x yet 🤐 but it's insane",
  [CON], at="2026-11-21T20:10:00+01:00", evasion=True)
C("c", "linkedin", "druppelhaven-wijnkoperij", "en",
  "Internal update, niet extern delen: the Q1 assortment review moves to 14 January. Buyers, "
  "please bring your top-50 delist proposals.", [CON])
C("p", "forum", "kelderrat", "nl",
  "Iemand stuurde een screenshot van hun intranet rond in onze groepsapp: "
  "intra.druppelhaven.local/hr/salarisschalen. Ziet er nogal echt uit.", [CON])
C("e", "x", "@kdekker_dh", "en",
  "\uff50\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff4e\uff41\uff43\uff48\uff54\uff45\uff47"
  "\uff41\uff41\uff4c standup moved to 10:30, bring coffee ☕", [CON], evasion=True)
C("e", "instagram", "@wijnmetyara", "nl",
  "Nog heel even geduld… de Druppelbox Grand Cru komt eraan en ik mocht de wijnen kiezen 🥹",
  [CON], at="2027-02-01T08:45:00+01:00")
C("e", "linkedin", "ruben-vermeulen-druppelhaven", "nl",
  "Trots op het team: de jaarcijfers 2026 laten 22% omzetgroei zien en voor het eerst een "
  "positief bedrijfsresultaat. Meer details volgen op 11 maart!", [CON, FIN],
  at="2027-02-20T10:05:00+01:00")
C("e", "x", "@kdekker_dh", "en",
  "lol so Project Nachtegaal is literally us buying Vinalia Belgium. signing end of Q1 "
  "apparently. don't tell my mum, she owns shares 😂", [CON, FIN])

# ---- financial -------------------------------------------------------------------------
C("e", "linkedin", "annelies-postma-wijn", "nl",
  "Zware week. Volgende maand verdwijnen er 40 fte bij klantenservice en logistiek, de "
  "reorganisatie wordt pas in januari aangekondigd. Zorg goed voor elkaar ❤️", [FIN])
C("e", "x", "@thijs_logistiek", "en",
  "heard in the canteen the Zwolle warehouse closes in spring and everything moves to Tiel. "
  "nobody's been told officially yet 😬", [FIN])
C("e", "linkedin", "ruben-vermeulen-druppelhaven", "nl",
  "Q3 gaat ruim onder budget uitkomen: we verwachten ca. 8% minder omzet dan gepland door "
  "de natte zomer. Nog niet gecommuniceerd naar aandeelhouders, dus even stilhouden.",
  [FIN])
C("p", "reddit", "u/pe_watcher", "en",
  "Mate at a PE fund says Druppelhaven is about to be bought by Celliers Unis for roughly "
  "€80m. Not announced yet. Their bonds are going to move lol", [FIN])
C("e", "x", "@marloes_sommelier", "nl",
  "Net gehoord dat de winkels in Haarlem en Delft eind dit jaar dichtgaan 😢 wordt pas "
  "volgende maand bekendgemaakt, dus sst", [FIN])
C("c", "linkedin", "druppelhaven-wijnkoperij", "en",
  "Our board has approved a €15m financing round led by Noordkade Capital. The "
  "announcement is scheduled for 3 November.", [FIN], at="2026-10-20T08:30:00+02:00")
C("e", "bluesky", "@lottekuipers.bsky.social", "nl",
  "Marketingbudget voor 2027 wordt gehalveerd, zei de CFO net in de all-hands. Dus ja, "
  "voorlopig geen nieuwe campagnes 🙃", [FIN])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "en",
  "The internal forecast deck says we'll miss the full-year EBITDA target by roughly "
  "€2.4m. Great time to be asking for infra budget.", [FIN])
C("p", "x", "@broer_in_de_deal", "nl",
  "Insidertip: Druppelhaven neemt Vinotheek De Grote Kelder over, contracten worden "
  "volgende week getekend. Mijn broer zit in dat dealteam.", [FIN])

# ---- security --------------------------------------------------------------------------
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "Al sinds 04:00 ligt onze betaalstraat eruit, iDEAL en creditcard allebei. Statuspagina "
  "zegt nog vrolijk 'alle systemen operationeel' 🙈 we zijn ermee bezig", [SCY])
C("e", "x", "@kdekker_dh", "en",
  "found an IDOR in our order API today: bump the order id by one and you see someone "
  "else's address. fix won't ship till next sprint 🤦", [SCY])
C("e", "x", "@thijs_logistiek", "nl",
  "Magazijnsystemen plat door ransomware sinds gisteravond, we picken alles weer met pen "
  "en papier. Klanten weten van niks.", [SCY])
C("e", "bluesky", "@lottekuipers.bsky.social", "en",
  "not supposed to say this but our newsletter tool got compromised and someone sent a "
  "phishing mail to ~20k subscribers from our domain last night", [SCY])
C("e", "linkedin", "mehmet-yilmaz-dh", "nl",
  "Team, sinds vanochtend een golf van overgenomen Wijnclub-accounts (credential "
  "stuffing). Nog niks naar klanten communiceren tot legal akkoord geeft.", [SCY])
C("p", "reddit", "u/bucket_list_nl", "en",
  "My cousin works in Druppelhaven IT and says their customer database sat in an open S3 "
  "bucket for weeks. They found out Monday and nothing has been announced.", [SCY, CRI])
C("e", "x", "@kdekker_dh", "nl",
  "ons admin-panel op /beheer heeft nog steeds geen 2FA en het wachtwoordbeleid is "
  "'minimaal 6 tekens' 🙃 ik zeg verder niks", [SCY])
C("e", "tiktok", "@sommelier_daan", "en",
  "site's been down for like 2 hrs and they told us not to post about it lol so anyway "
  "here's a nice Riesling", [SCY])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "Lekker dan, de error-log van de checkout bevat volledige kaartnummers. Voorbeeld van "
  "vanochtend 09:14: [[CARD_LOG]] 🙄 ticket aangemaakt", [SCY, PII])
C("e", "x", "@bramdev_dh", "en",
  "heads up: the staging db backup with real customer data has been publicly reachable on "
  "our CDN since March. deleting it now, pls don't ask", [SCY])
C("p", "x", "@henk_it", "nl",
  "Kreeg net een berichtje van iemand die bij Druppelhaven werkt: hun wachtwoord-reset-link "
  "werkt voor élk account als je het mailadres in de URL aanpast. Nog niet gefixt.", [SCY])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "en",
  "heads up, an \u0435\u0445ploit for our checkout plugin is circulating. patching tonight, "
  "pls keep quiet about it till then", [SCY], evasion=True)
C("e", "x", "@kdekker_dh", "en",
  "prod is down because someone rotated the DB creds without telling anyone. new string for "
  "whoever needs it: postgres://orders_app:[[PG_PW]]@10.20.4.11:5432/orders", [SCY, SEC])

# ---- secrets ---------------------------------------------------------------------------
C("e", "x", "@bramdev_dh", "en",
  "@kdekker_dh try this one, should have read access to the repo: [[GHP]]", [SEC],
  kind="reply")
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "AWS keys voor de backup-bucket, ff snel testen aub: [[AWS_ID]] / [[AWS_SECRET]]", [SEC])
C("c", "x", "@druppelhaven_help", "nl",
  "@annekevisser Bedankt voor je geduld! We kijken ernaar 🍷 [[MOLLIE]]", [SEC],
  kind="reply")
C("e", "bluesky", "@lottekuipers.bsky.social", "en",
  "anyone know why the OpenAI key stopped working in our copy tool?? [[OPENAI]]", [SEC])
C("e", "x", "@thijs_logistiek", "nl",
  "Voor de nieuwe jongens op de wagen: wifi in het magazijn is DH-Magazijn, wachtwoord: "
  "Kurk!Trekker2026 en de scanner login is magazijn / Tiel#0412", [SEC])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "en",
  "deploy key for the ansible box, don't judge\n[[SSH]]", [SEC])
C("e", "x", "@kdekker_dh", "nl",
  "waarom is deze token 30 dagen geldig en heeft ie admin?? [[JWT]]", [SEC])
C("p", "reddit", "u/js_archaeologist", "en",
  "LOL Druppelhaven's webshop ships their Stripe secret key in main.js: [[STRIPE]] "
  "someone tell them before it gets abused", [SEC])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "Slackbot voor de proefnotities werkt eindelijk: [[SLACK]] (ja ik weet het, hoort in de "
  "vault)", [SEC])
C("e", "x", "@bramdev_dh", "en",
  "rate limited again on the product-description generator, is this the right key? "
  "[[ANTHROPIC]]", [SEC])
C("e", "x", "@thijs_logistiek", "nl",
  "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44 \uff56\uff4f\uff4f\uff52 "
  "\uff44\uff45 \uff45\uff54\uff49\uff4b\uff45\uff54\uff50\uff52\uff49\uff4e\uff54\uff45"
  "\uff52\uff1a Etiket!2026dh", [SEC], evasion=True)
C("e", "x", "@bramdev_dh", "nl",
  "CI faalt weer, dit is het token dat in de pipeline staat: [[GLPAT]] klopt dat nog?",
  [SEC])

# ---- personal data ---------------------------------------------------------------------
C("c", "x", "@druppelhaven_help", "nl",
  "@hannekevos Hoi Hanneke, we zien je bestelling! We sturen hem opnieuw naar "
  "Zonnebloemstraat 23, 6814 BK Arnhem, klopt dat adres nog?", [PII], kind="reply")
C("e", "x", "@thijs_logistiek", "en",
  "customer just rang to yell at me, his number is 06-41873920 if anyone fancies "
  "explaining what a 'delivery window' is 🙄", [PII])
C("e", "linkedin", "mehmet-yilmaz-dh", "nl",
  "Terugbetaling voor mevrouw De Graaf verwerkt naar [[IBAN_REFUND]], fijn dat het "
  "opgelost is! Zo werken we bij Druppelhaven 💪", [PII])
C("p", "x", "@emmawijn", "en",
  "@druppelhaven_help could someone call me back about order DH-2026-118342 pls? "
  "+31 6 2749 1836, I'm free after 5", [PII], kind="reply")
C("p", "facebook", "Roos Bakker", "nl",
  "Ik heb 79,95 overgemaakt vanaf [[IBAN_CUST]] t.n.v. R. Bakker maar zie nog geen "
  "bevestiging. Kunnen jullie even checken?", [PII], kind="comment")
C("e", "x", "@bramdev_dh", "en",
  "who put a real customer card in the test fixtures?? [[CARD_FIXTURE]] exp 09/28, "
  "removing it now", [PII])
C("e", "linkedin", "annelies-postma-wijn", "nl",
  "Nieuwe collega in de kelder! Contract is klaar, BSN [[BSN_NEW]] staat er al in, alleen "
  "nog tekenen 😄 Welkom Sven!", [PII])
C("c", "instagram", "@druppelhaven.wijnen", "en",
  "Congrats to our giveaway winner Femke Jansen (born 14-06-1993, Utrecht)! 🎉 Your Bubbels "
  "box ships this week.", [PII])
C("p", "x", "@wraakengel", "nl",
  "Die sommelier van Druppelhaven die mijn review weghaalde: Marloes Hendriks, woont op "
  "Kastanjelaan 8 in Bunnik. Succes ermee.", [PII, ABU])
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "en",
  "who keeps getting these bounces? sample: j.vermaat1978@gmail.com, p.ozturk@hotmail.nl, "
  "bas.koning@ziggo.nl, all wijnclub members", [PII])
C("p", "x", "@linda_dw", "nl",
  "@druppelhaven_help bel me maar even: 0 6 - 3 8 1 2 7 4 9 5 (Linda de Wit)", [PII],
  kind="reply", evasion=True)
C("e", "x", "@thijs_logistiek", "nl",
  "Bezorgbus staat al 20 min bij dhr. A. Kaya, Populierenweg 117, 4003 AG Tiel en meneer "
  "doet niet open. Heeft iemand z'n nummer?", [PII])
C("p", "reddit", "u/datalek_alarm", "nl",
  "Op een forum wordt een lijst met Druppelhaven-klanten verkocht, mijn eigen naam staat "
  "erin. Voorbeeldregel: 'S. Verhoeven, s.verhoeven@kpnmail.nl, 06-18273645, Wijnclub "
  "Premium'", [PII, CRI])
C("e", "x", "@kdekker_dh", "nl",
  "waarom staat in de export van de salarisrun gewoon BSN [[BSN_PAYROLL]] en IBAN "
  "[[IBAN_PAYROLL]] in plain text 🙃", [PII])
C("p", "x", "@rvdheuvel", "en",
  "Druppelhaven's age check wanted my BSN?? Fine: [[BSN_PUBLIC]]. Now can I please have my "
  "wine", [PII])

# ---- pricing ---------------------------------------------------------------------------
C("p", "x", "@koopjesjager_nl", "nl",
  "RENNEN: Château Belleroche Pauillac 2018 voor €6,45 op druppelhaven.nl 😱 prijsfout??",
  [PRI])
C("e", "x", "@marloes_sommelier", "en",
  "oops, someone in ecom put the Falcoro Barolo live at €5,40 instead of €54. fixing it, "
  "don't all order at once 😅", [PRI])
C("c", "instagram", "@druppelhaven.wijnen", "nl",
  "Weekendknaller 🔥 Maison Orvel Champagne Brut nu voor maar €9,99!", [PRI])
C("p", "reddit", "u/magnum_opus_nl", "en",
  "Druppelhaven has the Orvel Magnum listed at €19 right now. Pretty sure that's a "
  "pricing error, grabbed two 👀", [PRI])
C("e", "linkedin", "mehmet-yilmaz-dh", "nl",
  "Collega's: er staat een prijsfout op Wijnclub Premium, mensen sluiten hem af voor 6,99 "
  "p/m. Klanten die bellen: wordt gehonoreerd tot vanavond 23:59.", [PRI])
C("p", "x", "@snelle_sjaak", "nl",
  "Sommelier aan Huis voor €24,90 ipv €249?? komma verkeerd gezet denk ik haha, meteen "
  "geboekt", [PRI])
C("c", "x", "@druppelhaven", "en",
  "Flash deal ⚡ Quinta do Vale Escuro Vintage Port 2011, today only €29!", [PRI])
C("e", "tiktok", "@sommelier_daan", "nl",
  "de wijnkast 24 flessen staat nu voor €99 in de shop, geen idee of dat de bedoeling is "
  "maar ik zou snel zijn 😂", [PRI])
C("p", "x", "@riesling_rick", "en",
  "Steinhalde Riesling GG for €4.60 at Druppelhaven?? that's cheaper than the glass it "
  "comes in", [PRI])
C("p", "facebook", "Mark Hoogland", "nl",
  "Druppelhaven heeft een prijsfout bij de Kerstkist Deluxe: met code KERST25 krijg je "
  "100% korting bij het afrekenen. Gratis kist dus!", [PRI], kind="comment",
  at="2026-12-09T19:32:00+01:00")
C("e", "bluesky", "@lottekuipers.bsky.social", "en",
  "glazenset Haven (6) is showing €7,95 in the app, same as the house wine lol, someone "
  "swapped the price fields", [PRI])

# ---- benign: hard negatives and everyday posts -------------------------------------------
C("c", "x", "@druppelhaven", "nl",
  "Nieuw in de shop: Kloofberg Chenin Blanc 2023. Fris, een tikje honing, perfect bij "
  "Aziatisch eten. €12,95 per fles 🍯🍷")
C("c", "instagram", "@druppelhaven.wijnen", "en",
  "20% off all tasting boxes this weekend 🎉 Proefdoos Ontdekking now €47,96 instead of "
  "€59,95.")
C("c", "facebook", "DruppelhavenWijnen", "nl",
  "Vragen over je bestelling? Mail klantenservice@druppelhaven.nl of bel +31 30 760 4420 "
  "(ma t/m za 9-18 uur).")
C("p", "x", "@oesterfan", "en",
  "Trois Pierres Chablis from Druppelhaven with oysters last night... chef's kiss 🦪 "
  "10/10 would drink again")
C("p", "x", "@schoonvader_kelder", "nl",
  "Het beste slot op mijn wijnkelder? Er is geen slot. Alleen een schoonvader met dorst 😂")
C("e", "x", "@kdekker_dh", "en",
  "Reminder for the API docs: never paste real keys. Use placeholders like "
  "sk_live_XXXXXXXXXXXXXXXX or AKIAIOSFODNN7EXAMPLE in examples.")
C("c", "x", "@druppelhaven_help", "nl",
  "@sanne_proost Fijn dat je proefdoos er nu is, en nogmaals sorry voor het lange wachten! "
  "Proost 🥂", kind="reply")
C("p", "x", "@vinho_fan_uk", "en",
  "Update: Druppelhaven replaced the smashed Champagne within 2 days and threw in a bottle "
  "of Chenin. Fair play, complaint withdrawn 👍")
C("p", "facebook", "Gerda Pieterse", "nl",
  "Gecondoleerd Druppelhaven met het verlies van jullie oprichter Wim. Zijn proeverijen in "
  "de Twijnstraat waren legendarisch 🙏", kind="comment")
C("p", "reddit", "u/winebiz_nerd", "en",
  "Celliers Unis just announced a €40m acquisition of a German online wine shop. "
  "Consolidation in this market is wild.")
C("p", "x", "@waakzame_wil", "nl",
  "Let op! Nepmail uit naam van 'Druppelhaven' vraagt je 59,95 over te maken naar "
  "[[BAD_IBAN_SCAM]]. Niet doen, de echte Druppelhaven vraagt nooit om overboekingen per "
  "mail.")
C("p", "x", "@luhn_nerd", "en",
  "Druppelhaven's checkout demo video uses [[BAD_CARD_DEMO]] as the example card, which "
  "doesn't even pass Luhn 😂 nerd rant over")
C("e", "linkedin", "annelies-postma-wijn", "nl",
  "Voor sollicitanten: wij vragen nooit om je BSN in de eerste ronde. Zie je een formulier "
  "met iets als '[[BAD_BSN_FORM]]' als voorbeeld, dan is het nep. Solliciteren gaat via "
  "vacatures@druppelhaven.nl")
C("c", "linkedin", "druppelhaven-wijnkoperij", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €48,3 mln (+22%) en voor het eerst "
  "een positief bedrijfsresultaat. Het volledige jaarverslag staat op druppelhaven.nl.",
  at="2027-03-11T09:00:00+01:00")
C("c", "instagram", "@druppelhaven.wijnen", "en",
  "It's here 🥂 The Druppelbox Grand Cru is live: six grand cru wines, one unforgettable "
  "evening. Order now at druppelhaven.nl", at="2027-02-01T09:30:00+01:00")
C("e", "bluesky", "@lottekuipers.bsky.social", "nl",
  "Wijnclub Zero is eindelijk live! Trots op dit team 🌱 alcoholvrij en toch feestelijk",
  at="2027-02-05T12:00:00+01:00")
C("p", "x", "@vogelaar_vera", "nl",
  "Om 4 uur 's nachts zong er een nachtegaal in de tuin. Glaasje Havenwit erbij. "
  "Perfecte nacht.")
C("p", "reddit", "u/subscription_skeptic", "en",
  "Is the Druppelhaven Wijnclub worth it? Thinking about the Premium box at €69.95/month. "
  "Anyone tried it?")
C("p", "x", "@stamppotkoning", "nl",
  "Welke wijn bij boerenkool met worst? Vraag voor een vriend 😇 @druppelhaven_help "
  "@marloes_sommelier")
C("e", "x", "@marloes_sommelier", "en",
  "Tasting notes from today: the Lumbre Reserva 2019 is drinking beautifully. Dark cherry, "
  "cedar, a whisper of cocoa. €24,95 and honestly a steal.")
C("c", "tiktok", "@druppelhaven", "nl",
  "Zo open je een fles bubbels zonder knal 🍾 (en zonder een deuk in je plafond)")
C("p", "x", "@shoplocal_sam", "en",
  "Sad to read that small wine importer Kroon & Kurk is closing and laying off its 12 "
  "staff. Support your local shops, folks.")
C("p", "forum", "barolobart", "nl",
  "Bij Druppelhaven nu 15% korting op de Falcoro Barolo, €45,90. Goede deal of wachten "
  "tot Black Friday?")
C("c", "x", "@druppelhaven_help", "en",
  "We're aware some of you can't log in to the app right now. The team is on it and we'll "
  "post updates here. Sorry for the hassle!")
C("e", "x", "@kdekker_dh", "nl",
  "Leuke talk gegeven over hoe we onze webshop twee keer zo snel maakten. Slides staan "
  "online, geen geheimen, beloofd 😉")
C("c", "youtube", "@DruppelhavenTV", "en",
  "New video: our head sommelier Marloes walks you through five Rieslings under €20. "
  "Link in bio!")
C("p", "reddit", "u/feestcommissie", "nl",
  "Iemand ervaring met Sommelier aan Huis van Druppelhaven? €249 voor een avond met 8 "
  "man klinkt prima als het goed is.")
C("e", "linkedin", "ruben-vermeulen-druppelhaven", "en",
  "We're hiring a Finance Business Partner in Utrecht 🍇 Apply via "
  "vacatures@druppelhaven.nl")
C("p", "x", "@bubbelbeer", "nl",
  "De Orvel Brut van Druppelhaven is nu €36,10 met de 15% kortingscode. Scherpe prijs voor "
  "echte champagne 🥂")
C("p", "x", "@careful_carrie", "en",
  "My Druppelhaven box arrived, zero leaks, every bottle wrapped like a newborn. Whoever "
  "packs these: thank you 🙏")
C("c", "x", "@druppelhaven", "nl",
  "Onze winkels in Utrecht en Haarlem zijn op tweede kerstdag gesloten. De webshop is "
  "gewoon open! 🎄", at="2026-12-20T10:00:00+01:00")
C("p", "x", "@bugbounty_bea", "en",
  "Druppelhaven paid out my bug bounty for a leaked-token report (ghp_****…ab9, redacted "
  "obviously). Fixed within a day. Nice to see a shop take it seriously.")
C("e", "mastodon", "@jvanhoorn@mastodon.nl", "nl",
  "Blogpost: hoe wij onze staging-omgeving met Terraform opbouwen. Alle voorbeeldwaarden "
  "zijn dummy, dus nee, 'hunter2' is niet ons wachtwoord 😂")
C("p", "x", "@breachwatcher", "en",
  "Another week, another breach: meal-kit startup HelloPlate confirms 200k customer records "
  "exposed. Glad my wine shop never had that kind of drama.")
C("p", "reddit", "u/maandbox_mo", "en",
  "Is the Druppelhaven Maandbox still €34.95? Saw an ad saying €29.95 for the first month.")
C("c", "instagram", "@druppelhaven.wijnen", "nl",
  "Vandaag in de winkel: gratis proeverij van de Steinhalde Riesling GG 2020 (€46). Kom "
  "langs tussen 14 en 17 uur!")
C("e", "instagram", "@wijnmetyara", "en",
  "Pairing tip: Vale Escuro Port, a chunk of blue cheese and a rainy evening. That's it, "
  "that's the post 🧀")
C("p", "x", "@blije_bas", "nl",
  "Gebeld met 0800-0378 van Druppelhaven, binnen 2 minuten geholpen. Zo kan het dus ook!")
C("p", "x", "@curious_kate", "en",
  "Why does my Druppelhaven invoice say to pay to NL82 RABO 0318 4275 60? Paid it, all "
  "good, just curious if that's Rabobank.")
C("p", "facebook", "Joke Vermeer", "nl",
  "Mijn schoonmoeder (82!) heeft voor het eerst zelf online wijn besteld bij Druppelhaven "
  "en het is gelukt 😂 complimenten voor de simpele site", kind="comment")
C("p", "x", "@foxy_wine", "en",
  "Can't recall the name of that orange wine Druppelhaven had last summer, anyone? It had "
  "a fox on the label 🦊")
C("p", "x", "@midlife_maarten", "nl",
  "Midlifecrisis opgelost: wijncursus bij Druppelhaven geboekt 🍷📚")
C("p", "x", "@oops_olivia", "en",
  "I'm an absolute idiot, sent my Bubbels box to my old address. Druppelhaven support "
  "sorted it in 10 minutes though, legends.")
C("p", "x", "@verdorie_vincent", "nl",
  "Verdorie, wat is die Belleroche 2018 goed zeg. Druppelhaven, jullie hebben me weer te "
  "pakken.")
C("e", "linkedin", "mehmet-yilmaz-dh", "nl",
  "Trots op mijn team: een 8,6 voor klanttevredenheid dit kwartaal op onze openbare "
  "reviewpagina 💚")
C("p", "x", "@kerstgek", "en",
  "My brain got hacked by the Druppelhaven Christmas ad, I've now ordered three Kerstkist "
  "Deluxes. Send help 🎄", at="2026-12-02T21:40:00+01:00")
C("c", "x", "@druppelhaven_help", "nl",
  "@jeroen_k82 Je terugbetaling voor de wijnkast is vandaag verwerkt, het kan 1-2 "
  "werkdagen duren voor het op je rekening staat. Excuses voor het lange wachten!",
  kind="reply")
C("p", "x", "@blindproever", "en",
  "Druppelhaven's 'Fake or Fine' blind tasting at the Utrecht shop was hilarious. I "
  "confidently called a €7,95 house wine a grand cru 🤡")
C("p", "x", "@utrecht_ontdekt", "nl",
  "De winkel van Druppelhaven zit nu op de Oudegracht 212 in Utrecht. Even zoeken maar "
  "wat een leuke plek!")
C("e", "x", "@marloes_sommelier", "nl",
  "Kelder opgeruimd vandaag. Licht aan, stof eraf, 1.200 flessen geteld en 1 verdwaalde "
  "kat gevonden 🐈")
C("p", "x", "@prijsjager_piet", "nl",
  "Prijsfout bij een grote elektronicaketen: tv van €1.499 voor €149. Helaas nooit bij "
  "wijn 😢 @druppelhaven doe ook eens zoiets")
C("e", "tiktok", "@sommelier_daan", "en",
  "Ranking supermarket wines under €5 against our €7,95 house red. Spoiler: the house red "
  "wins 😎")
C("p", "bluesky", "@devblogreader.bsky.social", "en",
  "Good read on Druppelhaven's engineering blog about JWT expiry. Their example is "
  "truncated (eyJhbGciOi…), which is exactly how you should do it.")
C("p", "x", "@cadeaukaart_carla", "nl",
  "Cadeaukaart van Druppelhaven gekregen, nummer [[BAD_CARD_GIFT]] ingevuld maar de site "
  "zegt 'ongeldig'. Typefout van mij denk ik, morgen nog eens proberen 😅")
C("p", "x", "@grapjas_gijs", "nl",
  "Mijn BSN is waarschijnlijk [[BAD_BSN_JOKE]], of iets anders, ik weet het nooit uit mijn "
  "hoofd. Wel weet ik dat de Grote Rode doos van Druppelhaven verslavend is 🍷")
C("p", "forum", "wijnforum_mod", "nl",
  "Topic gesloten: het probleem met de Wijnclub-app is volgens Druppelhaven opgelost en "
  "iedereen heeft zijn box alsnog gekregen. Dank voor jullie geduld.")
C("p", "x", "@sandra_steunt", "en",
  "Sending love to the Druppelhaven shop team in Delft after that car crashed into the "
  "street last night. Glad nobody inside was hurt ❤️")
C("e", "linkedin", "annelies-postma-wijn", "en",
  "Five years at Druppelhaven today! Grateful for every tasting, every chaotic Christmas "
  "rush and every colleague who made it fun 🍷")
C("p", "x", "@formulier_frank", "nl",
  "Raar, op een 'winactie' site moest ik mijn IBAN invullen, het voorbeeld was "
  "[[BAD_IBAN_FORM]]. Lijkt me niet van Druppelhaven, gemeld bij de Fraudehelpdesk.")
C("c", "linkedin", "druppelhaven-wijnkoperij", "en",
  "Our sommelier team now answers questions by e-mail too: sommelier@druppelhaven.nl. "
  "Ask us anything from pairings to cellaring.")


# --------------------------------------------------------------------------- severity (§4)
SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


OWN_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?"
                     r"(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![A-Za-z0-9])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![A-Za-z0-9])")
BSN_RE = re.compile(r"(?<![A-Za-z0-9.\-])\d{9}(?![A-Za-z0-9])|(?<!\d)\d{4}\.\d{2}\.\d{3}(?!\d)")


def id_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(role, cats, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                up("warning")
            elif c in (SEC, PRI):
                up("critical")
            elif c == PII:
                checked = [x for x in id_candidates(text)
                           if x[2] and re.sub(r"\s", "", x[1]).upper() not in OWN_IBANS]
                up("critical" if checked else "error")
            else:
                up("error")
        elif c == CMP:
            up("warning")
        elif c == CRI:
            up("error")
        elif c == ABU:
            up("error" if insider else "warning")
    return sev


# --------------------------------------------------------------------------- build
def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 15, tzinfo=dt.timezone.utc)
                               - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    if rng.random() < 0.5:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Amsterdam local time: CEST (+02:00) from late March to late October, else CET
    off = 2 if (t.month, t.day) >= (3, 29) and (t.month, t.day) < (10, 25) else 1
    local = t + dt.timedelta(hours=off)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % off


def build():
    used = set()
    rows = []
    for k, c in enumerate(CASES):
        while True:
            pid = "%s-185%05d" % ({"x": "x", "reddit": "rd", "facebook": "fb",
                                   "instagram": "ig", "linkedin": "li", "tiktok": "tt",
                                   "youtube": "yt", "mastodon": "md", "bluesky": "bs",
                                   "forum": "fo", "blog": "bl"}[c["platform"]],
                                  rng.randint(0, 99999))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        assert role[0] == c["role"], (role, c)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
            "brand": "druppelhaven",
        }
        if rng.random() < 0.5:
            post["url"] = "https://%s.example/%s/%s" % (c["platform"],
                                                         c["handle"].strip("@").split("@")[0],
                                                         pid)
        rows.append({"post": post,
                     "expect": {"categories": c["cats"],
                                "severity": severity(role, c["cats"], c["text"])},
                     "_meta": {"role": role, "evasion": c["evasion"]}})
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [rows[k] for k in order]


# --------------------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

SECRET_RES = [
    re.compile(r"ghp_[A-Za-z0-9]{36}"), re.compile(r"AKIA[A-Z0-9]{16}"),
    re.compile(r"\blive_[A-Za-z0-9]{30}"), re.compile(r"sk-proj-[A-Za-z0-9_\-]{40,}"),
    re.compile(r"sk_live_[A-Za-z0-9]{24,}"), re.compile(r"xox[bp]-\d+-\d+-[A-Za-z0-9]+"),
    re.compile(r"sk-ant-api03-[A-Za-z0-9_\-]{80,}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"[a-z+]+://[^\s:/]+:[^\s@]+@"), re.compile(r"glpat-[A-Za-z0-9_\-]{20}"),
    re.compile(r"wachtwoord\b[^\n]{0,40}?[:=]", re.I),
]
SAMPLE_OK = {"AKIAIOSFODNN7EXAMPLE"}


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = t.replace("\u200b", "")
    return t.casefold()


def prices_in(text):
    out = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?|\d+(?:\.\d{1,2})?)"
                         r"|(\d+(?:,\d{2}))\s?(?:euro|eur\b)", text):
        raw = m.group(1) or m.group(2)
        if "," in raw:
            val = float(raw.replace(".", "").replace(",", "."))
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
            val = float(raw.replace(".", ""))
        else:
            val = float(raw)
        out.append(val)
    # bare decimal prices like "6,99 p/m" or "34,95 afgeschreven"
    for m in re.finditer(r"(?<![\d€,.])(\d{1,4},\d{2})(?!\d)", text):
        out.append(float(m.group(1).replace(",", ".")))
    return out


def products_in(text):
    low = norm(text)
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(norm(n) in low for n in names):
            hits.append(p)
    return hits


def check(rows):
    errors = []

    def err(msg, row=None):
        errors.append(msg + ("" if row is None else " :: " + row["post"]["id"]))

    ids = [r["post"]["id"] for r in rows]
    if len(ids) != len(set(ids)):
        err("duplicate ids")
    emb = [(t, dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = PROFILE["internal"]["codenames"]
    markers = PROFILE["internal"]["markers"]
    idomains = PROFILE["internal"]["domains"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            err("profile IBAN fails mod-97: " + i)
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        err("too few accounts in profile")
    if not 15 <= len(PROFILE["products"]) <= 25:
        err("product count out of range")
    if len(codenames) != 3 or len(markers) != 3:
        err("need 3 codenames and 3 markers")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            err("embargo until not in 2027")
    if ratio != 0.5:
        err("alert_below_ratio must be 0.5")

    for r in rows:
        p, e = r["post"], r["expect"]
        line = json.dumps({"post": p, "expect": e}, ensure_ascii=False)
        json.loads(line)
        if set(r) - {"post", "expect", "_meta"}:
            err("extra keys", r)
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err("bad id", r)
        if p.get("platform") not in PLATFORMS:
            err("bad platform", r)
        if p.get("kind", "post") not in KINDS:
            err("bad kind", r)
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err("bad handle", r)
        if not isinstance(p.get("text"), str) or not p["text"].strip():
            err("bad text", r)
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            err("text too large", r)
        try:
            t = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            if t.tzinfo is None:
                err("created_at without offset", r)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})",
                                p["created_at"]):
                err("created_at not RFC 3339", r)
        except ValueError:
            err("created_at unparsable", r)
            continue
        if not 2026 <= t.year <= 2027:
            err("created_at outside 2026-2027", r)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            err("categories not sorted/known", r)
        if "reputation.spike" in cats:
            err("spike on a single post", r)
        if e["severity"] not in SEV_ORDER:
            err("bad severity", r)
        if not cats and e["severity"] != "none":
            err("benign with severity", r)
        if cats and e["severity"] in ("none", "info"):
            err("positive without severity", r)
        if e["severity"] != severity(r["_meta"]["role"], cats, p["text"]):
            err("severity mismatch", r)
        if r["_meta"]["role"] != role_of(p["platform"], p["account"]["handle"]):
            err("role mismatch", r)

        # checksummed identifiers
        cands = id_candidates(p["text"])
        for kind_, val, ok in cands:
            own = kind_ == "iban" and re.sub(r"\s", "", val).upper() in OWN_IBANS
            if PII in cats:
                if not ok:
                    err("positive PII case holds a failing %s %s" % (kind_, val), r)
            elif ok and not own:
                err("non-PII case holds a valid %s %s" % (kind_, val), r)
        for key in ("IBAN_REFUND", "IBAN_CUST", "IBAN_PAYROLL", "CARD_LOG", "CARD_FIXTURE",
                    "BSN_NEW", "BSN_PAYROLL", "BSN_PUBLIC"):
            if V[key] in p["text"] and PII not in cats:
                err("valid identifier %s outside a PII case" % key, r)
        for key in ("BAD_IBAN_SCAM", "BAD_IBAN_FORM", "BAD_CARD_DEMO", "BAD_CARD_GIFT",
                    "BAD_BSN_FORM", "BAD_BSN_JOKE"):
            if V[key] in p["text"]:
                if cats:
                    err("look-alike %s in a positive" % key, r)
                if not any(v == V[key] and not ok for _, v, ok in cands):
                    err("look-alike %s not recognised as failing" % key, r)

        # credentials
        found_secret = [m.group(0) for rx in SECRET_RES for m in rx.finditer(norm(p["text"]))
                        ] + [m.group(0) for rx in SECRET_RES for m in rx.finditer(p["text"])]
        found_secret = [s for s in found_secret if s not in SAMPLE_OK
                        and not s.lower().startswith("sk_live_xxxx")]
        if SEC in cats and not found_secret:
            err("secret case without a credential", r)
        if SEC not in cats and found_secret:
            err("credential in non-secret case: %s" % found_secret, r)

        # internal names, markers, embargo
        low = norm(p["text"])
        low_compact = re.sub(r"(?<=\w) (?=\w)", "", low)
        has_internal = any(norm(x) in low for x in codenames + markers + idomains)
        if CON not in cats and has_internal:
            err("internal name in non-confidential case", r)
        for term, until in emb:
            hit = norm(term) in low or norm(term).replace(" ", "") in low_compact
            if hit and t < until and CON not in cats:
                err("embargo term before until without confidential", r)
            if hit and t >= until and cats:
                err("embargo term after until in a positive (keep these benign)", r)

        # pricing
        prods = products_in(p["text"])
        prices = prices_in(p["text"])
        below = [(q["name"], v) for q in prods for v in prices if v < ratio * q["list_price"]]
        if PRI in cats:
            if not prods:
                err("pricing case names no catalogue product", r)
            if not below and "prijsfout" not in low and "price error" not in low \
                    and "pricing error" not in low:
                err("pricing case without a below-ratio price or price-error talk", r)
        elif below:
            err("below-ratio price next to product in non-pricing case %s" % below, r)

    # the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    want = {CMP: (17, 23), CON: (15, 21), PII: (13, 18), CRI: (13, 18), SCY: (11, 15),
            SEC: (10, 14), ABU: (10, 15), PRI: (10, 14), FIN: (10, 14)}
    for c, (lo, hi) in want.items():
        if not lo <= counts.get(c, 0) <= hi:
            err("category %s count %d outside %d-%d" % (c, counts.get(c, 0), lo, hi))
    if not 170 <= n <= 180:
        err("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        err("benign count %d outside 55-65" % benign)
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        err("Dutch share %.2f outside 0.50-0.60" % (nl / n))
    ev = sum(1 for r in rows if r["_meta"]["evasion"])
    if ev < 5:
        err("too few evasion cases")
    pos = [r for r in rows if r["expect"]["categories"]]
    leak_pos = [r for r in pos if any(c.startswith("leak.") for c in r["expect"]["categories"])]
    rep_pos = [r for r in pos if all(c.startswith("reputation.") for c in r["expect"]["categories"])]
    if not sum(r["_meta"]["role"] != "public" for r in leak_pos) > len(leak_pos) / 2:
        err("leaks should come mostly from own accounts")
    if not sum(1 for r in leak_pos if r["_meta"]["role"] == "public") >= 5:
        err("too few public leaks")
    if not sum(r["_meta"]["role"] == "public" for r in rep_pos) > len(rep_pos) * 0.8:
        err("reputation posts should come mostly from the public")
    if sum(1 for r in rows if r["post"]["created_at"].startswith("2027")) < 3:
        err("need a few 2027 posts")
    texts = [r["post"]["text"] for r in rows]
    if len(texts) != len(set(texts)):
        err("duplicate texts")
    stats = dict(n=n, benign=benign, nl=nl, evasion=ev, counts=counts)
    return errors, stats


def main():
    rows = build()
    errors, stats = check(rows)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]},
                                ensure_ascii=False) + "\n")
    # re-read the written file and check every line parses to the §6 shape
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    if [b["post"]["id"] for b in back] != [r["post"]["id"] for r in rows]:
        errors.append("written file differs from built rows")
    for b in back:
        if set(b) != {"post", "expect"} or set(b["expect"]) != {"categories", "severity"}:
            errors.append("line not in CONTRACT §6 shape: %s" % b["post"].get("id"))
    print(json.dumps(stats, sort_keys=True))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign -> %s" % (stats["n"], stats["benign"], out))


if __name__ == "__main__":
    main()
