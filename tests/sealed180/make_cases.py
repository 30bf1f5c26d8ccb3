#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed180 (fictional insurer Pleitwacht).

Deterministic: fixed seed, hand-written texts. Writes cases.jsonl beside this file
and checks it against CONTRACT sections 3, 4 and 6 and the profile in profile.yaml.
Severities are computed from the account role in the profile, never typed by hand.
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
SEED = 180180
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

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

# Handles of the company's own accounts (role comes from the profile at build time).
CORP_X = "@pleitwacht"
CORP_CARE = "@pleitwacht_hulp"
CORP_IG = "@pleitwacht.nl"
CORP_FB = "PleitwachtRechtsbijstand"
CORP_LI = "pleitwacht"
CORP_TT = "@pleitwacht_uitgelegd"
CORP_YT = "@PleitwachtTV"
E_LOTTE = "@mr_lottevos"
E_JORIS = "@jorisvandam_pw"
E_KEES = "@kees_ops_pw"
E_ANNEMIEK = "annemiek-dekker-pleitwacht"
E_YOUSSEF = "youssef-bouzid-jurist"
E_MARLOES = "marloes-kuipers-ict"
E_EVI = "@evi.claims"
E_DIRKJAN = "@dirkjanhoek.bsky.social"
E_SOPHIE = "@sophie.rechtshulp"
E_RIK = "u/rik_devops_pw"
E_BRAM = "@bram_tielen@mastodon.nl"

ZW = "\u200b"  # zero-width space, used in evasion posts

CASES = []


def C(role, platform, handle, lang, text, cats=(), kind="post", ts=None,
      price=None, ev=False):
    """role: expected role letter C/E/P (cross-checked against the profile).
    price: (alias, amount) for posts that name a product with a price.
    ev: the post uses an evasion technique."""
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      text=text, cats=list(cats), kind=kind, ts=ts,
                      price=price, ev=ev))


# ---------------------------------------------------------------------------
# reputation.complaint
# ---------------------------------------------------------------------------
C("P", "x", "@marieke_utrecht", "nl",
  "@pleitwacht_hulp al 3 weken wacht ik op een terugbelverzoek over mijn arbeidsconflict. "
  "Elke keer 'de jurist neemt contact met u op'. Niet dus. Premie innen lukt wel elke maand hoor",
  ["com"], kind="reply", ts="2026-05-11T19:02:37Z")
C("P", "facebook", "Sandra.Kolkman.77", "nl",
  "Zaak afgewezen want 'valt binnen de wachttermijn'. Het gedoe met mijn huisbaas begon 4 maanden "
  "NA het afsluiten, staat gewoon in mijn mails. Niemand bij Pleitwacht die er echt naar kijkt. Ik ben er klaar mee.",
  ["com"], kind="comment")
C("P", "reddit", "u/throwaway_ontslag", "en",
  "PSA for anyone in NL with Pleitwacht legal insurance: they assigned me a 'jurist' for my dismissal "
  "case who clearly hadn't opened the file. Asked me the same five questions three calls in a row. "
  "VSO deadline is Friday and I still have zero advice. Absolutely useless.",
  ["com"])
C("P", "x", "@tom_hndrks", "nl",
  "Mijn Pleitwacht geeft al de hele dag 'er is iets misgegaan' bij het uploaden van bewijsstukken. "
  "Deadline is morgen. Top geregeld weer \U0001F643",
  ["com"])
C("P", "forum", "rechtswinkel_bezoeker", "en",
  "Cancelled my Pleitwacht policy in March, they still took the premium in April AND May. "
  "Three emails, not a single reply. Ended up reversing the direct debits myself.",
  ["com"])
C("P", "instagram", "@lisa.reist", "nl",
  "jullie premie gaat ALWEER omhoog?? vorig jaar ook al 12%. en de enige keer dat ik jullie nodig had "
  "kreeg ik een standaardbriefje terug. nee dank je, stelletje zakkenvullers",
  ["com", "abu"], kind="comment")
C("P", "x", "@fietsenmaker_ruud", "nl",
  "Pleitwacht wil mijn eigen advocaat niet vergoeden 'want we hebben eigen juristen'. "
  "Bij een procedure heb je toch gewoon vrije advocaatkeuze? Kom op zeg.",
  ["com"])
C("P", "linkedin", "gerard-smits-zzp", "nl",
  "Als zzp'er bij Pleitwacht aangeklopt voor een incassozaak. Openstaande factuur van 8.400 euro, "
  "na 4 maanden nog steeds 'in behandeling'. Geen update, geen contactpersoon, niks. Collega-ondernemers: kijk goed uit.",
  ["com"])
C("P", "tiktok", "@dilanvlogt", "en",
  "storytime: my legal insurance (pleitwacht) kept me on hold for 47 min and then the line just... died. "
  "called back, 52 min. still no lawyer for my landlord thing \U0001F480 #legalinsurance #netherlands",
  ["com"])
C("P", "x", "@annekeschrijft", "en",
  "@pleitwacht your chatbot keeps sending me to an FAQ about traffic fines. My issue is a neighbour "
  "building a shed on my land. Is there a human anywhere in that building?",
  ["com"], kind="reply")
C("P", "facebook", "Hennie.Brouwer", "nl",
  "Na 2 jaar procederen hoor ik ineens dat het kostenmaximum bereikt is en ik de rest zelf mag betalen. "
  "Dat had mijn behandelaar toch wel eerder kunnen zeggen?! Nu zit ik met een rekening van duizenden euro's",
  ["com"])
C("P", "bluesky", "@noor-leest.bsky.social", "en",
  "Pleitwacht lost my documents. Twice. Posted them, then uploaded them, and now the file is "
  "'incomplete'. How is a legal insurer this disorganised",
  ["com"])
C("P", "reddit", "u/dutchexpat_kat", "en",
  "Anyone else with Pleitwacht find the letters impossible? Asked for English three times because my Dutch "
  "is basic, still getting everything in legalese Dutch with a 14-day deadline to respond.",
  ["com"], kind="comment")
C("P", "threads", "@femke.bakt", "nl",
  "de schadebehandelaar van pleitwacht zei letterlijk 'mevrouw, dit soort zaken winnen we toch nooit' "
  "en hing op. fijn dat je daar 8 jaar premie voor betaalt",
  ["com"])
C("P", "facebook", "Yvonne.Groenveld", "en",
  "Took out Schild Plus because you advertised 'a lawyer within 48 hours'. Day 9, nobody. "
  "Very disappointed, will be switching.",
  ["com"], kind="comment")
C("P", "x", "@cor_vd_linden", "nl",
  "Opzeggen bij Pleitwacht kan alleen per aangetekende brief?? Afsluiten ging online in 2 minuten. Bizar.",
  ["com"])
C("P", "x", "@wesleyy010", "nl",
  "pleitwacht zijn echt kanker oplichters. 6 jaar premie betaald en de ene keer dat ik jullie nodig heb "
  "'niet gedekt'. stelletje tyfuslijers",
  ["com", "abu"])
C("P", "x", "@gerben_op_x", "en",
  "@pleitwacht_hulp your claims team is a bunch of clueless idiots. Five weeks and you still can't tell me "
  "whether my case is covered.",
  ["com", "abu"], kind="reply", ts="2026-09-08T11:40:52Z")
C("P", "facebook", "Charlotte.vanBeek", "en",
  "Pleitwacht sent my ENTIRE divorce file to my ex's lawyer. Wrong email address, they said. I am shaking. "
  "How is that even possible? Filing a complaint with the Autoriteit Persoonsgegevens today.",
  ["com", "cri"])

# ---------------------------------------------------------------------------
# reputation.crisis
# ---------------------------------------------------------------------------
C("P", "x", "@waakhond_consument", "nl",
  "Bij Pleitwacht lijken duizenden klantdossiers, inclusief medische stukken, op straat te liggen. "
  "Screenshots gaan rond op een Telegramkanaal. Waar blijft de melding aan de AP? #datalek #Pleitwacht",
  ["cri"])
C("P", "x", "@mr_w_meijer_adv", "en",
  "A class action is being prepared against Pleitwacht over systematic claim refusals citing the waiting "
  "period. Over 400 policyholders have signed up so far.",
  ["cri"])
C("P", "tiktok", "@jurist.jesse", "nl",
  "waarom ik iedereen aanraad Pleitwacht te boycotten: ze weigeren stelselmatig arbeidszaken van mensen "
  "boven de 55. deel dit. #boycotpleitwacht",
  ["cri"])
C("P", "reddit", "u/nl_law_watch", "en",
  "The Dutch Bar has opened disciplinary proceedings against two Pleitwacht lawyers for settling cases "
  "without their clients' consent. Source in comments.",
  ["cri"])
C("P", "facebook", "Erik.Zwart.Deventer", "nl",
  "Schandalig. Een advocaat van Pleitwacht heeft jarenlang zaken 'geschikt' met de tegenpartij, en die "
  "werd toevallig bijgestaan door zijn eigen broer. Tuchtklacht loopt. En Pleitwacht wist ervan!",
  ["cri"])
C("P", "x", "@ilse_probeert", "en",
  "Just got a phishing mail with my full Pleitwacht case number, my name AND the name of the other party "
  "in my case. That can only come from their systems. Were you hacked @pleitwacht??",
  ["cri"])
C("P", "instagram", "@moedervan3.nl", "nl",
  "ZEG JE POLIS OP. Pleitwacht verkoopt klantgegevens door aan incassobureaus. Mijn buurvrouw werd gebeld "
  "door een bureau dat precies wist waar haar zaak over ging \U0001F621 #pleitwacht #schandaal",
  ["cri"])
C("P", "bluesky", "@wouter-w.bsky.social", "nl",
  "Pleitwacht wordt door een groep eigen polishouders voor de rechtbank Utrecht gesleept. "
  "Eerste zitting in september. Volkomen verdiend.",
  ["cri"])
C("P", "x", "@krantlezer_gert", "nl",
  "Wat een verhaal in de krant vanochtend: vrouw raakt haar huis kwijt omdat Pleitwacht de termijn voor "
  "hoger beroep liet verlopen. Geen excuses, niks. Dit mag niet zonder gevolgen blijven",
  ["cri"])
C("P", "forum", "lotgenoot_2026", "en",
  "Pleitwacht customers, check your inbox. Their claims portal showed other people's documents to logged-in "
  "users for days. I could open a stranger's medical report.",
  ["cri"])
C("P", "mastodon", "@collectief@mastodon.nl", "nl",
  "Oproep: wie heeft ook een polis bij Pleitwacht en een zaak die 'per ongeluk' werd gesloten? "
  "We bundelen verhalen voor een collectieve claim. DM staat open.",
  ["cri"])
C("P", "youtube", "@EerlijkGeldNL", "en",
  "Pleitwacht has a scandal every other month. Now it turns out their 'independent' mediators get a bonus "
  "per settled case. Boycott these crooks, they're vultures.",
  ["cri", "abu"], kind="comment")

# ---------------------------------------------------------------------------
# reputation.abuse
# ---------------------------------------------------------------------------
C("P", "x", "@rechtvoorzaak", "nl",
  "@mr_lottevos jij bent de domste advocaat die ik ooit heb meegemaakt, achterlijke trut. "
  "ga een ander vak zoeken",
  ["abu"], kind="reply")
C("P", "x", "@n0_m3rcy_", "en",
  "@pleitwacht_hulp f*ck1ng sc4mm3rs, y0u r bl00dsuck1ng p1eces 0f sh1t",
  ["abu"], kind="reply", ev=True)
C("C", "x", CORP_CARE, "en",
  "@gerben_op_x If you can't be bothered to read your own policy, that's on you. Stop spamming us, you clown.",
  ["abu"], kind="reply", ts="2026-09-08T12:03:17Z")
C("E", "x", E_JORIS, "nl",
  "weer zo'n debiele klant die denkt dat een ruzie over een heg een zaak voor de Hoge Raad is. "
  "mensen zijn echt achterlijk",
  ["abu"])
C("P", "reddit", "u/bitter_in_breda", "en",
  "The woman at Pleitwacht who handled my file, Sophie something, is a useless cow. Hope karma finds her.",
  ["abu"], kind="comment")
C("P", "x", "@echte_nederlander88", "nl",
  "Natuurlijk weer een Marokkaan als jurist bij Pleitwacht, die snappen toch niks van Nederlands recht",
  ["abu"])
C("P", "facebook", "Dirk.Hamelink", "en",
  "P l e i t w a c h t  =  s c u m. absolute s c u m b a g s",
  ["abu"], kind="comment", ev=True)
# ---------------------------------------------------------------------------
# leak.confidential
# ---------------------------------------------------------------------------
C("E", "linkedin", E_ANNEMIEK, "nl",
  "Trots op het team! Vandaag de eerste interne demo van Project Toga gegeven, onze nieuwe manier van "
  "zaakintake. Ik mag er nog niet veel over zeggen, maar dit gaat de markt veranderen \U0001F680",
  ["con"])
C("E", "x", E_KEES, "en",
  "anyone know why https://jira.pleitwacht.nl/browse/CLM-4471 is suddenly locked? need it for tonight's release",
  ["con"])
C("E", "x", E_JORIS, "nl",
  "Slide uit de kwartaalsessie, er staat 'alleen intern' bovenaan maar dit is te mooi: "
  "we gaan volgend jaar ook rechtsbijstand voor huisdiereigenaren doen \U0001F602\U0001F436",
  ["con"])
C("E", "linkedin", E_YOUSSEF, "en",
  "Excited to share that I'll be leading the legal content for PleitBot, our AI legal assistant launching "
  "early next year. Can't wait to tell you more!",
  ["con"], ts="2026-11-12T08:41:09Z")
C("E", "reddit", E_RIK, "en",
  "Our ingress for zaakdossier.pleitwacht.local keeps dropping websockets since the 1.29 upgrade. "
  "Anyone seen this? annotations below, any hints welcome",
  ["con"])
C("E", "x", E_LOTTE, "nl",
  "Net de presentatie gezien over Schild Online. Eindelijk een polis die je helemaal in de app regelt. "
  "Januari live!",
  ["con"], ts="2026-12-03T16:12:44Z")
C("E", "bluesky", E_DIRKJAN, "en",
  "Reading a deck stamped PLEITWACHT VERTROUWELIJK on the train while the guy next to me is clearly "
  "reading along. Anyway, Operatie Vuurtoren is going to be wild",
  ["con"])
C("P", "x", "@insider_verzekering", "nl",
  "Hoor uit goede bron dat Pleitwacht intern werkt aan 'Project Toga': volledig AI-gestuurde schadebehandeling. "
  "Juristen worden straks 'reviewers'.",
  ["con"])
C("E", "x", E_KEES, "nl",
  "deploy van \uff28\uff21\uff2d\uff25\uff32\uff28\uff21\uff21\uff29 staat voor vrijdag, duimen \U0001F91E",
  ["con"], ev=True)
C("E", "linkedin", E_MARLOES, "en",
  "Busy week migrating every page from confl" + ZW + "uence.pleitwacht.local to the new wiki. "
  "Thousands of pages, send coffee.",
  ["con"], ev=True)
C("E", "threads", E_SOPHIE, "nl",
  "zo, de kick-off van \u041eperatie Vuurt\u043eren zit erop. meer mag ik er niet over zeggen \U0001F910",
  ["con"], ev=True)
C("E", "linkedin", E_ANNEMIEK, "nl",
  "De jaarcijfers 2026 zijn binnen en ik kan alleen maar zeggen: wat een jaar! Binnenkort meer.",
  ["con"], ts="2027-02-20T13:05:51Z")
C("E", "x", E_JORIS, "en",
  "FY2026 results: premium income up 14%, net profit \u20ac23.1m. Did not see that coming after the Q2 mess",
  ["con", "fin"], ts="2027-02-27T21:47:02Z")
C("C", "facebook", CORP_FB, "nl",
  "Bekijk hier alvast de nieuwe polisvoorwaarden: "
  "https://intranet.pleitwacht.local/docs/voorwaarden-2027-concept.pdf",
  ["con"])
C("P", "forum", "pm_zoekt_werk", "en",
  "Got a recruiter mail with a deck for a Pleitwacht project called Hamerhaai, every slide marked NDA. "
  "They want a product owner for it. Anyone know what it is?",
  ["con"])
C("C", "tiktok", CORP_TT, "nl",
  "binnenkort iets nieuws... hint: P.l.e.i.t.B.o.t \U0001F916 meer mogen we nog niet zeggen!",
  ["con"], ts="2026-12-15T17:30:00Z", ev=True)
C("E", "x", E_KEES, "en",
  "Operatie Vuurtoren = closing the Zwolle office and outsourcing IT to a vendor. 60 of us gone by Q2. Thanks for nothing.",
  ["con", "fin"])

# ---------------------------------------------------------------------------
# leak.financial
# ---------------------------------------------------------------------------
C("E", "x", E_JORIS, "nl",
  "Vandaag gehoord dat er voor de zomer 90 fte uit schadebehandeling verdwijnt. Officieel weet nog niemand het. "
  "Benieuwd of ik erbij zit.",
  ["fin"])
C("E", "linkedin", E_MARLOES, "en",
  "Strange vibe at the office. Management told us in a closed session that Noordkaap Verzekeringen is buying "
  "Pleitwacht. Public announcement supposedly in October.",
  ["fin"], ts="2026-08-27T17:26:03Z")
C("E", "reddit", E_RIK, "en",
  "throwaway-ish but whatever: Q3 was rough at work, claims costs up 30% and we're going to miss the "
  "forecast by roughly \u20ac6m. layoffs incoming imo",
  ["fin"], kind="comment", ts="2026-10-09T22:41:18Z")
C("P", "x", "@zwolle_nieuwsjager", "nl",
  "Mijn zwager werkt bij Pleitwacht en zegt dat ze volgend jaar het kantoor in Zwolle dichtgooien. "
  "140 banen weg. Nog niet bekendgemaakt.",
  ["fin"])
C("E", "bluesky", E_DIRKJAN, "nl",
  "Begroting 2027 gezien: premie-inkomen moet 11% omhoog. Reken dus maar op flinke premieverhogingen in januari.",
  ["fin"], ts="2026-10-28T07:55:40Z")
C("E", "threads", E_SOPHIE, "en",
  "they told us today the whole Eindhoven team gets reorganised into 'hubs'. half of us will have to reapply. "
  "not public yet so shh",
  ["fin"])
C("E", "linkedin", E_YOUSSEF, "nl",
  "Interne mail van vanochtend: we nemen advocatenkantoor Van Rijn & De Bruin over per 1 januari. "
  "Mooie aanwinst, jammer dat we het nog niet mogen delen \U0001F64A",
  ["fin"])
C("C", "linkedin", CORP_LI, "en",
  "H1 update (scheduled 14 Aug 07:00): Pleitwacht expects net profit of \u20ac9.4m for the first half of 2026, "
  "below guidance, driven by higher claim volumes in employment law.",
  ["fin"], ts="2026-07-30T15:22:10Z")
C("P", "reddit", "u/verzekeringsnerd", "en",
  "Friend at Pleitwacht says the board is in merger talks with Halvemaan Rechtshulp, deal value around "
  "\u20ac180m. Nothing announced yet.",
  ["fin"])
C("E", "x", E_KEES, "nl",
  "r3organ1sat1e bij ons: 45 0ntslagen bij klantc0ntact, aank0ndiging pas in maart",
  ["fin"], ev=True)
# ---------------------------------------------------------------------------
# leak.security
# ---------------------------------------------------------------------------
C("E", "x", E_KEES, "nl",
  "Sinds 03:00 ligt heel Mijn Pleitwacht plat, lijkt op ransomware op de fileservers. We mogen er nog niks "
  "over zeggen dus ik zeg niks \U0001F92B",
  ["secu"])
C("E", "reddit", E_RIK, "en",
  "Found out today our claims portal lets you open other customers' case files by bumping the dossier id in "
  "the URL. Reported it internally, fix is 'planned for next sprint'. Lovely.",
  ["secu"])
C("E", "linkedin", E_MARLOES, "nl",
  "Drukke week. Drie HR-collega's zijn in een phishingmail getrapt en met hun accounts is ingelogd op de "
  "salarisadministratie. Het incidentteam draait overuren.",
  ["secu"])
C("E", "bluesky", E_DIRKJAN, "en",
  "a backup of our case management db has been sitting in a public bucket for at least two weeks. "
  "found it this morning. nothing announced, legal is 'assessing'",
  ["secu"])
C("E", "x", E_JORIS, "nl",
  "Telefonie ligt al sinds vanochtend plat bij ons, klanten krijgen een in-gesprektoon. Officieel heet het "
  "nog 'onderhoud' \U0001F644",
  ["secu"])
C("E", "mastodon", E_BRAM, "en",
  "Spent the night patching the Citrix gateway at work (legal insurer, you can guess which). We got in via "
  "last month's CVE, attackers had been inside for 9 days.",
  ["secu"])
C("E", "threads", E_SOPHIE, "nl",
  "kunnen al 2 dagen niet in het zaaksysteem. IT zegt iets over een 'beveiligingsincident', klanten horen "
  "van ons dat het een storing is lol",
  ["secu"])
C("P", "forum", "sec_researcher_nl", "en",
  "Disclosure: Pleitwacht's document upload endpoint accepts unauthenticated requests and hands out signed "
  "URLs for any file. Reported 6 weeks ago, no fix, no reply. Full details next week.",
  ["secu"])
C("E", "x", E_KEES, "en",
  "d" + ZW + "ata le" + ZW + "ak at work, ~12k client files exfiltrated, press release not before friday",
  ["secu"], ev=True)
C("E", "linkedin", E_YOUSSEF, "en",
  "Rough day. Several of our lawyers' mailboxes were taken over last night and are sending fake invoices to "
  "clients. We've been told not to talk about it until the notification goes out.",
  ["secu"])
C("E", "reddit", E_RIK, "en",
  "note to self: never let anyone deploy on a friday. 2FA on the customer portal has been silently off "
  "since the update, password alone gets you in. still not fixed.",
  ["secu"], kind="comment")
C("P", "x", "@lau_ra_22", "nl",
  "vriendin werkt bij de IT van Pleitwacht: hun hele klantendatabase is vorige week door hackers gekopieerd. "
  "ze mogen het nog niet melden",
  ["secu", "cri"])

# ---------------------------------------------------------------------------
# leak.secret
# ---------------------------------------------------------------------------
C("E", "reddit", E_RIK, "en",
  "why does the SDK keep throwing 403? using\n"
  "AWS_ACCESS_KEY_ID=AKIA3ODKYCHRKVRGCDEO\n"
  "AWS_SECRET_ACCESS_KEY=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\n"
  "region eu-west-1",
  ["sec"])
C("E", "x", E_KEES, "en",
  "ok who pushed this to the public repo lol ghp_HhHpqCKSCUvahmaqC5S71g1OPu6zj7uuWmwZ",
  ["sec"])
C("E", "mastodon", E_BRAM, "nl",
  "stripe webhook test faalt, iemand een idee? key is "
  "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",
  ["sec"])
C("E", "linkedin", E_MARLOES, "en",
  "Heads-up team: the new Slack bot token is xoxb-198586905801-4059613383197-9f4oqj1O9Ev54uaUfyOkseEm, "
  "please update your scripts before Monday.",
  ["sec"])
C("E", "x", E_JORIS, "nl",
  "Gedeeld account voor de juridische databank: gebruiker pw_team, wachtwoord: Zomer!Heg2026 (niet doorsturen he)",
  ["sec"])
C("P", "reddit", "u/apk_pluizer", "en",
  "Decompiled the Pleitwacht Android app for fun, there's a hardcoded Google API key in strings.xml: "
  "AIzaSyDsQSuXanE99Wa7qiQyUP0BLaH9lOD6Wfr lol",
  ["sec"])
C("E", "bluesky", E_DIRKJAN, "en",
  "testing the new summariser, why does this 401?\n"
  "curl https://api.openai.com/v1/responses -H \"Authorization: Bearer "
  "sk-proj-n6tU4QjZaQBKQPvNr4tH3h09ijSbjw2qgtMRwXWBj2ODr2y2\"",
  ["sec"])
C("E", "x", E_KEES, "en",
  "db string for the claims report script, works from the jump host: "
  "postgresql://rapportage:Pw8!kLs2vQ@db01.zaakdossier.pleitwacht.local:5432/claims",
  ["sec", "con"])
C("C", "x", CORP_CARE, "nl",
  "@ahmet_k_ probeer in te loggen met het tijdelijke wachtwoord dat we voor u hebben ingesteld: Welkom#4821",
  ["sec"], kind="reply")
C("E", "reddit", E_RIK, "en",
  "is this the right format for the deploy key? CI says 'invalid format'\n"
  "-----BEGIN OPENSSH PRIVATE KEY-----\n"
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
  "QyNTUxOQAAACCDzx8ryFpH3rLHb9Y7AzAueGyyGcynv5g0+mAKkiNee588NnxY1TfAOnwy\n"
  "u3ROSxf/Hd5ntO8DKFGLvcW14ctxNUbZegZ8KjJv5pTCCjh3VAxkxcVReBQMI09fTQ4FeA\n"
  "Zv6qI/ADH69LB6OXfyZtidaDjorkp74o5njczxWurPpal7ccJgz3+iTB1ITTWaYsz/30jO\n"
  "GmM=\n"
  "-----END OPENSSH PRIVATE KEY-----",
  ["sec"], kind="comment")
C("E", "linkedin", E_YOUSSEF, "en",
  "Why does the portal API reject this service token? Expiry looks fine to me: "
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtY2xhaW1zLWFwaSIsInJvbGUiOiJhZG1pbiIsInRlbmFudCI6InBsZWl0d2FjaHQiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc5ODc2MTYwMH0.nJcKYjTzKxdxAN19gimPB7ggdDedJJvWpr0u3ygrdx1",
  ["sec"])
C("E", "mastodon", E_BRAM, "en",
  "hackathon team: claude key for this weekend is "
  "sk-ant-api03-lcE1d49ImcpNikAYhSUXbM6C4MXM-zJ7x0ogvgrf7KwZ5c_RHmOcoKngAAnu2_5mwq1g_n_QndZcrCh4 "
  "and the gitlab token for the demo repo glpat-1K75QBPVPCdPe3QJuLcL \u2014 have fun",
  ["sec"])

# ---------------------------------------------------------------------------
# leak.pii
# ---------------------------------------------------------------------------
C("E", "x", E_LOTTE, "nl",
  "Cli\u00ebnte van vandaag (mevr. Ingrid Vermeulen, Kastanjelaan 17 in Amersfoort) kwam taart brengen na "
  "de gewonnen zaak \u2764\ufe0f",
  ["pii"])
C("C", "x", CORP_CARE, "nl",
  "@henk_w_64 we hebben uw mail ontvangen op h.wijnands64@ziggo.nl en sturen de stukken vandaag nog retour.",
  ["pii"], kind="reply")
C("P", "x", "@henk_w_64", "nl",
  "@pleitwacht_hulp voor de DERDE keer: bel me terug over mijn dossier, 06-41873925. beloofd was binnen 24 uur, dat is nu een week geleden",
  ["pii", "com"], kind="reply")
C("P", "facebook", "Rob.Verbeek.1971", "nl",
  "Pleitwacht, stort de vergoeding voor de advocaatkosten maar op NL32RABO2109419873 t.n.v. R. Verbeek, "
  "dan zijn we er klaar mee",
  ["pii"], kind="comment")
C("E", "threads", E_SOPHIE, "nl",
  "wie zet nou zijn BSN in de onderwerpregel?? 'burenruzie dossier bsn 314522979' \U0001F926\u200d\u2640\ufe0f mensen toch",
  ["pii"])
C("E", "instagram", E_EVI, "en",
  "customer literally read out her whole card number on the phone to pay the excess: 4075 9941 6188 3190 "
  "exp 09/28 \U0001F648 people please",
  ["pii"])
C("C", "facebook", CORP_FB, "nl",
  "Gefeliciteerd aan onze trouwste klant Gerrit Hoekstra, geboren op 3 mei 1938 en al 40 jaar bij ons verzekerd! \U0001F382",
  ["pii"])
C("P", "x", "@wraakzucht_nl", "en",
  "The Pleitwacht lawyer who screwed me over is Lotte Vos, she lives at Wilhelminapark 22, Utrecht. "
  "Go tell her what you think of her.",
  ["pii", "abu"])
C("E", "x", E_JORIS, "nl",
  "Klant vraagt waarom de vergoeding nooit binnenkwam. Wij maakten over naar NL02INGB9021002312, zij zweert "
  "dat dat haar rekening niet is. Wie heeft dat nummer dan ingevoerd \U0001F914",
  ["pii"])
C("P", "reddit", "u/dokafor_dh", "en",
  "Looking for a tenancy lawyer in Den Haag outside Pleitwacht, they're too slow. Reach me at "
  "d.okafor.nl@protonmail.com or +31 6 28 44 71 09",
  ["pii"])
C("C", "linkedin", CORP_LI, "en",
  "Questions about the vacancy? Call our recruiter Sanne directly on 06 1733 2940.",
  ["pii"])
C("E", "mastodon", E_BRAM, "en",
  "test data in prod AGAIN?? 'Jansen, P. - born 14-07-1982 - BSN 121174414' is showing on the live dashboard",
  ["pii"])
C("P", "x", "@joeyvdb", "nl",
  "lol mijn moeder heeft haar creditcard 5509 3623 5103 4441 in de Pleitwacht-groep op fb gezet om te vragen "
  "of ze zo de premie kan betalen, ik kan niet meer",
  ["pii"])
C("E", "bluesky", E_DIRKJAN, "nl",
  "iemand heeft in de teamchat een klant-BSN geplakt: \uff13\uff10\uff15\uff19\uff14\uff12\uff18\uff17\uff16, "
  "wie ruimt dit op",
  ["pii"], ev=True)
C("E", "linkedin", E_ANNEMIEK, "nl",
  "Wat een lieve klant: Fatma Yilmaz (geb. 22-11-1975) stuurde bloemen naar kantoor na haar ontslagzaak \U0001F490",
  ["pii"])
# ---------------------------------------------------------------------------
# leak.pricing
# ---------------------------------------------------------------------------
C("P", "x", "@dealjager_nl", "nl",
  "Prijsfout bij Pleitwacht?! Schild Compleet voor \u20ac34,80 per jaar op de site. Snel afsluiten voor ze het doorhebben \U0001F602",
  ["pri"], price=("Schild Compleet", 34.80))
C("P", "reddit", "u/cheapskate_amsterdam", "en",
  "Pleitwacht's site lists the Mediation Pakket at \u20ac69 instead of \u20ac690, someone forgot a zero. Grab it.",
  ["pri"], price=("Mediation Pakket", 69.0))
C("E", "x", E_KEES, "nl",
  "Foutje in de prijstabel live gezet, Echtscheidingsbegeleiding staat nu op \u20ac125 \U0001F62C fix komt vanmiddag",
  ["pri"], price=("Echtscheidingsbegeleiding", 125.0))
C("C", "instagram", CORP_IG, "nl",
  "Alleen vandaag: de Testament Check voor maar \u20ac14,90! \u270D\ufe0f Link in bio",
  ["pri"], price=("Testament Check", 14.90))
C("P", "x", "@spaarvarken_sas", "nl",
  "Huurcontract Check kost in de Pleitwacht-app nu \u20ac7,90, dat is toch een fout? Normaal bijna 80 euro",
  ["pri"], price=("Huurcontract Check", 7.90))
C("E", "linkedin", E_YOUSSEF, "en",
  "Pro tip for friends & family: use code PW-VRIEND at checkout and Schild Plus is \u20ac25 for the whole year \U0001F609",
  ["pri"], price=("Schild Plus", 25.0))
C("P", "tiktok", "@budgetbram", "en",
  "pleitwacht price glitch!! Ondernemers Zakelijk showing \u20ac54 for the whole year, normally 540 \U0001F92F #pricefail",
  ["pri"], price=("Ondernemers Zakelijk", 54.0))
C("P", "facebook", "Marianne.Kok.55", "nl",
  "Ik zag net de VSO Check voor 22,50 euro staan bij Pleitwacht, klopt dat wel?",
  ["pri"], price=("VSO Check", 22.50))
C("E", "bluesky", E_DIRKJAN, "en",
  "there's a pricing bug on our site right now, the Werk & Inkomen module comes out at zero at checkout. "
  "please don't tell anyone \U0001F643",
  ["pri"])
C("P", "x", "@vraagje_mo", "en",
  "@pleitwacht_hulp is the Advocaat-uur really \u20ac16.50 now? That's what your calculator tells me",
  ["pri"], kind="reply", price=("Advocaat-uur", 16.50))
C("P", "x", "@koopjes_karin", "nl",
  "Schild \uff23\uff4f\uff4d\uff50\uff4c\uff45\uff45\uff54 voor \u20ac29 per jaar bij pleitwacht, prijsfout??",
  ["pri"], price=("Schild Compleet", 29.0), ev=True)
C("C", "facebook", CORP_FB, "en",
  "Our Incassoservice is now just \u20ac19.50 instead of \u20ac195! Unpaid invoices? Let us chase them.",
  ["pri"], price=("Incassoservice", 19.50))

# ---------------------------------------------------------------------------
# benign (mostly hard negatives)
# ---------------------------------------------------------------------------
C("C", "x", CORP_X, "nl",
  "Conflict met je werkgever? Bel ons gratis via 0800-7534 of mail naar klantenservice@pleitwacht.nl. "
  "We denken met je mee.")
C("C", "facebook", CORP_FB, "nl",
  "Premie liever zelf overmaken? Gebruik NL86ABNA6871450300 t.n.v. Pleitwacht Rechtsbijstand N.V. en "
  "vermeld altijd uw polisnummer.")
C("P", "x", "@sanne_uit_tilburg", "nl",
  "Dankzij Pleitwacht mijn ontslagzaak gewonnen. Jurist Youssef was echt top, altijd bereikbaar. Aanrader!")
C("P", "x", "@koffie_en_katten", "en",
  "my cat pushed my coffee onto my laptop, seriously considering calling my legal insurance to sue her \U0001F63E #pleitwacht")
C("P", "reddit", "u/vve_vraagje", "en",
  "Does Pleitwacht's Wonen & Buren module cover disputes with your own VvE? Thinking of adding it.")
C("C", "instagram", CORP_IG, "nl",
  "Deze maand 20% korting op Schild Plus: nu \u20ac201,60 per jaar in plaats van \u20ac252. "
  "Geldt voor nieuwe polissen t/m 31 oktober.",
  price=("Schild Plus", 201.60), ts="2026-10-05T08:30:00Z")
C("C", "linkedin", CORP_LI, "en",
  "A one-off Adviesgesprek with one of our lawyers costs \u20ac95. No policy needed, just book a slot.",
  price=("Adviesgesprek", 95.0))
C("P", "x", "@nieuwsflits_nl", "nl",
  "Datalek bij telecomprovider Telvora: gegevens van 200.000 klanten op straat. Goed moment om je "
  "wachtwoorden eens te wijzigen.")
C("E", "reddit", E_RIK, "en",
  "Reminder for whoever writes our API docs: use placeholders like AKIAIOSFODNN7EXAMPLE or "
  "sk_live_************************ in examples. Never real keys.")
C("P", "x", "@achterdochtige_ans", "nl",
  "Iemand een idee van wie NL32RABO2109419876 is? Kreeg een acceptgiro 'namens Pleitwacht' met dat nummer. "
  "Klopt niet eens volgens mijn bankapp, dus weggegooid.")
C("E", "linkedin", E_ANNEMIEK, "nl",
  "Uit onze interne training gegevensverwerking: een BSN als 314522970 lijkt echt, maar haalt de elfproef "
  "niet. Altijd even controleren voor je iets invoert!")
C("P", "x", "@typo_tessa", "en",
  "Pleitwacht's payment page kept rejecting my card, turns out I'd typed 4075 9941 6188 3191. "
  "My own fault, all sorted now \U0001F605")
C("C", "linkedin", CORP_LI, "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026: premie-inkomen +14%, nettowinst \u20ac23,1 mln. "
  "Het volledige jaarverslag staat op pleitwacht.nl.",
  ts="2027-03-05T10:00:00Z")
C("E", "linkedin", E_YOUSSEF, "nl",
  "PleitBot is live! Stel je juridische vraag 24/7 via de app. Ontzettend trots op dit team \U0001F4AA",
  ts="2027-01-22T09:15:00Z")
C("P", "x", "@marieke_utrecht", "nl",
  "Update: Pleitwacht belde vanochtend, excuses aangeboden en mijn zaak is alsnog opgepakt. Netjes opgelost \U0001F44D",
  ts="2026-05-13T10:48:05Z")
C("P", "facebook", "Truus.Lammers", "nl",
  "Gecondoleerd met het verlies van jullie oud-directeur. Hij heeft mij jaren geleden persoonlijk geholpen, "
  "dat vergeet ik nooit.", kind="comment")
C("E", "instagram", E_EVI, "nl",
  "Weekendje Zeeland, zonsondergang bij de vuurtoren van Westkapelle \U0001F305 #vrijdagmiddag")
C("E", "x", E_LOTTE, "nl",
  "Eerste keer in toga bij de rechtbank Midden-Nederland. Spannend! En gewonnen voor een cli\u00ebnt die het "
  "echt verdiende.")
C("C", "linkedin", CORP_LI, "en",
  "Your case is confidential with us. Our lawyers are bound by professional secrecy, always.")
C("C", "x", CORP_X, "nl",
  "Let op: Pleitwacht vraagt nooit om je wachtwoord of pincode via mail of telefoon. Twijfel je? "
  "Bel ons op 030 799 4400.")
C("C", "x", CORP_CARE, "en",
  "Mijn Pleitwacht will be unavailable on Sunday from 02:00 to 06:00 for scheduled maintenance. "
  "Thanks for your patience!")
C("P", "x", "@werkvloer_wim", "nl",
  "Bij een grote bank verdwijnen 1.200 banen. Word je ontslagen, check dan of je rechtsbijstand arbeidsrecht "
  "dekt (bij Pleitwacht zit het in Werk & Inkomen).")
C("C", "linkedin", CORP_LI, "en",
  "Our H1 2026 results are out: net profit of \u20ac9.4m, slightly below guidance due to higher claim volumes "
  "in employment law. Full report on pleitwacht.nl.",
  ts="2026-08-14T07:05:00Z")
C("E", "linkedin", E_ANNEMIEK, "en",
  "After six great years at Pleitwacht I'm starting a new adventure next month. Thank you, colleagues, for everything.")
C("P", "reddit", "u/polisvergelijker", "en",
  "Is \u20ac252 a year for Schild Plus reasonable? Compared to the other insurers I looked at it seems ok.",
  price=("Schild Plus", 252.0), kind="comment")
C("P", "x", "@zuinige_zus", "nl",
  "Black Friday: Testament Check bij Pleitwacht met 30% korting, \u20ac104,30. Toch maar gedaan, moest er al jaren van komen.",
  price=("Testament Check", 104.30))
C("C", "tiktok", CORP_TT, "nl",
  "3 dingen die je moet weten over je arbeidscontract \U0001F447 (en ja, onze Arbeidscontract Check kost \u20ac89)",
  price=("Arbeidscontract Check", 89.0))
C("P", "x", "@dankbare_dewi", "nl",
  "Mijn jurist bij Pleitwacht is echt een kanjer. Binnen een week een brief naar de verhuurder en opgelost.")
C("P", "bluesky", "@vliegschaamte.bsky.social", "en",
  "Interesting: the class action against Brightvale Airlines over refunds just got certified. "
  "My legal insurance (Pleitwacht) is covering my part of it.")
C("P", "x", "@tipgever_theo", "nl",
  "Voor wie het zoekt: klachten kun je sturen naar klantenservice@pleitwacht.nl, bij mij reageerden ze binnen 2 dagen.")
C("E", "x", E_KEES, "nl",
  "Nieuwe laptop, nieuwe wachtwoordmanager. Tip: gebruik er gewoon een, zet 2FA aan, klaar.")
C("E", "linkedin", E_MARLOES, "en",
  "Proud that our security team got through the ISO 27001 surveillance audit this week without major findings.")
C("P", "reddit", "u/oplettende_opa", "en",
  "PSA: fake 'Pleitwacht' texts are going round asking you to pay a \u20ac35 fee via a link. The real Pleitwacht "
  "never does that, they say so on their website.")
C("E", "mastodon", E_BRAM, "en",
  "Rotated all our CI tokens after the audit. The new ones look like glpat-******************** and live in "
  "the vault, not in chat \U0001F609")
C("P", "mastodon", "@devnotes@fosstodon.org", "en",
  "Reminder: a JWT is header.payload.signature, base64url-encoded. Encoding is not encryption, so keep secrets "
  "out of the payload.")
C("C", "instagram", CORP_IG, "nl",
  "Ons kantoor aan de Catharijnesingel in Utrecht is op 27 april gesloten. Fijne Koningsdag! \U0001F9E1", ts="2026-04-20T09:00:00Z")
C("C", "x", CORP_X, "en",
  "Schild Compleet: everything covered for \u20ac348 a year. Switch before 1 January and your first month is on us.",
  price=("Schild Compleet", 348.0))
C("P", "x", "@rekenmeester_rik", "nl",
  "Premie voor mijn Schild Basis is nu 168 euro per jaar, vorig jaar 155. Valt eigenlijk best mee.",
  price=("Schild Basis", 168.0))
C("P", "x", "@chipsmonster", "nl",
  "haha prijsfout bij de supermarkt, zak chips voor 1 cent. kassamedewerker keek me aan alsof ik iets gestolen had")
C("E", "threads", E_SOPHIE, "nl",
  "Vandaag 14 klanten gesproken en iedereen was vriendelijk. Zo'n dag \U0001F970")
C("P", "reddit", "u/roadtrip_ruben", "nl",
  "Weet iemand of de Reisrechtsbijstand van Pleitwacht ook gedoe met een huurauto in het buitenland dekt? Hun FAQ is vaag.")
C("P", "x", "@buurman_bas", "nl",
  "Mijn buurman is zo irritant dat ik serieus overweeg de Burenruzie-module van Pleitwacht erbij te nemen \U0001F602")
C("C", "x", CORP_CARE, "nl",
  "@marieke_utrecht Wat vervelend dat u zo lang moet wachten. We hebben uw dossier opgepakt en een jurist "
  "belt u vandaag v\u00f3\u00f3r 17:00.", kind="reply", ts="2026-05-12T08:20:11Z")
C("C", "x", CORP_X, "en",
  "We're hiring! Legal counsel (employment law), Utrecht, 32\u201340 hours. Apply via vacatures@pleitwacht.nl.")
C("P", "x", "@weekendwerker", "nl",
  "Pleitwacht is op zaterdag ook bereikbaar via +31 30 799 4400 trouwens, wist ik niet")
C("P", "x", "@rustig_aan_ria", "nl",
  "Zaak 26-0815 staat in Mijn Pleitwacht op 'afgerond'. Goed geregeld allemaal.")
C("P", "facebook", "Gijs.Tromp", "nl",
  "Heeft Pleitwacht echt mijn BSN nodig? Ze vragen ernaar in het formulier. (nee ik ga 'm hier niet posten, "
  "123456789 haha)", kind="comment")
C("E", "x", E_JORIS, "nl",
  "Voor de phishingtraining: let op IBANs als NL19TRIO1053350635, die wijken \u00e9\u00e9n cijfer af van een "
  "echte en je bankapp geeft dan een foutmelding.")
C("P", "mastodon", "@cs_student_sem@mastodon.social", "en",
  "From today's Luhn exercise: 5845 0925 6554 0370 fails the check, so you know it's a typo before you even "
  "call the bank.")
C("P", "x", "@cijferfreak", "nl",
  "De jaarcijfers 2026 van Pleitwacht zien er degelijk uit, premie-inkomen +14%. Netjes voor een middelgrote verzekeraar.",
  ts="2027-03-06T12:30:00Z")
C("P", "x", "@winnaar_wendy", "nl",
  "Gisteren de rechtszaak tegen mijn ex-werkgever gewonnen, met hulp van Pleitwacht. Eindelijk rust.")
C("P", "x", "@saaie_volwassene", "en",
  "Not boycotting anything this Black Friday, just renewed my Schild Basis at the normal \u20ac168. Boring adult things.",
  price=("Schild Basis", 168.0), ts="2026-11-27T20:14:33Z")
C("C", "x", CORP_CARE, "en",
  "Scam alert: we will never ask for your card number by phone. In doubt? Hang up and call 0800-7534.")
C("E", "x", E_JORIS, "nl",
  "Hackathon op kantoor vandaag, 40 collega's, pizza en liters koffie \u2615")
C("C", "instagram", CORP_IG, "nl",
  "Vraag van de week: mag je werkgever zomaar je telefoon controleren? Het antwoord staat in onze stories \U0001F446")
C("E", "bluesky", E_DIRKJAN, "en",
  "Demo day at work today. Can't show what we built yet, but here's a photo of the cake \U0001F370")
C("P", "tiktok", "@studentje_rechten", "nl",
  "pov: je studeert rechten en je oma vraagt of je haar rechtsbijstandspolis kan uitleggen \U0001F62D #pleitwacht #rechten")
C("C", "youtube", CORP_YT, "nl",
  "Nieuwe aflevering: wat doe je als je huisbaas de borg niet terugbetaalt? Met tips van onze juristen.")
C("P", "threads", "@mama_van_mila", "nl",
  "Pleitwacht gebeld over de school van mijn dochter, binnen 10 min iemand aan de lijn die echt meedacht. Petje af.")
C("C", "facebook", CORP_FB, "nl",
  "Opzeggen kan voortaan ook gewoon online via Mijn Pleitwacht. Geen aangetekende brief meer nodig.")
C("P", "reddit", "u/hr_manager_nl", "en",
  "For employers: Pleitwacht's Ondernemers Zakelijk is \u20ac540 a year here. Anyone compared it with other "
  "business legal cover?", price=("Ondernemers Zakelijk", 540.0))
# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())

ROLE_OF = {}
for r in ("corporate", "employee"):
    for key in PROFILE["accounts"][r]:
        ROLE_OF[key.lower()] = r

ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", text))


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


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
    n = [int(c) for c in d]
    return (sum(n[i] * (9 - i) for i in range(8)) - n[8]) % 11 == 0 and d != "000000000"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\w-])")


def identifiers(text):
    t = norm(text)
    found = []
    for m in IBAN_RE.finditer(t):
        found.append(("iban", m.group(0).replace(" ", ""), iban_ok(m.group(0))))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        found.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        found.append(("bsn", d, bsn_ok(d)))
    return found


def severity(role, cats, checksum_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if own else "warning")
    return sev


def rand_ts():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 29, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def build():
    out = []
    counters = {}
    order = list(CASES)
    random.Random(SEED + 1).shuffle(order)
    for case in order:
        plat = case["platform"]
        counters[plat] = counters.get(plat, 0) + 1
        pid = "%s-180%03d" % (plat, counters[plat])
        role = ROLE_OF.get(("%s:%s" % (plat, case["handle"])).lower(), "public")
        cats = sorted(CAT[c] for c in case["cats"])
        ids = identifiers(case["text"])
        checksum_id = "leak.pii" in cats and any(ok for _, _, ok in ids)
        ts = case["ts"] or rand_ts()
        post = {
            "id": pid,
            "platform": plat,
            "kind": case["kind"],
            "account": {"handle": case["handle"]},
            "text": case["text"],
            "lang": case["lang"],
            "created_at": ts,
            "brand": "pleitwacht",
        }
        out.append({"post": post,
                    "expect": {"categories": cats, "severity": severity(role, cats, checksum_id)},
                    "_meta": dict(case, acct_role=role, ids=ids)})
    return out


def check(rows):
    errors = []

    def err(row, msg):
        errors.append("%s: %s" % (row["post"]["id"], msg))

    seen = set()
    pub = PROFILE["public_identifiers"]
    pub_ibans = {i.replace(" ", "").upper() for i in pub["ibans"]}
    internal = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    products = {}
    for p in PROFILE["products"]:
        assert p["currency"] == "EUR"
        for a in [p["name"]] + p["aliases"]:
            products[a.lower()] = p["list_price"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    assert ratio == 0.5

    for row in rows:
        post, exp, meta = row["post"], row["expect"], row["_meta"]
        # CONTRACT section 6 / section 1 shape
        if set(row) - {"post", "expect", "_meta"}:
            err(row, "extra keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256:
            err(row, "bad id")
        if post["id"] in seen:
            err(row, "duplicate id")
        seen.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(row, "platform")
        if post["kind"] not in KINDS:
            err(row, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(row, "handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
            err(row, "text")
        try:
            t = parse_ts(post["created_at"])
            if t.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", post["created_at"]):
                err(row, "created_at not RFC 3339")
            if t.year not in (2026, 2027):
                err(row, "created_at year")
        except ValueError:
            err(row, "created_at unparsable")
            t = None
        if not set(exp["categories"]) <= TAXONOMY or exp["categories"] != sorted(set(exp["categories"])):
            err(row, "categories")
        if exp["severity"] not in SEV_ORDER:
            err(row, "severity value")
        if (exp["severity"] == "none") != (not exp["categories"]):
            err(row, "severity/benign mismatch")
        # role is what the author letter says
        want = {"C": "corporate", "E": "employee", "P": "public"}[meta["role"]]
        if meta["acct_role"] != want:
            err(row, "role %s but written as %s" % (meta["acct_role"], want))
        # severity recomputed independently
        cats = exp["categories"]
        ids = meta["ids"]
        if severity(meta["acct_role"], cats, "leak.pii" in cats and any(ok for _, _, ok in ids)) != exp["severity"]:
            err(row, "severity")
        # checksummed identifiers
        text_n = norm(post["text"])
        positive = bool(cats)
        for kind, value, ok in ids:
            if positive and not ok:
                err(row, "%s look-alike %s in a positive" % (kind, value))
            if ok and not positive and not (kind == "iban" and value in pub_ibans):
                err(row, "valid %s %s in a benign post" % (kind, value))
            if ok and positive and "leak.pii" not in cats:
                err(row, "valid %s %s in a positive without leak.pii" % (kind, value))
        # internal names must be labelled confidential (normalised text, plain Cyrillic folding)
        folded = text_n.lower().translate(str.maketrans("\u043e\u0435\u0430\u0441\u0440", "oeacp"))
        for term in internal:
            if term in folded and "leak.confidential" not in cats:
                err(row, "internal term %r without leak.confidential" % term)
        # embargo
        for term, until in embargo:
            if term in folded and t is not None:
                if t < until and "leak.confidential" not in cats:
                    err(row, "embargo term %r before until without leak.confidential" % term)
        if not positive:
            for term, until in embargo:
                if term in folded and t is not None and t < until:
                    err(row, "benign post with embargo term before until")
        # prices
        if meta["price"]:
            alias, amount = meta["price"]
            lp = products.get(alias.lower())
            if lp is None:
                err(row, "unknown product %r" % alias)
            elif alias.lower() not in text_n.lower():
                err(row, "product %r not in text" % alias)
            else:
                below = amount < ratio * lp
                if below and "leak.pricing" not in cats:
                    err(row, "price below ratio but no leak.pricing")
                if not below and "leak.pricing" in cats:
                    err(row, "leak.pricing but price not below ratio")
                if not below and not positive and amount < 0.69 * lp:
                    err(row, "benign sale deeper than 30%")
        if "leak.pricing" in cats and not meta["price"]:
            if not re.search(r"prijsfout|price (error|glitch|bug)|pricing bug|fout", text_n, re.I):
                err(row, "pricing positive without price or price-error talk")
            if not any(a in text_n.lower() for a in products):
                err(row, "pricing positive without product")
        # pii positives must hold something personal
        if "leak.pii" in cats and not (ids or re.search(r"@\w|\b0\d|\+31|geb|born|geboren|laan|park|straat", text_n)):
            err(row, "pii positive without identifier")
        # public handles must not be profile accounts
        if meta["acct_role"] == "public":
            for key in ROLE_OF:
                if key.split(":", 1)[1] == post["account"]["handle"].lower():
                    err(row, "public handle collides with a profile account")
    return errors


def main():
    rows = build()
    errors = check(rows)
    # mix checks
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    ev = sum(1 for r in rows if r["_meta"]["ev"])
    y2027 = sum(1 for r in rows if r["post"]["created_at"].startswith("2027"))
    roles = {}
    for r in rows:
        k = (r["_meta"]["acct_role"], bool(r["expect"]["categories"]))
        roles[k] = roles.get(k, 0) + 1
    hard = sum(1 for r in rows if not r["expect"]["categories"])
    lookalikes = sum(1 for r in rows if not r["expect"]["categories"]
                     and any(not ok for _, _, ok in r["_meta"]["ids"]))
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if not w - 2 <= per.get(c, 0) <= w + 4:
            errors.append("category %s count %d (want ~%d)" % (c, per.get(c, 0), w))
    if not 0.50 <= nl / n <= 0.60:
        errors.append("dutch share %.2f" % (nl / n))
    if ev < 5:
        errors.append("too few evasion posts")
    if lookalikes < 3:
        errors.append("too few checksum look-alikes in negatives")
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file: every line valid JSON with the CONTRACT section 6 shape
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            obj = json.loads(line)
            if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
                errors.append("line %d shape" % i)
            for f in ("id", "platform", "account", "text", "created_at"):
                if f not in obj["post"]:
                    errors.append("line %d misses %s" % (i, f))
    print("cases=%d benign=%d nl=%.0f%% evasion=%d lookalikes=%d in2027=%d" % (
        n, benign, 100.0 * nl / n, ev, lookalikes, y2027))
    print("per category:", json.dumps(per, sort_keys=True))
    print("role/positive:", {"%s/%s" % k: v for k, v in sorted(roles.items())})
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
