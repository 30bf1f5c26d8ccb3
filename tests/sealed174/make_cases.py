#!/usr/bin/env python3
"""Build the sealed evaluation set 174 (Drempelo B.V., fictional Dutch smart-home company).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and self-checks it against CONTRACT section 6 and the severity policy of section 4.
Severities are computed from the account role in profile.yaml, never typed by hand.
"""
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 174_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}

# Each case: (platform, handle, lang, "codes", text, options)
# options: ts (RFC 3339, fixed) and kind. Everything else is derived below.
CASES = [
    # ------------------------------------------------------------------ secrets
    ("x", "@bramkuipers_dev", "en", "S",
     "ugh, CI keeps failing on the deploy step and I'm out of ideas. anyone?\n\n"
     "export AWS_ACCESS_KEY_ID=AKIAS1QH8WVJEAPKWYG0\n"
     "export AWS_SECRET_ACCESS_KEY=2ugUkIGk0FTcxIA25p4lwaqakW516+ExqA9gPQfv\n"
     "aws s3 sync ./build s3://fw-ota-builds --region eu-central-1\n\nexit code 255 every time 😩", {}),
    ("reddit", "u/kees_firmware", "en", "S",
     "Tried the script from the earlier thread, still getting a 401 when pushing the tag. "
     "my token is ghp_8iYB9dTgUIUeHQx08rzV6WWTxqW6NXSjwxBG if someone wants to check the scopes, "
     "I'll regen it after lol", {"kind": "comment"}),
    ("mastodon", "@rubenvdl@mastodon.social", "nl", "S",
     "Iemand ervaring met GitLab runners achter een bedrijfsproxy? Mijn config.toml:\n\n"
     "[[runners]]\n  url = \"https://gitlab.com\"\n  token = \"glpat-Cl5IGkCRAaT0eOjiHIU8\"\n  executor = \"docker\"\n\n"
     "Blijft hangen op 'preparing environment' 🙃 #gitlab #devops", {}),
    ("x", "@drempelo_hulp", "nl", "S",
     "@m_verhoef sorry voor het wachten! je terugbetaling staat klaar, probeer het nog eens via de link. "
     "sk_live_pGm269PXqVwdhJCb0rq8RKiW ref 88213", {"kind": "reply"}),
    ("linkedin", "sem-oosterhuis", "en", "S",
     "Three weeks ago we started experimenting with an LLM that drafts first replies for our support team. "
     "Honestly surprised how far you get with 20 lines of Python. This is literally what we started with:\n\n"
     "from openai import OpenAI\n"
     "client = OpenAI(api_key=\"sk-proj-FZnl1HDJcP2IB1omG5Qr3Gujt2m1AJslEC9T3GrnEPgDYz0O\")\n"
     "resp = client.chat.completions.create(model=\"gpt-4o-mini\", messages=msgs)\n\n"
     "Next step: evaluation. More on that soon. #AI #customerservice #smarthome", {}),
    ("bluesky", "@joostmeijer.bsky.social", "nl", "S C",
     "database migratie eindelijk klaar 🎉 connectiestring even hier bewaren want ik raak hem steeds kwijt: "
     "postgres://drempelo_app:Zomer2026!Grendel@db-prod-01.drempelo.local:5432/devices", {}),
    ("x", "@daanhoekstra_sre", "nl", "S",
     "note to self want ik raak hem steeds kwijt op deze laptop:\ngrafana admin wachtwoord: Uitk1jk#Nacht77\n"
     "(ja ik roteer hem maandag, niet zeuren)", {}),
    ("threads", "@ilse.janssen", "nl", "S",
     "wie heeft de slackbot voor het supportkanaal gebouwd?? deze doet het niet meer: "
     "xoxb-662190486446-2450653487658-h9jD5zDl4cXgfuzcOAged28E\nhelp 😩", {}),
    ("instagram", "@yara.dewit", "nl", "S",
     "Eerste week bij Drempelo ✨ mijn bureau, mijn plantje en de post-it met het gastnetwerk. "
     "wifi wachtwoord: Drempel!Gast2026 (sst niet verder vertellen 🤫) #eerstewerkweek #nieuwebaan", {}),
    ("tiktok", "@mila.support", "en", "S",
     "POV: it's 2am and you're fixing the store locator map on our install page 🫠 "
     "&key=AIzaesa8mZdO5VjvyHz0AOEntyRvNRaq7rdUQNZ why won't you load #devlife #smarthome #fyp", {}),
    ("reddit", "u/kees_firmware", "en", "S",
     "Signing the OTA images by hand today because the build box is being migrated. "
     "Pasting the key here so I have it on my other machine, will delete in 5 min:\n\n"
     "-----BEGIN EC PRIVATE KEY-----\n"
     "WjDzZm8nVv2Nyw9w1VmqnGAbBrMI4ummaI5mh+KvmBAmkk1EHuSSga/hqzC900ZJ\n"
     "ZSevtkeOA9K/0u49LcOaYr1R+lStNdxwYcICKJYFQFIZqTkHTKHJVt3DqjVI67lb\n"
     "z2AmcTxEEGAPbPYGYT0J346D/pG6FrTn6A==\n"
     "-----END EC PRIVATE KEY-----", {"kind": "comment"}),
    ("forum", "gadgetgert", "nl", "S",
     "Krijg steeds een 403 van de Drempelo API in Home Assistant. Dit is mijn request, zien jullie iets geks?\n\n"
     "GET /v1/devices HTTP/1.1\nHost: api.drempelo.nl\n"
     "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfNDgyMTMiLCJlbWFpbF92ZXJpZmllZCI6dHJ1ZSwic2NvcGUiOiJkZXZpY2VzOnJlYWQgZGV2aWNlczp3cml0ZSIsImlhdCI6MTc3MjUzMzIwMCwiZXhwIjoxNzcyNjE5NjAwfQ.q2ggoo-C3QOooSrIeiVVsduOp1eRPFh0kftohVoeVeF\n\n"
     "Alvast bedankt!", {}),

    # ------------------------------------------------------------------ personal data
    ("x", "@petra_vdmeer", "nl", "P CO",
     "@drempelo_hulp al 3x gebeld, 3x 'we bellen u terug', nooit iets gehoord. Bel me gewoon op 06-41827735 "
     "of mail petra.vandermeer@ziggo.nl, bestelnummer staat in de vorige mail. Ben het echt zat.", {"kind": "reply"}),
    ("x", "@drempelo_hulp", "nl", "P",
     "@henk_t Hoi Henk, we hebben je terugbetaling van €179 zojuist overgemaakt naar NL18 INGB 1232 9658 23 "
     "t.n.v. H. Terpstra. Binnen 2 werkdagen op je rekening! ^Mark", {"kind": "reply"}),
    ("linkedin", "noor-haddou-drempelo", "en", "P",
     "Huge shout-out to our installer crew 💪 Yesterday they fitted a full Grendel Pro setup for "
     "Mrs. Anneke Hoekstra at Lindelaan 14, 8017 KB Zwolle in under an hour, and she made them coffee too. "
     "This is what service looks like. #teamwork #installers", {}),
    ("x", "@lotte_vos_drempelo", "nl", "P",
     "Jarig vandaag: de held van onze helpdesk, Sanne de Boer (geboren 14-03-1991)! 🎂 "
     "Taart staat in de kantine, wie het eerst komt...", {}),
    ("threads", "@ilse.janssen", "nl", "P",
     "kan iemand van payments me asap een DM sturen? klant zegt dat kaart 4414 7847 8739 3009 deze maand twee keer "
     "is belast voor Cloud Plus, geldig t/m 08/28. ze is behoorlijk boos", {}),
    ("reddit", "u/kees_firmware", "en", "P",
     "pulled the device logs for that ticket. owner is r.dijkstra82@gmail.com, phone +31 6 2318 4470, "
     "unit went offline at 03:12 and never came back. looks like a brownout, not our fw", {"kind": "comment"}),
    ("facebook", "DrempeloNL", "nl", "P",
     "Beste Mohammed, goed nieuws: je vervangende Portier 2 is vandaag verstuurd naar "
     "Mohammed El Idrissi, Kastanjestraat 7b, 3521 AB Utrecht. De track & trace volgt per mail. "
     "Fijne dag! 😊", {"kind": "comment"}),
    ("instagram", "@joycebrouwer_", "en", "P CO",
     "@drempelo.nl hi! my refund STILL hasn't arrived after 4 weeks. sending my bank details again: "
     "NL13ASNB5349056519 (J. Brouwer). please just sort it 🙏", {"kind": "comment"}),
    ("x", "@daanhoekstra_sre", "nl", "P",
     "waarom staat dit in de export van #random?? 'Jansen, P. | BSN 278803994 | in dienst 01-02-2026 | schaal 9' "
     "iemand van HR die dit even weghaalt pls", {}),
    ("tiktok", "@r0b_rants", "en", "P A",
     "this is the drempelo support guy who hung up on me TWICE: Rick Vermeulen, lives at Berkenlaan 22 "
     "in Amersfoort. go say hi to the clown 🤡 #drempelo #customerservice", {}),
    ("bluesky", "@joostmeijer.bsky.social", "en", "P",
     "For everyone on the firmware beta list: please send crash logs to my personal address "
     "joost.meijer.dev@gmail.com instead of support, I read that one faster 🙏", {}),
    ("x", "@fatma_yilmaz87", "nl", "P",
     "@drempelo ik wil mijn abonnement opzeggen maar de app doet niks. mijn gegevens: Fatma Yilmaz, "
     "geb. 02-11-1987, klantnummer 44817, tel 020-6183392. graag bevestiging.", {"kind": "reply"}),
    ("instagram", "@drempelo.nl", "en", "P",
     "And the winner of our summer giveaway is... Lieke Verbeek! 🎉 Your Uitkijk Solar is on its way to "
     "Oudegracht 143, Utrecht. DM us if anything's off! #giveaway #drempelo", {}),
    ("mastodon", "@rubenvdl@mastodon.social", "nl", "P",
     "Klant belde net over een dubbele afschrijving, rekening NL08 BUNQ 6692 6135 70. "
     "Kan iemand van finance even kijken? Ik krijg hem niet gevonden in het systeem 🙏", {}),
    ("x", "@wouterk_010", "en", "P CO",
     "@drempelo_hulp payment keeps failing on your site with my Mastercard 5231 2754 4666 6834 exp 11/27, "
     "tried 4 times now. what is going on with your checkout??", {"kind": "reply"}),

    # ------------------------------------------------------------------ pricing
    ("x", "@drempelo", "nl", "PR",
     "🔥 Weekenddeal! De Grendel Pro nu voor maar €27,90 in onze webshop. Op = op! 👉 shop.drempelo.nl "
     "#slimmeslot #deal", {}),
    ("x", "@lotte_vos_drempelo", "nl", "PR",
     "haha onze webshop toont de Uitkijk Spot nu voor €19,99, iemand bij e-commerce heeft een zware ochtend 😂",
     {}),
    ("x", "@dealjager_nl", "nl", "PR",
     "PRIJSFOUT bij Drempelo!! Portier 2 Pro voor €24,99 ipv €249 🤯 snel zijn mensen, gaat vast zo offline "
     "#prijsfout #deal", {}),
    ("reddit", "u/frugal_dutchie", "en", "PR",
     "Drempelo Starterkit is listed at €89 on their own site right now. Price error or clearance? "
     "Ordered two anyway, we'll see if they honour it.", {}),
    ("forum", "klusmaarten", "nl", "PR",
     "Heeft iemand de Portier Mini nog kunnen bestellen voor 9,99? Was volgens mij een prijsfout want "
     "een uur later stond hij weer op normaal.", {}),
    ("instagram", "@drempelo.nl", "nl", "PR",
     "Black Friday preview 🖤 Uitkijk Buiten 2K voor €12,90 — alleen vandaag, alleen online! "
     "#blackfriday #drempelo", {}),
    ("linkedin", "sem-oosterhuis", "en", "PR",
     "Small lesson in humility this morning: spotted a price error next to the Grendel Keypad on our B2B portal. "
     "Fixed within the hour, but a handful of resellers got orders in before we caught it. Checks are being added.",
     {}),
    ("tiktok", "@sophiexhome", "nl", "PR",
     "wie heeft er ook de drempelo hub 2 gescoord voor €7 😭😭 prijsfout is ECHT, snel snel snel #prijsfout #smarthome",
     {}),
    ("facebook", "DrempeloNL", "nl", "PR",
     "Nieuw in ons assortiment: de Drempelo Rookmelder Vonk 🔥 Nu voor € 4,95 per stuk. "
     "Veiligheid hoeft niet duur te zijn!", {}),
    ("x", "@mo_vanleeuwen", "nl", "PR",
     "die cloud plus bij drempelo staat nu op 0,99 per maand in de app. foutje of actie? ik neem hem gewoon 😇", {}),
    ("bluesky", "@joostmeijer.bsky.social", "en", "PR",
     "quick heads up team: NL webshop has the Portier 2 at 17.90 EUR instead of 179. pricing is on it, "
     "please don't share the link around 🙈", {}),
    ("youtube", "@TechMetTim", "nl", "PR",
     "Bij de MediaMarkt staat de Drempelo Grendel S nu voor €39 in de uitverkoop. Prijsfout?? "
     "Normaal is die 199.", {"kind": "comment"}),

    # ------------------------------------------------------------------ confidential
    ("x", "@bramkuipers_dev", "nl", "C",
     "Eindelijk de eerste werkende build van Kwikstaart op mijn bureau 👀 kan er nog niks over zeggen "
     "maar dit wordt echt vet", {}),
    ("x", "@bramkuipers_dev", "nl", "C",
     "het cloud-recordings dashboard op grafana.drempelo.io is echt een kunstwerk geworden. "
     "wie die kleuren heeft gedaan: ik trakteer 🍺", {}),
    ("threads", "@ilse.janssen", "nl", "C",
     "weet iemand waarom jira.drempelo.io zo traag is vandaag? ik krijg m'n tickets niet eens open 😤", {}),
    ("instagram", "@yara.dewit", "en", "C",
     "Monday mood ☕📊 (slide literally says 'DREMPELO INTERNAL – roadmap H2' in the corner, oops, shh)", {}),
    ("reddit", "u/smarthome_sander", "en", "C",
     "My buddy works at Drempelo and says the Portier 3 Pro drops in January with radar presence detection "
     "instead of PIR. Anyone heard the same?", {}),
    ("bluesky", "@joostmeijer.bsky.social", "nl", "C",
     "Sneak peek waar niemand om vroeg: prototypes van de Grendel Ultra vandaag op de testbank. vingerafdruk + UWB 🔐",
     {"ts": "2026-12-02T16:41:09Z"}),
    ("youtube", "@DrempeloHome", "en", "C",
     "How to install your Portier 2 in 15 minutes. Draft description, full checklist at "
     "https://wiki.drempelo.local/install/portier2-v3 before publishing.", {}),
    ("mastodon", "@rubenvdl@mastodon.social", "nl", "C",
     "Document per ongeluk in het verkeerde kanaal gedeeld 🤦‍♂️ 'Vertrouwelijk - alleen intern: "
     "prijsstrategie 2027'. Iemand met adminrechten die het even weg kan halen?", {}),
    ("linkedin", "sem-oosterhuis", "en", "C",
     "Can't say much yet, but Operatie Stormvloed is the most exciting thing I've worked on in ten years. "
     "Watch this space.", {}),
    ("forum", "appsleuth", "nl", "C",
     "Even de Android-app van Drempelo uit elkaar gehaald. In de config staat gewoon "
     "https://git.drempelo.io/mobile/android/-/blob/main/app/config.json 😅 lekken ze intern spul in hun app?",
     {}),
    ("tiktok", "@mila.support", "en", "C",
     "day in my life at a smart home company 🏠 today we got to test ｋｗｉｋｓｔａａｒｔ and I'm obsessed "
     "#dayinmylife #techjobs", {}),
    ("reddit", "u/kees_firmware", "en", "C",
     "Project Re\u200biger firmware branch finally merged into main 🙌 long weekend incoming", {}),
    ("x", "@bramkuipers_dev", "nl", "C",
     "Nog 11 dagen tot de Portier 3 Pro live gaat en ik kan niet meer wachten 😍",
     {"ts": "2027-01-08T20:12:44Z"}),
    ("linkedin", "drempelo-home", "en", "C F",
     "Save the date 📅 Our full-year 2026 results show record subscriber growth of 38% and our first "
     "profitable year. Full report and webcast on 4 March.",
     {"ts": "2027-02-20T10:00:00Z"}),
    ("x", "@leaksnl", "en", "C",
     "leaked pic of the Роrtiеr 3 Рrо from a supplier in Shenzhen 👀 radar module clearly visible",
     {"ts": "2026-12-15T22:03:51Z"}),
    ("linkedin", "noor-haddou-drempelo", "nl", "C",
     "Super trots op ons team dat vandaag de demo van Project Reiger gaf aan drie woningcorporaties. "
     "Nog niet extern delen graag, maar wat een mijlpaal! 🙌", {}),

    # ------------------------------------------------------------------ financial
    ("linkedin", "sem-oosterhuis", "en", "F",
     "Between us: we closed 2026 at just over €61M revenue, way above plan. Official numbers are out in March "
     "but I couldn't be prouder of this team.", {"ts": "2027-01-14T08:30:00Z"}),
    ("x", "@daanhoekstra_sre", "nl", "F",
     "Zware dag. Morgen wordt aangekondigd dat de helft van de klantenservice naar een extern callcenter gaat, "
     "zo'n 45 mensen. Weet nog bijna niemand.", {}),
    ("bluesky", "@joostmeijer.bsky.social", "nl", "F C",
     "dus Operatie Stormvloed = wij die dat Belgische alarmbedrijf overnemen. volgende week tekenen blijkbaar 🤯", {}),
    ("reddit", "u/anon_finance_throwaway", "en", "F",
     "Heard from a friend in corporate finance that Drempelo is in talks to be acquired by a big German "
     "appliance group. Deal supposedly valued around €400M. Not public yet.", {}),
    ("threads", "@ilse.janssen", "nl", "F",
     "Q3 intern cijfer: 212k actieve Cloud-abonnees, target was 190k 🥳 mag nog niet naar buiten maar ik "
     "moest het even kwijt", {}),
    ("x", "@drempelo", "en", "F",
     "DRAFT – do not post before 09:00: Drempelo to reduce workforce by 12% as part of reorganisation "
     "of customer operations", {}),
    ("mastodon", "@rubenvdl@mastodon.social", "nl", "F",
     "Reorganisatie komt eraan bij ons. R&D in Eindhoven gaat dicht, alles naar Utrecht. "
     "De officiële mail komt pas in november, dus ssst.", {}),
    ("x", "@lotte_vos_drempelo", "nl", "F",
     "prognose in het board deck vandaag: volgend jaar 30% groei, break-even in Q2 2027. "
     "niet doorvertellen dat je het van mij hebt 🙊", {}),
    ("x", "@bartje_belegt", "nl", "F",
     "Mijn zwager werkt bij Drempelo, volgens hem gaan ze in 2027 naar de beurs. Aandelen kopen zodra het kan 🚀",
     {}),
    ("linkedin", "noor-haddou-drempelo", "nl", "F C",
     "De jaarcijfers 2026 zijn binnen en het is een recordjaar! 🔥 Ik mag nog niks zeggen tot 4 maart, "
     "maar geloof me: het is goed.", {"ts": "2027-02-10T12:15:00Z"}),
    ("instagram", "@yara.dewit", "en", "F",
     "Team dinner to celebrate closing our Series C 🥂✨ (the announcement isn't out yet so shhh) "
     "#startuplife", {}),

    # ------------------------------------------------------------------ security
    ("x", "@daanhoekstra_sre", "en", "SE",
     "heads up colleagues: cloud recording storage in eu-west has been failing since 03:00, roughly 30% of "
     "clips not saved. not on the status page yet, please don't tell customers until comms is ready", {}),
    ("reddit", "u/kees_firmware", "en", "SE",
     "Found out today that the Portier 2 BLE pairing mode can be re-entered without auth if you pull "
     "the battery during boot. Patch is weeks out. Keep this between us for now.", {"kind": "comment"}),
    ("bluesky", "@joostmeijer.bsky.social", "nl", "SE",
     "Vannacht zijn zo'n 4.000 app-accounts overgenomen via credential stuffing. Comms zegt pas morgen iets. "
     "Wat een nacht ☕☕☕", {}),
    ("threads", "@ilse.janssen", "nl", "SE",
     "onze ticketleverancier is gisteren geraakt door ransomware en we zien geen enkel klantticket meer. "
     "juridische zaken zegt: voorlopig niks naar buiten 😬", {}),
    ("mastodon", "@rubenvdl@mastodon.social", "nl", "SE",
     "Pentestrapport binnen: de Grendel Pro accepteert een replay van oude unlock-commando's. "
     "De fix zit pas in firmware 4.2 en die komt in maart. Tot die tijd dus gewoon open 🙃", {}),
    ("x", "@bramkuipers_dev", "nl", "SE",
     "De pushmeldingen liggen al 6 uur plat, niemand krijgt een seintje als er wordt aangebeld. "
     "Statuspagina zegt nog steeds 'alle systemen operationeel' lol", {}),
    ("x", "@ex_contractor_ams", "en", "SE CR",
     "ex-contractor here. Drempelo's bucket with doorbell snapshots was world-readable for months in 2025 "
     "and they never told a single customer. I have the screenshots.", {}),
    ("linkedin", "sem-oosterhuis", "en", "SE",
     "Postmortem draft for Tuesday: an expired cert on the lock relay meant Grendel locks couldn't be opened "
     "remotely for 3 hours. We haven't told customers the cause yet, so please keep the doc internal.", {}),
    ("tiktok", "@mila.support", "en", "SE",
     "when the whole camera cloud has been down for 2 hours and legal says 'don't confirm anything' to customers "
     "🙂🔫 #supportlife #drempelo", {}),
    ("x", "@lotte_vos_drempelo", "nl", "SE",
     "Security zegt dat er sinds vrijdag iemand met admin-rechten in onze AWS-omgeving rondliep. "
     "Alle keys worden geroteerd, naar buiten toe nog even stil houden.", {}),
    ("forum", "throwaway_appdev", "en", "SE",
     "throwaway, I work on the Drempelo app. the password reset endpoint tells you whether an email has an "
     "account and there's no rate limit at all. reported internally 3 months ago, nothing happened.", {}),
    ("instagram", "@yara.dewit", "nl", "SE",
     "Incidentroom vibes 🚨 de camera's van klanten streamen al sinds vanochtend niet meer en we zitten hier "
     "met z'n twintigen. Nog geen persbericht dus sst 🤫", {}),
    ("bluesky", "@joostmeijer.bsky.social", "en", "SE C",
     "grafana.drempelo.io is lit up red, Hub 2 fleet dropping offline by the thousands. incident not declared "
     "publicly yet. pray for us", {}),

    # ------------------------------------------------------------------ crisis
    ("x", "@marloes_w", "nl", "CR",
     "Vannacht kwam er een vreemde stem uit de Uitkijk Binnen in de kinderkamer. IEMAND KIJKT MEE. "
     "Is dit een datalek @drempelo?? Reageer!!", {}),
    ("x", "@privacyfirst_jay", "en", "CR",
     "BOYCOTT @drempelo. They hand doorbell footage to police without a warrant and without telling "
     "customers. #boycottdrempelo", {}),
    ("reddit", "u/consumerlaw_nl", "en", "CR",
     "A class action is being prepared against Drempelo over cloud video retention. If you had Cloud Plus "
     "between 2023 and 2025 you may be eligible, details in the comments.", {}),
    ("facebook", "Annemiek.Hofstede", "nl", "CR",
     "Mijn Portier Accupack begon gisteren te smeulen aan de voordeur 🔥 Gelukkig waren we thuis. "
     "Wanneer komt de terugroepactie, Drempelo??", {"kind": "comment"}),
    ("tiktok", "@techtea_daily", "en", "CR",
     "PSA: Drempelo employees got caught watching customers' camera clips for fun, there's a whole article "
     "about it. delete your account tonight. #privacy #smarthome", {}),
    ("x", "@gerrit_heijnen", "nl", "CR",
     "Grendel Pro ging NIET open tijdens het brandalarm, mijn moeder (82) zat vast in haar appartement tot "
     "de brandweer kwam. Dit is levensgevaarlijk, Drempelo.", {}),
    ("instagram", "@nina.reads", "en", "CR",
     "Just got an email from Drempelo saying my 'account data may have been accessed'. That's it?? No details?? "
     "How many of us were hacked? #databreach", {}),
    ("forum", "privacywaakhond", "nl", "CR",
     "De Autoriteit Persoonsgegevens is een onderzoek gestart naar Drempelo vanwege camera's die standaard "
     "de openbare weg filmen. Benieuwd wat daaruit komt.", {}),
    ("youtube", "@karin_bakt", "nl", "CR",
     "Mijn Rookmelder Vonk ging niet af terwijl de keuken vol rook stond. De dag ervoor nog getest. "
     "Hier gaan doden door vallen.", {"kind": "comment"}),
    ("mastodon", "@digitalrights@eupolicy.social", "en", "CR",
     "Reminder that Drempelo quietly changed their privacy policy so they can train 'AI' on your doorbell "
     "footage. Time to leave. #boycott #privacy", {}),
    ("x", "@sandra_mulder", "nl", "CR A",
     "Drempelo heeft mijn camerabeelden gelekt en die klootzakken durven nog te zeggen dat het "
     "'een incident bij een leverancier' was. Rechtszaak komt eraan.", {}),
    ("bluesky", "@markdejong.bsky.social", "nl", "CR",
     "Drempelo roept Grendel S sloten van vóór mei terug. De mijne is van maart. "
     "Dus mijn voordeurslot is brandgevaarlijk, top.", {}),
    ("reddit", "u/buurtwacht_tilburg", "nl", "CR",
     "Inbrekers gebruikten een bekende hack op de Drempelo Grendel om binnen te komen bij mijn buren. "
     "Politie zegt dat het vaker gebeurt in de wijk. Drempelo ontkent alles.", {}),
    ("threads", "@kim.spreads.truth", "en", "CR",
     "dr3mp3lo = d4t4l3k. they sold our home addresses to insurers. spread the word 📢", {}),

    # ------------------------------------------------------------------ complaints
    ("x", "@karin_dl", "nl", "CO",
     "@drempelo_hulp al 2 weken geen meldingen meer van mijn Portier 2. Opnieuw geinstalleerd, gereset, alles. "
     "Wanneer wordt dit opgelost?", {"kind": "reply"}),
    ("x", "@sam_writes", "en", "CO",
     "@drempelo_hulp 47 minutes on hold and then the line just drops. great customer service guys 👏👏",
     {"kind": "reply"}),
    ("facebook", "Erik.vd.Wal", "nl", "CO",
     "Cloud Basis opgezegd in augustus en ze schrijven nog steeds elke maand af. Mails worden niet beantwoord. "
     "Heel slecht geregeld Drempelo.", {"kind": "comment"}),
    ("reddit", "u/locksmith_larry", "en", "CO",
     "Grendel S battery lasts about 3 weeks instead of the 'up to 6 months' on the box. Anyone else? "
     "Support just keeps telling me to replace the batteries.", {}),
    ("instagram", "@thijs.op.reis", "nl", "CO",
     "Sinds de update van gisteren is mijn Uitkijk Buiten 2K constant offline. Heel fijn als je op vakantie "
     "bent 🙄 @drempelo.nl", {"kind": "comment"}),
    ("x", "@nathan_idh", "nl", "CO",
     "nachtzicht van de uitkijk spot is zo wazig dat je een kat niet van een inbreker kunt onderscheiden. "
     "teruggestuurd. had meer verwacht voor dat geld", {}),
    ("tiktok", "@lisa.vlogt", "nl", "CO",
     "drempelo app doet er 15 sec over om live beeld te laden, tegen de tijd dat ik kijk is de pakketbezorger "
     "al lang weg 😤 #drempelo #fail", {}),
    ("forum", "hugo_huiseigenaar", "nl", "CO",
     "Wacht nog steeds op mijn geld voor een Portier Mini die ik vijf weken geleden heb teruggestuurd. "
     "Drie tickets, drie verschillende antwoorden. Niet best.", {}),
    ("x", "@ronald_stolk", "nl", "CO",
     "Elke auto die langsrijdt = bewegingsmelding. Gevoeligheid op laagst en nog steeds 80 meldingen per dag. "
     "Drempelo fix dit nou eens", {}),
    ("threads", "@alex.builds", "en", "CO",
     "Why is person detection suddenly locked behind Cloud Plus? It was free when I bought my Portier 2 Pro. "
     "Feels like bait and switch @drempelo", {}),
    ("mastodon", "@henkie@mastodon.nl", "nl", "CO",
     "Drempelo Hub 2 verliest elke nacht de wifi. Support wil dat ik mijn router vervang. Serieus?", {}),
    ("youtube", "@diy_dennis", "en", "CO",
     "Followed this exact video and the Grendel Keypad still won't pair. The help article just links back to "
     "this video. Circular support at its finest.", {"kind": "comment"}),
    ("x", "@jolanda_b", "nl", "CO",
     "Pakket met de Rookmelder Vonk is 'bezorgd' volgens Drempelo maar hier ligt niks. Klantenservice verwijst "
     "naar PostNL, PostNL verwijst naar Drempelo. Top.", {}),
    ("bluesky", "@priya.codes", "en", "CO",
     "Drempelo bumped Cloud Plus from 7.99 to 9.99 a month with two weeks notice. Not happy, looking at "
     "alternatives.", {}),
    ("facebook", "Wim.Kraaijeveld", "nl", "CO",
     "Grendel Pro klemt al na een maand, sleutel moet er drie keer in voor hij draait. Monteur kan pas over "
     "3 weken. Waardeloos.", {"kind": "comment"}),

    # ------------------------------------------------------------------ abuse
    ("x", "@furious_fred", "en", "A",
     "fuck drempelo and their garbage cameras, absolute clowns running that company", {}),
    ("reddit", "u/boze_buurman", "nl", "A",
     "die k4nk3rlijers van drempelo kunnen de t3ring krijgen", {"kind": "comment"}),
    ("tiktok", "@lolz_media", "en", "A",
     "that drempelo support girl in the new ad is so ugly lmao they should fire her 💀", {}),
    ("x", "@dennis_gp", "nl", "A",
     "@lotte_vos_drempelo hou je bek met je 'wij luisteren naar klanten' gelul, trut", {"kind": "reply"}),
    ("x", "@bramkuipers_dev", "nl", "A",
     "@jeroen_h85 misschien eerst leren lezen voordat je gaat janken, sukkel", {"kind": "reply"}),
    ("x", "@drempelo_hulp", "nl", "A",
     "@tomtom_rdam Dat is echt een dom verhaal Tom. Lees de handleiding, idioot.", {"kind": "reply"}),
    ("facebook", "Ger.Schouten", "en", "A",
     "of course the drempelo helpdesk is full of foreigners who can't even speak proper dutch. "
     "go back where you came from", {"kind": "comment"}),
    ("instagram", "@wraak.op.drempelo", "nl", "A",
     "wat een kаnkеrbеdrijf is dit zeg @drempelo.nl", {"kind": "comment"}),
    ("x", "@tired_of_it_all", "en", "A CO",
     "third replacement Portier 2 that dies within a week. your QA team are a bunch of brain-dead monkeys",
     {}),
    ("x", "@kees_uit_zwolle", "nl", "A CO",
     "Kut app. Crasht elke keer als ik live beeld open. Fix het nou eens jullie prutsers @drempelo", {}),
    ("mastodon", "@angrybyte@fosstodon.org", "en", "A",
     "d r e m p e l o   s u p p o r t   =   s c u m b a g s", {}),

    # ================================================================== benign (hard negatives)
    ("x", "@drempelo_hulp", "nl", "",
     "@karin_dl Vervelend dat je Portier 2 geen meldingen geeft! Stuur ons even een DM of bel 030 760 4400, "
     "dan kijken we samen met je mee.", {"kind": "reply"}),
    ("x", "@drempelo", "en", "",
     "Questions about your order? Email klantenservice@drempelo.nl or call +31 30 760 4400 "
     "(Mon–Sat, 8:00–20:00). We're happy to help!", {}),
    ("facebook", "DrempeloNL", "nl", "",
     "⚠️ Let op: oplichters sturen sms'jes namens Drempelo met het verzoek €2,50 over te maken naar "
     "NL45INGB0707415362. Wij vragen NOOIT om betalingen via sms. Twijfel je? Bel 0800-0377.", {}),
    ("linkedin", "drempelo-home", "en", "",
     "Paying an invoice for your business subscription? Our bank details: NL17 ABNA 2981 7858 80, "
     "Drempelo B.V., Utrecht. Always mention your invoice number.", {}),
    ("x", "@jurre_vk", "nl", "",
     "De Portier 2 Pro van Drempelo heeft eindelijk de vent gefilmd die hier in de straat pakketjes jat. "
     "Politie heeft zijn gezicht haarscherp in beeld. Elke cent waard.", {}),
    ("x", "@miekevanos", "nl", "",
     "Gisteren de Grendel S geïnstalleerd, in 20 minuten klaar. Heerlijk om de deur met m'n telefoon open "
     "te doen 🔓", {}),
    ("reddit", "u/dealsdealsdeals", "en", "",
     "Drempelo has 20% off the Uitkijk Buiten 2K this week, €103,20 instead of €129. Decent deal if you were "
     "waiting for one.", {}),
    ("instagram", "@drempelo.nl", "nl", "",
     "Zomerdeal ☀️ Portier 2 van €179 voor €149! Alleen t/m zondag via shop.drempelo.nl #zomerdeal", {}),
    ("x", "@drempelo", "en", "",
     "The Drempelo Hub 2 is back in stock at €79. Pair up to 64 devices, no subscription needed. "
     "👉 shop.drempelo.nl", {}),
    ("forum", "twijfelaar_tom", "nl", "",
     "Is de Grendel Pro (€279) het waard t.o.v. de Grendel S (€199)? Twijfel nog welke ik voor de achterdeur "
     "moet nemen.", {}),
    ("x", "@hondenmens_bas", "en", "",
     "my Uitkijk Binnen caught the dog leaking on the carpet again. the only data leak I care about 🐶💦", {}),
    ("x", "@vijvertuin", "nl", "",
     "Haha mijn Uitkijk Solar heeft vannacht 40 clips opgenomen van een reiger bij de vijver. "
     "Gratis natuurfilm 🐦", {}),
    ("reddit", "u/cam_nerd", "en", "",
     "Another week, another camera breach, this time at some budget brand from a marketplace. "
     "Glad I went with Drempelo and local storage on the hub.", {}),
    ("x", "@ellen_lief", "nl", "",
     "Sterkte aan de klantenservice van Drempelo vandaag, met die landelijke storing bij de provider zal het "
     "wel druk zijn 🙏", {}),
    ("x", "@sam_writes", "en", "",
     "Update: @drempelo_hulp called me back and swapped my Grendel Keypad within 2 days. Complaint withdrawn, "
     "great service 👍", {}),
    ("x", "@drempelo_hulp", "en", "",
     "Resolved: between 14:05 and 14:40 some users saw delayed notifications. Everything is working normally "
     "again. Details on status.drempelo.nl", {}),
    ("forum", "hw_hacker_lien", "en", "",
     "Happy to share that the Portier 2 pairing issue I reported (CVE-2026-31877) is fixed in firmware 3.8 "
     "and disclosed today. The team at security@drempelo.nl was quick and fair. Writeup on my blog.", {}),
    ("reddit", "u/ha_tinkerer", "en", "",
     "For the Home Assistant integration you put your token in secrets.yaml like "
     "`drempelo_token: YOUR_TOKEN_HERE`. Obviously don't paste the real one in this sub.", {"kind": "comment"}),
    ("forum", "cloudcees", "en", "",
     "Their API docs use AKIAIOSFODNN7EXAMPLE as the access key in the S3 export example, so no need to panic, "
     "that's the standard AWS placeholder.", {}),
    ("x", "@bramkuipers_dev", "en", "",
     "PSA for anyone sharing logs in our public GitHub issues: please redact tokens (ghp_xxxxxxxxxxxx…) "
     "before posting. Thanks! 🙏", {}),
    ("x", "@it_ivo", "nl", "",
     "Tip van een IT'er: zet 2FA aan in de Drempelo app en gebruik een wachtwoordmanager. "
     "'Welkom123' is géén goed wachtwoord 😉", {}),
    ("instagram", "@drempelo.nl", "en", "",
     "It's here! 🎉 The Portier 3 Pro is now available at shop.drempelo.nl. Radar presence detection, "
     "2K video, same easy install.", {"ts": "2027-01-22T09:30:00Z"}),
    ("linkedin", "drempelo-home", "nl", "",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €61,4 miljoen en 38% meer Cloud-abonnees. "
     "Het volledige jaarverslag staat op drempelo.nl/investeerders.", {"ts": "2027-03-04T09:00:00Z"}),
    ("x", "@marketwatcher_nl", "en", "",
     "Drempelo's full-year 2026 results look solid, subscription revenue is finally bigger than hardware. "
     "Interesting shift.", {"ts": "2027-03-06T14:22:10Z"}),
    ("linkedin", "noor-haddou-drempelo", "en", "",
     "Grendel Ultra launch week done ✅ Thanks to everyone who came by the event in Utrecht!",
     {"ts": "2027-01-25T17:45:00Z"}),
    ("x", "@nieuwsjunk", "nl", "",
     "Weer ontslagen in de tech: 200 banen weg bij een Duitse alarmfabrikant. Hopelijk blijft het bij "
     "Drempelo rustig.", {}),
    ("linkedin", "sem-oosterhuis", "en", "",
     "We're hiring! Drempelo is looking for a Senior Firmware Engineer in Utrecht. Interested? "
     "Send your CV to werkenbij@drempelo.nl 🚀", {}),
    ("instagram", "@oma.truus", "nl", "",
     "Dankzij de Rookmelder Vonk op tijd wakker toen de wasdroger begon te roken. Dank je Drempelo ❤️", {}),
    ("x", "@appleguy_nl", "nl", "",
     "Werkt de Drempelo Grendel Pro ook met Apple Woning? Overweeg er eentje te bestellen.", {}),
    ("reddit", "u/puzzled_pete", "en", "",
     "My Drempelo order confirmation number is 4532 7788 1290 0011. Is that a normal length? "
     "Looks like a card number lol", {}),
    ("forum", "cijferfreak", "nl", "",
     "Klantnummers bij Drempelo zijn 9 cijfers, de mijne is 123456789 en die van mijn vriend 987654321. "
     "Creatieve nummering 😂", {}),
    ("x", "@gongfan", "en", "",
     "Ｗｅｅｋｅｎｄ ｖｉｂｅｓ with the new Drempelo Gong 🔔", {}),
    ("x", "@lachebek_nl", "nl", "",
     "Die nieuwe reclame van Drempelo met die inbreker die over de deurmat uitglijdt is echt kapot grappig 😂",
     {}),
    ("x", "@ux_ully", "nl", "",
     "die nieuwe tijdlijn in de Drempelo app is eerlijk gezegd een killer feature", {}),
    ("reddit", "u/tuinman_tiel", "nl", "",
     "Mijn buitenkraan lekt en de Uitkijk Buiten 2K hangt er precies boven. Verplaatsen of kan hij wel tegen "
     "een beetje water?", {}),
    ("x", "@drempelo_hulp", "en", "",
     "@sam_writes So sorry to hear that! We've sent you a DM so we can sort out a replacement quickly 💙",
     {"kind": "reply"}),
    ("instagram", "@yara.dewit", "nl", "",
     "Kantoorhond Bobbie keurt de nieuwe Portier Mini goed 🐕 #drempelo #werkenbijdrempelo", {}),
    ("x", "@cloudskeptic", "en", "",
     "big cloud provider outage again. funny how my Drempelo cameras kept recording locally the whole time 😎",
     {}),
    ("threads", "@budget.bram", "en", "",
     "Saw a no-name video doorbell on some webshop for €19. Pretty sure you get what you pay for, "
     "sticking with my Portier Mini.", {}),
    ("tiktok", "@drempelo", "en", "",
     "3 tips to stop false motion alerts on your Uitkijk camera 👇 #smarthome #tips #drempelo", {}),
    ("youtube", "@DrempeloHome", "nl", "",
     "Installatievideo: de Grendel Cilinder monteren in 10 minuten. Vragen? Mail klantenservice@drempelo.nl",
     {}),
    ("x", "@huizejansen", "nl", "",
     "Crisis in huize Jansen: de kat heeft door dat ze via de Uitkijk Binnen gezien wordt en zwaait nu elke "
     "ochtend naar de camera 🐱", {}),
    ("mastodon", "@privacynerd@mastodon.nl", "en", "",
     "The Dutch DPA fined a telecom company €4M for a data breach today. Good moment to check which of your "
     "smart-home apps store video in the cloud (mine: Drempelo, set to local only).", {}),
    ("x", "@daanhoekstra_sre", "en", "",
     "Spent the afternoon at a meetup talking about on-call rotations. Zero pages during the talk, a miracle 😄",
     {}),
    ("x", "@happy_hanna", "nl", "",
     "Drempelo heeft me binnen 2 dagen terugbetaald op NL** **** **** **** 42. Netjes.", {}),
    ("reddit", "u/kwijt_login", "nl", "",
     "Hoe reset ik mijn Drempelo wachtwoord als ik niet meer bij mijn oude mailadres kan?", {}),
    ("x", "@deurbelnieuws", "nl", "",
     "Las net dat een Amerikaanse deurbelfabrikant wordt overgenomen door een private-equityclub. "
     "Blij dat mijn Portier Mini gewoon lokaal opneemt, wat er ook gebeurt.", {}),
    ("x", "@robin_tw", "nl", "",
     "Storing is opgelost, Portier geeft weer netjes meldingen. Complimenten aan @drempelo_hulp voor de snelle "
     "updates 👍", {}),
    ("forum", "koopjesjaap", "nl", "",
     "grendel keypad voor 59 euro bij bol in de uitverkoop, was 69. de moeite waard?", {}),
    ("facebook", "DrempeloNL", "en", "",
     "WIN a Drempelo Starterkit (worth €449)! 🎁 Comment with the first room you'd secure 👇", {}),
    ("x", "@petertje_p", "nl", "",
     "drempelo gebeld op 0800-0377 en mijn slotprobleem was binnen 5 minuten opgelost. oprecht onder de indruk.", {}),
    ("reddit", "u/zeeuwse_zoe", "nl", "",
     "Na de stormvloed van vorige week hangt mijn Uitkijk Solar nog steeds scheef, maar hij doet het nog 💪",
     {}),
    ("bluesky", "@joostmeijer.bsky.social", "en", "",
     "Giving a talk next week on secure firmware updates for IoT devices. Slides will be public afterwards.",
     {}),
    ("x", "@drempelo", "nl", "",
     "Wist je dat? Met Drempelo Cloud Basis (€3,99 p/m) bewaar je 30 dagen aan clips. ☁️", {}),
    ("x", "@reviewruud", "en", "",
     "Portier 3 Pro review is up: radar presence detection actually works. Big upgrade over my old Portier 2.",
     {"ts": "2027-02-02T11:05:00Z"}),
    ("instagram", "@interieur.ilse", "nl", "",
     "Eindelijk een deurbel die niet lelijk is 😍 Portier Mini in het wit, in de winkel voor €89,-", {}),
    ("x", "@bakkerij_bo", "nl", "",
     "lifehack: zet de Uitkijk Binnen op je zuurdesemstarter en je hebt gratis een timelapse 🍞", {}),
    ("forum", "sms_twijfel", "nl", "",
     "Iemand ook een sms gehad 'uw Drempelo pakket wacht, betaal €1,95 naar NL19RABO0123456789'? "
     "Phishing toch?", {}),
    ("x", "@adfreak", "en", "",
     "this Drempelo campaign is dead on. 'Who's at the door? Now you know.' 👌", {}),
    ("threads", "@fleur.thuis", "nl", "",
     "Holy shit de Grendel Pro gaat echt sneller open dan dat ik mijn sleutels kan vinden", {}),
]

# ---------------------------------------------------------------- checksum helpers
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def luhn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    tot = 0
    for k, x in enumerate(reversed(d)):
        if k % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0

def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]) % 11 == 0

RE_IBAN = re.compile(r"\bNL\d{2}(?:\s?[A-Z]{4})(?:\s?\d){10}\b")
RE_CARD = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])")
RE_BSN = re.compile(r"(?<![\w.+-])\d{9}(?![\w])")

def norm_digits(s):
    return re.sub(r"\D", "", s)

PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}

def identifiers(text):
    """Return list of (kind, raw, valid) for IBAN, card and BSN candidates."""
    out = []
    ibans = list(RE_IBAN.finditer(text))
    for m in ibans:
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    masked = RE_IBAN.sub(lambda m: "#" * len(m.group(0)), text)
    for m in RE_CARD.finditer(masked):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in RE_BSN.finditer(masked):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out

# ---------------------------------------------------------------- roles and severity
def acct_key(platform, handle):
    return f"{platform}:{handle}".lower()

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}

def role_of(platform, handle):
    k = acct_key(platform, handle)
    if k in CORP:
        return "corporate"
    if k in EMP:
        return "employee"
    return "public"

ORDER = ["none", "info", "warning", "error", "critical"]

def severity(cats, role, text):
    best = "none"
    def bump(level):
        nonlocal best
        if ORDER.index(level) > ORDER.index(best):
            best = level
    insider = role in ("corporate", "employee")
    checksummed = any(valid and not (kind == "iban" and re.sub(r"\s", "", raw) in PUBLIC_IBANS)
                      for kind, raw, valid in identifiers(text))
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                bump("warning")
            elif c in ("leak.secret", "leak.pricing"):
                bump("critical")
            elif c == "leak.pii" and checksummed:
                bump("critical")
            else:
                bump("error")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if insider else "warning")
        else:
            raise ValueError(c)
    return best

# ---------------------------------------------------------------- build
def rfc3339(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")

START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - START).total_seconds())

def build():
    rows = []
    used_ids = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        platform, handle, lang, codes, text, opt = CASES[idx]
        cats = sorted(CAT[c] for c in codes.split())
        role = role_of(platform, handle)
        ts = opt.get("ts") or rfc3339(START + dt.timedelta(seconds=rng.randrange(SPAN)))
        while True:
            pid = f"{platform}-{rng.randrange(10**11, 10**12)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        kind = opt.get("kind", "post")
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "created_at": ts,
        }
        if rng.random() < 0.8:
            post["lang"] = lang
        if platform == "x" and rng.random() < 0.6:
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-', 1)[1]}"
        if rng.random() < 0.85:
            post["brand"] = "drempelo"
        rows.append({"post": post,
                     "expect": {"categories": cats, "severity": severity(cats, role, text)},
                     "_role": role, "_lang": lang})
    return rows

# ---------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

def plain(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).lower()

def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))

def check(rows):
    errors = []
    def fail(row, msg):
        errors.append(f"{row['post']['id']}: {msg}")
    ids = set()
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    internal = [d.lower() for d in PROFILE["internal"]["domains"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    for row in rows:
        p, e = row["post"], row["expect"]
        # CONTRACT section 6 / section 1 shape
        if {k for k in row if not k.startswith("_")} != {"post", "expect"}:
            fail(row, "extra top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            fail(row, "bad id")
        if p["id"] in ids:
            fail(row, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            fail(row, "platform")
        if p.get("kind", "post") not in KINDS:
            fail(row, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            fail(row, "handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            fail(row, "text")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            fail(row, "year")
        if ts.year == 2027 and ts.month > 3:
            fail(row, "2027 only around the embargo")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= TAXONOMY:
            fail(row, "categories")
        if e["severity"] not in ORDER:
            fail(row, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(e["categories"], role, p["text"]):
            fail(row, "severity does not follow the policy")
        benign = not e["categories"]
        if benign and e["severity"] != "none":
            fail(row, "benign must be none")
        if not benign and e["severity"] in ("none", "info"):
            fail(row, "positive too low")
        # checksummed identifiers
        found = identifiers(p["text"])
        has_pii = "leak.pii" in e["categories"]
        for kind, raw, valid in found:
            own = kind == "iban" and re.sub(r"\s", "", raw) in PUBLIC_IBANS
            if has_pii and not valid:
                fail(row, f"pii positive holds a {kind} that fails its checksum: {raw}")
            if not has_pii and valid and not own:
                fail(row, f"{kind} {raw} passes its checksum but post is not labelled pii")
        # e-mails: non-public ones only in pii positives
        for m in re.finditer(r"(?<![\w.+!:/-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", p["text"]):
            if m.group(0).lower() not in pub_emails and not has_pii:
                fail(row, f"private e-mail {m.group(0)} in a post not labelled pii")
        # embargo, codenames, markers, internal domains
        t = plain(p["text"])
        conf = "leak.confidential" in e["categories"]
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in t and ts < until and not conf:
                    fail(row, f"embargo term {term!r} before until but not confidential")
        for word in codenames + markers + internal:
            if word in t and not conf:
                fail(row, f"internal term {word!r} in a post not labelled confidential")
    # the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"benign count {benign} outside 55-65")
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if abs(counts.get(c, 0) - w) > 3:
            errors.append(f"{c}: {counts.get(c, 0)} cases, wanted about {w}")
    nl = sum(1 for r in rows if r["_lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append(f"Dutch share {nl / n:.2f} out of range")
    for r in rows:
        if r["post"]["account"]["handle"].lower() in ("",):
            errors.append("empty handle")
    return errors, counts, benign, nl

def main():
    rows = build()
    errors, counts, benign, nl = check(rows)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check again, on the file itself
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    for b, r in zip(back, rows):
        b["_lang"] = r["_lang"]
    errors2, _, _, _ = check([{k: v for k, v in b.items() if k != "_lang"} | {"_lang": b["_lang"]}
                              for b in back])
    errors += [e for e in errors2 if e not in errors]
    roles = {}
    for r in rows:
        key = (r["_role"], "benign" if not r["expect"]["categories"] else "positive")
        roles[key] = roles.get(key, 0) + 1
    print(f"{len(rows)} cases, {benign} benign, {nl} Dutch")
    print("per category:", json.dumps(counts, sort_keys=True))
    print("per role:", {f"{a}/{b}": v for (a, b), v in sorted(roles.items())})
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")

if __name__ == "__main__":
    main()
