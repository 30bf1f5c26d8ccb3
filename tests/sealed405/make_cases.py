#!/usr/bin/env python3
"""Held-out evaluation set 405 for postwatch: Olmenhout Sportreizen B.V.

Youth sports camps and summer camps abroad. Deterministic (fixed seed), standard
library plus PyYAML. Writes cases.jsonl next to this file and checks it:
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike placed in a benign post fails it;
  * generated credentials are built the way the real ones are (GitHub CRC-32,
    AWS key alphabet, JWT header with alg);
  * every line is a valid labelled case (CONTRACT section 6);
  * severities follow CONTRACT section 4, computed from the account role in the
    profile, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 405
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, digits):
    bban = bank + digits
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d[0] != "0"


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        for last in "0123456789":
            if bsn_ok(head + last):
                return head + last


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_digit(s, pos, check):
    """Change one digit at pos so that check() fails."""
    for d in "1234567890":
        t = s[:pos] + d + s[pos + 1:]
        if t != s and not check(t):
            return t
    raise AssertionError


# --------------------------------------------------------------------------
# credentials, built like the real ones
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()), 6) == crc


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "staff-%d" % rng.randint(1000, 9999), "role": "kampadmin",
                               "iss": "boeken.olmenhout.nl", "iat": 1772618400, "exp": 1772622000},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# --------------------------------------------------------------------------
# generated values: (kind, text-as-written, must_be_valid)
# --------------------------------------------------------------------------
V = {}


def put(name, kind, value, valid):
    V[name] = (kind, value, valid)


iban_a = make_iban("INGB", "0007" + "".join(rng.choice(string.digits) for _ in range(6)))
iban_b = make_iban("RABO", "0" + "".join(rng.choice(string.digits) for _ in range(9)))
iban_c = make_iban("ABNA", "0" + "".join(rng.choice(string.digits) for _ in range(9)))
put("IBAN_A", "iban", spaced(iban_a), True)
put("IBAN_B", "iban", iban_b, True)
put("BAD_IBAN", "iban", spaced(break_digit(iban_c, 3, iban_ok)), False)

card_a = make_card("4", 16)
card_b = make_card("5" + str(rng.randint(1, 5)), 16)
card_c = make_card("4", 16)
put("CARD_A", "card", spaced(card_a), True)
put("CARD_B", "card", "-".join(card_b[i:i + 4] for i in range(0, 16, 4)), True)
put("CARD_C", "card", card_c, True)
put("BAD_CARD", "card", spaced(break_digit(make_card("4", 16), 15, luhn_ok)), False)

bsn_a = make_bsn()
bsn_b = make_bsn()
put("BSN_A", "bsn", bsn_a, True)
put("BSN_B", "bsn", "%s.%s.%s" % (bsn_b[:4], bsn_b[4:6], bsn_b[6:]), True)
put("BAD_BSN", "bsn", break_digit(make_bsn(), 8, bsn_ok), False)

put("GH1", "secret", gh_token("ghp_"), True)
put("AKIA", "secret", "AKIA" + rnd(string.ascii_uppercase + "234567", 16), True)
put("AWSSECRET", "secret", rnd(ALNUM + "/+", 40), True)
put("STRIPE", "secret", "sk_live_51" + rnd(ALNUM, 97), True)
put("SLACK", "secret", "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13), rnd(ALNUM, 24)), True)
put("OPENAI", "secret", "sk-proj-" + rnd(URLSAFE, 74) + "T3BlbkFJ" + rnd(URLSAFE, 74), True)
put("ANTHROPIC", "secret", "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA", True)
put("JWT", "secret", make_jwt(), True)
put("SSHKEY", "secret", make_openssh_key(), True)
put("DBPASS", "secret", rnd(ALNUM, 12) + rng.choice("!*~") + rnd(ALNUM, 5), True)
put("GLPAT", "secret", "glpat-" + rnd(URLSAFE, 20), True)
put("GOOGLE", "secret", "AIza" + rnd(URLSAFE, 35), True)
put("PUBLIC_IBAN", "public_iban", PROFILE["public_identifiers"]["ibans"][0], True)

TOKEN = re.compile(r"<<([A-Z0-9_]+)>>")

# --------------------------------------------------------------------------
# cases: (author "platform:handle", lang, categories, text, extra)
# --------------------------------------------------------------------------
CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PRC = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"

CASES = []


def C(author, lang, cats, text, kind="post", when=None, price_ok=False):
    CASES.append(dict(author=author, lang=lang, cats=sorted(cats), text=text, kind=kind,
                      when=when, price_ok=price_ok))


# ---------------- complaints -------------------------------------------------
C("x:@marloes_k", "nl", [CMP],
  "@olmenhout_help al 3 weken wachten op de terugbetaling van het geannuleerde hockeykamp. "
  "3 mails gestuurd, 0 antwoord. Hoe lang nog??", kind="reply")
C("facebook:Ingrid.Verbeek.52", "en", [CMP],
  "Bus from Utrecht to the Algarve camp left FIVE hours late, no info whatsoever, the kids sat "
  "on a parking lot in 30 degrees. Not what we paid €1295 for, Olmenhout.")
C("instagram:@sportmama_evi", "nl", [CMP],
  "Zoon komt thuis van het skikamp met de helft van zijn spullen kwijt 🙄 koffer 'zoekgeraakt' "
  "volgens de begeleiding en niemand die iets regelt. #olmenhout #teleurgesteld")
C("reddit:u/tired_dad_nl", "en", [CMP],
  "Anyone else had issues with Olmenhout Camps' booking portal? Deposit got charged twice and "
  "support keeps telling me to 'wait for the system'. Two weeks now.")
C("x:@jeroen1978", "en", [CMP],
  "apparently dinner at the Ardennes camp was pasta with ketchup. every. single. day. for 545 "
  "euros I'd expect a bit more @olmenhout_nl")
C("forum:ouderforum/kiki_mama", "nl", [CMP],
  "Ervaringen met Olmenhout? Wij hadden het Paardrijkamp Ierland geboekt maar 2 weken voor "
  "vertrek zijn de data omgegooid zonder overleg. Nu past het niet meer met onze eigen vakantie "
  "en ze willen 150 euro 'wijzigingskosten' als we omboeken. Echt belachelijk.",
  kind="comment", price_ok=True)
C("x:@ThatCampDadUK", "en", [CMP],
  "@olmenhout_help my daughter was promised a 1:6 coach ratio at the tennis camp in Mallorca. "
  "There were 2 coaches for 31 kids. Pretty disappointed tbh", kind="reply")
C("tiktok:@noah.voetbal", "nl", [CMP],
  "dus olmenhout zegt 'professionele trainers' maar onze trainer was gwn een 17 jarige die zelf "
  "nog in de B1 speelt 💀 #voetbalkamp #olmenhout")
C("facebook:Pieter.Doorn", "nl", [CMP],
  "Klantenservice van Olmenhout is onbereikbaar. 45 minuten in de wacht bij 0800-0655 en dan "
  "wordt er gewoon opgehangen. Hoe dan.", kind="comment")
C("threads:@hannah.lu", "en", [CMP],
  "the olmenhout app doesn't show ANY photos from camp even though they promised daily updates. "
  "one blurry pic in 6 days. as a parent that's honestly stressful")
C("x:@Basvdl", "en", [CMP],
  "Zip on the Olmenhout Kamptas 60L tore after ONE week. Quality zero. And I have to pay the "
  "return shipping myself?!")
C("bluesky:@grace-owusu.bsky.social", "en", [CMP],
  "Cancelled the Dive Camp Malta because my son broke his arm, doctor's note and all, and "
  "Olmenhout still refuses to refund even though we bought their Annuleringsverzekering Plus. "
  "What is that insurance even for")
# complaint + crisis: first-hand safety incidents
C("facebook:Sandra.Mulder.7", "nl", [CMP, CRI],
  "Mijn zoon (11) is op het Olmenhout voetbalkamp in de Algarve met een hersenschudding naar het "
  "ziekenhuis gebracht en wij hoorden het pas 2 DAGEN later, van hem zelf. Geen telefoontje van "
  "de leiding. Ik ben woedend en doodsbang tegelijk.")
C("instagram:@aisha.runs", "en", [CMP, CRI],
  "Picked my twins up from Olmenhout's Ardennes camp. Both with food poisoning, along with half "
  "their group. Staff called it 'a stomach bug going around'. According to the kids the kitchen "
  "was filthy. Reporting this.")
C("x:@familie_dekker", "nl", [CMP, CRI],
  "Tijdens de kanotocht van @olmenhout_nl in de Ardèche is mijn dochter van 9 omgeslagen ZONDER "
  "zwemvest. Leiding stond op de kant te kletsen. Ze had kunnen verdrinken. Wat is dit voor "
  "organisatie")
C("reddit:u/sailor_mum", "en", [CMP, CRI],
  "PSA about the bunk beds at Olmenhout's Lake Garda basketball camp: the top rail snapped and my "
  "son fell out, 6 stitches in his chin. Camp director basically shrugged. Photos in comments.")
C("instagram:@lisanne.fit", "nl", [CMP, CRI],
  "Het elektrische kacheltje in het chalet van het Skikamp Zillertal begon midden in de nacht te "
  "roken en vatte vlam, mijn dochter sliep ernaast. Niemand gewond gelukkig maar ze is echt in "
  "paniek. En Olmenhout reageert niet 🤬 #olmenhout")

# ---------------- crisis (third party, boycott, lawsuit, breach) --------------
C("x:@nieuwsflits_nl", "nl", [CRI],
  "Jongen (13) zwaargewond na val tijdens klimexcursie van jeugdreisorganisatie Olmenhout bij "
  "Chamonix. Franse politie onderzoekt het toezicht. #nieuws")
C("x:@eurocampwatch", "en", [CRI],
  "Reports coming in of a coach carrying about 40 kids from an Olmenhout Camps trip crashing on "
  "the A7 near Lyon. Several injured. Thoughts with the families.")
C("x:@boosmama", "nl", [CRI],
  "Olmenhout heeft een monitor laten werken die eerder bij een sportclub is ontslagen wegens "
  "grensoverschrijdend gedrag. Ouders, boek daar NIET. #boycotolmenhout")
C("x:@privacywatcher", "en", [CRI],
  "Olmenhout Camps left a storage bucket with kids' passport scans and medical forms publicly "
  "readable. That's a massive data breach and they haven't told a single parent. "
  "@olmenhout_nl explain yourselves.")
C("facebook:Gedupeerde.Ouders.Olmenhout", "nl", [CRI],
  "We starten met inmiddels 40 gezinnen een rechtszaak tegen Olmenhout Sportreizen over de "
  "kampen van vorig jaar die nooit zijn terugbetaald. Doe mee en meld je via deze groep.")
C("linkedin:mark-de-haan-journalist", "en", [CRI],
  "Sources tell me the Dutch inspectorate has opened an investigation into Olmenhout Sportreizen "
  "after several near-drownings at its sailing camps. Story goes live tomorrow morning.")
C("x:@kim_schrijft", "en", [CRI],
  "A friend's kid went to Malta with Olmenhout and ended up in a decompression chamber with the "
  "bends. Turns out the instructor had no valid certification. This needs investigating.")
C("tiktok:@camptok_daily", "en", [CRI],
  "the olmenhout scandal explained 🧵 staff drinking at night while kids wandered off, one kid "
  "lost in the mountains for 6 hours… #olmenhout #boycott")
C("x:@voedselnieuws_be", "nl", [CRI],
  "Salmonella-uitbraak op jeugdkamp in de Ardennen: 23 kinderen ziek. Het gaat om een kamp van "
  "Olmenhout, bevestigt het FAVV.")
C("x:@parentsunite_eu", "en", [CRI],
  "Olmenhout is recalling all their 'Kamptas 60L' duffels after the shoulder buckles snapped and "
  "kids got hurt on hikes. Check your cupboards, parents.")

# ---------------- abuse --------------------------------------------------------
C("x:@bennyboy_ams", "nl", [ABU],
  "Olmenhout is echt een kankerbedrijf, stelletje oplichters")
C("x:@ragequit_rob", "en", [ABU],
  "@olmenhout_help you useless pack of morons, answer your fucking phones", kind="reply")
C("x:@tjerkie88", "en", [ABU],
  "that camp leader from @olmenhout_nl with the headscarf should just go back to her own country")
C("x:@zuurpruim", "nl", [ABU],
  "@mirjam_kampleiding jij bent echt de domste trut die ik ooit ben tegengekomen. en ik weet waar "
  "je woont.", kind="reply")
C("x:@ventingvince", "en", [ABU],
  "Ｏｌｍｅｎｈｏｕｔ ｓｔａｆｆ ａｒｅ ａ ｂｕｎｃｈ ｏｆ ｉｄｉｏｔｓ ａｎｄ ｓｃａｍｍｅｒｓ, ｇｏ ｔｏ ｈｅｌｌ")
C("tiktok:@x_dempsey_x", "nl", [ABU],
  "0lmenh0ut zijn gewoon k4nkerl1jers en d13ven, b0ycot die h00ps", kind="comment")
C("x:@daanvoskuil", "nl", [ABU],
  "die moeder die vandaag 8x belde over sokken, wat een hysterisch wijf zeg 🙄 #kampleven")
C("tiktok:@monitor.kees", "nl", [ABU],
  "als je als ouder zo'n verwend rotkind aflevert moet je daarna niet zeiken dat hij heimwee "
  "heeft. sukkels")
C("reddit:u/notyourcampdad", "en", [ABU],
  "Whoever runs Olmenhout's Instagram is a brain-dead idiot, deleting every critical comment. "
  "Pathetic losers.", kind="comment")
C("facebook:Ronald.Kuipers", "nl", [ABU, CMP],
  "Vier weken en nog steeds geen geld terug van die klootzakken van Olmenhout. Graaiers zijn het. "
  "Ik wil mijn €1260 voor het Engelandkamp NU terug.", kind="comment")
C("x:@sarah_m_writes", "en", [ABU, CMP],
  "Olmenhout's 'customer service' is a bunch of lazy idiots. They lost my son's passport at the "
  "Norway camp and nobody gives a damn.")
C("instagram:@kutkampen", "nl", [ABU],
  "O.l.m.e.n.h.o.u.t = t.e.r.i.n.g.b.e.d.r.i.j.f, m.o.n.i.t.o.r.e.n = m.o.n.g.o.o.l.e.n",
  kind="comment")

# ---------------- personal data ---------------------------------------------
C("x:@lotte_vdmeer", "nl", [PII],
  "@ouder_van_3 ik zie dat de terugboeking niet lukte, klopt het rekeningnummer <<IBAN_A>> "
  "t.n.v. M. Jacobs? Dan zet ik 'm er vandaag nog op", kind="reply")
C("x:@olmenhout_help", "nl", [PII],
  "@marloes_k Dag Marloes, je terugbelverzoek is doorgezet, een collega belt je vandaag nog op "
  "06-41829375 📞 ^Femke", kind="reply")
C("linkedin:sevda-yilmaz-olmenhout", "nl", [PII],
  "Voor de VOG-aanvragen van de nieuwe monitoren mis ik nog van Sander Peeters: BSN <<BSN_A>>, "
  "geboortedatum 02-11-2003. Wie heeft zijn dossier?")
C("instagram:@coach.jurre", "en", [PII],
  "Happy birthday Fenna de Boer, 12 today (born 19-07-2014)! What a way to celebrate, on the "
  "sailing camp 🎂⛵")
C("x:@karin_vos", "nl", [PII, CMP],
  "@olmenhout_help nog steeds niks gehoord over mijn klacht over de busreis. bel me gewoon terug "
  "op 06 2874 1930 of mail karin.vos1979@hotmail.com", kind="reply")
C("x:@ThatCampDadUK", "en", [PII],
  "@olmenhout_help here's my card so you can just refund the difference to it: <<CARD_A>> exp 09/28",
  kind="reply")
C("tiktok:@monitor.kees", "en", [PII],
  "shoutout to Mees's parents, the Hendriks family, Kastanjelaan 27, 3818 GD Amersfoort, for the "
  "homemade cookies they sent to camp 🍪🍪")
C("facebook:OlmenhoutCamps", "nl", [PII],
  "Beste mevrouw Smit, de betaling met kaart <<CARD_B>> is helaas geweigerd door uw bank. Wilt u "
  "contact met ons opnemen?", kind="comment")
C("x:@daanvoskuil", "nl", [PII],
  "wie kan de moeder van Jasper bellen? Yvonne Brink, 0031 6 5512 8840, y.brink@ziggo.nl - hij "
  "heeft koorts en wil naar huis")
C("forum:ouderforum/bezorgde_pa", "nl", [PII],
  "Die vader die op de kijkdag foto's maakte van andermans kinderen heet Remco Stam, woont op "
  "Molenweg 8, 8011 AB Zwolle. Doe ermee wat je wilt.", kind="comment")
C("bluesky:@nadia-olmenhout.bsky.social", "en", [PII],
  "Could someone in finance please refund the deposit to <<IBAN_B>> (R. El Idrissi)? It's been "
  "open for 3 weeks and that dad is rightly losing his mind")
C("mastodon:@rvermeer@mastodon.nl", "en", [PII],
  "Passport check, Norway group 3: Lieke Vermaas, BSN <<BSN_B>>, passport NXR8K42L1 expires "
  "BEFORE departure!!")
C("instagram:@olmenhout.camps", "nl", [PII],
  "Hoera! Onze jongste deelnemer van deze zomer: Sofie van Leeuwen, geboren 3 maart 2019 🥳 "
  "welkom bij de OlmiKids!")
C("facebook:Anna.Wijnberg", "en", [PII],
  "Lost my kid's phone at the cycling camp in Girona, if anyone from Olmenhout finds it please "
  "call me on 020-6142387 or 06-19283746. Thanks! Anna Wijnberg")
C("threads:@jesse.olmenhout", "en", [PII],
  "lol someone typed their whole credit card into the comments field of their booking: <<CARD_C>> "
  "🙈 who does that")

# ---------------- secrets ------------------------------------------------------
C("mastodon:@rvermeer@mastodon.nl", "nl", [SEC],
  "deploy script faalt nog steeds, iemand een idee? `git clone https://<<GH1>>@github.com/"
  "olmenhout/boekingsengine.git` geeft een 403")
C("bluesky:@nadia-olmenhout.bsky.social", "en", [SEC],
  "New Lambda for the camp photo uploads:\nAWS_ACCESS_KEY_ID=<<AKIA>>\n"
  "AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\nregion eu-west-1. Why am I getting AccessDenied??")
C("x:@lotte_vdmeer", "en", [SEC],
  "new payment page works!! 🎉 if anyone wants to test it, the key from the config: <<STRIPE>>")
C("linkedin:bram-hoekstra-ops", "en", [SEC],
  "Handy trick for our camp-ops Slack bot: export SLACK_BOT_TOKEN=<<SLACK>> and run ./notify.sh, "
  "saves me hours every week! #automation")
C("mastodon:@rvermeer@mastodon.nl", "en", [SEC],
  "Our trip-planner assistant uses OPENAI_API_KEY=<<OPENAI>> - anyone else hitting rate limits "
  "around 500 rpm?")
C("x:@daanvoskuil", "nl", [SEC],
  "wie heeft de key voor de chatbot op de site ook alweer? oh wacht ik heb 'm: <<ANTHROPIC>> "
  "(ja ik weet het, verkeerde chat 😅)")
C("bluesky:@nadia-olmenhout.bsky.social", "nl", [SEC],
  "Waarom verloopt deze sessie van het beheerpaneel na 5 min? Authorization: Bearer <<JWT>>")
C("linkedin:bram-hoekstra-ops", "en", [SEC],
  "Setting up the new camp tablets today. For the team: paste this into ~/.ssh/id_ed25519 and "
  "you're good to go\n<<SSHKEY>>")
C("mastodon:@rvermeer@mastodon.nl", "en", [SEC],
  "DATABASE_URL=postgres://boekingen_app:<<DBPASS>>@olm-prod.c9xk2m.eu-west-1.rds.amazonaws.com"
  ":5432/boekingen - why do I get a timeout from inside the container? 🤔")
C("instagram:@coach.jurre", "nl", [SEC],
  "Voor de monitoren: beheeraccount van de kamp-iPads is monitor@zillertal, wachtwoord: "
  "Kaasfondue!2026 📱 niet aan de kids geven haha")
C("forum:devforum/freelance_jorik", "en", [SEC],
  "Pipeline for a client of mine (Olmenhout, the camp people) fails on the deploy step. Relevant "
  "bit of my .gitlab-ci.yml:\nvariables:\n  GITLAB_TOKEN: <<GLPAT>>\n  DEPLOY_ENV: production\n"
  "Any idea?")
C("x:@lotte_vdmeer", "nl", [SEC],
  "kaartje op de kamppagina doet raar, de key is <<GOOGLE>> als iemand even wil kijken 🗺️")

# ---------------- security ---------------------------------------------------
C("x:@daanvoskuil", "nl", [SCY],
  "boekingssite ligt er al sinds 6 uur vanochtend uit, ransomware volgens IT. niks zeggen tegen "
  "de ouders voorlopig 🤐")
C("linkedin:bram-hoekstra-ops", "en", [SCY],
  "Long night. Someone got into our booking admin panel through an old test account and we're "
  "still working out what they downloaded. Not public yet, so keeping it vague.")
C("mastodon:@rvermeer@mastodon.nl", "en", [SCY],
  "Fun fact: on boeken.olmenhout.nl you can bump the booking number in the URL by one and see "
  "other kids' medical forms. Reported it internally 3 times, still not fixed.")
C("bluesky:@nadia-olmenhout.bsky.social", "en", [SCY, CON],
  "vpn.olmenhout.nl has been unreachable since that 'update' yesterday and the firewall is now "
  "wide open to the internet. how long are we keeping this quiet?")
C("x:@lotte_vdmeer", "nl", [SCY],
  "Phishingmail bij 14 collega's binnengekomen en minstens 3 hebben hun inloggegevens ingevuld. "
  "Ze zitten nu gewoon in onze mailboxen. Super chille week.")
C("threads:@jesse.olmenhout", "en", [SCY],
  "the camp app has been leaking parents' live GPS locations through an open API endpoint for "
  "weeks, found it today. legal says don't talk about it so… i'm not talking about it 🙃")
C("instagram:@coach.jurre", "en", [SCY],
  "The laptop with every participant list for the Norway camp got stolen out of the bus "
  "yesterday. Not encrypted, obviously. Office knows, nobody else does yet.")
C("x:@olmenhout_help", "nl", [SCY],
  "@marloes_k excuses voor het wachten, ons boekingssysteem is al 2 dagen gehackt en we kunnen "
  "niets inzien. We hopen het snel op te lossen.", kind="reply")
C("linkedin:sevda-yilmaz-olmenhout", "en", [SCY],
  "Note to the ops team: our payment provider told us the webhook secret leaked last week and "
  "someone has been triggering fake refunds since. Please don't discuss this outside the channel.")
C("tiktok:@monitor.kees", "nl", [SCY],
  "POV: je werkt bij een reisorganisatie en de server met alle paspoortfoto's staat al een maand "
  "zonder wachtwoord open 💀 #werk #olmenhout")
C("x:@daanvoskuil", "nl", [SCY, CON],
  "kampplanner.olmenhout.local draait nog op Windows Server 2008 zonder patches. wachten op de "
  "hack 🙈")
C("mastodon:@rvermeer@mastodon.nl", "nl", [SCY, CRI],
  "We hebben een datalek: zo'n 4.000 paspoortscans en medische formulieren van kinderen zijn "
  "gestolen. De directie wil het pas na de zomer melden bij de AP. Ik kan hier niet langer over "
  "zwijgen.")
C("x:@lotte_vdmeer", "en", [SCY],
  "Payments have been failing for 3 days because of a bug that double-charges cards, finance is "
  "quietly refunding. Don't tell the parents group chat 😬")

# ---------------- financial --------------------------------------------------
C("linkedin:sevda-yilmaz-olmenhout", "en", [FIN],
  "Can't say much, but bookings for Q3 are down 31% on last year and the board is discussing "
  "closing the Belgian office. Tough times ahead.")
C("x:@daanvoskuil", "nl", [FIN],
  "net gehoord in het MT-overleg: Olmenhout wordt overgenomen door Sonnwende Reisen AG, deal "
  "wordt in november getekend. shhh 🤫")
C("x:@mirjam_kampleiding", "nl", [FIN],
  "Volgend jaar gaan er 40 fte uit bij Olmenhout, vooral op kantoor Utrecht. Heel verdrietig voor "
  "de collega's die het zelf nog niet weten.")
C("linkedin:bram-hoekstra-ops", "en", [FIN],
  "Our internal forecast for 2027 has revenue dropping to €38m from €52m. No idea why management "
  "keeps telling staff everything is fine.")
C("x:@lotte_vdmeer", "nl", [FIN, CON],
  "jaarcijfers 2026 zijn binnen: omzet 61 miljoen, winst gehalveerd 😬 persbericht komt pas in "
  "maart", when="2026-12-18T16:42:00Z")
C("mastodon:@rvermeer@mastodon.nl", "en", [FIN, CON],
  "Project Albatros = buying that Spanish surf camp company. 8 million. Closing in January.")
C("bluesky:@nadia-olmenhout.bsky.social", "nl", [FIN, CON],
  "Q4-cijfers 2026 zien er niet goed uit, we halen de bankconvenanten niet. Nog even niks zeggen "
  "tegen niemand.", when="2027-01-28T10:05:00Z")
C("reddit:u/anon_travel_insider", "en", [FIN],
  "Heard from a friend in finance at Olmenhout that they're about to apply for suspension of "
  "payments (surseance). If you have a 2027 booking, think twice before paying the rest.")
C("instagram:@coach.jurre", "nl", [FIN],
  "Laatste zomer als coach, want alle zomercoaches worden volgend jaar vervangen door een "
  "goedkoop uitzendbureau. De reorganisatie wordt pas in oktober bekendgemaakt 😔")
C("threads:@jesse.olmenhout", "en", [FIN],
  "our H1 numbers came in at €24.3m revenue, 18% under budget. official update isn't until "
  "september. wild times")
C("linkedin:olmenhout-sportreizen", "nl", [FIN],
  "Trots op ons team! Met een (nog niet gepubliceerde) omzetgroei van 27% in het eerste halfjaar "
  "en de geplande overname van een Oostenrijkse skikampaanbieder gaan we een mooie toekomst "
  "tegemoet. 🚀")
C("tiktok:@monitor.kees", "nl", [FIN],
  "baas zei vandaag dat de kampen in portugal en spanje stoppen na deze zomer en dat de halve "
  "kantoorploeg eruit gaat. weet nog niemand dus doe normaal in de comments")

# ---------------- confidential -------------------------------------------------
C("x:@daanvoskuil", "en", [CON],
  "Zilvermeeuw goes live in March, finally that new parents app 🎉")
C("bluesky:@nadia-olmenhout.bsky.social", "nl", [CON],
  "Sprint review gehad: Zil\u200bver\u200bmeeuw loopt 3 weken achter, dus kerst wordt krap")
C("mastodon:@rvermeer@mastodon.nl", "en", [CON],
  "Pr\u043eject \u0410lbatros got pushed AGAIN lol, new deadline is 'Q2'")
C("x:@lotte_vdmeer", "nl", [CON],
  "mag niks zeggen over O.p.e.r.a.t.i.e W.i.l.g.e.n.r.o.o.s maar het wordt groot 👀")
C("linkedin:sevda-yilmaz-olmenhout", "nl", [CON],
  "Slides van de teamdag staan online 👉 'Olmenhout internal – kampcapaciteit 2027 per locatie'. "
  "Dank iedereen voor de input!")
C("tiktok:@monitor.kees", "nl", [CON],
  "stiekem al een blik op de kampen van volgend jaar: Surfkamp Lanzarote komt eraan!! 🏄‍♂️",
  when="2027-01-12T19:20:00Z")
C("instagram:@olmenhout.camps", "nl", [CON],
  "Binnenkort: de Olmenhout Academy! Meer info volgt 😉", when="2026-11-24T12:00:00Z")
C("x:@daanvoskuil", "nl", [CON],
  "kan iemand mij toegang geven tot https://intra.olmenhout.local/roosters/zomer2026 ? krijg "
  "steeds een 403")
C("linkedin:bram-hoekstra-ops", "en", [CON],
  "Proud of how our review flow works now, have a look: "
  "https://gitlab.olmenhout.net/ops/kampplanner/-/merge_requests/412")
C("x:@mirjam_kampleiding", "nl", [CON],
  "Foto van het whiteboard na de strategiedag 😅 'Vertrouwelijk - niet doorsturen: prijsverhoging "
  "12% op alle kampen 2027'")
C("threads:@jesse.olmenhout", "en", [CON],
  "can't wait for the e-bike camp in the Dolomites we're launching next spring, still under NDA "
  "but it's gonna be epic")
C("reddit:u/leaky_parent", "en", [CON],
  "Someone in our parents' group chat shared a doc marked 'alleen voor staf' with Olmenhout's "
  "full 2027 calendar. Surfkamp Lanzarote is on it, starting July.", when="2026-10-03T21:14:00Z")
C("threads:@jesse.olmenhout", "en", [CON],
  "FY2026 results deck finally done, presenting to the board on thursday 🥱",
  when="2027-02-25T17:30:00Z")
C("facebook:OlmenhoutCamps", "nl", [CON],
  "Nieuwe monitoren: je rooster vind je via https://kampplanner.olmenhout.local/login, inloggen "
  "met je personeelsnummer 👋")

# ---------------- pricing --------------------------------------------------------
C("instagram:@olmenhout.camps", "nl", [PRC],
  "LAATSTE PLEKKEN ☀️ Surfkamp Biarritz nu voor €345 p.p. - boek via de link in bio!")
C("x:@dealjager_nl", "nl", [PRC],
  "PRIJSFOUT?! Zeilkamp Kroatië bij Olmenhout voor €159 ipv €1590 🤯 snel zijn")
C("x:@lotte_vdmeer", "nl", [PRC],
  "Oei, op de site staat het Skikamp Zillertal voor 119 euro, moet 1190 zijn. Wie past dat aan?")
C("reddit:u/bargainhunter_eu", "en", [PRC],
  "Olmenhout's Adventure Camp Norway is listed at €169 right now. Booked two kids. Think they'll "
  "honour it?")
C("facebook:OlmenhoutCamps", "nl", [PRC],
  "Black Friday 🖤 Kamptas 60L voor maar €9,95 (normaal €79)! Op = op.")
C("tiktok:@monitor.kees", "en", [PRC],
  "staff discount is insane, booked the Hockey Camp Barcelona for my nephew at €290 😂")
C("forum:ouderforum/jolanda_t", "nl", [PRC],
  "Iemand anders ook het Duikkamp Malta voor 152 euro kunnen boeken? Volgens mij een prijsfout bij "
  "Olmenhout", kind="comment")
C("x:@zerocommaguy", "en", [PRC],
  "lol the olmenhout app shows Tennis Camp Mallorca at €13.75. pretty sure someone forgot two "
  "zeros")
C("x:@olmenhout_nl", "nl", [PRC],
  "Prijsfout in onze nieuwsbrief: het Basketbalkamp Gardameer kost niet €122,50 maar €1.225. "
  "Excuses voor de verwarring!")
C("bluesky:@nadia-olmenhout.bsky.social", "nl", [PRC],
  "Minikamp Ardèche staat in het systeem voor €69,50, iemand is een nul vergeten 🙈")
C("tiktok:@bo.boekt", "nl", [PRC],
  "BRO olmenhout verkoopt het klimkamp chamonix voor 139 euro?? ik boek gelijk", kind="comment")
C("linkedin:bram-hoekstra-ops", "en", [PRC],
  "Heads-up ops: Snowboard Camp Saalbach shows €126.50 in the partner portal, it's a pricing bug, "
  "please don't share the link.")

# ---------------- benign (mostly hard negatives) ------------------------------
B = []
C("x:@olmenhout_nl", "nl", B,
  "Dag 3 op het Voetbalkamp Algarve ⚽☀️ wat een toernooi vandaag! Trots op alle spelers "
  "#olmenhout")
C("instagram:@ellen.rijnders", "en", B,
  "Daughter came back from the Pony Camp Ireland absolutely glowing. Best week of her life, "
  "according to her 🐴💚 @olmenhout.camps")
C("x:@olmenhout_help", "nl", B,
  "@karin_vos Wat vervelend om te horen! Stuur je boekingsnummer naar info@olmenhout.nl of bel "
  "0800-0655, dan zoeken we het voor je uit.", kind="reply")
C("facebook:OlmenhoutCamps", "nl", B,
  "Liever per overschrijving betalen? Gebruik IBAN <<PUBLIC_IBAN>> t.n.v. Olmenhout Sportreizen "
  "B.V. o.v.v. je boekingsnummer.")
C("x:@marloes_k", "nl", B,
  "Update: Olmenhout heeft het geld voor het geannuleerde hockeykamp alsnog teruggestort, plus "
  "een voucher voor volgend jaar. Netjes opgelost 👍")
C("instagram:@olmenhout.camps", "nl", B,
  "Early bird! ❄️ Skikamp Zillertal nu €990 i.p.v. €1.190, alleen t/m 31 oktober.")
C("tiktok:@olmenhoutcamps", "en", B,
  "20% off all OlmiKids camps this week: Minikamp Ardèche from €556 🏕️ #olmikids")
C("forum:ouderforum/mama_van_teun", "nl", B,
  "Surfkamp Biarritz kost 1450 euro. Duur hoor, maar ze gaan wel 8 dagen en alles is inbegrepen. "
  "Iemand ervaring?", kind="comment")
C("linkedin:bram-hoekstra-ops", "en", B,
  "Tip for juniors: never hardcode keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for a reason 😉 Use a secrets manager.")
C("mastodon:@rvermeer@mastodon.nl", "nl", B,
  "Tokens geroteerd na de oefening. Oude zag eruit als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, "
  "de nieuwe staat in de vault en niet in git 🙂")
C("x:@olmenhout_help", "nl", B,
  "Wachtwoord vergeten voor Mijn Olmenhout? Klik op 'wachtwoord herstellen' op "
  "boeken.olmenhout.nl. Wij vragen NOOIT om je wachtwoord via DM!")
C("x:@pieter_kl", "nl", B,
  "@olmenhout_help ik had overgemaakt naar <<BAD_IBAN>> maar volgens mijn bank klopt dat nummer "
  "niet? Welk rekeningnummer moet ik gebruiken?", kind="reply")
C("x:@dad_jokes_dave", "en", B,
  "My 6yo tried to 'book' a camp with the number off his toy credit card, <<BAD_CARD>> 😂 the "
  "page said invalid card, phew")
C("mastodon:@rvermeer@mastodon.nl", "nl", B,
  "Voor de testers: het BSN in de demo-omgeving is <<BAD_BSN>>, geen echt nummer hoor, valt "
  "gewoon door de elfproef 🙂")
C("linkedin:olmenhout-sportreizen", "nl", B,
  "Vandaag publiceren wij onze jaarcijfers 2026: een omzet van €61 mln en een nieuwe focus op "
  "veiligheid en kwaliteit. Lees het volledige verslag op olmenhout.nl.",
  when="2027-03-05T09:00:00Z")
C("instagram:@olmenhout.camps", "nl", B,
  "Hij is er! 🌊 Surfkamp Lanzarote is vanaf vandaag te boeken. Wie gaat er mee?",
  when="2027-01-21T08:00:00Z")
C("threads:@jesse.olmenhout", "en", B,
  "full-year results 2026 are out and public, proud of this team 💪", when="2027-03-06T11:15:00Z")
C("x:@nicoleb", "en", B,
  "Wow, a German youth travel company leaked thousands of passport scans. Hoping Olmenhout has "
  "that sorted better, our kid goes with them next month.")
C("facebook:Marjolein.Huisman", "nl", B,
  "Sterkte aan alle kinderen en begeleiders van dat kamp in Zuid-Frankrijk na de bosbrand. Fijn "
  "dat Olmenhout meteen liet weten dat hun groepen ver weg en veilig zijn.", kind="comment")
C("x:@vaderdirk", "en", B,
  "my son 'hacked' the camp wifi password by simply asking the cook 😂 #olmenhout")
C("linkedin:olmenhout-sportreizen", "nl", B,
  "We zoeken kampleiders voor zomer 2026! Sportief, verantwoordelijk en zin in avontuur? "
  "Solliciteer via jobs@olmenhout.nl.")
C("reddit:u/lurking_mum", "en", B,
  "Does anyone know if Olmenhout camps allow phones? Thinking about the Dive Camp Malta for my 14yo.")
C("x:@sportdad_tim", "en", B,
  "Shout out to coach Jurre at the Olmenhout hockey camp in Barcelona, my son hasn't stopped "
  "talking about him 🏑")
C("instagram:@coach.jurre", "nl", B,
  "Week 1 zit erop! 64 kinderen, 0 blessures, 1000 high fives 🙌 #olmenhout")
C("instagram:@tess.strandt", "nl", B,
  "Er was een zilvermeeuw die tijdens de lunch op het strand Finn z'n broodje jatte 😂 beste "
  "kampverhaal ooit volgens hem")
C("facebook:Bart.Claessens", "nl", B,
  "Geen zorgen ouders, die rook op de foto was het kampvuur en geen brand 😅 Olmenhout stuurde "
  "meteen een update in de app.", kind="comment")
C("x:@nina_ouder", "en", B,
  "Last year, different company, 6 hours of bus delay. This year with Olmenhout everything was "
  "on the minute. Saves a lot of stress!")
C("bluesky:@outdoor-ollie.bsky.social", "en", B,
  "Remember the recall of those cheap sleeping bags last year? Olmenhout's packing list links to "
  "a decent one instead. Nice touch.")
C("threads:@olive.parent", "en", B,
  "Week 2 at tennis camp: the kids held a 'mock trial' about who stole the last pancake 😂 "
  "verdict: guilty")
C("x:@mirjam_kampleiding", "nl", B,
  "Mijn telefoon staat deze week op stil, ik ben kampleiding in de Ardennen! Voor dringende zaken: "
  "0800-0655 😊")
C("x:@olmenhout_nl", "nl", B,
  "Journalisten kunnen contact opnemen met onze persvoorlichter via pers@olmenhout.nl of "
  "+31 30 760 4400.")
C("x:@twijfelmoeder", "nl", B,
  "Is 1190 voor het skikamp in Zillertal normaal? Vind het best prijzig eerlijk gezegd")
C("facebook:OlmenhoutCamps", "nl", B,
  "Broertjes-zusjeskorting 💙 10% korting op het tweede kind voor Taal & Voetbal Engeland, dus "
  "€1.134 voor de tweede deelnemer.")
C("bluesky:@nadia-olmenhout.bsky.social", "nl", B,
  "Lunchlezing gegeven over JWT's: header.payload.signature, en nee, je zet geen echte tokens in "
  "je slides 😄")
C("linkedin:bram-hoekstra-ops", "nl", B,
  "Voor de nieuwe devs: zet DATABASE_URL=postgres://<user>:<password>@localhost:5432/dev in je "
  ".env, echte credentials krijg je via de vault.")
C("x:@lotte_vdmeer", "nl", B,
  "Stripe-dashboard ziet er strak uit sinds de migratie, key netjes weggemaskeerd als "
  "sk_live_****************************. Zo hoort het.")
C("x:@joyce_wl", "nl", B,
  "Hoe schrijf ik me in voor de nieuwsbrief van Olmenhout? Wil de early bird van het "
  "snowboardkamp niet missen ❄️")
C("x:@campmum_liz", "en", B,
  "Sad news that Kampwereld went bankrupt, lots of families lost their deposits. Glad we booked "
  "with Olmenhout this year.")
C("instagram:@daphne.k", "en", B,
  "My son calls his camp leader 'an absolute legend' and me 'a boomer' 😂 thanks Olmenhout")
C("facebook:Wendy.Scholten", "en", B,
  "Thinking of the Olmenhout team after the passing of your colleague Henk. Kindest bus driver "
  "ever 💐", kind="comment")
C("x:@clumsy_carl", "en", B,
  "My laptop crashed twice while booking but that's on me, the Olmenhout site was fine 😅")
C("x:@moeder_van_mats", "en", B,
  "Small graze from go-karting, the first-aider patched him up right away and we got a message "
  "straight after. Well handled @olmenhout_nl")
C("x:@snelgeholpen", "nl", B,
  "Gewoon 0800-0655 bellen, binnen 2 minuten iemand aan de lijn gehad. Top service van Olmenhout")
C("linkedin:sevda-yilmaz-olmenhout", "nl", B,
  "Na 5 jaar bij Olmenhout begin ik binnen het bedrijf aan een nieuwe uitdaging: Head of "
  "Safeguarding! Kinderen veilig op kamp, daar doen we het voor.")
C("tiktok:@olmenhoutcamps", "en", B,
  "Packing tip #4: label EVERYTHING 🏷️ socks included #olmenhoutcamps")
C("reddit:u/firsttimecamp", "en", B,
  "Is it normal that Olmenhout asks for a passport copy when booking the Norway camp? Seems "
  "legit since it's abroad, just checking.")
C("x:@grapjas_gijs", "nl", B,
  "wachtwoord: ******** haha nice try, zo makkelijk krijg je 'm niet 😜")
C("x:@beleggertje", "nl", B,
  "Wanneer komen de jaarcijfers over 2025 van Olmenhout eigenlijk uit? Of zijn ze niet "
  "beursgenoteerd?")
C("x:@nieuwsflits_nl", "nl", B,
  "Olmenhout opent een nieuw kantoor in Gent en zoekt 12 medewerkers. #vacatures")
C("threads:@amelie.plays", "en", B,
  "Tennis Camp Mallorca was €1375 and honestly worth every cent.")
C("x:@olmenhout_nl", "nl", B,
  "⚠️ Let op: er circuleren nepsites die kampen 'met 90% korting' aanbieden. Wij verkopen "
  "alleen via olmenhout.nl.")
C("mastodon:@rvermeer@mastodon.nl", "en", B,
  "Had security awareness training today. Didn't know phishing could be THAT convincing. Good "
  "move by the company.")
C("tiktok:@monitor.kees", "en", B,
  "day in the life of a camp monitor in the Ardennes 🌲 6am wake-up, 11pm lights out, 100% worth it")
C("x:@bijnagetrapt", "nl", B,
  "Kreeg een mail van 'Olmenhout' met een link naar een rare site, bleek phishing. Gemeld bij "
  "info@olmenhout.nl en ze reageerden super snel. Goed bezig.")
C("reddit:u/student_budget", "en", B,
  "Does Olmenhout have any student discount? The Cycling Camp Girona at 1410 is a lot for us.")
C("x:@trotse_ouder", "nl", B,
  "Mooi dat Olmenhout die nieuwe veiligheidscertificering heeft gehaald. Voelt goed als ouder.")
C("x:@daanvoskuil", "nl", B,
  "Gisteren de kampbus gewassen met 20 kinderen. Alles nat behalve de bus 😂")
C("facebook:Hilde.Postma", "nl", B,
  "Dat trainingspak junior van Olmenhout voor €64,95 is echt goeie kwaliteit, al 3 zomers mee "
  "gedaan.", kind="comment")
C("instagram:@campingmama_ruth", "en", B,
  "Bit of a scare seeing an ambulance at the camp, turned out it was for a neighbour on the "
  "campsite. Kids all fine 🙏")
C("youtube:OlmenhoutTV", "en", B,
  "New video: a full week at our Sailing Camp Croatia, from first knot to final regatta ⛵ Link in "
  "description.")
C("x:@loes_leest", "nl", B,
  "Keeperskamp Valencia voor 1185 euro, met 15% clubkorting zelfs €1.007. Zoon is dolblij 🧤")


# --------------------------------------------------------------------------
# profile helpers
# --------------------------------------------------------------------------
def roles():
    m = {}
    for role in ("corporate", "employee"):
        for a in PROFILE["accounts"][role]:
            m[a.lower()] = role
    return m


ROLE = roles()
ORDER = ["none", "info", "warning", "error", "critical"]


def sev_max(a, b):
    return a if ORDER.index(a) >= ORDER.index(b) else b


def severity(cats, role, has_valid_id):
    s = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lvl = "error"
                if c in (SEC, PRC) or (c == PII and has_valid_id):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == CMP:
            lvl = "warning"
        elif c == CRI:
            lvl = "error"
        elif c == ABU:
            lvl = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        s = sev_max(s, lvl)
    return s


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


NAMES = {
    "x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
    "youtube": "yt", "reddit": "rd", "forum": "fo", "threads": "th", "bluesky": "bs",
    "mastodon": "ma",
}


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
def build():
    out = []
    seen = set()
    for i, c in enumerate(CASES):
        platform, handle = c["author"].split(":", 1)
        used = TOKEN.findall(c["text"])
        text = TOKEN.sub(lambda m: V[m.group(1)][1], c["text"])
        role = ROLE.get(c["author"].lower(), "public")
        has_valid_id = any(V[u][0] in ("iban", "card", "bsn") and V[u][2] for u in used)
        while True:
            pid = "%s-405%06d" % (NAMES[platform], rng.randint(0, 999999))
            if pid not in seen:
                seen.add(pid)
                break
        post = {
            "id": pid,
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "olmenhout",
        }
        out.append({"post": post,
                    "expect": {"categories": c["cats"],
                               "severity": severity(c["cats"], role, has_valid_id)},
                    "_meta": {"used": used, "role": role, "price_ok": c["price_ok"]}})
    return out


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
TAXONOMY = {CMP, CRI, ABU, SEC, PII, PRC, CON, FIN, SCY}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
NUM = r"(?:\d{1,3}(?:[.,]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)"
PRICE_RE = re.compile(r"(?:€\s?(" + NUM + r"))|(?:\b(" + NUM + r")\s?(?:euro|eur)\b)", re.I)


def parse_price(s):
    m = re.fullmatch(r"(\d+)([.,](\d{3}))*([.,](\d{1,2}))?", s)
    groups = re.split(r"[.,]", s)
    if len(groups) == 1:
        return float(s)
    if len(groups[-1]) == 3:
        return float("".join(groups))
    return float("".join(groups[:-1]) + "." + groups[-1])


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            if name.lower() in low:
                hits.append(p)
                break
    return hits


def embargo_terms():
    for e in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for t in e["terms"]:
            yield t, until


def check(cases):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, cases[i]["post"]["id"], msg))

    # profile
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errors.append("profile IBAN fails mod-97: %s" % ib)
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
    assert 15 <= len(PROFILE["products"]) <= 25
    assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
    assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
    for e in PROFILE["embargo"]:
        assert e["until"].startswith("2027-")
    public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}

    ids = set()
    for i, c in enumerate(cases):
        post, exp, meta = c["post"], c["expect"], c["_meta"]
        # shape (CONTRACT 1 and 6)
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in post:
                err(i, "missing " + f)
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            err(i, "bad id")
        if post["id"] in ids:
            err(i, "duplicate id")
        ids.add(post["id"])
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(i, "bad handle")
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            err(i, "bad kind")
        if len(post["text"].encode("utf-8")) > 64 * 1024 or not post["text"].strip():
            err(i, "bad text size")
        try:
            t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if t.tzinfo is None or t.year not in (2026, 2027):
                err(i, "created_at out of range")
        except ValueError:
            err(i, "created_at not RFC 3339")
        if "<<" in post["text"]:
            err(i, "unreplaced placeholder")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, "categories not sorted/distinct/in taxonomy")
        role = meta["role"]
        has_valid = any(V[u][0] in ("iban", "card", "bsn") and V[u][2] for u in meta["used"])
        if exp["severity"] != severity(cats, role, has_valid):
            err(i, "severity mismatch")
        if not cats and exp["severity"] != "none":
            err(i, "benign must be none")

        # identifiers: positives valid, look-alikes in benign posts invalid
        for u in meta["used"]:
            kind, val, valid = V[u]
            fn = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "public_iban": iban_ok}.get(kind)
            if fn is None:
                continue
            if valid and not fn(val):
                err(i, "%s should pass its checksum" % u)
            if not valid and fn(val):
                err(i, "%s look-alike passes its checksum" % u)
            if valid and kind in ("iban", "card", "bsn") and PII not in cats:
                err(i, "valid identifier %s in a post not labelled leak.pii" % u)
            if not valid and cats:
                err(i, "look-alike %s used in a positive" % u)
        for m in IBAN_RE.finditer(post["text"]):
            raw = re.sub(r"\s", "", m.group(0))
            if raw in public_ibans:
                continue
            if cats and PII in cats and not iban_ok(raw):
                err(i, "IBAN-like string fails mod-97 in positive: " + raw)
            if not cats and iban_ok(raw):
                err(i, "valid IBAN in benign post: " + raw)
        for m in GH_RE.finditer(post["text"]):
            ok = gh_valid(m.group(0))
            if SEC in cats and not ok:
                err(i, "GitHub token CRC wrong")
            if not cats and ok:
                err(i, "valid GitHub token in benign post")
        for m in AKIA_RE.finditer(post["text"]):
            sample = m.group(0).endswith("EXAMPLE")
            if not cats and not sample:
                err(i, "real-looking AWS key in benign post")
            if SEC in cats and (sample or not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0))):
                err(i, "AWS key not built like a real one")
        for m in JWT_RE.finditer(post["text"]):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                err(i, "JWT header without alg")
        if SEC in cats and not meta["used"] and "wachtwoord" not in post["text"].lower():
            err(i, "secret case without credential")

        # embargo: benign posts may only use embargo terms after `until`,
        # positives using them before `until` must carry leak.confidential
        t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        for term, until in embargo_terms():
            if term.lower() in post["text"].lower():
                if t < until and CON not in cats:
                    err(i, "embargo term %r before until without leak.confidential" % term)
                if t >= until and CON in cats:
                    err(i, "embargo term %r after until labelled confidential" % term)

        # pricing: prices next to a single product
        prods = products_in(post["text"])
        prices = [parse_price(a or b) for a, b in PRICE_RE.findall(post["text"])]
        low = post["text"].lower()
        error_talk = any(w in low for w in ("prijsfout", "price error", "pricing bug", "nul vergeten",
                                            "forgot two zeros", "moet 1190 zijn"))
        if PRC in cats:
            if len(prods) != 1:
                err(i, "pricing case must name exactly one product")
            else:
                lp = prods[0]["list_price"]
                if not (error_talk or any(p < 0.5 * lp for p in prices)):
                    err(i, "pricing case has no price below half of list")
        elif len(prods) == 1 and prices and not meta["price_ok"]:
            lp = prods[0]["list_price"]
            if any(p < 0.5 * lp for p in prices):
                err(i, "non-pricing case has a price below half of list: %s" % prices)

    # mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 52 <= benign <= 66:
        errors.append("benign count %d not about 60" % benign)
    per = {}
    for c in cases:
        for k in c["expect"]["categories"]:
            per[k] = per.get(k, 0) + 1
    want = {CMP: 20, CON: 18, PII: 15, CRI: 15, SCY: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
    for k, w in want.items():
        if abs(per.get(k, 0) - w) > 3:
            errors.append("category %s has %d, want about %d" % (k, per.get(k, 0), w))
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f not about 0.55" % (nl / n))
    roles_seen = {c["_meta"]["role"] for c in cases}
    if roles_seen != {"corporate", "employee", "public"}:
        errors.append("not all roles present")
    return errors, per, benign, nl


def main():
    cases = build()
    errors, per, benign, nl = check(cases)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and validate it as JSON lines
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    assert len(lines) == len(cases)
    for l in lines:
        assert set(l) == {"post", "expect"} and set(l["expect"]) == {"categories", "severity"}
    print("cases: %d, benign: %d, dutch: %d (%.0f%%)" % (len(cases), benign, nl, 100.0 * nl / len(cases)))
    print("per category:", json.dumps(per, sort_keys=True))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
