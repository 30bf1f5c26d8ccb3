#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed182 (Zilverkorrel B.V., photo printing).

Deterministic: fixed seed, hand-written texts. Severities are computed from the
account role found in profile.yaml (CONTRACT section 4), never typed by hand.
The script validates its own output and exits non-zero on any problem.
"""
import datetime as dt
import json
import os
import random
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 182
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CAT = {
    "cpl": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "pri": "leak.pricing", "con": "leak.confidential", "fin": "leak.financial",
    "sec": "leak.security", "sct": "leak.secret", "pii": "leak.pii",
}
ROLE = {"C": "corporate", "E": "employee", "P": "public"}
CASES = []


def c(role, platform, handle, lang, cats, text, kind="post", at=None, fakes=()):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=[CAT[x] for x in cats.split()] if cats else [],
                      text=text, kind=kind, at=at, fakes=list(fakes)))


# ---------------------------------------------------------------- complaints
c("P", "x", "@lotte_fotografeert", "nl", "cpl",
  "@zilverkorrel_help mijn fotoboek is nu 3 weken onderweg. Track & trace zegt al 9 dagen "
  "'in sorteercentrum'. Het was een cadeau voor mn oma's 90e en die was afgelopen zaterdag 😞", kind="reply")
c("P", "x", "@kaylee_builds", "en", "cpl",
  "ordered a 60x40 canvas from @zilverkorrel, arrived with the frame snapped in half and a huge "
  "crease right across my daughter's face. box looked perfect so it wasn't the courier lol")
c("P", "facebook", "Gerda.Wolters.77", "nl", "cpl",
  "Kleuren in mijn fotoboek zijn helemaal verkeerd. Alles groenig en veel te donker, terwijl het op "
  "mijn scherm er prima uitzag. €49,95 betaald voor een XL vierkant en dit is het resultaat. "
  "Zilverkorrel, wat gaan jullie hieraan doen?", kind="comment")
c("P", "instagram", "@mila.on.film", "en", "cpl",
  "the KorrelApp crashes every single time I try to upload more than 40 photos. iPhone 15, latest "
  "version. third evening wasted on this 🙃 #korrelapp")
c("P", "x", "@henk_uit_zwolle", "en", "cpl",
  "called zilverkorrel customer service 4 times now, 35+ min on hold every time and then the line "
  "just drops. amazing service 👏👏")
c("P", "reddit", "u/throwaway_prints", "en", "cpl",
  "Zilverkorrel charged me twice for the same wall calendar order. Support says the refund takes "
  "'5-10 business days'. That was 3 weeks ago. Anyone else had this? Starting to think I need to "
  "do a chargeback through my bank")
c("P", "tiktok", "@sashaxdaily", "en", "cpl",
  "pov: you pay €22.95 for a 50x70 poster and it shows up rolled so tight it won't lie flat + a "
  "fingerprint smudge in the middle. thanks zilverkorrel 🫠")
c("P", "facebook", "Monique.vanRijn", "nl", "cpl",
  "Bestelling 88314 geannuleerd zonder enige uitleg en het geld is nog steeds niet terug. Mails "
  "worden niet beantwoord. Heel teleurgesteld in Zilverkorrel, ik was altijd zo tevreden.")
c("P", "mastodon", "@ruud@mastodon.nl", "en", "cpl",
  "Small rant: the Zilverkorrel photo mug faded after like 6 washes, and the site says dishwasher "
  "safe. Gift for my dad, the picture of his dog now looks like a ghost")
c("P", "x", "@daan0513", "nl", "cpl",
  "bezorger heeft mn canvas gwn over t hek gegooid, hoek kapot. en zilverkorrel zegt 'neem contact "
  "op met de vervoerder'. ja dag, jullie hebben t verstuurd toch")
c("P", "x", "@puzzeltante", "nl", "cpl pii",
  "@zilverkorrel_help al 2x gemaild en geen reactie. Bel me aub terug op 06-41827359, ordernr "
  "ZK-2291735, fotopuzzel mist 30 stukjes", kind="reply")
c("P", "x", "@sophievd", "en", "cpl pii",
  "@zilverkorrel_help still waiting on my refund for the damaged acrylic print. my email is "
  "sophie.vandijk88@gmail.com, please actually respond this time", kind="reply")
c("P", "facebook", "Rachid.Boukhari", "nl", "cpl abu",
  "Zilverkorrel jullie zijn echt een stelletje klojo's. 3e keer dat mijn kalender verkeerd "
  "gesneden is, de helft van de maanden valt eraf. Kanker op met jullie 'kwaliteitsgarantie'",
  kind="comment")
c("P", "x", "@brideinbrabant", "en", "cpl abu",
  "my wedding album came out blurry and zilverkorrel support just told me 'the source images were "
  "low res'. they were from a PRO photographer you absolute muppets. fuck this company")
c("P", "x", "@fien_fotografeert", "nl", "cpl",
  "fotoprints 10x15 allemaal mét witte rand terwijl ik 'randloos' had aangevinkt. 100 stuks. "
  "zucht. #zilverkorrel")
c("P", "x", "@oliverjh", "en", "cpl",
  "@zilverkorrel_help your chatbot keeps sending me in a loop back to the FAQ. I need a human. "
  "Order was supposed to be here for Mother's Day.", kind="reply", at="2026-05-09T14:12:00Z")
c("P", "forum", "moeder_van_3", "nl", "cpl",
  "Ervaring met het Korrel Plus abonnement van Zilverkorrel? Ik heb in maart opgezegd en in mei "
  "hebben ze gewoon weer €49 afgeschreven. Opzeggen kan alleen via de app en die geeft steeds een "
  "foutmelding.", at="2026-05-21T20:40:00Z")
c("P", "threads", "@hannah.makes", "en", "cpl",
  "the layflat book is gorgeous BUT the spine cracked the first time my mum opened it flat. for "
  "€89.95 I expected better, zilverkorrel")
c("P", "reddit", "u/ethanbrooks_ams", "en", "cpl pii",
  "ugh, Zilverkorrel emailed my order confirmation to a stranger who forwarded it to me: 'Ethan "
  "Brooks, DOB 02/09/1988, Kerkstraat 22, 1017 GL Amsterdam'. Yes that's me. How do I get them "
  "to fix their mailing system??")

# ---------------------------------------------------------------- crisis
c("P", "x", "@nadia_k", "nl", "cri",
  "Zilverkorrel heeft een datalek!! Ik kreeg net een mail met de foto's én het adres van een "
  "andere klant. Wie heeft dit nog meer? #datalek #zilverkorrel")
c("P", "x", "@privacyfirst_eu", "en", "cri",
  "BOYCOTT Zilverkorrel. They're using customers' uploaded family photos to train their AI without "
  "asking. Read the new T&Cs, clause 7.3. Delete your account. #boycottzilverkorrel")
c("P", "facebook", "StichtingBeeldrecht", "nl", "cri",
  "Wij zijn namens ruim 200 fotografen een rechtszaak begonnen tegen Zilverkorrel B.V. Hun werk "
  "stond zonder licentie als voorbeeld in de app. Aansluiten kan via onze website.")
c("P", "reddit", "u/worriedparent_nl", "en", "cri",
  "Zilverkorrel photo mugs being recalled?? A Belgian consumer site says the October batch has "
  "too much lead in the glaze. My kids drink from these every morning")
c("P", "x", "@famvandenbroek", "nl", "cri",
  "Ons Zilverkorrel-fotokussen begon te smeulen naast de verwarming in de kinderkamer. Gelukkig "
  "niemand gewond. Dit moet gemeld worden bij de NVWA!! 😡")
c("P", "tiktok", "@itsmaaike", "en", "cri",
  "so zilverkorrel staff were apparently sharing customers' 'funny' photos in a group chat?? a "
  "former employee just posted screenshots. that's my nightmare, we upload pics of our kids there")
c("P", "x", "@consumentkritisch", "en", "cri",
  "Dutch consumer watchdog says Zilverkorrel misled shoppers with fake discounts: almost 40% of its "
  "'deals' were never actually more expensive. Shameful.")
c("P", "forum", "b1tflip", "nl", "cri",
  "Zilverkorrel staat sinds vanochtend op Have I Been Pwned. 1,2 miljoen accounts, e-mail + "
  "wachtwoord-hashes. Wijzig je wachtwoord NU, zeker als je het ergens anders hergebruikt.")
c("P", "instagram", "@fnv.drukkers", "en", "cri",
  "Calling on everyone to stop ordering from Zilverkorrel until they pay the print workers in "
  "Tilburg properly. Strike day 3 ✊ #zilverkorrelstaking")
c("P", "x", "@lenavos_", "en", "cri",
  "Zilverk\u043errel l\u0435aked my photos. my private pictures are on some random site with "
  "their watermark on them. class action anyone??")
c("P", "linkedin", "marco-de-bruin-privacy", "nl", "cri",
  "Opvallend: Zilverkorrel is door de Autoriteit Persoonsgegevens op de vingers getikt vanwege het "
  "jarenlang bewaren van foto's van opgezegde klanten. De boete zou in de miljoenen lopen.")
c("P", "x", "@fotonieuws_nl", "en", "cri",
  "Zilverkorrel is being sued by Fotostudio Lensvelt for copying their entire photo book template "
  "collection. First hearing is next month, according to the FD.")
c("P", "x", "@anke_w", "nl", "cri cpl",
  "Mijn fotoboek kwam binnen met de foto's van iemand anders erin, dus mijn eigen foto's liggen nu "
  "bij een vreemde. Dit is gewoon een datalek Zilverkorrel, ik dien een klacht in bij de AP.")
c("P", "x", "@angrypixel", "en", "cri abu",
  "zilverkorrel lost 1.2m customer records and their CEO is posting yacht pics. Boycott these "
  "greedy bastards.")

# ---------------------------------------------------------------- abuse
c("P", "x", "@boze_bert", "nl", "abu",
  "@marloes_zk jij bent echt de domste trut van de hele klantenservice, ga een ander baantje "
  "zoeken", kind="reply")
c("P", "x", "@gr1mreaper", "en", "abu",
  "zilverkorrel is run by absolute idiots. braindead company, braindead staff")
c("P", "x", "@xXdennisXx", "nl", "abu",
  "z.i.l.v.e.r.k.o.r.r.e.l = k.u.t.b.e.d.r.i.j.f. stelletje t.y.f.u.s.l.i.j.e.r.s")
c("P", "x", "@nomorememories", "en", "abu",
  "Zilverkorrel support are f4cking m0r0ns, every single one of them 🖕")
c("P", "facebook", "Hans.Dekker.1962", "nl", "abu",
  "Natuurlijk snapt die medewerker met die hoofddoek er niks van. Neem gewoon echte Nederlanders "
  "aan Zilverkorrel", kind="comment")
c("E", "x", "@dkoster_print", "nl", "abu",
  "die klant van gisteren die 4x belde over een 'scheve' canvas: wat een ongelooflijke zeikerd. "
  "sommige mensen zijn echt achterlijk")
c("C", "x", "@zilverkorrel_help", "nl", "abu",
  "@meneer_vos Misschien eerst leren lezen voordat je gaat klagen, sukkel.", kind="reply")
c("P", "x", "@void_walker", "en", "abu",
  "\uff5a\uff49\uff4c\uff56\uff45\uff52\uff4b\uff4f\uff52\uff52\uff45\uff4c \uff49\uff53 "
  "\uff47\uff41\uff52\uff42\uff41\uff47\uff45 \uff41\uff4e\uff44 \uff59\uff4f\uff55\uff52 "
  "\uff53\uff54\uff41\uff46\uff46 \uff41\uff52\uff45 \uff50\uff41\uff54\uff48\uff45\uff54"
  "\uff49\uff43 \uff4c\uff4f\uff53\uff45\uff52\uff53")
c("P", "x", "@r_t_1988", "en", "abu",
  "@marloes_zk I know where your office is in Utrecht. Just wait till I run into you after your "
  "shift", kind="reply")
c("P", "bluesky", "@mrgrumpy.bsky.social", "en", "abu",
  "@eline-zk.bsky.social your marketing posts are cringe as hell, no wonder that dump of a company "
  "is going under, you useless cow", kind="reply")

# ---------------------------------------------------------------- pricing
c("C", "x", "@zilverkorrel", "nl", "pri",
  "⚡ FLASH: Canvas 120x80 nu voor maar €13,90! Alleen vandaag via de app.")
c("E", "threads", "@sem.zilverkorrel", "nl", "pri",
  "oeps, prijsfout in de app: Layflat Fotoboek 30x30 staat op €8,99 ipv €89,95. collega's zijn "
  "ermee bezig 🙈")
c("C", "instagram", "@zilverkorrel.nl", "en", "pri",
  "Aluminium Dibond 60x90 for €11.90 😍 You'll never see this deal again. Link in bio!")
c("P", "x", "@dealjager_nl", "nl", "pri",
  "LOL fotopuzzel 1000 stukjes voor €2,79 op zilverkorrel.nl, prijsfout? snel bestellen mensen 🏃")
c("P", "reddit", "u/bargainbert", "en", "pri",
  "Zilverkorrel has the Acrylglas 50x75 listed at €10.90 right now, pretty sure it's a pricing "
  "error. Ordered 3, let's see if they honour it")
c("E", "x", "@marloes_zk", "nl", "pri",
  "Klanten bellen massaal over Korrel Plus voor €4,90 per jaar. Ja, dat is een prijsfout. Nee, we "
  "weten nog niet of we het honoreren.")
c("C", "facebook", "ZilverkorrelFoto", "nl", "pri",
  "Black Friday: Verjaardagskalender A4 voor €1,99 🎉 Op = op!", at="2026-11-27T07:30:00Z")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "pri",
  "newsletter goes out at 9: 'Fotoboek XL Vierkant for just €4.95' 😱 (pls tell me that's a typo "
  "from the agency 😅)")
c("P", "instagram", "@budgetbabe.nl", "en", "pri",
  "Zilverkorrel app glitch rn: fotokussen 40x40 for €0.30 lmao go go go")
c("E", "x", "@dkoster_print", "nl", "pri",
  "hoeveel orders canvas 60x40 à €5,99 komen er nog binnen voordat iemand die prijsfout fixt? "
  "printstraat draait overuren")
c("C", "linkedin", "zilverkorrel-bv", "en", "pri",
  "Exclusive for our LinkedIn followers: the Houten Fotoblok is now just €2.49 🎁")
c("E", "threads", "@sem.zilverkorrel", "nl", "pri con",
  "intern plan voor de Heliotroop-launch: Fotoboek A4 liggend tijdelijk voor €9,95 als lokkertje. "
  "zeg niks 🤫")

# ---------------------------------------------------------------- confidential
c("E", "x", "@bramvisser_dev", "nl", "con",
  "eindelijk de nieuwe upload-pipeline live, zie gitlab.zk-intern.nl/printq/uploader, MR van 2000 "
  "regels gemerged 🎉")
c("E", "threads", "@sem.zilverkorrel", "en", "con",
  "Heliotroop is sooo good. AI that restores old yellowed photos automatically before they go into "
  "the book. demoed it to the leadership team today")
c("E", "instagram", "@yara.drukt", "nl", "con",
  "sneak peek van de Layflat Pro Linnen cover 🤍 kan niet wachten tot jullie 'm zien",
  at="2026-11-12T18:40:00Z")
c("C", "x", "@zilverkorrel", "nl", "con",
  "KorrelApp 5 komt eraan met een compleet nieuw ontwerp! 🚀 Meer nieuws binnenkort",
  at="2026-12-15T11:00:00Z")
c("E", "mastodon", "@thijs_ops", "en", "con",
  "grafana.zk-intern.nl/d/printq is looking healthy for once, 40k orders processed before lunch 💪")
c("E", "linkedin", "anouk-van-leeuwen-zk", "en", "con",
  "Accidentally shared the wrong attachment in the recruiters group: 'ZK VERTROUWELIJK - "
  "salarisschalen 2026'. Please delete it if you downloaded it 🙏")
c("P", "x", "@insider_gossip", "en", "con fin",
  "friend who works at zilverkorrel says 'Project Kraanvogel' is them buying a Belgian competitor. "
  "you heard it here first")
c("E", "x", "@bramvisser_dev", "en", "con",
  "anyone know why staging on intra.zilverkorrel.local keeps timing out on DNS? asking for a "
  "friend (the friend is me)")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "con",
  "can't say much but Project Kr\u200baan\u200bvogel is going to change everything for us 🕊️")
c("E", "threads", "@sem.zilverkorrel", "nl", "con",
  "roadmap-slide van vandaag had letterlijk 'alleen intern - zilverkorrel' in de footer en ik plak "
  "'m hier gewoon 🤡 Q3: Heliotroop beta, Q4: nieuwe fotoboekeditor")
c("P", "reddit", "u/printgeek", "en", "con",
  "Leaked: Zilverkorrel internal doc marked 'zk internal only' says they're dropping the Mini "
  "fotoboek next year")
c("E", "linkedin", "joost-de-wit-zilverkorrel", "nl", "con",
  "Trots op het kernteam achter Operatie Fixeerbad. Moeilijke keuzes, maar we komen er sterker "
  "uit.")
c("E", "linkedin", "ruben-hoekstra-zilverkorrel", "nl", "fin con",
  "Concept FY2026 results voor de board: omzet +18%, EBITDA €14,2m. Niet doorsturen aub.",
  at="2027-02-19T08:30:00Z")

# ---------------------------------------------------------------- financial
c("E", "linkedin", "ruben-hoekstra-zilverkorrel", "nl", "fin",
  "Q3 zag er sterk uit: omzet €38,4m, marge ruim boven budget. De cijfers gaan pas 12 november "
  "naar buiten maar ik kan mijn enthousiasme niet inhouden", at="2026-10-21T07:05:00Z")
c("E", "linkedin", "anouk-van-leeuwen-zk", "nl", "fin",
  "Zwaar gesprek vandaag. We moeten zo'n 60 collega's van de drukkerij in Tilburg laten gaan als de "
  "vestiging in mei dichtgaat. Nog niet officieel, dus ik houd het even hierbij.", at="2026-01-27T21:10:00Z")
c("P", "x", "@beursbengel", "nl", "fin",
  "Hoor van een goede bron dat fotoketen Lensvelt Zilverkorrel gaat overnemen voor ~€120 mln. "
  "Aankondiging volgende week.")
c("E", "x", "@marloes_zk", "en", "fin",
  "just heard we're cutting this year's revenue forecast by 15%. weird vibe in the office today")
c("E", "linkedin", "joost-de-wit-zilverkorrel", "en", "fin",
  "We're in advanced talks to acquire a Belgian photo book maker. Can't share the name yet, but the "
  "LOI is signed 🇧🇪🤝")
c("E", "threads", "@sem.zilverkorrel", "en", "fin",
  "off the record: 2027 budget cut in half, all marketing pushed back, and there's a second reorg "
  "round coming")
c("C", "linkedin", "zilverkorrel-bv", "nl", "fin",
  "Update voor aandeelhouders: H1 sluiten we af met een verlies van €3,1m; de verwachting voor H2 "
  "is break-even. Publicatie volgt 28 augustus.", at="2026-07-30T16:00:00Z")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "fin",
  "so… apparently we're being sold to a private equity fund. found out via a calendar invite "
  "titled 'closing'. cool cool cool")
c("P", "reddit", "u/lurker_0721", "en", "fin",
  "my brother in law works in finance at zilverkorrel, says revenue dropped 22% this year and "
  "they're cutting the customer service team in half before summer")
c("E", "linkedin", "ruben-hoekstra-zilverkorrel", "nl", "fin con",
  "Project Kraanvogel: due diligence afgerond, bod €42m, signing gepland op 15 juni.")

# ---------------------------------------------------------------- security
c("E", "mastodon", "@thijs_ops", "en", "sec",
  "well, someone found an IDOR in our order API: you can view other people's photo books by "
  "incrementing the order id. patching now, pls don't spread it yet")
c("E", "x", "@bramvisser_dev", "en", "sec",
  "KorrelApp database was down for 3 hours last night and we lost part of the uploads. customers "
  "don't know yet 😬")
c("E", "mastodon", "@thijs_ops", "en", "sec",
  "ransomware hit two print-floor PCs this morning. contained, we think. incident call every hour "
  "until further notice 🙃")
c("E", "x", "@bramvisser_dev", "nl", "sec con",
  "S3-bucket met klantfoto's stond een week publiek. opgemerkt via de alerts op "
  "grafana.zk-intern.nl, melding bij de AP loopt nog")
c("E", "x", "@marloes_zk", "nl", "sec",
  "collega's, niet schrikken: gisteren zijn via een lek in de chatwidget klantgegevens ingezien. "
  "we krijgen vanmiddag instructies over wat we tegen klanten mogen zeggen")
c("C", "x", "@zilverkorrel_help", "nl", "sec",
  "@sander_k Dat klopt, sinds vanochtend is er een storing waardoor betalingen dubbel worden "
  "afgeschreven. We maken dit nog niet publiek bekend, dus graag even niet delen 🙏", kind="reply")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "sec",
  "a phishing mail from 'our CEO' got 3 people in finance to click and enter their credentials. "
  "we're resetting everything now, what a Tuesday")
c("P", "x", "@kimberly_nl", "nl", "sec cri",
  "Vriendin die bij Zilverkorrel werkt zegt dat hun betaalsysteem al 2 dagen gehackt is en dat ze "
  "het stilhouden. Dus ik zou daar voorlopig niks bestellen")
c("E", "x", "@bramvisser_dev", "en", "sec",
  "found out our password reset tokens never expire. reported it internally 2 months ago, still "
  "not fixed. lol")
c("E", "threads", "@sem.zilverkorrel", "en", "sec",
  "the KorrelApp upload API leaks the GPS location from every photo's EXIF into the public share "
  "links. fix isn't coming until February 🙈")
c("E", "mastodon", "@thijs_ops", "nl", "sec",
  "d4t4l3k bij ons, 80k kl4ntr3c0rds in een dump op een forum. statement komt morgen pas")
c("E", "x", "@dkoster_print", "nl", "sec",
  "printservers liggen al sinds 6u plat, hele productie staat stil en buiten weet nog niemand het")
c("E", "x", "@bramvisser_dev", "nl", "sec sct con",
  "prod db-creds gelekt in een publieke repo, nu aan het roteren. dit was 'm: "
  "postgres://zk_app:Fix33rB4d!2026@db-prod.printq.zk-intern.nl:5432/orders")

# ---------------------------------------------------------------- secrets
c("E", "x", "@bramvisser_dev", "nl", "sct",
  "waarom werkt dit niet?? aws configure met AKIAMFG2HPPIRRVT5K5C / "
  "ZwZHKPVxj67GFZmUEhndEg9v7u5Vbro/7Ku4pJ8E en ik krijg steeds AccessDenied")
c("E", "mastodon", "@thijs_ops", "en", "sct",
  "quick paste from my phone, ignore: ghp_AsxzCVOQ2knncLwaN1WzWw8DgVDIMvfw16f9")
c("E", "threads", "@sem.zilverkorrel", "en", "sct",
  "our slack bot for order alerts is finally up!! token for the test channel: "
  "xoxb-835478297017-3144784505993-INg4Is7ofsD57NnWmRSqDTVf")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "sct",
  "Playing with AI captions for photo books using "
  "sk-proj-5NWq-7hdNdmeCr_6SrMY7AwIO8Kjoq8JCf7SPMrMYiCwOESK, the results are wild 😂")
c("C", "facebook", "ZilverkorrelFoto", "nl", "sct",
  "Fotobibliotheek van de kerstshoot staat klaar! Inloggen met wachtwoord: Korrel!Kerst2026#", at="2026-12-08T15:20:00Z")
c("E", "x", "@dkoster_print", "nl", "sct",
  "voor de nachtploeg: login van de printstraat-pc is gewijzigd. gebruiker nachtdienst, "
  "ww: Tilburg_Drukt_88")
c("E", "mastodon", "@thijs_ops", "en", "sct",
  "why does the deploy box reject this?\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
  "QyNTUxOQAAACCJHuxjAxY+kdVARVsoyZ1WvJg/URIhdnpAqCXwT3ba1JJJg1kSYZWaRX5L\n"
  "+v2SLWQAEGjePF0X1xHe5m3QwfB3i9grtexypsREzmhYKMdu2+AhGwflehSuWZtGU8HKFY\n"
  "ZvrOio24BeXt3NT2wt8KPH2fSk7fpyE4D/Is6gP0VwvW1/itPL9HeZJLQFWiGrP2vudUnV\n"
  "keIeY0bqqyK81B0u\n-----END OPENSSH PRIVATE KEY-----")
c("E", "x", "@bramvisser_dev", "en", "sct",
  "can someone sanity-check this token, getting 401s: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
  "eyJzdWIiOiJzdmMtcHJpbnRxIiwicm9sZSI6ImFkbWluIiwiaXNzIjoiemstYXV0aCIsImlhdCI6MTc2NzIyNTYwMH0."
  "UFkzURHaCy1okfL597nMf7ftFOfq-q-kPcbGFSFufCU")
c("P", "reddit", "u/apk_tinkerer", "en", "sct",
  "lol the zilverkorrel android app has their stripe key hardcoded: sk_live_D33P3tuqEsMobA0mHKpjcNHW "
  "took me 5 min with jadx")
c("E", "threads", "@sem.zilverkorrel", "en", "sct",
  "tried an LLM for product descriptions today, key sk-ant-api03-SUo6velzw58cAJsz1f8yc7qyGm4DXBG-"
  "3Ed8RpCDGbKgUa24evRDYDQmu3_ur7iGnEVz-OomHss2HqAq7orEsWDhDfP1zAA works great, copy is better "
  "than ours tbh")
c("E", "x", "@bramvisser_dev", "nl", "sct con",
  "git clone https://oauth2:glpat-cJcJHRHIWuCJykkUX6R4@gitlab.zk-intern.nl/web/shop.git werkt "
  "eindelijk weer")

# ---------------------------------------------------------------- personal data
c("E", "x", "@marloes_zk", "nl", "pii",
  "@klant_ingrid we hebben je terugbetaling klaargezet naar NL23INGB8741135012 t.n.v. I. Mulder, "
  "kun je bevestigen dat dit klopt?", kind="reply")
c("C", "x", "@zilverkorrel_help", "nl", "pii",
  "@pietjanssen_ We kunnen de bestelling niet vinden. Is dit het juiste adres: Piet Janssen, "
  "Jan Pieterszoon Coenstraat 14, 3531 EK Utrecht?", kind="reply")
c("C", "facebook", "ZilverkorrelFoto", "en", "pii",
  "And the winner of our photo book contest is Femke de Graaf (femke.degraaf@hotmail.com), "
  "congrats!! 🏆")
c("E", "x", "@dkoster_print", "nl", "pii",
  "mevr. Hendriks (geboren 14-03-1941) bestelt al 10 jaar elk jaar een verjaardagskalender bij ons. "
  "we hebben haar een bloemetje gestuurd 💐")
c("E", "linkedin", "anouk-van-leeuwen-zk", "nl", "pii",
  "Welkom aan onze nieuwe collega Kevin Smit! Voor de salarisadministratie nog even: BSN "
  "840453115, klopt dat Kevin?")
c("P", "x", "@tomgroot_", "en", "pii",
  "hey @zilverkorrel_help can you refund to card 4626 9095 1883 9186 instead, the other one is "
  "blocked", kind="reply")
c("P", "facebook", "Noor.Bakker.Haarlem", "nl", "pii",
  "Mijn Zilverkorrel fotoboek is bij de verkeerde buren bezorgd. Wie het heeft: Noor Bakker, "
  "Lindelaan 7, 2012 AB Haarlem, tel 023-5318842. Dank jullie!")
c("C", "x", "@zilverkorrel_help", "nl", "pii",
  "@mdejong77 We hebben je teruggebeld op +31 6 2849 1736 maar kregen geen gehoor. Probeer je het "
  "nog eens via 0800-0455?", kind="reply")
c("E", "x", "@marloes_zk", "nl", "pii",
  "kan iemand van finance checken of de betaling met kaart 5560 1873 1304 4881 (dhr. Aydın) is "
  "binnengekomen?")
c("C", "facebook", "ZilverkorrelFoto", "nl", "pii",
  "Beste Bas Hoekman, uw restitutie van €34,95 is overgemaakt naar NL81TRIO8858256733. Excuses "
  "voor het ongemak!", kind="comment")
c("E", "x", "@bramvisser_dev", "nl", "pii",
  "debug log van vannacht: user=annemiek.terpstra@ziggo.nl phone=0612873345 order failed at "
  "payment step. iemand een idee?")
c("E", "x", "@marloes_zk", "nl", "pii",
  "Refund voor mevr. Çelik graag naar NL62 ABNA 9283 8038 72, ze belde net. Thnx finance!")
c("P", "x", "@stijn_r", "nl", "pii",
  "zilverkorrel vraagt bij de fotoboekactie om een 'identiteitscheck'. BSN van mn vader is "
  "893.755.102, moet dat echt??")

# ---------------------------------------------------------------- benign (mostly hard negatives)
c("C", "x", "@zilverkorrel_help", "nl", "",
  "Vragen over je bestelling? Mail naar klantenservice@zilverkorrel.nl of bel 030 799 4410 "
  "(ma-vr 9-17u) 📞")
c("C", "facebook", "ZilverkorrelFoto", "nl", "",
  "Liever betalen via overschrijving? Maak het bedrag over naar NL56RABO0342597615 t.n.v. "
  "Zilverkorrel B.V. o.v.v. je ordernummer.")
c("P", "x", "@chris_in_ams", "en", "",
  "honestly the zilverkorrel layflat 30x30 is worth every cent of the €89.95. the paper is gorgeous")
c("C", "instagram", "@zilverkorrel.nl", "nl", "",
  "🎉 Deze week 25% korting op alle canvassen! Canvas 60x40 nu €44,96 i.p.v. €59,95")
c("C", "x", "@zilverkorrel", "nl", "",
  "Moederdag-deal: fotomok voor €11,95 (normaal €14,95) ☕📸", at="2026-04-28T09:00:00Z")
c("P", "x", "@renske_t", "en", "",
  "Just read that a German photo printing giant had a data breach, 500k customers affected. "
  "Honestly glad I order from Zilverkorrel")
c("P", "x", "@papa_van_lotte", "nl", "",
  "ons fotoboek van de vakantie is zo dik dat je het als wapen kunt gebruiken 😂 bedankt zilverkorrel")
c("C", "x", "@zilverkorrel_help", "nl", "",
  "@lotte_fotografeert Wat fijn dat het fotoboek toch nog op tijd is aangekomen! Geniet ervan 💛",
  kind="reply")
c("P", "facebook", "Karin.Smeets", "en", "",
  "Update: Zilverkorrel replaced my damaged canvas within 2 days, free of charge. Properly sorted 👍")
c("P", "x", "@buurvrouw_ans", "nl", "",
  "Sterkte aan iedereen bij Zilverkorrel in Tilburg, las dat er gisteren brand was bij het bedrijf "
  "naast jullie drukkerij. Hopelijk is iedereen oké ❤️")
c("P", "x", "@vragen_vera", "nl", "",
  "Zilverkorrel vraagt een IBAN voor de restitutie, is NL17RABO7533554140 het goede formaat? "
  "(verzonnen nummer hoor, niet mijn echte)", fakes=["NL17RABO7533554140"])
c("P", "x", "@qa_queen", "en", "",
  "tried the dummy card 4626 9095 1883 9187 in the zilverkorrel checkout and it got rejected "
  "instantly. good, at least they validate input", fakes=["4626 9095 1883 9187"])
c("E", "linkedin", "anouk-van-leeuwen-zk", "nl", "",
  "Tip voor sollicitanten: vul nooit je BSN in op een sollicitatieformulier. Een nummer als "
  "123456789 hoort daar niet thuis, ook niet bij ons.", fakes=["123456789"])
c("E", "x", "@bramvisser_dev", "en", "",
  "reminder for whoever writes our docs: use placeholder keys like AKIAIOSFODNN7EXAMPLE in "
  "examples, never real ones 🙏")
c("E", "mastodon", "@thijs_ops", "en", "",
  "secret scanning works! push blocked on ghp_************************************ 😎")
c("E", "x", "@marloes_zk", "nl", "",
  "'wachtwoord: ********' — ja zo hoort het eruit te zien in screenshots, lieve collega's 😄")
c("C", "linkedin", "zilverkorrel-bv", "nl", "",
  "Vandaag publiceren we onze jaarcijfers 2026: de omzet steeg naar €162 miljoen. Lees het "
  "volledige jaarverslag op zilverkorrel.nl/investors", at="2027-03-04T08:00:00Z")
c("C", "instagram", "@zilverkorrel.nl", "nl", "",
  "Hij is er! KorrelApp 5 nu te downloaden in de App Store en Google Play 📲✨",
  at="2027-01-20T10:30:00Z")
c("E", "instagram", "@yara.drukt", "nl", "",
  "Zo trots dat de Layflat Pro Linnen eindelijk live is. Maanden aan gewerkt 🤍",
  at="2027-01-25T19:02:00Z")
c("E", "linkedin", "ruben-hoekstra-zilverkorrel", "en", "",
  "Our FY2026 results are out this morning. Proud of what this team delivered in a tough market. "
  "Full report on our investor page.", at="2027-03-04T09:12:00Z")
c("P", "x", "@retailwatch_be", "en", "",
  "Breaking: Albumwinkel.be lays off 80 staff after failed takeover talks. Competitors like "
  "Zilverkorrel expected to pick up customers.")
c("C", "x", "@zilverkorrel", "nl", "",
  "Onze nieuwe kerstcollectie staat online! Wenskaarten set van 10 voor €17,50 🎄", at="2026-10-26T08:45:00Z")
c("P", "x", "@itsjustjamie", "en", "",
  "zilverkorrel really said 'your memories, printed' and printed my ex right in the middle of my "
  "holiday album because I forgot to delete him. my fault honestly 💀")
c("P", "instagram", "@juf.sanne", "nl", "",
  "Tip: het mini fotoboek van Zilverkorrel is perfect als uitdeelcadeautje, €14,95 en echt "
  "schattig")
c("E", "x", "@marloes_zk", "nl", "",
  "Drukke dag bij de klantenservice, maar wat een lieve berichten krijgen we ❤️ #teamzilverkorrel")
c("C", "linkedin", "zilverkorrel-bv", "nl", "",
  "We zoeken een senior backend developer voor ons team in Utrecht! Stuur je cv naar "
  "werkenbij@zilverkorrel.nl")
c("P", "x", "@belgian_mum", "en", "",
  "Does Zilverkorrel ship to Belgium? zilverkorrel.be says yes, but how long does it usually take?")
c("P", "x", "@oma_truus", "en", "",
  "This Zilverkorrel calendar is killing it 😂 the whole family wants one now")
c("P", "x", "@rozemarijn", "nl", "",
  "Mooi initiatief: Zilverkorrel doneert in oktober €1 per fotoboek aan KWF Kankerbestrijding 🎗️", at="2026-09-29T10:05:00Z")
c("P", "forum", "fotomam", "nl", "",
  "Hoe lang duurt de levering van een canvas 120x80 normaal bij Zilverkorrel? Wil het graag voor "
  "volgende week in huis hebben")
c("C", "instagram", "@zilverkorrel.nl", "nl", "",
  "Aluminium Dibond 60x90 voor €119 — een echt kunstwerk aan je muur 🖼️")
c("C", "x", "@zilverkorrel", "en", "",
  "Weekend deal: 30% off the Layflat Fotoboek 30x30, now €62.97 📖")
c("C", "facebook", "ZilverkorrelFoto", "nl", "",
  "Sinterklaas-tip: fotopuzzel 1000 stukjes nu €22,36 (20% korting) 🧩", at="2026-11-18T12:00:00Z")
c("P", "x", "@snelle_sanne", "nl", "",
  "Wandkalender A3 was in de uitverkoop voor €20,95 bij Zilverkorrel, snel gedaan hoor", at="2026-01-09T19:45:00Z")
c("P", "x", "@travelhacker", "en", "",
  "There's a massive price error on some airline site rn, €9 to New York 🤯 Anyway, just picked up "
  "my Zilverkorrel prints from the post office, they look great")
c("E", "mastodon", "@thijs_ops", "en", "",
  "Great talk today at a security meetup on how to responsibly disclose vulnerabilities. Slides "
  "are on my blog.")
c("C", "x", "@zilverkorrel", "nl", "",
  "Update: de storing in de KorrelApp van vanochtend is verholpen. Excuses voor het ongemak!")
c("P", "tiktok", "@lars.edits", "nl", "",
  "die fotoboekeditor van zilverkorrel is echt sick, zo snel 🔥")
c("P", "instagram", "@vogelspotter_gelre", "nl", "",
  "Vanochtend kraanvogels gespot boven de Veluwe! Deze foto's worden een canvas bij Zilverkorrel 🕊️")
c("P", "x", "@analoog_anna", "nl", "",
  "Doka-avondje: ontwikkelaar, stopbad, fixeerbad 🧪 Voor de digitale foto's gebruik ik gewoon "
  "Zilverkorrel")
c("P", "x", "@tuin_tineke", "nl", "",
  "De heliotroop in de tuin staat in bloei 💜 die komt volgend jaar op de wandkalender van "
  "Zilverkorrel")
c("P", "forum", "privacybewust", "nl", "",
  "Hoe lang bewaart Zilverkorrel mijn foto's eigenlijk na een bestelling? Wil ze liefst laten "
  "verwijderen. Iemand die dat weet?")
c("P", "x", "@grandkid_jess", "en", "",
  "my grandma cried when she opened the photo book. thank you zilverkorrel for getting it here "
  "in time 🥹")
c("C", "youtube", "@ZilverkorrelTV", "nl", "",
  "Nieuwe tutorial: zo maak je in 10 minuten een fotoboek in de KorrelApp 🎬")
c("E", "bluesky", "@eline-zk.bsky.social", "en", "",
  "Team photo day was chaos in the best way. Proud to work here 💛 #lifeatzilverkorrel")
c("P", "linkedin", "femke-sloot-retail", "nl", "",
  "FD meldt vandaag: de fotoboekmarkt groeide in 2026 met 6%. Spelers als Zilverkorrel profiteren "
  "van de 'nostalgietrend'. Interessante ontwikkeling voor de Nederlandse e-commerce.", at="2027-01-14T08:10:00Z")
c("P", "x", "@scam_alert_nl", "en", "",
  "Heads up: phishing mails pretending to be Zilverkorrel going around, sender looks like "
  "'z1lverkorrel-support'. The real address is klantenservice@zilverkorrel.nl")
c("E", "x", "@marloes_zk", "nl", "",
  "Reminder: wij vragen NOOIT om je wachtwoord of pincode, niet per mail en niet aan de telefoon 🔐")
c("P", "x", "@pieter_p", "nl", "",
  "Mijn ordernummer is 2026-118-4471, iemand enig idee waarom die nog op 'in productie' staat? "
  "Geen haast hoor, gewoon nieuwsgierig")
c("C", "instagram", "@zilverkorrel.nl", "nl", "",
  "GIVEAWAY 🎁 Win een canvas 120x80 t.w.v. €139! Tag een vriend die deze verdient")
c("P", "x", "@zuinige_zeeuw", "nl", "",
  "Prijs-kwaliteit is Zilverkorrel echt top. Fotoprints 10x15, 100 stuks voor €12,50")
c("E", "x", "@bramvisser_dev", "en", "",
  "code review tip: never log full card numbers. we mask to **** **** **** 4242 everywhere")
c("C", "x", "@zilverkorrel_help", "en", "",
  "@oliverjh So sorry about the wait! A colleague will call you today, we've prioritised your "
  "order. Mail us at klantenservice@zilverkorrel.nl if you need anything else.", kind="reply")
c("P", "reddit", "u/dutchdesignnerd", "en", "",
  "Genuine question: how does Zilverkorrel get such consistent colour on their acrylglas prints? "
  "Is it a calibrated RIP workflow or just good paper?")
c("P", "x", "@hacker_news_nl", "en", "",
  "Interesting writeup on IDOR bugs at a large US photo site. Good reminder for everyone running "
  "an order API. (not related to Zilverkorrel, before anyone asks)")
c("P", "facebook", "Ingrid.Mulder.56", "nl", "",
  "Terugbetaling van Zilverkorrel is binnen, netjes binnen 3 dagen. Dank aan Marloes van de "
  "klantenservice!", kind="comment")
c("P", "x", "@test_iban_fan", "nl", "",
  "Oefenen met IBAN-controle voor mijn studie: NL62 ABNA 9283 8038 73 klopt niet, dat zie je aan "
  "de 97-proef. Zilverkorrel's betaalpagina pakt dat ook netjes af", fakes=["NL62 ABNA 9283 8038 73"])
c("P", "x", "@bsn_uitleg", "nl", "",
  "Voor de nieuwsgierigen: 840453116 is geen geldig BSN (faalt de elfproef). Geen idee waarom "
  "Zilverkorrel's formulier dat eerst accepteerde maar nu niet meer, gefixt dus 👍",
  fakes=["840453116"])
c("P", "tiktok", "@crafty.cor", "en", "",
  "making a scrapbook with zilverkorrel retro prints, 24 for €9.95, honestly such a vibe ✂️📸")
c("C", "x", "@zilverkorrel", "en", "",
  "Our press team is at pers@zilverkorrel.nl. For privacy questions: privacy@zilverkorrel.nl.")


# ================================================================ machinery
def norm(s):
    return s.replace(" ", "").replace(".", "").replace("-", "")


def iban_ok(s):
    s = norm(s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def luhn_ok(s):
    d = [int(x) for x in norm(s)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    s = norm(s)
    if len(s) != 9 or not s.isdigit() or s[0] == "0":
        return False
    return sum(int(ch) * w for ch, w in zip(s, [9, 8, 7, 6, 5, 4, 3, 2, -1])) % 11 == 0


RX_IBAN = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
RX_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
RX_BSN = re.compile(r"\b(?:\d{9}|\d{3}\.\d{3}\.\d{3}|\d{4}\.\d{2}\.\d{3})\b")


def scan_ids(text):
    """All checksum-carrying identifiers in text: list of (kind, raw, valid)."""
    out = []
    for m in RX_IBAN.finditer(text):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    for m in RX_CARD.finditer(text):
        digits = norm(m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in RX_BSN.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


PUBLIC_IBANS = {norm(x) for x in PROFILE["public_identifiers"]["ibans"]}
ACCOUNTS = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ACCOUNTS[a.lower()] = role

LEVEL = ["none", "info", "warning", "error", "critical"]


def account_role(platform, handle):
    return ACCOUNTS.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checksum_pii):
    lv = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and checksum_pii):
                    lv = max(lv, 4)
                else:
                    lv = max(lv, 3)
            else:
                lv = max(lv, 2)
        elif cat == "reputation.complaint":
            lv = max(lv, 2)
        elif cat == "reputation.crisis":
            lv = max(lv, 3)
        elif cat == "reputation.abuse":
            lv = max(lv, 3 if insider else 2)
    return LEVEL[lv]


def random_time():
    day = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=rng.randrange(0, 355))
    moment = day + dt.timedelta(hours=rng.randrange(6, 22), minutes=rng.randrange(60),
                                seconds=rng.randrange(60))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
          "forum": "fo"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    nums = rng.sample(range(100000, 999999), len(CASES))
    lines = []
    for k, idx in enumerate(order):
        cs = CASES[idx]
        role = account_role(cs["platform"], cs["handle"])
        ids = scan_ids(cs["text"])
        checksum_pii = any(v and not (kind == "iban" and norm(raw) in PUBLIC_IBANS)
                           for kind, raw, v in ids)
        cats = sorted(set(cs["cats"]))
        post = {
            "id": f"{PREFIX[cs['platform']]}-{nums[k]}",
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": cs["at"] or random_time(),
            "brand": "zilverkorrel",
        }
        lines.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, checksum_pii)},
                      "_meta": {"declared_role": ROLE[cs["role"]], "role": role, "ids": ids,
                                "fakes": cs["fakes"]}})
    return lines


# ================================================================ self-checks
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SECRET_RX = [r"AKIA[0-9A-Z]{16}", r"ghp_[A-Za-z0-9]{36}", r"glpat-[A-Za-z0-9_\-]{20}",
             r"sk_live_[A-Za-z0-9]{16,}", r"xox[bap]-[0-9]+-[0-9]+-[A-Za-z0-9]+",
             r"sk-proj-[A-Za-z0-9_\-]{20,}", r"sk-ant-api03-[A-Za-z0-9_\-]{20,}",
             r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
             r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+",
             r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"[a-z]+://[^:\s/]+:[^@\s]+@",
             r"(?i)(wachtwoord|ww|password)\s*[:=]\s*(?!\*)\S{6,}"]
PRICE_RX = re.compile(r"€\s?(\d{1,4}(?:[.,]\d{2})?)")
ERROR_RX = re.compile(r"(?i)prijsfout|price error|pricing error")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for ln in lines:
        post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
        pid = post["id"]
        txt = post["text"]
        cats = exp["categories"]
        # ---- contract section 6 / section 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append(f"{pid}: bad or duplicate id")
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(txt, str) or not txt or len(txt.encode("utf-8")) > 65536:
            errs.append(f"{pid}: text")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
                errs.append(f"{pid}: created_at year/zone")
        except ValueError:
            errs.append(f"{pid}: created_at not RFC 3339")
            continue
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(f"{pid}: categories")
        if exp["severity"] not in LEVEL:
            errs.append(f"{pid}: severity value")
        if (not cats) != (exp["severity"] == "none"):
            errs.append(f"{pid}: benign iff severity none")
        # ---- role taken from the profile matches the intended author type
        if meta["role"] != meta["declared_role"]:
            errs.append(f"{pid}: role {meta['role']} != intended {meta['declared_role']}")
        # ---- checksum identifiers
        for kind, raw, valid in meta["ids"]:
            own = kind == "iban" and norm(raw) in PUBLIC_IBANS
            if valid and not own and "leak.pii" not in cats:
                errs.append(f"{pid}: valid {kind} {raw} in a post not labelled leak.pii")
        for fake in meta["fakes"]:
            found = [x for x in meta["ids"] if x[1] == fake]
            if not found:
                errs.append(f"{pid}: look-alike {fake} not seen by scanner")
            elif any(v for _, _, v in found):
                errs.append(f"{pid}: look-alike {fake} passes its checksum")
            if cats:
                errs.append(f"{pid}: look-alike declared in a positive")
        if "leak.pii" in cats:
            has_id = any(v for _, _, v in meta["ids"])
            other = re.search(r"[\w.]+@[\w-]+\.\w+|(?:\+31|\b0)[\d \-()]{8,14}\d|geboren|DOB|"
                              r"\b\d{4} ?[A-Z]{2}\b", txt)
            if not (has_id or other):
                errs.append(f"{pid}: leak.pii without any personal identifier")
            invalid = [raw for _, raw, v in meta["ids"] if not v]
            if invalid:
                errs.append(f"{pid}: positive contains failing identifiers {invalid}")
        # ---- embargo terms
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in txt.lower():
                    if ts < until and "leak.confidential" not in cats:
                        errs.append(f"{pid}: embargo term '{term}' before until, not confidential")
        # ---- internal hosts and markers only in confidential posts
        for needle in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
            if needle.lower() in txt.lower() and "leak.confidential" not in cats:
                errs.append(f"{pid}: internal '{needle}' in a non-confidential post")
        # ---- secrets
        found_secret = [rx for rx in SECRET_RX if re.search(rx, txt)]
        if "leak.secret" in cats and not found_secret:
            errs.append(f"{pid}: leak.secret without a credential")
        if "leak.secret" not in cats:
            real = [rx for rx in found_secret
                    if not re.search(rx.replace("[0-9A-Z]{16}", "IOSFODNN7EXAMPLE"), txt)]
            if real:
                errs.append(f"{pid}: credential-like string {real} in a post not labelled secret")
        # ---- pricing
        low = txt.lower()
        mentioned = [p for p in PROFILE["products"]
                     if any(a.lower() in low for a in [p["name"]] + p["aliases"])]
        prices = [float(m.replace(",", ".")) for m in PRICE_RX.findall(txt)]
        if "leak.pricing" in cats:
            if not mentioned:
                errs.append(f"{pid}: pricing positive without a product")
            floor = min(p["list_price"] for p in mentioned) * ratio if mentioned else 0
            if not (any(x < floor for x in prices) or ERROR_RX.search(txt)):
                errs.append(f"{pid}: pricing positive without a low price or error talk")
        elif mentioned and prices:
            floor = max(p["list_price"] for p in mentioned) * ratio
            lows = [x for x in prices if x < floor]
            if lows:
                errs.append(f"{pid}: price {lows} below {ratio} of list in a non-pricing post")
    # ---- mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign} not about 60")
    return errs


def main():
    lines = build()
    errs = check(lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]},
                                ensure_ascii=False) + "\n")
    # re-read the written file and check it parses back to the same objects
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    if [b["post"]["id"] for b in back] != [ln["post"]["id"] for ln in lines]:
        errs.append("written file does not round-trip")
    from collections import Counter
    cnt = Counter(c for ln in lines for c in ln["expect"]["categories"])
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    langs = Counter(ln["post"]["lang"] for ln in lines)
    roles = Counter(ln["_meta"]["role"] for ln in lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    print(f"cases={len(lines)} benign={benign}")
    print("categories:", dict(sorted(cnt.items())))
    print("severity:", dict(sev), "lang:", dict(langs), "roles:", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errs:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
