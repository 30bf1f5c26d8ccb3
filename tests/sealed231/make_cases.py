#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed231 (Kelderzaal Music B.V.).

Deterministic: a fixed seed drives every random value (dates, identifiers, credentials).
Post texts are hand-written; placeholders like {IBAN} or {GHP} are filled with freshly
generated values built the way the real ones are (with their checksums).
Severities are never typed: they follow CONTRACT section 4 from the account role that the
profile gives to platform:handle. The script self-checks its output and exits non-zero on
any problem.
"""
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
import zlib

import yaml

SEED = 231
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

CATS = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

S, P, F, C, FI, SE = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                      "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# --------------------------------------------------------------------------------------
# The cases. Each: (categories, platform, handle, lang, kind, date or None, text)
# date None = a seeded random moment in 2026.
# --------------------------------------------------------------------------------------
CASES = [
    # ---------------- complaints ----------------
    ([CO], "x", "@indie_ilse", "nl", "reply", None,
     "@kelderzaal_help al 3 weken wacht ik op mijn uitbetaling van oktober. Dashboard zegt "
     "'verwerkt' maar op mijn rekening staat niks. Hoe lang nog??"),
    ([CO], "x", "@lofi_lucas", "en", "post", None,
     "kelderzaal app crashes every single time i open a playlist with more than 200 tracks. "
     "iPhone 13, latest update. pls fix 🙏"),
    ([CO], "reddit", "u/grimy_synth", "nl", "post", None,
     "Heeft iemand anders ook dat Kelderzaal je offline downloads gewoon wist na een update? "
     "14GB aan albums weg, mag ik alles opnieuw binnenhalen op m'n databundel. Echt waardeloos"),
    ([CO], "instagram", "@hannah_plays_cello", "en", "comment", None,
     "Uploaded my EP to Kelderzaal 11 days ago and it's STILL 'in review'. Release date was "
     "yesterday. Lost my whole promo push. Not impressed."),
    ([CO], "facebook", "gerrit.hoogeveen.52", "nl", "comment", None,
     "Twee keer afgeschreven voor Kelder Familie deze maand. Klantenservice belt niet terug. "
     "Ik wil gewoon mijn €18,99 terug, is dat zo moeilijk"),
    ([CO], "x", "@grumpy_gert", "nl", "post", None,
     "Opzeggen bij Kelderzaal is een doolhof. 6 schermen, 3x 'weet je het zeker?' en dan een "
     "foutmelding. Dark patterns ten top #kelderzaal"),
    ([CO], "tiktok", "@djkeesvdm", "nl", "comment", None,
     "waarom klinkt Kelder Lossless op mijn Galm One slechter dan gewoon bluetooth?? betaal ik "
     "extra voor ruis 🤡"),
    ([CO], "reddit", "u/harborlights_band", "en", "post", None,
     "PSA for other indie artists: Kelderzaal's royalty statement for Q2 doesn't match the "
     "stream counts on the dashboard. We're missing ~40% of plays on the statement. Support "
     "just sends a canned reply."),
    ([CO], "instagram", "@vinylvincent", "nl", "comment", None,
     "Perslijn vinyl besteld in juni, beloofd voor september, het is nu november en nog steeds "
     "geen testpersing. Mails worden niet beantwoord. Teleurgesteld in @kelderzaal.music"),
    ([CO], "facebook", "priya.sings.music", "en", "post", None,
     "Kelderzaal charged my card after I cancelled my Podium Pro trial. Cancelled on the 3rd, "
     "charged on the 5th. I want my money back."),
    ([CO], "x", "@sophie_listens", "nl", "post", None,
     "kz app logt me elke dag uit. elke. dag. wachtwoord opnieuw, 2fa opnieuw. doe normaal "
     "@kelderzaal"),
    # complaint + personal data of the poster
    ([CO, P], "x", "@jorisjammer", "nl", "reply", None,
     "@kelderzaal_help mijn account is gekaapt en het mailadres veranderd. Mijn echte adres is "
     "joris.vanrijn84@gmail.com, bel me aub op 06-41837265, ik kom nergens meer in!!"),
    ([CO, P], "x", "@ellie_on_keys", "en", "reply", None,
     "@kelderzaal_help refund STILL not here after 3 weeks. my IBAN is {IBAN} (E. Brouwer). "
     "just send it please, I'm done waiting"),
    ([CO, P], "facebook", "marieke.dekker.1979", "nl", "comment", None,
     "Al 2 maanden geen reactie op mijn klacht over de dubbele afschrijving. Mijn nummer is "
     "+31 6 2874 1190, bel me maar, dan weten jullie tenminste dat ik besta."),
    ([CO, P], "reddit", "u/throwaway_kz77", "en", "comment", None,
     "Kelderzaal support literally asked me to type my BSN in the chat 'for verification'. it's "
     "{BSN}, whatever, but why does a music app need that?? felt super sketchy"),
    # complaint + abuse
    ([CO, AB], "x", "@klaagkoning", "nl", "post", None,
     "Kelderzaal is echt een kutbedrijf. App ligt er wéér uit en support antwoordt met copy "
     "paste rommel. Stelletje prutsers."),
    ([CO, AB], "x", "@rageq_uit", "en", "reply", None,
     "@kelderzaal_help your support staff are absolute morons. asked 4 times why my playlist "
     "vanished and got 4 different wrong answers. useless idiots"),
    ([CO, AB], "tiktok", "@boze_bart", "nl", "comment", None,
     "die app van jullie is kanker traag, elke keer laden laden laden. fix je shit kelderzaal"),
    ([CO, AB], "reddit", "u/synthwave_sam", "en", "post", None,
     "Kelderzaal's 'artist support' is a joke run by clowns. Three months of missing payouts "
     "and they tell me to 'be patient'. Go fuck yourselves."),
    # complaint + crisis
    ([CO, CR], "x", "@the_harbor_lights", "en", "post", None,
     "We're pulling our whole catalogue from Kelderzaal. 8 months of royalties unpaid, zero "
     "answers. Other artists: check your statements. This is theft. #BoycottKelderzaal"),

    # ---------------- abuse ----------------
    ([AB], "x", "@anon_hater99", "nl", "reply", None,
     "@femke_kz jij bent echt de domste community manager ooit, ga lekker terug naar je kassa "
     "bij de Appie, trut"),
    ([AB], "x", "@trollface_tim", "en", "post", None,
     "kelderzaal staff are a bunch of talentless hipster losers who couldn't make it in music "
     "so now they gatekeep real artists. pathetic"),
    ([AB], "instagram", "@xxdennisxx", "nl", "comment", None,
     "Die Maaike van jullie playlistteam is een arrogante bitch, denkt dat ze god is omdat ze "
     "een lijstje mag vullen @kelderzaal.music"),
    ([AB], "x", "@rubendijkstra_dev", "en", "post", None,
     "lol the guy who keeps filing 'bug reports' about shuffle is a complete moron, someone "
     "please take his keyboard away 🙄"),
    ([AB], "x", "@kelderzaal_help", "nl", "reply", None,
     "@grumpy_gert misschien eerst leren lezen voordat je gaat zeiken, sukkel"),
    # evasion: Cyrillic look-alikes (о, а)
    ([AB], "x", "@wraakmuziek", "nl", "post", None,
     "kelderzaal = stelletje kl\u043eotz\u0430kken. ik h\u043eop dat jullie failliet gaan, "
     "vuile \u043eplichters"),
    # evasion: leetspeak
    ([AB], "x", "@stille_storm", "nl", "reply", None,
     "@femke_kz st0m k4nk3rw1jf, bl0kk m3 m44r, ik v1nd j3 t0ch w3l"),
    ([AB], "x", "@real_patriot_88", "en", "post", None,
     "of course kelderzaal hires people like @amira_ops, diversity hire who can't even spell "
     "linux. send them all back where they came from"),
    # crisis + abuse
    ([CR, AB], "x", "@onrecht_nl", "nl", "post", None,
     "Kelderzaal verkoopt je luistergedrag aan adverteerders, staat gewoon in hun eigen "
     "privacyverklaring. Vuile oplichters, zeg allemaal je abonnement op! #boycotkelderzaal"),

    # ---------------- crisis ----------------
    ([CR], "x", "@musicjournalist_kate", "en", "post", None,
     "Hearing from multiple sources that Kelderzaal user emails + hashed passwords are being "
     "sold on a breach forum. 1.2M records allegedly. @kelderzaal, care to comment?"),
    ([CR], "x", "@onafh_muzikanten", "nl", "post", None,
     "Vandaag dienen wij namens 340 artiesten een rechtszaak in tegen Kelderzaal wegens "
     "structureel te lage uitbetalingen. Persbericht volgt vanmiddag."),
    ([CR], "reddit", "u/streamfarm_exposed", "en", "post", None,
     "Kelderzaal's 'Emerging Artists' playlist is full of AI-generated fake bands that "
     "Kelderzaal owns itself. I traced 23 of them to the same publishing entity. This is a "
     "scandal and nobody is talking about it."),
    ([CR], "tiktok", "@festival_fien", "nl", "post", None,
     "mijn Galm Buds werden héél heet en er zit nu een brandplek op m'n oor 😳 dit is de 3e "
     "die ik hierover zie. @kelderzaal terugroepen die dingen!!"),
    ([CR], "x", "@vinyl_collector_uk", "en", "post", None,
     "My Kelderzaal Galm Draai turntable caught fire on my desk last night. Fire brigade came. "
     "Recall these NOW @kelderzaal"),
    ([CR], "x", "@popjournaal", "nl", "post", None,
     "Kelderzaal onder vuur: artiesten beschuldigen het platform van het stilletjes verwijderen "
     "van protestnummers na druk van een adverteerder."),
    ([CR], "bluesky", "@indiecoalition.bsky.social", "en", "post", None,
     "Boycott Kelderzaal until they pay artists a fair rate. 0.0009 per stream is an insult. "
     "Pull your music, cancel your sub. #KelderzaalBoycott"),
    ([CR], "facebook", "eerlijkestreams", "nl", "post", None,
     "Onze juristen hebben vandaag een kort geding aangespannen tegen Kelderzaal Music B.V. "
     "over de nieuwe artiestenvoorwaarden. Wordt vervolgd."),
    ([CR], "x", "@cyber_sleuth", "en", "post", None,
     "Pretty sure Kelderzaal had a data breach — my kelderzaal-only email alias is suddenly "
     "getting phishing mails addressed with my artist name. Anyone else??"),
    ([CR], "instagram", "@jongerenraad_muziek", "nl", "post", None,
     "Schandaal bij Kelderzaal: medewerkers die intimidatie door een manager meldden zijn "
     "ontslagen. Wij eisen een onafhankelijk onderzoek."),
    ([CR], "x", "@datawatchdog_eu", "en", "post", None,
     "Filed a formal GDPR complaint with the Dutch DPA against Kelderzaal today: they keep the "
     "listening history of deleted accounts for years."),
    ([CR], "x", "@zuurstof_band", "nl", "post", None,
     "Kelderzaal heeft ons nummer in hun tv-reclame gebruikt zonder toestemming. Advocaat is "
     "ingeschakeld. Dit pikken we niet."),
    ([CR], "threads", "@melody.martens", "en", "post", None,
     "the kelderzaal payout scandal keeps getting worse, now a former finance guy says the "
     "'rounding error' was on purpose. absolutely wild"),

    # ---------------- confidential ----------------
    ([C], "threads", "@thijs.kz", "nl", "post", None,
     "Zo trots op het team, Project Nachtegaal ziet er belachelijk goed uit in de laatste "
     "demo. Kan niet wachten tot jullie het zien 👀"),
    ([C], "linkedin", "bas-kuipers-kz", "en", "post", None,
     "Spent the week with our label partners walking them through Operatie Stemvork. The "
     "feedback was incredible. More soon!"),
    ([C], "x", "@femke_kz", "nl", "post", None,
     "screenshotje van de nieuwe artiestendashboard-mockups, beetje KZ-INTERN maar jullie zijn "
     "lief 🙈"),
    ([C], "instagram", "@kelderzaal.music", "nl", "post", "2026-11-03T17:45:00+01:00",
     "Sneak peek 🎧 Galm Buds 2 komen eraan… wie wil er als eerste een? 👇"),
    ([C], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "anyone else's staging login broken? https://backstage.kelderzaal.nl/admin/artists keeps "
     "throwing 502s for me"),
    ([C], "mastodon", "@jelmer@fosstodon.org", "nl", "post", None,
     "Moonlark gaat de manier waarop artiesten hun fans bereiken compleet veranderen. Meer mag "
     "ik niet zeggen 🤐"),
    ([C], "x", "@insider_muziek", "nl", "post", None,
     "Van een vriend bij Kelderzaal gehoord: ze werken aan 'Project Nachtegaal', een eigen "
     "ticketingdienst voor concerten. Launch in het voorjaar."),
    ([C], "x", "@amira_ops", "nl", "post", None,
     "wie heeft de dashboards op grafana.kz-ops.net/d/royalty-latency aangepast? alle panels "
     "zijn leeg"),
    ([C], "reddit", "u/sander_kz_support", "en", "comment", None,
     "our support playbook (literally stamped 'kelderzaal confidential' on every page lol) tells "
     "us to offer 1 free month before any refund. so just ask for the refund twice"),
    # evasion: full-width letters
    ([C], "tiktok", "@dewi.kelderzaal", "nl", "post", None,
     "Wie raadt wat \uff2d\uff4f\uff4f\uff4e\uff4c\uff41\uff52\uff4b is krijgt merch 😏 "
     "#kelderzaal"),
    # evasion: letters split by dots
    ([C], "x", "@rubendijkstra_dev", "nl", "post", None,
     "vandaag eindelijk de eerste build van O.p.e.r.a.t.i.e S.t.e.m.v.o.r.k op m'n telefoon. "
     "sick."),
    # evasion: zero-width characters inside an embargoed term
    ([C], "threads", "@thijs.kz", "en", "post", "2026-10-08T11:02:00+02:00",
     "Pod\u200bium L\u200bive is going to be the game changer for small artists: livestream + "
     "tickets in one place. Q2 2027, you heard it here first"),
    ([C], "x", "@femke_kz", "nl", "post", None,
     "iemand een idee waarom jira.kelderzaal.nl/browse/ART-2291 bij mij op 'geen toegang' "
     "staat? #maandagochtend"),
    ([C], "x", "@kelderzaal", "nl", "post", None,
     "📅 Interne planning: persmoment Moonlark op 12 maart, embargo tot 9:00. Niet RT'en!"),
    # confidential + financial (embargoed results)
    ([C, FI], "linkedin", "noor-hamdaoui-kelderzaal", "en", "post", "2027-01-28T16:20:00+01:00",
     "Closing the books on our FY2026 results this week. Spoiler: revenue up 41% and our first "
     "profitable year ever. So proud of this finance team!"),
    ([C, FI], "x", "@leakywaves", "en", "post", "2026-12-15T21:10:00Z",
     "Kelderzaal's jaarcijfers 2026 apparently show an €11M loss, a friend in their finance "
     "team told me. Expect price hikes in spring."),

    # ---------------- financial ----------------
    ([FI], "linkedin", "noor-hamdaoui-kelderzaal", "nl", "post", None,
     "Mooie kwartaalafsluiting: onze Q3-omzet komt uit op €14,2 mln, ruim boven de prognose. "
     "De officiële cijfers komen pas in november, maar ik ben nu al trots!"),
    ([FI], "threads", "@thijs.kz", "en", "post", None,
     "Between us: we're in final talks to acquire a small Berlin-based distributor. Should "
     "close before summer if legal behaves."),
    ([FI], "linkedin", "joyce-tan-kelderzaal", "nl", "post", None,
     "Zware weken voor de boeg. Volgende maand gaan we van 210 naar ongeveer 160 fte, de teams "
     "weten het zelf nog niet. Sterkte aan iedereen die het gaat raken."),
    ([FI], "x", "@beursbengel", "nl", "post", None,
     "Hoor uit goede bron dat het Franse Soundwell Kelderzaal wil overnemen voor zo'n 90 "
     "miljoen. Nog niet aangekondigd, dus je hoort het hier eerst."),
    ([FI], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "all-hands today: the board wants us cashflow positive by Q2 or they pull the next funding "
     "tranche. vibes are... not great"),
    ([FI], "linkedin", "kelderzaal-music", "nl", "post", None,
     "[CONCEPT – nog niet publiceren] Kelderzaal verwacht voor 2027 een omzetgroei van 35-40% "
     "en een positieve EBITDA vanaf het derde kwartaal."),
    ([FI], "x", "@amira_ops", "nl", "post", None,
     "reorg nieuws: het hele ops-team gaat per 1 maart naar een extern bedrijf. outsourcing "
     "heet dat. nog niet officieel hè 🤫"),
    ([FI], "reddit", "u/sander_kz_support", "en", "comment", None,
     "can't say much but our support centre in Utrecht closes in Q1, everything moves to a "
     "vendor in Lisbon. announcement comes after the holidays."),
    ([FI], "linkedin", "bas-kuipers-kz", "en", "post", None,
     "Term sheet with Northgate Ventures is signed: €22M Series B 🚀 official announcement in "
     "three weeks, so keep it under your hats for now!"),
    ([FI], "reddit", "u/finance_lurker", "en", "comment", None,
     "friend at Kelderzaal says their internal forecast has subscribers dropping 12% next "
     "quarter and they're already planning a price increase. not public yet"),

    # ---------------- security ----------------
    ([SE], "x", "@amira_ops", "nl", "post", None,
     "prod royalty-db ligt al 3 uur plat, we zetten voorlopig niks op de statuspagina tot we "
     "weten wat het is 😬"),
    ([SE], "mastodon", "@jelmer@fosstodon.org", "en", "post", None,
     "Found an IDOR in our artist payout endpoint today: any logged-in user could read another "
     "artist's bank details by changing the id. Patching now, not disclosed yet."),
    ([SE], "x", "@rubendijkstra_dev", "nl", "post", None,
     "lmao iemand heeft gisteren via een oude S3-bucket van ons 40k demo-uploads binnengehaald. "
     "moeten we nog melden bij de AP"),
    ([SE], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "fun fact: our web player still ships with a debug flag that lets you stream any "
     "unreleased track if you know its id. ticket's been open for 4 months 🙃"),
    ([SE], "reddit", "u/sander_kz_support", "en", "comment", None,
     "we're getting like 300 tickets an hour about accounts logged in from Vietnam. credential "
     "stuffing I think. no official word yet so don't quote me"),
    ([SE], "x", "@kelderzaal_help", "nl", "reply", None,
     "@indie_ilse Dank voor je geduld. Intern is bevestigd dat er ongeautoriseerde toegang tot "
     "ons uitbetalingssysteem is geweest, jouw gegevens kunnen betrokken zijn. Dit is nog niet "
     "publiek, dus graag even voor je houden."),
    ([SE], "threads", "@thijs.kz", "en", "post", None,
     "today's 'fun' surprise: a ransomware note on one of our build servers. it's isolated and "
     "we're fine (I think) but wow, what a Monday"),
    ([SE], "instagram", "@maaike.draait", "nl", "post", None,
     "Playlisttool ligt er al de hele dag uit, alle redactionele playlists staan stil. "
     "Officieel ‘gepland onderhoud’ 😂 nou nee hoor"),
    ([SE], "tiktok", "@dewi.kelderzaal", "en", "comment", None,
     "dont tell anyone but half our CDN has been serving corrupted audio since tuesday and we "
     "still have no clue why"),
    ([SE], "x", "@pentest_pim", "nl", "post", None,
     "Pentest bij Kelderzaal afgerond. Hun admin-panel had geen 2FA en nog default "
     "wachtwoorden. Twee maanden later nog steeds niet gefixt trouwens."),
    ([SE], "reddit", "u/kz_ex_contractor", "en", "post", None,
     "Former Kelderzaal contractor here. Their Android app still calls a hardcoded admin "
     "endpoint with no auth. Reported it 2 months ago, nothing happened."),
    # security + confidential
    ([SE, C], "x", "@amira_ops", "en", "post", None,
     "vpn.kelderzaal.nl has been down since 06:00 for everyone, we think the cert auth got "
     "compromised. on-call chaos"),
    ([SE, C], "mastodon", "@jelmer@fosstodon.org", "nl", "post", None,
     "Kwetsbaarheid in onze upload-service (nog geen CVE aangevraagd): path traversal via de "
     "bestandsnaam. Details op wiki.kelderzaal.internal/sec/2026-017"),

    # ---------------- secrets ----------------
    ([S], "x", "@rubendijkstra_dev", "nl", "post", None,
     "kan iemand checken of deze token nog werkt voor de CI? {GHP} ik krijg alleen maar 401s"),
    ([S], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "debugging the deploy script, config below in case anyone spots it:\n"
     "AWS_ACCESS_KEY_ID={AWS}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nregion=eu-west-1"),
    ([S], "mastodon", "@jelmer@fosstodon.org", "en", "post", None,
     "why does the payout api reject this?? Authorization: Bearer {JWT}"),
    ([S], "reddit", "u/sander_kz_support", "en", "comment", None,
     "anyone know why stripe keeps returning 'invalid request' with our key {STRIPE} ? test "
     "mode works fine"),
    ([S], "x", "@amira_ops", "nl", "post", None,
     "slackbot doet raar sinds de migratie, token {SLACK} — iemand?"),
    ([S], "threads", "@thijs.kz", "en", "post", None,
     "weekend project: an AI playlist summariser and it's SO good. export OPENAI_API_KEY={OPENAI} "
     "and go"),
    ([S], "reddit", "u/sander_kz_support", "nl", "comment", None,
     "ssh key van de support-jumpbox, krijg 'permission denied' terwijl hij in authorized_keys "
     "staat:\n{PRIVKEY}"),
    ([S], "tiktok", "@dewi.kelderzaal", "nl", "comment", None,
     "nieuwe social tool! log in met het teamaccount: kelderzaal_social / wachtwoord: {PW} 🙌 "
     "niet doorsturen he"),
    ([S], "x", "@browserdev_ana", "en", "reply", None,
     "@kelderzaal heads up, your Google Maps key is sitting in your public JS bundle: {GOOGLE} "
     "— you might want to rotate that"),
    ([S], "x", "@rubendijkstra_dev", "en", "post", None,
     "gitlab runner refuses to register with {GLPAT} what am I missing"),
    ([S], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "claude wrote half of our migration lol. ANTHROPIC_API_KEY={ANTH} in .env and off we go"),
    ([S, C], "x", "@amira_ops", "nl", "post", None,
     "connection string uit de ops-doc: postgres://royalty_app:{DBPW}@db-prod-2.kelderzaal."
     "internal:5432/royalties werkt die bij jullie nog?"),

    # ---------------- personal data ----------------
    ([P], "x", "@kelderzaal_help", "nl", "reply", None,
     "@marieke_dekker we hebben je retour ontvangen. Ter controle: Marieke Dekker, Lindenlaan "
     "14, 3581 BK Utrecht, klopt dat? De terugbetaling gaat naar {IBAN}."),
    ([P], "x", "@femke_kz", "nl", "post", None,
     "Wie kent Jasper Smit? Geboren 12-03-1991, hij heeft onze demo-wedstrijd gewonnen maar "
     "reageert niet op jaspersmit91@hotmail.com 😅"),
    ([P], "reddit", "u/sander_kz_support", "en", "comment", None,
     "customer keeps calling about his card {CARD} being charged twice, what do I even do "
     "with that"),
    ([P], "linkedin", "joyce-tan-kelderzaal", "nl", "post", None,
     "Welkom aan onze nieuwe collega Daan Verhoef! Voor de salarisadministratie: BSN {BSN}, "
     "start 1 februari. Oeps, verkeerde kanaal 🙈"),
    ([P], "facebook", "KelderzaalMusic", "nl", "comment", None,
     "Hoi Kees, we hebben je gebeld op 06 18 27 45 93 maar kregen geen gehoor. Bel ons gerust "
     "terug!"),
    ([P], "x", "@ouwe_rocker", "nl", "reply", None,
     "@kelderzaal_help kunnen jullie het abonnement gewoon van deze creditcard halen? {CARD} "
     "geldig tot 08/27, H. Bos"),
    ([P], "instagram", "@tessa.tunes_", "nl", "comment", None,
     "won de Kelderzaal ticketactie!! stuur de kaartjes maar naar Tessa Visser, Prinsengracht "
     "201-II, 1015 DT Amsterdam 🥳"),
    ([P], "x", "@amira_ops", "en", "post", None,
     "if anyone sees Sophie from support, her new number is +31 6 3920 1847, she lost her old "
     "phone on the train"),
    ([P], "instagram", "@maaike.draait", "en", "post", None,
     "Happy birthday to our playlist star Ilse Kramer, born 4 May 1996 🎂🎶 go wish her a "
     "good one"),
    ([P], "x", "@kelderzaal", "nl", "post", None,
     "Winnaar van de Galm One: Rik Hendriks uit Zwolle! Rik, we mailen je op "
     "rik.hendriks@ziggo.nl voor je adres 🎉"),
    ([P], "facebook", "annemiek.schouten.7", "nl", "comment", None,
     "Kelderzaal, ik heb mijn nieuwe rekening doorgegeven voor de artiestenuitbetaling: "
     "{IBAN_BE} op naam van A. Schouten. Klopt het nu wel?"),

    # ---------------- pricing ----------------
    ([F], "x", "@kelderzaal", "nl", "post", None,
     "🔥 Deal van de week: Galm One speaker nu voor maar €22,90! Op = op 🔥"),
    ([F], "instagram", "@kelderzaal.music", "nl", "post", None,
     "Artiesten opgelet 🎸 Podium Pro nu voor €7,90 per jaar. Link in bio!"),
    ([F], "x", "@dealjager_nl", "nl", "post", None,
     "PRIJSFOUT? Galm Draai platenspeler staat op kelderzaal.nl voor €37,90 ipv €379. Snel "
     "zijn 🏃‍♂️"),
    ([F], "reddit", "u/bargainbassist", "en", "post", None,
     "Kelderzaal store has the Perslijn Vinyl 100 listed at €135 instead of €1350. pretty sure "
     "it's a typo, ordered two anyway lol"),
    ([F], "x", "@femke_kz", "nl", "post", None,
     "psst, Kelder Jaar kost vandaag €10,90 in de app 🤭 geen idee hoe lang nog"),
    ([F], "tiktok", "@goedkoop_gijs", "nl", "comment", None,
     "galm buds voor 19 euro bij kelderzaal?? moet een fout zijn, 3 besteld 😂"),
    ([F], "threads", "@thijs.kz", "en", "post", None,
     "oops, the Sync Starter Kit went live at €18.90 instead of €189. fixing it now, but do we "
     "honour the orders? 😬"),
    ([F], "x", "@cheapbeats", "en", "post", None,
     "Kelder Familie for €1.89 a month?? price glitch on the Belgian site, grab it while it "
     "lasts"),
    ([F], "facebook", "KelderzaalMusic", "nl", "post", None,
     "Een Studiodag Utrecht boeken? Deze week slechts €24 per dag! 🎙️"),
    ([F], "x", "@pricewatch_nl", "nl", "post", None,
     "Prijsfout in de Kelderzaal webshop: Masterbank 10 credits staan op €4,90. Iemand die weet "
     "of ze dit gaan leveren?"),
    ([F], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "pushed a bugfix and apparently Podium Label now shows €39 instead of €399 on the pricing "
     "page 🙈 rollback incoming"),
    ([F], "instagram", "@bandje_bianca", "nl", "comment", None,
     "Galm Mini gekocht voor €8,90 in de app?! normaal 89 eurie. Is dit echt of krijg ik "
     "straks een mail dat het geannuleerd is"),

    # ---------------- benign (mostly hard negatives) ----------------
    ([], "x", "@muziekmarloes", "nl", "post", None,
     "Update: @kelderzaal_help heeft het binnen een uur opgelost, de uitbetaling staat er "
     "eindelijk op. Dankjewel Femke! 👍"),
    ([], "x", "@lofi_lucas", "en", "post", None,
     "ok the new kelderzaal update actually fixed the crashing. credit where it's due 🙌"),
    ([], "instagram", "@indie_ilse", "nl", "post", None,
     "Mijn eerste single staat op Kelderzaal!! 🥹 link in bio, luister en deel aub "
     "#kelderzaal #nieuwemuziek"),
    ([], "x", "@hannah_plays_cello", "en", "post", None,
     "Kelderzaal's editors put my cello piece on the 'Zondagochtend' playlist. 4k streams in "
     "two days. I'm crying"),
    ([], "x", "@kelderzaal_help", "nl", "post", None,
     "Vragen over je uitbetaling? Mail ons op artiesten@kelderzaal.nl of bel 0800-0535 (ma-vr "
     "9-17u)."),
    ([], "facebook", "KelderzaalMusic", "en", "post", None,
     "Prefer bank transfer for your Merchbox Tour order? Pay to {COMPANY_IBAN} and put your "
     "order number in the description."),
    ([], "x", "@basgitaarbram", "nl", "post", None,
     "Kelderzaal Jaar in de sale, 20% korting: €87,20 ipv €109. Eindelijk overgestapt 😎"),
    ([], "instagram", "@kelderzaal.music", "en", "post", "2026-11-27T08:00:00+01:00",
     "Black Friday 🖤 Galm Buds now €109 (was €139). This weekend only."),
    ([], "reddit", "u/bedroom_producer_jo", "en", "post", None,
     "Is Podium Pro worth €79/year if I only put out 2 singles a year? Coming from another "
     "distributor and trying to figure out the math"),
    ([], "x", "@kelderzaal", "nl", "post", None,
     "Nieuw: Kelder Student voor €5,99 per maand met je studentenmail 🎓"),
    ([], "x", "@grumpy_gert", "nl", "post", None,
     "Tidewave verhoogt alwéér de prijs. Wanneer volgt Kelderzaal? Hopelijk nooit."),
    ([], "x", "@musicjournalist_kate", "en", "post", None,
     "Big news in streaming: Tidewave settles its lawsuit with a group of major labels. "
     "Curious how indie-first players like Kelderzaal will respond."),
    ([], "x", "@noisepop_nina", "nl", "post", None,
     "Boycot Tidewave zolang ze AI-nepartiesten pushen. Ben overgestapt naar Kelderzaal en daar "
     "voelt het tenminste eerlijk."),
    ([], "bluesky", "@privacy_petra.bsky.social", "en", "post", None,
     "Data breach at Tidewave confirmed today. If you reused that password on Kelderzaal or "
     "anywhere else, change it now. Use a password manager, people."),
    ([], "x", "@rotterdamrapper", "nl", "post", None,
     "Lekker nummer van @zuurstof_band op Kelderzaal, die basloop in het refrein is ziek 🔥"),
    ([], "x", "@sophie_listens", "en", "post", None,
     "my kelderzaal year-in-review says i played 'Rain Sounds 10 Hours' 412 times. i am not "
     "ok 😂"),
    ([], "mastodon", "@vogelaar_wim@mastodon.social", "nl", "post", None,
     "Hoorde vanochtend een nachtegaal in Amelisweerd. Mooiste muziek van de week, sorry "
     "Kelderzaal 🐦"),
    ([], "bluesky", "@lotte-codeert.bsky.social", "en", "post", None,
     "PSA for anyone writing docs: always use placeholder keys like AKIAIOSFODNN7EXAMPLE in "
     "examples, never real ones 🙏"),
    ([], "x", "@rubendijkstra_dev", "nl", "post", None,
     "blogpost over hoe we secrets scannen in CI staat live op kelderzaal.nl/tech. Spoiler: "
     "een token ziet er in onze logs nu zo uit: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ([], "x", "@kelderzaal_help", "nl", "post", None,
     "Tip: wij vragen je nooit om je wachtwoord via DM of mail. Krijg je zo'n bericht? Meld "
     "het op privacy@kelderzaal.nl 🔒"),
    ([], "reddit", "u/merch_maker_mo", "en", "post", None,
     "my Stripe dashboard only shows sk_live_**** for the key, how do I hook it up to the "
     "Kelderzaal merch integration?"),
    ([], "bluesky", "@lotte-codeert.bsky.social", "en", "reply", None,
     "that's the example from our public docs: DATABASE_URL=postgres://user:password@localhost"
     ":5432/dev — yes it's literally the placeholder, please stop reporting it 😅"),
    ([], "x", "@synthpop_saar", "nl", "post", None,
     "Waarom pakt het artiestenportaal mijn IBAN niet? {BAD_IBAN} ... oh wacht, twee cijfers "
     "omgedraaid 🤦‍♀️"),
    ([], "x", "@lofi_lucas", "en", "post", None,
     "lol the Kelderzaal checkout rejected my card because I typed {BAD_CARD}, one digit off. "
     "luhn check ftw"),
    ([], "x", "@brabantse_bas", "nl", "post", None,
     "Een fansite vroeg om m'n BSN 😂 heb 123456789 ingevuld. Kelderzaal vraagt dat gelukkig "
     "nergens."),
    ([], "linkedin", "kelderzaal-music", "nl", "post", "2027-03-02T08:00:00+01:00",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet +38% en ons eerste winstgevende jaar. "
     "Dank aan alle artiesten en luisteraars 💚"),
    ([], "instagram", "@kelderzaal.music", "nl", "post", "2027-04-20T10:00:00+02:00",
     "Ze zijn er! Galm Buds 2 vanaf vandaag te bestellen voor €159 🎧"),
    ([], "threads", "@thijs.kz", "en", "post", "2027-04-16T19:30:00+02:00",
     "Podium Live is finally out in the world. Two years of work. Go stream your first show, "
     "I'll be watching 🥲"),
    ([], "x", "@streaming_analyst", "en", "post", "2027-03-01T12:15:00Z",
     "Kelderzaal's FY2026 results look solid. Nice to see an indie-first platform turning a "
     "profit."),
    ([], "x", "@fan_van_femke", "nl", "post", None,
     "Sterkte aan het team van Kelderzaal vandaag, die storing gisteren zag er heftig uit. "
     "Komt goed ❤️"),
    ([], "reddit", "u/atmos_curious", "en", "post", None,
     "does anyone know if Kelderzaal supports Dolby Atmos uploads yet? asking before I pay for "
     "Podium Pro"),
    ([], "x", "@koptelefoonkoen", "nl", "post", None,
     "Welke koptelefoon gebruiken jullie met Kelder Lossless? Twijfel tussen Galm Buds en iets "
     "van Sony"),
    ([], "linkedin", "kelderzaal-music", "nl", "post", None,
     "We zoeken een Senior Backend Engineer (Rust/Go) in Utrecht. Solliciteer via "
     "jobs@kelderzaal.nl 🎶"),
    ([], "linkedin", "joyce-tan-kelderzaal", "en", "post", None,
     "Proud that Kelderzaal was named one of the best places to work in Utrecht this year. "
     "Thanks to everyone who makes this place special."),
    ([], "x", "@priya_stan", "en", "post", None,
     "this new track from @priya.sings absolutely KILLS. on repeat on kelderzaal all day"),
    ([], "x", "@djkeesvdm", "nl", "post", None,
     "Kelderzaal hack: zet crossfade op 6 seconden en je Zondagochtend-playlist wordt één lange "
     "mix. graag gedaan"),
    ([], "instagram", "@noisepop_nina", "en", "post", None,
     "my album artwork 'leaked' because I posted it on my own story by accident lol. anyway "
     "it's out on Kelderzaal friday!!"),
    ([], "x", "@zuurstof_band", "nl", "post", None,
     "Crash van de week: onze drummer die van het podium viel tijdens de Kelderzaal-sessie 😂 "
     "niemand gewond, alleen zijn ego"),
    ([], "x", "@vinylvincent", "en", "post", None,
     "Galm One at €229 is honestly fair for the sound. Paired mine with Kelder Lossless and "
     "it's lovely."),
    ([], "x", "@belgerda", "nl", "post", None,
     "Eindelijk iemand aan de lijn bij +31 30 799 2040, binnen 2 minuten geholpen. Zo kan het "
     "dus ook!"),
    ([], "tiktok", "@kelderzaal", "en", "post", None,
     "POV: you're an indie artist and your first Kelderzaal payout hits 💸 #indieartist"),
    ([], "x", "@musicjournalist_kate", "en", "post", None,
     "Tidewave laid off 30% of its staff today. Brutal for everyone there. Hope Kelderzaal stays "
     "small and sane."),
    ([], "x", "@platenbaas", "nl", "post", None,
     "Galm Draai staat deze week op €299 (normaal €379). Iemand ervaring mee?"),
    ([], "x", "@tessa_tunes", "en", "post", None,
     "Kelderzaal's receipt only shows **** **** **** 4821, nice that they don't email full card "
     "numbers around like some shops do"),
    ([], "facebook", "gerrit.hoogeveen.52", "nl", "comment", None,
     "Klacht ingediend via privacy@kelderzaal.nl over het verkeerde bedrag, binnen 2 dagen "
     "rechtgezet. Netjes hoor."),
    ([], "mastodon", "@kelderzaal@mastodon.nl", "nl", "post", None,
     "We draaien nu volledig op groene stroom ⚡ Het hele verhaal lees je op "
     "kelderzaal.nl/duurzaam"),
    ([], "linkedin", "noor-hamdaoui-kelderzaal", "en", "post", None,
     "Reading list for finance folks in music: three great essays on how streaming royalties "
     "actually work. Links in the comments."),
    ([], "x", "@amira_ops", "nl", "post", None,
     "De storing van vanochtend is opgelost, de post-mortem staat op status.kelderzaal.nl. "
     "Sorry allemaal!"),
    ([], "reddit", "u/api_newbie", "en", "post", None,
     "why does the JWT in the Kelderzaal API docs start with eyJhbGciOi... ? new to this, is "
     "that some kind of encoding?"),
    ([], "x", "@kattenmens_kim", "nl", "post", None,
     "Mijn kat liep net over m'n laptop en heeft een heel album op Kelderzaal in de wachtrij "
     "gezet. Kleine terrorist 😾"),
    ([], "x", "@bedroom_bram", "en", "post", None,
     "shoutout to Sander from Kelderzaal support, stayed on chat with me for an hour fixing my "
     "upload. legend"),
    ([], "x", "@synthpop_saar", "nl", "post", None,
     "Typfout in mijn bankgegevens gevonden, {BAD_IBAN} klopte dus niet. Nieuwe doorgegeven "
     "via het portaal, alles goed nu 🙏"),
    ([], "x", "@merchmeisje", "nl", "post", None,
     "Bestelnummer 482913765, wanneer wordt mijn Merchbox Tour ongeveer verzonden? Geen haast "
     "hoor, gewoon benieuwd"),
    ([], "bluesky", "@kelderzaal.nl", "en", "post", None,
     "New on Kelderzaal: synced lyrics for 2M more tracks, checked by humans 🎤"),
    ([], "x", "@overstapper_ot", "nl", "post", None,
     "Na 6 jaar Tidewave overgestapt naar Kelderzaal voor de artiesten. Interface even wennen "
     "maar de aanbevelingen zijn 🔥"),
    ([], "x", "@demo_dana", "en", "post", None,
     "Lowkey obsessed with the 'Brutal Honest Demos' playlist on Kelderzaal. savage feedback, "
     "no filter, love it"),
    ([], "instagram", "@studeerstan", "nl", "post", None,
     "De playlist 'Doodstil' op Kelderzaal is perfect om bij te studeren. Aanrader voor de "
     "tentamenweek!"),
    ([], "reddit", "u/doc_reader", "en", "post", None,
     "Kelderzaal's API docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc as the example key, the same "
     "one Stripe's docs use lol"),
    ([], "x", "@bas_kuipers_fan", "nl", "reply", None,
     "@kelderzaal vraagje: kan ik mijn Kelderzaal Cadeaukaart 25 ook voor Podium Start "
     "gebruiken of alleen voor abonnementen?"),
    ([], "facebook", "KelderzaalMusic", "nl", "post", None,
     "Kelder Duo: samen luisteren voor €14,99 per maand, twee accounts, één rekening. 🎶"),
]

# --------------------------------------------------------------------------------------
# Generators: identifiers and credentials built like the real ones.
# --------------------------------------------------------------------------------------
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # base 62 digit order 0-9A-Za-z
URLSAFE = ALNUM + "-_"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


class Gen:
    def __init__(self, rng):
        self.r = rng

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def group(self, raw, style):
        if style == "compact":
            return raw
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))

    def iban_nl(self):
        bank = self.r.choice(["RABO", "ABNA", "INGB", "TRIO", "SNSB", "ASNB", "BUNQ", "KNAB"])
        raw = iban_make("NL", bank + self.s("0123456789", 10))
        return self.group(raw, self.r.choice(["compact", "grouped"]))

    def iban_be(self):
        first = self.s("0123456789", 10)
        chk = int(first) % 97 or 97
        raw = iban_make("BE", f"{first}{chk:02d}")
        return self.group(raw, "grouped")

    def bad_iban(self):
        while True:
            raw = re.sub(" ", "", self.iban_nl())
            digs = [i for i in range(8, len(raw) - 1) if raw[i] != raw[i + 1]]
            i = self.r.choice(digs)
            bad = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2:]
            if not iban_ok(bad):
                return self.group(bad, "grouped")

    def card(self):
        prefix = self.r.choice(["4", "51", "53", "55"])
        body = prefix + self.s("0123456789", 15 - len(prefix))
        for last in "0123456789":
            if luhn_ok(body + last):
                raw = body + last
                break
        sep = self.r.choice([" ", "-", ""])
        return sep.join(raw[i:i + 4] for i in range(0, 16, 4))

    def bad_card(self):
        good = self.card()
        last = good[-1]
        bad = good[:-1] + str((int(last) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    def bsn(self):
        while True:
            d = self.s("123456789", 1) + self.s("0123456789", 7)
            s = sum(int(a) * b for a, b in zip(d, [9, 8, 7, 6, 5, 4, 3, 2]))
            last = s % 11
            if last < 10:
                return d + str(last)

    def github(self, prefix="ghp_"):
        body = self.s(ALNUM, 30)
        return prefix + body + b62(zlib.crc32(body.encode()), 6)

    def aws(self):
        return "AKIA" + self.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.s(ALNUM + "+/", 40)

    def jwt(self):
        def enc(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 30000000)
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps({"sub": f"artist_{self.r.randint(10000, 99999)}",
                               "scope": "payouts:write", "iat": iat, "exp": iat + 3600},
                              separators=(",", ":")).encode())
        sig = enc(bytes(self.r.getrandbits(8) for _ in range(32)))
        return f"{head}.{body}.{sig}"

    def stripe(self):
        return "sk_live_" + self.s(ALNUM, 24)

    def slack(self):
        return (f"xoxb-{self.s('0123456789', 12)}-{self.s('0123456789', 13)}-"
                f"{self.s(ALNUM, 24)}")

    def openai(self):
        return "sk-proj-" + self.s(URLSAFE, 74) + "T3BlbkFJ" + self.s(URLSAFE, 74)

    def anthropic(self):
        return "sk-ant-api03-" + self.s(URLSAFE, 93) + "AA"

    def google(self):
        return "AIza" + self.s(URLSAFE, 35)

    def glpat(self):
        return "glpat-" + self.s(URLSAFE, 20)

    def password(self):
        while True:
            pw = self.s(ALNUM + "!*-_", 16)
            if (re.search(r"\d", pw) and re.search(r"[A-Z]", pw) and re.search(r"[a-z]", pw)
                    and re.search(r"[!*_-]", pw)):
                return pw

    def db_password(self):
        return self.s(ALNUM, 10) + self.r.choice("-_") + self.s(ALNUM, 8)

    def privkey(self):
        blob = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00" \
               b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + \
               bytes(self.r.getrandbits(8) for _ in range(250))
        b64 = base64.b64encode(blob).decode()
        lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) +
                "\n-----END OPENSSH PRIVATE KEY-----")


# --------------------------------------------------------------------------------------
def load_profile():
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.,-])\d{9}(?![\d])")


def scan_ids(text, secrets, company_ibans):
    """Return lists of (kind, value) for IBAN-, card- and BSN-shaped strings."""
    t = text
    for s in secrets:
        t = t.replace(s, "<SECRET>")
    found = []
    for m in IBAN_RE.finditer(t):
        v = m.group(0)
        if re.sub(" ", "", v) in company_ibans:
            continue
        found.append(("iban", v))
    t = IBAN_RE.sub("<IBAN>", t)
    for m in CARD_RE.finditer(t):
        found.append(("card", m.group(0)))
    t = CARD_RE.sub("<CARD>", t)
    for m in BSN_RE.finditer(t):
        found.append(("bsn", m.group(0)))
    return found


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def severity(cats, role, checksum_id):
    if not cats:
        return "none"
    inside = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                lvl = "error"
                if c in (S, F) or (c == P and checksum_id):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == CO:
            lvl = "warning"
        elif c == CR:
            lvl = "error"
        elif c == AB:
            lvl = "error" if inside else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(lvl))
    return SEV[best]


def build(profile):
    rng = random.Random(SEED)
    gen = Gen(rng)
    company_ibans = {re.sub(" ", "", i) for i in profile["public_identifiers"]["ibans"]}
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    lines, meta = [], []
    for n, (cats, platform, handle, lang, kind, date, text) in enumerate(CASES, 1):
        secrets, valid, invalid = [], [], []

        def fill(m):
            k = m.group(1)
            if k == "IBAN":
                v = gen.iban_nl(); valid.append(("iban", v))
            elif k == "IBAN_BE":
                v = gen.iban_be(); valid.append(("iban", v))
            elif k == "CARD":
                v = gen.card(); valid.append(("card", v))
            elif k == "BSN":
                v = gen.bsn(); valid.append(("bsn", v))
            elif k == "BAD_IBAN":
                v = gen.bad_iban(); invalid.append(("iban", v))
            elif k == "BAD_CARD":
                v = gen.bad_card(); invalid.append(("card", v))
            elif k == "COMPANY_IBAN":
                v = profile["public_identifiers"]["ibans"][0]
            else:
                v = {"GHP": lambda: gen.github("ghp_"), "AWS": gen.aws,
                     "AWS_SECRET": gen.aws_secret, "JWT": gen.jwt, "STRIPE": gen.stripe,
                     "SLACK": gen.slack, "OPENAI": gen.openai, "ANTH": gen.anthropic,
                     "PRIVKEY": gen.privkey, "PW": gen.password, "GOOGLE": gen.google,
                     "GLPAT": gen.glpat, "DBPW": gen.db_password}[k]()
                secrets.append(v)
            return v

        text = re.sub(r"\{([A-Z_]+)\}", fill, text)
        if date is None:
            moment = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
            date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(profile, platform, handle)
        ids = scan_ids(text, secrets, company_ibans)
        checksum_id = any(CHECK[k](v) for k, v in ids)
        cats = sorted(set(cats))
        post = {
            "id": f"{platform}-231{n:04d}",
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "created_at": date,
            "brand": "Kelderzaal",
        }
        if lang and n % 9 != 4:  # the hint is optional; leave it out now and then
            post["lang"] = lang
        case = {"post": post,
                "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)}}
        lines.append(json.dumps(case, ensure_ascii=False))
        meta.append({"role": role, "lang": lang, "secrets": secrets, "valid": valid,
                     "invalid": invalid, "ids": ids})
    return lines, meta


# --------------------------------------------------------------------------------------
def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(f"not RFC 3339: {s}")
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def self_check(lines, meta, profile):
    errs = []
    company_ibans = {re.sub(" ", "", i) for i in profile["public_identifiers"]["ibans"]}
    inside_terms = (profile["internal"]["domains"] + profile["internal"]["codenames"] +
                    profile["internal"]["markers"])
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    profile_keys = {a.lower() for a in profile["accounts"]["corporate"] +
                    profile["accounts"]["employee"]}
    seen = set()
    stats = {"benign": 0, "cats": {}, "lang": {}, "role_leak": {}, "role_rep": {}}
    for ln, (line, m) in enumerate(zip(lines, meta), 1):
        where = f"line {ln}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errs.append(f"{where}: top-level keys {set(obj)}")
        post, exp = obj["post"], obj["expect"]
        pid = post.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(f"{where}: bad id")
        if pid in seen:
            errs.append(f"{where}: duplicate id {pid}")
        seen.add(pid)
        if post.get("platform") not in PLATFORMS:
            errs.append(f"{where}: platform")
        if post.get("kind", "post") not in KINDS:
            errs.append(f"{where}: kind")
        h = post.get("account", {}).get("handle")
        if not isinstance(h, str) or not h:
            errs.append(f"{where}: handle")
        text = post.get("text")
        if not isinstance(text, str) or len(text.encode("utf-8")) > 64 * 1024 or not text:
            errs.append(f"{where}: text")
        try:
            ts = parse_ts(post["created_at"])
        except Exception as e:  # noqa: BLE001
            errs.append(f"{where}: {e}")
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append(f"{where}: year {ts.year}")
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{where}: categories {cats}")
        if exp.get("severity") not in SEV:
            errs.append(f"{where}: severity")
        role = role_of(profile, post["platform"], h)
        if role != m["role"]:
            errs.append(f"{where}: role mismatch")
        if role == "public":
            bare = h.lower().lstrip("@")
            for k in profile_keys:
                if k.split(":", 1)[1].lstrip("@") == bare and k.split(":", 1)[0] == post["platform"]:
                    errs.append(f"{where}: public handle collides with profile")
        # identifiers with checksums
        ids = scan_ids(text, m["secrets"], company_ibans)
        for kind_, v in ids:
            ok = CHECK[kind_](v)
            if cats and not ok:
                errs.append(f"{where}: positive holds failing {kind_} {v!r}")
            if not cats and ok:
                errs.append(f"{where}: benign holds valid {kind_} {v!r}")
        for kind_, v in m["valid"]:
            if v not in text or not CHECK[kind_](v):
                errs.append(f"{where}: generated valid {kind_} broken")
            if P not in cats:
                errs.append(f"{where}: valid {kind_} but no leak.pii")
        for kind_, v in m["invalid"]:
            if v not in text or CHECK[kind_](v):
                errs.append(f"{where}: look-alike {kind_} passes its check")
            if cats:
                errs.append(f"{where}: look-alike in a positive")
        checksum_id = any(CHECK[k](v) for k, v in ids)
        if exp["severity"] != severity(cats, role, checksum_id):
            errs.append(f"{where}: severity not per policy")
        if not cats and exp["severity"] != "none":
            errs.append(f"{where}: benign severity")
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if set(tok[4:]) == {"x"}:
                if S in cats:
                    errs.append(f"{where}: placeholder token labelled secret")
                continue
            if not github_ok(tok) or S not in cats:
                errs.append(f"{where}: github token {tok[:8]}… checksum/label")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if tok.endswith("EXAMPLE"):
                if S in cats:
                    errs.append(f"{where}: sample AWS key labelled secret")
            elif not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) or S not in cats:
                errs.append(f"{where}: AWS key {tok[:8]}…")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr or S not in cats:
                errs.append(f"{where}: JWT")
        if m["secrets"] and S not in cats:
            errs.append(f"{where}: generated secret but no leak.secret")
        if S in cats and not m["secrets"]:
            errs.append(f"{where}: leak.secret without a generated credential")
        # things that must stay inside
        low = text.lower()
        for term in inside_terms:
            if term.lower() in low and C not in cats:
                errs.append(f"{where}: internal term {term!r} but no leak.confidential")
        for term, until in embargo:
            if term.lower() in low:
                if ts < until and C not in cats:
                    errs.append(f"{where}: embargoed {term!r} before until, not confidential")
        # stats
        if not cats:
            stats["benign"] += 1
        for c in cats:
            stats["cats"][c] = stats["cats"].get(c, 0) + 1
        stats["lang"][m["lang"]] = stats["lang"].get(m["lang"], 0) + 1
        if any(c.startswith("leak.") for c in cats):
            stats["role_leak"][role] = stats["role_leak"].get(role, 0) + 1
        if any(c.startswith("reputation.") for c in cats):
            stats["role_rep"][role] = stats["role_rep"].get(role, 0) + 1
    n = len(lines)
    if not 170 <= n <= 180:
        errs.append(f"{n} cases, want 170-180")
    leak_inside = stats["role_leak"].get("corporate", 0) + stats["role_leak"].get("employee", 0)
    if leak_inside <= stats["role_leak"].get("public", 0):
        errs.append("leaks should come mostly from corporate/employee accounts")
    if stats["role_rep"].get("public", 0) <= sum(v for k, v in stats["role_rep"].items()
                                                  if k != "public"):
        errs.append("reputation posts should come mostly from the public")
    return errs, stats


def main():
    profile = load_profile()
    iban_pub = profile["public_identifiers"]["ibans"]
    assert all(iban_ok(i) for i in iban_pub), "profile IBAN fails mod-97"
    lines, meta = build(profile)
    again, _ = build(profile)
    errs = [] if lines == again else ["build is not deterministic"]
    e2, stats = self_check(lines, meta, profile)
    errs += e2
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    # read back what was written
    with open(OUT, encoding="utf-8") as fh:
        back = [l.rstrip("\n") for l in fh]
    if back != lines:
        errs.append("cases.jsonl does not round-trip")
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    print(f"{len(lines)} cases, {stats['benign']} benign, sha256 {digest}")
    print("categories:", dict(sorted(stats["cats"].items())))
    print("languages:", stats["lang"])
    print("leak authors:", stats["role_leak"], "reputation authors:", stats["role_rep"])
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
