#!/usr/bin/env python3
"""Labelled evaluation set 177 for postwatch: Roltrek Autoservice B.V. (tyres, APK, workshops).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and self-checks it (CONTRACT section 6 shape, checksums of identifiers, severity policy of
section 4 computed from the account role in profile.yaml, embargo/internal-term sanity,
pricing ratios). Exit status 0 only when every check passes.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 177_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- helpers for writing text

def fw(s):
    """Full-width form of ASCII letters/digits (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _tok(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LO = "abcdefghijklmnopqrstuvwxyz"
DG = "0123456789"
AN = UP + LO + DG


def _b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sshkey():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(260))).decode()
    blob = head + body
    return "\n".join(blob[i:i + 70] for i in range(0, len(blob), 70))


TOK = {
    "AWS_ID": "AKIA" + _tok(UP + "234567", 16),
    "AWS_SECRET": _tok(AN + "/+", 40),
    "GLPAT": "glpat-" + _tok(AN + "-_", 20),
    "MOLLIE": "live_" + _tok(AN, 30),
    "SLACK": "xoxb-" + _tok(DG, 12) + "-" + _tok(DG, 13) + "-" + _tok(AN, 24),
    "GMAPS": "AIza" + _tok(AN + "-_", 35),
    "STRIPE": "sk_live_51" + _tok(AN, 32),
    "SSHKEY": _sshkey(),
    "JWT": _b64url({"alg": "HS256", "typ": "JWT"}) + "." + _b64url(
        {"sub": "fvdm-planning", "role": "planner", "branch": "UT-03", "iat": 1767600000, "exp": 1767686400}
    ) + "." + _tok(AN + "-_", 43),
    "OPENAI": "sk-proj-" + _tok(AN + "-_", 48) + "T3BlbkFJ" + _tok(AN + "-_", 20),
    "GHP": "ghp_" + _tok(AN, 36),
    "ANTHROPIC": "sk-ant-api03-" + _tok(AN + "-_", 93) + "AA",
}


def fill(text):
    for k, v in TOK.items():
        text = text.replace("\u00ab" + k + "\u00bb", v)
    return text


CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def case(cats, platform, handle, lang, text, kind="post", at=None, ids=(), price=None):
    """cats: short names; ids: [(kind, text-as-written)] for IBAN/card/BSN look-ups;
    price: (sku, amount) for posts that put a price next to a catalogue product."""
    CASES.append(dict(cats=[CAT[c] for c in cats], platform=platform, handle=handle, lang=lang,
                      text=fill(text), kind=kind, at=at, ids=list(ids), price=price))


# ======================================================================= complaints (public)

case(["complaint"], "x", "@mvdberg_rijdt", "nl",
     "3 weken terug m'n winterbanden in het bandenhotel van @roltrek_nl gelegd en nu zijn ze 'onvindbaar'?? "
     "Hoe raak je in godsnaam 4 banden kwijt 🙄")
case(["complaint"], "x", "@dutchdriver88", "en",
     "Booked an APK slot online at Roltrek Amersfoort for 8:30, turned up, they had zero record of it. "
     "Sat there 2 hrs. Not impressed @roltrek_helpt")
case(["complaint"], "facebook", "AnnekeDeBoer", "nl",
     "Auto opgehaald na de grote beurt: vette handafdruk op mijn lichte bekleding en de radio keihard op een "
     "technozender. Een beetje respect voor andermans auto, Roltrek?", kind="comment")
case(["complaint"], "x", "@hans_in_zwolle", "en",
     "@roltrek_helpt called 4x, got 'we'll call you back' 4x. Nobody ever did. Invoice is still wrong: 86 euro "
     "for a wheel alignment that was never even done", kind="reply", price=("SRV-ALIGN", 86))
case(["complaint"], "reddit", "u/gerbenbouwt", "en",
     "PSA: Roltrek billed me for four TPMS sensors when only one got replaced. I literally had to fish the old "
     "ones out of their bin to prove it. Partial refund after a week of emails. Check your invoice line by "
     "line, people.")
case(["complaint"], "x", "@kimberley_ams", "en",
     "Roltrek online booking is a joke. Picked Saturday, got a confirmation for Tuesday, reason: 'system "
     "error'. I work tuesdays lol")
case(["complaint"], "x", "@wesley010", "nl",
     "Airco-service bij Roltrek gedaan, €99 afgetikt, airco blaast nog steeds lauwe lucht. Top service hoor 👏👏",
     price=("SRV-AIRCO", 99))
case(["complaint"], "forum", "velgenverdriet", "nl",
     "Even mijn ervaring delen. Vorige maand banden laten wisselen bij Roltrek in Zwolle. Bij het ophalen bleek "
     "een velg flink gekrast (lichtmetaal, 2 jaar oud). Medewerker zei 'dat zat er al'. Zat er NIET, ik heb "
     "foto's van daarvoor. Nu al drie weken heen en weer mailen en ze blijven het ontkennen. Iemand tips hoe "
     "ik dit aanpak? Geschillencommissie?")
case(["complaint"], "x", "@sjoerdrijdt", "nl",
     "wtf roltrek, APK afgekeurd op 'remmen', andere garage keek ernaar: niks mis mee. lekker verkooppraatje "
     "jongens")
case(["complaint"], "x", "@petrolhead_nl", "en",
     "@roltrek_helpt my tyre hotel set was meant to be ready Friday. It's Monday. Still 'in transit from the "
     "warehouse'. Driving on summers in sleet. Thanks a lot.", kind="reply")
case(["complaint"], "reddit", "u/zuinigezeeuw", "nl",
     "Roltrek rekent tegenwoordig €12,50 'milieutoeslag' per band, staat nergens op de site. Kwam ik pas achter "
     "bij het afrekenen. Mag dat zomaar?")
case(["complaint"], "bluesky", "@jonnevdm.bsky.social", "en",
     "the roltrek app logged me out mid-booking 3 times and then told me my slot was gone. stellar ux, really")
case(["complaint"], "facebook", "ElsKlaassen", "nl",
     "Beste Roltrek, mijn moeder (78) kreeg bij jullie te horen dat ze 'echt' nieuwe remblokken nodig had, "
     "€139 plus arbeid. Uiteindelijk werd het bijna €400 en niemand heeft haar vooraf een totaalprijs "
     "genoemd. Zo ga je niet met oudere klanten om.")
case(["complaint"], "x", "@ravi_drives", "en",
     "Got my car back after the major service with the service light still on and the oil cap just... sitting "
     "there loose. Had to go back. Second time this year @roltrek_nl")
case(["complaint", "pii"], "x", "@yvonne_b73", "nl",
     "@roltrek_helpt al 5 dagen geen reactie op mijn mail over de dubbele afschrijving. bel me gewoon terug, "
     "06-41827365 (Yvonne)", kind="reply")
case(["complaint", "pii"], "x", "@tomasz_nl", "en",
     "@roltrek_helpt three weeks and still no refund for the cancelled alignment. For the 3rd time: "
     "NL53 ABNA 6728 1074 95, T. Nowak. How hard can it be?", kind="reply",
     ids=[("iban", "NL53 ABNA 6728 1074 95")])
case(["complaint"], "forum", "a12commuter", "en",
     "Roltrek wheel alignment — paid €79, car still pulls left on the A12. Went back, they 'checked' it for "
     "five minutes and blamed the road camber. Seriously?", price=("SRV-ALIGN", 79))
case(["complaint", "pii"], "x", "@ellis_fietst_niet", "en",
     "@roltrek_helpt you charged my card twice for one alignment. 5237 8572 8192 8959, both on 14 Oct. "
     "Please sort it.", kind="reply", ids=[("card", "5237 8572 8192 8959")])

# ======================================================================= crisis (public)

case(["crisis"], "x", "@marjoleinvw", "nl",
     "Roltrek heeft mijn gegevens gelekt!! Vanochtend een phishingmail met mijn kenteken, naam én de datum van "
     "mijn APK-afspraak. Dat weet alleen Roltrek. #datalek")
case(["crisis"], "x", "@dadofthree_nl", "en",
     "Boycott Roltrek. They fitted a tyre from 2017 as 'new' on my wife's car — the DOT code doesn't lie. "
     "Share this. #boycottroltrek")
case(["crisis"], "facebook", "AutoNieuwsNL", "nl",
     "Collectieve claim in de maak tegen Roltrek: een advocatenkantoor zegt honderden meldingen te hebben van "
     "onterecht afgekeurde APK's. De procedure start naar verwachting dit najaar.")
case(["crisis"], "reddit", "u/a28_survivor", "en",
     "Roltrek WinterGrip W7 tread separation at 110 km/h on the A28 — anyone else? Mine delaminated after "
     "8,000 km. Reported it to the RDW. This needs a recall before someone gets killed.")
case(["crisis"], "x", "@ronaldb_ehv", "nl",
     "Wiel eraf gevlogen op de A2, één dag na de bandenwissel bij Roltrek Eindhoven. Niemand gewond, puur "
     "geluk. Dit had dodelijk kunnen aflopen. Politie heeft de melding opgenomen.")
case(["crisis"], "x", "@citizen_eline", "en",
     "Reports going around that Roltrek workshop staff copied customers' dashcam footage and shared it in a "
     "group chat. If true that's disgusting. @roltrek_nl explain yourselves.")
case(["crisis", "complaint"], "tiktok", "@chantal.rijdt", "nl",
     "NIET naar Roltrek gaan!!! 43 km extra op de teller na een 'bandenwissel', ze hebben gewoon een ritje "
     "met mijn auto gemaakt 🤬 #roltrek #schandaal")
case(["crisis"], "linkedin", "sophie-de-lange-journalist", "en",
     "Disturbing: former Roltrek mechanics tell us they were pressured to fail APK inspections to hit "
     "repair-sales targets. If confirmed, this is fraud on a national scale. Full story tomorrow.")
case(["crisis"], "x", "@skibum_gj", "en",
     "Warning: do NOT use Roltrek SnowLock chains. Mine snapped on the first climb in Austria and ripped my "
     "wheel arch open. There needs to be a recall on these.")
case(["crisis"], "x", "@infosec_ramon", "en",
     "Roltrek customer database up for sale on a hacking forum? Screenshot shows names, plates and phone "
     "numbers. Someone please tell me this is fake.")
case(["crisis"], "bluesky", "@mireillek.bsky.social", "en",
     "#BoycottRoltrek is trending after that video of a branch manager screaming at an elderly customer. Not "
     "buying tyres there ever again.")
case(["crisis"], "reddit", "u/tilburgsewijk", "nl",
     "Ik ben er vrij zeker van dat Roltrek Tilburg afgewerkte olie gewoon in het riool loost. Gisteren weer "
     "een regenboogvlek in de sloot achter de werkplaats. Gemeente gemaild, iemand ervaring met de "
     "milieupolitie?")
case(["crisis"], "x", "@dad_in_delft", "en",
     "My 6yo got battery acid on his hand in the Roltrek waiting room. A leaking battery was just standing "
     "next to the coffee machine. Ambulance had to come. How is this even possible?!")
case(["crisis", "abuse"], "x", "@boze_burger", "nl",
     "Roltrek = oplichters. Vuile klootzakken die bejaarden afzetten met nep-reparaties. #boycotroltrek")

# ======================================================================= abuse

case(["abuse"], "x", "@jeffrey_z", "nl", "roltrek kankerbedrijf, nooit meer")
case(["abuse"], "x", "@grumpy_gav", "en",
     "@roltrek_helpt you absolute clowns. useless morons, the lot of you", kind="reply")
case(["abuse", "complaint"], "facebook", "JamesVermeer", "en",
     "That fat idiot at the Roltrek desk in Breda should be sacked, stupid cow couldn't even find my booking "
     "that I made TWICE", kind="comment")
case(["abuse"], "x", "@anoniempje_xx", "nl", "r0ltr3k = 0pl1cht3rs, k@nk3rz00i 🤮")
case(["abuse"], "x", "@echte_nederlander77", "nl",
     "die nieuwe monteur bij Roltrek Almere, ga terug naar je eigen land man. a p e.")
case(["abuse"], "tiktok", "@sem.bandenwissel", "en",
     "lmao this guy tried to explain to ME how to torque a wheel. shut up you brainless muppet and go back "
     "to your lease car", kind="comment")
case(["abuse"], "x", "@femke_planning", "nl",
     "Klant van net noemde me 'dom wijf' omdat z'n banden nog niet uit de opslag waren. Nou meneer uit "
     "Nieuwegein, u bent zelf een ontzettende eikel en een zielig mannetje.")
case(["abuse"], "x", "@dontmesswithme", "en", "Roltrek staff are subhuman scum. Every single one of them.")
case(["abuse"], "instagram", "@bartjuh_1990", "nl",
     "🤡🤡 @roltrek.nl stelletje prutsers en " + fw("tyfuslijers"), kind="comment")
case(["abuse"], "x", "@no_more_nice_guy", "en",
     "I know which Roltrek guy did my car and I know where he parks. He'd better watch his back.")

# ======================================================================= personal data

case(["pii"], "x", "@roltrek_helpt", "nl",
     "@pvanderlaan Dag Peter, de terugbetaling van €186,40 is vandaag overgemaakt naar NL80 INGB 5736 1384 91 "
     "t.n.v. P. van der Laan. Excuses voor het lange wachten!", kind="reply",
     ids=[("iban", "NL80 INGB 5736 1384 91")])
case(["pii"], "bluesky", "@noorjansma.bsky.social", "nl",
     "Contract ligt klaar voor Daan Smit 🎉 BSN 182735552, start 1 mei als monteur in Utrecht. Welkom Daan!",
     ids=[("bsn", "182735552")])
case(["pii"], "facebook", "RoltrekNL", "nl",
     "Gevonden in onze vestiging Amersfoort: een portemonnee van R. Oosterhuis, Kerkstraat 14, 3811 CN "
     "Amersfoort. Ophalen kan aan de balie!")
case(["pii"], "instagram", "@joris.sleutelt", "nl",
     "klant laat z'n creditcard gewoon op het dashboard liggen 🙈 4738 3176 4223 7126 exp 09/28. mensen toch",
     ids=[("card", "4738 3176 4223 7126")])
case(["pii"], "x", "@roltrek_helpt", "nl",
     "@trudy_w Hoi Trudy, we zien je afspraak op 12 mei staan onder t.dijkstra77@hotmail.com en 0618273645. "
     "Klopt dat nog?", kind="reply")
case(["pii"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Debugging our booking export today and found the culprit row: 'Mark Jennings; mark.jennings@outlook.com; "
     "+31 6 2847 1936; NL10TRIO3768211044'. The semicolon in the street name broke the parser. Fixed! #dataengineering",
     ids=[("iban", "NL10TRIO3768211044")])
case(["pii", "abuse"], "x", "@wraakengel_h", "nl",
     "Die Roltrek-monteur die m'n auto verknald heeft heet Kevin Brink en woont op de Lindelaan 22 in Houten. "
     "Ga maar eens langs bij die prutser.")
case(["pii"], "x", "@sannewouters", "nl",
     "@roltrek_helpt voor de verificatie: Sanne Wouters, geboren 03-07-1985, kenteken staat in de DM 👍",
     kind="reply")
case(["pii"], "instagram", "@roltrek.nl", "nl",
     "De winnaar van onze winteractie is Lotte Verbeek uit Zeist! 🎉 Lotte, we mailen je op "
     "lotte.verbeek@gmail.com over je gratis set WinterGrip W7's.")
case(["pii"], "mastodon", "@kvdlinden", "nl",
     "Weer eens testen met productiedata 🙄 eerste record in de acceptatie-omgeving: W. de Graaf, geb. "
     "22-11-1961, BSN 822278753. Wie heeft dit goedgekeurd?", ids=[("bsn", "822278753")])
case(["pii"], "x", "@basmonteur_rt", "nl",
     "Wie kent de eigenaar van de blauwe Golf voor onze werkplaatsdeur? Henk heet ie, bel 'm even: "
     "+31 (0)6 3918 2746. We kunnen er niet uit 😅")
case(["pii"], "x", "@leidsevondst", "en",
     "Found a Roltrek invoice on the pavement near the station. Says Mr. J. van Rijn, Breestraat 88, 2311 CS "
     "Leiden, phone 071 514 2287. Anyone know him?")
case(["pii"], "reddit", "u/ruud_vestigingsleider", "en",
     "Customer left a passport in the glovebox at our Ede branch. Passport no. NXK7P4R21, name Lars Mulder. "
     "Lars, if you read this, come get it!")

# ======================================================================= confidential

case(["confidential"], "linkedin", "erik-de-wit-roltrek", "en",
     "Intense but energising board session today on Zilverreiger. Exciting times ahead for Roltrek — more "
     "when we can share it!")
case(["confidential"], "x", "@femke_planning", "nl",
     "weet iemand waar het verlofformulier staat op intranet.roltrek.local? kan het echt nergens vinden")
case(["confidential"], "instagram", "@roltrek.nl", "nl",
     "Binnenkort in alle vestigingen: de nieuwe WinterGrip W9 ❄️ [RT-INTERN: niet posten voor akkoord legal]")
case(["confidential", "financial"], "x", "@basmonteur_rt", "nl",
     "De slides van vandaag hadden letterlijk 'niet extern delen' op elke pagina maar ik moet dit kwijt: "
     "we sluiten de 14 kleinste vestigingen voor de zomer")
case(["confidential"], "linkedin", "marloes-kuipers-rt", "nl",
     "Laatste controles van de jaarcijfers 2026 zijn bijna klaar. Ik ben trots op dit team 💪",
     at="2027-02-10T16:42:00Z")
case(["confidential"], "x", "@roltrek_nl", "nl",
     "Nieuw: BandenFlex! Nooit meer zelf banden kopen, gewoon een vast bedrag per maand. Binnenkort in je "
     "vestiging.", at="2026-11-20T09:15:00Z")
case(["confidential", "financial"], "x", "@limburgse_jan", "nl",
     "Kennis van me werkt bij Roltrek. 'Operatie Ventielkap' betekent dat ze de helft van de vestigingen in "
     "Limburg dichtgooien. Je leest het hier eerst.")
case(["confidential"], "x", "@lindavdheuvel", "nl",
     "Z\u0456lv\u0435rr\u0435ig\u0435r gaat door 🎉🎉 eindelijk, maanden aan gewerkt")
case(["confidential"], "instagram", "@joris.sleutelt", "nl",
     fw("roltrek confidential") + " — kijk in m'n story voor de nieuwe werkplaatstarieven van 2027 🤐")
case(["confidential"], "mastodon", "@kvdlinden", "en",
     "Spent the whole day in jira.roltrek.nl closing tickets for the Loopvlak pilot. RT-4412 was a beast.")
case(["confidential"], "linkedin", "erik-de-wit-roltrek", "en",
     "Under NDA so I can't say much, but the tyre subscription we're launching in January will change how "
     "the Netherlands buys tyres. Watch this space.", at="2026-10-08T07:55:00Z")
case(["confidential"], "tiktok", "@sem.bandenwissel", "nl",
     "POV: je mag de nieuwe huismerk-winterband al testen terwijl die pas volgend seizoen in de winkel ligt 👀 "
     "naam is nog geheim maar hij heet iets met Arctic")
case(["confidential"], "reddit", "u/ruud_vestigingsleider", "en",
     "Someone asked why our prices jump in spring. Honestly the real numbers are in "
     "gitlab.roltrek.nl/pricing/tarieven-2027 and even I can't change them.")
case(["confidential"], "x", "@curious_cousin", "en",
     "My cousin at Roltrek showed me the Project Loopvlak slides. They're basically turning into a lease "
     "company for tyres lol")
case(["confidential", "financial"], "x", "@lindavdheuvel", "en",
     "FY2026 results look way better than the analysts expect. Can't wait for March 4th 😉",
     at="2027-02-25T20:03:00Z")
case(["confidential"], "linkedin", "roltrek-autoservice", "nl",
     "Morgen is het zover: we lanceren Roltrek Flex, het eerste bandenabonnement van Nederland. Stay tuned!",
     at="2027-01-18T10:30:00Z")

# ======================================================================= financial

case(["financial"], "linkedin", "marloes-kuipers-rt", "nl",
     "Q3 omzet +18% ten opzichte van vorig jaar en de EBITDA-marge gaat naar 11,2%. Officieel komen de cijfers "
     "pas in november naar buiten, maar wat een kwartaal 🙌")
case(["financial"], "bluesky", "@noorjansma.bsky.social", "en",
     "Hardest week of my career. Next Tuesday 230 people at head office find out their role is gone and I'm "
     "not allowed to say a word yet.")
case(["financial"], "linkedin", "erik-de-wit-roltrek", "en",
     "Big things coming: we're in the final round of talks to take over a Belgian tyre chain with 40 sites. "
     "Signing planned for next week.")
case(["financial"], "x", "@stonks_nl", "en",
     "hearing from a friend inside Roltrek that a private equity fund is buying them, deal closes Q1. "
     "bonds cheap right now 👀")
case(["financial"], "x", "@lindavdheuvel", "nl",
     "Budget 2027 is rond: marketing -35%, werkplaatsen +12 fte, forecast omzet €412 mln. Niet verder "
     "vertellen 😅")
case(["financial"], "reddit", "u/ruud_vestigingsleider", "en",
     "Reorg announced internally today: regional managers go from 9 to 4 and the Friesland stores get merged. "
     "Feels bad man.")
case(["financial"], "x", "@basmonteur_rt", "nl",
     "we halen de jaarprognose niet, CFO zei vandaag in de townhall dat we zo'n €6 mln onder budget zitten. "
     "aandeelhouders weten nog van niks")
case(["financial"], "linkedin", "erik-de-wit-roltrek", "en",
     "Proud to share early: on 12 March we announce our merger with a German service chain, making us #2 in "
     "the Benelux. Can't say more yet!")
case(["financial"], "tiktok", "@sem.bandenwissel", "nl",
     "o n t s l a g e n bij de klantenservice, 40 man. maandag wordt het officieel, nu weet je het")

# ======================================================================= security

case(["security"], "mastodon", "@kvdlinden", "nl",
     "Ransomware op de planningsservers sinds vannacht 3 uur, alle vestigingen werken op papier. Er is nog "
     "niks naar buiten gecommuniceerd dus ssst")
case(["security", "confidential"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Our booking API at planning-api.roltrek.internal has had an IDOR for months: change the booking id and "
     "you see anyone's appointment. Reported it twice, nobody cares.")
case(["security"], "x", "@femke_planning", "nl",
     "Kassa's liggen landelijk plat, pinnen werkt in geen enkele vestiging. Hoofdkantoor wil niet dat we het "
     "zeggen maar ja")
case(["security"], "reddit", "u/ruud_vestigingsleider", "en",
     "someone got into the tyre hotel admin panel last week using a default password. we're still figuring "
     "out what they took. customers haven't been told")
case(["security"], "bluesky", "@noorjansma.bsky.social", "nl",
     "Leuk weekendje gehad: door één phishingmail zijn 3 accounts van de klantenservice overgenomen. "
     "Wachtwoorden gereset, klanten weten nog van niks.")
case(["security", "crisis"], "x", "@sec_watcher_nl", "en",
     "Friend in Roltrek IT says their customer DB sat on an open S3 bucket for a week and they're keeping "
     "quiet. If you've had your tyres done there, assume your data is out.")
case(["security"], "mastodon", "@kvdlinden", "en",
     "PSA to colleagues: the workshop tablets still run unpatched Android 9 and anyone on the guest wifi can "
     "reach them. Ticket open since March.")
case(["security"], "tiktok", "@sem.bandenwissel", "nl",
     "achter de schermen: onze online agenda ligt er al 6 uur uit en we mogen niks zeggen 🙃 dus als je niet "
     "kan boeken, dáárom")
case(["security"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Found a nasty one in our own web shop: the coupon endpoint doesn't check ownership, so you can redeem "
     "anyone's discount code. Patch ETA: unknown.")
case(["security"], "x", "@lindavdheuvel", "nl",
     "data\u200blek bij ons in de bandenhotel-database, ongeveer 18k klantrecords, intern bevestigd. "
     "persbericht komt pas volgende week")
case(["security"], "linkedin", "erik-de-wit-roltrek", "en",
     "Found out this morning that backups of our customer system have been failing for three weeks. If "
     "anything crashes now, it's all gone. Outside IT nobody knows yet.")
case(["security"], "reddit", "u/ruud_vestigingsleider", "en",
     "we had a DDoS on afspraak.roltrek.nl all weekend, marketing is calling it 'scheduled maintenance'")
case(["security"], "x", "@basmonteur_rt", "nl",
     "Nieuwe collega heeft per ongeluk een Excel met alle klantgegevens van regio Oost naar een extern adres "
     "gemaild. IT weet ervan, verder nog niemand.")

# ======================================================================= secrets

case(["secret"], "mastodon", "@kvdlinden", "nl",
     "waarom pakt de CLI dit niet?? export AWS_ACCESS_KEY_ID=«AWS_ID» export "
     "AWS_SECRET_ACCESS_KEY=«AWS_SECRET» en toch AccessDenied")
case(["secret"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Finally fixed our CI 🎉 For anyone stuck on the same thing, the trick was setting "
     "GITLAB_TOKEN=«GLPAT» as a runner variable instead of in the job.")
case(["secret"], "x", "@femke_planning", "nl",
     "kan iemand van IT kijken? de betaalpagina geeft error 401 met key «MOLLIE», klanten kunnen niet "
     "afrekenen")
case(["secret"], "x", "@lindavdheuvel", "en",
     "our slack bot for the campaign channel finally works 🥳 token «SLACK» if anyone wants to play with it")
case(["secret"], "instagram", "@joris.sleutelt", "nl",
     "wifi van de werkplaats is weer veranderd, wachtwoord: Bandenwissel#2026! (niet aan klanten geven haha)")
case(["secret", "confidential"], "mastodon", "@kvdlinden", "en",
     "postgres://rt_admin:Zomerband2026!@db01.roltrek.local:5432/bookings works locally but times out in "
     "prod. any ideas?")
case(["secret"], "x", "@bugbounty_bas", "en",
     "lol Roltrek's booking page ships a Google key «GMAPS» and a Stripe «STRIPE» in plain JS. who did this")
case(["secret"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Is this the right format for the deploy box or do I need PEM?\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
     "«SSHKEY»\n-----END OPENSSH PRIVATE KEY-----")
case(["secret"], "x", "@femke_planning", "nl",
     "token verloopt steeds na een uur, dit is m'n header: Authorization: Bearer «JWT» iemand?")
case(["secret"], "x", "@lindavdheuvel", "nl",
     "Zelf een chatbotje gebouwd voor de bandenadviespagina!! const client = new OpenAI({ apiKey: "
     "'«OPENAI»' }) en gaan 🚀")
case(["secret"], "mastodon", "@kvdlinden", "en",
     "git clone https://«GHP»@github.com/roltrek/booking-app.git suddenly returns 403, anyone else?")
case(["secret"], "bluesky", "@noorjansma.bsky.social", "en",
     "trying to automate our vacancy texts. ANTHROPIC_API_KEY=«ANTHROPIC» is in the .env so why is it still "
     "401 😩")
case(["secret"], "tiktok", "@sem.bandenwissel", "nl",
     "voor de nieuwe jongens: inlog bandenhotel-beheer → user: beheer / ww: Hotel2026!Rt ✌️")

# ======================================================================= pricing

case(["pricing"], "x", "@roltrek_nl", "nl",
     "🔥 Deze week: Roltrek AllSeason 4 205/55 R16 voor maar €19,00 per band! Alleen online.",
     price=("RT-ALL4-16", 19.00))
case(["pricing"], "instagram", "@roltrek.nl", "nl",
     "Grote onderhoudsbeurt nu voor €29! 🚗 Boek via de link in bio.", price=("SRV-GB", 29))
case(["pricing"], "x", "@lindavdheuvel", "nl",
     "oeps, prijsfout op de site: de WinterGrip W7 staat op €10,90 😂 marketing is aan het rennen",
     price=("RT-WG7-16", 10.90))
case(["pricing"], "x", "@dealhunter_nl", "en",
     "Roltrek site has the Accu Start 70Ah for €15.90 right now, go go go", price=("RT-ACCU70", 15.90))
case(["pricing"], "x", "@zuinig_zijn", "nl",
     "Bandenhotel voor €6,90 per seizoen?? Typfout denk ik, maar ik heb 'm mooi wel geboekt 😇",
     price=("SRV-HOTEL", 6.90))
case(["pricing"], "facebook", "RoltrekNL", "nl",
     "Deze maand: APK-keuring voor €9,95 in alle vestigingen!", price=("SRV-APK", 9.95))
case(["pricing"], "linkedin", "ahmed-bouzid-roltrek", "en",
     "Heads up team: pricing error in the webshop, SummerRun S3 shows €12.90 instead of €129. Orders are "
     "pouring in.", price=("RT-SR3-17", 12.90))
case(["pricing"], "reddit", "u/kortingskoning", "en",
     "Roltrek price glitch: Velg Aero 17 at €18.90 each. Ordered four, let's see if they honour it",
     price=("RT-AERO17", 18.90))
case(["pricing"], "tiktok", "@roltrek_werkplaats", "nl",
     "airco service voor €25 🥶 alleen deze week!", price=("SRV-AIRCO", 25))
case(["pricing"], "x", "@femke_planning", "nl",
     "Prijsfout bij de remblokset vandaag, iemand had een komma verschoven. Al 60 bestellingen binnen 😬")
case(["pricing"], "x", "@bargain_bram", "en",
     "TPMS sensor for €5.40 on roltrek.nl lmao, add to cart x4", price=("RT-TPMS", 5.40))
case(["pricing"], "facebook", "RoltrekNL", "nl",
     "Ondernemers opgelet 🚐 Cargo V5 bestelbusband nu €14,90 per stuk!", price=("RT-CV5-16C", 14.90))

# ======================================================================= benign (hard negatives)

case([], "x", "@haarlem_hannah", "en",
     "Shoutout to the Roltrek crew in Haarlem who stayed late to fix my flat before my trip. Legends.")
case([], "x", "@roltrek_helpt", "nl",
     "Vragen over je afspraak? Mail klantenservice@roltrek.nl of bel gratis 0800-7658, ma t/m za van 8 tot 18 uur.")
case([], "facebook", "RoltrekNL", "nl",
     "Liever overmaken? Gebruik NL42 RABO 2143 5505 01 t.n.v. Roltrek Autoservice B.V. en vermeld je factuurnummer.")
case([], "x", "@rimrescue", "en",
     "Update: Roltrek paid for my scratched rim after all and apologised properly. So it can be done 👍")
case([], "x", "@ellis_drives", "en",
     "Edit: @roltrek_helpt called me back within the hour and refunded the double charge. Credit where it's due.")
case([], "facebook", "RoltrekNL", "nl",
     "Onze gedachten zijn bij de collega's van het autobedrijf in Deventer na de brand van vannacht. Kunnen we "
     "helpen, laat het weten.")
case([], "x", "@ondernemer_op_de_weg", "nl",
     "Lees net dat een grote Duitse bandenketen 300 banen schrapt. Hopelijk blijft het bij Roltrek rustig.")
case([], "reddit", "u/smallgaragefan", "en",
     "Interesting: a UK tyre retailer got fined over a data breach last year. One more reason I like my local "
     "Roltrek branch, they barely ask for anything.")
case([], "x", "@factuurvraag", "nl",
     "Op mijn factuur staat NL12RABO0123456780, maar op de site een ander nummer. Welke klopt? @roltrek_helpt",
     kind="reply", ids=[("iban", "NL12RABO0123456780")])
case([], "x", "@klantnr_kees", "nl",
     "Mijn klantnummer bij Roltrek is 4921 8830 1274 5520, krijg ik daarmee ook korting met de Bandenpas?",
     ids=[("card", "4921 8830 1274 5520")])
case([], "x", "@campertante", "nl",
     "Afspraaknummer 274819365, gaat de APK morgen om 9 uur gewoon door met dit weer?",
     ids=[("bsn", "274819365")])
case([], "linkedin", "ahmed-bouzid-roltrek", "nl",
     "Tip voor devs: zet nooit echte keys in je README. Gebruik placeholders als AKIAIOSFODNN7EXAMPLE of "
     "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX en laat je secret scanner de rest doen.")
case([], "mastodon", "@devops_dina", "en",
     "Good practice: mask tokens in your logs like ghp_****************************9f. Saw a garage booking "
     "app do this properly today, respect.")
case([], "linkedin", "marloes-kuipers-rt", "nl",
     "Vandaag publiceerden we de jaarcijfers 2026: omzet €388 mln, +9%. Trots op alle 2.400 collega's!",
     at="2027-03-04T07:30:00Z")
case([], "x", "@roltrek_nl", "nl",
     "BandenFlex is er! Altijd goede banden voor een vast bedrag per maand. Alles over Roltrek Flex op "
     "roltrek.nl/flex", at="2027-01-19T08:00:00Z")
case([], "x", "@beursbrabant", "en",
     "Roltrek's FY2026 results came in solid, revenue up 9%. Not bad for a tyre shop.",
     at="2027-03-06T12:10:00Z")
case([], "facebook", "PietHeijerBanden", "nl",
     "Twee weken BandenFlex van Roltrek en ik snap niet dat dit niet eerder bestond. Aanrader.",
     kind="comment", at="2027-02-03T18:20:00Z")
case([], "x", "@profielcheck", "nl",
     "Check je loopvlak! Minder dan 1,6 mm profiel = boete en gevaarlijk. Bij twijfel even langs een Roltrek.")
case([], "x", "@mopperkont_ede", "nl",
     "Wie steelt er nou ventielkapjes?! Alle 4 weg. Gelukkig kreeg ik bij Roltrek gratis een nieuw setje.")
case([], "x", "@camper_couple", "en", "Does Roltrek do the APK for campervans too? Roughly how long does it take?")
case([], "reddit", "u/newtoNL_driver", "en",
     "Does the Roltrek tyre hotel also store the rims, or only the tyres themselves?")
case([], "x", "@roltrek_helpt", "nl",
     "Let op: er gaan phishingmails rond uit naam van Roltrek. Wij vragen nooit om je wachtwoord of pincode. "
     "Twijfel je? Stuur de mail door naar security@roltrek.nl")
case([], "linkedin", "roltrek-autoservice", "en",
     "Our team will never ask for your password by phone or text. Report anything suspicious to "
     "security@roltrek.nl, we read every message.")
case([], "facebook", "GerdaPost", "en",
     "The mechanic at Roltrek calmly explained why my brake pads were still fine. No upselling at all. "
     "That's how it should be.", kind="comment")
case([], "bluesky", "@winterblues.bsky.social", "en",
     "This cold snap is killing me but Roltrek absolutely smashed it, in and out in 25 minutes")
case([], "x", "@pech_op_a27", "nl",
     "Kut, lekke band op de A27. Gelukkig zat er een Roltrek vlak bij de afslag, binnen een uur reed ik weer.")
case([], "x", "@autotips_nl", "nl",
     "Terugroepactie bij een automerk voor airbags: check je chassisnummer bij de RDW. Daar kan Roltrek je "
     "niet mee helpen trouwens, dat gaat via de dealer.")
case([], "x", "@basmonteur_rt", "nl",
     "64 bandenwissels vandaag. Armen van spaghetti, maar trots op het team 💪")
case([], "linkedin", "ahmed-bouzid-roltrek", "en",
     "We're hiring! Backend developer for our booking platform, Utrecht or hybrid. Apply via werkenbij@roltrek.nl")
case([], "x", "@roltrek_nl", "nl",
     "Vanaf 15 oktober wisselen we weer winterbanden. Plan je afspraak op afspraak.roltrek.nl ❄️")
case([], "instagram", "@roltrek.nl", "en",
     "Tyre hotel pickup hours have changed: Mon–Sat 8:00–18:00. Questions? bandenhotel@roltrek.nl")
case([], "x", "@snel_geholpen", "nl",
     "Tip: bel gewoon +31 30 799 4410, daar namen ze bij mij direct op en was het in 2 minuten geregeld.")
case([], "x", "@winterklaar", "nl",
     "Winter is coming ❄️ WinterGrip W7 laten monteren, €109 per stuk vind ik netjes voor wat je krijgt.",
     price=("RT-WG7-16", 109))
case([], "x", "@roltrek_nl", "en",
     "Spring sale! 20% off the SummerRun S3, now €103.20 per tyre. Fitting included.",
     price=("RT-SR3-17", 103.20))
case([], "reddit", "u/tyre_ponderer", "en",
     "Is the AllSeason 4 worth €119 a tyre or should I go premium? Mostly city driving, some motorway.",
     price=("RT-ALL4-16", 119))
case([], "x", "@roltrek_nl", "nl",
     "Winteractie: WinterGrip W7 nu €89 (normaal €109), inclusief montage en balanceren.",
     price=("RT-WG7-16", 89))
case([], "facebook", "RoltrekNL", "nl", "APK-keuring €39,95, ook op zaterdag en zonder afspraak in de meeste vestigingen.",
     price=("SRV-APK", 39.95))
case([], "x", "@rekenmeester", "nl",
     "Grote beurt bij Roltrek €299, bij de dealer €540. Die keuze is snel gemaakt.", price=("SRV-GB", 299))
case([], "instagram", "@roltrek.nl", "en",
     "Black Friday: 25% off Velg Aero 17 rims — €141.75 each, this weekend only 🖤", price=("RT-AERO17", 141.75))
case([], "bluesky", "@commuter_kim.bsky.social", "en",
     "Not sponsored, but the Roltrek tyre hotel is the best €69 I spend every year.", price=("SRV-HOTEL", 69))
case([], "x", "@accu_leeg", "en",
     "Paid €159 for the Accu Start 70Ah, fitted in ten minutes on a Sunday. Fair.", price=("RT-ACCU70", 159))
case([], "tiktok", "@roltrek_werkplaats", "nl",
     "SnowLock sneeuwkettingen in 30 seconden omleggen? Zo doe je dat 👇 #wintersport #roltrek")
case([], "x", "@fanvanleetspeak", "nl", "r0ltr3k 4 l1f3 🔧🔥 beste garage van Utrecht")
case([], "linkedin", "roltrek-autoservice", "nl",
     "Trots op onze 25 leerling-monteurs die vandaag hun diploma kregen 🎓 Op naar de werkplaats!")
case([], "linkedin", "marloes-kuipers-rt", "nl",
     "Interessante sessie over IFRS 16 vandaag. Lease-accounting blijft een puzzel, ook na tien jaar.")
case([], "mastodon", "@kvdlinden", "en",
     "Great meetup talk on rotating secrets and using a vault instead of .env files. Stealing half of these "
     "ideas for my homelab.")
case([], "x", "@gym_grumbles", "en",
     "Got a data breach notice from my gym 🙄 not from Roltrek thankfully, all they know is my number plate.")
case([], "x", "@groningen_rijdt", "en",
     "Roltrek reopened its Groningen branch after the renovation. Looks great inside, proper waiting lounge now.")
case([], "x", "@nl_business_wire", "en",
     "Tyre prices in NL set to rise on costlier rubber. Roltrek says it will keep its prices flat for now.")
case([], "x", "@roltrek_helpt", "nl",
     "@jeroen_k Wat vervelend! Stuur je ons een DM met je afspraaknummer? Dan zoeken we het meteen voor je uit.",
     kind="reply")
case([], "facebook", "RoltrekNL", "nl",
     "Vul bij het boeken je e-mailadres in als naam@voorbeeld.nl, zonder spaties, anders komt de bevestiging niet aan.")
case([], "x", "@roltrek_helpt", "nl",
     "@lisa_m Je terugbetaling is verwerkt naar NL** **** **** **** 12. Fijne dag nog!", kind="reply")
case([], "x", "@oldtimer_olaf", "en",
     "My car was first registered 14-03-2009 and not a single APK drama in all those years 🙌")
case([], "facebook", "RoltrekNL", "nl",
     "Nieuwe vestiging geopend: Industrieweg 12, 3542 AD Utrecht. Welkom, kom gerust langs voor een bakje koffie!")
case([], "youtube", "@bandenbert", "en",
     "Just watched RoltrekTV's video on checking tyre pressure. Genuinely useful, subscribed.", kind="comment")
case([], "reddit", "u/expat_in_ede", "en",
     "Do I need to bring anything to Roltrek for the APK? Can't recall if they want the registration papers.")
case([], "bluesky", "@eerste_vorst.bsky.social", "en",
     "Feel for the Roltrek staff dealing with the first-frost rush. Queue out the door but everyone was friendly.")
case([], "youtube", "RoltrekTV", "nl",
     "Nieuwe video: zo controleer je zelf je bandenspanning en profieldiepte in 3 minuten. Link in de beschrijving.")
case([], "x", "@benieuwde_bea", "nl",
     "Heeft Roltrek Zwolle een eigen nummer of alleen 0800-7658? Wil even vragen of ze ook fietsendragers monteren.")


# ======================================================================= build

RANK = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = re.sub(r"\D", "", s)
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d[0] == "0":
        return False
    return sum(int(c) * w for c, w in zip(d, [9, 8, 7, 6, 5, 4, 3, 2, -1])) % 11 == 0


VALID = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсіухкмтн", "aeopcixykmth")


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).translate(CYR)


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def scan_checksum_ids(text):
    """Every IBAN / card / BSN in the text that passes its checksum (public IBANs excluded)."""
    t = norm(text)
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", t):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(("iban", s))
    for m in re.finditer(r"(?<![\w*-])\d(?:[ \-]?\d){8,18}(?![\w*-])", t):
        d = re.sub(r"\D", "", m.group())
        if len(d) == 9 and bsn_ok(d):
            found.append(("bsn", d))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    return found


SECRET_PATTERNS = [
    r"AKIA[A-Z0-9]{16}", r"glpat-[\w-]{20}", r"\blive_[A-Za-z0-9]{30}\b", r"xox[abp]-\d+-\d+-\w+",
    r"AIza[\w-]{35}", r"sk_live_[A-Za-z0-9]{20,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"sk-proj-[\w-]{40,}", r"ghp_[A-Za-z0-9]{36}",
    r"sk-ant-api03-[\w-]{80,}", r"\w+://[^\s:/]+:[^\s@]+@", r"(?i)\b(?:wachtwoord|ww|password)\s*:\s*\S+",
]
SAMPLE_SECRETS = ["AKIAIOSFODNN7EXAMPLE"]


def secret_hits(text):
    hits = []
    for p in SECRET_PATTERNS:
        for m in re.finditer(p, text):
            v = m.group()
            if v in SAMPLE_SECRETS or re.fullmatch(r"sk_live_X+", v):
                continue
            hits.append(v)
    return hits


PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}


def product_names(p):
    return [p["name"]] + list(p["aliases"])


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro\b", re.I)


def prices_in(text):
    out = []
    for m in PRICE_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        out.append(float(raw.replace(",", ".")))
    return out


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def random_ts():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc).timestamp()
    end = datetime(2026, 12, 30, tzinfo=timezone.utc).timestamp()
    t = datetime.fromtimestamp(rng.uniform(start, end), tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def severity_for(cats, role, checksum_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii)
                v = "critical" if crit else "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        sev = max(sev, v, key=RANK.index)
    return sev


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for n, i in enumerate(order):
        c = CASES[i]
        while True:
            if c["platform"] == "x":
                pid = str(rng.randrange(10 ** 18, 2 * 10 ** 18))
            else:
                pid = f"{c['platform']}-{rng.randrange(16 ** 10):010x}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        checksum_pii = bool(scan_checksum_ids(c["text"]))
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "created_at": c["at"] or random_ts(),
            "brand": "roltrek",
        }
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{pid}"
        cats = sorted(set(c["cats"]))
        rec = {"post": post,
               "expect": {"categories": cats, "severity": severity_for(cats, role, checksum_pii)}}
        lines.append((rec, c, role))
    return lines


# ======================================================================= self-check

def check(lines):
    errs = []
    emb = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                + PROFILE["internal"]["domains"]]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    ids_seen = set()
    for rec, c, role in lines:
        p, e = rec["post"], rec["expect"]
        pid = p["id"]
        tag = f"{pid} ({p['text'][:40]!r})"
        # --- CONTRACT section 6 shape
        if set(rec) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            errs.append(f"{tag}: bad keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errs.append(f"{tag}: bad id")
        if (p["platform"], pid) in ids_seen:
            errs.append(f"{tag}: duplicate id")
        ids_seen.add((p["platform"], pid))
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(f"{tag}: bad platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{tag}: bad handle")
        if not isinstance(p["text"], str) or not p["text"].strip() or len(p["text"].encode()) > 65536:
            errs.append(f"{tag}: bad text")
        if "\u00ab" in p["text"] or "\u00bb" in p["text"]:
            errs.append(f"{tag}: unfilled placeholder")
        try:
            ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        except ValueError:
            errs.append(f"{tag}: bad created_at")
            continue
        if ts.year not in (2026, 2027):
            errs.append(f"{tag}: created_at outside 2026/2027")
        if not set(e["categories"]) <= CATEGORIES or e["categories"] != sorted(set(e["categories"])):
            errs.append(f"{tag}: bad categories")
        if e["severity"] not in RANK:
            errs.append(f"{tag}: bad severity")
        benign = not e["categories"]
        if benign and e["severity"] != "none":
            errs.append(f"{tag}: benign with severity")
        if not benign and RANK.index(e["severity"]) < RANK.index("warning"):
            errs.append(f"{tag}: positive below warning")
        # --- severity recomputed independently from the role in the profile
        cats = e["categories"]
        valid_ids = scan_checksum_ids(p["text"])
        want = "none"
        for cat in cats:
            if cat.startswith("leak."):
                if role == "public":
                    v = "warning"
                elif cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and valid_ids):
                    v = "critical"
                else:
                    v = "error"
            else:
                v = {"reputation.complaint": "warning", "reputation.crisis": "error",
                     "reputation.abuse": "warning" if role == "public" else "error"}[cat]
            want = max(want, v, key=RANK.index)
        if want != e["severity"]:
            errs.append(f"{tag}: severity {e['severity']} != {want}")
        # --- identifiers and checksums
        text_n = norm(p["text"])
        for kind, s in c["ids"]:
            if s not in p["text"]:
                errs.append(f"{tag}: annotated {kind} {s} not in text")
            ok = VALID[kind](s)
            if "leak.pii" in cats and not ok:
                errs.append(f"{tag}: {kind} {s} fails checksum in a positive")
            if "leak.pii" not in cats and ok:
                errs.append(f"{tag}: {kind} {s} passes checksum in a negative")
        annotated_valid = {(k, re.sub(r"[\s-]", "", s)) for k, s in c["ids"] if VALID[k](s)}
        if set(valid_ids) != annotated_valid:
            errs.append(f"{tag}: checksum-valid ids {valid_ids} != annotated {annotated_valid}")
        if valid_ids and "leak.pii" not in cats:
            errs.append(f"{tag}: valid identifier in a post without leak.pii")
        # --- secrets
        hits = secret_hits(text_n)
        if "leak.secret" in cats and not hits:
            errs.append(f"{tag}: secret case without a credential")
        if "leak.secret" not in cats and hits:
            errs.append(f"{tag}: credential-looking text {hits} in a non-secret case")
        # --- e-mail addresses
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text_n):
            addr = m.group().lower()
            if addr.startswith("@") or "/" in addr:
                continue
            if addr in pub_emails:
                if "leak.pii" in cats and len(re.findall(r"[\w.+-]+@[\w-]+\.", text_n)) == 1:
                    errs.append(f"{tag}: only a public e-mail in a pii case")
                continue
            if addr.endswith("@voorbeeld.nl") or addr.endswith("@github.com") or addr.endswith(".roltrek.local:5432"):
                continue
            if benign:
                errs.append(f"{tag}: private e-mail {addr} in a benign post")
        # --- embargo
        low = text_n.lower()
        for term, until in emb:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{tag}: embargoed term {term!r} before until without leak.confidential")
                if benign and ts < until:
                    errs.append(f"{tag}: benign post with embargoed term before until")
        # --- internal terms never in benign posts
        if benign:
            for t in internal:
                if t in low:
                    errs.append(f"{tag}: internal term {t!r} in benign post")
        # --- pricing
        if c["price"]:
            sku, amount = c["price"]
            prod = PRODUCTS[sku]
            if not any(nm.lower() in low for nm in product_names(prod)):
                errs.append(f"{tag}: product {sku} not named in text")
            if not any(abs(x - amount) < 0.005 for x in prices_in(text_n)):
                errs.append(f"{tag}: price {amount} not in text")
            below = amount < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]
            if ("leak.pricing" in cats) != below:
                errs.append(f"{tag}: pricing label vs ratio {amount}/{prod['list_price']}")
        elif "leak.pricing" in cats:
            if not re.search(r"prijsfout|price error|pricing error|price glitch", low):
                errs.append(f"{tag}: pricing case without price or price-error talk")
            if not any(nm.lower() in low for pr in PRODUCTS.values() for nm in product_names(pr)):
                errs.append(f"{tag}: pricing case without a product")
        if "leak.pricing" not in cats:
            # no product from the catalogue next to a price below the alert ratio
            for pr in PRODUCTS.values():
                if any(nm.lower() in low for nm in product_names(pr)):
                    for x in prices_in(text_n):
                        if x < PROFILE["pricing"]["alert_below_ratio"] * pr["list_price"] and \
                                not (c["price"] and c["price"][0] != pr["sku"]):
                            errs.append(f"{tag}: {pr['sku']} next to low price {x} in non-pricing case")
    # --- mix
    n = len(lines)
    benign_n = sum(1 for rec, _, _ in lines if not rec["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"total {n} not in 170..180")
    if not 55 <= benign_n <= 65:
        errs.append(f"benign {benign_n} not in 55..65")
    roles = [r for _, _, r in lines]
    for r in ("corporate", "employee", "public"):
        if r not in roles:
            errs.append(f"no {r} posts")
    return errs


def stats(lines):
    from collections import Counter
    cat = Counter(c for rec, _, _ in lines for c in rec["expect"]["categories"])
    lang = Counter(c["lang"] for _, c, _ in lines)
    role = Counter(r for _, _, r in lines)
    sev = Counter(rec["expect"]["severity"] for rec, _, _ in lines)
    benign = sum(1 for rec, _, _ in lines if not rec["expect"]["categories"])
    multi = sum(1 for rec, _, _ in lines if len(rec["expect"]["categories"]) > 1)
    return (f"cases={len(lines)} benign={benign} multi={multi}\n categories={dict(sorted(cat.items()))}\n"
            f" lang={dict(lang)}\n roles={dict(role)}\n severity={dict(sev)}")


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for rec, _, _ in lines:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # re-read the file itself and check what was written
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    assert [r for r, _, _ in lines] == reread, "file round-trip mismatch"
    errs = check(lines)
    print(stats(lines))
    if errs:
        print(f"SELF-CHECK FAILED ({len(errs)}):")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print(f"self-check ok: wrote {len(lines)} cases to {out}")


if __name__ == "__main__":
    main()
