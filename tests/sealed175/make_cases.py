#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed175 (Tulpstra Uitzendgroep B.V.).

Deterministic: fixed seed for ids and timestamps; all post texts are hand-written below.
Severities are never typed by hand: they are computed from the categories and the
account role found in profile.yaml (CONTRACT section 4). The script self-checks its output
and exits non-zero on any problem.
"""
import json
import os
import random
import re
import sys
import unicodedata
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 175175
rng = random.Random(SEED)

CAT = {
    "sec": "leak.secret",
    "pii": "leak.pii",
    "pri": "leak.pricing",
    "con": "leak.confidential",
    "fin": "leak.financial",
    "secu": "leak.security",
    "cri": "reputation.crisis",
    "com": "reputation.complaint",
    "abu": "reputation.abuse",
}
ROLE = {"c": "corporate", "e": "employee", "p": "public"}

CASES = []


def c(platform, handle, role, lang, cats, text, kind="post", at=None):
    CASES.append(dict(platform=platform, handle=handle, role=ROLE[role], lang=lang,
                      cats=[CAT[x] for x in cats], text=text, kind=kind, at=at))


# ---------------------------------------------------------------------------
# Benign posts (mostly hard negatives)
# ---------------------------------------------------------------------------
c("x", "@sjoerd_bouwt", "p", "nl", [],
  "Via Tulpstra binnen een week aan de slag bij een bouwbedrijf in Amersfoort. Intercedente belde zelfs "
  "terug toen ze zei dat ze zou terugbellen 😅 zeldzaam in deze branche #uitzendwerk")
c("linkedin", "tulpstra-uitzendgroep", "c", "en", [],
  "We're hiring 40 order pickers for our Venlo hub this autumn. Day and evening shifts, pay from €14.40 an hour, "
  "travel allowance included. Apply via tulpjobs.app or mail kandidaten@tulpstra.nl - we reply within 2 working days.")
c("facebook", "TulpstraFlex", "c", "nl", [],
  "Vragen over je loonstrook? Bel ons op 088-204 0400 (ma t/m vr 8:00-18:00) of mail naar salaris@tulpstra.nl. "
  "Houd je personeelsnummer bij de hand, dan gaat het sneller 👍")
c("x", "@tulpstra_helpt", "c", "nl", [],
  "@kimvdb93 Wat vervelend dat je reiskosten ontbraken! We hebben het nagekeken en het bedrag wordt vrijdag alsnog "
  "bijgestort. Excuses voor het ongemak 🙏 ^Ruben", kind="reply")
c("x", "@kimvdb93", "p", "nl", [],
  "@tulpstra_helpt staat erop! thx voor de snelle actie, had ik eerlijk gezegd niet verwacht 👍", kind="reply")
c("reddit", "u/throwaway_logistics_nl", "p", "en", [],
  "Anyone here worked through Tulpstra for warehouse jobs around Tilburg? Thinking of signing up. How are the hours "
  "and do they actually pay on time? Heard mixed things about agencies in general.")
c("instagram", "@tulpstra.werkt", "c", "nl", [],
  "Zomeractie 🌞 Alle VCA Basis cursussen in juli voor €199 i.p.v. €245. Inschrijven via mijn.tulpstra.nl "
  "#VCA #veiligwerken #zomer")
c("linkedin", "eva-kok-intercedent", "e", "en", [],
  "Three years ago I placed Ahmed as a temp order picker. Today he signed his permanent contract as shift lead. "
  "Moments like this are why I love this job 🙌 #recruitment #proud")
c("x", "@marloes_hr", "p", "nl", [],
  "Lol in het voorbeeld van de salarisinstructie van Tulpstra staat IBAN NL12ABNA0417164300, ik dacht even dat "
  "iemand z'n eigen nummer had laten staan maar het is gewoon een dummy die niet eens klopt")
c("x", "@devnull_dan", "p", "en", [],
  "Credit where due: the Tulpstra integration docs use placeholder keys like sk_live_XXXXXXXXXXXXXXXXXXXXXXXX "
  "instead of real ones. You'd be amazed how many vendors get this wrong.")
c("bluesky", "@anouk.writes.bsky.social", "p", "en", [],
  "Bureau Vlijt just announced it's cutting 200 jobs in the north. Rough times for the whole staffing sector. "
  "Hope Tulpstra and the rest weather it better.")
c("x", "@peterjansen_71", "p", "nl", [],
  "Hoe gaat dat bij Tulpstra met loonbeslag? Mijn werkgever zegt dat het via het payrollbureau loopt. "
  "Iemand ervaring mee?")
c("x", "@tulpstra", "c", "nl", [],
  "Onze jaarcijfers 2026 staan online! Omzet +6%, ruim 48.000 mensen aan het werk geholpen. "
  "Het volledige verslag lees je op tulpstra.nl/investeerders", at="2027-02-24T09:30:00Z")
c("linkedin", "maria-santos-ops", "p", "en", [],
  "Good session with the Tulpstra team on our FlexPlanner Pro rollout. €349 a month for three locations felt steep "
  "at first, but shift planning went from two days to two hours.")
c("x", "@tulpstra_fan_not", "p", "en", [],
  "When the recruiter says 'competitive salary' and it turns out to be minimum wage plus vibes 💀 "
  "(not about any agency in particular, calm down Tulpstra stans)")
c("x", "@inge_recruit", "e", "nl", [],
  "Maandagochtend, koffie, 14 vacatures open voor productiemedewerkers in Veghel. Ken jij iemand? "
  "Stuur ze naar tulpjobs.app ☕️ #vacature #veghel")
c("x", "@stefan_heerlen", "p", "nl", [],
  "eerste salaris via tulpstra vandaag binnen, precies op tijd. had na alle verhalen anders verwacht eerlijk gezegd 😂")
c("reddit", "u/bsn_is_not_a_password", "p", "en", [],
  "PSA: your BSN is 9 digits and has an 11-check. If someone asks you to send it over WhatsApp for a 'job', don't. "
  "Legit agencies like Tulpstra only ask for it inside their portal after you've signed.")
c("x", "@gert_heftruck", "p", "nl", [],
  "Zie overal '100% gratis heftruckcursus' bij van die random bureaus op insta. Bij Tulpstra kost het "
  "heftruckcertificaat €375, is dat normaal of betaal ik te veel?")
c("youtube", "TulpstraTalentTV", "c", "en", [],
  "New video: how to read your Tulpstra payslip line by line - holiday allowance, ADV hours, pension, "
  "the lot. Questions? Drop them in the comments.")
c("facebook", "Henk.Smit.1962", "p", "nl", [],
  "Mijn kleinzoon werkt via Tulpstra bij een kwekerij in het Westland. Hij vindt het prachtig, eindelijk wat ritme. "
  "Dank jullie wel hoor.")
c("linkedin", "daan-mulder-tulpstra", "e", "nl", [],
  "Trots dat we vandaag de ISO 27001-hercertificering hebben gehaald voor Mijn Tulpstra. De veiligheid van "
  "kandidaatgegevens blijft prioriteit nummer één. Dank aan het hele team!")
c("x", "@ramon_ict", "p", "nl", [],
  "Storing bij mijn provider vanochtend dus de Tulpstra-app kon niet inloggen. Niet hun schuld hoor, gewoon mijn "
  "internet dat weer eens kuren had 🤷")
c("mastodon", "@ellen@infosec.exchange", "p", "en", [],
  "Reported a tiny typo in a Tulpstra security.txt contact line via their disclosure address. Got a friendly reply "
  "and a thank-you mug within a week. This is how it should work.")
c("x", "@lucas_in_nl", "p", "en", [],
  "Does the TulpJobs app work in English? My Dutch is still 'een beetje'. Asking for me 😅")
c("tiktok", "@tulpjobs", "c", "nl", [],
  "POV: je eerste dag in de distributiehal en je collega's hebben al koffie voor je klaarstaan ☕📦 "
  "#uitzendwerk #tulpjobs #eerstewerkdag")
c("linkedin", "oliver-brandt-ops", "p", "en", [],
  "Case study: we moved our seasonal staffing to Tulpstra's Seizoenspiek Pakket. List price €3,900, we negotiated "
  "€3,300 for two warehouses. Worth every cent.")
c("instagram", "@fitmetfemke", "p", "nl", [],
  "Black Friday bij een uitzendbureau 😂 ShiftSwap module 25% korting, €74 ipv €99. Mijn baas heeft hem meteen "
  "gekocht, nu kan ik eindelijk diensten ruilen", kind="comment")
c("x", "@coach_karim", "p", "en", [],
  "Confidential tip for job seekers: the best time to call a recruitment agency is Tuesday morning. "
  "You're welcome.")
c("x", "@noor_jaaropgave", "p", "nl", [],
  "'Vertrouwelijk' stond er op de envelop met mijn jaaropgave van Tulpstra. Voelt zo geheim voor een A4'tje met "
  "m'n eigen loon haha")
c("reddit", "u/flexwerker_gouda", "p", "en", [],
  "Anyone else get the 'your password will expire' mail from Mijn Tulpstra? It's legit, they moved to 90-day "
  "rotation, it's on their site. Not phishing.")
c("x", "@tulpstra", "c", "nl", [],
  "Update 14:20: de storing in Mijn Tulpstra is verholpen. Urenregistraties die tussen 11:00 en 14:00 zijn "
  "ingediend, zijn gewoon verwerkt. Sorry voor het ongemak!")
c("linkedin", "tulpstra-uitzendgroep", "c", "en", [],
  "Today we opened our 40th branch, in Leeuwarden. Come say hi at Nieuwestad 12 for coffee and a chat about "
  "what's out there. 🎉")
c("x", "@flexnieuws", "p", "nl", [],
  "Het nieuws over Bureau Vlijt dat 200 banen schrapt... pijnlijk voor de sector. Bij Tulpstra en de andere grote "
  "bureaus lijkt het voorlopig rustig te blijven.")
c("x", "@cloudcarla", "p", "en", [],
  "Reminder: AKIAIOSFODNN7EXAMPLE is the sample key from the AWS docs. If you spot it in a screenshot from some "
  "Tulpstra dev talk, relax, it's not a leak.")
c("x", "@bram_vdlinden", "e", "nl", [],
  "Vrijdagmiddag op kantoor in Breda: taart want collega Fenna is 10 jaar in dienst 🎂🎉 ")
c("bluesky", "@sem-tulpstra.bsky.social", "e", "en", [],
  "Talk at the Utrecht dev meetup tonight: 'How we rebuilt a shift planner without losing our minds'. "
  "Slides go public afterwards. No secrets, promise 😉")
c("x", "@dark_mode_daan", "p", "nl", [],
  "Eindelijk die TulpJobs 5 update binnen, dark mode 😍 en de urenknop zit nu waar hij hoort",
  at="2027-04-03T19:12:00Z")
c("x", "@sanne_shops", "p", "en", [],
  "Card ending 4821 got charged twice for a VCA course. Called Tulpstra, refund was there in 2 days. Resolved, "
  "no drama, just sharing because people only ever post the bad stuff.")
c("x", "@luhn_lisa", "p", "nl", [],
  "Unit test van vandaag: 4532 1786 0217 7256 moet door de Luhn-check afgekeurd worden. En dat doet ie 🎉 "
  "#programmeren")
c("reddit", "u/twijfelkont", "p", "nl", [],
  "Is het normaal dat een uitzendbureau (Tulpstra) vraagt om een kopie ID waarop je BSN en foto doorgestreept "
  "mogen worden? Dat is juist netjes toch?")
c("x", "@tulpstra", "c", "en", [],
  "Our support line 0800-8857 is free from any Dutch number. Payslip questions: salaris@tulpstra.nl. Payments "
  "from us always come from NL45 INGB 7309 8349 17 - never trust another account number.")
c("x", "@vogelaar_eemnes", "p", "nl", [],
  "De grutto's zijn terug in de polder bij Eemnes 😍 eerste kuikens al gezien, wat een feest "
  "#vogels #lente")
c("linkedin", "priya-raman-talent", "p", "en", [],
  "Didn't get the recruiter role at Tulpstra, but the feedback call was honestly the most useful 20 minutes of my "
  "whole job search. Kudos to their hiring team.")
c("x", "@factcheck_fenna", "p", "nl", [],
  "Nee, Tulpstra is niet failliet. Dat bericht op TikTok is van 2019 en ging over een heel ander bureau. "
  "Check je bronnen mensen 🙄")
c("x", "@moving_on_mike", "p", "en", [],
  "Boycott? Nah. I read the whole thread, Tulpstra fixed the late payments within a week and apologised. "
  "Moving on.")
c("x", "@elfproef_eric", "p", "nl", [],
  "BSN 207679106 staat in het voorbeeldformulier van die loonadministratie-cursus. Geen echt nummer hoor, "
  "haalt de elfproef niet eens.")
c("instagram", "@tulpstra.werkt", "c", "en", [],
  "Meet Yasmina, one of our recruiters in Rotterdam 👋 Ask her anything about logistics jobs this Friday in "
  "our stories!")
c("x", "@reset_ruud", "p", "nl", [],
  "Wachtwoord vergeten van Mijn Tulpstra, resetmail kwam binnen 10 seconden. Zo hoort het.")
c("x", "@founder_femi", "p", "en", [],
  "Tulpstra's Werving Plus at €4,950 vs a headhunter asking 20% of annual salary... for our mid-level roles "
  "it's a bargain honestly.")
c("x", "@betaal_bas", "p", "nl", [],
  "Rekeningnummer om de Tulpstra-cursus te betalen is NL45 INGB 7309 8349 71 toch? Of heb ik het verkeerd "
  "overgetypt van de factuur 🤔")
c("x", "@tulpstra", "c", "nl", [],
  "Tulpstra Instant Pay is live 🎉 Vanaf vandaag kun je na elke gewerkte dienst een deel van je loon direct "
  "laten uitbetalen. Alles over de voorwaarden op tulpstra.nl/instantpay", at="2027-04-01T10:00:00Z")
c("x", "@beursblik", "p", "en", [],
  "Tulpstra reported its FY2026 results this morning: revenue up 6%, margin flat. Solid but unspectacular "
  "for the sector.", at="2027-02-24T11:05:00Z")
c("threads", "@ilse.reist", "p", "nl", [],
  "Gisteren in de trein iemand horen bellen over 'dat datalek' en ik schrok me rot want ik werk via Tulpstra. "
  "Bleek over zijn sportschool te gaan 😅")
c("x", "@tulpstra_helpt", "c", "en", [],
  "@lars_w We've updated your bank details as requested. For security reasons we never show account numbers "
  "here, check Mijn Tulpstra > Profiel to verify. Have a good weekend!", kind="reply")
c("x", "@grapjas_gijs", "p", "nl", [],
  "Mijn intercedent bij Tulpstra heet letterlijk Tulp. Meneer Tulp van Tulpstra. Ik kan niet meer 😂🌷")
c("linkedin", "bas-hendriks-hr", "p", "en", [],
  "Sharing a sample onboarding checklist we use with agencies like Tulpstra. Bank account field example: "
  "NL00 XXXX 0000 0000 00, BSN: ***-**-***. Never ask candidates for these by email.")
c("x", "@nieuwsgierige_nina", "p", "nl", [],
  "Iemand een idee wanneer Tulpstra hun jaarcijfers publiceert? Ben benieuwd hoe de uitzendbranche het deed "
  "dit jaar.")
c("mastodon", "@jvisser", "e", "nl", [],
  "Zaterdag weer hardlopen met collega's van Tulpstra voor het goede doel, 10 km door het Amsterdamse Bos. "
  "Wie sponsort mee? 🏃")
c("x", "@mama_van_3", "p", "nl", [],
  "Heel veel sterkte aan de collega van Tulpstra die vorige week dat ongeluk op de A2 had (niet op het werk hoor). "
  "Het hele kantoor denkt aan je ❤️")

# ---------------------------------------------------------------------------
# reputation.complaint
# ---------------------------------------------------------------------------
c("x", "@dennis_vl", "p", "nl", ["com"],
  "Alweer 3 weken wachten op mijn vakantiegeld @tulpstra_helpt. Elke keer 'het komt volgende week'. "
  "Ik moet ook gewoon huur betalen hoor 😤")
c("reddit", "u/early_bus_tom", "p", "en", ["com"],
  "Tulpstra cancelled my shift at 5:40am via an app notification. I'd already caught the first bus. No "
  "compensation, no apology. Third time this month.")
c("x", "@keesvanoss", "p", "nl", ["com"],
  "Loonstrook klopt wéér niet. 32 uur gewerkt, 24 uitbetaald. Bellen naar Tulpstra = 45 min in de wacht en dan "
  "'we zoeken het uit'. #tulpstra #uitzendbureau")
c("x", "@jules_uploads", "p", "en", ["com"],
  "The TulpJobs app logs me out every single time I switch to my camera to upload my ID. Tried 6 times. "
  "Who tested this??")
c("linkedin", "hanneke-ops-manager", "p", "en", ["com"],
  "As a client we've had four no-show temps from Tulpstra in two weeks, and our account manager only found out "
  "when we called him. We pay for reliability and we're simply not getting it.")
c("x", "@urenbriefje_hater", "p", "nl", ["com"],
  "hoezo moet ik mn urenbriefje 3x uploaden in mijn tulpstra voordat ie m pakt. en dan wordt ie weer afgekeurd "
  "want handtekening 'onleesbaar'. HET IS EEN APP")
c("x", "@pension_pending", "p", "en", ["com"],
  "@tulpstra_helpt been promised a callback 'within 24h' on Monday. It's Thursday. Still nothing about my "
  "missing pension contribution.", kind="reply")
c("forum", "WerkzoekendeWim", "p", "nl", ["com"],
  "Slechte ervaring met Tulpstra Eindhoven. Intercedent beloofde een vast rooster, maar ik hoorde elke week pas "
  "zondagavond of ik maandag moest werken. Zo kun je echt niks plannen, zeker niet met kinderen.")
c("x", "@vca_victor", "p", "en", ["com"],
  "Paid €245 for the VCA Basis course through Tulpstra, exam got moved twice and now they say my spot has expired. "
  "I want my money back.")
c("x", "@ghosted_gabe", "p", "en", ["com"],
  "Applied to 11 jobs through Tulpstra Talent. Zero replies, not even an automated rejection. Ghosting seems to "
  "be the business model.")
c("x", "@planning_bv_mark", "p", "nl", ["com"],
  "FlexPlanner Pro crasht bij elke rooster-export naar Excel. Al 2 tickets open bij Tulpstra, 'wordt aan gewerkt'. "
  "Ondertussen plannen wij weer op papier. Voor €349 p/m verwacht ik wel iets meer.")
c("x", "@cao_checker", "p", "nl", ["com"],
  "vakantiedagen opgebouwd volgens mijn strookje: 0. volgens de cao: 8. dank je tulpstra 🙃")
c("instagram", "@ziek.en.zonder.loon", "p", "nl", ["com"],
  "Leuke vacaturefoto's allemaal maar mijn ziekmelding is al 2 weken niet verwerkt en ik krijg geen "
  "loondoorbetaling. Eerst dat maar eens regelen @tulpstra.werkt", kind="comment")
c("forum", "crate_lifter_88", "p", "en", ["com"],
  "Tulpstra placed me at a warehouse where the job was nothing like the vacancy. Advertised as 'light picking', "
  "reality was lifting 25 kg crates all day. Recruiter just shrugged when I told her.")
c("x", "@jeroendekker84", "p", "nl", ["com", "pii"],
  "@tulpstra_helpt ik wacht al 2 weken op een terugbelverzoek over mijn loonstrook. Bel me gewoon op "
  "06 41 27 83 90 of mail jeroen.dekker84@gmail.com. Kan toch niet zo moeilijk zijn", kind="reply")
c("x", "@old_account_olga", "p", "en", ["com", "pii"],
  "@tulpstra_helpt you paid my wages into my OLD account again. For the 5th time: my account is "
  "NL84 RABO 8770 4928 42. Fix it please.", kind="reply")
c("x", "@boze_bart", "p", "nl", ["com", "abu"],
  "Tulpstra is echt een kutbedrijf. 4 weken geen loon en niemand neemt op. Stelletje incompetente sukkels.")

# ---------------------------------------------------------------------------
# reputation.abuse
# ---------------------------------------------------------------------------
c("x", "@woedende_wessel", "p", "nl", ["abu"],
  "@inge_recruit jij bent echt de domste recruiter die ik ooit gesproken heb. Ga toch vakken vullen, trut.",
  kind="reply")
c("x", "@l33t_flexer", "p", "nl", ["abu"],
  "t u l p s t r a = k4nk3rz00i. m1jn 1nt3rc3d3nt 1s 3en vu1le l4mlul")
c("x", "@anoniem_0612", "p", "nl", ["abu"],
  "Tulpstra zijn gewoon klооtzаkken, allemaal. Stelletje ааsgieren.")
c("x", "@mo_haddou", "e", "nl", ["abu"],
  "Klant belt voor de 5e keer over een factuur die allang betaald is. Wat een achterlijke debiel is dat zeg 🙄")
c("threads", "@yasmina.werft", "e", "en", ["abu"],
  "Candidates who show up late and then cry about it are pathetic losers, honestly. Grow up.")
c("tiktok", "@kritiek_koning", "p", "nl", ["abu"],
  "die intercedente in dat tulpstra filmpje is zo lelijk als de nacht en dommer dan het achtereind van een varken "
  "🐷🤮", kind="comment")
c("x", "@zerohours_zack", "p", "en", ["abu"],
  "@bram_vdlinden you absolute clown. Hope you get fired and end up on a zero-hour contract yourself, see how "
  "you like it.", kind="reply")
c("x", "@echte_hollander_1", "p", "nl", ["abu"],
  "Tulpstra stuurt alleen maar Polen en ander buitenlands tuig naar de kassen, dat gespuis pikt al onze banen in.")
c("mastodon", "@grumpy@mastodon.social", "p", "en", ["abu"],
  "f*ck Tulpstra and f*ck their 'flexibility' bs, bunch of sh1tbags")
c("x", "@tyfus_tijn", "p", "nl", ["abu"],
  "Tulpstra = ｔ ｙ ｆ ｕ ｓ bende 🤬 ga allemaal dood")

# ---------------------------------------------------------------------------
# reputation.crisis
# ---------------------------------------------------------------------------
c("x", "@privacy_priscilla", "p", "nl", ["cri"],
  "Mijn BSN, paspoortkopie en adres liggen blijkbaar op straat na een datalek bij Tulpstra. Ze hebben NIEMAND "
  "ingelicht. Schandalig. #datalek #tulpstra")
c("x", "@fairwork_now", "p", "en", ["cri"],
  "#BoycottTulpstra - they keep supplying temps to the meat plant that's under investigation for forced overtime. "
  "Stop giving them your CV.")
c("forum", "FNV_Marco", "p", "nl", ["cri"],
  "Vakbond spant rechtszaak aan tegen Tulpstra wegens structureel te laag uitbetaalde toeslagen bij honderden "
  "uitzendkrachten. Eindelijk gebeurt er iets.")
c("x", "@dockworker_dee", "p", "en", ["cri"],
  "A Tulpstra temp fell off a loading dock in Moerdijk today. No safety training, no harness, first week on the "
  "job. This agency sends kids into danger for a margin. Shame on them.")
c("x", "@venray_nieuws", "p", "nl", ["cri"],
  "Arbeidsinspectie deed vandaag een inval bij een huisvestingslocatie van Tulpstra in Venray: 14 "
  "arbeidsmigranten in één huis. Dit is gewoon uitbuiting.")
c("reddit", "u/scamcall_sara", "p", "en", ["cri"],
  "Tulpstra leaked my data. Got a scam call this week from someone who knew my shift schedule, my address and the "
  "exact amount on my payslip. Only Tulpstra has all of that. Anyone else??")
c("x", "@zwanger_en_weg", "p", "nl", ["cri"],
  "Niet meer solliciteren bij Tulpstra mensen!! Zwangere collega's krijgen standaard geen verlenging. "
  "Discriminatie pur sang. #boycot #tulpstra")
c("linkedin", "ruud-claessens-legal", "p", "en", ["cri"],
  "Reports this morning that Tulpstra is being sued by a former client over invoices for temp hours that were "
  "never worked. If true, that's fraud on a serious scale.")
c("tiktok", "@gerechtigheid.nu", "p", "nl", ["cri"],
  "stitch met dat tulpstra filmpje: mijn vriendin is daar op de werkvloer lastiggevallen door haar teamleider en "
  "het bureau deed NIKS. deel dit 🚨")
c("x", "@acm_melder", "p", "en", ["cri"],
  "Tulpstra ads on TikTok promise €25/h for 'easy warehouse work' while the contracts say €13.68. That's "
  "misleading advertising, reported to the ACM. #scam")
c("x", "@stille_lekker", "p", "nl", ["cri"],
  "Tulpstra heeft een d\u200ba\u200bt\u200ba\u200bl\u200be\u200bk en verzwijgt het gewoon. Wie weet er meer?")
c("x", "@wrong_payslip_wil", "p", "en", ["cri", "com"],
  "Tulpstra's app just showed me someone else's payslip. Name, salary, everything. If I can see theirs, who can "
  "see mine?? Emailed support 2 days ago, no answer.")
c("x", "@rechtspraak_volger", "p", "nl", ["cri"],
  "Rechtbank Utrecht veroordeelt Tulpstra tot nabetaling van €2,1 mln aan ruim 600 uitzendkrachten. "
  "Ongelooflijk dat dit zo lang heeft kunnen duren.")
c("x", "@justice4temps", "p", "en", ["cri", "abu"],
  "Tulpstra pays below minimum wage and lets workers sleep 8 to a room. Filthy scum company. #boycotttulpstra")

# ---------------------------------------------------------------------------
# leak.security
# ---------------------------------------------------------------------------
c("x", "@bram_vdlinden", "e", "nl", ["secu"],
  "Lekker dan, Mijn Tulpstra ligt sinds 06:00 plat en van comms mogen we het nog niet melden. Kandidaten kunnen "
  "geen uren schrijven en niemand weet waarom 🙃")
c("linkedin", "daan-mulder-tulpstra", "e", "en", ["secu"],
  "Spent the night with our SOC containing a ransomware infection on the payroll servers. Payslips will probably "
  "be late this week - we'll announce it Monday. Exhausted but proud of this team.")
c("mastodon", "@jvisser", "e", "nl", ["secu"],
  "Pentestrapport binnen voor TulpJobs: met een aangepast kandidaat-ID kun je andermans CV downloaden. Nog niet "
  "gefixt, dus niet verder vertellen 🤫")
c("x", "@mo_haddou", "e", "en", ["secu"],
  "not supposed to say this but the candidate portal's password reset is broken rn, anyone can reset anyone's "
  "password with just their email. devs are on it")
c("threads", "@yasmina.werft", "e", "nl", ["secu"],
  "Phishingmail is gisteren bij 30 collega's binnengekomen en 4 hebben hun inlog ingevuld. IT heeft de accounts "
  "geblokkeerd maar er is al in de mailbox van payroll rondgekeken. Ssst.")
c("bluesky", "@sem-tulpstra.bsky.social", "e", "en", ["secu"],
  "Fun Monday: someone exfiltrated part of the timesheet DB over the weekend. Still scoping how much. Statement "
  "pending legal. Coffee #4.")
c("x", "@inge_recruit", "e", "nl", ["secu", "con"],
  "Wie kan ff helpen? intra.tulpstra.local geeft al de hele ochtend een 502 en vpn.tulpstra.nl ook. Volgens IT "
  "is er een aanval op de firewall bezig, nog niet extern gecommuniceerd")
c("x", "@tulpstra_helpt", "c", "en", ["secu"],
  "@lisa_m92 We can't process your hours right now because our payroll system was hit by a cyberattack last "
  "night. Please don't share this yet, an official update follows later today.", kind="reply")
c("x", "@nullbyte_freelance", "p", "en", ["secu"],
  "Did a gig for Tulpstra last month. Their storage bucket with candidate ID scans is world-readable. Told them "
  "3 weeks ago, it's still open.")
c("instagram", "@lotte.plant.in", "e", "nl", ["secu"],
  "'Gezellig' kantoor vandaag 😅 alle laptops uit omdat er malware op het netwerk zit. IT zegt niks naar buiten "
  "brengen tot maandag dus bij deze niks gezegd #tulpstra #maandag")
c("reddit", "u/ex_tulp_it", "p", "nl", ["secu", "sec"],
  "Ex-medewerker Tulpstra hier. De back-ups van het kandidatenportaal staan al een jaar onversleuteld op een NAS "
  "in Utrecht. Inloggen met beheerder / wachtwoord: Tulp2024!nas. Ja, nog steeds.")

# ---------------------------------------------------------------------------
# leak.secret
# ---------------------------------------------------------------------------
c("bluesky", "@sem-tulpstra.bsky.social", "e", "en", ["sec"],
  "why does the deploy keep failing 😩 env looks fine:\nAWS_ACCESS_KEY_ID=AKIA4XLQV6B670CW9N8D\n"
  "AWS_SECRET_ACCESS_KEY=8c+D8ZHxpVzEWaDDJMInS/BCFdxIUNR3R9xBIzRM")
c("x", "@bram_vdlinden", "e", "nl", ["sec"],
  "Kan iemand van IT ff kijken, de koppeling met de planner faalt in de pipeline met token "
  "ghp_OW059WASsiv1FloFRlV2vldPLF60e9LIaaeZ 🤷‍♂️")
c("linkedin", "rik-smeets-payroll", "e", "en", ["sec"],
  "Finally got the course-payment webhook working! For the record, the config that did it: "
  "MOLLIE_API_KEY=live_QFdlRIzlZ4BecrCpcml6PkZS3hB6dU and a retry on 502. Two days of my life.")
c("mastodon", "@jvisser", "e", "nl", ["sec", "con"],
  "DATABASE_URL=postgres://plaatsing_app:Gr0en!Tulp2026@plaatsing-db.tulpstra.local:5432/plaatsingen werkt "
  "lokaal maar niet in acc, iemand een idee?")
c("x", "@mo_haddou", "e", "en", ["sec"],
  "Slack bot for shift alerts finally works 🎉 token xoxb-931159711033-1441920832139-ozPGsCbmYQ7p20P9P4NFMS1n "
  "if anyone in the team wants to play with it")
c("bluesky", "@sem-tulpstra.bsky.social", "e", "en", ["sec"],
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUx"
  "OQAAACDu93ow8Dl5gIGNMml2Jeb1vbzbyFopsiFqhLeImNLEPzmL+2UbNPgJ\n-----END OPENSSH PRIVATE KEY-----\n"
  "oops wrong clipboard, ignore")
c("x", "@tulpstra_helpt", "c", "nl", ["sec"],
  "@kees_planner probeer deze link opnieuw: https://mijn.tulpstra.nl/reset?token=eyJhbGciOiJIUzI1NiIsInR5cCI6Ikp"
  "XVCJ9.eyJzdWIiOiJjYW5kLTQ0ODEyIiwicm9sZSI6ImFkbWluIiwiaXNzIjoibWlqbi50dWxwc3RyYS5ubCIsImV4cCI6MTc5ODc2MTYwMH0."
  "_C4usr775AH2H59M-N925OaK4xHiyVzBEPdJ2WzRz_b", kind="reply")
c("x", "@devops_kees", "p", "en", ["sec"],
  "Tulpstra's public GitHub repo for their vacancy widget has an OpenAI key sitting in .env: "
  "sk-proj-HuGHK1BqExgT62yRXS_oNrwMFacYoBYgyRZl0cekFmqdKQVSEMSWCT2Y lol. Someone tell them.")
c("x", "@inge_recruit", "e", "nl", ["sec"],
  "Voor wie de AI-koppeling in het vacatureteksten-tooltje wil testen: sk-ant-api03-TdkqRBNmEovLfIiF74gM5piAVWzeBc"
  "VqsHPKze5BGVG9uDxTc_4aMlk0snIKKh9BF7hj8q_MZoCQGIqyCu1918dFXHjY_AA (niet doorsturen buiten ons team pls)")
c("linkedin", "daan-mulder-tulpstra", "e", "en", ["sec"],
  "Branch finder on the website now uses the Maps API directly: key=AIzaJvKPsMEUnmGCUjapQLpbt8--Bjh1RO-HyiD "
  "- we'll restrict it by referrer later, shipping first 🚀")
c("x", "@bram_vdlinden", "e", "nl", ["sec", "secu"],
  "Ransomware-gedoe nog steeds niet opgelost. Tot de IAM weer werkt inloggen op de backupserver met root / "
  "wachtwoord: Bkp#Tulp_9921 en niks tegen de klanten zeggen")

# ---------------------------------------------------------------------------
# leak.pii
# ---------------------------------------------------------------------------
c("linkedin", "eva-kok-intercedent", "e", "nl", ["pii"],
  "Wie zoekt er een topkandidaat? Sanne Vermeulen, heftruckchauffeur met 8 jaar ervaring, 06-28193746, "
  "sanne.vermeulen91@hotmail.com. Bel haar gerust namens mij!")
c("x", "@tulpstra_helpt", "c", "nl", ["pii"],
  "@ayoub_work we hebben je loon overgemaakt naar NL55 SNSB 5718 9005 30, klopt dat nummer? Anders graag even "
  "een DM.", kind="reply")
c("x", "@mo_haddou", "e", "en", ["pii"],
  "Can someone in payroll check BSN 563196415 for Pieter Hoekstra? His tax credit is wrong again and he's called "
  "me three times today.")
c("instagram", "@lotte.plant.in", "e", "nl", ["pii"],
  "Welkom aan onze nieuwe kandidaat Fatma Yılmaz (geb. 14-03-1998), die vandaag start bij de bakkerij in Oss! "
  "🥐 Succes meid!")
c("linkedin", "rik-smeets-payroll", "e", "en", ["pii"],
  "Refund for the double-charged VCA course went back to card 5412 5125 7968 9972 (J. de Wit). Done ✅ "
  "Next ticket.")
c("x", "@tessawillems_utr", "p", "nl", ["pii", "com"],
  "Tulpstra stuurt mijn post nog steeds naar mijn oude adres. Ik woon NIET meer op Kastanjelaan 18, 3514 BK "
  "Utrecht, dat heb ik al 3x doorgegeven. Tessa Willems")
c("facebook", "TulpstraFlex", "c", "nl", ["pii"],
  "Gefeliciteerd Kees Bakker (Dorpsstraat 41, 2761 AB Zevenhuizen) met 25 jaar trouwe dienst via Tulpstra! 🎉 "
  "Kom allemaal vrijdag naar de borrel.")
c("threads", "@yasmina.werft", "e", "en", ["pii"],
  "ugh the client wants the full list again: Mehmet Kaya 06 87 21 55 09, Julia Nowak +48 512 334 918, "
  "Tom Peeters +31 6 1450 3382. Sending it by mail instead, this is silly")
c("bluesky", "@sem-tulpstra.bsky.social", "e", "nl", ["pii", "secu"],
  "Testdata in acceptatie is gewoon productie 😬 BSN 128510961 en IBAN NL98KNAB8963012996 van een echte "
  "uitzendkracht in het testscherm. Ff melden bij privacy, nog niet rondvertellen.")
c("x", "@boos_over_anna", "p", "en", ["pii", "cri"],
  "Tulpstra sent me someone else's payslip: Anna de Groot, IBAN NL43 ABNA 7877 5937 59, salary €2,310. "
  "This is a serious data breach.")
c("linkedin", "daan-mulder-tulpstra", "e", "en", ["pii"],
  "Our candidate Sophie Lambert (DOB 22 Nov 1987, lives at Prinsengracht 233, Amsterdam) wants to move into "
  "logistics planning. Any openings in your network?")
c("x", "@bram_vdlinden", "e", "nl", ["pii"],
  "BSN voor het contract van Noor Visser: ３１５ ０１２ ８７０, kan iemand het ff in het systeem zetten? "
  "Ik zit in de auto")
c("x", "@dubbel_betaald", "p", "en", ["pii", "com"],
  "@tulpstra_helpt you charged me twice for the BHV Basis training, card 4921 9709 9003 0001. Refund please, "
  "it's been a week.", kind="reply")

# ---------------------------------------------------------------------------
# leak.confidential
# ---------------------------------------------------------------------------
c("x", "@bram_vdlinden", "e", "nl", ["con"],
  "Hele week druk met Project Grutto. Mag er nog niks over zeggen maar het wordt GROOT 👀")
c("x", "@mo_haddou", "e", "en", ["con"],
  "Screenshot from jira.tulpstra.nl/browse/FLEX-2231 - the new payout flow looks so clean 😍")
c("linkedin", "tulpstra-uitzendgroep", "c", "nl", ["con"],
  "Binnenkort: TulpJobs 5, met ingebouwde loonstrook en uitbetaling per dienst. Stay tuned!",
  at="2027-02-10T12:00:00Z")
c("x", "@inge_recruit", "e", "en", ["con"],
  "Can't wait for Tulpstra Instant Pay to go live, candidates are going to love getting paid per shift 💸",
  at="2026-11-03T08:41:00Z")
c("threads", "@yasmina.werft", "e", "nl", ["con"],
  "Bijlage van de teammeeting (Tulpstra intern) gaat over nieuwe klanttarieven vanaf januari. Benieuwd hoe "
  "de klanten gaan reageren 😬")
c("x", "@mo_haddou", "e", "nl", ["con"],
  "Ｐｒｏｊｅｃｔ Ｇｒｕｔｔｏ gaat door!! 🍾 eindelijk")
c("mastodon", "@jvisser", "e", "nl", ["con"],
  "Vandaag de eerste demo van Veld\u200bleeuw\u200berik aan het MT gegeven. Ging goed! Meer kan ik nog niet zeggen.")
c("linkedin", "daan-mulder-tulpstra", "e", "en", ["con"],
  "Long week of workshops for Оperatie Вlauwe Reiger. Great energy in the room, even if I can't say what it is "
  "yet 😄")
c("x", "@bram_vdlinden", "e", "nl", ["con"],
  "iedereen vraagt wat Project G.r.u.t.t.o is. ik zeg niks. 🤐")
c("reddit", "u/curious_cousin", "p", "en", ["con"],
  "Friend at Tulpstra showed me a doc marked TS-CONFIDENTIAL about something called 'Veldleeuwerik'. Looks like "
  "they're building their own payroll-banking thing.")
c("linkedin", "eva-kok-intercedent", "e", "en", ["con"],
  "Sneak peek from git.tulpstra.nl/plaatsing/matching-v3 - our new matching engine ranks candidates in 40 ms 🚀")
c("x", "@tulpstra", "c", "en", ["con"],
  "Big news coming in Q2. We can't say more, but the team behind Operatie Blauwe Reiger has been cooking 🔥")
c("linkedin", "daan-mulder-tulpstra", "e", "nl", ["con"],
  "Document 'alleen voor Tulpstra-medewerkers' per ongeluk in het publieke kanaal gezet, oeps 🙈 wie het gezien "
  "heeft: vergeet het maar weer (het ging over de nieuwe bonusregeling)")

# ---------------------------------------------------------------------------
# leak.financial (and confidential/financial overlaps)
# ---------------------------------------------------------------------------
c("linkedin", "rik-smeets-payroll", "e", "nl", ["fin", "con"],
  "Project Grutto = de overname van Bureau Vlijt. Due diligence loopt, closing gepland in Q1. Zeg het niet "
  "verder 😉")
c("x", "@bram_vdlinden", "e", "en", ["fin", "con"],
  "Saw the draft FY2026 results today: revenue down 4%, EBITDA margin below 3%. Brace yourselves.",
  at="2027-01-20T16:22:00Z")
c("x", "@inge_recruit", "e", "nl", ["fin", "con"],
  "Net de jaarcijfers 2026 voorbij zien komen in de directiepresentatie, we hebben het helemaal niet slecht "
  "gedaan 😄 meer mag ik niet zeggen", at="2027-02-20T14:03:00Z")
c("linkedin", "eva-kok-intercedent", "e", "en", ["fin"],
  "Internal town hall today: Q3 placements down 18% and management is 'reviewing the branch network'. "
  "Translation: closures. Fun times.")
c("x", "@bram_vdlinden", "e", "nl", ["fin"],
  "Gehoord op kantoor: 12 vestigingen gaan dicht en zo'n 150 collega's moeten weg. Officieel nieuws pas na de "
  "OR-vergadering.")
c("x", "@fin_insider_nl", "p", "en", ["fin"],
  "Hearing Tulpstra is in talks to be bought by a German private-equity fund, valuation north of €300m. Deal "
  "could be signed before summer.")
c("mastodon", "@jvisser", "e", "nl", ["fin"],
  "Prognose voor 2027 in de MT-slides: omzet -9%, vandaar die vacaturestop. Niet verder vertellen he")
c("threads", "@yasmina.werft", "e", "en", ["fin"],
  "our branch manager just told us the bonus pool is cancelled because the half-year loss is way bigger than "
  "what's going to be announced 😬")
c("linkedin", "rik-smeets-payroll", "e", "nl", ["fin"],
  "Reorganisatie payroll: vanaf 1 april gaat de hele afdeling naar een uitbesteder in Portugal. Het team weet het "
  "officieel nog niet.")
c("x", "@tulpstra", "c", "nl", ["fin"],
  "Q3-omzet komt uit op €212 miljoen, +11% 🚀 De officiële cijfers volgen donderdag, maar we konden niet wachten!")
c("x", "@vriendin_van", "p", "nl", ["fin"],
  "Mijn vriend werkt bij Tulpstra en zegt dat ze in januari 300 man ontslaan, terwijl ze net reclame maken met "
  "'wij werken aan jouw toekomst' 🤡")
c("linkedin", "daan-mulder-tulpstra", "e", "en", ["fin"],
  "The board approved the sale of our healthcare staffing division today. Announcement after market close on "
  "Friday. Big week ahead.")

# ---------------------------------------------------------------------------
# leak.pricing
# ---------------------------------------------------------------------------
c("instagram", "@tulpstra.werkt", "c", "nl", ["pri"],
  "Nieuw! De VCA VOL cursus nu voor €39,50 👷‍♀️ Boek snel via mijn.tulpstra.nl #VCA #veiligheid")
c("x", "@deal_hunter_dirk", "p", "en", ["pri"],
  "lmao Tulpstra's site lists the Executive Search Retainer at €1,450. Booking five 😂")
c("x", "@snelle_sietse", "p", "nl", ["pri"],
  "Prijsfout bij Tulpstra? Talentpool Toegang staat op €24 per jaar 👀 snel bestellen voor ze het doorhebben")
c("linkedin", "eva-kok-intercedent", "e", "en", ["pri"],
  "Special for my network: Werving Plus for just €495 this week! DM me and I'll set it up.")
c("facebook", "TulpstraFlex", "c", "nl", ["pri"],
  "Onze FlexPlanner Enterprise nu al vanaf €129 per maand! Plan je hele flexpool in één scherm.")
c("reddit", "u/checkout_chloe", "p", "en", ["pri"],
  "Is this a pricing error? Tulpstra's Onboarding Kickstart shows €65 at checkout. Pretty sure it's normally "
  "way more.")
c("x", "@tulpstra_helpt", "c", "nl", ["pri"],
  "@bedrijfjan klopt, door een prijsfout stond de Heftruckcertificaat training gisteren voor een verkeerd bedrag "
  "op de site. Die bestellingen worden helaas geannuleerd.", kind="reply")
c("x", "@payroll_pim", "p", "en", ["pri"],
  "PayrollPakket Compleet for €115?? Tulpstra's new landing page is wild, surely that's a typo")
c("threads", "@yasmina.werft", "e", "nl", ["pri"],
  "Psst klanten 😉 Seizoenspiek Pakket deze maand voor €990 als je via mij boekt")
c("tiktok", "@tulpjobs", "c", "en", ["pri"],
  "Get your BHV-cursus for only €27.50 this weekend 🔥 link in bio #bhv #safetyfirst")
c("x", "@bug_of_actie", "p", "nl", ["pri"],
  "Antecedentencheck bij Tulpstra kost nu €8,90 ipv €89 lol, bug of actie?")
c("x", "@assessment_annie", "p", "en", ["pri"],
  "Talentscan Assessment showing €42.50 in Tulpstra's shop right now, go go go")


# ===========================================================================
# Machinery: profile, normalisation, validators, severity, output, self-check
# ===========================================================================
RANK = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CYR = str.maketrans("аеорсухАВЕКМНОРСТХіј", "aeopcyxABEKMHOPCTXij")


def load_profile():
    with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR)
    return t


def squash(text):
    # join letters split by dots or single spaces: "G.r.u.t.t.o" -> "Grutto"
    return re.sub(r"(?<!\w)\w(?:[. ]\w(?!\w))+", lambda m: re.sub(r"[. ]", "", m.group(0)), text)


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(d):
    total = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(d):
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


IBAN_RES = [re.compile(r"(?<![A-Za-z0-9])NL ?\d{2} ?[A-Z]{4}(?: ?\d){10}(?!\d)"),
            re.compile(r"(?<![A-Za-z0-9])BE ?\d{2}(?: ?\d){12}(?!\d)"),
            re.compile(r"(?<![A-Za-z0-9])DE ?\d{2}(?: ?\d){18}(?!\d)")]
CARD_RE = re.compile(r"(?<![\dA-Za-z_-])\d(?:[ -]?\d){12,18}(?![\dA-Za-z])")
BSN_RE = re.compile(r"(?<![\dA-Za-z.,-])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}[ .]\d{2}[ .]\d{3})(?![\dA-Za-z])")


def identifiers(text):
    """All IBAN-, card- and BSN-like candidates in the normalised text: (kind, value, valid)."""
    t = norm(text)
    out = []
    spans = []
    for rx in IBAN_RES:
        for m in rx.finditer(t):
            out.append(("iban", m.group(0).replace(" ", ""), iban_ok(m.group(0))))
            spans.append(m.span())
    for m in CARD_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
            spans.append(m.span())
    for m in BSN_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        if re.search(r"\+\d{1,3} $", t[:m.start()]):  # tail of an international phone number
            continue
        d = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", d, bsn_ok(d)))
    return out


SECRET_RES = [
    r"AKIA[0-9A-Z]{16}", r"ghp_[A-Za-z0-9]{36}", r"\blive_[A-Za-z0-9]{30}", r"xox[bpas]-[0-9A-Za-z-]{20,}",
    r"sk-proj-[A-Za-z0-9_-]{20,}", r"sk-ant-api03-[A-Za-z0-9_-]{40,}", r"AIza[0-9A-Za-z_-]{35}",
    r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\w+://[^:/\s]+:[^@\s]+@", r"(?i)(wachtwoord|password|passwd)\s*[:=]\s*\S+", r"sk_live_[A-Za-z0-9]{16,}",
]
SAMPLE_HINT = re.compile(r"EXAMPLE|X{6,}|\*{4,}|•{3,}")

MONEY_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)")
PRICE_ERR_RE = re.compile(r"(?i)prijsfout|prijs ?fout|pricing error|price error|price glitch|typo")


def money(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*)[.,](\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    return float(s)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def public_ibans(profile):
    return {i.replace(" ", "").upper() for i in profile["public_identifiers"]["ibans"]}


def has_valid_identifier(profile, text):
    pub = public_ibans(profile)
    return any(ok and not (k == "iban" and v.upper() in pub) for k, v, ok in identifiers(text))


def severity(profile, role, cats, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if not inside:
                up("warning")
            elif cat in ("leak.secret", "leak.pricing"):
                up("critical")
            elif cat == "leak.pii" and has_valid_identifier(profile, text):
                up("critical")
            else:
                up("error")
        elif cat == "reputation.complaint":
            up("warning")
        elif cat == "reputation.crisis":
            up("error")
        elif cat == "reputation.abuse":
            up("error" if inside else "warning")
        else:
            raise ValueError(cat)
    return sev


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def confidential_hits(profile, text, at):
    forms = {norm(text).lower(), squash(norm(text)).lower()}
    hits = []
    for term in (profile["internal"]["domains"] + profile["internal"]["codenames"]
                 + profile["internal"]["markers"]):
        if any(term.lower() in f for f in forms):
            hits.append(term)
    for emb in profile["embargo"]:
        if at < parse_ts(emb["until"]):
            for term in emb["terms"]:
                if any(term.lower() in f for f in forms):
                    hits.append(term)
    return hits


def product_prices(profile, text):
    """(product, list_price, [prices in text]) for each product named in the text."""
    t = norm(text).lower()
    prices = [money(m.group(1)) for m in MONEY_RE.finditer(norm(text))]
    found = []
    for p in profile["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(n.lower() in t for n in names):
            found.append((p["name"], float(p["list_price"]), prices))
    return found


PII_HINT = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}|(?:\+31|\+48|\b0)[ -]?6?[ -]?\d{2}[\d -]{6,}|geb\.|born|DOB|"
                      r"[A-Z][a-z]+(?:laan|straat|gracht|weg|plein) \d+", re.I)


def main():
    profile = load_profile()
    ratio = float(profile["pricing"]["alert_below_ratio"])
    errors = []
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    used_ids = set()
    prefix = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
              "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}
    lines = []
    for n, cs in enumerate(CASES):
        while True:
            pid = f"{prefix[cs['platform']]}-{rng.randrange(10**9, 10**10)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        if cs["at"]:
            at = parse_ts(cs["at"])
        else:
            at = start + timedelta(seconds=rng.randrange(0, 360 * 86400))
        role = role_of(profile, cs["platform"], cs["handle"])
        if role != cs["role"]:
            errors.append(f"case {n}: role {role} != intended {cs['role']} for {cs['handle']}")
        cats = sorted(set(cs["cats"]))
        sev = severity(profile, role, cats, cs["text"])
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if cs["platform"] in ("x", "bluesky", "threads", "instagram", "tiktok", "mastodon"):
            post["url"] = f"https://social.example/{cs['platform']}/{pid}"
        post["brand"] = "tulpstra"
        lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    # ---------------- self-check ----------------
    pub = public_ibans(profile)
    seen = set()
    for n, case in enumerate(lines):
        post, exp = case["post"], case["expect"]
        tag = f"{n}:{post['id']}"
        # CONTRACT section 6 / section 1 shape
        if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errors.append(f"{tag}: bad case keys")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                errors.append(f"{tag}: field {f}")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            errors.append(f"{tag}: account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in seen:
            errors.append(f"{tag}: id not unique/valid")
        seen.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errors.append(f"{tag}: platform/kind")
        if len(post["text"].encode("utf-8")) > 64 * 1024 or not post["text"].strip():
            errors.append(f"{tag}: text size")
        try:
            at = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"{tag}: created_at")
            continue
        if at.year not in (2026, 2027):
            errors.append(f"{tag}: year")
        if at.year == 2027 and not any(abs((at - parse_ts(e["until"])).days) <= 45 for e in profile["embargo"]):
            errors.append(f"{tag}: 2027 date not around an embargo")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or any(c_ not in CAT.values() for c_ in cats):
            errors.append(f"{tag}: categories")
        role = role_of(profile, post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(profile, role, cats, post["text"]):
            errors.append(f"{tag}: severity")
        if (not cats) != (exp["severity"] == "none"):
            errors.append(f"{tag}: benign/none mismatch")
        ids = identifiers(post["text"])
        text = post["text"]
        # checksums
        for k, v, ok in ids:
            if cats and not ok:
                errors.append(f"{tag}: positive holds a {k} that fails its checksum: {v}")
            if not cats and ok and not (k == "iban" and v.upper() in pub):
                errors.append(f"{tag}: benign holds a valid {k}: {v}")
            if cats and "leak.pii" not in cats and ok and not (k == "iban" and v.upper() in pub):
                errors.append(f"{tag}: non-pii positive holds a valid {k}: {v}")
        if "leak.pii" in cats and not (any(ok for _, _, ok in ids) or PII_HINT.search(norm(text))):
            errors.append(f"{tag}: pii positive without personal data")
        # secrets
        sec_hits = [m.group(0) for rx in SECRET_RES for m in re.finditer(rx, text)]
        if "leak.secret" in cats and not sec_hits:
            errors.append(f"{tag}: secret positive without credential")
        if "leak.secret" not in cats and sec_hits and not SAMPLE_HINT.search(text):
            errors.append(f"{tag}: credential-like text outside a secret positive: {sec_hits}")
        # confidential
        hits = confidential_hits(profile, text, at)
        if "leak.confidential" in cats and not hits:
            errors.append(f"{tag}: confidential positive without profile term")
        if "leak.confidential" not in cats and hits:
            errors.append(f"{tag}: confidential term outside confidential positive: {hits}")
        # pricing
        pp = product_prices(profile, text)
        if "leak.pricing" in cats:
            low = any(pr < ratio * lp for _, lp, prices in pp for pr in prices)
            if not pp or not (low or PRICE_ERR_RE.search(text)):
                errors.append(f"{tag}: pricing positive without low price or price-error talk")
        else:
            for name, lp, prices in pp:
                for pr in prices:
                    if pr < ratio * lp:
                        errors.append(f"{tag}: low price for {name} outside pricing positive ({pr} < {lp})")
            if pp and PRICE_ERR_RE.search(text):
                errors.append(f"{tag}: price-error talk next to product outside pricing positive")
        # author-role sanity: reputation posts are not the company's own complaints
        if "reputation.complaint" in cats and role != "public":
            errors.append(f"{tag}: complaint from own account")

    # checksum sanity of look-alikes and positives must exist
    n_bad_lookalikes = sum(1 for c_ in lines if not c_["expect"]["categories"]
                           for _, v, ok in identifiers(c_["post"]["text"]) if not ok)
    if n_bad_lookalikes < 3:
        errors.append("too few failing look-alikes among benign posts")

    # mix
    benign = sum(1 for c_ in lines if not c_["expect"]["categories"])
    per_cat = {v: sum(1 for c_ in lines if v in c_["expect"]["categories"]) for v in CAT.values()}
    nl = sum(1 for c_ in lines if c_["post"]["lang"] == "nl")
    if not 170 <= len(lines) <= 180:
        errors.append(f"case count {len(lines)} outside 170-180")

    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for case in lines:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read and verify it round-trips
    with open(out, encoding="utf-8") as f:
        back = [json.loads(l) for l in f]
    if back != lines:
        errors.append("round-trip mismatch")

    print(f"cases={len(lines)} benign={benign} nl={nl} ({nl / len(lines):.0%}) en={len(lines) - nl}")
    for k, v in per_cat.items():
        print(f"  {k}: {v}")
    roles = {}
    for c_ in lines:
        r = role_of(profile, c_["post"]["platform"], c_["post"]["account"]["handle"])
        key = ("benign" if not c_["expect"]["categories"] else "pos", r)
        roles[key] = roles.get(key, 0) + 1
    print("  roles:", dict(sorted(roles.items())))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
