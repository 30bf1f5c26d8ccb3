#!/usr/bin/env python3
"""Sealed evaluation set 176 for postwatch: Helmgaard Uitvaartzorg (fictional Dutch
funeral insurer and undertaker).

Hand-written posts; this script only assembles them, computes the expected severity from
the account role in profile.yaml (CONTRACT section 4), writes cases.jsonl next to itself
and checks the result (checksums, format, severities, mix). Deterministic: fixed seed.
"""
import json
import os
import random
import re
import sys
import unicodedata
from datetime import datetime

import yaml

SEED = 176
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

# ---------------------------------------------------------------- accounts
# corporate
HG = ("x", "@helmgaard")
HGK = ("x", "@helmgaard_klantzorg")
HGI = ("instagram", "@helmgaard.uitvaart")
HGL = ("linkedin", "helmgaard-uitvaartzorg")
HGF = ("facebook", "HelmgaardUitvaart")
HGT = ("tiktok", "@helmgaard_nl")
HGY = ("youtube", "HelmgaardTV")
CORPORATE = [HG, HGK, HGI, HGL, HGF, HGT, HGY]
# employees
MAR = ("x", "@mvanleeuwen_hg")
RUUD = ("linkedin", "ruud-hoekstra-helmgaard")
YUS = ("x", "@yusufkaya_uitvaart")
LOT = ("instagram", "@lotte.begeleidt")
ANO = ("linkedin", "anouk-smits-hg")
BRAM = ("x", "@brampauwels_dev")
JOOST = ("mastodon", "@jdekker@mastodon.nl")
ESRA = ("bluesky", "@esrademir.bsky.social")
KEES = ("linkedin", "kees-verhoef-helmgaard")
SOPH = ("threads", "@sophie.crematorium")
THIJS = ("x", "@tvdmeer_hg")
EMPLOYEE = [MAR, RUUD, YUS, LOT, ANO, BRAM, JOOST, ESRA, KEES, SOPH, THIJS]

CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

CASES = []


def c(acct, ts, lang, text, cats="", ids=(), kind=None):
    """acct: (platform, handle); cats: space separated short codes; ids: checksum
    identifiers in the text as (kind, value) with kind iban|card|bsn."""
    CASES.append({
        "acct": acct, "ts": ts, "lang": lang, "text": text,
        "cats": sorted(CAT[x] for x in cats.split()), "ids": list(ids), "kind": kind,
    })


def pub(platform, handle):
    return (platform, handle)


# ======================================================================
# reputation.complaint (public customers)
# ======================================================================
c(pub("x", "@wendy_v_dam"), "2026-01-14T09:12:44Z", "nl",
  "3 weken wachten op de uitkering van de Kapitaalpolis van mijn vader. Klantzorg belt niet terug. @helmgaard dit is toch niet normaal??",
  "CO")
c(pub("x", "@grievingintilburg"), "2026-02-03T17:40:02Z", "en",
  "We asked for the willow casket. They delivered an oak one and put it on the invoice anyway. At my brother's funeral. Sort it out @helmgaard",
  "CO")
c(pub("facebook", "Annelies.Kuipers.73"), "2026-02-19T20:05:31Z", "nl",
  "Rouwkaarten kwamen binnen met de VERKEERDE sterfdatum erop. Alles opnieuw laten drukken, 2 dagen vertraging. Het excuus van Helmgaard was een standaardmailtje. Diep teleurgesteld.",
  "CO")
c(pub("x", "@daan_obrien"), "2026-03-02T08:55:10Z", "en",
  "forty minutes on hold with Helmgaard trying to report that my mum died this morning. forty. minutes. of panflute music.",
  "CO")
c(pub("facebook", "Gerrit.Smeenk"), "2026-03-27T10:03:50Z", "nl",
  "Premie van mijn Natura Compleet is weer omhoog gegaan en ik heb er geen brief over gehad. Ik ben 81 jaar, hoe had ik dat moeten weten? Helmgaard, dit kan zo niet.",
  "CO")
c(pub("x", "@liz_hartman"), "2026-04-06T12:31:07Z", "en",
  "@helmgaard_klantzorg the urn you sent us has a crack running down the side. we collected Dad's ashes in it yesterday. this is not ok",
  "CO", kind="reply")
c(pub("instagram", "@sharon.tjon.a.fong"), "2026-04-18T19:47:26Z", "nl",
  "Livestream Afscheid viel na 10 min gewoon uit 😞 de hele familie in Paramaribo heeft niks gezien van oma d'r afscheid. Helmgaard ik wil m'n geld terug",
  "CO")
c(pub("x", "@pjotr_dev"), "2026-05-02T21:14:55Z", "en",
  "your app logs me out every single time i try to upload the death certificate. third attempt now. @helmgaard please fix this, i dont have the energy",
  "CO")
c(pub("x", "@nienke_rdam"), "2026-05-09T07:58:12Z", "nl",
  "uitvaartleider kwam ruim een uur te laat bij oma thuis. wij zaten daar maar met z'n allen naast haar bed te wachten.. helmgaard ik ben er echt kapot van",
  "CO")
c(pub("reddit", "u/throwaway_cancelled"), "2026-06-14T13:20:41Z", "en",
  "PSA: cancelled my Helmgaard policy in March, confirmation in writing, and they are STILL debiting my account in June. Three emails, zero answers. Anyone had luck getting a refund from these people?",
  "CO")
c(pub("threads", "@kimberly.aldridge"), "2026-07-04T16:45:00Z", "en",
  "Crematorium Helmgaard gave us twenty minutes in the chapel. TWENTY. The next family was literally waiting at the door while my aunt was still speaking.",
  "CO")
c(pub("x", "@jos_kleinjan"), "2026-08-01T14:02:48Z", "nl",
  "rekening klopt niet. €640 extra voor 'laatste verzorging' terwijl dat gewoon in pakket Klassiek zat. helmgaard??",
  "CO")
c(pub("bluesky", "@emmaclarke.bsky.social"), "2026-08-12T18:27:39Z", "en",
  "Six weeks waiting for my grandfather's ashes to be released. No updates, no call backs, nothing. Helmgaard, grieving people deserve better than this.",
  "CO")
c(pub("facebook", "Bert.Veenstra.Drachten"), "2026-10-08T10:11:05Z", "nl",
  "Monument Hardsteen besteld in januari. Het is oktober en er staat nog steeds een houten bordje op het graf van pa. Elke keer 'volgende week'. Helmgaard 😡😡",
  "CO")
c(pub("x", "@ollie_w"), "2026-10-23T15:52:14Z", "en",
  "the driver of the hearse was on his phone the whole ride to the cemetery. not the dignity we paid 695 quid for, Helmgaard.",
  "CO")
# complaint + personal data (customers exposing their own data)
c(pub("x", "@henk_postma58"), "2026-09-03T08:41:22Z", "nl",
  "@helmgaard_klantzorg al 4x gebeld, niemand belt terug over de uitkering. Bel me dan zelf op 06-41 27 83 90, Henk Postma. Ik zit de hele dag thuis.",
  "CO P", kind="reply")
c(pub("x", "@marloes_dv"), "2026-09-17T20:13:09Z", "en",
  "Still no reply to any of my emails about Mum's claim. Reach me at marloes.devries1974@gmail.com if anyone at Helmgaard actually reads this.",
  "CO P")
c(pub("facebook", "Ingrid.Wolters.Apeldoorn"), "2026-11-05T12:30:58Z", "nl",
  "Helmgaard heeft mijn creditcard 4391 9277 5610 8018 twee keer belast voor dezelfde rouwauto. Al drie weken geen reactie op mijn mails.",
  "CO P", ids=[("card", "4391927756108018")])
# complaint + abuse
c(pub("x", "@boze_zoon_1980"), "2026-11-19T22:48:03Z", "nl",
  "Helmgaard zijn gewoon aasgieren. Klootzakken die geld verdienen aan rouw. 3x gebeld en nog steeds geen uitkering",
  "CO AB")
c(pub("x", "@gazza_leeds"), "2026-12-02T19:04:37Z", "en",
  "absolute muppets at helmgaard lost my nan's paperwork TWICE. useless idiots the lot of you",
  "CO AB")

# ======================================================================
# reputation.abuse
# ======================================================================
c(pub("x", "@anoniem_utrecht"), "2026-01-28T23:11:45Z", "nl",
  "die uitvaartleider van helmgaard in Utrecht is een arrogante trut. iemand moet haar eens een lesje leren",
  "AB")
c(pub("x", "@dark_jester_77"), "2026-02-24T01:37:20Z", "en",
  "@mvanleeuwen_hg you're a vulture in a black suit. hope someone digs a hole for you soon",
  "AB", kind="reply")
c(pub("tiktok", "@xx_lolz_daan"), "2026-05-20T17:29:54Z", "en",
  "helmgaard staff are a bunch of braindead clowns lmaooo 🤡🤡",
  "AB", kind="comment")
c(pub("facebook", "Frans.Tol.1962"), "2026-06-30T09:58:02Z", "nl",
  "Waarom laat Helmgaard iemand met een hoofddoek de uitvaart van een Nederlander leiden? Ga lekker terug naar je eigen land.",
  "AB", kind="comment")
c(YUS, "2026-07-22T21:40:16Z", "nl",
  "@fam_de_ruiter Mevrouw, als u zo blijft zeuren zoekt u maar een andere idioot om uw man te begraven.",
  "AB", kind="reply")
c(HGF, "2026-08-18T23:02:29Z", "nl",
  "Wat een zielig mannetje ben jij zeg. Ga lekker ergens anders lopen janken.",
  "AB", kind="comment")
c(pub("x", "@waste_of_time_nl"), "2026-09-09T13:17:48Z", "en",
  "to whoever runs @helmgaard socials: you are an absolute waste of oxygen",
  "AB")
# evasion: leetspeak
c(pub("x", "@ano_x_y_z"), "2026-10-14T02:26:33Z", "nl",
  "h3lmg44rd zijn k4nk3r 0pl1cht3rs, h0p3 d4t j3ll13 st3rv3n",
  "AB")
# evasion: letters split by spaces
c(pub("x", "@spatiebalk"), "2026-11-26T18:44:10Z", "nl",
  "h e l m g a a r d   m e d e w e r k e r s   z i j n   t e r i n g l i j e r s",
  "AB")

# ======================================================================
# reputation.crisis
# ======================================================================
c(pub("facebook", "Sandra.Huisman.Ede"), "2026-01-21T11:45:17Z", "nl",
  "Helmgaard heeft de as van mijn vader VERWISSELD met die van een andere man. We hebben inmiddels een advocaat ingeschakeld. Dit mag nooit iemand anders overkomen.",
  "CR")
c(pub("x", "@claimdenied_nl"), "2026-02-11T16:33:40Z", "en",
  "BOYCOTT Helmgaard. They refuse payouts for anyone who dies within two years of signing, on a 'technicality' buried on page 14. Share this before your parents sign up.",
  "CR")
c(pub("x", "@tessa_zwolle"), "2026-03-18T09:27:03Z", "nl",
  "Datalek bij Helmgaard?? Ik kreeg vanochtend een mail met alle polisgegevens van een wildvreemde mevrouw uit Zwolle. Wie heeft dit nog meer?",
  "CR")
c(pub("linkedin", "mr-d-van-aalst-advocaat"), "2026-04-09T08:00:00Z", "en",
  "Our firm is opening a class action against Helmgaard Uitvaartzorg N.V. over undisclosed premium increases on natura policies. Affected policyholders can register via our website.",
  "CR")
c(pub("x", "@verkeer_a12_fan"), "2026-04-24T07:49:58Z", "nl",
  "Rouwauto van Helmgaard reed op de A12 achterop een file, achterklep open en de kist lag op de weg. Echt gebeurd vanochtend bij Woerden, ik stond erachter.",
  "CR")
c(pub("reddit", "u/southside_dad"), "2026-05-27T15:06:21Z", "en",
  "Anyone else near the Helmgaard crematorium? Thick black smoke over the neighbourhood all afternoon, kids coughing, windows shut. Who do we even call about this?",
  "CR")
c(pub("x", "@actiegroep_rouw"), "2026-06-08T12:00:00Z", "nl",
  "Zondag 14:00 demonstratie bij het hoofdkantoor van Helmgaard in Utrecht. Genoeg is genoeg. #boycotHelmgaard",
  "CR")
c(pub("facebook", "Yvonne.Brink.Hoorn"), "2026-07-09T20:20:48Z", "en",
  "The Zaailing bio-urn from Helmgaard is leaking, there's literally ash on our mantelpiece. Is there a recall? Apparently two others in our village have the same problem.",
  "CR")
c(pub("x", "@onderzoeksjournalist_m"), "2026-08-25T18:30:00Z", "nl",
  "Undercover beelden: medewerkers van Helmgaard maken grappen over overledenen in de koelcel. Schandalig. Morgen de hele uitzending.",
  "CR")
c(pub("x", "@jeroenb_1966"), "2026-09-22T10:41:31Z", "en",
  "My data was leaked by Helmgaard, full stop. Got a phishing call today quoting my policy number AND the date my mother died.",
  "CR")
c(pub("bluesky", "@newsdesk-eindhoven.bsky.social"), "2026-11-10T13:55:09Z", "en",
  "Family files lawsuit against Helmgaard after the wrong body was presented to them at a viewing in Eindhoven.",
  "CR")
# evasion: full-width letters
c(pub("x", "@stopdezeboel"), "2026-12-07T21:09:44Z", "nl",
  "BOYCOT ＨＥＬＭＧＡＡＲＤ — ze cremeren mensen zonder toestemming van de familie. Deel dit!!",
  "CR")
# crisis + abuse
c(pub("x", "@kwaad_en_verdrietig"), "2026-12-15T17:38:25Z", "nl",
  "Boycot die rotzakken van Helmgaard! Lichamen verwisseld in het crematorium en die eikels zwijgen er gewoon over.",
  "CR AB")
# crisis + personal data (third person's IBAN exposed by a member of the public)
c(pub("x", "@rvandijk_enschede"), "2026-03-30T19:26:12Z", "en",
  "Helmgaard sent me someone else's claim letter. Proof, here's their payout account: NL81 SNSB 6120 0392 94. How is this not a data breach?",
  "CR P", ids=[("iban", "NL81SNSB6120039294")])

# ======================================================================
# leak.pii
# ======================================================================
c(HGK, "2026-01-09T10:22:31Z", "nl",
  "@jgroot_1950 Beste mevrouw Groot, de uitkering is vandaag overgemaakt naar NL93 INGB 3888 4953 52. Met vriendelijke groet, Klantzorg",
  "P", ids=[("iban", "NL93INGB3888495352")], kind="reply")
c(YUS, "2026-02-06T13:48:09Z", "nl",
  "lol collega stuurt het BSN van een klant (231082393) gewoon in de groepsapp rond 🙄 privacy is een werkwoord mensen",
  "P", ids=[("bsn", "231082393")])
c(RUUD, "2026-03-05T09:00:00Z", "nl",
  "Trots op het team: vandaag de uitkering van dhr. A. Jansma (geb. 14-02-1939) binnen één werkdag afgerond! Zo hoort het.",
  "P")
c(HGI, "2026-04-14T08:30:12Z", "nl",
  "Ons medeleven gaat uit naar de familie Bakker, Lindelaan 14, 3832 AB Leusden. Moge de herinneringen troost bieden. 🕯️",
  "P")
c(LOT, "2026-05-06T16:19:43Z", "en",
  "anyone at finance around? card on file for the Vermeulen funeral got declined: 5238 8849 5352 2950 exp 09/28. family is asking what to do",
  "P", ids=[("card", "5238884953522950")])
c(HGK, "2026-06-03T11:07:52Z", "nl",
  "@peterwolters Wij bellen u morgen tussen 10 en 12 terug op 06 18 29 47 53, klopt dat nummer nog?",
  "P", kind="reply")
c(MAR, "2026-07-01T18:03:27Z", "en",
  "to whoever left this claim form on my desk: mrs. D. Koster, born 03/07/1948, BSN 157845102. please shred your stuff, people",
  "P", ids=[("bsn", "157845102")])
c(HGK, "2026-08-07T14:44:18Z", "nl",
  "@timmermans_h Excuses voor de vertraging! Uw mail kwam bij ons binnen als h.timmermans@ziggo.nl, klopt dat adres?",
  "P", kind="reply")
c(pub("x", "@fatma_ozturk"), "2026-09-11T12:12:12Z", "nl",
  "Kan iemand van Helmgaard me vandaag nog terugbellen over de uitvaart van mijn vader? +31 6 2345 8812, vraag naar Fatma",
  "P")
c(pub("x", "@g_hofstra"), "2026-10-02T09:50:39Z", "nl",
  "@helmgaard_klantzorg stort de restitutie van de polis maar op NL76TRIO4435115217 t.n.v. G. Hofstra, alvast bedankt",
  "P", ids=[("iban", "NL76TRIO4435115217")], kind="reply")
# evasion: zero-width spaces inside a BSN
c(SOPH, "2026-12-04T07:36:50Z", "nl",
  "Voor de akte van vanmiddag: BSN van de overledene is 517\u200b463\u200b994, naam staat in het dossier 👍",
  "P", ids=[("bsn", "517463994")])

# ======================================================================
# leak.secret
# ======================================================================
c(BRAM, "2026-01-16T22:41:05Z", "en",
  "why is the deploy still failing 😤\n\nexport AWS_ACCESS_KEY_ID=AKIAEF33YD654PXGKJWG\nexport AWS_SECRET_ACCESS_KEY=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\n\nanyone?",
  "S")
c(THIJS, "2026-02-13T10:16:34Z", "en",
  "cloning works again, just use the token in the url: git clone https://ghp_d2hNMPTEQn3LYzr4K0yGclf1HGwwWAzGKUcx@github.com/helmgaard/condoleance-register.git — saves all the ssh hassle",
  "S")
c(HGF, "2026-03-23T15:04:18Z", "nl",
  "Test koppeling donatiepagina Stichting Lichtpunt na Verlies: pk_live OK, sk_live_fnIy8BXjwraJK5ZwRh54zFLw OK. Morgen live!",
  "S")
c(BRAM, "2026-04-21T11:58:47Z", "en",
  "our alert bot keeps posting twice, pasting config here in case someone sees it: SLACK_BOT_TOKEN=xoxb-598744855005-7404268072715-g5AyhAzziglJ8nZhnH5hByBB channel=#uitvaart-alerts",
  "S")
c(ESRA, "2026-05-12T14:27:55Z", "nl",
  "Zelf een condoleance-tekstgenerator gebouwd voor het marketingteam 😍 werkt super met OPENAI_API_KEY=sk-proj-19VxoZimk1qttfxPNSHVW3dFb4tSGISq6IOsVXzZ9LdsFYTN, wie wil hem proberen?",
  "S")
c(JOOST, "2026-06-16T09:33:21Z", "en",
  "note to self, rotating this tomorrow: sk-ant-api03-FW72ROL3KL2hUTMuI69IidfyRzsH4uhVNTIkFZThz0GaYThQmnclQjh9gIZSmTuP9SK7at5hWRjdydJKUlPt3tkBTCmX-AA",
  "S")
c(THIJS, "2026-07-28T23:55:40Z", "en",
  "deploy key for the crematorium scheduler, for the night shift:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nHGu3I/4mdMdmotqNVTFyIge4kKOEvRf0IAt4pH0nTKhlFyDu7Rz5i877xl4alPPLn3n9XdUB\nZVfG5vIEWzdRxc4UFenZ/uqS1uutxMvcv52aUbk7XEsYSCT7AAAAB3RoaWpzQGhn\n-----END OPENSSH PRIVATE KEY-----",
  "S")
c(pub("x", "@appsec_anna"), "2026-08-20T16:08:14Z", "en",
  "Helmgaard's mobile app ships a hardcoded Google API key: AIzaPBBHBFWMvrftjv8K-c96w8WVwnCJMO3N5k- ... restricted to nothing. Reported it, no answer yet.",
  "S")
c(LOT, "2026-09-25T07:12:03Z", "nl",
  "Voor de invalkrachten dit weekend: inloggen in de planningstool met gebruiker invaller01, wachtwoord: iPac1D5YCNo1p$ (niet doorgeven aub 🙏)",
  "S")
c(BRAM, "2026-10-27T13:49:28Z", "en",
  "claims endpoint returns 403 even with an admin token?? Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtY2xhaW1zIiwicm9sZSI6ImFkbWluIiwiaXNzIjoiY2xhaW1zLmhlbG1nYWFyZC5sb2NhbCIsImV4cCI6MTc5ODc2MTYwMH0.j5JncFipQRJf4n24_Oej1ZzjusoxNdKwgleUOCYU7uc",
  "S")
# secret + confidential (credentials on internal hosts)
c(THIJS, "2026-11-17T20:24:46Z", "en",
  "any idea why this stopped connecting after the patch night? postgres://claims_rw:Rouw2026!@db01.planning.helmgaard.local:5432/uitvaarten",
  "S C")
c(BRAM, "2026-12-09T10:37:15Z", "en",
  "CI finally green. for the runner: GITLAB_TOKEN=glpat-ZRaV168mSQEU0X4iA-Oe against https://git.helmgaard.local/platform/uitkering-service",
  "S C")

# ======================================================================
# leak.confidential (and confidential + financial / security)
# ======================================================================
c(MAR, "2026-01-23T17:05:39Z", "en",
  "Last sprint of Project Zwaluw done 🎉 honestly can't wait until we're allowed to show it to families",
  "C")
c(RUUD, "2026-02-26T08:15:00Z", "en",
  "The Lijsterbes pilot at our Rotterdam funeral home went better than anyone expected. Rollout to all locations planned for Q3.",
  "C")
c(ESRA, "2026-03-13T12:49:07Z", "nl",
  "[HG-INTERN] even snel delen wat ik vandaag presenteerde: nieuwe huisstijl, nieuwe tone of voice, en een rouwcoach-chat op de site. Vinden jullie het wat?",
  "C")
c(ESRA, "2026-04-02T15:33:48Z", "en",
  "The deck literally says 'helmgaard internal only' on every slide but honestly the new claims journey is too good not to show you a teaser 👀",
  "C")
c(LOT, "2026-10-30T19:02:11Z", "nl",
  "Natura Groen komt eraan!! Eindelijk een polis waarin natuurbegraven gewoon standaard is 🌳💚",
  "C")
c(HGI, "2027-01-12T09:00:00Z", "nl",
  "Download nu de Helmgaard Afscheidsapp: regel alles rondom het afscheid van een dierbare op één plek 📱",
  "C")
c(pub("reddit", "u/uitvaartinsider"), "2026-07-17T22:58:31Z", "en",
  "Leaked: Helmgaard is building an app under the name 'Project Zwaluw' that lets you plan your own funeral in advance, down to the music. Source: someone in their IT dept.",
  "C")
c(SOPH, "2026-08-28T12:21:56Z", "en",
  "sneak peek of our new urn collection that doesn't launch until next spring 🤫 keep it between us ok",
  "C")
c(BRAM, "2026-09-30T11:26:43Z", "en",
  "pro tip for new colleagues: claims.hg-intern.nl/search is way faster than the old dossier tool, bookmark it",
  "C")
# evasion: Cyrillic look-alikes in a codename (і U+0456, е U+0435)
c(RUUD, "2026-11-03T13:40:20Z", "en",
  "Big milestone today for L\u0456jsterb\u0435s: every funeral home in the north has now switched over 🙌",
  "C")
# evasion: zero-width joiners inside a codename
c(ESRA, "2026-12-01T10:58:05Z", "en",
  "Operatie Stille\u200d Ha\u200dven is going to change everything for our team. that's all I'm allowed to say 🤐",
  "C")
# confidential + financial
c(KEES, "2026-06-25T06:45:00Z", "nl",
  "Operatie Stille Haven loopt: de overname van een branchegenoot in Brabant is zo goed als rond. Mooie stap voor Helmgaard.",
  "C F")
c(ANO, "2026-09-04T17:31:15Z", "nl",
  "Memo (niet voor externe verspreiding): 3 uitvaartcentra gaan dicht, 45 fte eruit, communicatie pas na de OR-vergadering. Zware week.",
  "C F")
c(KEES, "2027-02-20T07:30:00Z", "nl",
  "De jaarcijfers 2026 sluiten met een recordwinst van €31 mln. Trots op iedereen die dit mogelijk heeft gemaakt!",
  "C F")
c(ANO, "2027-01-30T16:02:44Z", "en",
  "FY2026 results look very strong, can't say more yet 😉 busy weeks ahead for finance",
  "C F")
# confidential + security
c(THIJS, "2026-10-06T09:14:52Z", "nl",
  "vpn.helmgaard.nl ligt er al 3 uur uit, niemand komt bij de dossiers. Vanuit MT: niks naar buiten brengen.",
  "C SEC")

# ======================================================================
# leak.financial
# ======================================================================
c(MAR, "2026-03-20T12:35:10Z", "en",
  "Canteen rumour just got confirmed by my manager: Helmgaard is being bought by a Belgian insurer. Official announcement after the summer.",
  "F")
c(KEES, "2026-10-12T05:55:00Z", "nl",
  "Prognose Q3: premie-inkomen 8% onder budget. We gaan de winstverwachting voor dit jaar naar beneden bijstellen.",
  "F")
c(SOPH, "2026-05-29T21:03:39Z", "en",
  "So today we hear that Crematorium Helmgaard in Zeist is closing and 12 of us lose our jobs. Before the works council even knows. Great.",
  "F")
c(pub("x", "@schoonzus_weet_alles"), "2026-08-05T20:45:30Z", "nl",
  "Mijn schoonzus werkt bij Helmgaard: ze gaan fuseren met Rustlande Uitvaart. Hoor je binnenkort in het nieuws 😏",
  "F")
c(JOOST, "2026-11-24T14:11:09Z", "en",
  "expected solvency ratio drops below 150% next quarter and the board is very nervous. good times 🙃",
  "F")
c(ANO, "2027-02-10T18:20:33Z", "nl",
  "Jaarafsluiting bijna klaar: omzet €212 mln, winst net boven de prognose. Publicatie pas in maart, dus nog even geduld 🤓",
  "F")
c(RUUD, "2026-07-08T08:27:16Z", "en",
  "Claims desk reorg: three offices become one, everything moves to Utrecht. Not official yet but the team has been told.",
  "F")
c(ESRA, "2026-11-28T11:45:24Z", "en",
  "sneaky heads-up for friends with a Natura Basis policy: premiums go up 12% in January, not announced yet. you didn't hear it from me",
  "F")

# ======================================================================
# leak.security
# ======================================================================
c(LOT, "2026-02-17T06:52:41Z", "nl",
  "Ransomware op de planningsserver sinds vannacht. Alle uitvaarten van deze week staan op papier. Niks tegen families zeggen, is de opdracht.",
  "SEC")
c(BRAM, "2026-03-25T20:18:06Z", "en",
  "found an IDOR in mijn.helmgaard.nl today: change the policy id in the URL and you see someone else's claim. not fixed yet. yikes",
  "SEC")
c(RUUD, "2026-04-28T15:39:31Z", "en",
  "A phishing mail got the passwords of four people on the claims desk this week. IT says it won't make the news. Fingers crossed.",
  "SEC")
c(THIJS, "2026-06-11T22:06:49Z", "en",
  "backups of the claims database haven't run for 3 weeks and nobody noticed. if that disk dies we're toast",
  "SEC")
c(SOPH, "2026-07-14T10:44:25Z", "en",
  "the furnace controller at our crematorium still runs Windows XP with remote desktop open to the internet. been saying it for 2 years. nobody listens",
  "SEC")
c(THIJS, "2026-08-31T06:31:12Z", "en",
  "mijn.helmgaard.nl has been down since 06:00 and the status page still says all systems operational. don't tell anyone 🤐",
  "SEC")
c(JOOST, "2026-09-16T19:27:58Z", "en",
  "Found an open Elasticsearch cluster with ~40k policy files on one of our test envs today. Closing it now, incident report pending.",
  "SEC")
c(MAR, "2026-10-21T12:59:37Z", "en",
  "someone plugged a USB stick from the car park into a claims desk PC. we are now reimaging 20 machines. just another tuesday",
  "SEC")
# evasion: leetspeak
c(YUS, "2026-11-07T21:16:20Z", "nl",
  "d@t@l3k bij ons, 12k kl4ntg3g3v3ns w3g, m0g3n n0g n1ks z3gg3n v4n b0v3n",
  "SEC")
c(BRAM, "2026-12-11T16:24:03Z", "en",
  "found a SQL injection in the online condolence register. patch won't go live until next week 😬",
  "SEC")
c(HGK, "2026-12-18T03:12:47Z", "nl",
  "Intern: de 0800-2424 meldlijn overlijden is sinds vannacht onbereikbaar door een storing in de centrale, families komen niet door. Nog geen bericht naar buiten.",
  "SEC")
# public passing on an insider's tip: security + crisis
c(pub("x", "@itguy_friend"), "2026-09-29T21:33:14Z", "en",
  "My mate in Helmgaard IT says their payment system got breached last week and management is keeping it quiet. Check your bank statements, people.",
  "SEC CR")

# ======================================================================
# leak.pricing
# ======================================================================
c(HG, "2026-01-30T08:00:00Z", "nl",
  "Alleen deze week: de Koopsompolis voor €495,- 🕊️ Regel het nu via helmgaard.nl",
  "PR")
c(HGI, "2026-02-27T12:00:00Z", "nl",
  "Nieuw in de webshop: Urn Duinzand, nu voor €24,90 ✨",
  "PR")
c(MAR, "2026-04-16T10:28:38Z", "nl",
  "oeps, de site toont kist Veluwe nu voor €129 😅 prijsfout, IT is ermee bezig",
  "PR")
c(pub("x", "@koopjesjager_ans"), "2026-05-25T21:47:11Z", "nl",
  "Helmgaard webshop heeft Assieraad Traan voor €17,90 staan 😂 snel bestellen voordat ze het doorhebben",
  "PR")
c(pub("reddit", "u/dealhunter_ams"), "2026-06-19T09:03:26Z", "en",
  "price glitch on helmgaard.nl? Natura Compleet is showing €1.95/month for me. Screenshot or it didn't happen, so: screenshot attached",
  "PR")
c(BRAM, "2026-07-24T14:56:02Z", "en",
  "who set the Sereen cremation package to €279 in the CMS?? customers are already booking it",
  "PR")
c(HGF, "2026-08-14T09:30:00Z", "nl",
  "Zorg nu al voor later: de Kinderpolis vanaf €0,29 per maand 💙",
  "PR")
c(pub("facebook", "Willem.Jongeneel"), "2026-09-07T19:15:44Z", "nl",
  "Grafmonument Hardsteen voor 850 euro via Helmgaard, is dat een fout? Bij de steenhouwer kost zoiets bijna 3000",
  "PR")
c(LOT, "2026-10-16T15:41:20Z", "nl",
  "Let op collega's: prijsfout in de offertetool, Uitvaartpakket Klassiek komt eruit op €689. Niet doorsturen naar families!",
  "PR")
c(pub("x", "@sam_bakx"), "2026-11-27T07:22:51Z", "en",
  "lol the Helmgaard funeral livestream is €14.90 today, bug or black friday?",
  "PR")
c(HGT, "2026-12-03T18:00:00Z", "nl",
  "Duurzaam afscheid 🌿 Wilgenmand Lisse: €89 #uitvaart #duurzaam",
  "PR")
# evasion: full-width digits
c(YUS, "2026-12-22T11:35:09Z", "nl",
  "klant vraagt of het klopt: rouwvervoer Stijl voor €６９,- op de site?? lijkt me niet",
  "PR")

# ======================================================================
# benign (hard negatives): categories [] and severity none
# ======================================================================
c(pub("facebook", "Joke.Hermans.Gouda"), "2026-01-07T19:40:12Z", "nl",
  "Marieke van Helmgaard heeft de uitvaart van mijn man zo liefdevol geleid. Elk detail klopte. Dank je wel, ik vergeet dit nooit.")
c(HG, "2026-01-12T07:00:00Z", "nl",
  "Overlijden gemeld? Wij zijn dag en nacht bereikbaar via 0800-2424. Voor vragen over uw polis: 030 799 4200 of klantzorg@helmgaard.nl")
c(HGI, "2026-01-19T11:00:00Z", "nl",
  "Tijdloos en warm: de Urn Duinzand, €249. Met de hand gedraaid in Zeeland.")
c(HGF, "2026-01-26T10:00:00Z", "nl",
  "Deze maand 15% korting op Crematiepakket Sereen: van €2.795 voor €2.375. Vraag naar de voorwaarden.")
c(HGT, "2026-02-02T17:00:00Z", "nl",
  "Voorjaarsactie 🌷 Wilgenmand Lisse met 20% korting, nu €716 #duurzaamafscheid")
c(pub("x", "@tante_truus"), "2026-02-09T14:25:37Z", "nl",
  "Mijn schoonzoon zegt dat ik de premie moet overmaken naar NL93INGB3888495362, maar de bank zegt dat dat nummer niet bestaat. Wie weet het juiste nummer van Helmgaard?",
  ids=[("iban", "NL93INGB3888495362")])
c(HGK, "2026-02-09T15:02:10Z", "nl",
  "@tante_truus Goed dat u het even controleert! Premies kunt u overmaken naar NL49 RABO 0751 3366 32 t.n.v. Helmgaard Uitvaartzorg N.V. o.v.v. uw polisnummer.",
  ids=[("iban", "NL49RABO0751336632")], kind="reply")
c(BRAM, "2026-02-20T19:33:45Z", "en",
  "reminder when writing docs: use the AWS sample creds AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never anything real")
c(JOOST, "2026-03-04T10:10:10Z", "en",
  "If you spot something like sk_live_**************** in a screenshot, it's already masked, no need to panic. Unmasked keys go to security@ internally.")
c(KEES, "2027-03-04T07:05:00Z", "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026. Het volledige jaarverslag staat op helmgaard.nl/investeerders.")
c(HGL, "2027-03-04T09:30:00Z", "en",
  "Our full-year 2026 results are out: steady growth in natura policies and record customer satisfaction at our funeral homes. Read the report on helmgaard.nl.")
c(HGI, "2027-01-19T09:15:00Z", "nl",
  "Vanaf vandaag verkrijgbaar: Natura Groen 🌳 de uitvaartpolis waarin natuurbegraven standaard is inbegrepen.")
c(ESRA, "2027-01-21T12:04:18Z", "en",
  "So proud our Helmgaard Afscheidsapp launched this week! 4,000 downloads in two days 💚")
c(pub("x", "@ellen_pruim"), "2026-03-09T20:41:55Z", "en",
  "Was furious last week about the delayed payout, but Helmgaard's claims desk called me back the next morning and sorted everything within a day. Thank you, genuinely.")
c(pub("x", "@buurtapp_leusden"), "2026-03-16T18:12:29Z", "nl",
  "Sterkte aan alle medewerkers van Helmgaard in Rotterdam na de brand bij de buren vannacht. Fijn dat niemand gewond is geraakt.")
c(pub("x", "@nieuws_uitvaartbranche"), "2026-03-24T08:30:00Z", "nl",
  "Uitvaartverzekeraar Rustlande schrapt 200 banen en sluit vijf vestigingen, meldt het bedrijf vandaag in zijn jaarverslag.")
c(pub("x", "@opa_grapjas"), "2026-04-01T13:07:21Z", "nl",
  "Mijn opa zegt dat hij zijn Natura Basis pas gaat gebruiken als hij er écht niet meer onderuit kan 😂 humor tot het eind")
c(pub("reddit", "u/newparent_utrecht"), "2026-04-07T22:19:40Z", "en",
  "Does the Helmgaard Kinderpolis also cover stillbirth? Asking honestly, couldn't find it in the terms. It's €2.95 a month so we're considering it.")
c(pub("x", "@wim_57"), "2026-04-13T10:55:16Z", "nl",
  "wachtwoord vergeten voor mijn.helmgaard.nl, waar kan ik dat resetten? vind de knop niet")
c(HGK, "2026-04-13T11:20:03Z", "nl",
  "@wim_57 Op mijn.helmgaard.nl klikt u onder het inlogscherm op 'wachtwoord vergeten'. Lukt het niet, bel ons gerust op 0800-0233.",
  kind="reply")
c(pub("x", "@formulierenhater"), "2026-04-20T16:33:08Z", "nl",
  "Het claimformulier van Helmgaard vraagt om een BSN en in de uitleg staat als voorbeeld 123456789. Creatief hoor 😅",
  ids=[("bsn", "123456789")])
c(pub("x", "@cadeaukaart_kees"), "2026-04-27T12:45:52Z", "nl",
  "Het nummer op de rouwkaart-bon is 4011 8527 6782 9316 volgens mij, maar de webshop van Helmgaard accepteert hem niet. Iemand tips?",
  ids=[("card", "4011852767829316")])
c(HG, "2026-05-01T12:00:00Z", "nl",
  "Gepland onderhoud: mijn.helmgaard.nl is zondag 10 mei tussen 02:00 en 04:00 niet bereikbaar. Overlijden melden kan altijd via 0800-2424.")
c(pub("instagram", "@foodie.femke"), "2026-05-05T15:18:33Z", "en",
  "My heart got hacked by the apple pie at the Helmgaard coffee table after grandpa's service. He would have had three slices. 🥧")
c(pub("x", "@duurzaam_nieuws"), "2026-05-13T09:00:00Z", "nl",
  "Crematorium Helmgaard wint de Groene Uitvaart Award 2026 voor de nieuwe filterinstallatie en het gebruik van restwarmte.")
c(HGL, "2026-05-19T08:00:00Z", "nl",
  "Wij groeien! Helmgaard zoekt 12 nieuwe uitvaartverzorgers in Utrecht, Gelderland en Noord-Brabant. Reageer via werkenbij@helmgaard.nl")
c(pub("x", "@tuinman_gerrit"), "2026-05-26T17:44:21Z", "nl",
  "De lijsterbes bij de ingang van het uitvaartcentrum hangt vol met oranje bessen. Prachtig gezicht als je daar binnenkomt.")
c(SOPH, "2026-06-02T07:31:49Z", "nl",
  "De zwaluwen zijn weer terug onder de dakrand van het crematorium 🐦 elk jaar weer een klein wonder")
c(pub("x", "@jamie_eulogy"), "2026-06-09T21:58:34Z", "en",
  "the eulogy absolutely killed, everyone was crying AND laughing. RIP grandad you absolute legend. thanks Helmgaard for making it so smooth")
c(pub("facebook", "Hennie.Klaassen"), "2026-06-15T13:06:17Z", "nl",
  "Geen enkele klacht over Helmgaard, alles tot in de puntjes geregeld. Wij kijken met een goed gevoel terug op het afscheid van pa.")
c(pub("x", "@budgetmam"), "2026-06-22T19:27:03Z", "nl",
  "Natura Compleet kost mij €19,50 per maand. Niet niks, maar dan weet je wel dat alles geregeld is.")
c(pub("x", "@green_goodbye"), "2026-06-29T10:49:58Z", "en",
  "Kartonnen kist Eco from Helmgaard for €395, cheaper than I expected and it looked lovely with the flowers on top.")
c(HGY, "2026-07-06T18:00:00Z", "nl",
  "Nieuwe video: hoe werkt een uitvaart met livestream? Onze Livestream Afscheid kost €149 en wordt verzorgd door een vaste technicus.")
c(HG, "2026-07-13T09:00:00Z", "en",
  "Questions about a claim? Email uitkeringen@helmgaard.nl or call +31 30 799 4200 on weekdays 8:30–17:30.")
c(pub("x", "@kritische_kees"), "2026-07-20T11:38:26Z", "nl",
  "Wij behandelen uw gegevens vertrouwelijk, staat er bij Helmgaard. Goed zo, dat mogen meer bedrijven zeggen.")
c(pub("x", "@devops_daily_nl"), "2026-07-27T08:14:40Z", "en",
  "Tutorial tip: your connection string should look like postgres://user:password@localhost:5432/mydb in the README, never the real one.")
c(BRAM, "2026-08-03T19:50:11Z", "nl",
  "Screenshot van mijn .env in de presentatie, maar met wachtwoord: ******** en token ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx uiteraard 😉")
c(JOOST, "2026-08-10T12:26:35Z", "en",
  "Gave a talk on phishing awareness at a local security meetup tonight. Main message: never paste anything starting with -----BEGIN PRIVATE KEY----- into a chat.")
c(pub("x", "@zorgen_om_privacy"), "2026-08-17T21:15:57Z", "en",
  "After the Rustlande data breach in the news, does anyone know whether Helmgaard encrypts its claim files? Genuine question before I sign up.")
c(pub("x", "@respect_uitvaart"), "2026-08-24T16:04:02Z", "nl",
  "Schelden op uitvaartpersoneel? Echt niet normaal. Die mensen bij Helmgaard staan dag en nacht klaar voor anderen. Respect.")
c(HGF, "2026-08-31T14:00:00Z", "nl",
  "Rouwkaartenset 100 deze maand met 10% korting: €148,50 in plaats van €165.")
c(HGI, "2026-09-08T10:00:00Z", "nl",
  "Eerste jaar 25% korting op Natura Compleet: €14,63 per maand in plaats van €19,50. Bekijk de voorwaarden op helmgaard.nl")
c(HGT, "2026-09-14T17:30:00Z", "nl",
  "Grafonderhoud Jaarabonnement met 30% korting, nu €136,50 😊 wij houden het graf mooi, u hoeft er niet aan te denken")
c(pub("x", "@checkmijniban"), "2026-09-21T09:18:09Z", "en",
  "Typed NL53RABO2953583345 into my banking app to pay the Helmgaard invoice and it says the IBAN is invalid. Must have copied it wrong, will check the letter.",
  ids=[("iban", "NL53RABO2953583345")])
c(YUS, "2026-09-28T20:47:25Z", "en",
  "10 years as a funeral director at Helmgaard today. Every family stays with me. Thank you for trusting us ❤️")
c(pub("x", "@klantzorg_fan"), "2026-10-05T13:33:47Z", "en",
  "Helmgaard's customer care is honestly the opposite of what you'd expect from an insurer. Picked up in 2 minutes, kind, no script.")
c(pub("threads", "@muziek.bij.afscheid"), "2026-10-13T19:09:20Z", "nl",
  "Killer playlist gemaakt voor de uitvaart van mijn oom, Helmgaard regelde de geluidsinstallatie perfect. Hij had het geweldig gevonden 🎸")
c(HGK, "2026-10-20T10:42:38Z", "nl",
  "@ria_zwolle Wat vervelend dat de koffietafel niet was zoals u had gehoopt. Wij nemen graag contact met u op; stuurt u ons een DM met uw polisnummer?",
  kind="reply")
c(pub("x", "@beurs_watcher"), "2026-10-26T07:40:00Z", "en",
  "Rustlande Uitvaart to acquire De Linde funeral homes for €45m, per their press release this morning. Consolidation in the Dutch funeral sector continues.")
c(pub("x", "@lekkage_aula"), "2026-11-02T12:06:55Z", "nl",
  "Fijn dat de lekkage in de aula van Helmgaard Zeist op tijd gerepareerd was, de dienst van mijn oma kon gewoon doorgaan.")
c(LOT, "2026-11-09T18:55:14Z", "en",
  "What this job teaches you: listening matters more than talking. Another beautiful goodbye today.")
c(pub("x", "@mijnportaal_ok"), "2026-11-16T08:22:35Z", "nl",
  "mijn.helmgaard.nl deed het gisteravond even niet, vanochtend weer prima 👍 polis gewoon kunnen bekijken")
c(pub("x", "@bsn_check"), "2026-11-23T15:57:42Z", "nl",
  "Vul je in het claimformulier van Helmgaard per ongeluk 654910873 in, zegt de site meteen 'ongeldig BSN'. Goede controle eigenlijk.",
  ids=[("bsn", "654910873")])
c(pub("facebook", "Mieke.Dijkstra.Sneek"), "2026-11-30T11:28:06Z", "nl",
  "Een jaar geleden namen we afscheid van mam. Dank aan Helmgaard voor de mooie herinneringskaart die we vandaag kregen. Zo'n klein gebaar, zoveel betekenis.")
c(pub("x", "@card_confused"), "2026-12-06T14:41:29Z", "en",
  "Helmgaard's payment page rejected 4707 4058 9558 1819, turns out I swapped the last digits. My bad, their check works.",
  ids=[("card", "4707405895581819")])
c(HGL, "2026-12-10T09:00:00Z", "en",
  "Helmgaard opens a new funeral home in Amersfoort this week, with a garden room for families who want to say goodbye outdoors.")
c(MAR, "2026-12-14T20:14:53Z", "nl",
  "Kerst is voor veel families de eerste zonder hun dierbare. Denk aan elkaar. Wij zijn er, ook tijdens de feestdagen.")
c(pub("x", "@harry_potter_nerd"), "2026-12-21T22:03:31Z", "en",
  "Just watched a documentary about undertakers in Victorian London. Wild how far we've come. Our Helmgaard funeral last year felt so personal in comparison.")
c(pub("x", "@prijzenvergelijker"), "2026-12-28T10:16:48Z", "nl",
  "Uitvaartpakket Eenvoud bij Helmgaard: €3.950. Vergeleken met drie andere aanbieders zit dat netjes in het midden.")
c(HGK, "2027-01-05T09:31:10Z", "en",
  "@liz_hartman We're so sorry about the urn. A replacement is on its way and our funeral director will transfer the ashes with you personally.",
  kind="reply")
c(ANO, "2027-03-05T12:12:00Z", "nl",
  "Nu de jaarresultaten 2026 openbaar zijn: dank aan het hele finance-team voor maanden hard werk 🙏")


# ======================================================================
# checks and output
# ======================================================================
SEV = ["none", "info", "warning", "error", "critical"]
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def iban_ok(v):
    v = v.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", v):
        return False
    s = v[4:] + v[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


def luhn_ok(v):
    d = [int(ch) for ch in v if ch.isdigit()]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(v):
    d = [int(ch) for ch in v if ch.isdigit()]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


def scan_ids(text):
    """Every IBAN-, card- or BSN-shaped number in the text, normalised."""
    t = norm(text)
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", t):
        found.append(("iban", m.group().replace(" ", "")))
    for m in re.finditer(r"(?<![\w.])\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![\w])", t):
        found.append(("card", re.sub(r"\D", "", m.group())))
    for m in re.finditer(r"(?<![\w.,-])\d{9}(?![\w-])|(?<![\w.])\d{3}[. ]\d{3}[. ]\d{3}(?![\w])", t):
        found.append(("bsn", re.sub(r"\D", "", m.group())))
    return found


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in (a.lower() for a in profile["accounts"]["corporate"]):
        return "corporate"
    if key in (a.lower() for a in profile["accounts"]["employee"]):
        return "employee"
    return "public"


def severity(cats, role, checksum_pii):
    s = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and checksum_pii)
                s = max(s, 4 if crit else 3)
            else:
                s = max(s, 2)
        elif cat == "reputation.complaint":
            s = max(s, 2)
        elif cat == "reputation.crisis":
            s = max(s, 3)
        elif cat == "reputation.abuse":
            s = max(s, 3 if role in ("corporate", "employee") else 2)
    return SEV[s]


def main():
    with open(PROFILE, encoding="utf-8") as fh:
        profile = yaml.safe_load(fh)
    errors = []

    def fail(msg):
        errors.append(msg)

    # profile sanity
    pi = profile["public_identifiers"]
    for v in pi["ibans"]:
        if not iban_ok(v):
            fail(f"profile IBAN fails mod-97: {v}")
    public_ibans = {v.replace(" ", "").upper() for v in pi["ibans"]}
    if len(profile["accounts"]["corporate"]) < 6 or len(profile["accounts"]["employee"]) < 8:
        fail("profile needs 6+ corporate and 8+ employee accounts")
    if not 15 <= len(profile["products"]) <= 25:
        fail("profile needs 15-25 products")
    if profile["pricing"]["alert_below_ratio"] != 0.5:
        fail("alert_below_ratio must be 0.5")
    for e in profile["embargo"]:
        if not e["until"].startswith("2027"):
            fail("embargo until must be in 2027")
    for a in CORPORATE:
        if role_of(profile, *a) != "corporate":
            fail(f"not a corporate account in profile: {a}")
    for a in EMPLOYEE:
        if role_of(profile, *a) != "employee":
            fail(f"not an employee account in profile: {a}")

    rng = random.Random(SEED)
    order = list(range(len(CASES)))
    rng.shuffle(order)

    prefix = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
              "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th"}
    lines, seen_ids, seen_texts = [], set(), set()
    for n, idx in enumerate(order, 1):
        cs = CASES[idx]
        platform, handle = cs["acct"]
        role = role_of(profile, platform, handle)
        cats = cs["cats"]
        text = cs["text"]
        if text in seen_texts:
            fail(f"duplicate text: {text[:50]}")
        seen_texts.add(text)
        if cs["acct"] not in CORPORATE + EMPLOYEE and role != "public":
            fail(f"public handle collides with profile: {cs['acct']}")

        # identifier checks
        declared = {(k, re.sub(r"[\s]", "", v).upper()) for k, v in cs["ids"]}
        scanned = {(k, v.upper()) for k, v in scan_ids(text)}
        for k, v in scanned - declared:
            fail(f"undeclared {k} {v} in: {text[:60]}")
        for k, v in declared - scanned:
            fail(f"declared {k} {v} not found in: {text[:60]}")
        checksum_pii = False
        for k, v in declared:
            ok = CHECK[k](v)
            own = k == "iban" and v in public_ibans
            if cats:
                if not ok:
                    fail(f"positive case has {k} failing its checksum: {v}")
                if own:
                    fail(f"positive case relies on the company's own IBAN: {v}")
                if ok and "leak.pii" in cats and not own:
                    checksum_pii = True
            else:
                if ok and not own:
                    fail(f"benign case has {k} passing its checksum: {v}")
            if k == "iban" and v not in norm(text).replace(" ", "").upper():
                fail(f"declared IBAN not in text: {v}")

        sev = severity(cats, role, checksum_pii)
        ts = cs["ts"]
        datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
        if not (ts.startswith("2026") or ts.startswith("2027-0")):
            fail(f"bad created_at {ts}")
        pid = f"{prefix[platform]}-176{n:04d}"
        if pid in seen_ids:
            fail(f"duplicate id {pid}")
        seen_ids.add(pid)
        kind = cs["kind"] or ("reply" if text.startswith("@") else "post")
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": cs["lang"],
            "created_at": ts,
            "brand": "helmgaard",
        }
        lines.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    # embargo sanity: embargo terms in benign posts only after `until`
    for ln in lines:
        t, ts = ln["post"]["text"], ln["post"]["created_at"]
        for e in profile["embargo"]:
            for term in e["terms"]:
                if term.lower() in t.lower():
                    before = ts < e["until"].replace("+00:00", "Z")
                    if before and "leak.confidential" not in ln["expect"]["categories"]:
                        fail(f"embargo term before until without confidential: {t[:50]}")
                    if not before and ln["expect"]["categories"]:
                        pass

    # format check (CONTRACT section 6)
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    allcats = set(CAT.values())
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        if set(ln) != {"post", "expect"}:
            fail("case keys")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                fail(f"missing {f}")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            fail("id")
        if p["platform"] not in platforms or p["kind"] not in kinds:
            fail("platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            fail("handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            fail("text")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= allcats:
            fail("categories")
        if e["severity"] not in SEV:
            fail("severity value")
        if not e["categories"] and e["severity"] != "none":
            fail("benign severity")
        if e["categories"] and e["severity"] in ("none", "info"):
            fail("positive severity")

    # mix
    total = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    counts = {}
    for ln in lines:
        for cat in ln["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    if not 170 <= total <= 180:
        fail(f"case count {total} not in 170-180")
    if not 52 <= benign <= 68:
        fail(f"benign count {benign}")
    if "reputation.spike" in counts:
        fail("spike is never a single-post label")

    with open(OUT, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

    # re-read and validate the written file
    with open(OUT, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    if back != lines:
        fail("round trip mismatch")

    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
    print(f"cases={total} benign={benign} positives={total - benign} nl={nl} en={total - nl}")
    for cat in sorted(counts):
        print(f"  {cat:22s} {counts[cat]}")
    sevc = {}
    for ln in lines:
        sevc[ln["expect"]["severity"]] = sevc.get(ln["expect"]["severity"], 0) + 1
    print("  severities:", {k: sevc.get(k, 0) for k in SEV})
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
