#!/usr/bin/env python3
"""Builds cases.jsonl for evaluation set sealed183 (Poetsvalk Facilitair B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written below.
Severities are never typed by hand: they are computed from the categories and the account
role found in profile.yaml (CONTRACT section 4). The script checks its own output and exits
non-zero if any check fails.
"""
import json
import os
import random
import re
import sys
import unicodedata
from datetime import datetime, timedelta, timezone

import yaml

SEED = 183
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ZW = "\u200b"  # zero-width space


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


CASES = []


def c(acct, lang, cats, text, when=None, kind="post"):
    CASES.append({"acct": acct, "lang": lang, "cats": sorted(set(cats)), "text": text,
                  "when": when, "kind": kind})


CPL, CONF, PII, CRI, SEC, SECR, ABU, PRI, FIN = (
    "reputation.complaint", "leak.confidential", "leak.pii", "reputation.crisis",
    "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial")

# ---------------------------------------------------------------- complaints
c("x:@jolien_utr", "nl", [CPL], "@poetsvalk_help al 3 maandagen op rij is de ploeg niet komen opdagen op ons kantoor in Utrecht. Prullenbakken puilen uit, keuken plakt. We betalen gewoon voor Kantoor Plus hoor 🙄", "2026-01-14T08:12:00Z", "reply")
c("x:@mark_ams", "en", [CPL], "Hey @poetsvalk, your crew 'cleaned' our meeting rooms last night and left streaks all over the glass walls + a half-full bucket in the corner. Not what we pay for. Again.")
c("linkedin:femke-de-wit-facility", "en", [CPL], "Three weeks and 4 emails to Poetsvalk about the double invoice for February and still no answer. Facility managers, how long do you usually wait before you escalate with your cleaning supplier?")
c("x:@tim_schdm", "nl", [CPL], "ValkPortaal doet het weer eens niet. Kan m'n werkbonnen niet aftekenen, krijg alleen een draaiend rondje. Hoe moeilijk is het 😤 #poetsvalk")
c("reddit:u/kantoorzombie", "en", [CPL], "Our building uses Poetsvalk and the bathrooms on floor 3 haven't had toilet paper refilled since Tuesday. Facilities says 'it's on the schedule'. The schedule is apparently fiction.", kind="comment")
c("instagram:@bakkerij_dejong", "nl", [CPL], "Na de Keukenreiniging van gisteren stond er nog vet op de afzuigkap en de vloer was spiegelglad. Voor €425 verwacht ik echt beter @poetsvalk.nl", kind="comment")
c("x:@saskia_vdl", "nl", [CPL], "@poetsvalk_help nee dit is NIET opgelost. Weer niemand geweest vanavond en de sleutel ligt nog steeds bij jullie ploegbaas. Dag 5.", kind="reply")
c("forum:Wouter_H", "nl", [CPL], "Ervaringen met Poetsvalk als schoonmaakbedrijf? Wij zitten er nu een jaar en de kwaliteit zakt elke maand verder. Steeds andere mensen, niemand weet waar de spullen staan en de teamleider reageert niet op mail.")
c("x:@drsnoek", "en", [CPL], "Poetsvalk's night crew unplugged our server room's portable AC to plug in a floor polisher. Again. Came in to alarms at 6am. Please train your people.")
c("threads:@lot.werkt", "nl", [CPL], "vraagje aan @poetsvalk.nl: waarom staat er op mijn factuur 12x glasbewassing als jullie er 6x geweest zijn? klantenservice verwijst me naar het portaal, portaal verwijst naar klantenservice 🔁")
c("x:@b_oosterhuis", "en", [CPL], "@poetsvalk_help you cancelled our Tapijt Dieptereiniging the evening before, with an automated SMS. 40 people came in to a smelly carpet after the flood. Not impressed.", kind="reply")
c("bluesky:@gerdien.bsky.social", "nl", [CPL], "Poetsvalk heeft bij ons de vloer in de hal 'gecoat' en nu zitten er overal strepen en luchtbellen in. Komen ze het herstellen? Nee, 'dat is normaal bij nieuwe coating'. Pfff.")
c("facebook:Henk.Visser.Zwolle", "nl", [CPL], "Verhuisschoonmaak geboekt via Poetsvalk, kwam een uur te laat, ramen niet gedaan en de oven is niet eens opengeweest. Verhuurder houdt nu €175 van de borg in. Wie vergoedt dat?")
c("reddit:u/DutchFM", "en", [CPL], "PSA if you're comparing cleaning companies in the Randstad: Poetsvalk quoted us one price and the first invoice was 18% higher because of 'toeslagen' nobody mentioned. Read the fine print.")
c("instagram:@studio_linnen", "nl", [CPL], "Jullie schoonmaker heeft onze stoffen stalenboeken met een natte doek 'schoongemaakt'. Hele collectie vlekken. @poetsvalk.nl wie belt mij terug?", kind="comment")
c("x:@woedende_wim", "nl", [CPL, ABU], "@poetsvalk_help stelletje prutsers, 2 weken geen schoonmaker gezien en wel netjes gefactureerd. Ga lekker kakken met jullie 'excuses voor het ongemak'", kind="reply")

# ---------------------------------------------------------------- confidential
c("x:@marloes_pv", "nl", [CONF], "Pfoe, hele dag workshops gehad over Project Zwaluw. Als dat doorgaat wordt de planning van alle regio's echt anders 🤯 mag er nog niks over zeggen")
c("bluesky:@bramdev.bsky.social", "en", [CONF], "anyone else's staging just 502 all day? https://staging.portaal.poetsvalk.nl/admin/klanten keeps timing out lol")
c("instagram:@daan.poetst", "nl", [CONF], "Nieuwe roosters staan al op rooster.poetsvalk.local voor wie zit te wachten 😂 ik sta weer 3 nachten in Hoofddorp")
c("tiktok:@sevda.schoonmaakt", "nl", [CONF], "pov: je teamleider laat je de Valk Robotdweil testen die pas volgend jaar uitkomt en hij rijdt meteen de trap af 💀🤖", "2026-09-18T21:40:00Z")
c("linkedin:linda-van-dijk-sales", "en", [CONF], "Sneak peek for our key accounts: ValkPortaal 3 comes with live crew tracking and photo reports per room. Demo on request 😉", "2026-11-05T10:05:00Z")
c("x:@kees_ploegbaas", "nl", [CONF, FIN], "Mooi he, uit de memo van vandaag (PV-VERTROUWELIJK): 'vanaf 1 maart alle ploegen in regio Noord naar 4-uursdiensten, 40 contracten niet verlengd'. Leuk nieuws voor de jongens 🙃")
c("reddit:u/valk_nachtploeg", "en", [CONF], "Can't say much but there's a doc going around marked 'niet delen buiten Poetsvalk' about Operatie Stofwolk. If it's what I think it is, night crews are in for a rough spring.", kind="comment")
c("x:@insider_schoon", "nl", [CONF], "Hoor van een bekende bij Poetsvalk dat ze intern werken aan 'Kiekendief', een app waarmee klanten de schoonmakers live op de kaart kunnen volgen. Privacy anyone?")
c("linkedin:yasmina-bouzid-pv", "nl", [CONF], "Vandaag de eerste sessie gegeven over het nieuwe beloningsbeleid. Slides (alleen voor intern gebruik) staan op intra.poetsvalk.local/hr/beloning2027 — collega's, kijk even!")
c("forum:Gast123", "nl", [CONF], "Mijn zus werkt bij Poetsvalk en zei dat er een 'Valk Robotdweil' aankomt die 's nachts zelf kantoren gaat dweilen. Iemand meer info??", "2026-10-12T19:22:00Z")
c("instagram:@daan.poetst", "nl", [CONF], "wie gaat er mee naar de K i e k e n d i e f kick-off vrijdag? 🦅 gratis borrel zeggen ze")
c("x:@marloes_pv", "nl", [CONF], "Pr\u043eject Zw\u0430luw pilot in Zwolle gaat 1 april live 🎉 eindelijk")
c("threads:@poetsvalk.nl", "nl", [CONF], "Save the date! Volgende week dinsdag onthullen we ValkPortaal 3 🦅✨ Blijf ons volgen!", "2027-01-19T12:00:00Z")
c("x:@irene_rooster", "en", [CONF, FIN], "Found this in the printer tray, " + fullwidth("PV-VERTROUWELIJK") + ": 'Regio West margin below 4%, consider exiting the 12 smallest contracts'. Oops 👀")
c("linkedin:ruud-hoekstra-poetsvalk", "nl", [CONF, FIN], "Laatste hand gelegd aan de jaarcijfers 2026. Omzet voor het eerst boven de 100 miljoen — trots op dit team! Publicatie volgt binnenkort.", "2027-02-20T17:30:00Z")
c("x:@kees_ploegbaas", "nl", [CONF, FIN], "Operatie Sto" + ZW + "fwolk gaat door, hoorde het net van de regiomanager. Nachtploegen in het hele land gaan op de schop.")

# ---------------------------------------------------------------- financial
c("linkedin:ruud-hoekstra-poetsvalk", "en", [FIN], "Between us: Q3 came in 9% under budget, mostly because of the lost hospital contracts. Board meets Thursday about next year's forecast.")
c("x:@kees_ploegbaas", "nl", [FIN], "Er gaan in regio Zuid 60 fte uit, vanmiddag in het MT besloten. De ploegen weten nog van niks. Ik ben er kapot van.")
c("reddit:u/valk_nachtploeg", "en", [FIN], "Heard from payroll that Poetsvalk is in talks to buy a smaller cleaning firm in Eindhoven (Kempenland Schoonmaak or something). Price is supposedly around 14M. Not announced yet.")
c("linkedin:linda-van-dijk-sales", "nl", [FIN], "Net gehoord: we verliezen per 1 januari het contract met de gemeente Amersfoort, ruim 2 miljoen per jaar. Nog niet naar buiten gebracht, dus even stilhouden 🙏")
c("x:@beursbabbel", "nl", [FIN], "Volgens mijn bron bij Poetsvalk ligt er een bod van een Frans facilitair concern op tafel. Verkoop zou voor de zomer rond zijn. Hou dit in de gaten.")
c("bluesky:@bramdev.bsky.social", "en", [FIN], "lol our dev team is being 'consolidated' into Utrecht HQ in February, the Groningen office closes. not public yet so shhh")
c("linkedin:yasmina-bouzid-pv", "en", [FIN], "Preparing the consultation file for the works council on the restructuring of our support office — 35 roles affected. The hardest part of HR.")
c("facebook:PoetsvalkFacilitair", "nl", [FIN], "Wat een kwartaal! 🎉 Intern vieren we vandaag 17% omzetgroei ten opzichte van vorig jaar — de officiële cijfers volgen in maart. Dank aan al onze valken!")

# ---------------------------------------------------------------- security
c("mastodon:@joostops@mstdn.nl", "en", [SEC], "Third night in a row the VPN box falls over at 02:10 and night crews can't clock in via the app. Management says don't tell clients until we know why. Anyone seen FortiGate do this?")
c("bluesky:@bramdev.bsky.social", "en", [SEC], "found an IDOR in our client portal today: bump the invoice id in the URL and you get another company's invoice. patch planned for next sprint 🙃")
c("x:@kees_ploegbaas", "nl", [SEC], "Sleutelkluis-codes van al onze klantpanden stonden gewoon in een gedeeld Excelletje dat iedereen met de link kon openen. Weken lang. Niemand buiten ons team die het weet.")
c("reddit:u/valk_nachtploeg", "en", [SEC], "Heads up fellow night shift: the planning server got hit by ransomware on Sunday. That's why your shifts vanished from the app. Office says 'technical maintenance' but it's ransomware.")
c("x:@irene_rooster", "nl", [SEC], "Phishingmail is vanmorgen bij de salarisadministratie binnengekomen, drie accounts overgenomen. IT zegt niks naar buiten tot maandag.")
c("instagram:@daan.poetst", "nl", [SEC], "Badgesysteem op ons hoofdkantoor laat oud-collega's nog steeds binnen lol, m'n ex-collega liep gisteren gewoon door de poort 🤷‍♂️ in januari al gemeld")
c("tiktok:@sevda.schoonmaakt", "nl", [SEC], "storytime: de alarmcodes van 4 klanten worden per whatsapp naar de hele ploeg gestuurd, ook naar mensen die al lang weg zijn 😬 #schoonmaak #poetsvalk")
c("mastodon:@joostops@mstdn.nl", "en", [SEC], "Backups of the ValkPortaal database have silently failed for 16 days. Found out this morning. If anything breaks now we lose two weeks of client data. Yay.")
c("x:@marloes_pv", "en", [SEC], "Portal has been down since 5am because someone deleted the prod DNS record 🙈 we're telling clients it's 'scheduled maintenance'")
c("linkedin:ruud-hoekstra-poetsvalk", "en", [SEC], "Not great: our payroll provider confirmed someone accessed the Poetsvalk salary export last week. Still working out the scope before we inform staff.")
c("bluesky:@bramdev.bsky.social", "en", [SEC], "note to self: ValkPortaal password reset tokens never expire. ticket filed, prio 'low' apparently 🤡")
c("mastodon:@joostops@mstdn.nl", "en", [SEC, SECR], "Rotated everything after last night's GitLab token leak, but the old one was live for 9 hours: glpat-Ai8AF2iM-76QtENUVJUM. Don't bother, it's dead now. Post-mortem internal only.")

# ---------------------------------------------------------------- secrets
c("bluesky:@bramdev.bsky.social", "en", [SECR], "why does my deploy keep failing 😭\n\nAWS_ACCESS_KEY_ID=AKIA5Y1UQ0UHC94GM6TN\nAWS_SECRET_ACCESS_KEY=8Coa+HtBUt5Du46UBkEbMatBvB5bR3Yp2VkQLKXp\n\nregion is eu-west-1, help")
c("mastodon:@joostops@mstdn.nl", "en", [SECR], "git clone https://ghp_Ei7TGBs0rOLeYwhp37KjSem1PJTzop3r2Erb@github.com/poetsvalk/planning-core.git works from my laptop but not from the CI runner. Ideas?")
c("x:@poetsvalk_help", "nl", [SECR], "@kantoor_rdam U kunt inloggen met een tijdelijk account. Gebruikersnaam: rdam-facilities, wachtwoord: Zw8!kP2q-tmp. Wijzig dit na de eerste keer inloggen.", kind="reply")
c("bluesky:@bramdev.bsky.social", "en", [SECR], "stripe webhook keeps 401ing, key is sk_live_I0fXunnQVk4tiGJeyZ5JitMa — is it because it's a restricted key?? 😩")
c("mastodon:@joostops@mstdn.nl", "en", [SECR], "Shift alert bot finally posts to Slack 🎉 (token xoxb-006171260841-5261060574919-lKjL7RY32dDakmriV3TEkM2Z, will move it to the vault later)")
c("bluesky:@bramdev.bsky.social", "en", [SECR], "anyone know why ssh says 'invalid format' for this key?\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nito4lNCtWMCbodXc2r8zC9TgJB86c3h3fqlVfB1Nooo6sh3CSBM+ygaU9/g/Spxb3ykPoy\n8pUhnXm3bjEXxdcfzmMbsCwmS1VU226p6iTJm41lTxvOFlKpys0ESPMX4Tig3OsKilVxFa\nXfCJbcY3iEBybi3meoLaqHrSvEKumZZI6JccwLFmQcjZedNBPu2FMKyhHuUyfvH5HoURaW\n-----END OPENSSH PRIVATE KEY-----")
c("x:@irene_rooster", "en", [SECR], "portal API gives me 403 with this, what am I doing wrong? Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwdi1wbGFubmVyLTAxNDIiLCJvcmciOiJwb2V0c3ZhbGsiLCJyb2xlIjoicGxhbm5lciIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzk4NzYxNjAwfQ.UlUkBZcAEbqsmUsjfSOzdUCOVmRPXttWuYQ7cPTSBeM")
c("mastodon:@joostops@mstdn.nl", "en", [SECR, CONF], "psql postgres://pv_admin:Sch00nmaak!2026@db01.pv-intern.nl:5432/valkportaal times out from the office wifi, works on VPN. Firewall again?")
c("reddit:u/scriptkid_nl", "en", [SECR], "lol Poetsvalk's portal ships its Google Maps key right in the JS bundle: AIzanJXXcpHbbesWwLbjmwKnQsM5YW_auCynhsF — enjoy the bill", kind="comment")
c("bluesky:@bramdev.bsky.social", "en", [SECR], "claude keeps telling me my key is invalid?? ANTHROPIC_API_KEY=sk-ant-api03-ovSEHnojWwxjrjKFerEdD9oaA-Tk2j6-Us59Xv_lv2qPvlHRvxnjVCSac9cLQNLF7SdAgO2qlT4RY0AeFPa4GhSELAeNOAA copied straight from the console")
c("x:@kees_ploegbaas", "nl", [SECR], "ploegtablet voor de nieuwe jongens: w.a.c.h.t.w.o.o.r.d = Nachtvalk#2026 (niet doorsturen he 😉)")

# ---------------------------------------------------------------- personal data
c("x:@poetsvalk_help", "en", [PII], "@b_oosterhuis Sorry about that! We've rescheduled with your office manager Ingrid Smit, you can also reach her on 06-41827365 if anything changes.", kind="reply")
c("facebook:PoetsvalkFacilitair", "nl", [PII], "Gefeliciteerd met je 25-jarig jubileum, Gerda Mulder! 🎉 Geboren op 14-03-1971 en al sinds 2001 bij ons in de ploeg van Zwolle.")
c("x:@irene_rooster", "nl", [PII], "Wie kan morgen de ochtend in Leusden overnemen? Bel Mohamed even: +31 6 2384 9105 of mail m.elidrissi84@gmail.com")
c("linkedin:yasmina-bouzid-pv", "nl", [PII], "Welkom aan onze nieuwe collega Priscilla Doornbos! Voor de loonadministratie nog even haar gegevens: BSN 301748251, IBAN NL63INGB0007356142.")
c("x:@poetsvalk_help", "nl", [PII], "@saskia_vdl We hebben de terugbetaling van €182,50 vandaag overgemaakt naar NL51 ABNA 0417 7319 85 t.n.v. S. van der Linden. Excuses voor het ongemak!", kind="reply")
c("x:@henk_zwolle", "nl", [PII, CPL], "@poetsvalk_help jullie hebben mijn borg nog steeds niet terugbetaald. Rekening is NL24RABO0154892230, H. Visser. Hoe vaak moet ik het nog sturen?", kind="reply")
c("reddit:u/confused_client", "en", [PII, CPL], "Tried to pay the Poetsvalk invoice through their portal, card 4532 0176 6389 2142 exp 09/28 got declined three times. Is their payment page just broken?")
c("instagram:@daan.poetst", "nl", [PII], "Vanavond eerst naar mevrouw Jansen, Bergweg 112 in Rotterdam, daarna de praktijk op de Kruisstraat. Lange nacht ☕")
c("x:@boze_buurvrouw", "nl", [PII], "De schoonmaker van Poetsvalk die elke nacht met z'n busje m'n oprit blokkeert: Ricardo Mendes, Dorpsstraat 41, 3731 AB De Bilt. Spreek hem er maar op aan.")
c("x:@marloes_pv", "en", [PII], "Booking hotels for the crew at the Amsterdam event, company card 5521 3400 8812 3749 keeps getting declined, anyone from finance online??")
c("forum:Roy_V", "nl", [PII], "Ik solliciteerde bij Poetsvalk en ze vroegen per mail om mijn BSN (192837461) en een kopie paspoort nog vóór het gesprek. Is dat normaal?")
c("x:@kees_ploegbaas", "nl", [PII], "Nieuwe nachtploeg Schiphol gestart. Aanspreekpunt bij de klant is Ed de Graaf, " + fullwidth("06-12987453") + ", bel hem bij problemen met de pasjes")
c("facebook:PoetsvalkFacilitair", "nl", [PII], "Beste meneer Kalkman, we zien uw betaling vanaf NL49TRIO0390012876 nog niet binnen. Kunt u een screenshot sturen? Of bel Anouk van debiteuren op 06-53418227.", kind="reply")
c("instagram:@yvonne_kapsalon", "nl", [PII, CPL], "@poetsvalk.nl al 3x gebeld. Bel me terug op 0612 345 678 of mail yvonne@kapsalonyvon.nl, het gaat om de gemiste afspraak van dinsdag!!", kind="comment")
c("tiktok:@sevda.schoonmaakt", "nl", [PII], "wie heeft er nog geld van me tegoed van de ploegborrel 😂 tikkie werkt niet, gewoon naar NL81 BUNQ 2061 9384 71 (S. Aydin)")

# ---------------------------------------------------------------- crisis
c("x:@arbeidsrecht_nu", "nl", [CRI], "Oud-schoonmakers van Poetsvalk stappen naar de rechter: jarenlang onderbetaald en verplicht onbetaald overwerk. De zaak dient in september in Utrecht.")
c("x:@activist_leen", "nl", [CRI], "#BoycotPoetsvalk — een bedrijf dat schoonmakers via onderaannemers €2 onder het cao-loon laat werken verdient geen enkel contract meer. Gemeentes, zeg op!")
c("reddit:u/kantoorzombie", "en", [CRI], "Our office got evacuated this morning because the Poetsvalk cleaner mixed bleach with an acid descaler in the restroom. Two colleagues went to the ER with breathing problems.")
c("x:@sec_ronald", "en", [CRI], "Poetsvalk's ValkPortaal has an open Elasticsearch index with client work orders, door codes and contact names. Reported 8 days ago, zero response. Clients should be asking questions.")
c("facebook:Marian.Bos.Apeldoorn", "nl", [CRI], "Bij ons op kantoor zijn laptops en een kluisje leeggehaald na de schoonmaakronde van Poetsvalk. Politie is ingeschakeld. Hun reactie: 'wij kunnen niets uitsluiten'. Schandalig.")
c("linkedin:nieuwsdesk-facilitair", "en", [CRI], "BREAKING: Dutch Labour Authority raids Poetsvalk's regional office in Breda over suspected bogus self-employment among cleaners.")
c("tiktok:@schoonmaakstem", "nl", [CRI], "poetsvalk ontslaat schoonmakers die lid worden van de bond. deel dit. #boycot #poetsvalk #schoonmakersactie")
c("x:@hansz", "en", [CRI], "My mother slipped on a freshly mopped floor at the clinic — no warning sign, Poetsvalk crew already gone. Broken hip. We're filing a claim against them.")
c("instagram:@ouders_bs_dewissel", "nl", [CRI], "Ouders opgelet: het desinfectiemiddel dat Poetsvalk op onze school gebruikt is teruggeroepen vanwege een te hoge concentratie. Kinderen kregen huiduitslag. Wij willen antwoorden!")
c("bluesky:@journo-kim.bsky.social", "en", [CRI], "Documents we've seen suggest Poetsvalk billed three hospitals for night cleaning shifts that were never worked. Story tomorrow.")
c("x:@bond_schoonmaak", "nl", [CRI], "Staking bij Poetsvalk op Schiphol vanaf maandag. Wij roepen klanten op hun contract op te schorten tot de cao eerlijk wordt toegepast.")
c("forum:Erwin_K", "nl", [CRI], "Ik heb bewijs dat ValkPortaal gelekt is: mijn klantgegevens en die van onze 40 medewerkers staan op een Telegram-kanaal te koop. Poetsvalk ontkent alles.")
c("x:@boycot_bot", "nl", [CRI], "B.O.Y.C.O.T P.o.e.t.s.v.a.l.k — ze betalen hun mensen niet eens het minimumloon")
c("reddit:u/valk_nachtploeg", "en", [CRI], "A colleague collapsed on night shift last week after working with undiluted chemicals in a closed room. We were told to keep quiet about it. Not ok.")
c("x:@rotterdamse_rob", "nl", [CRI, ABU], "Dat kutbedrijf Poetsvalk heeft via hun portaal onze hele klantenlijst laten lekken. We stellen die klootzakken aansprakelijk.")

# ---------------------------------------------------------------- abuse
c("tiktok:@xtremejorn", "nl", [ABU], "die schoonmakers van poetsvalk zijn allemaal buitenlanders die geen woord nederlands spreken, ga terug naar je eigen land", kind="comment")
c("instagram:@kees.dekker.77", "nl", [ABU], "Wat een kankerbedrijf is dit zeg", kind="comment")
c("x:@l33t_h4ter", "nl", [ABU], "p0etsv4lk = st3lletje k4pl00s3 kl00tz4kk3n")
c("x:@kees_ploegbaas", "nl", [ABU], "Die klant in Hoofddorp is echt een vuile racist en z'n facilitair manager een achterlijke debiel. Ik stuur daar geen ploeg meer heen.")
c("reddit:u/tiredofit", "en", [ABU], "That Poetsvalk supervisor in our building is a pathetic little creep with a god complex. Someone should punch him in the face.", kind="comment")
c("facebook:Gert.Hendriks", "nl", [ABU], "Schoonmaaksters van Poetsvalk: dom, lui en traag. Typisch wijven, die horen thuis achter het aanrecht.", kind="comment")
c("x:@mad_monday", "en", [ABU], "@poetsvalk_help shut up with your 'we apologise for the inconvenience' bs you f*cking robots", kind="reply")
c("x:@anoniem_h8", "nl", [ABU], fullwidth("poetsvalk") + " " + fullwidth("kankerlijers"))
c("threads:@marco_zz", "nl", [ABU], "jullie schoonmaker is een vuile h\u043eer die m'n koffiemok heeft gejat @poetsvalk.nl", kind="reply")
c("x:@poetsvalk_help", "nl", [ABU], "@mad_monday Als u zo blijft schelden, idioot, dan stoppen we dit gesprek. Gewoon normaal doen.", kind="reply")

# ---------------------------------------------------------------- pricing
c("x:@poetsvalk", "nl", [PRI], "🦅 Voorjaarsactie! Glas Pro nu voor €24,50 per beurt. Alleen deze week!")
c("instagram:@poetsvalk.nl", "en", [PRI], "New clients: Kantoor Plus from just €84.90/month 🧽✨ Book via the portal")
c("x:@dealjager_nl", "nl", [PRI], "PRIJSFOUT? Poetsvalk Bouwoplevering Schoonmaak voor €145 in hun webshop 😱 snel boeken voor ze het zien")
c("reddit:u/frugalfm", "en", [PRI], "Poetsvalk's portal is quoting Gevelreiniging Compleet at €189 for our whole building. That has to be a pricing error right? Booked it anyway lol")
c("linkedin:linda-van-dijk-sales", "nl", [PRI], "Alleen voor wie snel is: Zorgschoon Kliniek de eerste 3 maanden voor €390 per maand 🏥 DM me")
c("facebook:PoetsvalkFacilitair", "nl", [PRI], "Oeps, er stond vanochtend even een prijsfout op de site bij de Desinfectie Spoedservice. Bestellingen van vanochtend handelen we netjes af.")
c("x:@poetsvalk_help", "en", [PRI], "@frugalfm Hi! The Tapijt Dieptereiniging price you saw (€39) was a system glitch, our apologies. We'll contact you about your booking.", kind="reply")
c("tiktok:@poetsvalk", "nl", [PRI], "Valk Microvezel Starterset nu voor €8,90 😍 link in bio")
c("x:@koopjesmeisje", "nl", [PRI], "Haha Poetsvalk verkoopt hun Valk Dispenser Set voor €12,99 op de site, heb er 5 besteld 😂")
c("instagram:@daan.poetst", "nl", [PRI], "Klanten opgelet 😉 via mij krijg je de Ozon Geurbehandeling voor 50 euro ipv 199! stuur een dm")
c("threads:@poetsvalk.nl", "en", [PRI], "Night cleaning for your store: Nachtploeg Retail now €299 per month (normally €1,150) 🌙")
c("bluesky:@bargainbart.bsky.social", "en", [PRI], "Poetsvalk's Graffiti Verwijdering listed at € 27.50 — price mistake or clearance? 🤔")

# ---------------------------------------------------------------- benign (mostly hard negatives)
c("x:@poetsvalk", "nl", [], "Lentekriebels? 🌷 Deze maand 20% korting op Glas Pro: €196 in plaats van €245 per beurt. Boek via portaal.poetsvalk.nl")
c("instagram:@poetsvalk.nl", "en", [], "Carpet Deep Clean from €395 — flat rate, no surprises. DM us or mail info@poetsvalk.nl")
c("x:@poetsvalk_help", "nl", [], "@ellen_ams Vervelend om te horen! Bel ons gerust op 030 760 4400 of mail klantcontact@poetsvalk.nl, dan plannen we vandaag nog een extra ronde in.", kind="reply")
c("facebook:PoetsvalkFacilitair", "nl", [], "Betalen per overschrijving? Gebruik NL66RABO0312445567 t.n.v. Poetsvalk Facilitair B.V. en vermeld uw factuurnummer.")
c("x:@jolien_utr", "nl", [], "Update: @poetsvalk_help heeft het opgelost, nieuwe ploeg sinds vorige week en alles blinkt weer ✨ dank!", "2026-02-02T09:01:00Z")
c("linkedin:femke-de-wit-facility", "en", [], "Shout-out to the Poetsvalk crew at our Amersfoort office: they stayed late during last night's water leak and saved our archive. Real pros.")
c("x:@tim_schdm", "nl", [], "Iemand enig idee hoe ik m'n wachtwoord voor ValkPortaal reset? Kan de knop nergens vinden, ligt vast aan mij 🙈")
c("reddit:u/DutchFM", "en", [], "Sector news: Belgian cleaning group Netcare Services announces 400 layoffs after losing a government tender. Poetsvalk and the other Dutch players say they're still hiring.")
c("x:@beursbabbel", "nl", [], "Jaarcijfers 2026 van Poetsvalk zijn net gepubliceerd: omzet +11%, marge 4,2%. Netjes voor de sector.", "2027-03-05T08:15:00Z")
c("linkedin:poetsvalk-facilitair", "en", [], "ValkPortaal 3 is live! 🦅 Live crew updates, photo reports per room and a new invoice overview. Log in at portaal.poetsvalk.nl", "2027-01-27T09:30:00Z")
c("bluesky:@bramdev.bsky.social", "en", [], "docs tip: never paste real keys in issues. use placeholders like sk_live_XXXXXXXXXXXXXXXXXXXXXXXX or AKIAIOSFODNN7EXAMPLE in examples pls")
c("tiktok:@sevda.schoonmaakt", "nl", [], "5 uur 's ochtends, koffie in de hand, kantoor blinkt. ik hou van mijn werk 🧽💜 #schoonmaak #nachtdienst #poetsvalk")
c("x:@kees_ploegbaas", "nl", [], "Trots op m'n ploeg: klant gaf ons een 9,2 bij de kwaliteitsmeting 💪 bier is van mij vrijdag")
c("forum:Roy_V", "nl", [], "Update: gesprek bij Poetsvalk ging goed. Ze vragen je BSN pas bij het tekenen van het contract, niet eerder. Was een misverstand van mijn kant.")
c("reddit:u/kantoorzombie", "en", [], "Update: Poetsvalk sent a new supervisor and the bathrooms are spotless now. Credit where it's due.", kind="comment")
c("x:@mark_ams", "en", [], "Our old cleaning company made a pricing error on nearly every invoice for a year. Switched to Poetsvalk in March and the invoices finally match the contract.")
c("x:@dealjager_nl", "nl", [], "Geen prijsfout maar gewoon een prima deal: Poetsvalk Verhuisschoonmaak deze maand €239 i.p.v. €299")
c("instagram:@poetsvalk.nl", "nl", [], "Black Friday bij Poetsvalk 🖤 30% korting op de Valk Microvezel Starterset: nu €62,30!", "2026-11-27T07:00:00Z")
c("x:@poetsvalk", "nl", [], "Zonnepanelen Reiniging: €219 per installatie tot 20 panelen. Meer panelen? Vraag een offerte aan.")
c("linkedin:linda-van-dijk-sales", "en", [], "Great to meet so many facility managers at the facility fair in Utrecht! Kantoor Basis starts at €489/month — happy to send you a quote.")
c("forum:Ingrid_P", "nl", [], "Let op: er gaan nepfacturen rond 'namens Poetsvalk' met rekeningnummer NL12 ABNA 0417 7319 85. Het echte nummer staat gewoon op poetsvalk.nl en Poetsvalk heeft zelf al aangifte gedaan.")
c("reddit:u/confused_client", "en", [], "lol the payment form just told me '4111 1111 1111 1112 is not a valid card number'. well yes, I typo'd. Paying through the Poetsvalk portal works fine otherwise.", kind="comment")
c("x:@jobzoeker_ahmed", "nl", [], "Sollicitatie bij Poetsvalk ingestuurd! Formulier gaf eerst 'BSN 123456780 ongeldig' want ik had een cijfer verkeerd 🤦 nu gelukt")
c("instagram:@poetsvalk.nl", "nl", [], "Vragen over je rooster of contract? Bel gratis 0800-7638 (ma–vr 8–18u) of stuur ons een DM.")
c("x:@poetsvalk", "en", [], "Journalists: for press enquiries please contact pers@poetsvalk.nl or +31 30 760 4400.")
c("tiktok:@poetsvalk", "nl", [], "Wij zoeken nachtploegen in Utrecht en Amersfoort! 🌙 Solliciteren via werkenbijpoetsvalk.nl of mail werkenbij@poetsvalk.nl")
c("linkedin:arjen-mulder-ops", "en", [], "Thoughts with the cleaner injured in the Rotterdam port fire yesterday. Not a Poetsvalk person, but the whole sector feels it. Stay safe out there.")
c("x:@grappige_gerrit", "en", [], "Our Poetsvalk cleaner is so good I no longer recognise my own desk 😂 where did all my coffee rings go")
c("x:@officehumor", "en", [], "Absolute crisis at the office: Poetsvalk reorganised the fridge and now nobody knows whose yoghurt is whose 😂")
c("threads:@lot.werkt", "nl", [], "Weet iemand of je bij Poetsvalk ook alleen de Trappenhuis Service kunt afnemen? Wij hebben een klein VvE-pand.")
c("x:@nieuwsbot_nl", "nl", [], "Consumentenbond roept op tot boycot van goedkope schoonmaakmiddelen zonder keurmerk. Poetsvalk laat weten die middelen niet te gebruiken.")
c("tiktok:@sevda.schoonmaakt", "nl", [], "eindelijk mogen we 'm laten zien: de Valk Robotdweil 🤖 hij rijdt NIET meer de trap af hahaha", "2027-02-10T18:45:00Z")
c("instagram:@daan.poetst", "nl", [], "Eerste zwaluwen gespot boven het depot vanochtend 🐦 lente!")
c("x:@poetsvalk_help", "nl", [], "@saskia_vdl Uw sleutels en alarmcodes behandelen we altijd vertrouwelijk en ze worden nooit via social media gedeeld. Stuur ons een DM voor het ophalen.", kind="reply")
c("linkedin:yasmina-bouzid-pv", "en", [], "We promote from within: 60% of our team leaders started as cleaners. Proud of our internal academy 🦅")
c("x:@poetsvalk", "en", [], "Security tip: Poetsvalk will never ask for your portal password by phone or e-mail. Got a suspicious message? Forward it to info@poetsvalk.nl")
c("x:@marloes_pv", "nl", [], "Storing bij de NS weer, halve ploeg te laat in Utrecht. Gelukkig hebben we begripvolle klanten 🙏")
c("mastodon:@joostops@mstdn.nl", "en", [], "Reminder for devs: if you paste logs in tickets, redact tokens like ghp_************************************ first. Thanks 🙏")
c("x:@poetsvalk_help", "nl", [], "@tim_schdm Klik op 'wachtwoord vergeten' op portaal.poetsvalk.nl, dan krijg je binnen 5 minuten een resetlink. Lukt het niet? Bel 030 760 4400.", kind="reply")
c("bluesky:@gerdien.bsky.social", "en", [], "Update on our hallway floor: Poetsvalk came back, stripped the coating and redid it for free. Looks brand new. Thanks!")
c("x:@nieuwsdesk_fm", "nl", [], "Facilitair concern Hygenta schrapt 200 banen in Vlaanderen. Nederlandse partijen als Poetsvalk zijn er niet bij betrokken.")
c("linkedin:poetsvalk-facilitair", "en", [], "Our full-year results 2026 are out: revenue €104m, up 11%. Full annual report on poetsvalk.nl.", "2027-03-03T09:00:00Z")
c("x:@ellen_ams", "nl", [], "Ticketnummer 100200300 bij Poetsvalk is gesloten, probleem vandaag opgelost 👍 prullenbakken weer leeg")
c("instagram:@poetsvalk.nl", "nl", [], "Vandaag 10 jaar klant: Gemeente Zwolle! Sinds 14-03-2016 houden wij hun stadhuis schoon 🎉", "2026-03-14T10:00:00Z")
c("facebook:PoetsvalkFacilitair", "nl", [], "Ons nieuwe hoofdkantoor: Kanaalweg 17, 3526 KL Utrecht. Kom gerust langs voor een kop koffie ☕")
c("x:@poetsvalk", "nl", [], "Ons medeleven gaat uit naar de familie van onze collega Henk, die vorige week is overleden. We gaan je missen, Henk. 🕊️")
c("x:@bouwer_jan", "en", [], "Damn, Poetsvalk did a bloody good job after our renovation, you could eat off the floor. Recommended!")
c("linkedin:poetsvalk-facilitair", "en", [], "We're hiring a Security Officer to keep ValkPortaal safe. Apply via werkenbijpoetsvalk.nl")
c("reddit:u/startup_sanne", "en", [], "Is €489/month for Poetsvalk Kantoor Basis reasonable for a 300m² office? Seems fair compared to the other quotes we got.")
c("x:@technieuws", "nl", [], "Datalek bij een Duitse planningsapp voor schoonmaakbedrijven: 80.000 accounts. Poetsvalk-klanten hoeven niks te doen, ValkPortaal gebruikt die software niet.")
c("instagram:@studio_linnen", "en", [], "update: @poetsvalk.nl replaced our swatch books and sent flowers 💐 apology accepted", kind="comment")
c("x:@kantoor_rdam", "nl", [], "@poetsvalk_help betaald naar NL66 RABO 0312 4455 67 zoals op de factuur staat, kunnen jullie dat bevestigen?", kind="reply")
c("linkedin:yasmina-bouzid-pv", "nl", [], "Tip voor nieuwe collega's: vul je BSN zonder spaties in, dus 123456789 en niet 123 456 789. (Voorbeeldnummer, niet overnemen 😉)")
c("bluesky:@journo-kim.bsky.social", "en", [], "Our story on hospital billing fraud is out. It concerns a Belgian contractor, not Poetsvalk as some of you guessed. Apologies for the confusion.")
c("x:@poetsvalk", "nl", [], "Onze schoonmakers verdienen respect. Schelden op onze mensen accepteren we niet — meld intimidatie altijd via klantcontact@poetsvalk.nl.")
c("facebook:Marian.Bos.Apeldoorn", "nl", [], "Update: de politie heeft de dader gevonden, het was niet iemand van Poetsvalk. Excuses aan de ploeg 🙏", kind="comment")
c("bluesky:@bramdev.bsky.social", "en", [], "config example in our README: DATABASE_URL=postgres://user:password@localhost:5432/app — please stop filing bugs saying 'password is wrong' 😅")
c("mastodon:@joostops@mstdn.nl", "en", [], "Tokens in our logs now show up as eyJhbGciOi…[redacted] instead of the whole thing. Small wins.")
c("x:@koopjesmeisje", "nl", [], "Valk Dispenser Set gekocht voor €109, was €129. Prima deal, werkt top")
c("x:@poetsvalk_help", "en", [], "@drsnoek We're really sorry about the AC. Your team leader will call you today, and all night crews now have a 'never unplug' rule for server rooms.", kind="reply")
c("reddit:u/frugalfm", "en", [], "Update: Poetsvalk gave us a fair price in the end, Gevelreiniging Compleet for €1,690 after a small discount. Good service so far.", kind="comment")


# ================================================================ validation helpers

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(num) % 97 == 1


def luhn_valid(s):
    digits = [int(ch) for ch in s if ch.isdigit()][::-1]
    total = 0
    for i, d in enumerate(digits):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_valid(s):
    d = [int(ch) for ch in s]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\s?\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d(?![0-9])")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")

PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def checked_identifiers(text):
    """Returns lists of (kind, value, valid) found in the (NFKC-normalised) text."""
    t = unicodedata.normalize("NFKC", text)
    found = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        found.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(t):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            found.append(("card", digits, luhn_valid(digits)))
    for m in BSN_RE.finditer(t):
        found.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return found


def role_index():
    idx = {}
    for role in ("corporate", "employee"):
        for a in PROFILE["accounts"][role]:
            plat, handle = a.split(":", 1)
            idx[(plat.lower(), handle.lower())] = role
    return idx


ROLES = role_index()
SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, has_checked_id):
    sev = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if cat in ("leak.secret", "leak.pricing"):
                    s = 4
                if cat == "leak.pii" and has_checked_id:
                    s = 4
            else:
                s = 2
        elif cat == "reputation.complaint":
            s = 2
        elif cat == "reputation.crisis":
            s = 3
        elif cat == "reputation.abuse":
            s = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(cat)
        sev = max(sev, s)
    return SEV[sev]


def parse_amount(raw):
    raw = raw.strip().rstrip(".,")
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*|\d+)(?:([.,])(\d{2}))?", raw)
    if not m:
        return None
    whole = re.sub(r"[.,]", "", m.group(1))
    return float(whole + ("." + m.group(3) if m.group(3) else ""))


PRICE_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b", re.I)
ERROR_WORDS = re.compile(r"prijsfout|price error|pricing error|price mistake|glitch", re.I)


def mentioned_products(text):
    out = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text, re.I) for n in names):
            out.append(p)
    return out


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = parse_amount(m.group(1) or m.group(2))
        if v is not None:
            out.append(v)
    return out


def rfc3339(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# ================================================================ build

def build():
    rng = random.Random(SEED)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    span = int((datetime(2026, 12, 30, tzinfo=timezone.utc) - start).total_seconds())
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for idx in order:
        cs = CASES[idx]
        plat, handle = cs["acct"].split(":", 1)
        when = cs["when"]
        if when is None:
            when = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-%d" % (plat, rng.randrange(10**8, 10**9))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = ROLES.get((plat.lower(), handle.lower()), "public")
        ids = checked_identifiers(cs["text"])
        has_checked = any(v for k, val, v in ids if not (k == "iban" and val.upper() in PUBLIC_IBANS))
        post = {
            "id": pid,
            "platform": plat,
            "kind": cs["kind"],
            "account": {"handle": handle},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": when,
            "brand": "poetsvalk",
        }
        expect = {"categories": cs["cats"], "severity": severity(cs["cats"], role, has_checked)}
        lines.append({"post": post, "expect": expect, "_role": role})
    return lines


# ================================================================ self-check

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def check(lines):
    errors = []

    def err(i, msg):
        errors.append("case %s: %s" % (i, msg))

    ids = set()
    embargo = [(t.lower(), rfc3339(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for line in lines:
        post, exp, role = line["post"], line["expect"], line["_role"]
        i = post.get("id")
        # CONTRACT section 6 / section 1 shape
        if not isinstance(i, str) or not 1 <= len(i) <= 256:
            err(i, "bad id")
        if i in ids:
            err(i, "duplicate id")
        ids.add(i)
        if post["platform"] not in PLATFORMS:
            err(i, "platform")
        if post["kind"] not in KINDS:
            err(i, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(i, "handle")
        if not isinstance(post["text"], str) or not post["text"].strip() or len(post["text"].encode("utf-8")) > 65536:
            err(i, "text")
        try:
            created = rfc3339(post["created_at"])
        except ValueError:
            err(i, "created_at")
            continue
        if not (2026 <= created.year <= 2027):
            err(i, "created_at year")
        if created.year == 2027 and created > datetime(2027, 3, 31, tzinfo=timezone.utc):
            err(i, "2027 date not around the embargo")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            err(i, "categories %r" % cats)
        if exp["severity"] not in SEV:
            err(i, "severity")
        if not cats and exp["severity"] != "none":
            err(i, "benign must be none")
        if cats and SEV.index(exp["severity"]) < 2:
            err(i, "positive below warning")
        # account role consistency: public handles must not be in the profile
        # (they were written as public); profile handles resolve to their role
        # checksums
        found = checked_identifiers(post["text"])
        for kind, val, ok in found:
            public = kind == "iban" and val.upper() in PUBLIC_IBANS
            if cats and "leak.pii" in cats and not public and not ok:
                err(i, "positive with failing %s %s" % (kind, val))
            if cats and not public and not ok:
                err(i, "positive contains a failing %s look-alike %s" % (kind, val))
            if not cats and ok and not public:
                err(i, "benign contains a valid %s %s" % (kind, val))
            if ok and not public and "leak.pii" not in cats:
                err(i, "valid %s outside a pii case" % kind)
        # embargo terms
        low = unicodedata.normalize("NFKC", post["text"]).lower()
        for term, until in embargo:
            if term in low:
                if created < until and "leak.confidential" not in cats:
                    err(i, "embargo term %r before until but not confidential" % term)
                if created >= until and cats:
                    pass
        # pricing
        prods = mentioned_products(unicodedata.normalize("NFKC", post["text"]))
        ps = prices(post["text"])
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        if "leak.pricing" in cats:
            if not prods:
                err(i, "pricing case mentions no product")
            elif not ERROR_WORDS.search(post["text"]) and not any(
                    p < ratio * pr["list_price"] for p in ps for pr in prods):
                err(i, "pricing case has no price below ratio and no price-error talk")
        else:
            for pr in prods:
                for p in ps:
                    if p < ratio * pr["list_price"]:
                        err(i, "non-pricing case has %s below ratio for %s" % (p, pr["name"]))
            if prods and ERROR_WORDS.search(post["text"]) and "Geen prijsfout" not in post["text"]:
                err(i, "non-pricing case talks about a price error next to a product")
        # severity recomputed independently
        has_checked = any(ok for kind, val, ok in found if not (kind == "iban" and val.upper() in PUBLIC_IBANS))
        if exp["severity"] != severity(cats, role, has_checked):
            err(i, "severity mismatch")
        if "leak.pii" in cats and role != "public" and exp["severity"] not in ("error", "critical"):
            err(i, "pii from own account below error")

    # public handles must not collide with profile accounts
    for cs in CASES:
        plat, handle = cs["acct"].split(":", 1)
        if (plat.lower(), handle.lower()) in ROLES:
            continue
        for (p2, h2), _ in ROLES.items():
            if h2 == handle.lower():
                errors.append("public handle %s collides with profile handle on %s" % (cs["acct"], p2))

    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("total %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign %d outside 55-65" % benign)
    counts = {}
    for l in lines:
        for cat in l["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    wanted = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
              "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
              "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for cat, w in wanted.items():
        if abs(counts.get(cat, 0) - w) > 3:
            errors.append("category %s has %d, wanted about %d" % (cat, counts.get(cat, 0), w))
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.62:
        errors.append("dutch share %.2f" % (nl / n))
    roles = {}
    for l in lines:
        roles[l["_role"]] = roles.get(l["_role"], 0) + 1
    # the IBAN in the profile passes mod-97
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errors.append("profile IBAN %s fails mod-97" % ib)
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errors.append("embargo until not in 2027")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errors.append("product count")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errors.append("account counts")
    return errors, counts, benign, nl, roles


def main():
    lines = build()
    errors, counts, benign, nl, roles = check(lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps({"post": l["post"], "expect": l["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file: every line must parse as CONTRACT section 6
    with open(out, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            obj = json.loads(raw)
            if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
                errors.append("line %d shape" % n)
            for f in ("id", "platform", "account", "text", "created_at"):
                if f not in obj["post"]:
                    errors.append("line %d missing %s" % (n, f))
    print("cases: %d, benign: %d, dutch: %d (%.0f%%)" % (len(lines), benign, nl, 100.0 * nl / len(lines)))
    print("roles:", json.dumps(roles, sort_keys=True))
    print("categories:", json.dumps(counts, sort_keys=True))
    sev = {}
    for l in lines:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    print("severities:", json.dumps(sev, sort_keys=True))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
