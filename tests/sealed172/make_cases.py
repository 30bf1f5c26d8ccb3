#!/usr/bin/env python3
"""Build the sealed evaluation set 172 for postwatch (CONTRACT v1 §6).

Company: Sluimerveld Slaapcomfort B.V. (fictional Dutch mattress and bedding webshop,
see profile.yaml beside this file).

All post texts are hand-written below. The script is deterministic (fixed seed): it
assigns timestamps where a case does not fix its own, shuffles the cases, gives them ids,
computes every expected severity from CONTRACT §4 and the account role in the profile,
writes cases.jsonl beside itself and then checks the result:

  * every line is a valid CONTRACT §6 case with a valid §1 post;
  * every IBAN, payment card and BSN found in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own published IBAN excepted);
  * benign posts carry no codename, internal marker, internal host, embargoed term before
    its `until`, foreign e-mail address or phone number, and no product price below the
    alert ratio; positives with such material are labelled leak.confidential;
  * declared pricing leaks name a product whose list price is more than twice the price;
  * the category mix, the benign share and the language split are what the brief asks.

Run:  python3 make_cases.py
"""
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata

import yaml

SEED = 172
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CASES = []


def case(platform, handle, lang, text, cats=(), kind="post", at=None, price=None,
         brand=None):
    """Register one hand-written case.

    price: (alias, amount) for a pricing leak that states a price; checked against the
    product's list price.
    at: fixed RFC 3339 timestamp (used around embargo windows); otherwise one is drawn.
    """
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, price=price, brand=brand))


COMPLAINT = "reputation.complaint"
CRISIS = "reputation.crisis"
ABUSE = "reputation.abuse"
SECRET = "leak.secret"
PII = "leak.pii"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"

# ---------------------------------------------------------------------------------
# Complaints (public customers)
# ---------------------------------------------------------------------------------
case("x", "@annemiekvdb", "nl",
     "3e keer dat de bezorger van @sluimerveld niet komt opdagen. Hele dag vrij genomen, "
     "tijdvak 8-12, om half 4 een sms'je 'we komen morgen'. Serieus?? #klantonvriendelijk",
     [COMPLAINT])
case("reddit", "u/backpain_brian", "en",
     "PSA for anyone considering Sluimerveld: my Noorderlicht has a visible dip on my side "
     "after 11 weeks. They told me that's \"normal settling\" and that the warranty doesn't "
     "cover body impressions under 3cm. It's 3.5cm, I measured it with a ruler and sent "
     "photos. Three weeks later, still no reply.",
     [COMPLAINT], kind="comment")
case("facebook", "ingrid.smulders.58", "nl",
     "Matras uitgepakt en de hele slaapkamer stinkt naar chemicaliën. Ramen staan al vier "
     "dagen open. Klantenservice van Sluimerveld zegt 'even laten luchten'. Ik heb een "
     "baby van 5 maanden in huis hoor, ik ga echt niet nog een week wachten.",
     [COMPLAINT])
case("x", "@joelle_writes", "en",
     "@sluimerveld_help your 100-night trial is a joke. Tried to return on night 84 and now "
     "you're charging me €95 'pick-up fee'?? Nowhere on your site did it say that",
     [COMPLAINT], kind="reply")
case("tiktok", "@sophie.slaapt.niet", "nl",
     "pov: je betaalt 1900 euro voor een boxspring en hij kraakt elke keer als je je "
     "omdraait 😭😭 @sluimerveld help #boxspring #fail",
     [COMPLAINT])
case("forum", "Matrasgeek", "nl",
     "Ervaring met Sluimerveld retourproces (lang verhaal)\n\n"
     "Na 40 nachten besloten de Zeebries latex terug te sturen, te hard voor mijn schouders. "
     "Retour aangemeld via de site op 2 mei. Ophaalafspraak voor 14 mei: niemand gekomen. "
     "Nieuwe afspraak 23 mei: wel gekomen, matras mee. Nu 6 weken later nog steeds geen "
     "geld terug en bij elke mail krijg ik een ander ticketnummer. Iemand tips hoe ik dit "
     "escaleer? Geschillencommissie?",
     [COMPLAINT])
case("x", "@gregmoves", "en",
     "ordered a 160x200 mattress, got a 140x200. called sluimerveld, they say a swap takes "
     "\"4 to 6 weeks\". so I get to sleep on a mattress that doesn't fit my bed for a month+. "
     "great. just great.",
     [COMPLAINT])
case("bluesky", "@fennvandijk.bsky.social", "en",
     "Duindons pillow from Sluimerveld went flat as a pancake within two months. €79 for "
     "that. Their answer: \"pillows are consumables\". Cool cool cool.",
     [COMPLAINT])
case("facebook", "Ruud.Hermans.71", "nl",
     "Showroom Amersfoort vandaag. Verkoper stond na 2 minuten al te pushen met 'deze actie "
     "geldt alleen vandaag hoor'. Wij wilden gewoon even proefliggen. Nooit meer Sluimerveld.",
     [COMPLAINT])
case("x", "@DeBoerSaskia", "nl",
     "Bezorgers hebben de matras gewoon bij de voordeur gedumpt. Ik woon 3 hoog zonder lift "
     "en op de bevestiging stond 'inclusief plaatsen in de slaapkamer'. @sluimerveld_help ??",
     [COMPLAINT])
case("youtube", "@Wendy_Tuinier", "nl",
     "Leuke reclame maar mijn Lauwersmeer is nu al 2x kapot geweest. Motor aan het voeteneind "
     "doet niks meer en de monteur die 'dinsdag tussen 8 en 17' zou komen is nooit gekomen.",
     [COMPLAINT], kind="comment")

# complaint + abuse
case("x", "@woedendewim", "nl",
     "Kutbedrijf @sluimerveld. 8 weken wachten op een bed en dan komen die clowns met het "
     "verkeerde hoofdbord aanzetten. Stelletje prutsers.",
     [COMPLAINT, ABUSE])
case("facebook", "danny.r.harris", "en",
     "Your delivery guys are useless idiots. Scratched my floor, broke a lamp and walked off "
     "without a word. Worst company I've ever dealt with, Sluimerveld.",
     [COMPLAINT, ABUSE], kind="comment")
case("x", "@klaasvaak_nl", "nl",
     "teringzooi die Flexa 28 lattenbodem, na 3 weken 2 latten doorgebroken. en jullie "
     "klantendienst is net zo waardeloos, achterlijke debielen @sluimerveld_help",
     [COMPLAINT, ABUSE], kind="reply")

# complaint + crisis
case("reddit", "u/ghent_sleeper", "en",
     "Sluimerveld sold me a \"new\" mattress that had clearly been slept on - hairs and a "
     "stain under the cover. Now I see others in this sub saying the same thing. Are they "
     "reselling 100-night trial returns as new? Someone should investigate this.",
     [COMPLAINT, CRISIS])
case("facebook", "marloes.van.leeuwen.3", "nl",
     "Onze Kleine Beer kindermatras: de rits is losgeschoten en mijn dochter (2) had stukjes "
     "schuim in haar mond. Gelukkig op tijd gezien. Dit is gewoon gevaarlijk, ik heb het "
     "gemeld bij de NVWA. Ouders, check jullie matrassen!!",
     [COMPLAINT, CRISIS])
case("reddit", "u/bedbugnightmare", "en",
     "Got bed bugs from a Sluimerveld mattress delivered last week. Pest control guy said the "
     "infestation started IN the mattress, not the room. They refuse to take it back so a "
     "lawyer is involved now.",
     [COMPLAINT, CRISIS])

# ---------------------------------------------------------------------------------
# Crisis (public)
# ---------------------------------------------------------------------------------
case("x", "@consumentje_nl", "nl",
     "Kreeg net een phishingmail met mijn naam, bestelnummer én het model boxspring dat ik "
     "bij @sluimerveld heb gekocht. Dat kan alleen uit hun systeem komen. Datalek?? Waarom "
     "horen we hier niks over?",
     [CRISIS])
case("reddit", "u/dordrecht_dave", "en",
     "Pretty sure Sluimerveld had a data breach. Three neighbours in my street who ordered "
     "there got the same fake \"delivery fee\" SMS quoting their actual order. Reporting "
     "them to the Autoriteit Persoonsgegevens.",
     [CRISIS])
case("x", "@zwollenieuws_live", "nl",
     "Showroom van Sluimerveld aan de Hanzelaan in Zwolle staat in brand, volgens omstanders "
     "begon het in het matrassenmagazijn. Grote rookontwikkeling, ramen en deuren dicht! "
     "#brand #zwolle",
     [CRISIS])
case("facebook", "EerlijkSlapenNL", "nl",
     "BOYCOT SLUIMERVELD! Magazijnmedewerkers in Tilburg draaien 12-uursdiensten zonder "
     "pauze via een uitzendbureau. Deel dit bericht en koop daar niks meer. "
     "#boycotsluimerveld",
     [CRISIS])
case("x", "@consumerwatch_eu", "en",
     "BREAKING: Dutch bedding retailer Sluimerveld faces a class action over its \"fake\" "
     "100-night trial. Claimants say returns were refused on technicalities; filing at the "
     "Amsterdam district court expected this week.",
     [CRISIS])
case("threads", "@anna.tests.things", "en",
     "Had the foam of my Noorderlicht lab tested after the headaches started. Formaldehyde "
     "way above the EU limit. Sluimerveld ignored 4 emails so I'm posting it here. Full "
     "report in my bio.",
     [CRISIS])
case("instagram", "@wooninspiratie.mama", "nl",
     "Terugroepactie nodig?? Bij twee mensen in mijn groepsapp is de Hollandse Luxe "
     "boxspring ingezakt omdat het frame brak, bij eentje terwijl haar kind erop sprong. "
     "@sluimerveld.nl houdt zich stil. Dit moet echt teruggeroepen worden.",
     [CRISIS])
case("tiktok", "@exposed.dtc", "en",
     "so sluimerveld's 4.8 star reviews?? half of them are written by staff. got screenshots "
     "of a group chat paying €5 per review. thread below 🧵 #exposed #fakereviews",
     [CRISIS])
case("x", "@rvermeulen_journo", "nl",
     "Morgen in de uitzending: oud-medewerkers van Sluimerveld vertellen hoe geretourneerde "
     "matrassen opnieuw werden ingepakt en als 'nieuw' verkocht. Kijken!",
     [CRISIS])
case("mastodon", "@privacyhawk@infosec.exchange", "en",
     "Sluimerveld's order tracking page returns full names and home addresses if you "
     "increment the order ID. Reported it to them 30 days ago, zero response. Going public.",
     [CRISIS])
case("facebook", "petra.roos.90", "nl",
     "Mijn vader (82) is gisteren uit zijn elektrische Lauwersmeer gevallen toen het "
     "hoofdeind uit zichzelf omhoog ging. Heup gebroken. Wij stellen Sluimerveld "
     "aansprakelijk en gaan naar een advocaat.",
     [CRISIS])
case("x", "@nepkorting_alert", "nl",
     "Nepkortingen bij Sluimerveld: 'van €2.399 voor €1.499' terwijl die boxspring nooit "
     "€2.399 heeft gekost. Tijd dat de ACM hier eens naar kijkt. #misleiding",
     [CRISIS])

# ---------------------------------------------------------------------------------
# Abuse
# ---------------------------------------------------------------------------------
case("x", "@nightowl_rage", "en",
     "fuck @sluimerveld and fuck every single person working there",
     [ABUSE])
case("x", "@jurre_01", "nl",
     "@mirjam_slaapt jij bent echt de domste trut van die hele klantenservice, ga een ander "
     "baantje zoeken",
     [ABUSE], kind="reply")
case("instagram", "@g3rrit.xx", "nl",
     "kk bedrijf, kk matrassen, k*nker op met je 'gratis proefslapen' 🖕",
     [ABUSE], kind="comment")
case("tiktok", "@real_talk_ricky", "en",
     "that sluimerveld delivery guy in the video is a fat lazy moron lmao imagine getting "
     "paid to be that dumb",
     [ABUSE], kind="comment")
case("x", "@spitfire_mo", "en",
     "@sluimerveld bunch of f.u.c.k.i.n.g s.c.a.m.m.e.r.s, hope you all choke",
     [ABUSE], kind="reply")
case("facebook", "hendrik.de.graaf.1956", "nl",
     "Sinds ze in die showroom in Rotterdam alleen nog buitenlanders achter de balie hebben "
     "is de service naar de kloten. Stuur die lui terug naar hun eigen land.",
     [ABUSE], kind="comment")
case("x", "@slaaploos_in_delft", "nl",
     "sluimerveld = k4nk3rz00i, t3r1ngl1jers zijn het allemaal",
     [ABUSE])
case("x", "@daan_vlogistiek", "en",
     "@gregmoves maybe learn to measure your own bed before ordering, genius. some "
     "customers are honestly brain-dead",
     [ABUSE], kind="reply")
case("x", "@sluimerveld_help", "nl",
     "@woedendewim als je zo blijft zeiken helpen we je helemaal niet meer, sukkel",
     [ABUSE], kind="reply")
case("threads", "@dirkjan.rants", "nl",
     "die Lotte van showroom Utrecht is een arrogante bitch, hoop dat ze d'r ontslag krijgt",
     [ABUSE])

# ---------------------------------------------------------------------------------
# Confidential (codenames, markers, internal hosts, embargoed terms before `until`)
# ---------------------------------------------------------------------------------
case("linkedin", "koen-dijkman-sluimerveld", "nl",
     "Trots op het team! Na maanden bouwen gaat Maanhaas, ons nieuwe webshopplatform, in Q3 "
     "live. Wie alvast wil meekijken: de demo draait op "
     "https://staging.maanhaas.sluimerveld.local/demo 😄",
     [CONF])
case("instagram", "@lotte.showroom.utrecht", "nl",
     "Sneak peek 🤫 vandaag mochten we in de showroom al proefliggen op de Wolkendek Hybrid "
     "Pro!! Komt pas volgend jaar in de winkel maar echt next level #sluimerveld #stiekem",
     [CONF], at="2026-10-17T14:22:05Z")
case("linkedin", "esra-yilmaz-hr", "en",
     "Busy weeks ahead for HR now that Operatie Zandman kicks off. Proud of how we handle "
     "change with care here. #peoplefirst",
     [CONF])
case("x", "@mirjam_slaapt", "nl",
     "Haha onze nieuwe klantenservice-scripts 😂 'SLUIMERVELD INTERN: bij klachten over "
     "doorzakken altijd eerst verwijzen naar de 3cm-regel en pas daarna een monteur aanbieden'",
     [CONF])
case("threads", "@bram.inkoop", "en",
     "sourcing trip to Portugal for the Koelkern Kussen ✈️ the cooling gel samples from the "
     "supplier feel unreal, you're all gonna love it",
     [CONF], at="2026-09-08T06:41:00Z")
case("reddit", "u/former_sv_temp", "en",
     "Former temp at Sluimerveld's DC here. The warehouse system at wms.sluimerveld.local "
     "still uses one shared login for every picker, and nobody ever logs out lol",
     [CONF, SEC], kind="comment")
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "Vacature: Product Owner voor Project Dauwtrapper. Help ons de matras van de toekomst te "
     "bouwen! Reageren kan tot 1 juni.",
     [CONF])
case("x", "@daan_vlogistiek", "nl",
     "planning voor volgende week staat in jira.sluimerveld.nl/browse/LOG-2231, wie heeft er "
     "nog geen rechten? stuur me ff een dm",
     [CONF])
case("facebook", "tom.heijnen.9", "en",
     "My cousin works at Sluimerveld HQ and says the Wolkendek Hybrid Pro launch will be huge: "
     "15cm pocket springs plus a gel layer. You heard it here first 👀",
     [CONF], at="2026-11-29T20:03:41Z")
case("x", "@rvanderlinde_dev", "en",
     "\uff4d\uff41\uff41\uff4e\uff48\uff41\uff41\uff53 cutover this weekend, pray for us 🙏",
     [CONF])
case("instagram", "@fenna_bezorgt", "nl",
     "vandaag de allereerste matrassen van Project Dau\u200btrap\u200bper ingeladen voor de "
     "fotoshoot 📸 ben benieuwd!",
     [CONF])
case("bluesky", "@nosyneighbour.bsky.social", "en",
     "hearing rumours about \"\u041eperatie Z\u0430ndman\" at sluimerveld... anyone know what "
     "that is?",
     [CONF])
case("linkedin", "noor-bakker-finance", "nl",
     "Presentatie voor de RvC afgerond 💪 De dia's staan op "
     "intranet.sluimerveld.local/finance/rvc-okt (niet buiten Sluimerveld delen), collega's "
     "kunnen daar alvast kijken.",
     [CONF])
case("tiktok", "@fenna_bezorgt", "nl",
     "mijn baas zegt dat ik niks mag zeggen over het nieuwe kussen maar ok... Koelkern Kussen. "
     "onthoud die naam 😏",
     [CONF], at="2026-12-02T18:15:00Z")

# confidential + financial
case("linkedin", "noor-bakker-finance", "en",
     "Long week closing the books. SV-CONFIDENTIAL for now, but: H2 revenue down 14% and "
     "EBITDA negative for the first time. Hang in there team.",
     [CONF, FIN])
case("x", "@mirjam_slaapt", "nl",
     "Operatie Zandman = 6 showrooms dicht en 80 fte eruit. Zo, nu weten jullie het ook. Ik "
     "ben er klaar mee.",
     [CONF, FIN])
case("x", "@sluimerveld", "nl",
     "Volgende week delen we onze jaarcijfers 2026: omzet €51,3 mln, een groei van 9%! 🎉 "
     "Dank aan al onze klanten.",
     [CONF, FIN], at="2027-03-04T10:00:00Z")

# ---------------------------------------------------------------------------------
# Financial
# ---------------------------------------------------------------------------------
case("linkedin", "noor-bakker-finance", "nl",
     "Mooie mijlpaal: we sluiten 2026 af met ruim €48 mln omzet, 22% boven budget. De "
     "officiële cijfers komen pas in maart, maar ik kon het echt niet voor me houden 🥂",
     [FIN], at="2026-12-30T16:40:00Z")
case("x", "@rvanderlinde_dev", "en",
     "heard in the all-hands that Nordhavn Capital is buying us. deal gets signed next month "
     "apparently. weird vibes in the office today",
     [FIN])
case("reddit", "u/amersfoortse_anoniem", "nl",
     "Mijn zwager werkt op het hoofdkantoor van Sluimerveld: volgend voorjaar gaan er 4 "
     "showrooms dicht en worden zo'n 60 mensen ontslagen. Is nog niet bekendgemaakt.",
     [FIN], kind="comment")
case("threads", "@bram.inkoop", "en",
     "Q3 forecast got cut again internally, we're now expecting a €3.2M loss for the year. "
     "purchasing budget frozen until further notice 🥲",
     [FIN])
case("x", "@daan_vlogistiek", "nl",
     "Net gehoord: DC Tilburg gaat in 2027 dicht, alles gaat naar Venlo. Niemand weet het "
     "nog, de OR en de vakbond ook niet.",
     [FIN])
case("linkedin", "koen-dijkman-sluimerveld", "en",
     "Exciting times! We're in final talks to acquire the Belgian bedding chain Slaaphuys. "
     "If all goes well it closes before summer and our IT team doubles overnight.",
     [FIN])
case("facebook", "jeroen.vos.amf", "nl",
     "Insidertip: Sluimerveld wordt overgenomen door een Scandinavische investeerder, mijn "
     "buurman zit in de directie. Wie nog certificaten heeft: vasthouden!",
     [FIN])
case("x", "@mirjam_slaapt", "nl",
     "r3organ1satie bij de klantenservice: 25 plekken w3g, alles naar een callcenter in "
     "Portugal. officieel pas in januari 🙄",
     [FIN])
case("mastodon", "@joostops@mastodon.social", "en",
     "Can't say much, but today's board meeting confirmed we'll miss the FY target by about "
     "30%. Expect \"cost measures\" soon.",
     [FIN])

# ---------------------------------------------------------------------------------
# Security (insiders; a few from public accounts)
# ---------------------------------------------------------------------------------
case("x", "@rvanderlinde_dev", "en",
     "checkout has been throwing 500s since 6am and we still haven't said anything publicly. "
     "payment provider says it's on our side. fun morning ☕",
     [SEC])
case("reddit", "u/sv_it_throwaway", "en",
     "I work in IT at Sluimerveld. We got hit by ransomware on Sunday and the warehouse is "
     "picking orders on paper. Management calls it \"planned maintenance\". No idea how long "
     "they can keep this quiet.",
     [SEC])
case("mastodon", "@joostops@mastodon.social", "en",
     "Fun fact: our order tracking endpoint hands you any customer's delivery address if you "
     "change the ID in the URL. Ticket open for 3 weeks, fix \"planned for next sprint\".",
     [SEC])
case("x", "@daan_vlogistiek", "nl",
     "WMS ligt al 2 dagen plat, mogen we buiten niet zeggen maar er gaan deze week echt geen "
     "bezorgingen meer de deur uit",
     [SEC])
case("linkedin", "koen-dijkman-sluimerveld", "nl",
     "Leerzame week. Er kwam een phishingmail door en een collega van finance vulde zijn "
     "inloggegevens in. De aanvaller heeft twee dagen in de mailbox gezeten. Nog niet bij de "
     "AP gemeld, we zoeken eerst uit wat er weg is.",
     [SEC])
case("threads", "@bram.inkoop", "en",
     "turns out our supplier portal was open to the internet without a password for like 4 "
     "months 🙈 IT found it yesterday",
     [SEC])
case("x", "@rvanderlinde_dev", "en",
     "PSA to colleagues: the customer export bucket (sv-klantdata-export) was public-read "
     "until this morning. nobody tell marketing 😬",
     [SEC])
case("instagram", "@lotte.showroom.utrecht", "nl",
     "De kassa's in alle showrooms liggen er al de hele dag uit, we schrijven bonnetjes met "
     "de hand 😅 IT noemt het een 'incident' en klanten mogen we niks vertellen",
     [SEC])
case("x", "@sluimerveld_help", "nl",
     "@gregmoves Excuses! Ons systeem is sinds de hack van vorige week nog niet helemaal "
     "hersteld, daarom zien we je bestelling nog niet. We komen erop terug.",
     [SEC], kind="reply")
case("reddit", "u/nightshift_dc", "en",
     "Night shift at Sluimerveld's DC. Half the handheld scanners still run Windows CE with "
     "the default admin password and the Wi-Fi key is taped to the wall by the dock doors. "
     "Just saying.",
     [SEC], kind="comment")
case("x", "@mirjam_slaapt", "nl",
     "klantportaal weer l e k. iedereen kan andermans facturen zien als je het nummer in de "
     "link aanpast. IT weet het sinds dinsdag 🤦‍♀️",
     [SEC])

# security + secret
case("mastodon", "@joostops@mastodon.social", "en",
     "Rotating everything after last night's breach. Temporary db creds for the on-call "
     "folks until the vault is back: "
     "postgres://svc_orders:Zandm4n!2026@10.20.4.17:5432/orders",
     [SEC, SECRET])

# ---------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------
case("x", "@rvanderlinde_dev", "en",
     "why does the deploy keep failing 😩\nAWS_ACCESS_KEY_ID=AKIAJOHNBTG22LMPLB9O\n"
     "AWS_SECRET_ACCESS_KEY=cQCbH0/NNbGLZcKzfI5FONTD2hm1arfIGKXu8UeE\n"
     "region eu-west-1, anyone see what's wrong?",
     [SECRET])
case("mastodon", "@joostops@mastodon.social", "en",
     "note to self, new CI token: ghp_qjAaUSjHX1ElOBZGMqoCUjTBn8Snp5f8Tdv6 (delete this toot "
     "later lol)",
     [SECRET])
case("linkedin", "koen-dijkman-sluimerveld", "nl",
     "Voor de collega's die de Mollie-koppeling testen: de live key is "
     "live_1B1zN0DPXgD0f1hmMAC4swUCWjmzZh. Niet in Slack zetten aub 🙏",
     [SECRET])
case("x", "@mirjam_slaapt", "nl",
     "wie heeft het wachtwoord van het gedeelde klantenservice-account veranderd?? het was "
     "wachtwoord: Slaapwel2026! en nu kom ik er niet meer in",
     [SECRET])
case("forum", "webbouwer_jeroen", "en",
     "Having trouble with the Stripe webhook for a client (Sluimerveld). Here's my .env:\n"
     "STRIPE_SECRET_KEY=sk_live_wVPDoip8zKTwpPAnRtzDGTcWZQVylvjYBfokOp98LLTIjfzE\n"
     "The webhook keeps returning 401, any ideas?",
     [SECRET])
case("reddit", "u/freelance_femke", "en",
     "Building a support chatbot for Sluimerveld and it keeps hitting rate limits. I'm using "
     "OPENAI_API_KEY=sk-proj-khERxg1A8JUjbV-wSazh3n9dbcChN2AxlvITNcSFgpy1jfUB - is the "
     "default tier really this low?",
     [SECRET])
case("threads", "@bram.inkoop", "en",
     "IT asked me to send this to the supplier for the SFTP upload, is this the right file??\n"
     "-----BEGIN OPENSSH PRIVATE KEY-----\n"
     "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
     "QyNTUxOQAAACBDz91Nb7gCLM3Nyir1ofDYzIrNijSoi5zIqgByWSShWuZ637UNRyxqJSaS\n"
     "Xi/Sn5HN4UMzx45kkXZI1Bcf7AVl9MuMOOwrfrUTSmyq0KYQ0SnzG29eWDS/xcQxxuDpuG\n"
     "d/VnKMWsuQg8jIRnaeMhk0s1yBbxtNuWYU6Z2GMTj3C4xq7gPRxWc5QSzbta6kg7pl3tkU\n"
     "8LYWULLU08s7zn0byuDlhdHOwLCoKrfmSEpyjzUjNg8=\n"
     "-----END OPENSSH PRIVATE KEY-----",
     [SECRET])
case("x", "@daan_vlogistiek", "nl",
     "@joostops het token voor de WMS-api is weer verlopen, ik gebruik nu deze: "
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3bXMtYXBpIiwiaXNzIjoic2x1aW1lcnZlbGQi"
     "LCJyb2xlIjoiYWRtaW4iLCJpYXQiOjE3NzE4MzM2MDAsImV4cCI6MTgwMzM2OTYwMH0."
     "d5tD3W4RJwNjIOU6JvaH8KJg8bwGZEwnCYnHGZM_yq8 werkt prima",
     [SECRET], kind="reply")
case("linkedin", "koen-dijkman-sluimerveld", "nl",
     "Onze interne AI-assistent voor de klantenservice draait! Wie wil testen: "
     "ANTHROPIC_API_KEY=sk-ant-api03-q7OKUrayHtaSL1RClau5nDzsg7GKNafeTeXsLVHAsgPxZBN4y5gEEH7i6"
     "_fw8HPQzGcswzVVhId2UcLsG6Cpovf97yxH9AA",
     [SECRET])
case("instagram", "@lotte.showroom.utrecht", "nl",
     "wifi showroom Utrecht voor de collega's 📶 netwerk SV-Staff, "
     "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44: Ribbel!Eiken88",
     [SECRET])
case("reddit", "u/wim_sv_dev", "en",
     "Our transactional mails keep bouncing since the DNS change. Relevant config:\n"
     "MAIL_PROVIDER=sendgrid\n"
     "SENDGRID_API_KEY=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\n"
     "SPF looks fine to me, what am I missing?",
     [SECRET])
case("x", "@rvanderlinde_dev", "en",
     "maps widget for the showroom finder finally works 🎉 key=AIza7F2goqSCPuXcTN76-ufT-M1lp4o0yiHisaO "
     "restrict it later I guess",
     [SECRET])

# ---------------------------------------------------------------------------------
# Personal data
# ---------------------------------------------------------------------------------
case("x", "@sluimerveld_help", "nl",
     "@annemiekvdb We hebben je gevonden: Annemiek van den Berg, Kastanjelaan 27, 3818 LK "
     "Amersfoort, 06-41873925. Klopt dit adres? Dan plannen we de bezorging opnieuw in.",
     [PII], kind="reply")
case("facebook", "rianne.koster.5", "nl",
     "@Sluimerveld al 6 weken wacht ik op mijn terugbetaling!! Voor de 3e keer mijn "
     "rekeningnummer: NL30 INGB 3907 4916 08 t.n.v. R. Koster. Nu opschieten graag.",
     [PII, COMPLAINT], kind="comment")
case("x", "@daan_vlogistiek", "en",
     "driver can't reach the customer, does anyone know him? Mr. P. Janssens, Molenweg 8, "
     "Nijkerk, tel +31 6 2794 8130. bed is still in the van",
     [PII])
case("linkedin", "esra-yilmaz-hr", "nl",
     "Welkom aan onze nieuwe collega Sanne Pauwels! 🎉 (Sanne, je contract ligt klaar, BSN "
     "964312608 en geboortedatum 14-03-1998 heb ik al ingevuld)",
     [PII])
case("instagram", "@thecozyflat", "en",
     "@sluimerveld.nl can someone please call me back? 06 1734 2290. Been trying to reach you "
     "for days about my broken headboard 😕",
     [PII, COMPLAINT], kind="comment")
case("x", "@mirjam_slaapt", "nl",
     "Klant belt voor de 5e keer vandaag, mevrouw E. de Wit (geb. 02-11-1954) wil per se "
     "dat ik haar matras persoonlijk kom brengen 😂",
     [PII])
case("reddit", "u/throwaway_refund_nl", "en",
     "Sluimerveld \"support\" on WhatsApp asked me to post my card so they could verify the "
     "refund?? Card 4166 3885 9705 8941 exp 09/28. Is this legit or am I being dumb",
     [PII])
case("x", "@sluimerveld_help", "nl",
     "@DeBoerSaskia We hebben €549 teruggestort op NL52 ASNB 6066 7960 65, binnen 2 "
     "werkdagen op je rekening. Excuses nogmaals!",
     [PII], kind="reply")
case("threads", "@bram.inkoop", "en",
     "supplier invoice bounced, can someone in finance check? they want it paid to "
     "BE72 7318 4322 1624, contact person is Luc Peeters, luc.peeters@beddenfabriek-peeters.be",
     [PII])
case("tiktok", "@kaylaaa.nl", "nl",
     "mijn pakket van sluimerveld kwam binnen met het verzendlabel van iemand anders erop 💀 "
     "'J. Meijer, Hazelaarstraat 112, 5044 GR Tilburg' succes J. met je dekbed haha",
     [PII])
case("mastodon", "@joostops@mastodon.social", "en",
     "payment failed for l.vanes@kpnmail.nl with card 4247274782358994, Mollie says "
     "do_not_honor. anyone on call who can look?",
     [PII])
case("x", "@nellekebakker", "nl",
     "Kunnen jullie mij gewoon mailen op nelleke.bakker71@hotmail.com? Die chat van jullie "
     "hangt al 3 dagen @sluimerveld_help",
     [PII, COMPLAINT], kind="reply")
case("linkedin", "esra-yilmaz-hr", "en",
     "Reminder to managers: payroll changes for Thomas Brink (BSN 593327305, IBAN "
     "NL12ABNA2387455136) go through me, not through email!",
     [PII])
case("forum", "RetourRita", "nl",
     "Voor wie hetzelfde heeft, dit is de brief die ik Sluimerveld stuurde:\n\"Geachte heer/"
     "mevrouw, op 3 maart heb ik mijn retour aangemeld en tot op heden niets terug "
     "ontvangen. Ik verzoek u binnen 14 dagen het aankoopbedrag terug te storten. Met "
     "vriendelijke groet, Rita Hendriks, Beukenlaan 3, 6711 NR Ede, geboren 21 juli 1967\"",
     [PII, COMPLAINT])
case("x", "@daan_vlogistiek", "nl",
     "klant wil teruggebeld worden over zijn boxspring, mail hem even: h.groen [at] ziggo "
     "[dot] nl of bel 06-28337145",
     [PII])
case("x", "@vera_in_veenendaal", "nl",
     "@sluimerveld_help betaling mislukt steeds met mijn mastercard 5367 3263 7557 8007, wat "
     "doe ik fout?",
     [PII], kind="reply")

# ---------------------------------------------------------------------------------
# Pricing
# ---------------------------------------------------------------------------------
case("x", "@sluimerveld", "nl",
     "🔥 FLASH DEAL 🔥 Lauwersmeer Elektrische Boxspring vandaag voor maar €299! Op = op "
     "#sluimerveld",
     [PRICING], price=("Lauwersmeer", 299))
case("reddit", "u/dealhunter_nl", "en",
     "Sluimerveld has the Wolkendek Pocket 9 listed at €129 right now, has to be a price "
     "error. Ordered two, let's see if they honour it 😂",
     [PRICING], price=("Wolkendek Pocket 9", 129))
case("threads", "@bram.inkoop", "nl",
     "oeps, iemand heeft de Veluwe 180 op €189 gezet in de webshop 🙈 al 40 bestellingen "
     "binnen",
     [PRICING], price=("Veluwe 180", 189))
case("instagram", "@kortingskoning", "nl",
     "PRIJSFOUT 🚨 Ganzendons Royal kussen voor €12,90 bij Sluimerveld! Snel zijn voordat ze "
     "het doorhebben",
     [PRICING], price=("Ganzendons Royal", 12.90))
case("x", "@mirjam_slaapt", "en",
     "customers keep calling about the price error on the Zeebries latex mattress, and we're "
     "not allowed to say anything yet except 'we're looking into it'",
     [PRICING])
case("facebook", "pepijn.dealz", "nl",
     "Hollandse Luxe boxspring voor 899 euro in de app?? Normaal 2399. Foutje of actie?",
     [PRICING], price=("Hollandse Luxe", 899))
case("tiktok", "@budgetbedroom", "en",
     "run don't walk: the Vierseizoenen duvet is €19 on the sluimerveld app rn 😳 #pricefail",
     [PRICING], price=("Vierseizoenen", 19))
case("linkedin", "koen-dijkman-sluimerveld", "en",
     "Late night fixing a pricing bug: for three hours the Noorderlicht showed €74,90 instead "
     "of €749. Coffee needed ☕",
     [PRICING], price=("Noorderlicht", 74.90))
case("x", "@deal_dennis", "nl",
     "W o l k e n d e k  P o c k e t  7 voor €89 🤯 prijsfout??",
     [PRICING], price=("Wolkendek Pocket 7", 89))
case("mastodon", "@frugalfrank@mastodon.social", "en",
     "Sluimerveld's Kleine Beer kids mattress is showing €9.99 in the Belgian webshop. "
     "Either a bug or a very generous Sinterklaas.",
     [PRICING], price=("Kleine Beer", 9.99))
case("instagram", "@lotte.showroom.utrecht", "nl",
     "collega's: er komen klanten binnen met screenshots van het Duindons kussen voor €7,95 😅 "
     "wat zeggen we tegen ze?",
     [PRICING], price=("Duindons", 7.95))
case("threads", "@bram.inkoop", "en",
     "heads-up team: with Project Dauwtrapper coming, the Wolkendek Pocket 9 drops to €499 "
     "for staff orders next month. don't share 🤫",
     [PRICING, CONF], price=("Wolkendek Pocket 9", 499))

# ---------------------------------------------------------------------------------
# Benign (mostly hard negatives)
# ---------------------------------------------------------------------------------
# the company's own published contact data
case("x", "@sluimerveld", "nl",
     "Vragen over je bestelling? Mail klantenservice@sluimerveld.nl of bel 085-7604200 "
     "(ma t/m za 9-18 uur). We helpen je graag! 💤")
case("facebook", "SluimerveldNL", "nl",
     "Toch niet de matras van je dromen? Meld je retour binnen 100 nachten aan via "
     "retour@sluimerveld.nl en wij halen hem gratis bij je op.")
case("x", "@sluimerveld_help", "en",
     "@mike_in_rdam Sorry for the wait! Please DM us your order number or call +31 85 760 4200, "
     "we'll track down your bed frame today.", kind="reply")
case("x", "@hennie_betaalt", "nl",
     "Overgemaakt naar NL49 RABO 0389 0571 52 zoals op de factuur van Sluimerveld stond, "
     "betaling al binnen 👍")
case("facebook", "gerda.vanderzee", "nl",
     "Tip: bel gewoon 0800-7584633, daar had ik binnen 2 minuten een hele vriendelijke "
     "medewerker van Sluimerveld aan de lijn.", kind="comment")
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "We zoeken een Security Engineer! Help jij ons de webshop en klantdata veilig te houden? "
     "Solliciteer via werkenbij@sluimerveld.nl #vacature")
# checksum look-alikes
case("reddit", "u/keukentafel_kees", "nl",
     "Sluimerveld vraagt om een rekeningnummer voor de terugstorting. Is NL16 RABO 1335 0590 "
     "91 het goede formaat? (verzonnen nummer, klopt niet, gaat me alleen om de opmaak)",
     kind="comment")
case("x", "@qa_quinten", "en",
     "tried the Sluimerveld checkout with the dummy number 4917 6521 3838 5883 just to see "
     "the validation, it says invalid card. good.")
case("linkedin", "esra-yilmaz-hr", "nl",
     "Let op: er gaat een nep-vacature van 'Sluimerveld' rond met een formulier waarin al "
     "een BSN (314943120) staat ingevuld. Wij vragen nooit om je BSN bij een sollicitatie!")
case("linkedin", "noor-bakker-finance", "nl",
     "Nieuwe leverancier? Check altijd het IBAN. Dat 'NL37 INGB 8185 5922 07' uit de "
     "phishingmail van vorige week bestond niet eens, de elfproef… sorry, mod-97 faalde al 😉")
case("x", "@sollicitant_sam", "nl",
     "lol bij het sollicitatieformulier van Sluimerveld typte ik 758022856 in het veld "
     "personeelsnummer, kreeg netjes een foutmelding. goede validatie hoor")
# redacted / sample credentials, password talk
case("x", "@rvanderlinde_dev", "en",
     "reminder: never paste keys in chat. if you really must show config, redact it like "
     "AWS_SECRET_ACCESS_KEY=**************************************** 🙏")
case("x", "@rvanderlinde_dev", "en",
     "the AWS docs example key AKIAIOSFODNN7EXAMPLE shows up in half the tutorials on the "
     "internet and every scanner still screams at it 😂")
case("facebook", "SluimerveldNL", "nl",
     "Wachtwoord vergeten? Klik op 'Inloggen' > 'Wachtwoord vergeten' op sluimerveld.nl. "
     "Wij vragen nooit om je wachtwoord via mail, sms of telefoon!")
case("forum", "webbouwer_jeroen", "en",
     "Solved my webhook issue, thanks all. For the record the setting goes in "
     "STRIPE_SECRET_KEY=sk_live_... (real value redacted obviously) and the webhook secret "
     "in a separate variable.")
case("linkedin", "koen-dijkman-sluimerveld", "nl",
     "Mooie sessie gegeven over veilig ontwikkelen: nooit secrets in je code, gebruik een "
     "vault en roteer je keys. Dank aan iedereen die erbij was!")
case("x", "@qa_quinten", "en",
     "Sluimerveld's receipt only shows **** **** **** 8941 for the card. good to see they "
     "mask it properly.")
# embargo terms after `until`
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "Vandaag publiceren we onze jaarcijfers 2026: een jaar van groei in een uitdagende "
     "markt. Lees het volledige verslag op sluimerveld.nl/investeerders.",
     at="2027-03-11T08:00:00Z")
case("instagram", "@sluimerveld.nl", "nl",
     "Hij is er! 🎉 De Wolkendek Hybrid Pro ligt vanaf vandaag in al onze showrooms. Kom "
     "proefliggen!", at="2027-02-01T09:30:00Z")
case("x", "@hannah_sleeps", "en",
     "Just tried the Koelkern Kussen in the Utrecht showroom, honestly the coolest pillow "
     "I've ever slept on (literally)", at="2027-02-20T13:12:44Z")
case("x", "@beursblik_nl", "nl",
     "Sluimerveld meldt in de jaarresultaten 2026 een omzetgroei van 9%. Opvallend in een "
     "markt waar veel matrassenverkopers krimpen.", at="2027-03-11T10:45:00Z")
# ordinary sales and normal prices
case("x", "@sluimerveld", "nl",
     "Zomersale! ☀️ Het Duindons Hoofdkussen van €79 voor €59, alleen deze week.")
case("instagram", "@sluimerveld.nl", "nl",
     "Black Friday: 20% korting op de Veluwe Boxspring 180x200, nu €1.519 in plaats van "
     "€1.899 🖤")
case("x", "@backfixed_tom", "en",
     "Finally ordered the Zeebries latex mattress from Sluimerveld. €1.049 felt steep but "
     "my back already says thank you.")
case("instagram", "@lotte.showroom.utrecht", "nl",
     "Deze week in de showroom: het Ribbel hoofdbord in okergeel, €349 en echt een plaatje 😍")
case("x", "@zuinige_zoe", "nl",
     "Net de Wolkendek Topper gescoord in de uitverkoop, €199 ipv €249 👌")
case("reddit", "u/leidenlurker", "en",
     "Sluimerveld's Droogslaap protector is €39 this week (normally €49) if anyone still "
     "needs one.", kind="comment")
case("tiktok", "@sluimerveld", "nl",
     "Hoe vaak moet je je hoofdkussen vervangen? Elke 2 à 3 jaar! Ons Nekzorg Ergo kussen "
     "kost €69 en gaat echt lang mee 😉 #slaaptips")
case("x", "@koopjesjager_ad", "nl",
     "Iemand die prijsfout bij die elektronicawinkel gezien? Airfryer voor €4,99 lol. Zoiets "
     "gebeurt helaas nooit bij Sluimerveld 😂")
# praise, jokes, questions
case("facebook", "marjan.oostveen", "nl",
     "Beste aankoop van het jaar: Noorderlicht matras van Sluimerveld. Voor het eerst in "
     "jaren geen rugpijn 🙏")
case("x", "@stairs_and_beds", "en",
     "Shoutout to the Sluimerveld delivery crew who carried a box spring up 4 flights of "
     "stairs and were still cracking jokes. Legends.")
case("x", "@ochtendhumeur", "nl",
     "Ik boycot voortaan mijn wekker. Sinds de Wolkendek wil ik er nooit meer uit 😴 "
     "#sluimerveld")
case("threads", "@maya.naps", "en",
     "my Sluimerveld pillow is so comfy I drool-leaked all over it last night. 10/10 would "
     "drool again")
case("x", "@oma_en_ik", "nl",
     "De zandman komt tegenwoordig om 10 uur al langs sinds ik op een matras van Sluimerveld "
     "slaap 💤")
case("instagram", "@buitenmens_bas", "nl",
     "Dauwtrappen met Hemelvaart en daarna gewoon weer terug mijn Sluimerveld-bed in 😅 "
     "#hemelvaart")
case("forum", "BoxspringBeginner", "nl",
     "Weet iemand of de Veluwe boxspring 140 met pootjes geleverd wordt of moet je die "
     "apart bestellen bij Sluimerveld?")
case("reddit", "u/sleepyinutrecht", "en",
     "Does the 100-night trial at Sluimerveld also apply to pillows? Thinking of trying the "
     "Nekzorg Ergo.")
case("x", "@grenzeloos_gerrit", "en",
     "Anyone know if Sluimerveld ships to Germany? Their site only lists NL and BE.")
case("x", "@nieuwe_klant_nina", "en",
     "Is it safe to pay with iDEAL on Sluimerveld? Never ordered there before, the reviews "
     "look good.")
case("reddit", "u/night97", "en",
     "Night 97 of the 100-night trial and I'm keeping it. Sorry, returns department 😂",
     kind="comment")
case("facebook", "wil.broekhuizen", "nl",
     "Mijn oma (89) slaapt als een roos sinds haar nieuwe Lauwersmeer. Dat ding gaat omhoog "
     "en omlaag en ze vindt het prachtig.")
case("x", "@bestelling_binnen", "nl",
     "Bestelling 2026114872 vandaag bezorgd, precies binnen het tijdvak. Top service "
     "Sluimerveld!")
# resolved complaints, sympathy
case("x", "@annemiekvdb", "nl",
     "Update: @sluimerveld heeft gebeld, morgen komt de nieuwe matras en de oude nemen ze "
     "meteen mee. Netjes opgelost, dank jullie wel 👍")
case("x", "@joelle_writes", "en",
     "Edit: Sluimerveld refunded the pick-up fee and apologised. Fair play to them.")
case("facebook", "bredaburen", "nl",
     "Sterkte voor de mensen van de Sluimerveld-showroom in Breda. De brand in het pand naast "
     "jullie zag er heftig uit, fijn dat jullie winkel gespaard bleef en niemand gewond is.")
# news about other companies
case("x", "@retailwatcher_nl", "nl",
     "Matrassenketen DroomDirect schrapt 120 banen en sluit 9 winkels, meldt het FD vandaag. "
     "Sluimerveld en de andere online spelers lijken het beter te doen.")
case("bluesky", "@bedbiz.bsky.social", "en",
     "Read that Scandinavian bed brand Nordsøvn got acquired by a PE fund today. "
     "Consolidation in the mattress market is real. Curious what Sluimerveld does next.")
case("x", "@jonge_ouders_nl", "en",
     "US retailer recalls 50k crib mattresses over mould, per the news tonight. Checked our "
     "Kleine Beer from Sluimerveld just in case - all fine, different maker entirely.")
# corporate / employee everyday posts
case("x", "@sluimerveld", "nl",
     "Gepland onderhoud: zondag tussen 02:00 en 05:00 is de webshop even niet bereikbaar. "
     "Daarna kun je gewoon weer bestellen. Slaap lekker!")
case("facebook", "SluimerveldNL", "nl",
     "Let op: er gaan nep-sms'jes rond uit naam van bezorgdiensten. Sluimerveld vraagt nooit "
     "om extra bezorgkosten via een betaallink.")
case("linkedin", "esra-yilmaz-hr", "nl",
     "Vandaag 5 jaar bij Sluimerveld! Dank aan alle collega's voor de mooie tijd 💙")
case("instagram", "@lotte.showroom.utrecht", "nl",
     "Zaterdag in onze showroom in Utrecht: gratis slaapadvies en verse koffie ☕ Kom langs "
     "op de Vondellaan!")
case("tiktok", "@fenna_bezorgt", "nl",
     "dag 200 als bezorger: 14 matrassen, 3 trappenhuizen zonder lift en 1 hond die mijn "
     "boterham stal 🐶 #bezorgerslife")
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "Je gegevens zijn bij ons in vertrouwde handen: we delen ze nooit met derden. Lees "
     "onze privacyverklaring op sluimerveld.nl/privacy.")
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "Ons jaarverslag 2025 staat online, met een omzet van €44 mln en 14 showrooms. "
     "Benieuwd? sluimerveld.nl/investeerders")
case("youtube", "@SluimerveldTV", "nl",
     "Nieuwe video: zo kies je in 5 stappen de juiste matras. Met Mirjam van onze "
     "klantenservice!")
case("x", "@sluimerveld", "en",
     "Our showrooms are closed on 25 and 26 December. Happy holidays and sleep well! 🎄")
case("linkedin", "sluimerveld-slaapcomfort", "nl",
     "Bij Sluimerveld groeien medewerkers door via onze eigen Slaapacademie: dit jaar "
     "haalden 38 collega's hun certificaat slaapadviseur 🎓")
case("mastodon", "@joostops@mastodon.social", "en",
     "Wrote up how we do blameless post-mortems, nothing company-specific, just the "
     "template and what worked for us. Link in reply.")
case("reddit", "u/wim_sv_dev", "en",
     "Small Python tip: use secrets.token_urlsafe() instead of random for reset links. "
     "Learned that one the easy way, in code review.")


# =================================================================================
# Build
# =================================================================================
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
ALL_CATS = {COMPLAINT, CRISIS, ABUSE, SECRET, PII, PRICING, CONF, FIN, SEC,
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLE = {}
for _entry in PROFILE["accounts"]["corporate"]:
    ROLE[_entry.lower()] = "corporate"
for _entry in PROFILE["accounts"]["employee"]:
    ROLE[_entry.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


# ---- checksum validators ---------------------------------------------------------
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20}


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) != IBAN_LEN.get(s[:2], -1):
        return False
    t = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in t)) % 97 == 1


def luhn_ok(n):
    total = 0
    for i, ch in enumerate(reversed(n)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_ok(n):
    if len(n) != 9:
        return False
    s = sum(int(n[i]) * (9 - i) for i in range(8)) - int(n[8])
    return s % 11 == 0


IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})")
CARD_RE = re.compile(r"(?<![\d*])([2-6](?:[ -]?\d){12,18})(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\d.])")
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def find_identifiers(text):
    """Return [(kind, value, valid)] for IBAN-, card- and BSN-like numbers in text."""
    out = []
    rest = text
    for m in IBAN_RE.finditer(text):
        raw = m.group(1).replace(" ", "")
        cc = raw[:2]
        if cc not in IBAN_LEN:
            continue
        val = raw[:IBAN_LEN[cc]]
        if len(val) < IBAN_LEN[cc]:
            val = raw
        out.append(("iban", val, iban_ok(val)))
        rest = rest.replace(m.group(1), " " * len(m.group(1)))
    rest2 = rest
    for m in CARD_RE.finditer(rest):
        digits = re.sub(r"\D", "", m.group(1))
        if 13 <= len(digits) <= 19:
            out.append(("card", digits, luhn_ok(digits)))
            rest2 = rest2.replace(m.group(1), " " * len(m.group(1)))
    for m in BSN_RE.finditer(rest2):
        digits = re.sub(r"\D", "", m.group(1))
        out.append(("bsn", digits, bsn_ok(digits)))
    return out


def has_checksum_identifier(text):
    return any(valid and not (kind == "iban" and val in PUBLIC_IBANS)
               for kind, val, valid in find_identifiers(text))


def severity(cats, role, text):
    level = "none"

    def bump(lvl):
        nonlocal level
        if RANK[lvl] > RANK[level]:
            level = lvl

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (SECRET, PRICING):
                    bump("critical")
                elif c == PII and has_checksum_identifier(text):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == COMPLAINT:
            bump("warning")
        elif c == CRISIS:
            bump("error")
        elif c == ABUSE:
            bump("error" if insider else "warning")
    return level


def build():
    rng = random.Random(SEED)
    start = dt.datetime(2026, 1, 5, 6, 0, 0, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 20, 23, 0, 0, tzinfo=dt.timezone.utc) - start)
               .total_seconds())
    items = []
    for c in CASES:
        at = c["at"]
        if at is None:
            at = (start + dt.timedelta(seconds=rng.randrange(span))).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        items.append(dict(c, at=at))
    rng.shuffle(items)
    lines = []
    per_platform = {}
    for n, c in enumerate(items, 1):
        per_platform[c["platform"]] = per_platform.get(c["platform"], 0) + 1
        post = {
            "id": f"sv172-{c['platform']}-{n:03d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"],
        }
        if c["brand"]:
            post["brand"] = c["brand"]
        else:
            post["brand"] = "sluimerveld"
        role = role_of(c["platform"], c["handle"])
        expect = {"categories": list(c["cats"]), "severity": severity(c["cats"], role, c["text"])}
        lines.append(({"post": post, "expect": expect}, c, role))
    return lines


# =================================================================================
# Self-checks
# =================================================================================
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CONFUSABLES = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p",
                             "\u0441": "c", "\u0445": "x", "\u041e": "O", "\u0410": "A",
                             "\u0415": "E", "\u0421": "C", "\u0420": "P"})


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).translate(CONFUSABLES).lower()


def parse_until(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


AMOUNT_RE = re.compile(
    r"(?:€\s?|eur\s)(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|(\d{1,3}(?:\.\d{3})+|\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", re.I)


def amounts(text):
    vals = []
    for m in AMOUNT_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", raw):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", ".")
        vals.append(float(raw))
    return vals


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|(?<!\d)0)[\s-]?\(?\d[\d\s()-]{7,13}\d")


def digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


def check(lines):
    errors = []
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    products = PROFILE["products"]
    alias_map = {}
    for p in products:
        for a in [p["name"]] + p["aliases"]:
            alias_map[a.lower()] = p
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {digits(p) for p in PROFILE["public_identifiers"]["phones"]}
    internal = PROFILE["internal"]
    seen_ids = set()
    cat_count = {}
    benign = 0
    lang = {}
    for obj, c, role in lines:
        post, expect = obj["post"], obj["expect"]
        pid = post["id"]
        # -- CONTRACT §1 / §6 shape
        line = json.dumps(obj, ensure_ascii=False)
        back = json.loads(line)
        if set(back) != {"post", "expect"}:
            errors.append(f"{pid}: top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen_ids:
            errors.append(f"{pid}: bad or duplicate id")
        seen_ids.add(pid)
        if post["platform"] not in PLATFORMS:
            errors.append(f"{pid}: platform")
        if post["kind"] not in KINDS:
            errors.append(f"{pid}: kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errors.append(f"{pid}: handle")
        if not isinstance(post["text"], str) or not post["text"].strip() \
                or len(post["text"].encode("utf-8")) > 65536:
            errors.append(f"{pid}: text")
        try:
            ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"])
        except Exception:
            errors.append(f"{pid}: created_at")
            continue
        if ts.year not in (2026, 2027):
            errors.append(f"{pid}: year {ts.year}")
        cats = expect["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            errors.append(f"{pid}: categories {cats}")
        if expect["severity"] not in RANK:
            errors.append(f"{pid}: severity value")
        if expect["severity"] != severity(cats, role, post["text"]):
            errors.append(f"{pid}: severity not per policy")
        if cats and expect["severity"] in ("none", "info"):
            errors.append(f"{pid}: positive with severity {expect['severity']}")
        if not cats and expect["severity"] != "none":
            errors.append(f"{pid}: benign with severity {expect['severity']}")
        if ts.year == 2027 and not any(t.lower() in norm(post["text"])
                                       for e in PROFILE["embargo"] for t in e["terms"]):
            errors.append(f"{pid}: 2027 post without embargo term")
        for k in cats:
            cat_count[k] = cat_count.get(k, 0) + 1
        lang[post["lang"]] = lang.get(post["lang"], 0) + 1
        text = post["text"]
        ntext = norm(text)
        # -- checksummed identifiers
        ids = find_identifiers(text)
        if cats:
            for kind, val, valid in ids:
                if not valid:
                    errors.append(f"{pid}: positive holds invalid {kind} {val}")
        else:
            benign += 1
            for kind, val, valid in ids:
                if valid and not (kind == "iban" and val in PUBLIC_IBANS):
                    errors.append(f"{pid}: benign holds valid {kind} {val}")
        if PII in cats and role != "public":
            pass  # severity function decides error/critical from the identifiers
        # -- confidential material
        hits = []
        for cn in internal["codenames"]:
            if cn.lower() in ntext:
                hits.append(cn)
        for mk in internal["markers"]:
            if mk.lower() in ntext:
                hits.append(mk)
        for d in internal["domains"]:
            if re.search(r"(?<![\w.-])" + re.escape(d.lower()) + r"(?![\w-])", ntext):
                hits.append(d)
        for emb in PROFILE["embargo"]:
            if ts < parse_until(emb["until"]):
                for t in emb["terms"]:
                    if t.lower() in ntext:
                        hits.append(t)
        if hits and CONF not in cats:
            errors.append(f"{pid}: confidential material {hits} but not labelled")
        # -- prices
        mentioned = [p for a, p in alias_map.items() if a in ntext]
        vals = amounts(text)
        if c["price"]:
            alias, amount = c["price"]
            p = alias_map.get(alias.lower())
            if p is None or alias.lower() not in ntext.replace("  ", " ") and \
                    alias.lower().replace(" ", "") not in ntext.replace(" ", ""):
                errors.append(f"{pid}: pricing alias {alias} not found")
            elif not amount < ratio * p["list_price"]:
                errors.append(f"{pid}: pricing amount {amount} not below ratio")
            if not any(abs(v - amount) < 0.005 for v in vals):
                errors.append(f"{pid}: pricing amount {amount} not in text {vals}")
            if PRICING not in cats:
                errors.append(f"{pid}: price declared without pricing label")
        if PRICING in cats and not c["price"]:
            if not re.search(r"price error|prijsfout|pricing bug|price glitch", ntext) or \
                    not mentioned:
                errors.append(f"{pid}: pricing label without price or price-error talk")
        if not cats and mentioned:
            floor = min(p["list_price"] for p in mentioned)
            for v in vals:
                if v < ratio * floor:
                    errors.append(f"{pid}: benign product post with low amount {v}")
        # -- contact data in benign posts
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in pub_emails and "@" in e and not e.startswith("@"):
                    if re.fullmatch(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", e) and "." in e.split("@")[1]:
                        errors.append(f"{pid}: benign with foreign e-mail {e}")
            no_iban = IBAN_RE.sub(" ", text)
            for ph in PHONE_RE.findall(no_iban):
                if digits(ph) not in pub_phones:
                    errors.append(f"{pid}: benign with foreign phone {ph}")
    # -- the mix
    n = len(lines)
    if not 170 <= n <= 180:
        errors.append(f"total {n} not in 170..180")
    if not 55 <= benign <= 65:
        errors.append(f"benign {benign} not about 60")
    want = {COMPLAINT: (17, 24), CONF: (15, 21), PII: (13, 18), CRISIS: (13, 18),
            SEC: (11, 16), SECRET: (10, 15), ABUSE: (10, 15), PRICING: (10, 15),
            FIN: (10, 15)}
    for k, (lo, hi) in want.items():
        if not lo <= cat_count.get(k, 0) <= hi:
            errors.append(f"{k}: {cat_count.get(k, 0)} not in {lo}..{hi}")
    nl_share = lang.get("nl", 0) / n
    if not 0.50 <= nl_share <= 0.62:
        errors.append(f"Dutch share {nl_share:.2f}")
    roles = {}
    for obj, c, role in lines:
        roles[role] = roles.get(role, 0) + 1
    if min(roles.get("corporate", 0), roles.get("employee", 0), roles.get("public", 0)) < 10:
        errors.append(f"roles {roles}")
    return errors, dict(n=n, benign=benign, cats=cat_count, lang=lang, roles=roles)


def main():
    lines = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for obj, _c, _r in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    assert [o for o, _c, _r in lines] == reread, "round trip"
    errors, stats = check(lines)
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {stats['n']} cases, {stats['benign']} benign, cats {stats['cats']}, "
          f"lang {stats['lang']}, roles {stats['roles']}")


if __name__ == "__main__":
    main()
