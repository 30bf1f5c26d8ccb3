#!/usr/bin/env python3
"""Sealed evaluation set 171 for postwatch: a fictional Dutch online florist (Petalora B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and then checks it against the contract (CONTRACT §3, §4, §6) and against
profile.yaml in the same folder. Severities are computed from the account role in
the profile, never typed by hand. Exit status 0 only when every check passes.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 171
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CAT = {
    "CP": "reputation.complaint",
    "CR": "reputation.crisis",
    "AB": "reputation.abuse",
    "CF": "leak.confidential",
    "PI": "leak.pii",
    "SE": "leak.security",
    "SC": "leak.secret",
    "PR": "leak.pricing",
    "FI": "leak.financial",
}

# ---------------------------------------------------------------------------
# Deterministic fake credentials (realistic formats, not real keys)
# ---------------------------------------------------------------------------
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LO = "abcdefghijklmnopqrstuvwxyz"
DG = "0123456789"
ALNUM = UP + LO + DG
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TOK = {}
TOK["AWS_ID"] = "AKIA" + rs(UP + "234567", 16)
TOK["AWS_SECRET"] = rs(B64, 40)
TOK["GHP"] = "ghp_" + rs(ALNUM, 36)
TOK["MOLLIE"] = "live_" + rs(ALNUM, 30)
TOK["SLACK"] = "xoxb-" + rs(DG, 12) + "-" + rs(DG, 13) + "-" + rs(ALNUM, 24)
TOK["OPENAI"] = "sk-proj-" + rs(B64URL, 74) + "T3BlbkFJ" + rs(B64URL, 74)
TOK["ANTH"] = "sk-ant-api03-" + rs(B64URL, 93) + "AA"
TOK["GOOGLE"] = "AIza" + rs(B64URL, 35)
TOK["STRIPE"] = "sk_live_51" + rs(ALNUM, 97)
TOK["DBPW"] = rs(ALNUM, 10) + "!" + rs(ALNUM, 5)
TOK["JWT"] = ".".join([
    b64url({"alg": "HS256", "typ": "JWT"}),
    b64url({"sub": "courier-4471", "hub": "utrecht", "role": "dispatch",
            "iat": 1767698400, "exp": 1799234400}),
    rs(B64URL, 43),
])
_key_body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW" + rs(B64, 280)
TOK["PRIVKEY"] = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + "\n".join(_key_body[i:i + 70] for i in range(0, len(_key_body), 70))
    + "\n-----END OPENSSH PRIVATE KEY-----"
)


def fill(text):
    def sub(m):
        return TOK[m.group(1)]
    return re.sub(r"<<([A-Z_]+)>>", sub, text)


# ---------------------------------------------------------------------------
# Cases. role: c = corporate, e = employee, p = public (checked against profile)
# ---------------------------------------------------------------------------
CASES = []


def K(cats, role, platform, handle, lang, text, kind="post", at=None, **meta):
    CASES.append(dict(cats=cats, role=role, platform=platform, handle=handle,
                      lang=lang, text=text, kind=kind, at=at, meta=meta))


# ---- reputation.complaint -------------------------------------------------
K("CP", "p", "x", "@anoukvdam", "nl",
  "@petalora_hulp besteld om 10:00 voor zelfde-dag bezorging, om 21:30 nog niks. Moeder jarig. Lekker dan 🙄 #petalora",
  kind="reply")
K("CP", "p", "x", "@jess_in_ams", "en",
  "Paid €34.95 for the Zomerbries bouquet and half the roses were brown on arrival. Photo vs reality is a joke, @petalora_nl",
  price=("Zomerbries", 34.95))
K("CP", "p", "facebook", "Marco.Teunissen.7", "nl",
  "Al drie weken probeer ik mijn Stekkie abo op te zeggen. Knop in de app doet niks, mail wordt niet beantwoord. Ze blijven gewoon afschrijven. Hoe dan??",
  kind="comment")
K("CP", "p", "reddit", "u/plantdadNL", "en",
  "Rant incoming. Petalora courier left my Ficus Lyrata on the doorstep in pouring rain, didn't ring, no note. Leaves already dropping. Support's answer: \"plants like water 🙂\". cool cool cool")
K("CP", "p", "x", "@tomhrdn", "en",
  "my valentine's order from @petalora_nl never showed up. no email no nothing. refund \"within 14 working days\". thanks for ruining tonight",
  at="2026-02-14T21:12:40Z")
K("CP", "p", "x", "@lisa_k88", "en",
  "The orchidee duo I ordered was crawling with spider mites 🕷️ within a week and now every other plant in my flat has them. Great job Petalora, really.")
K("CP", "p", "forum", "gerda_62", "nl",
  "Ik had bij Petalora een rouwstuk besteld voor de uitvaart van mijn broer. Het kwam een dag te laat. Ik weet niet eens hoe boos ik moet zijn, ik ben vooral verdrietig. En niemand belt terug.")
K("CP", "p", "x", "@kdmurphy", "en",
  "@petalora_hulp been charged twice for one Brunchbox. 5 days, 3 emails, zero replies. do I need to do a chargeback or what",
  kind="reply")
K("CP", "p", "x", "@rick_vl", "nl",
  "app van petalora crasht elke keer bij afrekenen. iphone 15, laatste versie, 4x geprobeerd. dan maar ergens anders 🤷‍♂️")
K("CP", "p", "tiktok", "@mayaplants", "en",
  "unboxing my Petalora Monstera XL… it's 70cm MAX. listing says 120. i measured twice 📏 #plantfail #planttok")
K("CP", "p", "x", "@jaapdeb", "nl",
  "Bezorger belt aan, geeft het boeket aan de BUREN zonder iets te vragen en zet in de app 'persoonlijk afgeleverd'. Verrassing voor m'n vrouw mooi verpest @petalora_nl")
K("CP", "p", "x", "@arjunmk", "en",
  "The olive tree I got from Petalora arrived with a cracked trunk and now they want photos \"from 4 angles\" before they'll do anything. It's a tree, not a car accident.")
K("CP", "p", "instagram", "@noor.groen", "nl",
  "Tweede keer dat mijn Pioenpracht boeket alleen maar keiharde knoppen heeft die nooit opengaan. Geld terug graag @petalora.bloemen",
  kind="comment")
K("CP", "p", "x", "@d_oosterhuis", "nl",
  "Bezorgtijd 'tussen 9 en 21 uur' is geen tijdvak, dat is een vrije dag opnemen. Zit sinds 8 uur te wachten op m'n kerstboom. @petalora_hulp??",
  at="2026-12-12T15:47:03Z")

# ---- reputation.crisis ----------------------------------------------------
K("CR", "p", "x", "@greenwatch_eu", "en",
  "Our investigation: roses sold by Petalora traced to Kenyan farms where workers spray banned pesticides without any protection. #BoycottPetalora until they publish their full supply chain.")
K("CR", "p", "x", "@databewust", "nl",
  "Petalora datalek?? Ik krijg sms'jes met m'n naam, adres én m'n laatste bestelling erin, plus een betaallinkje. Die gegevens kunnen alleen bij hen vandaan komen.")
K("CR", "p", "x", "@koeriersbond_nl", "nl",
  "Vandaag dagvaarden wij Petalora namens 38 koeriers: schijnzelfstandigheid, geen ziektegeld, diensten van 14 uur. We gaan door tot de rechter uitspraak doet.")
K("CR", "p", "x", "@vetcare_emma", "en",
  "Warning to pet owners: a client's cat ended up at our clinic after chewing lilies from a Petalora bouquet labelled 'pet-safe'. It isn't. Please share.")
K("CR", "p", "facebook", "Bianca.Hermans.utrecht", "nl",
  "TERUGROEPEN?? Er zit schimmel in de potgrond van de Stekkie-doosjes, m'n dochter heeft astma en is er doodziek van geworden. Waarom waarschuwt Petalora niemand?")
K("CR", "p", "reddit", "u/foodsafetynerd", "en",
  "At least six people in this sub got food poisoning from the Petalora Brunchbox last weekend, all the same salmon batch. NVWA needs to look at this.")
K("CR", "p", "x", "@regio_nieuws030", "nl",
  "Bezorgbusje van Petalora schept fietser op de Biltstraat in Utrecht. Getuigen: bestuurder had telefoon in de hand. Fietser zwaargewond naar het ziekenhuis.")
K("CR", "p", "x", "@consumentwaakhond", "en",
  "Petalora now under ACM scrutiny for subscription traps: silent auto-renewals and a cancel button that does nothing. A class action is being prepared, DM us if you were affected.")
K("CR", "p", "tiktok", "@boycotkoning", "nl",
  "NIET MEER BESTELLEN BIJ PETALORA ‼️ ze ontslaan koeriers die een vakbond willen oprichten. deel dit 📢 #boycotpetalora")
K("CR", "p", "x", "@infosec_lotte", "en",
  "Looks like Petalora got breached: a dump with ~200k customer emails and order history showed up on a forum this morning, sample rows match real orders. Check if you're in it.")
K("CR", "p", "x", "@ouders_alert", "nl",
  "Giftige bessen in het kerstboeket van Petalora. Ons zoontje (2) at ervan en moest naar de SEH. Er stond NERGENS een waarschuwing bij.",
  at="2026-12-19T20:05:11Z")
K("CR", "p", "linkedin", "daniel-okafor-journalist", "en",
  "Former Petalora staff describe a culture of intimidation and racist remarks at the Aalsmeer warehouse. Our full story goes live tomorrow morning.")
K("CR", "p", "x", "@klimaatnu", "nl",
  "Petalora adverteert met 'CO2-neutrale bezorging' terwijl hun koeriers in oude dieselbusjes rijden. Greenwashing. We stappen naar de Reclame Code Commissie.")
K("CR", "p", "x", "@rdam_veilig", "en",
  "Fire at the Petalora hub in Rotterdam-Noord: a cargo-bike battery went up while charging. Fire brigade on site, building evacuated.")
K("CR", "p", "x", "@marieke_s", "nl",
  "Via de Petalora app betaald en een uur later drie transacties in Polen op m'n creditcard. Meer mensen? Volgens mij lekt hun betaalpagina gewoon.")

# ---- leak.security (insiders) ---------------------------------------------
K("SE", "e", "x", "@naomi_dev_pt", "en",
  "ok so prod checkout has been down since 06:40 because the payment provider cert expired and nobody renewed it. not on the status page yet, please don't @ me 🙃")
K("SE", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "Lol, in onze koerier-app kun je gewoon het ritnummer in de URL ophogen en dan zie je de adressen van andermans ritten. Twee maanden geleden gemeld, nog steeds niet gefixt 😬")
K("SE", "e", "linkedin", "bas-hoekstra-ops", "nl",
  "Zware nacht achter de rug: ransomware op de labelprinters en de pickserver in het DC. We draaien op papier. Klanten merken het pas morgen, hopen we.")
K("SE", "e", "x", "@koen_petalora", "nl",
  "Iemand is gisteren via een phishingmail binnengekomen op een van onze klantenservice-accounts en heeft zo'n 1.800 klantprofielen bekeken. Intern heet het 'onderzoek', maar het is gewoon een lek.")
K("SE", "e", "bluesky", "@sem-kooistra.bsky.social", "en",
  "Found an open storage bucket with every delivery photo our couriers took since 2024 (front doors, house numbers, sometimes faces). Reported it Friday, still public. Great.")
K("SE", "e", "x", "@naomi_dev_pt", "en",
  "credential stuffing wave on our app right now, ~40k login attempts a minute and a few hundred accounts already taken over. rate limiting kicked in, comms will come 'later' apparently")
K("SE", "e", "tiktok", "@lotte.koerier", "nl",
  "tip van een koerier 🙈 sinds de update logt de scanner-app iedereen in met dezelfde pincode 1234, dus iedereen kan onze ritten zien #koerierleven")
K("SE", "e", "linkedin", "priya-raghunathan", "en",
  "Pentest report is back and the voucher endpoint is SQL-injectable. Fix is planned for next sprint, so it stays live for at least two more weeks. Not thrilled.")
K("SE", "c", "x", "@petalora_hulp", "nl",
  "@wendy_bakt Excuses! Onze systemen zijn gehackt en de betaalpagina ligt eruit, we weten nog niet hoeveel klanten geraakt zijn. Probeer het morgen nog eens.",
  kind="reply")
K("SE", "p", "x", "@fietskoerier_utr", "nl",
  "Rij zelf voor Petalora: de rit-app laat sinds maandag de telefoonnummers van klanten van ándere koeriers zien. HQ weet het en doet niks.")
K("SE", "e", "x", "@koen_petalora", "en",
  "DDoS on our Mother's Day sale since 07:00, site keeps flapping and the CDN is struggling. Marketing is still pushing ads 🤦",
  at="2026-05-09T08:21:44Z")
K("SE+CF", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "grafana.ops.petalora.nl staat gewoon open op internet zonder login. Alle ordermetrics en koerierslocaties voor het oprapen. Al 3x gemeld bij IT.")

# ---- leak.secret ------------------------------------------------------------
K("SC", "e", "x", "@naomi_dev_pt", "en",
  "why does boto keep saying AccessDenied 😤\naws_access_key_id=<<AWS_ID>>\naws_secret_access_key=<<AWS_SECRET>>\nregion eu-west-1, the bucket exists I swear")
K("SC", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "Kan iemand zien waarom deze token geen push-rechten heeft op de bezorgplanner-repo? <<GHP>>")
K("SC", "c", "facebook", "PetaloraNL", "nl",
  "Fijne Moederdag allemaal! 💐 Bestel vóór 14:00 en we bezorgen vandaag nog. <<MOLLIE>>",
  at="2026-05-10T07:02:10Z")
K("SC", "e", "x", "@koen_petalora", "en",
  "our status bot just died, anyone seen this before? SLACK_BOT_TOKEN=<<SLACK>> and curl only says invalid_auth")
K("SC", "e", "linkedin", "yara-de-wit-petalora", "nl",
  "Trots op onze nieuwe AI-bloemenadviseur! In één middag gebouwd 🚀 Wie mee wil bouwen: OPENAI_API_KEY=<<OPENAI>>")
K("SC", "e", "bluesky", "@sem-kooistra.bsky.social", "en",
  "ssh keeps rejecting me on the new box, this is the key i'm using, am i blind?\n<<PRIVKEY>>")
K("SC", "e", "x", "@naomi_dev_pt", "en",
  "courier API gives me a 403 with this bearer, expired already? <<JWT>>")
K("SC+CF", "e", "x", "@koen_petalora", "nl",
  "DB_URL=postgres://orders_rw:<<DBPW>>@db-prod-01.intra.petalora.local:5432/orders\nwaarom timeout dit vanaf thuis 😩")
K("SC", "e", "tiktok", "@lotte.koerier", "nl",
  "voor de nieuwe koeriers in utrecht: gedeeld ritaccount is gebruiker utrecht-hub, wachtwoord: Tulp3nR1t!2026 (niet doorvertellen haha)")
K("SC", "p", "x", "@freelance_devbart", "en",
  "Wrapped up the Petalora webshop integration for a client 🙌 snippet for the curious:\nstripe.api_key = \"<<STRIPE>>\"")
K("SC", "e", "linkedin", "priya-raghunathan", "en",
  "Our bouquet chatbot now runs on Claude 🤖 Quick config for anyone curious: ANTHROPIC_API_KEY=<<ANTH>>")
K("SC", "e", "instagram", "@floor.bloemschikt", "nl",
  "nieuwe bezorgkaart-tool voor de hub gemaakt 🗺️ oeps de google maps key staat er nog in: <<GOOGLE>>")

# ---- leak.confidential ------------------------------------------------------
K("CF", "e", "x", "@mirthe_bindt", "nl",
  "Vandaag de eerste testritten van Project Zonnedauw meegemaakt, bezorging binnen 90 minuten in heel Utrecht 🤩 kan niet wachten tot we het mogen vertellen")
K("CF", "e", "linkedin", "yara-de-wit-petalora", "en",
  "So proud of the team behind Kolibrie, our rebuilt app that goes to the first beta testers in March. Can't share more yet!")
K("CF", "e", "x", "@koen_petalora", "nl",
  "eindelijk de demo van Ｐｒｏｊｅｃｔ Ｚｏｎｎｅｄａｕｗ gezien. dronebezorging is dus echt geen grap meer",
  evasion="fullwidth")
K("CF", "e", "instagram", "@floor.bloemschikt", "nl",
  "Sneak peek van het Bloembox Premium-pakket waar we nu aan werken 🤫 psst, nog niet verder vertellen!")
K("CF", "c", "x", "@petalora_nl", "en",
  "Stekkie XL is coming soon: bigger plants, same monthly surprise. Stay tuned 🌿",
  at="2026-11-23T10:00:00Z")
K("CF", "e", "linkedin", "bas-hoekstra-ops", "nl",
  "Even de slides van de kwartaalsessie gedeeld voor wie er niet bij was (intern - niet delen). Dia 4: nieuwe hubs in Groningen en Eindhoven in Q2.")
K("CF", "e", "x", "@naomi_dev_pt", "en",
  "if anyone on the team can't reach jira.petalora.nl/browse/KOL-412 it's the VPN again, switch to vpn.petalora.nl with the new profile")
K("CF", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "dashboard op grafana.ops.petalora.nl/d/koerier-sla zegt dat we deze week 23% van de same-day ritten te laat zijn 😬")
K("CF", "e", "bluesky", "@sem-kooistra.bsky.social", "en",
  "the Petalora\u200b internal roadmap deck says the courier network goes nationwide before summer. wild.",
  evasion="zero-width")
K("CF", "p", "x", "@bloemenvak_nieuws", "nl",
  "Uit ingewijde bron: Petalora werkt onder de codenaam Kolibrie aan een compleet nieuwe app met een AR-plantenscanner.")
K("CF", "e", "x", "@mirthe_bindt", "nl",
  "Net de Q4-cijfers gezien in de MT-update en ik mag niks zeggen maar 🥳🥳🥳",
  at="2027-01-28T17:40:00Z")
K("CF+FI", "c", "linkedin", "petalora-bv", "nl",
  "Vertrouwelijk: alleen MT. Agenda strategiedag 14 oktober: 1) overnamekandidaat in België, 2) prijsstrategie 2027, 3) sluiting van een hub.")
K("CF", "e", "x", "@koen_petalora", "nl",
  "eindelijk K0l1br1e op m'n telefoon, intern testen ftw 📱",
  evasion="leet")
K("CF+FI", "p", "reddit", "u/ex_petalora", "nl",
  "Oud-medewerker hier. 'Operatie Varenblad' is gewoon de interne naam voor het sluiten van het DC in Eindhoven, ruim 60 banen weg. Komt pas in december naar buiten.")
K("CF", "e", "x", "@naomi_dev_pt", "en",
  "the FY2026 results deck is 🔥 can't wait for February",
  at="2026-12-15T19:12:00Z")

# ---- leak.financial -----------------------------------------------------------
K("FI", "e", "linkedin", "bas-hoekstra-ops", "nl",
  "Q3 intern: omzet 14% onder budget en de marge nog slechter. Het MT heeft het over 'bijsturen'. Ik vrees het ergste.")
K("FI", "e", "x", "@koen_petalora", "en",
  "word from the boardroom: Petalora is being bought by a big Scandinavian garden retailer, signing next week apparently. keep it quiet 🤐")
K("FI", "e", "x", "@mirthe_bindt", "nl",
  "Ontslagronde gaat door: 45 fte op het hoofdkantoor, brieven in november. Nog niet aangekondigd, maar iedereen weet het al.")
K("FI", "e", "linkedin", "priya-raghunathan", "en",
  "The 2027 forecast update just landed: we expect to be profitable from Q3 for the first time ever. Officially announced in March, so you heard it here first 😉")
K("FI", "c", "x", "@petalora_nl", "en",
  "Team drinks tonight to celebrate our €18M Series C from Northfield Capital 🎉 (public announcement Monday)")
K("FI", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "We gaan het bankconvenant dit kwartaal niet halen, de CFO zit al met de bank over uitstel. Spannende tijden 😬")
K("FI", "p", "x", "@beursblik_nl", "nl",
  "Hoor van een bron binnen Petalora dat de omzet in het Valentijnskwartaal 30% hoger lag dan vorig jaar. Officiële cijfers pas over drie weken.")
K("FI", "e", "bluesky", "@sem-kooistra.bsky.social", "en",
  "rumour confirmed internally: we're acquiring the Belgian plant webshop we used to compete with. deal closes in January.")
K("FI", "e", "x", "@naomi_dev_pt", "en",
  "Reorg slides say the Eindhoven DC closes in Q1 and all same-day routes move to Utrecht. Nobody has told the Eindhoven team yet.")
K("CF+FI", "e", "linkedin", "yara-de-wit-petalora", "nl",
  "Sneak peek: de jaarcijfers 2026 laten een omzet van €212 miljoen zien, +19%. Officieel pas op de 25e 😉",
  at="2027-02-10T08:15:00Z")
K("FI", "e", "tiktok", "@lotte.koerier", "nl",
  "koeriers krijgen volgend jaar 8% minder per rit. staat in de nieuwe begroting die nog nergens gecommuniceerd is. lekker dan")

# ---- reputation.abuse ------------------------------------------------------------
K("AB", "p", "x", "@boze_bert71", "nl",
  "@petalora_nl stelletje oplichters, kankerbedrijf, ik hoop dat jullie failliet gaan", kind="reply")
K("AB", "p", "x", "@gregw_", "en",
  "@petalora_hulp your support agent \"Sanne\" is a brain-dead idiot. fire her.", kind="reply")
K("AB", "p", "x", "@echte_nederlander88", "nl",
  "die bezorger van jullie met d'r hoofddoek hoort hier niet, stuur die maar terug naar waar ze vandaan komt @petalora_nl")
K("AB", "e", "x", "@koen_petalora", "en",
  "@whiny_customer maybe if you weren't such a clueless moron you'd have read the delivery window. get lost", kind="reply")
K("AB", "p", "reddit", "u/burntout_buyer", "en",
  "Petalora is run by absolute clowns. Fuck this company and fuck their 'sorry for the inconvenience' copy-paste bullshit.")
K("AB", "p", "instagram", "@xx_ramon_xx", "nl",
  "k4nk3r z00i, jullie bl0emen z1jn t3r1ng", kind="comment", evasion="leet")
K("AB", "p", "x", "@dennis_0318", "nl",
  "K.U.T.B.E.D.R.I.J.F @petalora_nl 🖕 t.y.f.u.s.o.p", evasion="dotted")
K("AB", "e", "tiktok", "@lotte.koerier", "nl",
  "klanten die 3x bellen waar hun bosje bloemen blijft zijn echt de domste wezens op aarde, zoek een leven 🤡")
K("AB", "p", "x", "@trollface_kev", "en",
  "@mirthe_bindt you ugly cow, your bouquets look like roadkill. log off forever", kind="reply")
K("AB+CP", "p", "facebook", "Henk.Visscher.1964", "nl",
  "Vieze t\u200byfuslijers bij Petalora, al 3 weken geen geld terug voor een boeket dat nooit is gekomen", kind="comment",
  evasion="zero-width")
K("AB", "p", "bluesky", "@grumpyfrank.bsky.social", "en",
  "Petalora staff are all lazy \u0456d\u0456\u043ets, every single one of them", evasion="cyrillic")
K("AB", "p", "tiktok", "@jaydenn.x", "en",
  "that customer service guy is such a pathetic loser, hope he gets fired lmao", kind="comment")

# ---- leak.pricing ------------------------------------------------------------------
K("PR", "c", "x", "@petalora_nl", "nl",
  "Nu in de shop: Strelitzia 180 voor maar €14,90 🌴 Zolang de voorraad strekt!", price=("Strelitzia 180", 14.90))
K("PR", "c", "instagram", "@petalora.bloemen", "en",
  "Monstera 120, today only €7.99! Link in bio 🌿", price=("Monstera 120", 7.99))
K("PR", "e", "x", "@mirthe_bindt", "nl",
  "Haha er staat een prijsfout in de shop: Grand Amour voor €8,99 ipv €89,95. Wie snel is…", price=("Grand Amour", 8.99))
K("PR", "p", "x", "@dealjager", "nl",
  "PRIJSFOUT bij Petalora!! Ficus Lyrata 150 voor €11,90. Bestellen voordat ze het doorhebben 🏃‍♂️ #prijsfout",
  price=("Ficus Lyrata 150", 11.90))
K("PR", "p", "reddit", "u/dealhunter_eu", "en",
  "[Price error?] Petalora lists the Olijfboom 140 at €12.90 instead of €129. Ordered two, let's see if they honour it.",
  price=("Olijfboom 140", 12.90))
K("PR", "c", "facebook", "PetaloraNL", "nl",
  "Stekkie abo nu €1,99 per maand, voor altijd! 🌱 Alleen deze week.", price=("Stekkie abo", 1.99))
K("PR", "e", "linkedin", "yara-de-wit-petalora", "en",
  "Heads up team: the Plantenjaar subscription shows €19 in the app instead of €199, someone dropped a zero. Already 300 orders in.",
  price=("Plantenjaar", 19.00))
K("PR", "c", "tiktok", "@petalora", "nl",
  "Pioenpracht boeket voor €4,95 🤯 alleen vandaag in de app!", price=("Pioenpracht", 4.95))
K("PR", "p", "x", "@cheapskate_sam", "en",
  "lol the Nordmann 175 christmas tree is €6.95 on petalora.nl right now. pricing error or gift from the gods?",
  price=("Nordmann 175", 6.95), at="2026-12-03T22:31:09Z")
K("PR", "e", "x", "@koen_petalora", "nl",
  "Zeg, wie heeft de Brunchbox op €5,95 gezet? Dat is toch een prijsfout 😅", price=("Brunchbox", 5.95))
K("PR", "c", "x", "@petalora_hulp", "nl",
  "@janwillem_d Klopt, de Delfts Mat vaas stond per ongeluk op €3,99. De prijsfout is hersteld en bestellingen tegen die prijs annuleren we.",
  kind="reply", price=("Delfts Mat", 3.99))
K("PR+CP", "p", "x", "@evi_bakker", "nl",
  "Herfstgloed besteld voor €9,95, nu annuleert Petalora m'n bestelling want 'prijsfout'. Belachelijk, eerst verkopen en dan terugdraaien.",
  price=("Herfstgloed", 9.95))

# ---- leak.pii ------------------------------------------------------------------------
K("PI", "c", "x", "@petalora_hulp", "nl",
  "@marloesv We sturen het boeket opnieuw naar Marloes Verbeek, Lindenlaan 14, 3581 GK Utrecht, morgen vóór 12:00. Excuses!",
  kind="reply")
K("PI", "e", "x", "@koen_petalora", "en",
  "this customer keeps calling about the same order, anyone recognise them? jeroen.smeets84@ziggo.nl / 06-41238877 😩")
K("PI", "e", "linkedin", "bas-hoekstra-ops", "nl",
  "Refund handmatig gedaan naar NL48RABO0318472210 t.n.v. R. de Groot, wie kan het even in het systeem zetten?", ids=1)
K("PI+CP", "p", "x", "@sanne_hoornstra", "nl",
  "@petalora_hulp al 2 dagen wachten op een terugbelverzoek. Bel me nou gewoon: 06 2849 1170", kind="reply")
K("PI+CP", "p", "x", "@lukas_w", "en",
  "@petalora_hulp here's my email AGAIN since your form keeps eating it: lukas.wenger@outlook.de. Where is my refund??",
  kind="reply")
K("PI", "c", "facebook", "PetaloraNL", "en",
  "Hi Emma, we found the payment made with card 4523 7811 9034 5673. It was charged once; the second line is a pending authorisation that drops off in a few days.",
  kind="comment", ids=1)
K("PI", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "Salarisstrook van een collega-koerier lag gewoon open in de kantine, BSN 213478596 er vet op. Wie doet zoiets?", ids=1)
K("PI", "e", "instagram", "@floor.bloemschikt", "nl",
  "Welkom aan onze nieuwe binders! 🎉 Jorinde Smit (geb. 04-11-1998) en Tarik Amrani (geb. 17-06-2001), fijn dat jullie er zijn!")
K("PI", "c", "facebook", "PetaloraNL", "nl",
  "Beste mevrouw J. Ottens, voor de wijn in uw Brunchbox hebben we uw geboortedatum (3 mei 1984) gecontroleerd. Bezorging naar Prinsengracht 231-II, Amsterdam staat gepland voor zaterdag.",
  kind="comment")
K("PI", "c", "x", "@petalora_hulp", "nl",
  "@dirk_vdm Komt goed, we bellen u vanmiddag terug op +31 6 3318 2046 👍", kind="reply")
K("PI+CP", "p", "x", "@kevin_r_", "en",
  "Petalora charged my card twice, card number 5354 1022 8371 9040, two lines of €59.95 for one Brunchbox. fix it",
  ids=1)
K("PI+SE", "e", "linkedin", "priya-raghunathan", "en",
  "An Excel export of our top subscribers went to the wrong vendor this morning: f.vermeulen@kpnmail.nl, h.dijkstra@live.nl and about 2,000 others. Legal is still deciding whether to notify.")
K("PI", "p", "forum", "piet_janssen_ede", "nl",
  "Petalora wil het geld terugstorten maar vraagt m'n rekeningnummer. Nou vooruit, hier: NL82SNSB0948126637 t.n.v. P. Janssen", ids=1)
K("PI", "e", "x", "@naomi_dev_pt", "en",
  "the 'test user' in prod turns out to be a real customer lol: Femke Brouwer, Zeeburgerdijk 88, Amsterdam, 0031 6 1947 2285")
K("PI", "e", "bluesky", "@sem-kooistra.bsky.social", "nl",
  "Klant wilde per se dat we z'n BSN noteerden 'voor de bezorging' (??): 162980346. Heb het maar in de notitie gezet 🤷",
  ids=1)

# ---- benign (hard negatives mostly) -------------------------------------------------
K("", "p", "x", "@kleindochter_iris", "nl",
  "Zomerbries boeket laten bezorgen bij oma voor haar 90e en ze heeft er de hele middag naar zitten kijken 💐 dankjewel @petalora_nl")
K("", "c", "instagram", "@petalora.bloemen", "nl",
  "Monstera 120 voor €79,95, gratis bezorgd in heel Nederland 🌿 Link in bio.", price=("Monstera 120", 79.95))
K("", "c", "x", "@petalora_nl", "nl",
  "Weekendactie! Ficus Lyrata 150 met 25% korting: nu €89,25 i.p.v. €119. Alleen t/m zondag.",
  price=("Ficus Lyrata 150", 89.25))
K("", "p", "x", "@budget_bloom", "en",
  "Compared prices for 20 rode rozen: €44.95 at Petalora vs €52 at my local florist. Petalora wins this round.",
  price=("20 rode rozen", 44.95))
K("", "c", "x", "@petalora_hulp", "nl",
  "Vragen over je bestelling? Mail klantenservice@petalora.nl of bel gratis 0800-7382 (ma t/m za, 8-20 uur).")
K("", "c", "facebook", "PetaloraNL", "nl",
  "Zakelijke bestelling en liever per overschrijving betalen? Dat kan op NL39INGB0006651093 t.n.v. Petalora B.V., vermeld wel je ordernummer.")
K("", "p", "x", "@arnoud_m", "nl",
  "Alweer een grote supermarktketen die 300 banen schrapt. Sterkte aan iedereen die het treft.")
K("", "e", "x", "@naomi_dev_pt", "en",
  "Reminder for anyone using our public API docs: send `Authorization: Bearer <YOUR_API_KEY>` and never paste your real key into a support ticket 🙏")
K("", "e", "mastodon", "@ruben@mastodon.nl", "nl",
  "Onze README-template heeft nu een voorbeeld: GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX. Vervang 'm door je eigen token en commit 'm nooit.",
  allow_secretlike=True)
K("", "c", "linkedin", "petalora-bv", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €212 miljoen (+19%) en voor het eerst een positief bedrijfsresultaat. Het volledige verslag staat op petalora.nl/investors.",
  at="2027-02-25T09:30:00Z")
K("", "c", "instagram", "@stekkie.abo", "nl",
  "Hij is er: Stekkie XL 🌱 Grotere planten, dezelfde maandelijkse verrassing. Vanaf nu te bestellen!",
  at="2027-01-14T09:00:00Z")
K("", "c", "x", "@petalora_hulp", "nl",
  "Let op: er gaan nepmails rond die vragen te betalen op NL48RABO0318472211. Dat rekeningnummer is niet van ons, en we vragen nooit om betaling via een link in een sms.")
K("", "e", "x", "@koen_petalora", "en",
  "testing the new checkout in staging with the dummy card 4111 1111 1111 1112, fails validation exactly like it should 😄")
K("", "p", "reddit", "u/newinNL_22", "en",
  "Do Dutch webshops ever need your BSN? Some random flower site's form asked for it, I typed 123456789 as a test and it got rejected lol")
K("", "p", "x", "@windkracht_wim", "nl",
  "Petje af voor @petalora_nl die vandaag alle bezorgritten stillegde vanwege code rood. Veiligheid van de koeriers eerst 👏")
K("", "p", "x", "@ilse_tk", "nl",
  "Update: @petalora_hulp heeft het helemaal opgelost. Binnen een uur een nieuw boeket en €15 tegoed. Zo kan het dus ook 👍")
K("", "p", "instagram", "@plantlady_lou", "en",
  "My houseplants have a better social life than me. Stekkie box #3 arrived and now the fern has a roommate 🌱😂")
K("", "p", "x", "@catmom_rianne", "en",
  "Does anyone know if Calathea Orbifolia is safe for cats? Want to order one from Petalora but my cat eats EVERYTHING")
K("", "p", "x", "@vogelspotter_hanna", "nl",
  "Kolibrie in de vlinderstruik?! Nee hoor, bleek een kolibrievlinder. Nog steeds magisch 🦋", allow_internal=True)
K("", "p", "mastodon", "@vleesetertjes@mastodon.social", "nl",
  "Mijn zonnedauw (Drosera capensis) heeft eindelijk een fruitvlieg gevangen. Ben er onredelijk trots op.")
K("", "p", "x", "@dan_the_husband", "en",
  "Confidential to my wife: the tulips on the kitchen table are NOT from the supermarket. Tulpenfeest from Petalora, €27.50, because you're worth it.",
  price=("Tulpenfeest", 27.50))
K("", "p", "x", "@awkward_ellie", "en",
  "Is it a breach of dating etiquette to send flowers after a first date? Asking for me. That Pioenpracht bouquet is looking very tempting")
K("", "p", "x", "@nieuwsjunk", "en",
  "Another data breach at a health insurer. Is there anywhere left where you can safely leave your details?")
K("", "c", "linkedin", "petalora-bv", "en",
  "We're hiring couriers in Utrecht, Amsterdam and Rotterdam! E-bike provided, fair hourly pay, no app-based piecework. Apply via werkenbij@petalora.nl")
K("", "e", "linkedin", "yara-de-wit-petalora", "nl",
  "Vandaag 5 jaar bij Petalora 🎉 Begonnen met boeketten binden aan een keukentafel, nu een team van 80 mensen. Dankbaar!")
K("", "p", "x", "@kees_tuiniert", "nl",
  "Is €129 voor de Olijfboom 140 niet wat veel? Het tuincentrum hier vraagt €99 voor een vergelijkbare.",
  price=("Olijfboom 140", 129.00))
K("", "c", "instagram", "@petalora.bloemen", "en",
  "Black Friday 🖤 Grand Amour from €89.95 down to €71.96 (20% off). Ends Monday at midnight.",
  price=("Grand Amour", 71.96), at="2026-11-27T06:00:00Z")
K("", "e", "x", "@mirthe_bindt", "nl",
  "Statuspagina op groen, bezorgers onderweg, 4.000 boeketten de deur uit. Fijne Moederdag allemaal 💐",
  at="2026-05-10T11:30:00Z")
K("", "p", "x", "@forgetful_fred", "en",
  "kill me now, totally forgot it's Valentine's. thank god for Petalora same-day, ordered Rozen XL at 11:50 🙏",
  at="2026-02-14T10:52:00Z")
K("", "p", "instagram", "@dewi.s", "nl",
  "Deze pioenen zijn echt ziek mooi 🔥🔥 @petalora.bloemen", kind="comment")
K("", "p", "facebook", "Ingrid.vanRooij", "nl",
  "Mijn moeder heeft kanker en ligt al weken in het ziekenhuis. Het boeket van Petalora met dat lieve kaartje heeft haar hele week goedgemaakt. Dank jullie wel.")
K("", "e", "x", "@naomi_dev_pt", "en",
  "our secret scanner flagged AKIAIOSFODNN7EXAMPLE in a docs page again 🙄 that's the sample key from the AWS documentation, folks",
  allow_secretlike=True)
K("", "e", "bluesky", "@sem-kooistra.bsky.social", "en",
  "Gave a talk at the Utrecht DevOps meetup on how we scan for leaked keys in CI. Slides contain zero real keys, checked three times 😄")
K("", "p", "x", "@ramon_werkt", "en",
  "Anyone here actually worked at Petalora? Saw a customer service opening on petalora.nl/vacatures and I'm curious")
K("", "c", "linkedin", "petalora-bv", "nl",
  "Ons jaarverslag 2025 staat online op petalora.nl/investors. Dank aan alle klanten, kwekers en koeriers die het mogelijk maakten.")
K("", "p", "x", "@pakketmoe", "en",
  "My parcel guy threw my box over the fence AGAIN. Luckily no porcelain in it this time.")
K("", "p", "x", "@legal_eagle_jk", "en",
  "Flowers are the only thing that got me out of a lawsuit-level fight with my sister after I forgot her birthday 😂 Herfstgloed saved my life")
K("", "c", "x", "@petalora_hulp", "nl",
  "@noor_v Wat vervelend om te lezen! Stuur je ordernummer even via DM, dan zoeken we het meteen voor je uit.", kind="reply")
K("", "e", "linkedin", "bas-hoekstra-ops", "nl",
  "Eerste week in ons nieuwe distributiecentrum in Bleiswijk, zoals vorige maand aangekondigd. Wat een licht en ruimte!")
K("", "p", "tiktok", "@plantsnob", "en",
  "got my Strelitzia 180 for €149 and it's absolutely massive + healthy. 10/10 packaging too #planttok",
  price=("Strelitzia 180", 149.00))
K("", "p", "x", "@joost_f", "nl",
  "Hoe reset ik m'n wachtwoord in de Petalora app? Kan de optie nergens vinden, iemand een idee?")
K("", "c", "instagram", "@petalora.bloemen", "nl",
  "Wij vragen je nooit om je wachtwoord, pincode of inlogcode via DM, sms of telefoon. Twijfel je? Bel ons op 030 760 4410.")
K("", "p", "x", "@amira_k", "en",
  "that Pioenpracht bouquet was an absolute bomb of colour 💣🌸")
K("", "p", "bluesky", "@ruth-reads.bsky.social", "en",
  "this bouquet slaps. petalora you've outdone yourselves 🔥")
K("", "p", "instagram", "@lotte_en_luuk", "nl",
  "WIN een Pioenpracht boeket van @petalora.bloemen! Tag 3 vrienden en volg ons 💐 Winnaar bekend op vrijdag.")
K("", "e", "x", "@naomi_dev_pt", "en",
  "writing a blog post on connection strings. example: postgres://user:****@localhost:5432/demo. never commit the real one.",
  allow_secretlike=True)
K("", "p", "x", "@sophie_wil", "nl",
  "Bezorger Ahmed was zó vriendelijk vandaag, hij bleef wachten tot m'n oma bij de deur was. Geef die man opslag @petalora_nl")
K("", "p", "x", "@redactie_groenvak", "nl",
  "Persvragen over de nieuwe hub in Bleiswijk kunnen naar pers@petalora.nl, laat Petalora weten in een persbericht.")
K("", "p", "forum", "groene_vingers58", "nl",
  "Mooie varenblad-print op de nieuwe vazen van Petalora, past perfect bij m'n echte varens haha")
K("", "p", "x", "@fd_watcher", "nl",
  "Q4-cijfers Petalora beter dan verwacht, omzet +19%. De aandeelhouders zijn blij, zo te lezen.",
  at="2027-02-26T08:10:00Z")
K("", "p", "x", "@sarah_mcd", "en",
  "Sale at Petalora: Monstera XL 15% off, €67.96. Ordered before my partner could stop me 🌿",
  price=("Monstera XL", 67.96))
K("", "p", "x", "@bram_t", "nl",
  "Nordmann 175 voor €69,95 bij Petalora, bezorgd en wel. Scheelt me weer sjouwen 🎄",
  price=("Nordmann 175", 69.95), at="2026-12-05T13:20:00Z")
K("", "c", "tiktok", "@petalora", "nl",
  "POV: je bindt 400 boeketten op Valentijnsdag 🌹😅 #achterdeschermen", at="2026-02-14T18:00:00Z")
K("", "p", "reddit", "u/quietcourier", "en",
  "Anyone else delivering for a florist on e-bikes? The hills in Limburg are no joke but honestly I love this job.")
K("", "e", "linkedin", "priya-raghunathan", "en",
  "We're presenting our published sustainability report at the Greentech fair next week. Come say hi at stand B12!")
K("", "p", "x", "@tom_ams", "en",
  "Shoutout to @petalora_hulp: order was running late, they called before I even noticed and refunded the delivery fee. Handled like pros.")
K("", "p", "instagram", "@kim_bloemt", "nl",
  "Brunchbox voor m'n zus d'r verjaardag: €59,95 en echt alles was vers. Croissants nog lauwwarm 😄",
  price=("Brunchbox", 59.95))
K("", "p", "x", "@vincent_p", "en",
  "app's working again 👍 there was an outage yesterday but it's properly explained on status.petalora.nl, appreciate that")
K("", "p", "linkedin", "meike-jansen-hr", "nl",
  "Goed nieuws uit onze sector: de bloemenveiling meldt een recordomzet dit voorjaar. Mooi om te zien na een paar zware jaren.")
K("", "p", "x", "@hanna_b", "en",
  "Hope the courier who biked my flowers over in yesterday's downpour is somewhere warm and dry now ☔ thank you!")

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in {a.lower() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


def rand_time_2026():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 355 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
used_ids = set()


def make_id(platform):
    while True:
        if platform == "x":
            pid = str(rng.randrange(1_850_000_000_000_000_000, 1_990_000_000_000_000_000))
        elif platform == "linkedin":
            pid = "urn:li:activity:" + str(rng.randrange(7_100_000_000_000_000_000, 7_400_000_000_000_000_000))
        elif platform == "facebook":
            pid = "fb_" + str(rng.randrange(10**15, 10**16)) + "_" + str(rng.randrange(10**14, 10**15))
        elif platform == "instagram":
            pid = "ig_" + rs(B64URL, 11)
        elif platform == "tiktok":
            pid = "tt_" + str(rng.randrange(7_300_000_000_000_000_000, 7_500_000_000_000_000_000))
        elif platform == "reddit":
            pid = "t3_" + rs(B36, 7)
        elif platform == "mastodon":
            pid = "mstdn_" + str(rng.randrange(113_000_000_000_000_000, 116_000_000_000_000_000))
        elif platform == "bluesky":
            pid = "bsky_3l" + rs(B36, 11)
        else:
            pid = f"{platform}-" + str(rng.randrange(100000, 999999))
        if pid not in used_ids:
            used_ids.add(pid)
            return pid


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid}"
    if platform == "reddit":
        return f"https://www.reddit.com/r/thenetherlands/comments/{pid[3:]}/"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid[3:]}/"
    return None


# ---------------------------------------------------------------------------
# Checks: identifiers
# ---------------------------------------------------------------------------
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CYR = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
                     "і": "i", "ј": "j", "ѕ": "s", "А": "A", "В": "B", "Е": "E", "К": "K",
                     "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I"})
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def norm(text, deep=False):
    t = unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR)
    if deep:
        t = t.translate(LEET)
        t = re.sub(r"(?<=\w)[.\-](?=\w)", "", t)
    return t


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    tot = 0
    for i, x in enumerate(d):
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
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0 and any(d)


RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
RE_BSN = re.compile(r"(?<![\d.])\d{9}(?![\d])|(?<![\d])\d{4}\.\d{2}\.\d{3}(?![\d])")

PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def id_candidates(text):
    t = norm(text)
    out = []
    for m in RE_IBAN.finditer(t):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in RE_CARD.finditer(t):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and not digits.startswith("0031"):  # 0031 6 ... is a phone
            out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in RE_BSN.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def has_checked_id(text):
    for kind, val, ok in id_candidates(text):
        if kind == "iban" and re.sub(r"\s", "", val).upper() in PUBLIC_IBANS:
            continue
        if ok:
            return True
    return False


# ---------------------------------------------------------------------------
# Checks: secrets, internal terms, prices
# ---------------------------------------------------------------------------
SECRET_RES = [
    re.compile(r"\bAKIA[A-Z0-9]{16}\b"),
    re.compile(r"aws_secret_access_key\s*=\s*[A-Za-z0-9/+]{40}"),
    re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{24,}"),
    re.compile(r"\bxox[bpas]-\d+-\d+-[A-Za-z0-9]+"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_\-]{40,}"),
    re.compile(r"\bsk-ant-api03-[A-Za-z0-9_\-]{80,}"),
    re.compile(r"\bAIza[A-Za-z0-9_\-]{35}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@]+@[\w.\-]+"),
    re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pw)\s*[:=]\s*\S{4,}"),
]


def secret_hits(text):
    t = norm(text)
    return [r.pattern for r in SECRET_RES if r.search(t)]


def internal_terms():
    out = []
    for k in ("domains", "codenames", "markers"):
        out += PROFILE["internal"][k]
    return [t.lower() for t in out]


def embargo_hits(text, created_at):
    t = norm(text).lower()
    when = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    hits = []
    for e in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(str(e["until"]).replace("Z", "+00:00"))
        for term in e["terms"]:
            if term.lower() in t and when < until:
                hits.append(term)
    return hits


def internal_hits(text, deep=False):
    t = norm(text, deep=deep).lower()
    return [term for term in internal_terms() if term in t]


PRODUCTS = {}
for p in PROFILE["products"]:
    for a in [p["name"]] + list(p.get("aliases", [])):
        PRODUCTS[a.lower()] = p


def parse_eur(s):
    return float(s.replace(".", "").replace(",", ".")) if "," in s else float(s)


# ---------------------------------------------------------------------------
# Severity (CONTRACT §4), computed from the role in the profile
# ---------------------------------------------------------------------------
def severity(categories, role, text):
    best = 0
    insider = role in ("corporate", "employee")
    for c in categories:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and has_checked_id(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


# ---------------------------------------------------------------------------
# Generate
# ---------------------------------------------------------------------------
def build():
    rows = []
    for c in CASES:
        cats = sorted({CAT[x] for x in c["cats"].split("+")}) if c["cats"] else []
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        created = c["at"] or rand_time_2026()
        pid = make_id(c["platform"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
        }
        u = url_for(c["platform"], c["handle"], pid)
        if u:
            post["url"] = u
        rows.append(({"post": post, "expect": {"categories": cats,
                                                "severity": severity(cats, role, text)}}, c, role))
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [rows[i] for i in order]


ROWS = build()
OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
    for case, _, _ in ROWS:
        fh.write(json.dumps(case, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# Self-check (re-reads the written file)
# ---------------------------------------------------------------------------
errors = []


def err(i, msg):
    errors.append(f"line {i + 1}: {msg}")


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
VALID_CATS = set(CAT.values())
ROLE_CHAR = {"c": "corporate", "e": "employee", "p": "public"}

with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().split("\n")
assert lines[-1] == "", "file must end with a newline"
lines = lines[:-1]

ids = set()
texts = set()
stats = {"benign": 0, "cats": {}, "lang": {}, "role": {}, "leak_by_role": {}}
for i, (line, (_, src, role)) in enumerate(zip(lines, ROWS)):
    try:
        obj = json.loads(line)
    except ValueError as e:
        err(i, f"invalid JSON: {e}")
        continue
    if set(obj) != {"post", "expect"}:
        err(i, "top-level keys must be post and expect")
    post, exp = obj["post"], obj["expect"]
    # --- CONTRACT §1 input shape
    if not isinstance(post.get("id"), str) or not (1 <= len(post["id"]) <= 256):
        err(i, "bad id")
    if post["id"] in ids:
        err(i, f"duplicate id {post['id']}")
    ids.add(post["id"])
    if post.get("platform") not in PLATFORMS:
        err(i, "bad platform")
    if post.get("kind", "post") not in KINDS:
        err(i, "bad kind")
    acc = post.get("account")
    if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
        err(i, "bad account.handle")
    if not isinstance(post.get("text"), str) or not post["text"].strip():
        err(i, "bad text")
    elif len(post["text"].encode("utf-8")) > 64 * 1024:
        err(i, "text too large")
    if post["text"] in texts:
        err(i, "duplicate text")
    texts.add(post["text"])
    if not isinstance(post.get("created_at"), str) or not RFC3339.match(post["created_at"]):
        err(i, "created_at not RFC 3339")
    else:
        when = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= when < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            err(i, "created_at outside 2026 / early 2027")
        if when.year == 2027 and not src["at"]:
            err(i, "2027 dates only where set on purpose")
    # --- CONTRACT §6 expect shape
    cats = exp.get("categories")
    if not isinstance(cats, list) or any(c not in VALID_CATS for c in cats):
        err(i, f"bad categories {cats}")
        continue
    if cats != sorted(set(cats)):
        err(i, "categories must be distinct and sorted")
    if "reputation.spike" in cats:
        err(i, "spike is never a per-post category")
    if exp.get("severity") not in SEV:
        err(i, "bad severity")
    # --- role from the profile
    prof_role = role_of(post["platform"], acc["handle"])
    if prof_role != ROLE_CHAR[src["role"]]:
        err(i, f"role mismatch: written as {src['role']}, profile says {prof_role}")
    # --- severity from the policy
    want = severity(cats, prof_role, post["text"])
    if exp["severity"] != want:
        err(i, f"severity {exp['severity']} != policy {want}")
    if not cats and exp["severity"] != "none":
        err(i, "benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        err(i, "positive must be at least warning")
    # --- identifiers: positives valid, negatives invalid
    cands = id_candidates(post["text"])
    for kind, val, ok in cands:
        is_public = kind == "iban" and re.sub(r"\s", "", val).upper() in PUBLIC_IBANS
        if cats and not ok:
            err(i, f"positive carries a {kind} that fails its checksum: {val}")
        if not cats and ok and not is_public:
            err(i, f"benign carries a {kind} that passes its checksum: {val}")
    if src["meta"].get("ids"):
        if "leak.pii" not in cats or not has_checked_id(post["text"]):
            err(i, "declared a checked identifier but none validates")
    if "leak.pii" in cats:
        t = norm(post["text"])
        pii_signals = [
            re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", t) and not any(
                e in t for e in PROFILE["public_identifiers"]["emails"]),
            re.search(r"(?:\+31|0031|\b0)[\s-]?6[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}|\b06-\d{8}\b", t),
            has_checked_id(post["text"]),
            re.search(r"\b\d{4}\s?[A-Z]{2}\b|[A-Z][a-z]+(?:gracht|laan|straat|dijk|weg|plein)\s\d+", t),
            re.search(r"geb\.|geboortedatum|born|DOB", t, re.I),
        ]
        if not any(pii_signals):
            err(i, "pii case without a recognisable personal identifier")
    # --- secrets
    hits = secret_hits(post["text"])
    if "leak.secret" in cats and not hits:
        err(i, "secret case without a credential")
    if not cats and hits and not src["meta"].get("allow_secretlike"):
        err(i, f"benign case looks like a credential: {hits}")
    if "leak.secret" not in cats and cats and hits:
        err(i, f"credential in a case not labelled leak.secret: {hits}")
    # --- confidential terms and embargo
    deep = src["meta"].get("evasion") in ("leet", "dotted")
    ih = internal_hits(post["text"], deep=deep)
    eh = embargo_hits(post["text"], post["created_at"])
    if "leak.confidential" in cats and not (ih or eh):
        err(i, "confidential case without internal term or live embargo term")
    if "leak.confidential" not in cats and (ih or eh):
        if cats or not src["meta"].get("allow_internal"):
            err(i, f"internal/embargo term in a case not labelled confidential: {ih + eh}")
    # --- pricing
    pr = src["meta"].get("price")
    ratio_limit = PROFILE["pricing"]["alert_below_ratio"]
    if "leak.pricing" in cats and not pr:
        err(i, "pricing case without a declared product price")
    if pr:
        alias, amount = pr
        prod = PRODUCTS.get(alias.lower())
        if prod is None:
            err(i, f"price refers to unknown product {alias}")
        else:
            if alias.lower() not in norm(post["text"]).lower():
                err(i, f"product alias {alias} not in text")
            amounts = [parse_eur(a) for a in re.findall(r"€\s?(\d+(?:[.,]\d{1,2})?)", post["text"])]
            if not any(abs(a - amount) < 0.005 for a in amounts):
                err(i, f"declared price {amount} not in text")
            ratio = amount / prod["list_price"]
            if "leak.pricing" in cats and not ratio < ratio_limit:
                err(i, f"pricing case ratio {ratio:.2f} not below {ratio_limit}")
            if "leak.pricing" not in cats and ratio < 0.65:
                err(i, f"non-pricing case shows a deep price ratio {ratio:.2f}")
    # --- evasion cases really evade
    ev = src["meta"].get("evasion")
    if ev == "fullwidth" and not re.search("[\uff01-\uff5e]", post["text"]):
        err(i, "fullwidth evasion without fullwidth letters")
    if ev == "zero-width" and not re.search("[\u200b\u200c\u200d\u2060]", post["text"]):
        err(i, "zero-width evasion without zero-width characters")
    if ev == "cyrillic" and not re.search("[\u0400-\u04ff]", post["text"]):
        err(i, "cyrillic evasion without cyrillic letters")
    # --- public handles must not be in the profile
    if src["role"] == "p" and prof_role != "public":
        err(i, "public handle collides with profile")
    # --- stats
    if not cats:
        stats["benign"] += 1
    for c in cats:
        stats["cats"][c] = stats["cats"].get(c, 0) + 1
        if c.startswith("leak."):
            stats["leak_by_role"][prof_role] = stats["leak_by_role"].get(prof_role, 0) + 1
    stats["lang"][post["lang"]] = stats["lang"].get(post["lang"], 0) + 1
    stats["role"][prof_role] = stats["role"].get(prof_role, 0) + 1

# --- profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append(f"profile IBAN fails mod-97: {ib}")
for e in PROFILE["embargo"]:
    if not str(e["until"]).startswith("2027"):
        errors.append("embargo until must be in 2027")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("alert_below_ratio must be 0.5")
if not (15 <= len(PROFILE["products"]) <= 25):
    errors.append("need 15-25 products")
if any(p.get("currency") != "EUR" for p in PROFILE["products"]):
    errors.append("currency must be EUR")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("need 6+ corporate and 8+ employee accounts")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("need 3 codenames and 3 markers")

# --- mix
n = len(lines)
if not (170 <= n <= 180):
    errors.append(f"case count {n} outside 170-180")
if not (55 <= stats["benign"] <= 65):
    errors.append(f"benign count {stats['benign']} not about 60")
nl_share = stats["lang"].get("nl", 0) / n
if not (0.48 <= nl_share <= 0.62):
    errors.append(f"Dutch share {nl_share:.2f} not about 55%")
MIN = {"reputation.complaint": 17, "leak.confidential": 16, "leak.pii": 13, "reputation.crisis": 13,
       "leak.security": 11, "leak.secret": 10, "reputation.abuse": 10, "leak.pricing": 10,
       "leak.financial": 10}
for c, m in MIN.items():
    if stats["cats"].get(c, 0) < m:
        errors.append(f"too few {c}: {stats['cats'].get(c, 0)}")
insider_leaks = stats["leak_by_role"].get("corporate", 0) + stats["leak_by_role"].get("employee", 0)
if insider_leaks <= stats["leak_by_role"].get("public", 0):
    errors.append("leaks should come mostly from corporate and employee accounts")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

print(f"wrote {OUT}: {n} cases, {stats['benign']} benign, {n - stats['benign']} positive")
print("categories:", json.dumps(dict(sorted(stats["cats"].items()))))
print("languages:", json.dumps(stats["lang"]), f"(nl {nl_share:.0%})")
print("roles:", json.dumps(stats["role"]), "leaks by role:", json.dumps(stats["leak_by_role"]))
print("self-check passed")
