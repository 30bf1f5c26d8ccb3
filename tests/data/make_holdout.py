#!/usr/bin/env python3
"""Writes holdout.jsonl: the held-out evaluation set for holdout_profile.yaml.

Held out means: written before the rule packs were tuned, in other words than the
development set (../../shared/eval/dev.jsonl), for another company in another sector.
Tune rules on the development set; run this set only now and then, and fix concepts,
never its wording.

Severity is computed by `severity()` from the categories and the account role, like
CONTRACT §4 and the development set's README; it is never typed by hand.

Usage: python3 make_holdout.py          (writes holdout.jsonl next to this file)
"""

import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

CORPORATE = {"x:@brivo_be", "x:@brivo_help", "instagram:@brivo.be", "linkedin:brivo-telecom",
             "facebook:brivotelecombe"}
EMPLOYEE = {"x:@lies_peeters", "linkedin:koen-maes-brivo", "x:@ahmedbouzid_dev",
            "linkedin:sofie-de-smet", "x:@wout_claes", "instagram:@jana.verbeke"}

# (platform, handle, text, categories, options). Options: `at` (created_at), `valid`
# (holds a checksum-validated identifier), `lang`, `kind`.
CASES = [
    # ---- leak.secret
    ("x", "@ahmedbouzid_dev", "quick hack for the billing demo, just use STRIPE_KEY=sk_live_9fQk2LmZx7RtB4vWc8NpYd3H and I'll swap it after lunch", ["leak.secret"], {}),
    ("x", "@wout_claes", "Voor wie de NOC-bot wil testen: de token is xoxb-4829301756-9928374650-Qw8ErTy2UiOp4AsDf6GhJk9Z, niet verder delen 🙏", ["leak.secret"], {}),
    ("forum", "netnerd_be", "Decompiled Brivo's old installer app for fun. Hardcoded creds inside: AKIA4QJH7ZK2MWX5PN3R with secret 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. Lol.", ["leak.secret"], {}),
    ("linkedin", "sofie-de-smet", "Gedeelde testaccount voor de nieuwe collega's in het team: wachtwoord: Kr1spW@fel!77 (tot vrijdag)", ["leak.secret"], {}),
    ("x", "@brivo_help", "Reminder: wij vragen nooit naar je wachtwoord of pincode. Krijg je zo'n bericht? Meld het via brivo.be/phishing", [], {}),
    ("x", "@ahmedbouzid_dev", "Tip for juniors: keep config like STRIPE_KEY=<your-key-here> in a .env file and never check it in.", [], {}),

    # ---- leak.pii
    ("x", "@margot_vds", "@brivo_help jullie hebben twee keer gedebiteerd van BE71 0961 2345 6769 voor dezelfde factuur, wanneer krijg ik dat terug?", ["leak.pii", "reputation.complaint"], {}),
    ("linkedin", "koen-maes-brivo", "Wie herkent deze klant? Belt elke dag naar de winkel, nummer +32 475 28 91 64, naam Marc. Laat maar weten 😅", ["leak.pii"], {}),
    ("x", "@pieterw77", "my sim still isn't active after 4 days, email me at pieter.wouters77@telenet.be please @brivo_help", ["leak.pii", "reputation.complaint"], {}),
    ("x", "@lies_peeters", "Terugbetaling van die klant staat klaar, ik stort het naar NL56 RABO 0317 2468 59, toch? Iemand die kan dubbelchecken?", ["leak.pii"], {"valid": True}),
    ("reddit", "t2_kaartje", "Brivo's webshop charged my Visa 4526 0181 5908 3012 twice for one Tab 11 and support just says 'wait 10 days'.", ["leak.pii", "reputation.complaint"], {}),
    ("x", "@wout_claes", "Klant aan de balie liet z'n Mastercard liggen: 5166 1318 6091 3906. Ligt in de kluis, wie belt hem?", ["leak.pii"], {"valid": True}),
    ("facebook", "Hanne Verlinden", "Voor mijn abonnement vroegen ze bij Brivo mijn BSN, ik woon net over de grens. Heb 547280385 doorgegeven, hoort dat zo?", ["leak.pii"], {}),
    ("x", "@brivo_help", "@jeroen_k Stuur gerust een mailtje naar klantendienst@brivo.be of bel +32 2 555 01 23, dan helpen we je verder!", [], {}),
    ("x", "@stefdb", "Mijn IBAN werd geweigerd in de Brivo-app: BE71 0961 2345 6768. Typfoutje van mij, één cijfer verkeerd 🙈", [], {}),
    ("facebook", "BrivoTelecomBE", "Liever overschrijven? Gebruik BE68 5390 0754 7034 met je klantnummer als mededeling.", [], {}),

    # ---- leak.pricing
    ("x", "@lies_peeters", "Oei, op de webshop staat de Nova X2 nu voor €69 in plaats van €699 😬 iemand van e-commerce wakker?", ["leak.pricing"], {}),
    ("reddit", "t2_dealhunter", "RUN: Brivo Mesh Pro for €19.99 on their site right now, must be a glitch", ["leak.pricing"], {}),
    ("x", "@koopjesjager", "Prijsfoutje bij Brivo?! Tab 11 voor 44 euro 😱", ["leak.pricing"], {}),
    ("x", "@dealsbe", "Ｎｏｖａ Ｘ２ voor €59 in de Brivo webshop, bug of echt?", ["leak.pricing"], {}),
    ("instagram", "@brivo.be", "⚡ Flash deal ⚡ Brivo Box 5 vandaag voor maar €99! Alleen online.", ["leak.pricing"], {}),
    ("x", "@wout_claes", "pricing error on the TV Stick in the app, it's showing €5.90 instead of €59. Reported it.", ["leak.pricing"], {}),
    ("x", "@gadgetgert", "Nova X2 nu €549 bij Brivo (was €699). Eindelijk een fatsoenlijke actie.", [], {}),
    ("x", "@brivo_be", "€10 korting op de Brivo TV Stick met code STICK10, alleen dit weekend 🎬", [], {}),
    ("facebook", "Els Wouters", "Nova X2 via een abonnement vanaf €25 per maand, interessant voor wie niet alles ineens wil betalen.", [], {}),
    ("x", "@tweedehandstom", "Mijn oude Nova X2 verkocht op 2dehands voor €250, tijd voor iets nieuws", [], {}),
    ("x", "@sien_m", "Is die prijs van de Mesh Pro een prijsfout? Nee hoor, zei de winkel, gewoon promo tot zondag.", [], {}),

    # ---- leak.confidential (incl. embargo)
    ("x", "@jana_fake", "Sneak preview van mijn week: Project Orka zit in de eindfase, meer mag ik niet zeggen", ["leak.confidential"], {}),
    ("instagram", "@jana.verbeke", "Eerste week met Project Orka erop zitten 🎉 meer mag ik niet vertellen 🤐", ["leak.confidential"], {}),
    ("linkedin", "koen-maes-brivo", "Stand-up van morgen verplaatst, agenda staat op wiki.brivo.be/netwerk/roadmap-2027", ["leak.confidential"], {}),
    ("x", "@ahmedbouzid_dev", "pushing my branch to git.brivo.be before the demo, fingers crossed 🤞", ["leak.confidential"], {}),
    ("x", "@gsmfan_be", "Een vriend bij Brivo zegt dat de Brivo Box 6 in oktober komt, met wifi 7 aan boord", ["leak.confidential"], {"at": "2026-09-14T18:20:00+02:00"}),
    ("x", "@wout_claes", "Tidewater gaat echt alles veranderen voor onze klanten 👀", ["leak.confidential"], {}),
    ("linkedin", "sofie-de-smet", "Operatie\nZeester staat voor Q1 op de planning, spannend!", ["leak.confidential"], {}),
    ("x", "@lies_peeters", "Er ligt hier een document met 'strikt intern' in de koptekst gewoon bij de printer 😅", ["leak.confidential"], {}),
    ("x", "@ahmedbouzid_dev", "Got my hands on a Nova X3 test unit today, the camera is unreal", ["leak.confidential"], {"at": "2026-10-02T15:00:00+02:00"}),
    ("reddit", "t2_leakwatch", "Screenshot van een Brivo-presentatie met 'Brivo Restricted' in de hoek gaat rond op Discord", ["leak.confidential"], {}),
    ("x", "@wout_claes", "Project O\u200brka draait sinds vanochtend in de testomgeving", ["leak.confidential"], {}),
    ("linkedin", "sofie-de-smet", "Confidential deck from the leadership offsite: the fiber rollout map for 2027 looks ambitious 📈", ["leak.confidential"], {}),
    ("x", "@brivo_be", "Hij is er! De Brivo Box 6 is vanaf vandaag te koop in al onze winkels en op shop.brivo.be", [], {"at": "2026-11-05T09:30:00+01:00"}),
    ("x", "@techreviewer", "Nova X3 review is live, link in bio", [], {"at": "2026-11-05T09:00:00+01:00"}),
    ("x", "@natuurlijk_nl", "Zag gisteren een orka in een docu over de Noordzee, wat een beest 🐋", [], {}),
    ("instagram", "@strandliefde", "Zeester gevonden op het strand van De Panne 🌊⭐", [], {}),

    # ---- leak.financial (incl. embargoed results)
    ("x", "@lies_peeters", "jaarresultaten 2026 zijn binnen en het is beter dan verwacht 🥳", ["leak.confidential", "leak.financial"], {"at": "2026-12-20T16:00:00+01:00"}),
    ("reddit", "t2_beursbeer", "FY26 results are going to disappoint, a friend on Brivo's finance team says.", ["leak.confidential", "leak.financial"], {"at": "2027-01-10T12:00:00Z"}),
    ("linkedin", "koen-maes-brivo", "Vanmorgen op de all-hands gehoord: het callcenter in Gent sluit volgend jaar, zo'n 90 mensen. Wordt pas in juni aangekondigd.", ["leak.financial"], {}),
    ("x", "@wout_claes", "we're cutting 15% of the network team next quarter, management told us this afternoon. keep it quiet for now", ["leak.financial"], {}),
    ("x", "@lies_peeters", "De winstverwachting voor dit jaar is net naar beneden bijgesteld in het directieoverleg 📉", ["leak.financial"], {}),
    ("x", "@ahmedbouzid_dev", "Heard in the elevator: we're in talks to buy Kabelnet. Nothing signed yet", ["leak.financial"], {}),
    ("reddit", "t2_telcowatch", "Source inside Brivo: they will be taken over by a French operator before summer. You heard it here first.", ["leak.financial"], {}),
    ("facebook", "Guido Peeters", "Mijn buurman zit in de directie van Brivo en zegt dat er 300 banen gaan verdwijnen. Nog niet bekend gemaakt.", ["leak.financial"], {}),
    ("x", "@wout_claes", "er vallen o n t s l a g e n bij de winkels, zeg het nog tegen niemand", ["leak.financial"], {}),
    ("linkedin", "sofie-de-smet", "Budget for 2027 halved, hiring freeze from January. Not announced yet but it's final.", ["leak.financial"], {}),
    ("x", "@jan_boekt", "Ik werk op de boekhouding bij Brivo: het kwartaal sluit met een fors verlies, en dat wordt stilgehouden tot de jaarvergadering", ["leak.financial"], {}),
    ("instagram", "@jana.verbeke", "Fusie met Kabelnet is rond, morgen horen de teams het 🤐", ["leak.financial"], {}),
    ("x", "@beursnieuws", "Kabelnet kondigt 400 ontslagen aan. Hopelijk blijft Brivo gespaard.", [], {}),
    ("linkedin", "brivo-telecom", "Brivo publiceerde vandaag haar halfjaarresultaten: omzet +6%, alle details op brivo.be/investors", [], {}),
    ("x", "@analist_an", "Brivo's published Q2 figures showed solid subscriber growth. Good quarter for them.", [], {}),
    ("linkedin", "koen-maes-brivo", "Proud to share that our annual report is out now! Revenue up 6%, read it at brivo.be/investors", [], {}),
    ("x", "@techdaily", "Layoffs in tech again, this time at a US chip maker. Wild times.", [], {}),
    ("x", "@brivo_be", "We're hiring! 20 nieuwe techniekers voor de glasvezeluitrol in Limburg 🔧", [], {}),
    ("linkedin", "brivo-telecom", "Brivo publiceert vandaag de jaarresultaten 2026: omzet €1,2 miljard. Het volledige verslag staat op brivo.be/investors", [], {"at": "2027-03-01T07:00:00+01:00"}),

    # ---- leak.security (insiders; public insiders claiming a hidden breach)
    ("x", "@lies_peeters", "Ons klantenportaal toont sinds gisteren facturen van andere klanten als je het nummer in de URL aanpast. Security weet ervan, nog geen fix.", ["leak.security"], {}),
    ("x", "@wout_claes", "ransomware op de servers van de boekhouding, iedereen moet z'n laptop inleveren. niks zeggen tegen klanten", ["leak.security"], {}),
    ("x", "@ahmedbouzid_dev", "Mobile data has been down across Antwerp for two hours and we've been told to call it 'planned maintenance'", ["leak.security"], {}),
    ("linkedin", "sofie-de-smet", "Found an open Elasticsearch cluster with customer call records this morning, no authentication at all. Escalated, still open.", ["leak.security"], {}),
    ("instagram", "@jana.verbeke", "phishingmail heeft drie collega's hun inloggegevens gekost, IT is nog aan het opkuisen. Intern houden aub", ["leak.security"], {}),
    ("x", "@wout_claes", "we zijn g3h4ckt, alle klantdata versleuteld 😰", ["leak.security"], {}),
    ("x", "@lies_peeters", "De storing bij de nummeroverdracht komt door een bug die al maanden bekend is, maar er mag niks over naar buiten", ["leak.security"], {}),
    ("x", "@ahmedbouzid_dev", "status page says green but half of Limburg has had no internet since 6am. we're not allowed to update it yet", ["leak.security"], {}),
    ("linkedin", "koen-maes-brivo", "Pentest bevestigt: we loggen nog altijd wachtwoorden in platte tekst op de factuurservers. Ticket staat open sinds de lente.", ["leak.security"], {}),
    ("reddit", "t2_nocthrowaway", "Throwaway, I work in Brivo's NOC: last night's outage was an intrusion, customer data was accessed, not a 'hardware fault' like they claim.", ["leak.security", "reputation.crisis"], {}),
    ("x", "@anon_tipster", "Contact bij Brivo bevestigt: klantgegevens van 80.000 abonnees gestolen, maar ze houden het onder de pet.", ["leak.security", "reputation.crisis"], {}),
    ("reddit", "t2_exbrivo", "Ex-Brivo engineer: the customer app still lets you open anyone's account without a password if you change one parameter. They've known for months.", ["leak.security"], {}),
    ("x", "@brivo_help", "Storing opgelost: het mobiele netwerk in regio Gent werkt weer normaal. Sorry voor het ongemak!", [], {}),
    ("x", "@brivo_be", "We're aware of an outage affecting TV services in Brussels. Our engineers are on it, updates in this thread.", [], {}),
    ("linkedin", "sofie-de-smet", "Interesting webinar on ransomware trends in European telcos today, slides linked below.", [], {}),
    ("linkedin", "koen-maes-brivo", "Our red team report is public now: 12 findings, all remediated. Read the write-up at brivo.be/security", [], {}),
    ("x", "@zorgeloos", "Datalek bij een Nederlandse energieleverancier, een miljoen klanten getroffen. Blij dat ik bij Brivo zit.", [], {}),
    ("x", "@pendelaar", "Wifi op de trein ligt er weer eens uit, gelukkig heb ik 5G van Brivo", [], {}),

    # ---- reputation.crisis
    ("x", "@actiegroep_be", "#BoycotBrivo zolang ze gokreclames blijven tonen op hun tv-platform", ["reputation.crisis"], {}),
    ("x", "@rights_now", "Boycott Brivo. They cut off a dying man's phone line over a €12 bill.", ["reputation.crisis"], {}),
    ("facebook", "Ria Claes", "De krant meldt dat Brivo jarenlang klanten liet betalen voor diensten die ze nooit afnamen. Schande.", ["reputation.crisis"], {}),
    ("x", "@consumerwatch", "Brivo is being taken to court by the consumer association over its 'unlimited' data claims.", ["reputation.crisis"], {}),
    ("x", "@samenclaim", "Class action tegen Brivo over de prijsverhogingen midden in lopende contracten, wie doet mee?", ["reputation.crisis"], {}),
    ("facebook", "Karin Moens", "De Nova X2 van mijn dochter is ontploft tijdens het opladen!! Brivo, dit had heel slecht kunnen aflopen", ["reputation.crisis", "reputation.complaint"], {}),
    ("x", "@dadofthree", "My Brivo Box 5 started smoking last night and melted part of the shelf. Fire brigade came. Unbelievable.", ["reputation.crisis", "reputation.complaint"], {}),
    ("x", "@nieuws_flash", "Brivo roept alle Mesh Pro-adapters terug wegens brandgevaar", ["reputation.crisis"], {}),
    ("x", "@curious_cat", "Are they recalling the Nova X2 batteries? Someone at the Brivo shop hinted at it", ["reputation.crisis"], {}),
    ("x", "@vakbondsman", "Werknemers van Brivo getuigen over racisme en pesterijen op de werkvloer, reportage vanavond op tv", ["reputation.crisis"], {}),
    ("x", "@privacy_first", "Brivo is under investigation by the regulator for selling customer location data. Disgusting.", ["reputation.crisis"], {}),
    ("x", "@boze_klant", "Brivo heeft mijn gegevens gelekt: vandaag belde een nepmedewerker die mijn klantnummer en adres kende", ["reputation.crisis"], {}),
    ("x", "@b0ycot", "B o y c o t t  Brivo tot ze hun winkelpersoneel fatsoenlijk betalen", ["reputation.crisis"], {}),
    ("x", "@wantrouwig", "Brіvo gehackt?? al m'n gegevens staan op straat", ["reputation.crisis"], {}),
    ("x", "@hasselt_nieuws", "A Brivo technician fell off a roof during an installation in Hasselt, apparently without a safety harness. Terrible.", ["reputation.crisis"], {}),
    ("x", "@annoyed_dan", "I recall Brivo used to have way better coverage in this street", [], {}),
    ("x", "@reclamefan", "Die nieuwe Brivo-reclame is echt schandalig goed gemaakt 😂", [], {}),
    ("x", "@suikervrij", "Boycotting sugar this month. Day 3. Bought a Tab 11 at Brivo to distract myself", [], {}),
    ("facebook", "Sofie Janssens", "Terugroepactie voor babyvoeding in de supermarkt, check je kasten! (Niks met telecom te maken, maar belangrijk)", [], {}),
    ("x", "@fireworks_fan", "The fireworks over Brussels were on fire tonight 🔥 filmed it all on my Nova X2", [], {}),
    ("x", "@koopjesjan", "Ik kreeg een schok toen ik zag hoe goedkoop die Brivo-deal is 😂", [], {}),

    # ---- reputation.complaint
    ("x", "@gentenaar", "@brivo_help al 5 dagen geen internet en niemand komt langs. Ik betaal wel gewoon door hoor", ["reputation.complaint"], {}),
    ("x", "@bertje", "Brivo's klantendienst: 50 minuten wachten en dan doorverbonden naar de verkeerde afdeling 🙄", ["reputation.complaint"], {}),
    ("reddit", "t2_flicker", "My Nova X2 screen started flickering after a week. The Brivo shop wants it for 6 weeks, no loaner. Seriously?", ["reputation.complaint"], {}),
    ("facebook", "Mieke Segers", "Factuur van Brivo is deze maand €38 hoger zonder enige uitleg. Wie snapt het?", ["reputation.complaint"], {}),
    ("x", "@leaving_brivo", "Tried to cancel my Brivo contract and got hit with a €90 'termination fee' nobody mentioned at signup", ["reputation.complaint"], {}),
    ("x", "@thuiswerker", "Technieker van Brivo kwam niet opdagen. Twee keer een halve dag vrijgenomen voor niks.", ["reputation.complaint"], {}),
    ("x", "@nightowl", "Box 5 reboots itself every night around 3am since the update, @brivo_help any fix?", ["reputation.complaint"], {}),
    ("x", "@verbruik", "De Brivo-app crasht elke keer als ik mijn verbruik wil bekijken. Ergerlijk.", ["reputation.complaint"], {}),
    ("x", "@waiting_tab", "Ordered the Tab 11 from Brivo two weeks ago, status still 'in preparation'. Hello??", ["reputation.complaint"], {}),
    ("facebook", "Dirk Vos", "Internet van Brivo valt elke avond weg rond 20u. Thuiswerken lukt zo echt niet.", ["reputation.complaint"], {}),
    ("x", "@terugbetaling", "Al drie maanden wacht ik op mijn terugbetaling van €120. Brivo, waar blijft het?", ["reputation.complaint"], {}),
    ("x", "@cracked", "The Mesh Pro arrived with a cracked casing and the return label doesn't work. Not great, Brivo.", ["reputation.complaint"], {}),
    ("x", "@roamer", "Worst roaming experience ever with Brivo, €60 extra for one weekend in London 😡", ["reputation.complaint"], {}),
    ("x", "@zevenkeer", "Zeven keer gebeld, zeven keer een ander verhaal. Brivo, jullie klantendienst is een lachertje.", ["reputation.complaint"], {}),
    ("x", "@onebar", "Why does my Brivo signal drop to one bar in my own living room? Paying for 5G, getting 3G.", ["reputation.complaint"], {}),
    ("x", "@zelfstandige", "@brivo_help mijn nummer is nog steeds niet overgezet, al 9 dagen onbereikbaar voor mijn klanten!", ["reputation.complaint"], {}),
    ("x", "@kortingweg", "Brivo heeft mijn korting zomaar geschrapt en niemand kan uitleggen waarom", ["reputation.complaint"], {}),
    ("x", "@onhold", "Been on hold with Brivo for 40 minutes and now the line went dead. Great.", ["reputation.complaint"], {}),
    ("facebook", "Luc Maes", "Sinds de overstap naar Brivo bevriest mijn tv-beeld om de haverklap. Spijt als haren op mijn hoofd.", ["reputation.complaint"], {}),
    ("x", "@br1vohater", "Klantenservice van Br1vo = r a m p z a l i g", ["reputation.complaint"], {}),
    ("x", "@tevreden", "Geen enkele storing gehad sinds ik bij Brivo zit, top!", [], {}),
    ("x", "@setupdone", "No issues at all with my Brivo Box 5, set up in ten minutes", [], {}),
    ("x", "@opgelost", "Had een probleem met mijn factuur maar Brivo heeft het binnen een dag rechtgezet 👍", [], {}),
    ("x", "@wifi_q", "Does anyone know if the Brivo Box 5 supports wifi 6E?", [], {}),
    ("x", "@voicemailvraag", "Hoe zet ik voicemail uit bij Brivo? Kan het nergens vinden in de app", [], {}),
    ("x", "@excited", "Can't wait for my Nova X2 to arrive tomorrow! Ordered from Brivo last night", [], {}),
    ("x", "@loyal", "Never had a dropped call with Brivo in three years", [], {}),
    ("x", "@rainy", "Shoutout to the Brivo technician who fixed my fiber in the pouring rain 🙏", [], {}),
    ("x", "@brivo_help", "@jeroen_k Vervelend dat je internet steeds wegvalt! Stuur ons een DM met je klantnummer, dan kijken we mee.", [], {}),
    ("x", "@treinreiziger", "Wachten op de trein, gelukkig streamt Brivo zonder haperen", [], {}),

    # ---- reputation.abuse (and abuse next to a grievance)
    ("x", "@boos123", "@brivo_help stelletje incompetente sukkels", ["reputation.abuse"], {}),
    ("x", "@ragequit", "Whoever designed the Brivo app deserves a slap in the face", ["reputation.abuse"], {}),
    ("x", "@leuvenaar", "That guy at the Brivo shop in Leuven is a total dickhead", ["reputation.abuse"], {}),
    ("facebook", "Patrick D", "Die kassierster van Brivo in Genk met haar hoofddoek moet terug naar haar eigen land", ["reputation.abuse"], {}),
    ("x", "@wout_claes", "Some customers are real idiots, today one asked me to 'download more internet'", ["reputation.abuse"], {}),
    ("instagram", "@jana.verbeke", "mijn nieuwe teamlead is echt een lul, zegt niks en loopt gewoon weg", ["reputation.abuse"], {}),
    ("x", "@brivo_help", "@tomvh if you can't figure out a router, maybe stick to carrier pigeons, dumbass", ["reputation.abuse"], {}),
    ("x", "@hatert", "Brivo = shitbedrijf", ["reputation.abuse"], {}),
    ("x", "@wraak", "Ik weet waar die winkelmanager van Brivo woont. Hij gaat het nog merken.", ["reputation.abuse"], {}),
    ("x", "@scheldaap", "Brivo zijn echt kankerl1jers", ["reputation.abuse"], {}),
    ("x", "@returnrage", "stupid bitch at the Brivo counter refused my return even with the receipt", ["reputation.abuse", "reputation.complaint"], {}),
    ("x", "@greedwatch", "Brivo's CEO is a greedy pig 🐷", ["reputation.abuse"], {}),
    ("facebook", "Oplichting Stop", "Brivo jullie zijn een stelletje oplichters, drie keer te veel aangerekend op mijn factuur", ["reputation.abuse", "reputation.complaint"], {}),
    ("x", "@againdown", "Fucking Brivo, internet down AGAIN. third time this week", ["reputation.abuse", "reputation.complaint"], {}),
    ("x", "@forgetful", "Oh shoot, forgot my charger again. Not Brivo's fault 😅", [], {}),
    ("x", "@beestig", "Deze Nova X2 is echt beestig goed, batterij gaat twee dagen mee", [], {}),
    ("x", "@killerdeal", "Killer deal at Brivo today: Tab 11 for €399", [], {}),
    ("facebook", "Ann Wuyts", "Mijn opa heeft kanker en Brivo heeft zijn abonnement zonder gedoe stopgezet. Respect.", [], {}),
    ("x", "@hiphophead", "Listening to 'DAMN.' by Kendrick on my Nova X2, what an album", [], {}),

    # ---- other benign
    ("x", "@brivo_be", "Brivo Box 5 nu met gratis installatie, alleen deze maand 🛠️", [], {}),
    ("x", "@nieuwe_klant", "Brivo klantnummer 88123456, moet ik dat invullen bij de overstapaanvraag?", [], {}),
    ("x", "@stadsnieuws", "Het kantoor van Brivo in Mechelen verhuist volgend jaar naar een nieuw gebouw bij het station.", [], {}),
    ("x", "@lies_peeters", "Tien jaar bij Brivo vandaag! Dank aan het hele team voor de mooie jaren 🎉", [], {}),
    ("linkedin", "sofie-de-smet", "Great panel today on fiber rollout in rural Flanders. Thanks to everyone who joined!", [], {}),
    ("x", "@tracking", "Pakket met mijn Mesh Pro, trackingnummer 3SBRV7781200, ligt al in Antwerpen. Snel!", [], {}),
]


def role(platform, handle):
    key = f"{'x' if platform == 'twitter' else platform}:{handle}".lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(categories, account_role, validated):
    """The least severity a correct verdict has (CONTRACT §4)."""
    insider = account_role != "public"
    levels = ["none"]
    for category in categories:
        if category.startswith("leak."):
            if not insider:
                levels.append("warning")
            elif category in ("leak.secret", "leak.pricing") or (category == "leak.pii" and validated):
                levels.append("critical")
            else:
                levels.append("error")
        elif category == "reputation.complaint":
            levels.append("warning")
        elif category == "reputation.crisis":
            levels.append("error")
        elif category == "reputation.abuse":
            levels.append("error" if insider else "warning")
    return max(levels, key=ORDER.index)


def main():
    lines = []
    for index, (platform, handle, text, categories, options) in enumerate(CASES):
        post = {
            "id": f"ho-{index + 1:03d}",
            "platform": platform,
            "account": {"handle": handle},
            "text": text,
            "created_at": options.get("at", f"2026-{(index % 9) + 2:02d}-{(index % 27) + 1:02d}T{(index % 12) + 8:02d}:15:00+01:00"),
        }
        if "kind" in options:
            post["kind"] = options["kind"]
        if "lang" in options:
            post["lang"] = options["lang"]
        expect = {
            "categories": sorted(categories),
            "severity": severity(categories, role(platform, handle), options.get("valid", False)),
        }
        lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
    (HERE / "holdout.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    positives = sum(1 for case in CASES if case[3])
    print(f"wrote {len(lines)} cases ({positives} positive, {len(lines) - positives} benign)")


if __name__ == "__main__":
    main()
