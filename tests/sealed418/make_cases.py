#!/usr/bin/env python3
"""Held-out evaluation set sealed418 for postwatch.

Company: Brokvelt Machinery B.V. (fictional), an online marketplace for used
construction machinery. Writes cases.jsonl next to this file and checks it.

Deterministic: every random value (tokens, keys, IBANs, cards, BSNs, dates)
comes from random.Random(SEED). Severities are computed from the account role
in profile.yaml and the CONTRACT section 4 policy, never typed by hand.
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
SEED = 418
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"

CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


# ----------------------------------------------------------------- checksums
def b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = int("".join(str(int(c, 36)) for c in s[4:] + s[:4]))
    return n % 97 == 1


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
    tot = sum((9 - i) * d[i] for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


# ----------------------------------------------------------------- generators
class Gen:
    def __init__(self, rng):
        self.r = rng

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def github(self, prefix="ghp_"):
        body = self.chars(B62, 30)
        return prefix + body + b62(zlib.crc32(body.encode()))

    def aws_id(self):
        return "AKIA" + self.chars(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def jwt(self, payload):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps(payload, separators=(",", ":")).encode())
        sig = enc(bytes(self.r.randrange(256) for _ in range(32)))
        return f"{head}.{body}.{sig}"

    def password(self):
        word = self.r.choice(["Rupsband", "Kiepbak", "Dieplader", "Giekarm", "Shovel"])
        return word + self.r.choice("!#$%&*") + self.chars(string.digits, 4) + self.chars(string.ascii_lowercase, 3)

    def ssh_key(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.chars(B64, 70) for _ in range(4)]
        lines.append(self.chars(B64, 22) + "==")
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def iban(self, bank, spaced=False):
        bban = bank + self.chars(string.digits, 10)
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        s = "NL%02d%s" % (98 - n % 97, bban)
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s

    def bad_iban(self, bank, spaced=False):
        good = self.iban(bank)
        while True:
            i = self.r.randrange(8, len(good))
            s = good[:i] + str((int(good[i]) + self.r.randrange(1, 10)) % 10) + good[i + 1:]
            if not iban_ok(s):
                break
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s

    def card(self, prefix, sep=" "):
        body = prefix + self.chars(string.digits, 15 - len(prefix))
        for c in string.digits:
            if luhn_ok(body + c):
                s = body + c
                break
        return sep.join(s[i:i + 4] for i in range(0, 16, 4))

    def bsn(self):
        while True:
            d = [self.r.randrange(10) for _ in range(8)]
            if d[0] == 0:
                continue
            c = sum((9 - i) * d[i] for i in range(8)) % 11
            if c < 10:
                s = "".join(map(str, d)) + str(c)
                if bsn_ok(s):
                    return s

    def bad_bsn(self):
        while True:
            s = self.chars("123456789", 1) + self.chars(string.digits, 8)
            if not bsn_ok(s):
                return s


def make_values(rng):
    g = Gen(rng)
    v = {}
    v["AKIA"] = g.aws_id()
    v["AWSSECRET"] = g.aws_secret()
    v["GHP"] = g.github("ghp_")
    v["GHS"] = g.github("ghs_")
    v["PWD1"] = g.password()
    v["PWD2"] = g.password()
    v["JWT"] = g.jwt({"sub": "dealer-" + g.chars(string.digits, 5), "name": "Brokvelt API", "scope": "listings:write",
                      "iat": 1767225600 + rng.randrange(20000000)})
    v["MOLLIE"] = "live_" + g.chars(string.ascii_letters + string.digits, 30)
    v["AIZA"] = "AIza" + g.chars(URLSAFE, 35)
    v["XOXB"] = "xoxb-%s-%s-%s" % (g.chars(string.digits, 11), g.chars(string.digits, 13),
                                   g.chars(string.ascii_letters + string.digits, 24))
    v["SSHKEY"] = g.ssh_key()
    v["OPENAI"] = "sk-proj-" + g.chars(URLSAFE, 40) + "T3BlbkFJ" + g.chars(URLSAFE, 40)
    v["ANT"] = "sk-ant-api03-" + g.chars(URLSAFE, 93) + "AA"
    v["SKLIVE"] = "sk_live_" + g.chars(string.ascii_letters + string.digits, 24)
    v["GLPAT"] = "glpat-" + g.chars(URLSAFE, 20)
    v["IBAN1"] = g.iban("ABNA")
    v["IBAN2"] = g.iban("INGB", spaced=True)
    v["IBAN3"] = g.iban("SNSB")
    v["CARD1"] = g.card("4")
    v["CARD2"] = g.card("52", sep="-")
    v["BSN1"] = g.bsn()
    v["BSN2"] = g.bsn()
    v["BADIBAN1"] = g.bad_iban("RABO", spaced=True)
    v["BADIBAN2"] = g.bad_iban("INGB")
    v["BADBSN1"] = g.bad_bsn()
    v["BADBSN2"] = g.bad_bsn()
    v["BADCARD1"] = "4111 1111 1111 1112"
    v["PUBIBAN"] = PROFILE["public_identifiers"]["ibans"][0]
    return v


# ----------------------------------------------------------------- the posts
# (account "platform:handle", lang, categories, text, options)
# options: kind, when (RFC 3339), name (display name)
POSTS = [
    # ======================= complaints =======================
    ("x:@grondverzet_gert", "nl", "CO",
     "@brokvelt_support al 3 weken wacht ik op m'n geld van een VeiligBetalen transactie. Machine nooit geleverd, "
     "verkoper reageert niet en jullie sturen alleen standaardmailtjes. Noemen jullie dit service?? #brokvelt",
     {"kind": "reply"}),
    ("x:@PlantHireDave", "en", "CO",
     "Bought a 'Brokvelt Certified' telehandler, report said no leaks. Arrived with hydraulic oil all over the boom "
     "and a weeping cylinder. Support says 'take it up with the seller'. So what exactly did you certify @brokvelt?", {}),
    ("x:@loonbedrijf_vdbroek", "nl", "CO",
     "zelfde hier. keuring plus betaald, keurmeester nooit komen opdagen en geld nog steeds niet terug. "
     "2x gebeld, 45 min in de wacht 🙄", {"kind": "reply"}),
    ("facebook:Erik.Hofstede.Grondwerken", "nl", "CO",
     "Transport geboekt voor dinsdag 7u. Woensdagavond belt de chauffeur dat ie 'morgen misschien' komt. "
     "Hele ploeg heeft een dag staan duimen draaien. Bedankt hoor Brokvelt 👎", {}),
    ("reddit:u/diggerdan_ie", "en", "CO",
     "Listed my old JCB on Brokvelt two weeks ago and the ad still says 'under review'. I pay for Dealer Pro for this? "
     "Chat just spins. Anyone actually get a human on there?", {}),
    ("forum:kraanmachinist_jo", "nl", "CO",
     "Minigraver via Brokvelt gekocht, urenteller blijkt teruggedraaid: servicehistorie bij de dealer zegt 6.200 uur, "
     "advertentie zei 2.100. Melding gedaan, ticket een week later gesloten zonder één woord uitleg. Echt schandalig.", {}),
    ("x:@sloopbedrijf_haaks", "nl", "CO",
     "waarom rekenen jullie €85 'administratiekosten' bovenop de veilingkosten?? stond nergens toen ik bood. "
     "voelt gewoon als oplichting eerlijk gezegd @brokvelt", {}),
    ("x:@tomwright_groundworks", "en", "CO",
     "@brokvelt_support app logged me out mid-auction AGAIN and I lost the lot by two hundred quid. "
     "Third time this month. Sort it out.", {"kind": "reply"}),
    ("facebook:Marja.Bouwt", "nl", "CO",
     "Factuur klopt niet, 2x btw berekend over de transportkosten. Heb nu 4 mails gestuurd naar de klantenservice en "
     "nog niks gehoord. Hoe lang moet ik nog wachten @Brokvelt?", {}),
    ("forum:yorkshire_plant_hire", "en", "CO",
     "Word of warning for anyone buying through Brokvelt from the UK: the 12-month warranty excludes pretty much "
     "everything that can break. Final drive went after five weeks, claim refused as 'wear and tear'. "
     "Four grand out of my own pocket. Never again.", {}),
    ("x:@dieselwim", "nl", "CO",
     "Die TrackBox van Brokvelt geeft al 2 weken aan dat onze shovel in Duitsland staat terwijl hij gewoon hier op "
     "de werf in Nijverdal staat 🤷‍♂️ support: 'probeer hem te herstarten'. ja dank je", {}),
    ("threads:@sam.okafor.builds", "en", "CO",
     "Seller on Brokvelt took my deposit and vanished. Brokvelt's answer: 'we are only a platform'. "
     "Then why do you advertise VeiligBetalen as safe payment?? Ridiculous.", {}),
    # --- first-hand safety incidents: crisis + complaint
    ("x:@grondwerk_ter_mors", "nl", "CR CO",
     "Gisteren de via Brokvelt gekochte verreiker in gebruik genomen. Na 20 minuten schiet de vergrendeling van de "
     "giek los, 800 kilo naar beneden en m'n collega kon nog nét wegspringen. Keurrapport: 'goedgekeurd'. "
     "Ik ben woest. @brokvelt", {}),
    ("x:@clearwater_civils", "en", "CR CO",
     "The 'Certified' AG60 generator we bought from @brokvelt caught fire on site this morning. Welfare cabin next to "
     "it scorched, thank god nobody was inside. Inspection report from three weeks ago says electrics OK. Unbelievable.", {}),
    ("facebook:Anouk.Veldhuis.76", "nl", "CR CO",
     "Die trilplaat van Brokvelt (TP500) geeft een schok via de hendel als het nat is. Mijn zoon kreeg er gisteren "
     "een flinke opdonder van en moest naar de huisartsenpost. Dit is toch levensgevaarlijk??? Reactie graag.", {}),
    ("reddit:u/muddy_boots_nl", "en", "CR CO",
     "PSA: the articulated dumper we got through Brokvelt lost its brakes going downhill on day two. Driver steered "
     "it into a bank on purpose, bruised ribs. Their inspection ticked 'brakes OK'. Lawyer's involved now, "
     "not letting this go.", {}),
    ("x:@ylva_aannemer", "nl", "CR CO",
     "Mijn vader werd onwel in de cabine van de minigraver die we via jullie kochten, uitlaatgassen lekken de cabine "
     "in. CO-melder ging af, ambulance erbij. Keurmeester had 'niets bijzonders' gezien. Hoe kan dit @brokvelt_support",
     {"kind": "reply"}),

    # ======================= crisis (no own complaint) =======================
    ("x:@bouwkritiek", "nl", "CR",
     "Oproep: koop NIKS meer via Brokvelt. Ze laten oplichters gewoon adverteren en doen niks als je je geld kwijt "
     "bent. Delen! #boycotbrokvelt", {}),
    ("x:@paddy_excavates", "en", "CR",
     "Is Brokvelt leaking data? A lad in our WhatsApp group got a phishing mail with his exact bid history and bank "
     "details in it. Anyone else? @brokvelt", {}),
    ("x:@bouwnieuws_oost", "nl", "CR",
     "Inspectie SZW onderzoekt dodelijk ongeval in Drenthe met een rupsgraver die via online marktplaats Brokvelt "
     "was verkocht. Het bedrijf laat weten 'volledig mee te werken' aan het onderzoek.", {}),
    ("linkedin:advocatenkantoor-ravelijn", "en", "CR",
     "We are preparing a collective action against Brokvelt Machinery on behalf of buyers of machines sold as "
     "'Certified'. Affected? Register via the link in our profile before 1 September.", {}),
    ("facebook:MachineNieuwsNL", "nl", "CR",
     "Terugroepactie: Brokvelt roept TrackBox GPS-trackers uit serie 2025-B terug vanwege oververhitting van de "
     "accu. Controleer het serienummer op de achterkant.", {}),
    ("reddit:u/flandersplant", "en", "CR",
     "Belgian police seized four excavators listed on Brokvelt this week, reportedly stolen from sites in Limburg. "
     "Second time this year. This is getting ugly for them.", {}),
    ("facebook:Ricardo.Dijkhuis", "nl", "CR",
     "Mijn buurman, machinist, kreeg vorige week een stroomschok van een aggregaat dat zijn baas via Brokvelt had "
     "gekocht. Ligt nog ter observatie in het MST. Hopelijk komt het goed met hem 🙏", {}),
    ("x:@ukplantwatch", "en", "CR",
     "Trading Standards are looking into Brokvelt after dozens of reports of clocked hour meters, according to BBC "
     "Look North tonight.", {}),
    ("x:@fleur_van_dijk_", "nl", "CR",
     "Datalek bij Brokvelt?? Mijn naam, klantnummer en adres staan op een of ander hackersforum. Graag uitleg "
     "@brokvelt_support, en wel snel.", {"kind": "reply"}),
    ("tiktok:@truckerdaan", "en", "CR",
     "boycott @brokvelt until they pay back the families who got scammed in that dumper fraud. share this", {"kind": "comment"}),

    # ======================= abuse =======================
    ("x:@rigger_mick", "en", "A",
     "@brokvelt you absolute clowns. fuck your 'certified' garbage", {"kind": "reply"}),
    ("facebook:Johan.Nijhuis.33", "nl", "A",
     "Die Thijs van Brokvelt is een vuile leugenaar en een prutser van een keurmeester. Moet hem maar eens "
     "tegenkomen op de werf, dan praten we verder.", {}),
    ("tiktok:@big_steve_haulage", "en", "A",
     "lol the Brokvelt sales girl should stick to making sandwiches instead of selling diggers 🤡", {"kind": "comment"}),
    ("x:@anoniempje_0548", "nl", "A",
     "br0kv3lt = k4nk3rb3dr1jf, t1fusl1jers allemaal", {}),
    ("x:@wout_grondverzet", "nl", "A",
     "Jullie klantenservice is echt een stelletje k\u200bu\u200bt\u200bz\u200ba\u200bk\u200bk\u200be\u200bn", {}),
    ("facebook:Gary.Hutchins.Plant", "en", "A",
     "Go back to your own country Dilara, nobody here wants a foreigner telling us what's wrong with our machines", {"kind": "comment"}),
    ("x:@mvdberg_loon", "nl", "A CO",
     "Tering Brokvelt, 6 weken wachten op m'n uitbetaling en dan nog 'fijne dag verder' zeggen ook. Klootzakken.", {}),
    ("x:@thijsbouwt", "nl", "A",
     "@dieselwim als je zo'n achterlijke mongool bent dat je een graafmachine koopt zonder hem ooit gezien te hebben, "
     "moet je nu niet bij mij komen janken", {"kind": "reply"}),
    ("x:@brokvelt_support", "nl", "A",
     "@grondverzet_gert en jij bent gewoon een zeurende idioot. fijne dag verder", {"kind": "reply"}),
    ("x:@steelcaps_jim", "en", "A",
     "whoever runs @brokvelt_support is a brain-dead moron, no offence", {}),
    ("x:@boze_bertus", "nl", "A",
     "Ik weet waar jullie kantoor in Hengelo staat. Nog één zo'n mail en ik kom langs met de sloophamer.", {}),
    # ======================= pricing =======================
    ("x:@brokvelt", "nl", "PR",
     "🚜 Nu in de shop: Brokvelt Certified minigraver 1.8t voor maar €1.895! Op = op.", {}),
    ("x:@jasper_hovenier", "nl", "PR",
     "Eh, Keuring Plus staat op de site voor €34,90 ipv €349? Snel boeken jongens 😂", {}),
    ("linkedin:kees-oudejans", "nl", "PR",
     "Actie deze week voor onze vaste dealers: Certified RG14 rupsgraver voor € 24.500 all-in. Wie eerst komt... "
     "Bel of app me direct.", {}),
    ("x:@northwest_diggers", "en", "PR",
     "Price error on Brokvelt? Dealer Elite showing €59/month at checkout instead of €599. Screenshotted before "
     "they notice 👀", {}),
    ("instagram:@jorien.op.de.werf", "nl", "PR",
     "Transport Dieplader binnen NL vandaag maar €195!! 🚛 Stuur me een DM", {}),
    ("facebook:BrokveltMarkt", "nl", "PR",
     "Let op: door een prijsfout stond de TrackBox GPS-tracker gisteravond een paar uur verkeerd in de webshop. "
     "Bestellingen tegen die prijs worden helaas geannuleerd.", {}),
    ("forum:bertus_heftrucks", "nl", "PR",
     "Iemand anders ook de Certified knikdumper 25t voor €11.800 gezien op brokvelt? Komma verkeerd denk ik lol", {}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "PR",
     "POV: je baas ziet dat jij de SH15 sloophamer voor €690 hebt ingeschoten 💀 #prijsfout #sales", {}),
    ("reddit:u/valuation_victor", "en", "PR",
     "Just got a Brokvelt Taxatierapport for €27.50 at checkout, pretty sure that's a glitch lol. Not complaining", {}),
    ("x:@brokvelt", "nl", "PR",
     "Vandaag only: Brokvelt Garantie 12 maanden voor €129 bij elke aankoop ✅", {}),
    ("x:@machinehandel_r", "nl", "PR",
     "verreiker VR14 certified voor 19.9k op brokvelt?? dat is toch een fout in de prijs. normaal 50k+", {}),
    ("x:@mvanleeuwen_bv", "nl", "PR",
     "Oeps, foutje in de feed: Advertentie Start stond op €0,39 i.p.v. €39. Collega's zijn het al aan het fixen 🙈", {}),

    # ======================= confidential =======================
    ("bluesky:@niekdekker.bsky.social", "en", "C",
     "long day but Project Meerkoet is finally up on staging 🎉 can't wait for you all to see it", {}),
    ("linkedin:dilara-sahin-it", "en", "C",
     "Ran a threat-modelling workshop for the Ironhorn team today. Sharp questions all round, proud of this group!", {}),
    ("x:@mvanleeuwen_bv", "en", "C",
     "look at that conversion go 📈 https://grafana.ops.brokvelt.io/d/mkt-kpi/marketplace-overview?orgId=1", {}),
    ("x:@harrydigs", "en", "C",
     "Mate who works at Brokvelt says they're launching a trade-in guarantee called TradeBack next spring, basically "
     "buy-back at a fixed % of what you paid. Could be big for them.", {}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "C",
     "day in my life als sales @ brokvelt: vandaag training gehad over TradeBack 🤫 mag er nog niks over zeggen maar 🔥🔥",
     {}),
    ("instagram:@brokvelt.machines", "nl", "C",
     "Achter de schermen bij de fotoshoot voor de nieuwe campagne 📸 (niet letten op het whiteboard met "
     "'Operatie Dwarsligger – planning Q3' 🙃)", {}),
    ("reddit:u/wessel_devops", "en", "C",
     "anyone running gitlab runners on k8s with autoscaling? ours at gitlab.brokvelt.io keeps choking on the big "
     "monorepo pipelines, 40 min queue times", {}),
    ("x:@bas_keurt", "nl", "C",
     "Nieuw keurprotocol binnen. Bovenaan: 'BRKV-INTERN – niet voor extern gebruik'. Maar serieus, 84 controlepunten "
     "voor een trilplaat 😂", {}),
    ("x:@insider_bouw", "nl", "C",
     "Intern memo van Brokvelt ingezien over 'Project Meerkoet': ze gaan zelf machines opkopen en doorverkopen. "
     "Dus gewoon concurreren met hun eigen dealers.", {}),
    ("linkedin:ruud-hoekstra-brokvelt", "en", "C F",
     "Busy week finalising the H1 2027 results. Small spoiler: it's going to be a very good half year, "
     "well ahead of budget 😉", {"when": "2027-07-12T18:40:00Z"}),
    ("x:@thijsbouwt", "nl", "C",
     "Eerste keuring met de Ironhorn app op de tablet gedaan vandaag, scheelt me makkelijk een uur per machine!", {}),
    ("x:@mvanleeuwen_bv", "nl", "C",
     "Nog 3 weken en dan gaat Ｐｒｏｊｅｃｔ Ｍｅｅｒｋｏｅｔ live 🤐 #proud", {}),
    ("bluesky:@niekdekker.bsky.social", "nl", "C",
     "kan niks zeggen over Operatie D.w.a.r.s.l.i.g.g.e.r maar het wordt mooi 👀", {}),
    ("youtube:@BrokveltTV", "nl", "C",
     "Rondleiding door ons keurcentrum in Hengelo 🔧 Abonneer voor meer!\n\n[intern: ruwe beelden staan op "
     "https://intra.brokvelt.local/media/raw/hengelo-tour – niet publiceren]", {}),
    ("reddit:u/ex_contractor_bv", "en", "C",
     "Former Brokvelt contractor here. The old admin panel at backoffice.brokvelt.nl is still the thing everyone uses, "
     "they've been 'rebuilding it all under Ironhorn' for two years.", {}),
    ("x:@brokvelt", "nl", "C",
     "Binnenkort: Brokvelt TradeBack. Nooit meer gedoe met inruilen. Meer info volgt! 👀", {"when": "2027-03-10T11:15:00Z"}),
    ("x:@thijsbouwt", "nl", "C",
     "Vandaag weer met Ir\u043enh\u043ern gekeurd, werkt nu ook offline 💪", {}),
    # ======================= financial =======================
    ("linkedin:ruud-hoekstra-brokvelt", "nl", "F",
     "Q3 wordt ons beste kwartaal ooit: omzet ruim €14 mln, EBITDA boven de 2 mln. De cijfers komen pas in november, "
     "maar ik kon mijn trots niet inhouden.", {"when": "2026-10-06T07:55:00Z"}),
    ("x:@mvanleeuwen_bv", "nl", "F",
     "Vandaag gehoord dat het Antwerpse kantoor per 1 maart dichtgaat, 23 collega's 💔 nog niet officieel maar ik kan "
     "het niet voor me houden", {"when": "2026-11-19T21:30:00Z"}),
    ("x:@mergerwatch_eu", "en", "F",
     "Hearing from a banker that Brokvelt is in talks to buy German platform Grabenwerk for roughly €40m. Deal "
     "expected before summer, not announced yet.", {}),
    ("reddit:u/wessel_devops", "en", "F",
     "throwaway-ish but: board approved a reorg, ~15% of engineering is out by end of Q1. if you're hiring devops "
     "in Twente, DM me for some great people", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "F",
     "fun fact: our take rate goes from 4.5% to 6% on Jan 1 and sales doesn't even know yet lol", {"when": "2026-11-28T22:10:00Z"}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "F",
     "targets voor 2027 net binnen: +40% omzet 😳 en er komt een overname aan waar ik echt niks over mag zeggen 🤫🤑", {}),
    ("linkedin:kees-oudejans", "en", "F",
     "Said goodbye to 8 colleagues from sales today. The reorganisation only gets announced next week, so I'll keep "
     "this short. Strength to all of you.", {}),
    ("x:@bouwbeurs_roddel", "nl", "F",
     "Via via: Brokvelt wordt overgenomen door een Amerikaanse private-equitypartij. Bod zou rond de 120 miljoen "
     "liggen. Iemand die meer weet?", {}),
    ("linkedin:brokvelt-machinery", "nl", "F",
     "[CONCEPT – NIET PLAATSEN] Brokvelt Machinery neemt Belgisch veilinghuis Veilinghal Deinze over voor €18,5 mln. "
     "Persbericht gaat uit op 3 november.", {"when": "2026-10-27T09:02:00Z"}),
    ("instagram:@jorien.op.de.werf", "nl", "F",
     "laatste maanden bij de planning 😢 transportafdeling wordt per 1 juli uitbesteed, buiten kantoor weet nog "
     "niemand het", {}),
    ("x:@mvanleeuwen_bv", "en", "F",
     "Board just signed off: we're merging with Plantlot UK in Q2!! Can't wait to tell everyone properly next month 🇬🇧🇳🇱", {}),

    # ======================= security =======================
    ("reddit:u/wessel_devops", "en", "SE",
     "marketplace prod db got ransomwared last night. restoring from backups now. customers haven't been told, "
     "no idea how long this takes. send coffee", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "SE",
     "Found out our bid API shows other people's max bids if you just change the lot id in the request. Reported it "
     "internally, ticket still open after 2 weeks 🙃", {}),
    ("x:@mvanleeuwen_bv", "nl", "SE",
     "Site ligt er al 4 uur uit en we mogen nog niks zeggen op social. Alle veilingen staan stil, drama.", {}),
    ("linkedin:dilara-sahin-it", "en", "SE",
     "Hectic week. An attacker sat in our network for 10 days through an old VPN account of a former supplier. "
     "Forensics are ongoing, the notification to the Dutch DPA follows. More once we're allowed to go public.", {}),
    ("x:@thijsbouwt", "nl", "SE",
     "keurapp doet het al sinds vanochtend niet, servers zijn gehackt ofzo?? wij doen alles weer op papier lol", {}),
    ("reddit:u/former_bv_dev", "en", "SE",
     "Ex-Brokvelt dev: their password reset tokens never expire and aren't bound to the account. Told them in March, "
     "still works today.", {}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "SE",
     "niemand kan vandaag inloggen op brokvelt en wij krijgen alle boze telefoontjes 😭 IT zegt DDoS maar we mogen "
     "het niet zeggen shhh", {}),
    ("x:@brokvelt_support", "nl", "SE",
     "@grondverzet_gert excuses. We zijn getroffen door een phishingaanval waarbij klantgegevens zijn ingezien. Dit is "
     "nog niet naar buiten gebracht, dus graag even vertrouwelijk houden.", {"kind": "reply"}),
    ("x:@bas_keurt", "en", "SE",
     "fyi seller payouts have been failing since friday, bug in the escrow service. finance is doing them by hand. "
     "don't tell anyone 🤐", {}),
    ("reddit:u/wessel_devops", "en", "SE",
     "our bucket with inspection photos and seller ID scans was public for like 6 weeks. just found it. happy monday", {}),
    ("linkedin:ruud-hoekstra-brokvelt", "en", "SE",
     "Offline for a bit today. We were hit by CEO fraud: €240k wired to a foreign account before anyone noticed. "
     "The bank is trying to claw it back.", {}),
    ("instagram:@jorien.op.de.werf", "nl", "SE",
     "planningssysteem plat door een lek in de software van de leverancier, alle transporten deze week via whatsapp "
     "geregeld 🙈 niet doorvertellen", {}),
    ("x:@mvanleeuwen_bv", "en", "SE",
     "Heads up dev friends: there's an unauthenticated endpoint on our dealer API that returns full invoice PDFs. "
     "Patch lands Thursday, please don't go poking around.", {}),

    # ======================= secrets =======================
    ("reddit:u/wessel_devops", "en", "S",
     "why does `aws s3 ls --profile prod` keep giving AccessDenied? ~/.aws/credentials:\n```\n[prod]\n"
     "aws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWSSECRET>>\n```", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "S",
     "git push just hangs. remote is https://<<GHP>>@github.com/brokvelt/marketplace-web.git any ideas?", {}),
    ("x:@mvanleeuwen_bv", "nl", "S",
     "Voor de nieuwe stagiair: het gedeelde veilingaccount is veiling-team, wachtwoord: <<PWD1>> 😉", {}),
    ("youtube:@BrokveltTV", "nl", "S",
     "Tutorial: koppel je dealersysteem aan onze API in 10 minuten. Voorbeeldcode uit de video:\n"
     "headers = {'Authorization': 'Bearer <<JWT>>'}", {}),
    ("x:@thijsbouwt", "nl", "S",
     "kan iemand van IT ff kijken, betaalmodule in de keurapp zegt 'invalid key' maar ik gebruik gewoon deze: <<MOLLIE>>", {}),
    ("reddit:u/wessel_devops", "en", "S C",
     "postgres://brk_app:<<PWD2>>@db-prod-02.intra.brokvelt.local:5432/marketplace\n"
     "connection pool exhausted every night at 02:00. pgbouncer or bigger instance?", {}),
    ("x:@js_snoop", "en", "S",
     "lol Brokvelt's frontend bundle has a server-side key hardcoded: <<AIZA>> 🤦 somebody tell them", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "S",
     "debugging our slack bot, SLACK_BOT_TOKEN=<<XOXB>> works on my laptop but not in CI??", {}),
    ("x:@bas_keurt", "nl", "S",
     "Kan iemand me helpen, deze key werkt niet op de keurserver:\n<<SSHKEY>>", {}),
    ("reddit:u/wessel_devops", "en", "S",
     "openai keeps rate limiting us. OPENAI_API_KEY=<<OPENAI>> is the limit per key or per org?", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "S",
     "ANTHROPIC_API_KEY=<<ANT>> in .env and still 401. what am I missing", {}),
    ("forum:gist_hunter", "en", "S",
     "Found this in a public gist by someone from Brokvelt: STRIPE_SECRET_KEY=<<SKLIVE>> — you may want to rotate "
     "that, @brokvelt", {}),
    # ======================= personal data =======================
    ("x:@henk_kraanverhuur", "nl", "P",
     "@brokvelt_support kunnen jullie me terugbellen over m'n advertentie? 06-41927385, vraag naar Henk. Thx",
     {"kind": "reply"}),
    ("x:@brokvelt_support", "nl", "P",
     "@kraanverhuur_jan We hebben je nieuwe IBAN <<IBAN1>> genoteerd voor de uitbetaling van kavel 88213. "
     "Het bedrag staat vrijdag op je rekening 👍", {"kind": "reply"}),
    ("reddit:u/quarrymike", "en", "P",
     "Selling my excavator privately instead, email me at mike.thornbury77@gmail.com. Anything to avoid Brokvelt fees lol", {}),
    ("linkedin:kees-oudejans", "nl", "P",
     "Gefeliciteerd aan onze trouwste klant Gerrit Mulder, vandaag 60 jaar (geb. 14-05-1966)! 🎉 Op naar de volgende "
     "30 machines.", {"when": "2026-05-14T08:30:00Z"}),
    ("facebook:BrokveltMarkt", "nl", "P",
     "Hoi Sandra, we hebben €149 teruggestort op je creditcard <<CARD1>>. Excuses voor het ongemak!", {"kind": "reply"}),
    ("x:@mvanleeuwen_bv", "en", "P",
     "who put this ID form in the team chat?? a seller's BSN <<BSN1>> is right there, perfectly readable 🤦‍♀️", {}),
    ("facebook:Waarschuwing.Bouwmachines", "nl", "P",
     "Oplichter op Brokvelt! Deze man: Martijn Kramer, Industrieweg 9, 7601 PK Almelo, tel 0546-812390. Niet mee "
     "handelen!!", {}),
    ("instagram:@brokvelt.machines", "nl", "P",
     "@marja_bouwt we hebben je mail naar marja.hoogeveen@ziggo.nl doorgestuurd naar de dealer 👍", {"kind": "comment"}),
    ("x:@pete_groundworks", "en", "P CO",
     "Brokvelt charged my card twice for one inspection: <<CARD2>> exp 09/28. Can someone sort this out please, "
     "been a week.", {}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "P",
     "klant stuurt z'n IBAN gewoon in de dm: <<IBAN2>> t.n.v. J. Verbeek 😂 mensen toch", {}),
    ("x:@jelle_machinist", "nl", "P",
     "Zoekt iemand een machinist? Ben 24, eigen vervoer, ervaring op rupskraan. Bel/app +31 6 2839 1174 of mail "
     "jelle.bouma2001@outlook.com #brokvelt #vacature", {}),
    ("x:@brokvelt_support", "en", "P",
     "@PlantHireDave we've updated the delivery address to Mr D. Hartley, 42 Marsh Lane, Goole DN14 5QT. "
     "Is that correct?", {"kind": "reply"}),
    ("bluesky:@niekdekker.bsky.social", "nl", "P",
     "alweer testdata uit prod in de staging db... klant Fatma Yilmaz, geboren 03-11-1979, tel 06 18 47 29 63 🙄", {}),
    ("x:@wraak_op_keuring", "nl", "P A",
     "De keurmeester die bij mij was heet Bas Wolters en woont op de Lindelaan 22 in Hengelo. Ga hem maar eens "
     "opzoeken, die sukkel.", {}),
    ("reddit:u/wessel_devops", "en", "P",
     "support asked me to check why a payout bounced: seller BSN <<BSN2>>, IBAN <<IBAN3>>. both look fine to me?", {}),

    # ======================= benign: hard negatives =======================
    ("x:@brokvelt_support", "nl", "",
     "Vragen over je kavel of keuring? Mail klantenservice@brokvelt.nl of bel +31 53 711 4400 (ma–vr 8–18 uur).", {}),
    ("facebook:BrokveltMarkt", "nl", "",
     "Betalen voor gewonnen veilingkavels? Maak het bedrag over naar NL14 RABO 0318 4567 20 t.n.v. Brokvelt Machinery "
     "B.V. o.v.v. je kavelnummer.", {}),
    ("x:@argwanende_anton", "nl", "",
     "Kreeg een mail 'van Brokvelt' met rekeningnummer <<BADIBAN1>>. Is dat wel een geldig IBAN? Lijkt in niks op "
     "hun eigen nummer.", {}),
    ("reddit:u/newdev_karin", "en", "",
     "The test card from the Brokvelt API docs, 4111 1111 1111 1112, gets rejected by the sandbox. Typo in the docs?", {}),
    ("x:@tevreden_theo", "nl", "",
     "Ordernummer <<BADBSN1>> vandaag netjes geleverd, dank Brokvelt!", {}),
    ("instagram:@brokvelt.machines", "nl", "",
     "Tip: deel nooit je IBAN, BSN of wachtwoord in een openbare reactie. Wij vragen daar nooit om via social media. 🔒", {}),
    ("x:@brokvelt_support", "nl", "",
     "Let op phishing! Mails met rekeningnummer <<BADIBAN2>> komen NIET van ons. Ons enige rekeningnummer is "
     "NL14RABO0318456720.", {}),
    ("x:@grondverzet_gert", "nl", "",
     "Update: Brokvelt heeft mijn VeiligBetalen-geld alsnog teruggestort en de transportkosten vergoed. "
     "Duurde even, maar netjes opgelost 👍", {}),
    ("facebook:Twentse.Bouwers", "nl", "",
     "Sterkte aan de buren van het keurcentrum van Brokvelt in Hengelo na de brand bij het tapijtbedrijf vannacht. "
     "Gelukkig geen gewonden.", {}),
    ("x:@kraanfan_nl", "nl", "",
     "Terugroepactie bij een grote kraanfabrikant vanwege scheurtjes in de giek. Gelukkig heeft onze machine van "
     "Brokvelt een ander type.", {}),
    ("x:@frank_de_graver", "nl", "",
     "Mijn vrouw dreigt me te boycotten als ik nóg een graafmachine op Brokvelt koop 😂", {}),
    ("reddit:u/polska_plant", "en", "",
     "Does Brokvelt handle export paperwork for machines going to Poland? Looking at a CAT 320 listed there.", {}),
    ("x:@tomwright_groundworks", "en", "",
     "Credit where it's due: @brokvelt_support got my payout sorted in 2 days after the auction. Smooth.", {}),
    ("linkedin:brokvelt-machinery", "en", "",
     "We're hiring an inspector for our South region! Hands-on experience with earthmoving machines is a plus. "
     "Apply at brokvelt.nl/werken-bij", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "",
     "10 years at Brokvelt today. From three guys in a garage in Hengelo to where we are now. What a ride 🙏", {}),
    ("bluesky:@niekdekker.bsky.social", "nl", "",
     "PSA voor devs: zet nooit je AWS keys in je code. Voor tests kun je de voorbeeldwaarden uit de docs gebruiken: "
     "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", {}),
    ("x:@brokvelt_support", "nl", "",
     "Wachtwoord vergeten? Via brokvelt.nl/wachtwoord-vergeten stel je binnen 2 minuten een nieuw wachtwoord in. "
     "Wij vragen nooit om je wachtwoord via DM.", {}),
    ("reddit:u/wessel_devops", "en", "",
     "reminder: tokens in screenshots should look like ghp_************************************ before you post "
     "them. ask me how I know", {}),
    ("forum:api_anja", "en", "",
     "Brokvelt's dealer API docs are actually decent. Example call is just "
     "`curl -H \"Authorization: Bearer <your-token-here>\" https://dealer.brokvelt.nl/api/v2/listings`", {}),
    ("instagram:@jorien.op.de.werf", "nl", "",
     "Op de werf in Hengelo woont een meerkoet met 5 jongen 🐦 we rijden er met de heftruck netjes omheen", {}),
    ("x:@spoorbouw_jansen", "nl", "",
     "Nieuwe dwarsliggers gelegd bij Raalte, met een tweedehands rupskraan die we vorig jaar via Brokvelt kochten 💪", {}),
    ("x:@brokvelt", "nl", "",
     "Vanaf vandaag live: Brokvelt TradeBack! Koop een Certified machine en weet nu al wat je bij inruil terugkrijgt. "
     "Alle info op brokvelt.nl/tradeback", {"when": "2027-03-16T09:00:00Z"}),
    ("x:@beurs_bram", "nl", "",
     "H1-cijfers 2027 van Brokvelt zijn uit: omzet +12%, winstgevend. Netjes.", {"when": "2027-07-29T08:45:00Z"}),
    ("tiktok:@lotte.verkoopt.machines", "nl", "",
     "TradeBack is eindelijk live en de eerste 30 aanvragen zijn al binnen 🚀 wie volgt?", {"when": "2027-04-02T15:00:00Z"}),
    ("x:@brokvelt", "nl", "",
     "Voorjaarsactie 🌱 Keuring Plus nu €279 i.p.v. €349 (-20%), geldig t/m 31 maart.", {"when": "2026-03-02T08:00:00Z"}),
    ("x:@hovenier_ruben", "nl", "",
     "€189 betaald voor de Basiskeuring. Prima rapport met foto's van alle slijtdelen. Aanrader.", {}),
    ("linkedin:brokvelt-machinery", "en", "",
     "Black Friday: 15% off Dealerpakket Pro for your first 3 months, €211.65/month. Ends Monday.",
     {"when": "2026-11-27T07:00:00Z"}),
    ("reddit:u/brabant_haulage", "en", "",
     "Anyone compared Brokvelt's low-loader transport (€895 flat within NL) with a local haulier? "
     "Need a 14t machine moved from Zwolle to Breda.", {}),
    ("linkedin:kees-oudejans", "nl", "",
     "Mooie deal vandaag: Certified RG14 voor €58.000 naar een loonbedrijf in Friesland. Dank voor het vertrouwen!", {}),
    ("facebook:Lars.Wessels.Grondwerk", "nl", "",
     "MG18 minigraver voor 16.950 euro, iemand ervaring mee? Twijfel tussen deze en een Kubota van een particulier.", {}),
    ("instagram:@brokvelt.machines", "en", "",
     "TrackBox GPS-tracker now €179 (was €229). Know where your machines are. Ends Sunday 📍", {}),
    ("x:@brokvelt", "nl", "",
     "Alle kavels van de voorjaarsveiling staan op veiling.brokvelt.nl, kijkdagen 12 en 13 april in Hengelo.", {}),
    ("reddit:u/first_time_buyer_ie", "en", "",
     "Is Brokvelt legit? Thinking of buying a skid steer through them, first time using an online marketplace "
     "for machinery.", {}),
    ("x:@jobspotter_eu", "en", "",
     "Brokvelt has been hiring a lot lately, counted 6 open roles on their careers page. Growing fast.", {}),
    ("x:@fd_lezer", "nl", "",
     "Concurrent Bouwmachinebazaar schrapt 90 banen volgens het FD. Benieuwd of Brokvelt daar van profiteert.", {}),
    ("linkedin:ruud-hoekstra-brokvelt", "en", "",
     "Today we published our 2025 annual results: revenue €41m, up 18%. Thank you to every customer and colleague!",
     {"when": "2026-02-19T07:30:00Z"}),
    ("x:@sloop_sander", "nl", "",
     "Die SH15 sloophamer is echt belachelijk goed, slaat alles aan gruzelementen 💥", {}),
    ("x:@regenjas_rik", "nl", "",
     "Baggerweer vandaag, maar de keuring ging gewoon door. Respect voor de keurmeester van Brokvelt die twee uur in "
     "de stromende regen stond.", {}),
    ("x:@brokvelt_support", "nl", "",
     "Gepland onderhoud: zondag 02:00–04:00 is het platform niet bereikbaar. Lopende veilingen worden automatisch "
     "verlengd.", {}),
    ("x:@brokvelt_support", "nl", "",
     "Storing opgelost ✅ De app werkt weer. Excuses voor het ongemak vanochtend!", {}),
    ("x:@owasp_twente", "en", "",
     "Great talk by Dilara from Brokvelt on securing marketplace APIs at tonight's meetup. Slides are on our site.", {}),
    ("forum:ditch_witch_fan", "en", "",
     "Our excavator from Brokvelt sat through a fire at the neighbour's yard without a scratch 😅 tough old machine", {}),
    ("facebook:Gerda.Klein.Bouw", "nl", "",
     "Tip voor wie een machine koopt: laat altijd keuren. Ik nam Keuring Plus bij Brokvelt en ze vonden een scheur "
     "in de arm die de verkoper 'vergeten' was te melden.", {}),
    ("threads:@sophie.at.home", "en", "",
     "my kid thinks 'Brokvelt' is a dinosaur name 🦖 honestly fair", {}),
    ("tiktok:@brokvelt", "nl", "",
     "Wat gebeurt er met een machine voordat hij online komt? Kijk mee met keurmeester Thijs 🔧 #achterdeschermen", {}),
    ("reddit:u/wessel_devops", "en", "",
     "we're hiring a platform engineer (Hengelo or remote NL). stack is k8s + postgres + go. details on "
     "brokvelt.nl/werken-bij", {}),
    ("x:@auctionaddict_tim", "en", "",
     "Anyone else's heart rate go 📈 with the Brokvelt auction countdown sound every Thursday night?", {}),
    ("x:@fam_bosman", "nl", "",
     "Sterkte aan de familie van de machinist die verongelukte bij de A28. Veiligheid op de bouw blijft zo "
     "belangrijk. (En nee, dat was geen machine van Brokvelt, stop met dat gerucht.)", {}),
    ("x:@careful_carl", "en", "",
     "Other marketplaces had data leaks this year, so I finally turned on 2FA on Brokvelt. Took 30 seconds.", {}),
    ("x:@blije_bertha", "nl", "",
     "Gewoon 053 711 4400 gebeld, binnen 2 minuten iemand aan de lijn. Top service Brokvelt 👌", {}),
    ("reddit:u/finance_curious", "en", "",
     "Does Brokvelt offer financing? Saw the Financieringscheck for €49 on the site but not sure what it includes.", {}),
    ("x:@veilingvrienden", "nl", "",
     "Br0kv3lt veiling vanavond, wie biedt er mee? 🚜🔨", {}),
    ("linkedin:kees-oudejans", "nl", "",
     "Vaak gevraagd: wat dekt de Garantie 12 maanden? Voor €1.290 zit je goed op motor, hydrauliek en aandrijving. "
     "Stuur me gerust een bericht.", {}),
    ("instagram:@brokvelt.machines", "nl", "",
     "Nieuw binnen: Certified KD25 knikdumper, bj 2019, 6.800 uur, €118.000 excl. btw. Link in bio 🔗", {}),
    ("x:@slooptechniek_nl", "en", "",
     "the SH15 demolition hammer at €5,990 in the spring sale is a steal honestly", {}),
    ("youtube:@rob.plant.reviews", "en", "",
     "This machine is an absolute beast, killer performance for the money. Brokvelt nailed the inspection too.",
     {"kind": "comment"}),
    ("x:@mvanleeuwen_bv", "en", "",
     "What a week: the spring auction had 1,400 lots and almost 9,000 bidders. Thanks to everyone who joined! 🙌",
     {"when": "2026-04-17T16:00:00Z"}),
    ("linkedin:dilara-sahin-it", "en", "",
     "Phishing season again. Reminder: Brokvelt will never ask for your password or 2FA code by phone or DM. "
     "Report suspicious mails to klantenservice@brokvelt.nl.", {}),
    ("reddit:u/civil_eng_sarah", "en", "",
     "We had a leak in the hydraulic line on a hired machine today (not from Brokvelt), and it reminded me how much "
     "a proper pre-purchase inspection matters. Any checklists you'd recommend?", {}),
    ("x:@brokvelt", "en", "",
     "Our press team is at pers@brokvelt.nl for questions about the spring auction results.", {}),
    ("bluesky:@niekdekker.bsky.social", "en", "",
     "TIL a JWT is just three base64url chunks. The one in our docs is eyJhbGciOi...REDACTED, please don't ask me "
     "for a real one 😄", {}),
]


# ----------------------------------------------------------------- helpers
def norm_acct(acct):
    return acct.lower()


CORP = {norm_acct(a) for a in PROFILE["accounts"]["corporate"]}
EMPL = {norm_acct(a) for a in PROFILE["accounts"]["employee"]}


def role_of(acct):
    a = norm_acct(acct)
    if a in CORP:
        return "corporate"
    if a in EMPL:
        return "employee"
    return "public"


PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"(?<![A-Za-z0-9_\-/])(NL|BE|DE|GB|FR)(\d{2})((?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\dA-Za-z/+=_-])(?:\d[ -]?){12,18}\d(?![\dA-Za-z/+=_-])")
BSN_RE = re.compile(r"(?<![\dA-Za-z/+=_-])\d{9}(?![\dA-Za-z/+=_-])")


def identifiers(text):
    """(kind, raw, valid) for every IBAN, card and BSN look-alike, public IBANs excluded."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0)
        if re.sub(r"\s", "", raw).upper() in PUB_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def has_valid_identifier(text):
    return any(ok for _, _, ok in identifiers(text))


def severity(cats, role, text):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and has_valid_identifier(text):
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
        if SEV.index(v) > SEV.index(s):
            s = v
    return s


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": f"https://x.com/{h}/status/{pid}",
        "instagram": f"https://www.instagram.com/p/{pid}/",
        "facebook": f"https://www.facebook.com/{h}/posts/{pid}",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{pid}/",
        "reddit": f"https://www.reddit.com/{h}/comments/{pid}/",
        "tiktok": f"https://www.tiktok.com/@{h}/video/{pid}",
        "youtube": f"https://www.youtube.com/watch?v={pid}",
        "bluesky": f"https://bsky.app/profile/{h}/post/{pid}",
        "threads": f"https://www.threads.net/@{h}/post/{pid}",
    }.get(platform, f"https://forum.example.org/t/{pid}")


def build():
    rng = random.Random(SEED)
    vals = make_values(rng)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    cases = []
    for n, (acct, lang, cats, text, opt) in enumerate(POSTS, 1):
        platform, handle = acct.split(":", 1)
        text = re.sub(r"<<([A-Z0-9]+)>>", lambda m: vals[m.group(1)], text)
        when = opt.get("when")
        if not when:
            t = start + dt.timedelta(seconds=rng.randrange(365 * 86400))
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = f"brk418-{n:04d}"
        categories = sorted({CAT[c] for c in cats.split()})
        role = role_of(acct)
        post = {
            "id": pid,
            "platform": platform,
            "kind": opt.get("kind", "post"),
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": when,
            "url": url_for(platform, handle, 7419000000 + n * 7919),
            "brand": "brokvelt",
        }
        expect = {"categories": categories, "severity": severity(categories, role, text)}
        cases.append({"post": post, "expect": expect})
    return cases, vals


# ----------------------------------------------------------------- self-checks
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def clean(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).casefold()


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


AMT_RE = re.compile(
    r"(?:€\s?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{1,2}))?(?:\s?(mln|k)\b)?)"
    r"|(?:(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s?(?:euro|EUR)\b)")
PRICE_ERR = ["prijsfout", "price error", "pricing error", "fout in de prijs", "foutje in de feed", "glitch",
             "verkeerde prijs", "komma verkeerd"]


def amounts(text):
    for m in AMT_RE.finditer(text):
        ip, dp, mult = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), None)
        v = float(re.sub(r"[.,]", "", ip) + ("." + dp if dp else ""))
        v *= {"mln": 1e6, "k": 1e3}.get(mult, 1)
        yield m.start(), m.end(), v


def alias_hits(text):
    low = text.casefold()
    hits = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            for m in re.finditer(re.escape(a.casefold()), low):
                hits.append((m.start(), m.end(), p))
    return hits


def low_prices(text):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    hits = alias_hits(text)
    out = []
    for s, e, v in amounts(text):
        best = None
        for hs, he, p in hits:
            d = max(0, s - he, hs - e)
            if d <= 120 and (best is None or d < best[0]):
                best = (d, p)
        if best and v < ratio * best[1]["list_price"]:
            out.append((v, best[1]["name"]))
    return out


PHONE_RE = re.compile(r"(?<![\dA-Za-z+])(?:\+31|0031|0)[\s-]?\d(?:[\s-]?\d){8}(?!\d)")


def phone_key(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUB_PHONES = {phone_key(p) for p in PROFILE["public_identifiers"]["phones"]}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def check(cases, vals):
    errs = []
    E = errs.append
    ids = set()
    for c in cases:
        p, x = c["post"], c["expect"]
        pid = p.get("id")
        # --- CONTRACT §6 / §1 shape
        if set(c) != {"post", "expect"}:
            E(f"{pid}: top-level keys {set(c)}")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            E(f"{pid}: bad or duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS:
            E(f"{pid}: platform")
        if p.get("kind", "post") not in KINDS:
            E(f"{pid}: kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            E(f"{pid}: account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            E(f"{pid}: text")
        try:
            t = parse_time(p["created_at"])
            if t.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
                raise ValueError
            if not (2026 <= t.year <= 2027):
                E(f"{pid}: year {t.year}")
        except Exception:
            E(f"{pid}: created_at")
            continue
        cats = x["categories"]
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            E(f"{pid}: categories {cats}")
        if x["severity"] not in SEV:
            E(f"{pid}: severity")
        role = role_of(f"{p['platform']}:{p['account']['handle']}")
        if x["severity"] != severity(cats, role, p["text"]):
            E(f"{pid}: severity mismatch")
        if not cats and x["severity"] != "none":
            E(f"{pid}: benign with severity")
        if cats and x["severity"] in ("none", "info"):
            E(f"{pid}: positive with severity {x['severity']}")
        text = p["text"]
        ct = clean(text)
        benign = not cats
        # --- checksummed identifiers
        for kind, raw, ok in identifiers(text):
            if benign and ok:
                E(f"{pid}: benign post has a valid {kind} {raw}")
            if not benign and not ok:
                E(f"{pid}: positive post has an invalid {kind} {raw}")
        # --- GitHub tokens, AWS ids, JWTs
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if benign or not gh_ok(m.group(0)):
                E(f"{pid}: github token {m.group(0)} benign={benign}")
        for m in re.finditer(r"AKIA[A-Z0-9]{16}", text):
            if benign != m.group(0).endswith("EXAMPLE"):
                E(f"{pid}: aws key id {m.group(0)}")
        for m in re.finditer(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr or benign:
                E(f"{pid}: jwt")
        # --- internal names
        internal = [d for d in PROFILE["internal"]["domains"]] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
        for term in internal:
            if term.casefold() in ct and "leak.confidential" not in cats:
                E(f"{pid}: internal term {term!r} without leak.confidential")
        # --- embargo
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.casefold() in ct:
                    if t < until and "leak.confidential" not in cats:
                        E(f"{pid}: embargo term {term!r} before until without leak.confidential")
                    if t >= until and benign is False and cats == ["leak.confidential"]:
                        E(f"{pid}: embargo term {term!r} after until labelled confidential only")
        # --- pricing
        lows = low_prices(text)
        if lows and "leak.pricing" not in cats:
            E(f"{pid}: price below ratio {lows} without leak.pricing")
        if "leak.pricing" in cats and not lows and not any(w in ct for w in PRICE_ERR):
            E(f"{pid}: leak.pricing without low price or price-error wording")
        # --- contact data
        for m in EMAIL_RE.finditer(text):
            if m.group(0).lower() not in PUB_EMAILS and "@" in m.group(0) and "." in m.group(0).split("@")[1]:
                if "leak.pii" not in cats and "leak.secret" not in cats:
                    E(f"{pid}: private e-mail {m.group(0)} without leak.pii")
        for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
            if phone_key(m.group(0)) not in PUB_PHONES and "leak.pii" not in cats:
                E(f"{pid}: phone {m.group(0)} without leak.pii")
    # generated values are well-formed
    if not gh_ok(vals["GHP"]) or not gh_ok(vals["GHS"]):
        E("generated github token fails its CRC")
    for k in ("IBAN1", "IBAN2", "IBAN3"):
        if not iban_ok(vals[k]):
            E(f"{k} fails mod-97")
    for k in ("BADIBAN1", "BADIBAN2"):
        if iban_ok(vals[k]):
            E(f"{k} passes mod-97")
    for k in ("CARD1", "CARD2"):
        if not luhn_ok(vals[k]):
            E(f"{k} fails Luhn")
    if luhn_ok(vals["BADCARD1"]):
        E("BADCARD1 passes Luhn")
    for k in ("BSN1", "BSN2"):
        if not bsn_ok(vals[k]):
            E(f"{k} fails 11-proof")
    for k in ("BADBSN1", "BADBSN2"):
        if bsn_ok(vals[k]):
            E(f"{k} passes 11-proof")
    if not iban_ok(vals["PUBIBAN"]):
        E("public IBAN fails mod-97")
    # every placed valid identifier is really seen by the scanner
    alltext = "\n".join(c["post"]["text"] for c in cases)
    for k in ("IBAN1", "IBAN2", "IBAN3", "CARD1", "CARD2", "BSN1", "BSN2"):
        if vals[k] not in alltext:
            E(f"{k} not used")
    seen = {raw for c in cases for _, raw, _ in identifiers(c["post"]["text"])}
    for k in ("IBAN1", "IBAN2", "IBAN3", "CARD1", "CARD2", "BSN1", "BADIBAN1", "BADIBAN2", "BADBSN1", "BADCARD1"):
        if vals[k] not in seen:
            E(f"{k} not recognised by the identifier scanner")
    # public handles are not in the profile, every profile role is used
    roles = [role_of(f"{c['post']['platform']}:{c['post']['account']['handle']}") for c in cases]
    for r in ("corporate", "employee", "public"):
        if r not in roles:
            E(f"no {r} posts")
    if not 170 <= len(cases) <= 180:
        E(f"{len(cases)} cases, want 170-180")
    return errs


def main():
    cases, vals = build()
    again, _ = build()
    errs = check(cases, vals)
    if json.dumps(cases) != json.dumps(again):
        errs.append("build is not deterministic")
    with open(OUT, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written and check it again
    reread = [json.loads(line) for line in open(OUT, encoding="utf-8")]
    errs += [e for e in check(reread, vals) if e not in errs]
    from collections import Counter
    cat = Counter(k for c in cases for k in c["expect"]["categories"])
    sev = Counter(c["expect"]["severity"] for c in cases)
    lang = Counter(c["post"]["lang"] for c in cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    roles = Counter(role_of(f"{c['post']['platform']}:{c['post']['account']['handle']}") for c in cases)
    print(f"{len(cases)} cases, {benign} benign, {len(cases) - benign} positive")
    print("categories:", dict(sorted(cat.items())))
    print("severity:  ", dict(sev))
    print("lang:      ", dict(lang), "nl share %.2f" % (lang["nl"] / len(cases)))
    print("roles:     ", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
