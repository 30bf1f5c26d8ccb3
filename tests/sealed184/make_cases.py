#!/usr/bin/env python3
"""Build the sealed evaluation set 184 (fictional company: Zoevr Mobility B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, sizes, RFC 3339);
  * every IBAN / payment card / BSN in a positive post passes its checksum, and every
    look-alike in a benign post fails it (the company's own published IBAN excepted);
  * severities are computed from the CONTRACT section 4 policy and the account role in
    profile.yaml, never typed by hand;
  * embargo terms, codenames, markers and internal domains never occur in a benign post
    (embargo terms only after `until`), pricing cases respect pricing.alert_below_ratio.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import unicodedata

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 184_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- categories
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCU = "leak.security"
CRI = "reputation.crisis"
COM = "reputation.complaint"
ABU = "reputation.abuse"
ALL_CATS = {SEC, PII, PRI, CON, FIN, SCU, CRI, COM, ABU, "reputation.spike"}

# ---------------------------------------------------------------- fake credentials (deterministic)
ALNUM = string.ascii_letters + string.digits
UPNUM = string.ascii_uppercase + string.digits


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


AWS_ID = "AKIA" + rand(UPNUM, 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
GHP = "ghp_" + rand(ALNUM, 36)
GLPAT = "glpat-" + rand(ALNUM + "-_", 20)
STRIPE = "sk_live_" + rand(ALNUM, 24) + rand(ALNUM, 75)
STRIPE_ZW = STRIPE[:8] + "\u200b" + STRIPE[8:20] + "\u200b" + STRIPE[20:]
SLACK = "xoxb-" + str(rng.randint(10**11, 10**12 - 1)) + "-" + str(rng.randint(10**12, 10**13 - 1)) + "-" + rand(ALNUM, 24)
OPENAI = "sk-proj-" + rand(ALNUM + "-_", 56) + "T3BlbkFJ" + rand(ALNUM + "-_", 56)
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"
SSH_BODY = "\n".join(rand(ALNUM + "+/", 70) for _ in range(4))
SSH_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
           + SSH_BODY + "\n-----END OPENSSH PRIVATE KEY-----")
_hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
_pl = b64u(json.dumps({"sub": "ops-admin", "role": "fleet_admin", "iss": "admin.zoevr.nl",
                       "iat": 1772611200, "exp": 1804147200}, separators=(",", ":")).encode())
_sig = b64u(hmac.new(rand(ALNUM, 32).encode(), f"{_hdr}.{_pl}".encode(), hashlib.sha256).digest())
JWT = f"{_hdr}.{_pl}.{_sig}"
PG_PASS = "Vr1jheid!" + rand(string.digits, 4)

# ---------------------------------------------------------------- posts
CASES = []


def post(platform, handle, lang, text, cats=(), kind="post", when=None, price=None,
         price_error=False, name=None):
    """price=(sku, amount) documents a price stated in the text next to a product."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, price=price,
                      price_error=price_error, name=name))


# ================================================================ complaints
post("x", "@anouk_fietst", "nl",
     "@zoevr_help al 20 min aan het proberen om m'n step te parkeren bij Utrecht Centraal, app blijft "
     "zeggen 'buiten parkeerzone' terwijl ik er MIDDEN in sta. Minuten tikken gewoon door 🙃 wie betaalt dit?",
     [COM], kind="reply")
post("x", "@daveinutrecht", "en",
     "Got hit with a €45 'improper parking' fine by Zoevr even though I have a timestamped photo of the moped "
     "inside the zone. Support keeps sending the same copy-paste reply. Genuinely awful service.",
     [COM])
post("facebook", "Marieke.SmitJansen", "nl",
     "Even mijn ervaring delen. Gisteren een Zoevr-moped gehuurd in Leiden, topkoffer open: geen helm. Wel een "
     "natte haarnetje en een lege blikje energy. Toch maar gereden want ik moest naar m'n werk, en vanochtend "
     "krijg ik een melding dat ik 'zonder helm' gereden heb en een waarschuwing op m'n account?! Hoe dan. "
     "Eerst zelf je spullen op orde hebben Zoevr.",
     [COM])
post("reddit", "u/grachtengoos", "en",
     "PSA: zoevr scooters in Amsterdam Oost are basically all half dead. app says 40% battery, dies after 6 "
     "minutes. paid the unlock fee twice today just to get home. anyone else??",
     [COM])
post("instagram", "@lisa.vdmeer", "nl",
     "waarom kost ontgrendelen ineens €1,25 ipv €1?? nergens gemeld in de app. beetje stiekem dit zoevr 😒",
     [COM], kind="comment")
post("x", "@k_oosterhout", "nl",
     "3x gebeld naar de klantenservice van Zoevr. 3x na 25 minuten in de wacht opgehangen. Ik wil gewoon m'n "
     "dubbele afschrijving van vorige week terug, is dat zo moeilijk?",
     [COM])
post("tiktok", "@ridewithmo", "en",
     "zoevr app crashed mid ride so i couldnt lock it, woke up to a €38 charge for a '4h ride' 💀 customer "
     "service: 'we can't see a crash on our side'. ok bestie",
     [COM])
post("mastodon", "@fietsfreak@mastodon.social", "nl",
     "Mijn Zoevr-account is al 9 dagen geblokkeerd omdat 'iemand anders met jouw rijbewijs heeft gereden'. Ik "
     "heb niemand m'n rijbewijs gegeven. Mail gestuurd, formulier ingevuld, DM gedaan: nul reactie.",
     [COM])
post("x", "@sophie_rdam", "en",
     "the Zoevr Weekpas I bought on monday never activated, so I've been paying per minute all week. refund "
     "ticket open for 12 days now. not impressed @zoevr_help",
     [COM])
post("forum", "Gerrit_H", "nl",
     "Iemand ervaring met opzeggen van Zoevr Plus? Als ik op 'abonnement beëindigen' druk krijg ik 'Er ging "
     "iets mis (code 500)'. Chat zegt dat ik het via de app moet doen. Ja, dat probeer ik dus. Ondertussen "
     "wordt er gewoon elke maand afgeschreven.",
     [COM])
post("threads", "@tim.bikes", "en",
     "zoevr moved the parking zones in Den Haag overnight and told nobody. ended my ride where I always do, "
     "€30 fine. come on guys, send a push notification at least",
     [COM])
post("reddit", "u/nl_expat_22", "en",
     "Rant incoming. Signed up for Zoevr three weeks ago. ID verification 'usually takes 5 minutes'. It's been "
     "21 days. Chat bot only speaks Dutch after the first message, email support answered once with a link to "
     "the FAQ. Meanwhile they already charged my card the €5 registration fee. Is there an actual human "
     "working there?",
     [COM])
post("facebook", "Hanneke.Brouwer.77", "nl",
     "Mijn dochter (17) kreeg €75 'helmboete' van Zoevr omdat de helm niet teruggelegd zou zijn. Er zat "
     "ÜBERHAUPT geen helm in de koffer, ze heeft er nog een foto van gemaakt. Bezwaar ingediend, automatisch "
     "afgewezen binnen 2 minuten. Wie leest dat eigenlijk?",
     [COM])
post("x", "@pauline_w", "en",
     "why is zoevr charging me in GBP?? my bank shows a currency conversion fee on a ride I took in Utrecht. "
     "what is going on with your payments",
     [COM])
post("youtube", "Daan Reviews Stuff", "en",
     "Used Zoevr daily for a month in Rotterdam. Roughly 3 in 10 rides the QR code wouldn't scan, and the "
     "support chat is a bot loop that sends you back to the start. Would not recommend right now.",
     [COM], kind="comment")
post("bluesky", "@wouter-van-d.bsky.social", "nl",
     "Zoevr rekent je een parkeerboete als je de step 2 meter buiten dat blauwe vlak zet, maar hun eigen GPS "
     "zit er standaard 30 meter naast. Leg mij dat eens uit.",
     [COM])
post("x", "@boos_in_breda", "nl",
     "@zoevr_help jullie zijn echt een stelletje oplichters. €60 boete voor een rit die ik netjes heb "
     "afgesloten. kutbedrijf",
     [COM, ABU], kind="reply")

# ================================================================ abuse
post("x", "@gr1mm_j", "en",
     "@lotte_zoevr shut up Lotte nobody asked, you're a useless corporate parrot 🤡🤡",
     [ABU], kind="reply")
post("instagram", "@stadsbewoner_ams", "nl",
     "die zoevr handhavers met hun camera's zijn echt k4nk3r m0ng00len, pak een echte baan",
     [ABU], kind="comment")
post("x", "@noordbewoner", "en",
     "the zoevr guy who picks up the mopeds in Noord is a fat lazy idiot, saw him sleeping in his van for an "
     "hour lmao",
     [ABU])
post("tiktok", "@echte_nederlander88", "nl",
     "die zoevr gasten in hun oranje hesjes moeten allemaal terug naar hun eigen land, wij betalen hun "
     "uitkering al",
     [ABU], kind="comment")
post("x", "@mehmet_ops_zv", "nl",
     "weer een klant die vindt dat je een step in de Maas mag flikkeren. debiel. echt een stelletje tokkies "
     "hier in Zuid",
     [ABU])
post("tiktok", "@kimvanzoevr", "en",
     "to the lady who screamed at me on the Coolsingel today: you're a miserable old b*tch and your dog "
     "deserves better 💅",
     [ABU])
post("x", "@fikkie_fred", "nl", "Z\u043eevr is een k\u0430nkerbedrijf met k\u0430nkerklantenservice", [ABU])
post("facebook", "Ron.Verhagen.1969", "en",
     "Whoever runs the Zoevr Facebook page is a pathetic loser. Delete my comments one more time and see what "
     "happens to you.",
     [ABU], kind="comment")
post("x", "@zoevr_help", "nl",
     "@boos_in_breda Misschien eerst leren lezen voordat je gaat klagen, sukkel. De parkeerregels staan gewoon "
     "in de app.",
     [ABU], kind="reply")
post("reddit", "u/fietspadfundi", "nl",
     "Zoevr medewerkers zijn echt t.e.r.i.n.g.l.i.j.e.r.s, parkeren hun busjes gewoon op het fietspad",
     [ABU])

# ================================================================ crisis
post("x", "@fam_dijkstra", "nl",
     "Onze zoon is vannacht met een Zoevr-moped onderuit gegaan omdat de voorrem het gewoon niet deed. "
     "Gebroken pols en hechtingen. We hebben een advocaat gebeld. #zoevr",
     [CRI])
post("x", "@canal_watch_ams", "en",
     "Boycott Zoevr. They've been dumping dead scooter batteries in the canal behind their Amsterdam depot. "
     "Video in the thread 👇 #BoycottZoevr",
     [CRI])
post("reddit", "u/privacy_paranoid", "en",
     "Zoevr data breach? I'm getting phishing mails that mention my exact last three rides and the fine amount. "
     "Nobody but Zoevr has that. They've been breached and aren't saying anything.",
     [CRI])
post("blog", "mobiliteitsblog.nl", "nl",
     "Consumentenclaim tegen Zoevr: een stichting namens ruim 4.000 gebruikers eist terugbetaling van "
     "'onterechte' parkeerboetes en stapt naar de rechter.",
     [CRI])
post("x", "@kralingen_nieuws", "nl",
     "ZOEVR E-STEP IN BRAND GEVLOGEN bij het laadpunt aan de Oudedijk, hele portiek vol rook, bewoners "
     "geëvacueerd 🚒🔥",
     [CRI])
post("tiktok", "@crashtestkees", "en",
     "zoevr moped throttle got stuck at full speed and i went straight into a bollard. they need to RECALL "
     "these things before someone dies",
     [CRI])
post("x", "@avg_anna", "nl",
     "Zoevr lekt persoonsgegevens: ik kreeg een boetemail met de naam én een foto van het rijbewijs van "
     "IEMAND ANDERS erin. Dit is gewoon een datalek. @autoriteitpg",
     [CRI])
post("linkedin", "mobility-insider-nl", "en",
     "Reports say the Dutch transport inspectorate has opened an investigation into Zoevr after at least three "
     "brake failures on its M1 mopeds this summer. A recall isn't ruled out.",
     [CRI])
post("x", "@wdw_straat", "en",
     "pedestrian just got hit by a Zoevr moped on Witte de Withstraat, rider took off. ambulance on scene now",
     [CRI])
post("mastodon", "@datajournalist@mastodon.nl", "nl",
     "Volgens een oud-medewerker verkoopt Zoevr ritdata met locaties aan adverteerders. Als dat klopt is dat "
     "een regelrecht schandaal.",
     [CRI])
post("instagram", "@jolien.hoek", "nl",
     "Mijn moeder (81) is over een Zoevr-step gestruikeld die dwars over de stoep lag en heeft haar heup "
     "gebroken. Gemeente en Zoevr schuiven het naar elkaar door. Wij gaan procederen.",
     [CRI])
post("x", "@utrecht_angry", "en",
     "Zoevr scumbags covered up the battery fire at their Utrecht depot. Absolute lowlifes, all of them. "
     "#BoycottZoevr",
     [CRI, ABU])
post("youtube", "HelmetNerd", "en",
     "Is anyone else's Zoevr helmet cracking? Mine split on a tiny low-speed fall and the chin strap snapped. "
     "That is dangerous, these should be recalled.",
     [CRI], kind="comment")
post("threads", "@rechtbank_watcher", "nl",
     "Het is officieel: de massaclaim tegen Zoevr over de parkeerboetes is vandaag ingediend bij de rechtbank "
     "Amsterdam.",
     [CRI])

# ================================================================ confidential
post("x", "@bramvleeuwen", "nl",
     "Eindelijk de eerste build van Kolibrie draaiend op m'n telefoon 🐦 als dit straks live gaat gaan mensen "
     "echt even kijken",
     [CON])
post("bluesky", "@ilsedewit.bsky.social", "en",
     "Can't say much but Project Reiger is going to change how cities think about parking zones. Demo day went "
     "great 🚀",
     [CON])
post("instagram", "@fleur.rijdt", "nl",
     "sneak peek 👀 de Brom M3 staat bij ons in de werkplaats en hij is zó vet. Meer kan ik niet zeggen 🤐",
     [CON], when="2026-10-14T16:22:00Z")
post("reddit", "u/joris_zv", "en",
     "anyone know why grafana.zoevr.internal dashboards keep timing out over the VPN since the last "
     "WireGuard update? asking for a friend 😅",
     [CON])
post("x", "@zoevr_nl", "nl",
     "[CONCEPT - ALLEEN INTERN] Nieuwe ontgrendelprijs per 1 maart, communicatie volgt via de nieuwsbrief.",
     [CON])
post("x", "@skate_sem", "en",
     "my mate works at zoevr and showed me the Zoevr Cargo prototype. it's a three-wheeler with a massive "
     "box on the front lol",
     [CON], when="2026-12-03T19:40:00Z")
post("bluesky", "@ilsedewit.bsky.social", "en",
     "Screenshot from today's roadmap review (zoevr confidential, shhh) — look at that Q3 column 👀",
     [CON])
post("x", "@lotte_zoevr", "nl",
     "Voor collega's: https://wiki.zoevr.nl/display/OPS/Boetebeleid-2027 even doorlezen voor maandag aub",
     [CON])
post("mastodon", "@ruben@fosstodon.org", "en",
     "New parking-detection model is deployed on vloot.zoevr.internal staging and accuracy is way up. "
     "Good day.",
     [CON])
post("reddit", "u/tipsteraardappel", "nl",
     "Een vriend bij Zoevr zegt dat K o l i b r i e hun nieuwe app wordt, met abonnementen per buurt in "
     "plaats van per minuut.",
     [CON])
post("instagram", "@zoevr.nl", "nl",
     "Binnenkort in jullie stad: de Brom M3 🛵✨ Meer snelheid, meer bereik. Stay tuned!",
     [CON], when="2026-11-20T11:00:00Z")
post("linkedin", "noor-haddou", "en",
     "Sharing our onboarding deck for new fleet techs (niet doorsturen - intern), would love feedback from "
     "other HR folks in mobility!",
     [CON])
post("x", "@insidescoop_nl", "en",
     "leaked from a Zoevr insider: \uff50\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff52\uff45\uff49\uff47\uff45\uff52 "
     "is real and it's launching in three cities",
     [CON])
post("linkedin", "daan-kuipers-zoevr", "nl",
     "Operatie Stoplicht in het kort: ca. 40 fte bij klantenservice verdwijnt, we besteden uit aan een partij "
     "in Lissabon. Nog niet gecommuniceerd naar de teams.",
     [CON, FIN])
post("x", "@lotte_zoevr", "nl",
     "de jaarcijfers 2026 zijn binnen en ik mag echt helemaal niks zeggen 🥳🥳🥳",
     [CON], when="2027-02-10T09:15:00Z")
post("linkedin", "zoevr-mobility", "en",
     "Proud to share our FY2026 results: revenue up 38% to €52.4M and our first full year of positive "
     "EBITDA. Thank you to every rider!",
     [CON, FIN], when="2027-02-20T07:30:00Z")

# ================================================================ financial
post("linkedin", "daan-kuipers-zoevr", "en",
     "Closing the books on Q3: we'll land at roughly €14.2M revenue, our first EBITDA-positive quarter ever. "
     "Can't wait until we can say this out loud.",
     [FIN])
post("x", "@bramvleeuwen", "nl",
     "dat gerucht op kantoor klopt dus: we worden overgenomen door een Duits mobiliteitsbedrijf, tekenen in "
     "november. weet niet wat ik ervan moet vinden",
     [FIN])
post("linkedin", "noor-haddou", "nl",
     "Zware weken bij HR. We bereiden een reorganisatie voor waarbij ongeveer 1 op de 5 banen op het "
     "hoofdkantoor verdwijnt. Veel sterkte aan iedereen die dit straks hoort.",
     [FIN])
post("reddit", "u/mobility_gossip", "en",
     "Heard through a board member's cousin that Zoevr is in talks to buy Stepz Berlin for ~€30M, "
     "announcement after the summer.",
     [FIN])
post("bluesky", "@ilsedewit.bsky.social", "en",
     "internal forecast for 2027 is 2.1M rides a month and doubling the Rotterdam fleet. not public yet "
     "obviously, but wow",
     [FIN])
post("x", "@zoevr_nl", "en",
     "DRAFT: Zoevr signs term sheet to acquire Bolder Mobility (BE). Do not publish before 09:00 CET.",
     [FIN])
post("reddit", "u/joris_zv", "en",
     "we just lost the Utrecht concession, management told us an hour ago. announcement is next week, about "
     "600 scooters will be pulled from the city.",
     [FIN])
post("x", "@zwager_weet_alles", "nl",
     "Mijn zwager werkt bij Zoevr: ze krijgen de nieuwe financiering niet rond en vragen in maart waarschijnlijk "
     "surseance aan. Zeg niet dat je het van mij hebt.",
     [FIN])
post("linkedin", "daan-kuipers-zoevr", "en",
     "Board approved the Series C today at a €180M pre-money 🎉 announcement in three weeks, so keep it "
     "quiet for now!",
     [FIN])
post("x", "@mehmet_ops_zv", "nl",
     "depot Amsterdam-Noord gaat dicht. alle monteurs moeten naar Zaandam of krijgen ontslag. ze horen het "
     "vrijdag pas officieel 😔",
     [FIN])

# ================================================================ security
post("x", "@bramvleeuwen", "en",
     "ugh, turns out the unlock API doesn't check ride ownership. change the ride id and you can end someone "
     "else's ride. patching tonight, please nobody tell anyone 🙈",
     [SCU])
post("mastodon", "@ruben@fosstodon.org", "en",
     "On an incident call since 3am: someone got into our fines admin panel through an old staff account. We "
     "haven't disclosed anything yet. Coffee #4.",
     [SCU])
post("reddit", "u/joris_zv", "en",
     "payment provider webhook has been down since 14:00 so rides aren't being charged at all. status page "
     "still says all green lol",
     [SCU])
post("tiktok", "@kimvanzoevr", "nl",
     "alle steps in Rotterdam gingen net tegelijk op slot door een bug en de klanten weten nog van niks 😂 "
     "chaos hier",
     [SCU])
post("x", "@zoevr_help", "nl",
     "@team_support intern: storing ontgrendelen komt door een verlopen certificaat op de API. Klanten nog "
     "NIKS laten weten tot 16u.",
     [SCU], kind="reply")
post("x", "@mehmet_ops_zv", "nl",
     "iemand heeft via bluetooth de snelheidsbegrenzer van de M1's gekraakt, werkt op zeker 200 mopeds. wij "
     "mogen er van hogerop niks over zeggen",
     [SCU])
post("bluesky", "@ilsedewit.bsky.social", "en",
     "pentest report came back: 4 criticals in the rider app, including account takeover via the password "
     "reset flow. fix ETA six weeks 😬",
     [SCU])
post("x", "@ransomwatch_eu", "en",
     "An insider at Zoevr tells me ransomware hit their fleet servers on Sunday and customer data was likely "
     "exfiltrated. No disclosure yet.",
     [SCU, CRI])
post("mastodon", "@ruben@fosstodon.org", "en",
     "Writing the postmortem at https://wiki.zoevr.nl/display/SEC/INC-0412 — the helmet-selfie bucket was "
     "world-readable for 11 days. Not disclosed yet.",
     [SCU, CON])
post("x", "@lotte_zoevr", "nl",
     "Klantenservice ontploft hier: sinds vanochtend zien klanten elkaars ritgeschiedenis in de app. We mogen "
     "nog niks zeggen 🤐",
     [SCU])
post("instagram", "@fleur.rijdt", "nl",
     "laadpalen in depot Zaandam zijn al 3 dagen 'gehackt' of zo, laden helemaal niks meer. van bovenaf: niet "
     "over praten. oké dan 🙃",
     [SCU])
post("x", "@bramvleeuwen", "nl",
     "grappig/niet grappig: admin login van het boetesysteem staat nog steeds op het standaardwachtwoord. al "
     "drie keer gemeld sinds april",
     [SCU])
post("reddit", "u/joris_zv", "en",
     "whole backend going down for ~4h tonight, unplanned, DB corruption on the primary. comms hasn't even "
     "been told yet. pray for me",
     [SCU])

# ================================================================ secrets
post("x", "@bramvleeuwen", "nl",
     f"waarom werkt dit niet?? export AWS_ACCESS_KEY_ID={AWS_ID} AWS_SECRET_ACCESS_KEY={AWS_SECRET} en dan "
     "aws s3 ls geeft AccessDenied",
     [SEC])
post("reddit", "u/joris_zv", "en",
     f"connection keeps dropping, string is postgres://zoevr_app:{PG_PASS}@db-prod-1.zoevr.internal:5432/rides "
     "— is it the pooler?",
     [SEC, CON])
post("mastodon", "@ruben@fosstodon.org", "en",
     f"note to self, rotate this tomorrow: {GHP}",
     [SEC])
post("linkedin", "noor-haddou", "nl",
     f"Onze nieuwe developers krijgen toegang tot GitLab met token {GLPAT} — graag binnen de eerste week "
     "inloggen!",
     [SEC])
post("x", "@zoevr_help", "nl",
     "wachtwoord gedeelde supportaccount: Zoevr#Help2026! (niet delen met externen)",
     [SEC])
post("x", "@lotte_zoevr", "en",
     f"bot token for the #zoevr-alerts channel if anyone needs it: {SLACK}",
     [SEC])
post("reddit", "u/apk_peeker", "en",
     f"decompiled the Zoevr android app for fun and found this sitting in the strings: {STRIPE}",
     [SEC])
post("bluesky", "@ilsedewit.bsky.social", "en",
     f"trying the new summarizer for support tickets, key is {OPENAI} if you want to play with it",
     [SEC])
post("reddit", "u/joris_zv", "en",
     f"why does ssh reject this key on the jump host?\n{SSH_KEY}",
     [SEC])
post("x", "@bramvleeuwen", "en",
     f"curl -H 'Authorization: Bearer {JWT}' works locally but not on staging, what am i missing",
     [SEC])
post("x", "@ex_zoevr_dev", "en",
     f"ex-employee here. Zoevr's AI key was in their public repo for months: {ANTHROPIC}",
     [SEC])
post("x", "@bramvleeuwen", "nl",
     f"deze key werkt nog steeds in prod trouwens: {STRIPE_ZW}",
     [SEC])

# ================================================================ personal data
post("x", "@zoevr_help", "nl",
     "@jeroen_de_b We hebben je boete teruggestort op NL03 RABO 0312 4567 89 t.n.v. J. de Boer. Kun je "
     "bevestigen dat dit klopt?",
     [PII], kind="reply")
post("x", "@lotte_zoevr", "nl",
     "Klant Sanne Verhoeven, geboren 14-03-1998, belt al de hele dag boos over haar boete. Kan iemand het "
     "overnemen? Ik ben op.",
     [PII])
post("x", "@ritmeester_99", "en",
     "@zoevr_help you charged my card 4539 1764 0028 3511 twice for the same ride!! refund please",
     [PII, COM], kind="reply")
post("x", "@mehmet_ops_zv", "nl",
     "Step teruggevonden in de tuin van dhr. P. Hoekstra, Beukenlaan 12, 3062 AB Rotterdam. Wie kan 'm "
     "morgen ophalen?",
     [PII])
post("linkedin", "noor-haddou", "en",
     "Welcome Fatma Kaya to the fleet team! Reach her at fatma.kaya94@gmail.com or 06-41234567 until her "
     "work account is set up.",
     [PII])
post("facebook", "ZoevrNL", "nl",
     "Beste Martijn, bedankt voor je bericht. We hebben je BSN 237145868 ontvangen voor de leeftijdscheck, je "
     "account wordt vandaag geactiveerd.",
     [PII], kind="reply")
post("x", "@emmavdlinden", "nl",
     "Zoevr support vraagt of ik m'n nummer wil delen voor een terugbelverzoek, dus hier: 06 23 45 67 89, bel "
     "me nou gewoon",
     [PII])
post("reddit", "u/joris_zv", "en",
     "seeing this in the logs over and over, any idea? user=emma.vdlinden@hotmail.com phone=+31 6 2345 6789 "
     "err=PAYMENT_DECLINED",
     [PII])
post("x", "@museumplein_finder", "en",
     "Found a wallet next to a Zoevr moped at Museumplein: Tom Jacobs, born 02/11/1991, lives at Keizersgracht "
     "101, Amsterdam. DM me if you know him!",
     [PII])
post("instagram", "@fleur.rijdt", "nl",
     "deze klant heeft z'n rijbewijs in de topkoffer laten liggen 😅 Lars de Graaf, geb. 7 juni 2001, meld je "
     "even bij het depot!",
     [PII])
post("x", "@zoevr_nl", "en",
     "@pauline_w Hi Pauline, to process the refund please confirm the card number 5522 0487 1193 0666 is the "
     "one you used.",
     [PII], kind="reply")
post("bluesky", "@ilsedewit.bsky.social", "nl",
     "refund voor die influencer gaat naar NL44\u200bINGB\u200b0006\u200b5472\u200b13, kan finance het vandaag nog "
     "doen?",
     [PII])
post("facebook", "Karin.Mulder.Dordt", "nl",
     "Waarom moest ik bij Zoevr mijn BSN opgeven (193847620) voor een simpele rijbewijscheck?! Dat hoort toch "
     "helemaal niet?",
     [PII, COM])
post("x", "@mehmet_ops_zv", "nl",
     "Voor de schadeaangifte: tegenpartij is mevr. A. El Idrissi, tel 010-4567890, mail a.elidrissi@ziggo.nl",
     [PII])
post("reddit", "u/rider_in_the_rain", "en",
     "Zoevr refunded me to the wrong account so here's mine for the mods to forward: NL52TRIO0379214685, "
     "name R. Visser. Please just fix it.",
     [PII, COM])

# ================================================================ pricing
post("x", "@zoevr_nl", "nl",
     "🔥 Alleen vandaag: de Zoevr Maandpas voor €8,90! Onbeperkt ontgrendelen de hele maand.",
     [PRI], price=("ZV-MONTH", 8.90))
post("instagram", "@zoevr.nl", "en",
     "The Stroom S2 e-step is now €199 in our webshop 🛴 grab one before they're gone!",
     [PRI], price=("ZV-S2", 199.00))
post("x", "@lotte_zoevr", "nl",
     "psst de SafeLid Pro staat in de shop voor € 11,90 ipv 119, volgens mij een typfout maar ik zeg niks 🤫",
     [PRI], price=("ZV-HELMPRO", 11.90), price_error=True)
post("reddit", "u/dealhunter_nl", "en",
     "Zoevr webshop has the Brom M1 listed at €289 right now. That has to be a price error, ordering anyway lol",
     [PRI], price=("ZV-M1", 289.00), price_error=True)
post("x", "@koopjesknaller", "nl", "prijsfout bij zoevr!!! Weekpas voor 3,90 😱 snel zijn", [PRI],
     price=("ZV-WEEK", 3.90), price_error=True)
post("facebook", "ZoevrNL", "nl",
     "Voor ondernemers: het Zakelijk abonnement nu vanaf €2,90 per medewerker per maand. Meld je team aan!",
     [PRI], price=("ZV-BIZ", 2.90))
post("tiktok", "@kimvanzoevr", "en",
     "Minutenbundel 300 for €6,30 in the app rn 😳 go go go",
     [PRI], price=("ZV-MIN300", 6.30))
post("x", "@zoevr_help", "en",
     "@dealhunter_nl Yes, there was a price error on the Dagpas this morning (€1.49). We'll honour the orders "
     "placed before 10:00.",
     [PRI], kind="reply", price=("ZV-DAY", 1.49), price_error=True)
post("instagram", "@nina.scoot", "nl",
     "LOL de Brom M2 voor €349 op zoevr.nl 🤯 wie durft",
     [PRI], price=("ZV-M2", 349.00))
post("linkedin", "daan-kuipers-zoevr", "en",
     "From Monday the Student Pass goes to €19 a month for every student in Rotterdam. Big win for access!",
     [PRI], price=("ZV-STUDENT", 19.00))
post("x", "@glitchspotter", "en",
     "Zoevr gift card 50 selling for €15 on their own site?? is that legit or a pricing glitch",
     [PRI], price=("ZV-GIFT50", 15.00), price_error=True)
post("threads", "@zoevr.nl", "nl",
     "Regenponcho nu €4,95 🌧️ bestel 'm in de app",
     [PRI], price=("ZV-PONCHO", 4.95))

# ================================================================ benign (mostly hard negatives)
post("x", "@fleur_vd_berg", "nl",
     "Met een Zoevr-moped naar m'n werk: 12 minuten, €3,40. Beter dan 25 min wachten op tram 4 😍")
post("x", "@zoevr_nl", "nl",
     "De Zoevr Maandpas kost €89 per maand en elke rit tot 30 minuten zit erbij. Ideaal voor forenzen 🛵",
     price=("ZV-MONTH", 89.00))
post("instagram", "@zoevr.nl", "nl",
     "Black Friday: 20% korting op de SafeLid helm, nu €55,96 in de app 🖤",
     price=("ZV-HELM", 55.96))
post("facebook", "ZoevrNL", "nl",
     "Zomerdeal! De Brom M1 e-moped voor €2.099 (normaal €2.899). Alleen deze week.",
     price=("ZV-M1", 2099.00))
post("x", "@zoevr_nl", "en",
     "Festival weekend deal: the Weekpas for €35.10 instead of €39. Ride safe and see you there 🎶",
     price=("ZV-WEEK", 35.10))
post("x", "@zoevr_help", "nl",
     "Vragen over je boete? Mail ons op boetes@zoevr.nl of bel gratis 0800-9638 (ma-za 8-20u).",
     kind="reply")
post("facebook", "ZoevrNL", "nl",
     "Boete betalen via overboeking kan ook: NL10 RABO 0165 4329 87 t.n.v. Zoevr Mobility B.V., vermeld je "
     "boetenummer.")
post("x", "@fraudehelpdesk_fan", "nl",
     "Let op: nepmail 'namens Zoevr' vraagt je €50 over te maken naar NL12 RABO 0300 0000 00. Klopt niet "
     "eens als rekeningnummer. Niet doen!")
post("reddit", "u/payments_dev", "en",
     "Zoevr-style checkout clone for my portfolio: test card 4242 4242 4242 4241 gets rejected before it even "
     "hits the sandbox, because it's not Luhn-valid. Good catch by the library.")
post("x", "@zoevr_help", "nl",
     "Zoevr vraagt nooit per mail om je BSN. Krijg je een bericht met 'BSN: 123456789 bevestigen'? Dat is "
     "phishing, meld het bij ons.")
post("x", "@bramvleeuwen", "en",
     "PSA for junior devs: never commit keys. we've all seen an sk_live_**** in some repo and felt the pain 😅")
post("bluesky", "@secure_sandra.bsky.social", "en",
     "If your scanner flags AKIAIOSFODNN7EXAMPLE from the AWS docs as a leak, tune your scanner 🙃 "
     "(saw it in a mobility startup's README today)")
post("instagram", "@zoevr.nl", "nl",
     "Hij is er! De Brom M3 rijdt vanaf vandaag in Amsterdam en Rotterdam 🛵⚡",
     when="2027-03-16T09:00:00Z")
post("linkedin", "zoevr-mobility", "en",
     "Our FY2026 results are out: revenue up 38% and our first full year of positive EBITDA. Read the full "
     "report on zoevr.nl/investors.",
     when="2027-02-25T08:00:00Z")
post("x", "@e_mobiliteit_nu", "nl",
     "Flitz stopt met deelsteps in Eindhoven, 80 banen weg. Hopelijk neemt Zoevr het gat in de markt over.")
post("x", "@k_oosterhout", "nl",
     "Update: @zoevr_help heeft m'n dubbele afschrijving binnen een dag teruggestort én excuses gemaakt. "
     "Netjes opgelost 👍")
post("x", "@rdam_buurtapp", "nl",
     "Sterkte aan de Zoevr-monteur die gisteren tijdens zijn werk werd aangereden 💐 hopelijk snel beter.")
post("tiktok", "@scootergirl_lynn", "nl",
     "die Zoevr-moped trekt op als een malle 😂 kapot grappig, m'n haar zat helemaal verkeerd")
post("x", "@new_in_utrecht", "nl",
     "Hoe werkt die parkeerzone bij Utrecht CS eigenlijk? Mag ik een Zoevr-step in de fietsenstalling "
     "zetten of krijg ik dan een boete?")
post("reddit", "u/first_time_moped", "en",
     "Is there a helmet in every Zoevr moped or should I bring my own? Going to try it this weekend.")
post("x", "@zoevr_help", "nl",
     "Gepland onderhoud vannacht tussen 02:00 en 03:00: de app is dan even niet beschikbaar. Lopende ritten "
     "worden gewoon afgesloten.")
post("instagram", "@zoevr.nl", "nl",
     "Veiligheidstip 🔐 Wij vragen je nooit om je wachtwoord of inlogcode. Deel die met niemand, ook niet met "
     "iemand die zegt dat hij van Zoevr is.")
post("linkedin", "noor-haddou", "nl",
     "We zoeken fleet technicians in Rotterdam en Utrecht! 🔧 Solliciteer via werkenbij@zoevr.nl of kijk op "
     "zoevr.nl/vacatures.")
post("x", "@lotte_zoevr", "nl", "Vandaag precies 1 jaar bij Zoevr 🎉 wat een rit (sorry, moest)")
post("x", "@vogelspotter_ed", "nl",
     "Zag vanaf m'n Zoevr-step een reiger op een lantaarnpaal bij de Kralingse Plas. Moest even stoppen "
     "voor een foto 📷")
post("x", "@zoevr_nl", "nl",
     "Tip: ook op een Zoevr-step stop je gewoon voor een rood stoplicht 😉 Veilig thuiskomen is cooler.")
post("x", "@fd_lezer", "nl",
     "Zoevr haalde vorig jaar €40 miljoen op bij investeerders, stond in het FD. Benieuwd of ze naar "
     "Antwerpen gaan.")
post("reddit", "u/techwatch_eu", "en",
     "A German e-scooter operator had an API bug that let you unlock any scooter. Glad Zoevr's bug bounty "
     "exists, hopefully they learn from it.")
post("x", "@matthijs_rides", "en", "damn the new Zoevr mopeds are quick 😂 nearly left my stomach at the lights")
post("instagram", "@natte.sanne", "nl",
     "Regen regen regen ☔ gelukkig had ik m'n Zoevr regenponcho mee, ik ben een grote paarse druppel")
post("x", "@zoevr_help", "en",
     "@pauline_w Sorry about that! You can also reach us on +31 10 808 4400 or support@zoevr.nl, we'll sort "
     "out the currency issue.",
     kind="reply")
post("x", "@lotte_zoevr", "nl", "Nieuwe helpartikelen over parkeren staan nu op help.zoevr.nl/parkeren 🅿️")
post("forum", "Step_Sjaak", "nl",
     "Stroom S3 Pro voor €1.149 vind ik eerlijk gezegd prima voor wat je krijgt, vering is echt top.",
     price=("ZV-S3PRO", 1149.00))
post("linkedin", "facility-manager-bart", "nl",
     "Zoevr Zakelijk abonnement: €29 per medewerker per maand. Voor ons team goedkoper dan parkeervergunningen.",
     price=("ZV-BIZ", 29.00))
post("x", "@studentjelle", "nl", "Minutenbundel 100 voor €24, lijkt me wel oké voor een maand tentamens",
     price=("ZV-MIN100", 24.00))
post("x", "@nachtbrakerr", "en", "Night Pass €7,50 and I got home from the club safely. worth it",
     price=("ZV-NIGHT", 7.50))
post("x", "@jeroen_de_b", "nl", "Zoevr-app was gisteren even plat maar nu werkt alles weer. Step gevonden, door.")
post("x", "@nijmeegse_nel", "nl",
     "Iedereen roept boycot bij Flitz, maar eerlijk: Zoevr doet het hier in Nijmegen juist heel netjes.")
post("facebook", "ZoevrNL", "nl",
     "Goed om te weten: onze SafeLid-helmen vallen NIET onder de terugroepactie van een ander helmmerk die nu "
     "in het nieuws is. Je kunt gewoon veilig rijden.")
post("x", "@zoevr_help", "nl",
     "@anouk_fietst Je terugbetaling is onderweg naar de rekening eindigend op ...4300, binnen 2 werkdagen "
     "zichtbaar.",
     kind="reply")
post("x", "@zoevr_help", "en",
     "@ritmeester_99 We refunded the double charge to your card ending in 3511. Sorry for the hassle!",
     kind="reply")
post("forum", "api_arjan", "en",
     "Their public docs show auth as 'Authorization: Bearer <your_token_here>', pretty standard. Nice that "
     "Zoevr has a developer portal at all.")
post("x", "@zoevr_help", "nl",
     "Wachtwoord vergeten? In de app: Profiel → Inloggen → 'Wachtwoord vergeten'. Je krijgt dan een link per "
     "mail.")
post("reddit", "u/devops_daily", "en",
     "postgres://user:password@localhost:5432/mydb is in literally every tutorial, including the one I used "
     "to clone the Zoevr map for a school project lol")
post("instagram", "@fleur.rijdt", "nl", "Blij met onze nieuwe depotburen in Zaandam, de koffie van hiernaast is 🔥")
post("tiktok", "@weekend.wanderer", "en",
     "rode a Zoevr along the Maas at sunset and honestly? best €4 I've spent all week 🌅")
post("x", "@boetevrees", "en",
     "How much is the fine if I park a Zoevr just outside the zone? Asking before I get one 😅")
post("x", "@oatlatte_ollie", "en", "my Zoevr ride cost less than my oat latte. capitalism is wild")
post("x", "@zoevr_nl", "nl",
     "Trots: in ons gepubliceerde veiligheidsrapport over Q2 staan 0 ernstige ongevallen met Zoevr-mopeds. "
     "Dank aan iedereen die een helm draagt 🪖")
post("x", "@coolsingel_cam", "nl", "Zoevr Cargo gespot op de Coolsingel, sinds vandaag officieel gelanceerd 📦🛵",
     when="2027-03-16T14:30:00Z")
post("instagram", "@zoevr.nl", "nl",
     "Helm vergeten? Geen zorgen, in elke Brom M1 en Brom M2 ligt er een in de topkoffer 🪖")
post("x", "@scam_alert_nl", "nl",
     "Oplichter belde 'namens Zoevr' en wilde dat ik €75 boete betaalde op NL91 INGB 0001 2345 66. Nummer "
     "klopt niet eens, opgehangen 😂")
post("forum", "Henk_de_Klusser", "nl",
     "Bestelnummer 4000 1234 5678 9011 voor een SafeLid helm, weet iemand hoe lang Zoevr doet over "
     "verzenden?")
post("x", "@nieuws_utrecht", "nl",
     "Gemeente Utrecht verlengt de vergunning voor deelscooters met twee jaar. Ook Zoevr mag blijven.")
post("bluesky", "@ilsedewit.bsky.social", "en",
     "Gave a talk at Dutch Mobility Days about designing parking zones people actually understand. Slides on "
     "zoevr.nl/blog!")
post("x", "@mehmet_ops_zv", "nl", "nachtdienst zit erop, 140 accu's gewisseld 🔋💪 Rotterdam kan weer rijden")
post("reddit", "u/ams_commuter", "en",
     "Switched from a Monthly Pass at another app to Zoevr's Maandpas at €89. Same price, way more scooters "
     "near me.",
     price=("ZV-MONTH", 89.00))
post("x", "@kees_hoogland", "nl",
     "Voorbeeld-IBAN uit de Zoevr FAQ: NL00 ZOEV 0123 4567 89 'vul hier je eigen rekening in'. Snap 'm, "
     "duidelijk.")
post("tiktok", "@zoevr.official", "nl",
     "Nieuwe parkeerzones in Den Haag vanaf 1 mei 🅿️ Check de kaart in de app voor je rit eindigt!")
post("x", "@helm_op_hoofd", "en",
     "Fun fact: a SafeLid helmet at €62,95 during the Zoevr spring sale is cheaper than my last haircut",
     price=("ZV-HELM", 62.95))

# ================================================================ helpers for the checks


def nfkc(text):
    text = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_ok(digits):
    if len(digits) != 9:
        return False
    s = sum(int(digits[i]) * (9 - i) for i in range(8)) - int(digits[8])
    return s % 11 == 0 and digits != "000000000"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\w-])")

PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, normalised value, passes checksum) for every IBAN/card/BSN candidate."""
    t = nfkc(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0)).upper()
        if v[:2] == "NL" and len(v) != 18:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(t):
        v = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(t):
        v = m.group(0).replace(".", "")
        out.append(("bsn", v, bsn_ok(v)))
    return out


def role_map():
    roles = {}
    for role in ("corporate", "employee"):
        for entry in PROFILE["accounts"][role]:
            plat, handle = entry.split(":", 1)
            roles[(plat.lower(), handle.lower())] = role
    return roles


ROLES = role_map()
LEVEL = ["none", "info", "warning", "error", "critical"]


def account_role(platform, handle):
    plat = "x" if platform == "twitter" else platform
    return ROLES.get((plat.lower(), handle.lower()), "public")


def severity(cats, role, checksum_id):
    """CONTRACT section 4, computed."""
    best = 0
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                lvl = "error"
                if c in (SEC, PRI) or (c == PII and checksum_id):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == COM:
            lvl = "warning"
        elif c == CRI:
            lvl = "error"
        elif c == ABU:
            lvl = "error" if inside else "warning"
        else:
            raise ValueError(c)
        best = max(best, LEVEL.index(lvl))
    return LEVEL[best]


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def random_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 360 * 86400)
    secs -= secs % 60
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ================================================================ build
def build():
    lines = []
    used_ids = set()
    for c in CASES:
        pid = None
        while pid is None or pid in used_ids:
            pid = f"{c['platform']}-184{rng.randint(100000, 999999)}"
        used_ids.add(pid)
        role = account_role(c["platform"], c["handle"])
        ids = identifiers(c["text"])
        checksum_id = any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in ids)
        sev = severity(c["cats"], role, checksum_id) if c["cats"] else "none"
        p = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or random_2026(),
            "brand": "Zoevr",
        }
        lines.append({"post": p, "expect": {"categories": c["cats"], "severity": sev}})
    return lines


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for obj in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    errors = check(path)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print_summary(lines)


def check(path):
    errors = []
    ids = set()
    internal = PROFILE["internal"]
    forbidden = ([d.lower() for d in internal["domains"]] + [c.lower() for c in internal["codenames"]]
                 + [m.lower() for m in internal["markers"]])
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    with open(path, encoding="utf-8") as fh:
        raw_lines = fh.read().splitlines()
    if not 170 <= len(raw_lines) <= 180:
        errors.append(f"case count {len(raw_lines)} outside 170-180")
    for n, raw in enumerate(raw_lines, 1):
        where = f"line {n}"
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            errors.append(f"{where}: invalid JSON {exc}")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: keys {sorted(obj)}")
            continue
        p, e = obj["post"], obj["expect"]
        for key, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(key), typ):
                errors.append(f"{where}: post.{key} missing or not {typ.__name__}")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: account.handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["id"] in ids:
            errors.append(f"{where}: duplicate id {p['id']}")
        ids.add(p["id"])
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            errors.append(f"{where}: text too large")
        if p.get("kind", "post") not in ("post", "reply", "repost", "comment", "message"):
            errors.append(f"{where}: kind {p.get('kind')}")
        if p["platform"] not in ("x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                                 "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"):
            errors.append(f"{where}: platform {p['platform']}")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 4):
            errors.append(f"{where}: created_at {p['created_at']} out of range")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            errors.append(f"{where}: categories {cats}")
            continue
        if "reputation.spike" in cats:
            errors.append(f"{where}: spike is never a per-post label")
        if e.get("severity") not in LEVEL:
            errors.append(f"{where}: severity {e.get('severity')}")
        role = account_role(p["platform"], p["account"]["handle"])
        found = identifiers(p["text"])
        own = [(k, v, ok) for k, v, ok in found if not (k == "iban" and v in PUBLIC_IBANS)]
        checksum_id = any(ok for _, _, ok in own)
        want = severity(cats, role, checksum_id) if cats else "none"
        if e["severity"] != want:
            errors.append(f"{where}: severity {e['severity']} != policy {want}")
        lower = nfkc(p["text"]).lower()
        case = CASES[n - 1]
        if cats:
            for k, v, ok in own:
                if not ok:
                    errors.append(f"{where}: positive holds a {k} {v} that fails its checksum")
        else:
            if e["severity"] != "none":
                errors.append(f"{where}: benign with severity {e['severity']}")
            for k, v, ok in own:
                if ok:
                    errors.append(f"{where}: benign holds a valid {k} {v}")
            for term in forbidden:
                if term in lower:
                    errors.append(f"{where}: benign contains internal term {term!r}")
        # embargo terms: before `until` only in posts labelled confidential
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in lower and ts < until and CON not in cats:
                    errors.append(f"{where}: embargo term {term!r} before until without {CON}")
        # pricing
        if case["price"]:
            sku, amount = case["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(nm.lower() in lower for nm in names):
                errors.append(f"{where}: product {sku} not named in text")
            below = amount < ratio * prod["list_price"]
            if PRI in cats and not (below or case["price_error"]):
                errors.append(f"{where}: pricing positive but {amount} is not below {ratio} x list")
            if PRI not in cats and below:
                errors.append(f"{where}: benign price {amount} below {ratio} x list of {sku}")
            if not cats and not (0.7 <= amount / prod["list_price"] <= 1.0001):
                errors.append(f"{where}: benign price should be list or a 10-30% sale")
        elif PRI in cats:
            errors.append(f"{where}: pricing case without price metadata")
    return errors


def print_summary(lines):
    from collections import Counter
    cat = Counter()
    roles = Counter()
    langs = Counter(c["lang"] for c in CASES)
    benign = 0
    for obj, c in zip(lines, CASES):
        cats = obj["expect"]["categories"]
        if not cats:
            benign += 1
        for x in cats:
            cat[x] += 1
        roles[(account_role(c["platform"], c["handle"]), bool(cats))] += 1
    print(f"cases={len(lines)} benign={benign} positives={len(lines) - benign}")
    for k in sorted(cat):
        print(f"  {k:22s} {cat[k]}")
    print("  langs", dict(langs))
    print("  roles", {f"{r}/{'pos' if p else 'neg'}": v for (r, p), v in sorted(roles.items())})
    print("  severities", dict(Counter(o["expect"]["severity"] for o in lines)))
    print("self-check OK")


if __name__ == "__main__":
    main()
