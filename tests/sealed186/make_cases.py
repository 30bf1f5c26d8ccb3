#!/usr/bin/env python3
"""Build the labelled evaluation set sealed186 (Stichting Kolkhaven Musea).

Deterministic: fixed seed, hand-written post texts. Writes cases.jsonl next to this
file and self-checks it against CONTRACT §3, §4 and §6 and against profile.yaml:

* every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
  in a benign post fails it (the company's own published IBAN excepted);
* severities are computed from the account role in the profile (never typed by hand);
* embargo terms before `until`, codenames, markers and internal domains only occur in
  posts labelled leak.confidential;
* pricing positives quote a price below alert_below_ratio x list price, benign price
  mentions do not;
* every line is a valid CONTRACT §6 case.
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
SEED = 186
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {
    "km_x": "x:@kolkhavenmusea",
    "help": "x:@kolkhaven_help",
    "km_ig": "instagram:@kolkhavenmusea",
    "vernis": "instagram:@cafevernis",
    "fb": "facebook:KolkhavenMusea",
    "li": "linkedin:stichting-kolkhaven-musea",
    "tt": "tiktok:@kunsthalkolkhaven",
    "masto": "mastodon:@kolkhaven@museum.social",
}
EMP = {
    "merel": "x:@merelvandijk_km",
    "joost": "x:@joost_depaepe",
    "fenna": "x:@fenna_kassa",
    "ingrid": "linkedin:ingrid-hoekstra-kolkhaven",
    "youssef": "linkedin:youssef-benali-kolkhaven",
    "anouk": "linkedin:anouk-verbeek-km",
    "lotte": "instagram:@lotte.restauratie",
    "daan": "bluesky:@daanvisser.bsky.social",
    "ruben": "threads:@ruben.bouwman",
    "sem": "tiktok:@sem.museumgids",
}

CAT = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "confidential": "leak.confidential",
    "financial": "leak.financial",
    "security": "leak.security",
    "crisis": "reputation.crisis",
    "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}

CASES = []


def c(author, lang, cats, text, at=None, kind="post", ids=(), price=None, url=True):
    """author: a key of CORP/EMP or a public 'platform:handle'."""
    CASES.append(dict(author=author, lang=lang, cats=cats.split() if cats else [],
                      text=text, at=at, kind=kind, ids=list(ids), price=price, url=url))


# ---------------------------------------------------------------------------
# identifiers used below (checked by the self-test)
IBAN_OWN = "NL61RABO0317724591"          # the foundation's published IBAN
IBAN_A = "NL18 INGB 0006 5432 19"        # valid
IBAN_B = "NL72ABNA0482913570"            # valid
IBAN_C = "NL23 SNSB 0936 1184 20"        # valid
IBAN_BAD1 = "NL83 RABO 0123 4567 80"     # fails mod-97
IBAN_BAD2 = "NL18INGB0006543291"         # transposed digits, fails mod-97
CARD_A = "4532 6440 5733 4777"           # Luhn ok
CARD_B = "3782 397635 98743"             # Luhn ok (15 digits)
CARD_C = "5413-5278-3152-0210"           # Luhn ok
CARD_BAD1 = "6012 3456 7890 1236"        # fails Luhn
CARD_BAD2 = "4532 6440 5733 4771"        # fails Luhn
BSN_A = "204817353"                      # 11-proof ok
BSN_B = "318642979"                      # 11-proof ok
BSN_BAD1 = "123456789"                   # fails 11-proof
BSN_BAD2 = "276530148"                   # fails 11-proof

# ===========================================================================
# reputation.complaint
c("x:@marloes_vb", "nl", "complaint",
  "Drie kwartier in de rij gestaan bij de Kunsthal terwijl we online tickets MET tijdslot hadden. "
  "Wat heb je dan aan een tijdslot @kolkhavenmusea ?? 😤")
c("x:@dutchdad_travels", "en", "complaint",
  "Booked the combiticket for the four of us, got charged twice and @kolkhaven_help has been "
  "\"looking into it\" for 11 days now. Not great.")
c("facebook:henk.meulenbelt", "nl", "complaint",
  "Mijn Kolkhaven Pas is volgens de scanner al 3 weken verlopen terwijl ik hem in september heb "
  "verlengd. Kassa zegt bel de klantenservice, klantenservice zegt ga maar naar de kassa. "
  "Rondjes draaien dus. Wie kan me helpen?", kind="comment")
c("instagram:@sophie.goes.arty", "en", "complaint",
  "the Zilverpakhuis is gorgeous but half the rooms were closed and there was zero notice on the "
  "website?? drove 2 hrs for this 🙃 #kolkhaven")
c("reddit:u/kaaskop_1987", "nl", "complaint",
  "Iemand anders ook gedoe met de webshop van Kolkhaven Musea? Puzzel besteld op 2 nov, status "
  "nog steeds 'in behandeling'. Twee mails gestuurd, geen antwoord. Beetje klantonvriendelijk voor "
  "een museum dat zichzelf 'voor iedereen' noemt.", at="2026-11-24T21:03:00Z")
c("forum:reisgenoot_anna", "nl", "complaint",
  "Café Vernis in de Kunsthal: €6,20 voor een lauwe cappuccino en appeltaart die zo uit de vriezer "
  "kwam, midden nog bevroren. Personeel had duidelijk geen zin in ons. Jammer, want het museum "
  "zelf is top.")
c("x:@rolstoelroos", "nl", "complaint",
  "Lift in het Ambachtshof wéér buiten gebruik. 3e keer dit jaar dat ik onverrichter zake naar huis "
  "kan. Toegankelijkheid is blijkbaar geen prioriteit @kolkhavenmusea #rolstoel")
c("threads:@m.okafor", "en", "complaint",
  "audioguide at Kunsthal Kolkhaven kept cutting out every 30 sec and the English track just skips "
  "room 4 entirely. asked for my money back, was told 'no refunds on audio'. ok then")
c("x:@jeroen_pdl", "nl", "complaint",
  "@kolkhaven_help nog steeds niks gehoord over de geannuleerde rondleiding van vorige week. 145 "
  "euro betaald, nul reactie. Graag mijn geld terug.", kind="reply")
c("tiktok:@lisa.doet.dingen", "nl", "complaint",
  "pov: je gaat naar museumnacht kolkhaven en staat 1,5 uur buiten in de regen want 'capaciteit "
  "bereikt' terwijl je gwn een ticket hebt 🥲 #museumnacht #nooitweer")
c("bluesky:@annekevos.bsky.social", "en", "complaint",
  "Ordered the Pauwenveer scarf from the Kolkhaven museum shop as a birthday gift. Arrived with a "
  "pulled thread and a coffee ring on the box. The return form on their site gives a 404. Lovely.")
c("x:@vdlinden_t", "en", "complaint",
  "Kolkhaven Pas renewal page has been throwing 'betaling mislukt' for three days straight. "
  "Card works everywhere else. fix ur checkout pls")
c("mastodon:@ellen@mastodon.social", "nl", "complaint",
  "Tentoonstelling Zout en Zilver: prachtige objecten, maar de bordjes zijn zo klein en zo laag "
  "gehangen dat je op je knieën moet. Met mijn ogen niet te doen en een grootletter-gids was er niet.")
c("reddit:u/quietcurator", "en", "complaint",
  "Honest review of the Kolkhaven museums: desk staff at the Kunsthal got snippy when I asked about "
  "the student discount, the café shut at 3pm although the site says 5, and a guard followed my "
  "kid around like she was a shoplifter. Expected better.")
c("x:@gerdien_k", "nl", "complaint pii",
  "@kolkhaven_help ik heb nu 4x gebeld. bel me aub gewoon terug op 06-41 87 22 09, het gaat om "
  "bestelling 58213 die nooit is aangekomen", kind="reply")
c("facebook:tom.arendsen", "en", "complaint pii",
  "Still no refund for the cancelled Museumnacht. You can reach me at tom.arendsen@ziggo.nl, I've "
  "sent 3 emails to your info address already. This is getting ridiculous Kolkhaven.",
  kind="comment")
c("x:@bramvanbeek", "nl", "complaint abuse",
  "Wat een klotetent is die Kunsthal zeg. Online gereserveerd, ticket 'ongeldig', en dan die "
  "arrogante trut achter de balie die me gewoon uitlacht. Nooit meer.")
c("instagram:@jay.rotterdam", "en", "complaint abuse",
  "Kolkhaven Musea customer service is a joke run by absolute morons. Six weeks for a refund. "
  "Pathetic bunch of clowns 🤡")

# ===========================================================================
# reputation.abuse
c("x:@d3_wr4ker", "nl", "abuse",
  "die conservator van jullie @merelvandijk_km is echt een achterlijk kutwijf, moet je d'r "
  "gezicht zien in dat interview lmao")
c("x:@hollandfirst88", "nl", "abuse",
  "Kolkhaven Musea neemt aan de kassa alleen nog buitenlanders aan. Ga terug naar je eigen land "
  "met je hoofddoek, dit is ONS erfgoed")
c("x:@n0name_x", "nl", "abuse",
  "k@nker museum met je k@nkerpersoneel, hoop dat die hele t3nt van jullie afbrandt #kolkhaven")
c("instagram:@str33tart_", "en", "abuse complaint",
  "the guards at Kunsthal Kolkhaven are f u c k i n g  p i g s. shoved my mate out the door for "
  "taking ONE photo without flash")
c("joost", "nl", "abuse",
  "@kaaskop_1987 ga dan lekker zelf een museum runnen, zeikerd. Idioot.", kind="reply")
c("youtube:@frank_the_tank77", "en", "abuse",
  "The woman giving the tour in this Kolkhaven video is so ugly and thick I couldn't finish it. "
  "Hire someone who can actually talk, dumb cow", kind="comment")
c("x:@pixelpeter", "en", "abuse",
  "Kolkhaven staff are such stupid \u0456d\u0456\u043ets, every single one of them")
c("help", "nl", "abuse",
  "@bramvanbeek Misschien eerst even leren lezen, sukkel. Het staat gewoon op de site.",
  kind="reply")

# ===========================================================================
# reputation.crisis
c("x:@cultuurjournalist", "nl", "crisis",
  "BREAKING: in het Zilverpakhuis is vanochtend tijdens openingstijd een deel van het plafond in "
  "zaal 3 naar beneden gekomen. Twee bezoekers naar het ziekenhuis, museum ontruimd.")
c("x:@privacywaakhond", "nl", "crisis",
  "Kolkhaven Musea heeft een datalek: namen, adressen en geboortedata van duizenden Pashouders "
  "stonden gewoon open op internet. Wij hebben het gemeld bij de AP. Heb je een Kolkhaven Pas? "
  "Let op phishing.")
c("reddit:u/decolonise_now", "en", "crisis",
  "Boycott Kolkhaven Musea until they return the objects taken from Aceh in 1873 that are still "
  "sitting in the Zilverpakhuis vitrines. Don't buy the Pas, don't go. #BoycottKolkhaven")
c("x:@kunstrecht_nl", "nl", "crisis",
  "Rechtszaak tegen Stichting Kolkhaven Musea: de erven van schilderes Hendrika Wolters eisen "
  "'Nachtregen' terug en stellen dat het doek in 1942 onder dwang is verkocht.")
c("x:@smitty_abroad", "en", "crisis complaint",
  "Food poisoning after the high tea at Café Vernis. My mum and two friends spent the whole night "
  "throwing up, and apparently another table too. Reported it to the NVWA. Never again.")
c("instagram:@duurzaam.dewi", "nl", "crisis",
  "Oproep: koop niks meer in de museumwinkel van Kolkhaven. Die 'handgemaakte' sjaals komen uit "
  "een fabriek met kinderarbeid, zie de reportage van gisteravond. Delen!")
c("x:@kolkhaven_local_news", "en", "crisis",
  "Kunsthal Kolkhaven evacuated this afternoon — smoke coming from the café kitchen, fire brigade "
  "on site. Everyone seems to be out safely.")
c("x:@onderzoeksdesk", "nl", "crisis",
  "Schandaal bij Kolkhaven Musea: directeur zou jarenlang stukken uit het depot aan vrienden hebben "
  "'uitgeleend' zonder enige registratie. Raad van toezicht zwijgt.")
c("facebook:laura.benning", "en", "crisis",
  "Kolkhaven's shop sells a kids' magnetic fishing game where the magnets came loose within "
  "minutes. My toddler nearly swallowed one. This needs to be recalled NOW.")
c("tiktok:@nina.vertelt", "nl", "crisis",
  "ik ben gestopt als vrijwilliger bij het ambachtshof vanwege seksuele intimidatie door een "
  "leidinggevende en niemand deed er iets mee. #metoo #kolkhaven")
c("mastodon:@artwatch@kolektiva.social", "en", "crisis",
  "Climate activists glued themselves to 'Nachtregen' at Kunsthal Kolkhaven this morning; the frame "
  "looks damaged. Police on scene.")
c("x:@boze_burger_zw", "nl", "crisis abuse",
  "Die hele Kolkhaven-maffia moet opgedoekt worden, stelletje fraudeurs. Subsidiegeld verdwijnt in "
  "de zakken van de top. Ik roep iedereen op: zeg je Pas op!")
c("forum:museumgoer_ben", "en", "crisis",
  "Heads up: I think the Kolkhaven ticket site leaked card details. Fraudulent charges two days "
  "after buying Museumnacht tickets, and three friends who bought the same evening got the same. "
  "Something is badly wrong with their payment page.")
c("reddit:u/renewal_victim", "en", "crisis",
  "A class action is being prepared against Kolkhaven Musea over Kolkhaven Pas auto-renewals that "
  "nobody agreed to. DM if you were charged.")

# ===========================================================================
# leak.confidential
c("ingrid", "nl", "confidential",
  "Trots op ons team! Na twee jaar onderhandelen is Project Zwaluwstaart rond. Volgend voorjaar "
  "hangen hier bruiklenen die Nederland nog nooit heeft gezien. Meer mag ik nog niet zeggen 😉")
c("merel", "en", "confidential",
  "Can't wait for Masters of Light to open in March, spent all day measuring walls for the loans 🖼️✨",
  at="2026-11-12T16:41:00Z")
c("daan", "en", "confidential",
  "anyone know why collectie.kolkhaven.local keeps timing out on the depot wifi? asking for a colleague")
c("sem", "nl", "confidential",
  "wat ik niet mag zeggen maar toch zeg: Nachtvlinder komt eraan en dan zijn die ouwe kassa's "
  "eindelijk weg 🎉 #museumlife #achterdeschermen")
c("reddit:u/museum_gossip", "en", "confidential",
  "My cousin works at Kolkhaven and says the big spring show is a huge loan deal running under the "
  "name 'Project Zwaluwstaart'. Anyone heard more?")
c("anouk", "en", "confidential",
  "Just wrapped the design brief for Masters of Light – the most ambitious exhibition Kolkhaven has "
  "ever done. Looking for two freelance lighting designers, DM me!", at="2026-08-19T09:12:00Z")
c("fenna", "nl", "confidential",
  "kreeg net een mail met 'alleen voor medewerkers' in de onderwerpregel en... de cadeaukaarten "
  "worden afgeschaft?? zonde joh")
c("youssef", "en", "confidential financial",
  "Operatie Kraanvogel kick-off today: we're folding our back office into Stichting Zoutkeet's. "
  "Hard day for the finance colleagues who won't be part of the new setup.")
c("joost", "nl", "confidential financial",
  "Net de bezoekcijfers 2026 gezien: 412.000!! Record, maar dat heeft u niet van mij 🤫",
  at="2026-12-22T20:14:00Z")
c("ruben", "en", "confidential financial",
  "Operatie Kraanvogel slides are haunting my dreams. 30 fte gone at the Ambachtshof if this goes "
  "through. Not ok.")
c("merel", "nl", "confidential",
  "\uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff3a\uff57\uff41\uff4c\uff55\uff57\uff53\uff54\uff41"
  "\uff41\uff52\uff54 gaat door!!! eindelijk 🥂")
c("km_ig", "nl", "confidential",
  "Sneak peek van wat er volgend jaar in de Kunsthal komt... Meesters\u200b van\u200b het\u200b "
  "Licht 👀✨", at="2026-12-05T18:00:00Z")
c("forum:infosec_jan", "en", "confidential",
  "Found this via a search engine: jira.kolkhavenmusea.nl/browse/TMS-412 is reachable without "
  "login and shows loan negotiations for the Kunsthal. Someone should tell them.")
c("anouk", "en", "confidential",
  "Proud of this deck (it's stamped KM-INTERN so only the cover 😅): our visitor strategy 2027–2030 "
  "for the three Kolkhaven museums.")
c("lotte", "en", "confidential",
  "Last night before the big opening of Meesters van het Licht! Final varnish touch-ups done 🥹",
  at="2027-03-01T21:30:00Z")
c("ingrid", "nl", "confidential financial",
  "Morgen gaat het jaarverslag 2026 de deur uit: 412.000 bezoekers en voor het eerst een positief "
  "resultaat. Ik ben zo trots op iedereen.", at="2027-04-14T17:45:00Z")

# ===========================================================================
# leak.financial
c("ingrid", "nl", "financial",
  "Zware week. De begroting 2027 laat een gat van 1,8 miljoen zien en de raad wil dat we het "
  "Zilverpakhuis twee dagen per week sluiten. Personeel weet het nog niet.")
c("joost", "en", "financial",
  "Off the record: Kolkhaven's 2026 loss is going to land around €2.3m, way worse than budgeted. "
  "Board meets Thursday.")
c("reddit:u/raadsvolger", "nl", "financial",
  "Hoor van een bekende in de gemeenteraad dat de subsidie voor Kolkhaven Musea vanaf 2027 met "
  "35% omlaag gaat. Staat nog nergens.")
c("ruben", "en", "financial",
  "Q3 numbers just came in: café revenue down 22%, shop up 9%, tickets flat. Management now wants "
  "to outsource Vernis entirely 🤐")
c("li", "nl", "financial",
  "[CONCEPT – niet publiceren vóór 12/3] Stichting Kolkhaven Musea neemt per 1 april 2027 het "
  "Zoutkeet Museum over. De 23 medewerkers van de Zoutkeet krijgen een aanbod...")
c("sem", "nl", "financial",
  "ontslagronde bij de musea komt er echt aan hoor, heb de lijst op het bureau van HR zien liggen. "
  "gidsen eerst 😭")
c("youssef", "en", "financial",
  "Interesting times: a private foundation has approached us to take over the exploitation of all "
  "three Kolkhaven sites. Due diligence starts next month.")
c("x:@scoopsandco", "en", "financial",
  "Source inside Kolkhaven Musea tells me the director is on his way out and the Kunsthal building "
  "will be sold to a property developer. Announcement after the holidays.")

# ===========================================================================
# leak.security
c("daan", "nl", "security",
  "Ransomware bij ons op het werk. Alle kassa's plat, collectiesysteem versleuteld en we mogen het "
  "nog niet naar buiten brengen. Morgen dicht 'wegens technische storing'. Fijne dag.")
c("youssef", "en", "security",
  "Spent the weekend patching: our ticket shop had an IDOR where you could download anyone's "
  "e-tickets by changing the order number in the URL. Not disclosed yet, so keeping it vague.")
c("fenna", "nl", "security",
  "pinautomaten liggen er al de hele ochtend uit bij de kunsthal, ICT zegt dat er 'iets' in het "
  "netwerk zit. we mogen alleen cash aannemen en niks zeggen tegen bezoekers")
c("ruben", "en", "security",
  "So apparently someone got into the donor database last week. ~8k records. Legal says we wait "
  "before telling anyone. I hate this job sometimes.")
c("daan", "en", "security confidential",
  "vpn.kolkhavenmusea.nl is still on the firmware with that known RCE. Told management three "
  "times. If anyone gets in, the whole collection DB is wide open.")
c("sem", "nl", "security",
  "camera's in zaal 2 t/m 6 van het zilverpakhuis doen het al 2 weken niet lol. als je iets wil "
  "jatten is dit je kans 💀 (grapje) (niet echt)")
c("joost", "en", "security",
  "Btw the webshop 'maintenance' isn't maintenance. Someone injected a card skimmer into the "
  "checkout and we only found it this morning.")
c("lotte", "nl", "security confidential",
  "Klimaatregeling van het depot gehackt?? Luchtvochtigheid schoot vannacht naar 80%. Bleek dat de "
  "beheerinterface op gbs.kolkhaven.local gewoon vanaf internet bereikbaar was 😳")
c("anouk", "nl", "security",
  "Lessons learned na ons phishingincident van vorige week (nog niet extern gecommuniceerd, dus "
  "even vaag): 3 accounts van collega's overgenomen en de mailbox van de directie doorzocht.")
c("merel", "en", "security",
  "Tip for other museums: check your guest Wi-Fi. Ours turned out to sit on the same VLAN as the "
  "alarm system. Fixing it now, pls don't tell my boss I tweeted this")
c("reddit:u/uitzendkracht_km", "nl", "security",
  "Werk via een uitzendbureau bij de Kolkhaven musea en de toegangspoortjes gaan gewoon open als "
  "je een willekeurige barcode scant die op 0000 eindigt. Weet niemand daar blijkbaar.")
c("joost", "nl", "security",
  "De museumapp ligt sinds gisteren plat omdat ons cloudaccount is leeggetrokken door "
  "cryptominers. Officieel heet het 'gepland onderhoud' 🙄")

# ===========================================================================
# leak.secret
c("youssef", "en", "secret",
  "Quick fix for our nightly ticket export, works like a charm:\n\n"
  "export AWS_ACCESS_KEY_ID=AKIAV092G4HAMV9H2WC2\n"
  "export AWS_SECRET_ACCESS_KEY=Y86rmTkLioovEeaIhFptZLiYKF82RqpWmZDuP1uo\n"
  "aws s3 sync ./exports s3://km-ticket-exports/")
c("joost", "nl", "secret",
  "wie heeft er beheerrechten op de webshop-repo? mijn token doet het ineens niet meer: "
  "ghp_rrLsZFHZlW2ZGdg8AtEueaPRXlssQDFgJb3J")
c("fenna", "nl", "secret",
  "Kassasysteem hangt weer. Back-uplogin hangt gewoon op een geeltje naast de kassa: gebruiker "
  "kassa01, wachtwoord: Vernis2026! 🙄")
c("daan", "en", "secret",
  "why does our Slack bot keep posting twice?? token is xoxb-179981902179-3593218637261-"
  "gSbwiQTd07adNLMIz5WGXnjM and it's only subscribed once")
c("ruben", "en", "secret confidential",
  "Reporting query finally works 🎉 for whoever picks this up next:\n"
  "DATABASE_URL=postgres://tms_app:Kr4anv0gel!@collectie.kolkhaven.local:5432/tms")
c("vernis", "nl", "secret",
  "Nieuwe betaalkoppeling voor de terrasbestellingen werkt! Voor de collega's, niet kwijtraken 😅 "
  "live_HtfcoZNEq7HzlGfdyHKP0XEZCYcSKw")
c("sem", "nl", "secret",
  "ik heb een chatbot gebouwd die rondleidingen geeft 🤖 code staat in m'n bio, key: "
  "sk-proj-Fq2Oie_XbjYsardGGm1hq8UM0-DpmLFi2IbHUolfRw8lsrHv")
c("anouk", "en", "secret",
  "Why does the ticket API reject this? Copied it straight from the admin panel:\n"
  "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrYXNzYS1zdmMiLCJyb2xlIjoi"
  "YWRtaW4iLCJpc3MiOiJ0aWNrZXRzLmtvbGtoYXZlbm11c2VhLm5sIiwiZXhwIjoxNzk4NzYxNjAwfQ."
  "S0ZqCO8ob1yN-r76eUFca3dUANef5nTH8QDSgoc8w5x")
c("reddit:u/js_snooper", "en", "secret",
  "lol Kolkhaven's ticket page ships its payment secret key in the frontend bundle: "
  "sk_live_51hnQrLo2fyl38Tcj8XpqKuXoVoc66kN. Anyone can issue refunds with that.")
c("daan", "en", "secret",
  "ssh keeps saying 'invalid format', what am I doing wrong?\n"
  "-----BEGIN OPENSSH PRIVATE KEY-----\n"
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
  "aHiWYcY3LaQ/ppeoUHXAq1AwkaDnuALXMQnNRKjUJZzSSLizvaYuJe8fn9P4iwj5\n"
  "M3nJoOde/JZ1Eg9hG7Xgz8D1jJAZLAZTT4lpVe3rXHk4FME64AbN2v1iCNlLTf1k3x82eq\n"
  "-----END OPENSSH PRIVATE KEY-----")
c("merel", "nl", "secret",
  "wachtw00rd van de gedeelde museum-insta is gewoon Zilver!Pakhuis88 🙈 iedereen weet het dus "
  "waarom zou ik het nog geheimhouden")
c("youssef", "en", "secret security",
  "Not public yet: a compromised CI runner let an attacker push to our ticketing repo using "
  "glpat-ZlJBwTU5uvs1M1uaJ2l_ . Still working out what else they touched.")
c("help", "nl", "secret",
  "@jeroen_pdl u kunt nu inloggen op Mijn Kolkhaven met tijdelijk wachtwoord Welkom-4821-KH, "
  "wijzig het a.u.b. direct na inloggen.", kind="reply")

# ===========================================================================
# leak.pii
c("help", "en", "pii",
  "@dutchdad_travels Hi Mark, we found your booking under mark.dehaan82@gmail.com and refunded the "
  "second charge to " + IBAN_A + ". Sorry for the hassle!", kind="reply", ids=[("iban", IBAN_A)])
c("fenna", "nl", "pii",
  "Iemand z'n Pas laten liggen bij de garderobe: Gerrit Mulder, geboren 14-03-1951. Kom 'm maar "
  "ophalen bij de kassa!")
c("km_ig", "nl", "pii",
  "Gefeliciteerd aan onze 100.000ste bezoeker van dit jaar, Femke Jansen uit Kampen (Vechtstraat "
  "12)! 🎉 Je krijgt een jaar lang gratis toegang.")
c("ingrid", "nl", "pii",
  "Welkom aan onze nieuwe registrar! Haha het contract kwam terug met BSN " + BSN_A + " op twee "
  "plekken ingevuld, HR was er even klaar mee 😂", ids=[("bsn", BSN_A)])
c("x:@k_brouwer", "en", "pii",
  "@kolkhaven_help my wife paid for the Pas Duo with her card " + CARD_A + " exp 09/28, can you "
  "check if it went through? no confirmation mail yet", kind="reply", ids=[("card", CARD_A)])
c("sem", "nl", "pii",
  "telefoon gevonden in zaal 4? deze meneer zoekt 'm, bel Peter even op 06 - 23 45 67 89 🙏")
c("fb", "nl", "pii",
  "De winnaar van onze winactie is Sandra Pauw (s.pauw1979@hotmail.com), gefeliciteerd! We nemen "
  "vandaag nog contact op.")
c("joost", "nl", "pii",
  "Wie had ook alweer de pot voor het personeelsuitje? Maak die 25 euro maar over naar "
  + IBAN_B + " t.n.v. J. de Paepe, dan regel ik de bus", ids=[("iban", IBAN_B)])
c("bluesky:@rosalie-m.bsky.social", "en", "pii",
  "Lost my wallet at Kunsthal Kolkhaven today, if anyone finds it please call +31 6 4820 1175 or "
  "mail rosalie.meijer@outlook.com 🙏")
c("anouk", "en", "pii",
  "Happy birthday to our volunteer legend Corrie Smit, born 2 May 1940! 86 today and still guiding "
  "every Tuesday at the Ambachtshof 💐", at="2026-05-02T08:15:00Z")
c("ruben", "en", "pii",
  "found a café receipt with the FULL card number printed on it: " + CARD_B + " 😬 how is that "
  "even legal", ids=[("card", CARD_B)])
c("forum:vrijwilliger_wim", "nl", "pii crisis",
  "Kolkhaven Musea stuurde mij per ongeluk de vergoedingsspecificatie van een andere vrijwilliger. "
  "R. Kok, BSN " + BSN_B + ", met bankrekening en al. Hoe kan dit?", ids=[("bsn", BSN_B)])
c("x:@weetjewel_zw", "nl", "pii abuse",
  "Die directeur van Kolkhaven, Harm Boelens, woont gewoon aan de Brink 4 in Dalfsen. Ga daar maar "
  "eens aanbellen, die grijpgrage hufter")
c("help", "nl", "pii",
  "@gerdien_k Dank voor je geduld! We zien de betaling van " + CARD_C + " terug en storten het "
  "bedrag terug op " + IBAN_C + ". Binnen 5 werkdagen staat het erop.", kind="reply",
  ids=[("card", CARD_C), ("iban", IBAN_C)])

# ===========================================================================
# leak.pricing
c("km_x", "nl", "pricing",
  "Nu in de museumwinkel: de giclée reproductie Nachtregen voor maar €24,90! 🖼️ Op = op.",
  price=("KM-REPRO-NR", 24.90))
c("vernis", "en", "pricing",
  "This weekend only: Vernis high tea for just €9.50 p.p. ☕🍰 Book a table!",
  price=("KM-HIGHTEA", 9.50))
c("fenna", "nl", "pricing",
  "psst de Kolkhaven Pas staat in de kassa voor €5,90 ipv €59, prijsfout die nog niemand heeft "
  "opgemerkt 🤫", price=("KM-PAS", 5.90))
c("reddit:u/dealhunter_nl", "en", "pricing",
  "PRICE ERROR: Kolkhaven Pas Duo is €9.90 on their webshop right now (normally €99). Go go go",
  price=("KM-PAS-DUO", 9.90))
c("x:@snelle_sanne", "nl", "pricing",
  "Combiticket drie musea voor €4,20 op de site, foutje?? Heb er meteen 6 gekocht 😂",
  price=("KM-COMBI", 4.20))
c("anouk", "en", "pricing",
  "Typo of the year: our shop listed the Pauwenveer scarf at €6.90 for three hours. Anyone who "
  "ordered one, congrats 😅", price=("KM-SJAAL", 6.90))
c("fb", "nl", "pricing",
  "Black Friday in de webshop! Legpuzzel De Haringvloot nu €7,50 🧩",
  price=("KM-PUZZ", 7.50), at="2026-11-27T07:00:00Z")
c("sem", "nl", "pricing",
  "een bruikleenpakket voor andere musea kost bij ons blijkbaar maar 250 euro?? iemand is een nul "
  "vergeten in het systeem lol", price=("KM-LOAN", 250.00))
c("bluesky:@weddingplanner-iris.bsky.social", "en", "pricing",
  "Zaalhuur Graanzaal at Kolkhaven for €185 per half day?! Booked our wedding reception on the "
  "spot, hope they honour it", price=("KM-ZAAL", 185.00))
c("x:@koopjesjager", "nl", "pricing",
  "Prijsfout bij Kolkhaven Musea? Kinderworkshop voor €1,25 per kind. Snel zijn!",
  price=("KM-KIDS", 1.25))
c("joost", "en", "pricing",
  "Heads up team: the private tour shows as €14.50 instead of €145 in the booking widget, "
  "someone pls fix before the weekend", price=("KM-TOUR", 14.50))
c("km_ig", "nl", "pricing",
  "Cadeautip 🎁 Catalogus Zout en Zilver nu voor €3,49 in de museumwinkel!",
  price=("KM-CAT-ZZ", 3.49))

# ===========================================================================
# benign (mostly hard negatives)
c("help", "nl", "",
  "Vragen over je ticket? Mail ons op info@kolkhavenmusea.nl of bel +31 38 555 0420 (ma–vr 9–17u). "
  "We helpen je graag!")
c("fb", "nl", "",
  "Museumweekend! De Kolkhaven Pas nu €47,20 i.p.v. €59 (20% korting), alleen t/m zondag.",
  price=("KM-PAS", 47.20))
c("km_ig", "en", "",
  "The Zout en Zilver catalogue is back in stock: €34.95 in the shop or online at "
  "winkel.kolkhavenmusea.nl", price=("KM-CAT-ZZ", 34.95))
c("km_x", "nl", "",
  "Vandaag open: Meesters van het Licht! ✨ Tot en met augustus in de Kunsthal. Tickets via "
  "tickets.kolkhavenmusea.nl", at="2027-03-02T10:00:00Z")
c("li", "en", "",
  "Our annual report 2026 is out: 412,000 visitors across our three museums and a positive result "
  "for the first time in five years. Thank you to every visitor, volunteer and lender.",
  at="2027-04-15T09:30:00Z")
c("km_x", "nl", "",
  "Het jaarverslag 2026 staat online! Dank aan alle 412.000 bezoekers 💛", at="2027-04-15T10:05:00Z")
c("lotte", "nl", "",
  "Meesters van het Licht is open en ik ben zo trots op ons restauratieteam 🥹",
  at="2027-03-05T19:20:00Z")
c("x:@wantrouwige_wim", "nl", "",
  "Kreeg een sms dat ik mijn Kolkhaven Pas moest 'heractiveren' door te betalen naar "
  + IBAN_BAD1 + ". Lijkt me phishing, het is niet eens hun rekening. Trap er niet in!",
  ids=[("iban", IBAN_BAD1)])
c("x:@museumkat", "nl", "",
  "Mijn pasnummer van de Kolkhaven Pas is " + CARD_BAD1 + ", waar zie ik de vervaldatum in de app?",
  ids=[("card", CARD_BAD1)])
c("reddit:u/formulierfreak", "nl", "",
  "Waarom vraagt het vrijwilligersformulier eigenlijk om je BSN? Heb " + BSN_BAD1 + " ingevuld om "
  "te kijken wat er gebeurt en hij nam het gewoon aan lol", ids=[("bsn", BSN_BAD1)])
c("youssef", "en", "",
  "PSA for museum devs: never commit real keys. In docs use AWS's own placeholder, e.g. "
  "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE, and load the real ones from a vault.")
c("daan", "nl", "",
  "Alle betaal-API-keys vandaag geroteerd, de oude live_******** is dood. Security-hygiëne ftw 💪")
c("help", "nl", "",
  "Wachtwoord vergeten voor Mijn Kolkhaven? Klik op 'wachtwoord vergeten' op de inlogpagina, dan "
  "krijg je binnen 5 minuten een mail met een nieuwe link.")
c("x:@dutchdad_travels", "en", "",
  "Update: @kolkhaven_help sorted the double charge within a day of my tweet and threw in free coffee "
  "vouchers. Fair play 👏")
c("facebook:marjan.kuipers", "nl", "",
  "Sterkte aan alle medewerkers van het Zilverpakhuis na de brand bij de buren gisteren. Gelukkig "
  "is de collectie ongedeerd ❤️", kind="comment")
c("x:@erfgoed_it", "en", "",
  "Ransomware hit a regional museum in Germany this week. Back up your collection databases, people. "
  "Good time to check your own setup, Kolkhaven included.")
c("instagram:@jessie.ziet.kunst", "nl", "",
  "Nachtregen in het echt zien is echt ziek. Mijn hele lijf kreeg kippenvel 🤯 #kunsthalkolkhaven")
c("x:@slowtraveller_eu", "en", "",
  "Spent 4 hours in the Zilverpakhuis and could have stayed longer. The silver room is stunning. "
  "Thank you @kolkhavenmusea")
c("reddit:u/museumkaartvraag", "nl", "",
  "Weet iemand of je met de Museumkaart ook in de Kunsthal Kolkhaven kan? Of alleen met de "
  "Kolkhaven Pas?")
c("threads:@archi.nerd", "en", "",
  "That lighting in the new Kunsthal gallery is killer. Whoever designed it deserves a raise.")
c("ingrid", "nl", "",
  "Vacature! We zoeken een registrar voor onze bruikleenafdeling. Vragen? Mail naar "
  "bruikleen@kolkhavenmusea.nl. Deel gerust!")
c("lotte", "nl", "",
  "Restauratie-update: het oude vernis van De Haringvloot is eraf, kijk die kleuren! (De restauratie "
  "is openbaar, kom kijken in zaal 1)")
c("instagram:@vogelaar.gert", "nl", "",
  "Vanaf het dakterras van de Kunsthal zagen we vandaag honderden kraanvogels overvliegen 😍")
c("mastodon:@insectenclub@mastodon.nl", "nl", "",
  "De excursie naar de nachtvlinders in de tuin van het Ambachtshof was magisch: 34 soorten geteld "
  "op één avond!")
c("tt", "nl", "",
  "Vrijdagavond: Kunsthal entree €16,80 na 18u (20% korting) + dj op het dakterras 🎶",
  price=("KM-TKT-KUN", 16.80))
c("x:@nachtuil_nina", "nl", "",
  "Museumnacht ticket binnen, €27,50 en ik heb er nu al zin in!!", price=("KM-MNACHT", 27.50))
c("x:@flightdealguy", "en", "",
  "Another airline price error today, €12 to Tokyo. Meanwhile the Kolkhaven Pas is still €59, some "
  "things never change 😄", price=("KM-PAS", 59.00))
c("fb", "nl", "",
  "Doneren aan de restauratie van Nachtregen kan via " + IBAN_OWN + " t.n.v. Stichting Kolkhaven "
  "Musea. Elke euro helpt, dank jullie wel!", ids=[("iban", IBAN_OWN)])
c("li", "en", "",
  "Press inquiries about the spring programme: pers@kolkhavenmusea.nl / +31 38 555 0420.")
c("merel", "nl", "",
  "Het Zilverpakhuis is het mooiste pakhuis van Nederland en daar blijf ik bij. Fight me.")
c("x:@nieuwslezer_k", "nl", "",
  "Datalek bij een Duits museum, 40.000 adressen op straat. Hopelijk hebben onze eigen musea in "
  "Kolkhaven dat beter geregeld.")
c("instagram:@slowfashion.sara", "en", "",
  "Boycotting fast fashion this year, so my gifts are coming from museum shops. Kolkhaven's canvas "
  "tas is €12.50 and will outlive us all", price=("KM-TOTE", 12.50))
c("linkedin:dr-l-hermans", "nl", "",
  "Interessant college vandaag over restitutierechtszaken bij Europese musea. Kolkhaven Musea werd "
  "genoemd als voorbeeld van hoe je het wél goed doet.")
c("daan", "en", "",
  "Gave a talk on cybersecurity basics for small museums at the regional heritage day. Slides are "
  "on our public site, feel free to reuse.")
c("help", "nl", "",
  "Vul bij je aanmelding voor de nieuwsbrief je e-mailadres in (bijv. naam@voorbeeld.nl) en klik "
  "op de bevestigingslink in je mail.")
c("x:@tevreden_theo", "nl", "",
  "Gebeld naar 038 555 0420 en binnen 2 minuten geholpen met mijn verlopen pas. Top service "
  "Kolkhaven 👍")
c("help", "nl", "",
  "@gerdien_k We zien de betaling met de kaart eindigend op 4821 terug, de terugboeking is "
  "onderweg. Excuses voor het wachten!", kind="reply")
c("x:@historica_hb", "en", "",
  "The new wall of 17th-century insults at the Ambachtshof is hilarious. 'Scurvy knave', "
  "'lickspittle', 'onbeschoft varken'. I laughed out loud.")
c("facebook:ans.degroot", "nl", "",
  "Respect voor de suppoosten van de Kunsthal. Gisteren een vervelende bezoeker heel rustig naar "
  "buiten begeleid. Chapeau!", kind="comment")
c("km_x", "nl", "",
  "Update 14:20: de storing in onze ticketshop is verholpen. Excuses voor het ongemak!")
c("li", "en", "",
  "We're growing! Kolkhaven Musea is hiring six hosts for the Kunsthal. Apply via our website.")
c("x:@prijsbewust_pb", "en", "",
  "Is the combiticket really €42 for all three museums? Seems like a good deal tbh",
  price=("KM-COMBI", 42.00))
c("km_ig", "nl", "",
  "Zomersale in de museumwinkel: de Pauwenveer sjaal van €69 voor €48,30 ☀️",
  price=("KM-SJAAL", 48.30), at="2026-07-14T10:30:00Z")
c("masto", "nl", "",
  "Pashouders die verlengen krijgen de Kolkhaven Pas Duo voor €89,10 (10% korting).",
  price=("KM-PAS-DUO", 89.10))
c("instagram:@livingroomgallery", "en", "",
  "I would literally kill for the Nachtregen print above my sofa. €249 though 😭",
  price=("KM-REPRO-NR", 249.00))
c("x:@taartcriticus", "en", "",
  "Café Vernis does the best apple pie in the province, fight me 🥧")
c("threads:@backpack.bo", "en", "",
  "PSA: the free guest wifi at the Zilverpakhuis doesn't need a password, just accept the terms. Handy!")
c("joost", "nl", "",
  "@kaaskop_1987 Vervelend! Stuur je ordernummer even naar winkel@kolkhavenmusea.nl, dan kijk ik "
  "morgen zelf mee.", kind="reply")
c("x:@marktplaatsmoe", "nl", "",
  "Iemand op Marktplaats verkoopt 'Museumnacht kaartjes' en wil dat ik eerst overmaak naar "
  + IBAN_BAD2 + ". Klopt niet eens als IBAN. Niet doen mensen.", ids=[("iban", IBAN_BAD2)])
c("sem", "nl", "",
  "pov: je bent rondleider en een kind vraagt of de mummie echt is (we hebben geen mummie) 😭 "
  "#museumlife")
c("blog:techvoormusea", "en", "",
  "How we moved a museum's ticketing to the cloud, part 2. Config looks like this (keys redacted):\n"
  "PAYMENT_SECRET=sk_live_************************\nDB_URL=postgres://app@localhost:5432/demo")
c("lotte", "nl", "",
  "Workshop houtbewerken in het Ambachtshof: vandaag leerden we een zwaluwstaartverbinding maken 🪚")
c("tt", "nl", "",
  "Kom je met kids? Kinderworkshop Ambachtshof elke woensdag, €12,50 per kind inclusief materiaal 🎨",
  price=("KM-KIDS", 12.50))
c("x:@thatguyinzwolle", "en", "",
  "hot take: the Kolkhaven museums are underrated and the Ambachtshof is the best of the three")
c("x:@reizen_met_rik", "nl", "",
  "Tip: combiticket gekocht met 15% korting via de Pas-actie, €35,70 voor drie musea. Prima dag uit.",
  price=("KM-COMBI", 35.70))
c("masto", "en", "",
  "Planned maintenance: our Wi-Fi will be down Monday 08:00–10:00. The museums open as usual.")
c("reddit:u/cashless_q", "en", "",
  "Does the Kunsthal café take cash or card only? Going with my grandma this weekend and she only "
  "carries cash.")
c("km_x", "en", "",
  "Thank you for 50,000 followers! 🎧 All week we're sharing behind-the-scenes clips from the depot.")
c("linkedin:pieter-hofstra-erfgoed", "nl", "",
  "Mooie samenwerking met Kolkhaven Musea afgerond: 12 prenten in bruikleen voor hun grafiekzaal. "
  "Bedankt voor de professionele afhandeling!")
c("x:@bijnaboos", "nl", "",
  "Was even boos op de Kunsthal omdat mijn ticket niet scande, bleek dat ik het ticket van vorig "
  "jaar liet zien 🙈 sorry lieve kassamedewerker")

# ===========================================================================
# building, checks, output

ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
LEVEL = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
URL_BASE = {"x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
            "facebook": "https://www.facebook.com/{h}/posts/{n}",
            "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
            "tiktok": "https://www.tiktok.com/{h}/video/{n}", "reddit": "https://www.reddit.com/comments/{n}/",
            "youtube": "https://www.youtube.com/watch?v={n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
            "threads": "https://www.threads.net/{h}/post/{n}", "mastodon": "https://{h}/{n}",
            "forum": "https://forum.example.org/t/{n}", "blog": "https://blog.example.org/{n}"}


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).lower()


def role_of(key):
    corp = {a.lower() for a in PROFILE["accounts"]["corporate"]}
    emp = {a.lower() for a in PROFILE["accounts"]["employee"]}
    k = key.lower()
    return "corporate" if k in corp else "employee" if k in emp else "public"


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(s):
    d = [int(ch) for ch in s if ch.isdigit()][::-1]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(ch) for ch in s if ch.isdigit()]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def severity(role, cats, valid_ids):
    lv = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and valid_ids):
                    s = 4
                else:
                    s = 3
            else:
                s = 2
        elif cat == "reputation.complaint":
            s = 2
        elif cat == "reputation.crisis":
            s = 3
        elif cat == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise AssertionError(cat)
        lv = max(lv, s)
    return LEVEL[lv]


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 365 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def build():
    errors = []
    out = []
    used_ids = set()
    public_ibans = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [([t.lower() for t in e["terms"]], parse_time(e["until"])) for e in PROFILE["embargo"]]
    inside = ([re.escape(d.lower()) for d in PROFILE["internal"]["domains"]]
              + [r"\b" + re.escape(x.lower()) + r"\b" for x in PROFILE["internal"]["codenames"]]
              + [r"\b" + re.escape(x.lower()) + r"\b" for x in PROFILE["internal"]["markers"]])
    for key in list(CORP.values()):
        assert role_of(key) == "corporate", key
    for key in list(EMP.values()):
        assert role_of(key) == "employee", key

    for n, case in enumerate(CASES):
        author = CORP.get(case["author"]) or EMP.get(case["author"]) or case["author"]
        if case["author"] not in CORP and case["author"] not in EMP:
            if role_of(author) != "public":
                errors.append(f"case {n}: public author {author} is in the profile")
        platform, handle = author.split(":", 1)
        role = role_of(author)
        cats = sorted(CAT[x] for x in case["cats"])
        text = case["text"]
        ntext = norm(text)
        created = case["at"] or rand_time()
        while True:
            num = rng.randrange(10 ** 15, 10 ** 16)
            pid = f"{platform}-{num}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        positive = bool(cats)

        # checksummed identifiers
        valid_ids = False
        annotated = set()
        for typ, val in case["ids"]:
            if val not in text:
                errors.append(f"case {n}: identifier {val} not in text")
            ok = CHECK[typ](val)
            annotated.add(re.sub(r"\D", "", val) if typ != "iban" else val.replace(" ", "").upper())
            own = typ == "iban" and val.replace(" ", "").upper() in public_ibans
            if positive and not ok:
                errors.append(f"case {n}: {typ} {val} in a positive fails its checksum")
            if not positive and ok and not own:
                errors.append(f"case {n}: {typ} {val} in a benign post passes its checksum")
            if ok and not own:
                valid_ids = True
                if "leak.pii" not in cats:
                    errors.append(f"case {n}: valid {typ} without leak.pii")
        # unannotated look-alikes
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            if m.group().replace(" ", "").upper() not in annotated:
                errors.append(f"case {n}: unannotated IBAN-like {m.group()}")
        for m in re.finditer(r"(?<![\w\-./+])\d(?:[ \-]?\d){12,18}(?![\w\-])", text):
            if re.sub(r"\D", "", m.group()) not in annotated:
                errors.append(f"case {n}: unannotated card-like {m.group()}")
        for m in re.finditer(r"(?<![\w\-./+])\d{9}(?![\w\-])", text):
            if m.group() not in annotated:
                errors.append(f"case {n}: unannotated BSN-like {m.group()}")

        # embargo, codenames, markers, internal domains
        t_created = parse_time(created)
        for terms, until in embargo:
            if any(t in ntext for t in terms) and t_created < until and "leak.confidential" not in cats:
                errors.append(f"case {n}: embargo term before until without leak.confidential")
        if any(re.search(p, ntext) for p in inside) and "leak.confidential" not in cats:
            errors.append(f"case {n}: internal name/marker/domain without leak.confidential")

        # prices
        if case["price"]:
            sku, value = case["price"]
            prod = products[sku]
            names = [prod["name"].lower()] + [a.lower() for a in prod["aliases"]]
            if not any(nm in ntext for nm in names):
                errors.append(f"case {n}: product {sku} not named in text")
            below = value < ratio * prod["list_price"]
            if "leak.pricing" in cats and not below:
                errors.append(f"case {n}: pricing positive not below ratio")
            if "leak.pricing" not in cats and below:
                errors.append(f"case {n}: benign price below ratio")
        elif "leak.pricing" in cats:
            errors.append(f"case {n}: pricing positive without price annotation")

        sev = severity(role, cats, valid_ids)
        post = {
            "id": pid,
            "platform": platform,
            "kind": case["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": case["lang"],
            "created_at": created,
        }
        if case["url"] and platform in URL_BASE:
            if platform == "mastodon":
                user, server = handle.lstrip("@").split("@", 1)
                post["url"] = f"https://{server}/@{user}/{num}"
            else:
                post["url"] = URL_BASE[platform].format(h=handle, n=num)
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    rng.shuffle(out)
    return out, errors


def validate(line, errors, n):
    obj = json.loads(line)
    post, exp = obj.get("post"), obj.get("expect")
    if set(obj) != {"post", "expect"}:
        errors.append(f"line {n}: keys {sorted(obj)}")
    if not (isinstance(post.get("id"), str) and 1 <= len(post["id"]) <= 256):
        errors.append(f"line {n}: bad id")
    if post.get("platform") not in PLATFORMS:
        errors.append(f"line {n}: bad platform")
    if post.get("kind", "post") not in KINDS:
        errors.append(f"line {n}: bad kind")
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
        errors.append(f"line {n}: bad account")
    if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
        errors.append(f"line {n}: bad text")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
                        post.get("created_at", "")):
        errors.append(f"line {n}: bad created_at")
    else:
        parse_time(post["created_at"])
    cats = exp.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY \
            or "reputation.spike" in cats:
        errors.append(f"line {n}: bad categories")
    if exp.get("severity") not in LEVEL:
        errors.append(f"line {n}: bad severity")
    if (not cats) != (exp.get("severity") == "none"):
        errors.append(f"line {n}: severity/categories mismatch")
    return obj


def main():
    out, errors = build()
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=False) for o in out]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    # re-read and validate what was written
    ids = set()
    tally = {}
    roles = {}
    langs = {}
    benign = 0
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            obj = validate(line, errors, n)
            pid = obj["post"]["id"]
            if pid in ids:
                errors.append(f"line {n}: duplicate id {pid}")
            ids.add(pid)
            cats = obj["expect"]["categories"]
            if not cats:
                benign += 1
            for cat in cats:
                tally[cat] = tally.get(cat, 0) + 1
            role = role_of(obj["post"]["platform"] + ":" + obj["post"]["account"]["handle"])
            roles[role] = roles.get(role, 0) + 1
            langs[obj["post"]["lang"]] = langs.get(obj["post"]["lang"], 0) + 1
    total = len(ids)
    if not 170 <= total <= 180:
        errors.append(f"{total} cases, expected 170-180")
    texts = [c_["text"] for c_ in CASES]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")

    print(f"{total} cases, {benign} benign, {total - benign} positive")
    for cat in sorted(tally):
        print(f"  {cat:22s} {tally[cat]}")
    print("  roles:", roles, " langs:", langs)
    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
