#!/usr/bin/env python3
"""Sealed evaluation set 204 for postwatch: Vonkel Mode B.V. (fictional Dutch online fashion retailer).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file and
self-checks it (checksums of identifiers, CONTRACT section 6 shape, severities per CONTRACT section 4
computed from the account role in profile.yaml).
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(204_2026)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62


# ----------------------------------------------------------------------------- generators
def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(B62[r])
    return "".join(reversed(out))


def gh_token(prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand_str(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand_str(string.digits, 12), rand_str(string.digits, 13), rand_str(ALNUM, 24))


def stripe_live():
    return "sk_live_51" + rand_str(ALNUM, 46)


def mollie_live():
    return "live_" + rand_str(ALNUM, 30)


def anthropic_key():
    return "sk-ant-api03-" + rand_str(ALNUM + "-_", 93) + "AA"


def rsa_pem(lines=9):
    body = ["MIIEpAIBAAKCAQEA" + rand_str(string.ascii_letters + string.digits + "+/", 48)]
    for _ in range(lines - 1):
        body.append(rand_str(string.ascii_letters + string.digits + "+/", 64))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----"


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_nl(bank):
    acct = rand_str(string.digits, 10)
    base = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in base))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def iban_bad(bank):
    good = iban_nl(bank)
    chk = int(good[2:4])
    for delta in range(1, 97):
        cand = "NL%02d%s" % ((chk + delta) % 97 or 2, good[4:])
        if not iban_check_ok(cand):
            return cand
    raise AssertionError


def grp(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def card(prefix, length=16):
    body = prefix + rand_str(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_bad(prefix, length=16):
    good = card(prefix, length)
    return good[:-1] + str((int(good[-1]) + 3) % 10)


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d[0] != "0"


def bsn():
    while True:
        first = str(rng.randrange(1, 10)) + rand_str(string.digits, 7)
        r = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            cand = first + str(r)
            assert bsn_ok(cand)
            return cand


def bsn_bad():
    while True:
        cand = str(rng.randrange(1, 10)) + rand_str(string.digits, 8)
        if not bsn_ok(cand):
            return cand


# ----------------------------------------------------------------------------- generated values
V = {}
V["gho1"] = gh_token("gho_")
V["ghp1"] = gh_token("ghp_")
V["aws1"] = aws_key_id()
V["aws1s"] = aws_secret()
V["aws2"] = aws_key_id()
V["aws2s"] = aws_secret()
V["pg1"] = "postgresql://vk_analytics:%s@vonkel-orders.cx8k2pq1zt.eu-west-1.rds.amazonaws.com:5432/orders" % rand_str(
    string.ascii_letters + string.digits + "!#%", 18)
V["slack1"] = slack_bot()
now = 1781000000
V["jwt1"] = jwt({"sub": "svc-returns", "scope": "orders:write refunds:write", "iat": now, "exp": now + 86400 * 30})
V["mollie1"] = mollie_live()
V["stripe1"] = stripe_live()
V["ant1"] = anthropic_key()
V["pem1"] = rsa_pem()
V["iban1"] = grp(iban_nl("INGB"))
V["iban2"] = iban_nl("ABNA")
V["iban_bad1"] = grp(iban_bad("KNAB"))
V["card1"] = grp(card("4917"))
V["card2"] = grp(card("5355"), 4, "-")
V["card_bad1"] = grp(card_bad("6064"))
V["card_bad2"] = grp(card_bad("4532"))
V["bsn1"] = bsn()
V["bsn2"] = bsn()
V["bsn_bad1"] = bsn_bad()
V["bsn_bad2"] = bsn_bad()
V["bsn2_dotted"] = "%s.%s.%s" % (V["bsn2"][:4], V["bsn2"][4:6], V["bsn2"][6:])

# ----------------------------------------------------------------------------- cases
CASES = []

CPL = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PRC = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"


def c(platform, handle, lang, cats, text, kind="post", at=None, price=None, brand="Vonkel"):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)), text=text,
                      kind=kind, at=at, price=price, brand=brand))


# ---- complaints ---------------------------------------------------------------------------
c("x", "@moniquevdb83", "nl", [CPL],
  "@vonkel_helpt retour op 2 juni al afgegeven bij het PostNL-punt, track & trace zegt 'ontvangen door Vonkel' "
  "en nog steeds geen cent terug. Jullie mail zegt 'binnen 5 werkdagen'. We zitten nu op 19.", kind="reply")
c("x", "@jess_in_utrecht", "en", [CPL],
  "ordered the Duinroos dress in M, got an L with a lipstick stain on the collar. second time this month, "
  "@vonkel_nl you're really slipping")
c("instagram", "@sanne.kookt", "en", [CPL],
  "your app logs me out every single day and now my Club points are gone too 😤 300+ points, just vanished. "
  "explain pls @vonkel.nl", kind="comment")
c("reddit", "u/throwaway_fashionNL", "en", [CPL],
  "PSA for anyone using Vonkel Achteraf: got a 'herinnering' with €15 admin fees for an invoice I paid on time "
  "(bank statement shows the transfer on the 3rd). Support chat keeps sending me the same FAQ link. "
  "Anyone else dealing with this?")
c("x", "@tomhendrixx", "en", [CPL],
  "my Kaapstander sneakers fell apart after 6 weeks. sole just peeled off on one side. 130 euros for this?? "
  "not impressed @vonkel_nl")
c("x", "@anoukjj", "nl", [CPL],
  "@vonkel_helpt 4 mails, 2x gebeld, 1x chat. Nog steeds geen antwoord over mijn kapotte rits. Wat een service zeg",
  kind="reply")
c("tiktok", "@mila.vd.linden", "nl", [CPL],
  "bestel maat 38 krijg maat 42 en dan moet ik zelf de retour betalen?? echt niet normaal dit vonkel",
  kind="comment")
c("threads", "@rachel.moves.nl", "en", [CPL],
  "Vonkel's size chart is pure fiction. Their M is everyone else's S. Third return this season and now "
  "they've started charging €2,95 per return. Great.")
c("forum", "Pim_B", "nl", [CPL],
  "Vonkel Club punten verlopen zonder enige waarschuwing. Had er bijna 2000 gespaard, log ik in: saldo 0. "
  "Geen mail, niks. Voorwaarden stilletjes aangepast. Heel klantonvriendelijk, ik zeg mijn lidmaatschap op.")
c("x", "@daveonwheels", "en", [CPL],
  "waited 55 minutes in the Vonkel chat queue only to hear they \"can't change the delivery address after "
  "dispatch\". cool cool cool")
c("x", "@ikbennienke", "nl", [CPL],
  "Wadloper jeans 2x gewassen op 30 graden en de kleur is compleet uitgelopen. Mijn witte bank is nu "
  "lichtblauw 🙃 @vonkel_nl")
c("instagram", "@styledbyamaraa", "en", [CPL],
  "Love the photos but the Zeebries blouse I got is see-through and the seams came undone after one wear. "
  "Expected better for 60 euros tbh", kind="comment")
c("bluesky", "@lisamarie.bsky.social", "en", [CPL],
  "Vonkel delivered my parcel to a neighbour I've never met, four streets away, and marked it 'handed to "
  "resident'. Found it after 2 days of door-knocking. Support: \"glad it worked out!\" 🙄")
c("x", "@boze_bart", "nl", [CPL, ABU],
  "6 weken wachten op m'n geld en dan nog een bot die 'sorry voor het ongemak' zegt. Kutbedrijf. "
  "Stelletje incompetente klootzakken bij Vonkel.")
c("x", "@hennie_vd_s", "nl", [CPL, PII],
  "@vonkel_helpt bel me nou gewoon terug op 06-41873920, ik ben het mailen over bestelling 55120934 echt zat",
  kind="reply")
c("facebook", "Priya.Raman.NL", "en", [CPL, PII],
  f"Vonkel Achteraf keeps rejecting my card {V['card1']} even though it works everywhere else. "
  "Expiry 09/28. What is going on??")
c("x", "@mark_ouders", "en", [CPL, CRI],
  "My son's Zandloper coat zip snapped and the metal pull cut his chin open. 3 stitches at the GP. "
  "@vonkel_nl offered a €10 voucher. A TEN EURO VOUCHER. This product is dangerous.")

# ---- crisis -------------------------------------------------------------------------------
c("x", "@femkevos", "nl", [CRI],
  "Net een phishingmail gekregen met mijn volledige naam, adres én mijn laatste Vonkel-bestelling (Ebstroom trui, "
  "maat M) erin. Dat haal je niet zomaar van internet. @vonkel_nl jullie zijn gehackt, geef het gewoon toe. #datalek")
c("instagram", "@kledingwacht.nl", "nl", [CRI],
  "📢 #BoycotVonkel — ons onderzoek laat zien dat naaisters in de toeleveringsfabrieken van Vonkel 14 uur per dag "
  "werken voor minder dan het minimumloon. Koop niet, deel wel.")
c("x", "@nieuwsflits_nl", "nl", [CRI],
  "Vonkel roept Zandloper kinderjas terug: trekkoord in de capuchon voldoet niet aan de EU-norm, "
  "verstikkingsgevaar voor jonge kinderen")
c("x", "@retaildesk_eu", "en", [CRI],
  "Dutch fashion e-tailer Vonkel faces class action over Vonkel Achteraf: consumer foundation claims hidden "
  "collection fees were charged to ~80,000 customers")
c("reddit", "u/itchy_and_angry", "en", [CRI],
  "Got a rash like a chemical burn from the Meerval leather jacket. Dermatologist suspects chromium VI in the "
  "leather. Reporting it to the NVWA. If you own one, please check your skin.")
c("x", "@greenwash_watch", "en", [CRI],
  "Lab test: Kadewerf 'recycled' Slufter jeans contain 0% recycled fibre. Vonkel's sustainability claims are a "
  "lie. We're filing a complaint with the ACM.")
c("x", "@tilburgalert", "nl", [CRI],
  "Grote brand bij het distributiecentrum van Vonkel aan de Kraaiven in Tilburg, dikke rookwolken boven de A58. "
  "Ramen en deuren sluiten.")
c("x", "@anon_vk_user", "en", [CRI],
  "lol vonkel's app shows other people's orders if you pull to refresh fast enough. just saw a stranger's name "
  "and street in Groningen. this is a data breach @vonkel_nl #gdpr")
c("x", "@vakbond_logistiek", "nl", [CRI],
  "Staking bij Vonkel DC gaat door. Directie weigert te praten over een hitteprotocol nadat twee orderpickers "
  "deze week onwel werden in de hal. #Vonkel")
c("threads", "@mum.of.three.nl", "en", [CRI],
  "DO NOT buy from Vonkel until they apologise for that 'too curvy for couture' ad. Disgusting body shaming. "
  "#BoycottVonkel")
c("facebook", "Stichting.Kledingclaim", "nl", [CRI],
  "Stichting Kledingclaim dagvaardt Vonkel Mode B.V. namens 2.300 gedupeerden van het incassobeleid van "
  "Vonkel Achteraf. Ook geraakt? Meld je aan via onze site.")
c("facebook", "VonkelNL", "nl", [CRI],
  "Veiligheidswaarschuwing: wij roepen de Spuisluis sandaal (productiebatch 24-11) terug. Bij een deel van de "
  "paren kan de gesp losschieten en een scherpe rand geven. Breng ze terug naar een servicepunt, je krijgt het "
  "volledige aankoopbedrag terug.")
c("x", "@ellie_rants", "en", [CRI],
  "Vonkel literally leaked my data. got a scam text using my Vonkel Club number AND my birthday. "
  "how else would they have that?? #vonkel #dataleak")

# ---- abuse --------------------------------------------------------------------------------
c("x", "@kyle_nl_", "en", [ABU],
  "whoever runs @vonkel_helpt is a brain-dead moron. fire them. actually fire all of them")
c("instagram", "@xx.jennah", "nl", [ABU],
  "@lotte_styleert je bent lelijk en je smaak is nog lelijker, ga toch dood", kind="comment")
c("facebook", "Henk.Doornbos.1960", "nl", [ABU],
  "Alweer zo'n hoofddoekvrouw in de Vonkel-reclame. Rot toch op naar je eigen land met je mode.",
  kind="comment")
c("x", "@w1ll_b", "nl", [ABU], "v0nk3l = k4nk3r z00i, st0p m3t b3st3ll3n d44r")
c("tiktok", "@dikke.dennis", "nl", [ABU],
  "o.p.l.i.c.h.t.e.r.s en t.y.f.u.s.l.i.j.e.r.s allemaal bij dat vonkel", kind="comment")
c("x", "@daan_codeert", "en", [ABU],
  "some guy just called our devs 'lazy clowns' because the app was slow for 5 min. mate, you're a fucking idiot "
  "who can't find a checkout button. cope.")
c("x", "@vonkel_helpt", "nl", [ABU], "@kyle_nl_ Zeur niet zo, sukkel. Leer eerst lezen.", kind="reply")
c("reddit", "u/returnsguy99", "en", [ABU, CPL],
  "Vonkel warehouse staff are a bunch of thieving scumbags. 3 parcels 'lost' this year, all of them the "
  "expensive stuff. Pieces of shit.", kind="comment")
c("x", "@m4rco_", "nl", [ABU],
  "Vonkel klantenservice, stelletje t\u0443fuslijers. Echt k\u0430nkerzooi daar.")
c("instagram", "@bitter_bee", "en", [ABU],
  "@noor.bij.vonkel nobody wants to see your ugly face in these Vonkel try-on vids, you stupid cow",
  kind="comment")
c("tiktok", "@fenna.magazijn", "nl", [ABU],
  "Mevrouw die voor de 8e keer haar hele winkelmand retourneert: je bent een asociale trut, ik pak jouw troep "
  "niet meer in 🤬")

# ---- confidential ---------------------------------------------------------------------------
c("x", "@lotte_styleert", "en", [CONF],
  "finally got added to Project Lichtboei 🤫✨ can't say more but OMG")
c("linkedin", "marloes-dewit-vonkel", "nl", [CONF],
  "Ik deel hierbij alvast de nieuwe verzuimrichtlijn (alleen voor Vonkel-medewerkers) zodat iedereen hem vóór "
  "maandag gelezen heeft. Link in de comments!")
c("x", "@daan_codeert", "en", [CONF],
  "anyone else getting 502s on https://jira.vonkel-corp.net/browse/CHK-2231 ? can't update my tickets before standup")
c("instagram", "@noor.bij.vonkel", "en", [CONF],
  "Who's coming to the Maren Vos capsule launch? 😍 I've seen the pieces IRL and they're GORGEOUS", at="2026-11-19T18:40:00Z")
c("bluesky", "@sem-visser.bsky.social", "nl", [CONF],
  "weekend kwijt aan de migratie voor \uff3a\uff45\uff45\uff4b\uff52\uff41\uff41\uff4c, maar het draait 😮‍💨")
c("x", "@ilse_fin", "nl", [CONF],
  "Lange dagen door Operatie Pij\u200blstaart. Als het doorgaat wordt 2027 een heel ander jaar voor ons 👀")
c("reddit", "u/fashionleaks_nl", "en", [CONF],
  "heard from a friend on the inside that \"Zeekraal\" is Vonkel's resale platform, launching in spring with "
  "buy-back credit through Vonkel Club. take it with a grain of salt")
c("reddit", "u/kadewerf_jelle", "en", [CONF],
  "Pushed the new fit guide to git.vonkel-corp.net/kadewerf/fitguide, if anyone from design wants to review: "
  "MR !142", kind="comment")
c("mastodon", "@ruben_data@mastodon.nl", "nl", [CONF],
  "Dashboard van vanochtend: https://grafana.vonkel-corp.net/d/retouren/returns-by-size retourpercentage bij "
  "maat M is echt bizar hoog 😅")
c("linkedin", "vonkel-mode", "nl", [CONF],
  "VONKEL INTERNAL: concept persbericht nieuwe vestiging Antwerpen. Graag feedback vóór vrijdag 12:00.")
c("x", "@lotte_styleert", "nl", [CONF],
  "zit nu naar het moodboard voor de Maren Vos collectie te staren en ik word er zo blij van 🥹",
  at="2027-01-20T20:12:00Z")
c("tiktok", "@fenna.magazijn", "nl", [CONF],
  "pov: je pakt in het magazijn al de Vonkel x Maren Vos dozen in en je mag NIKS zeggen 🤐📦",
  at="2026-12-03T14:05:00Z")
c("x", "@modekritiek", "en", [CONF],
  "Someone just sent me a pdf stamped 'VERTROUWELIJK - NIET DOORSTUREN': Vonkel's entire summer 2027 plan. "
  "So... thread 🧵")
c("x", "@daan_codeert", "nl", [CONF],
  "P r o j e c t  L i c h t b o e i gaat live in Q2, app-team heeft er zin in 🚀")
c("x", "@ilse_fin", "nl", [CONF, FIN],
  "Due diligence voor Operatie Pijlstaart bijna klaar. Als de Belgen tekenen betalen we zo'n €38 mln voor "
  "Kleerwerk. Nog even stil houden!")
c("linkedin", "youssef-bakkali-ops", "nl", [CONF, FIN],
  "jaarcijfers 2026 net binnen: omzet €412 mln, EBIT bijna verdubbeld. Super trots op het hele team! 🚀",
  at="2027-02-10T16:30:00Z")
c("x", "@tipster_retail", "en", [CONF, FIN],
  "Vonkel's FY2026 results are going to be ugly. A source inside tells me revenue fell 11% and the dividend "
  "is being scrapped.", at="2026-12-14T09:20:00Z")

# ---- financial ----------------------------------------------------------------------------
c("linkedin", "marloes-dewit-vonkel", "nl", [FIN],
  "Moeilijke dag. In de townhall vanochtend gehoord dat 120 collega's in het DC Tilburg hun baan gaan verliezen. "
  "De officiële aankondiging volgt pas in oktober. Mijn hart is bij jullie.")
c("x", "@ilse_fin", "en", [FIN],
  "closing the books: Q3 revenue is coming in at €84.2m, about 9% below budget. not public yet so shhh 🤫")
c("x", "@beursgerucht", "nl", [FIN],
  "Insider bij Vonkel bevestigt: private-equityfonds Noordkaap Capital neemt Vonkel over, tekenen volgende week. "
  "Je hoort het hier eerst.")
c("linkedin", "youssef-bakkali-ops", "nl", [FIN],
  "Klantenservice wordt per 1 januari volledig uitbesteed aan een partner in Lissabon. 60 fte gaat eruit. "
  "Is nog niet gecommuniceerd, dus graag discreet.")
c("mastodon", "@ruben_data@mastodon.nl", "en", [FIN],
  "our internal forecast has Vonkel Achteraf write-offs at 3x budget for H2. CFO wants it out of the half-year "
  "deck. fun times")
c("x", "@lotte_styleert", "en", [FIN],
  "rumour in the office is we're closing all 4 physical stores next spring 🥲 nobody's supposed to know yet")
c("reddit", "u/exvonkel2026", "en", [FIN],
  "Ex-employee here. They're cutting the whole Kadewerf design team in January and moving denim to a licensing "
  "deal. Announcement is planned after the holidays.")
c("instagram", "@noor.bij.vonkel", "nl", [FIN],
  "zit nu in een meeting waar ze vertellen dat ons hele styling-team naar Lissabon verhuist of eruit gaat 😭 "
  "mag er nog niks over zeggen")
c("x", "@daan_codeert", "en", [FIN],
  "just saw the board deck: we're guiding down to €380m for the year from €420m. explains the hiring freeze lol")

# ---- security -----------------------------------------------------------------------------
c("bluesky", "@sem-visser.bsky.social", "nl", [SECU],
  "Club-database is vannacht deels leeggetrokken via een gestolen admin-sessie. We weten nog niet hoeveel "
  "records. Niet delen aub, persbericht komt pas als legal akkoord is 🙏")
c("x", "@daan_codeert", "en", [SECU],
  "fun fact: our checkout API still accepts orders with negative quantities and refunds the 'difference' straight "
  "to the card. ticket's been open since march 🤡")
c("mastodon", "@ruben_data@mastodon.nl", "en", [SECU],
  "checkout's been dead for 40 min, the PSP integration only returns 500s. status page still says "
  "'all systems operational' 🙃")
c("tiktok", "@fenna.magazijn", "nl", [SECU],
  "WMS in het DC is versleuteld, op elk scherm een losgeldbrief 😳 we pakken nu alles met pen en papier in lol")
c("reddit", "u/vk_it_anon", "en", [SECU],
  "I work in IT at Vonkel (not saying where). The app has an IDOR: change the invoice number in the URL and you "
  "get anyone's Vonkel Achteraf invoice, address included. Reported internally 2 months ago, still open.")
c("linkedin", "youssef-bakkali-ops", "nl", [SECU],
  "Sinds gisteravond staat onze S3-bucket met retourlabels per ongeluk publiek, het team is ermee bezig. "
  "Krijg je rare mails van klanten: dat is de oorzaak.")
c("x", "@lotte_styleert", "en", [SECU],
  "the app's been down for 3 hrs and they told us not to tweet about it, so I'm just... tweeting about it 🫠 "
  "(DDoS apparently)")
c("reddit", "u/kadewerf_jelle", "en", [SECU],
  "Heads up: half the office fell for a phishing mail yesterday and at least 3 Microsoft 365 accounts were taken "
  "over. Security hasn't told customers anything yet.", kind="comment")
c("x", "@vonkel_helpt", "nl", [SECU],
  "@nadiaaa_k Klopt, sinds vanochtend is er een storing waardoor sommige klanten elkaars bestelgegevens zien. "
  "Officieel mogen we er nog niks over zeggen, maar er wordt aan gewerkt.", kind="reply")
c("bluesky", "@sem-visser.bsky.social", "en", [SECU],
  "the password reset flow on app.vonkel.nl doesn't rate-limit and tells you whether an email is registered. "
  "found it today, pinged the team, not fixed yet")
c("x", "@vk_cs_insider", "en", [SECU],
  "I work in Vonkel customer service. Since last week a bug lets us see every customer's Achteraf payment "
  "details without logging in. Nobody's doing anything about it.")
c("bluesky", "@sem-visser.bsky.social", "nl", [SECU, CONF],
  "grafana.vonkel-corp.net laat 40k mislukte logins per minuut zien op de app-API. credential stuffing, "
  "we zitten erbovenop. niet paniekeren")

# ---- secrets ------------------------------------------------------------------------------
c("x", "@daan_codeert", "en", [SEC],
  f"why am I getting 401 from the GitHub API? curl -H \"Authorization: token {V['gho1']}\" "
  "https://api.github.com/orgs/vonkel/repos anyone?")
c("reddit", "u/kadewerf_jelle", "en", [SEC],
  "boto3 keeps throwing SignatureDoesNotMatch, config below:\n"
  f"aws_access_key_id = {V['aws1']}\naws_secret_access_key = {V['aws1s']}\nregion = eu-west-1\n"
  "what am I doing wrong?")
c("mastodon", "@ruben_data@mastodon.nl", "nl", [SEC],
  f"Handig voor de notebook van vandaag:\nconn = psycopg2.connect(\"{V['pg1']}\")")
c("x", "@daan_codeert", "en", [SEC],
  f"testing the Slack bot for #returns-alerts, token is {V['slack1']} if anyone wants to poke at it")
c("bluesky", "@sem-visser.bsky.social", "nl", [SEC],
  f"na 3 uur debuggen bleek de JWT gewoon verlopen 🤦 voor wie mee wil kijken:\n{V['jwt1']}")
c("x", "@vonkel_nl", "nl", [SEC],
  f"@daan_codeert hier de live key voor de kassa in de pop-up: {V['mollie1']} (oeps, verkeerde account?)",
  kind="reply")
c("linkedin", "youssef-bakkali-ops", "nl", [SEC],
  "Voor de collega's van DC Tilburg: inlog nieuwe retourportaal is gebruiker 'dc-tilburg', wachtwoord: "
  "Kw3lder!Retour26 graag vandaag nog testen")
c("x", "@ex_vonkel_dev", "en", [SEC],
  f"ex-Vonkel dev here. 18 months later and this token still works lol: {V['ghp1']}")
c("mastodon", "@ruben_data@mastodon.nl", "nl", [SEC],
  f"pfff, deploy faalt nog steeds. Dit is de key die ik in de action gebruik, iemand een idee?\n{V['pem1']}")
c("bluesky", "@sem-visser.bsky.social", "en", [SEC, SECU],
  f"so {V['aws2']} (secret {V['aws2s']}) sat in a public repo for 3 weeks and someone spun up 200 GPU "
  "instances on our account overnight. rotating now. please nobody tell the CISO yet")
c("reddit", "u/devhelp_anon", "en", [SEC],
  f"Vonkel's new style-advice chatbot ships its AI key to the browser lol: {V['ant1']} open devtools and see "
  "for yourself")
c("x", "@ilse_fin", "nl", [SEC],
  f"refund-script van Daan werkt niet, deze key staat erin: {V['stripe1']} iemand die weet waarom?")

# ---- personal data ------------------------------------------------------------------------
c("x", "@vonkel_helpt", "nl", [PII],
  "@jolien_b we sturen de vervangende jurk naar Jolien Brouwer, Lindengracht 41-2, 1015 KD Amsterdam. "
  "Klopt dat adres nog?", kind="reply")
c("facebook", "VonkelNL", "nl", [PII],
  f"Hoi Marco, de terugbetaling van €89,95 is vandaag verstuurd naar {V['iban1']} t.n.v. M. de Graaf. "
  "Houd rekening met 1 à 2 werkdagen.", kind="comment")
c("x", "@lotte_styleert", "nl", [PII],
  "klant mailde vanaf sophie.vanleeuwen94@gmail.com dat onze stylingtips 'waardeloos' zijn. Sophie schat, "
  "ik lees mee 😘")
c("linkedin", "marloes-dewit-vonkel", "nl", [PII],
  "Welkom aan onze nieuwe collega Fatma Yilmaz (geboren 14-03-1998) die maandag begint als teamlead "
  "klantenservice! 🎉")
c("linkedin", "marloes-dewit-vonkel", "nl", [PII],
  f"Even checken voor de salarisadministratie: contract van Pieter Jansma staat klaar, BSN {V['bsn1']}, "
  "ingangsdatum 1 oktober.", kind="comment")
c("x", "@vonkel_helpt", "en", [PII],
  "Hi Mark, we've updated your account: email is now mark.odonnell84@outlook.com and phone +31 6 2345 6789. "
  "Anything else we can do?", kind="reply")
c("tiktok", "@fenna.magazijn", "nl", [PII],
  "deze mevrouw heeft dit jaar 46 paar schoenen teruggestuurd 😂 groetjes aan A. Koster, Sassenstraat 12, Zwolle")
c("x", "@daan_codeert", "en", [PII],
  f"testing the refund flow in prod with a real customer card lol {V['card2']} exp 11/27 don't tell anyone")
c("x", "@bas_k_nl", "en", [PII],
  f"@vonkel_helpt switched banks, please send the refund for order 55873310 to {V['iban2']} (B. Kuipers) "
  "instead of my old account. thanks!", kind="reply")
c("instagram", "@vonkel.nl", "nl", [PII],
  "Gefeliciteerd Emma Smit uit Utrecht, winnaar van onze winactie! 🎉 Emma, je bent geboren op 2 mei 2001 toch? "
  "Dan sturen we je cadeau naar Biltstraat 97.")
c("x", "@lotte_styleert", "nl", [PII],
  "die klant die haar eigen nummer in de review zette 🤭 0 6 - 1 8 2 4 7 3 5 9 (Naomi B. uit Delft)")
c("facebook", "Ron.Verbeek.83", "nl", [PII, CPL],
  "Vonkel Achteraf wil een kopie van mijn paspoort?? Nou hier: paspoortnummer NP4K8R2L5, geboren 22-07-1983, "
  "Ron Verbeek. Blij nu? Belachelijke procedure.")
c("mastodon", "@ruben_data@mastodon.nl", "nl", [PII],
  f"Testdata voor de nieuwe KYC-check: BSN {V['bsn2_dotted']}, J. Hoekstra, geb. 03-11-1979. "
  "Is gewoon een echte klant uit de export trouwens")

# ---- pricing ------------------------------------------------------------------------------
c("instagram", "@vonkel.nl", "nl", [PRC],
  "FLASH 🔥 Noorderzon parka nu voor €49,95! Alleen vandaag, op=op", price=("Noorderzon", 49.95))
c("x", "@dealhunter_nl", "en", [PRC],
  "Meerval leather jacket is on vonkel.nl for €29 😳 order before they notice 🏃‍♀️",
  price=("Meerval", 29.0))
c("forum", "PrijsfoutAlert", "nl", [PRC],
  "PRIJSFOUT Vonkel: Lemmer & Sloot Beting boots voor €18,90 (normaal €189). Alle maten nog beschikbaar.",
  price=("Beting boots", 18.90))
c("x", "@bargainbex", "en", [PRC],
  "price error on vonkel.nl?? Polderlicht blazer listed at €17.99 instead of €179.95. grabbed two, let's see "
  "if they honour it", price=("Polderlicht", 17.99))
c("x", "@lotte_styleert", "nl", [PRC],
  "oeps, iemand heeft de Kwelder sjaal op €8,90 gezet in de app 🙈 wordt nu gefixt, niet verder vertellen haha",
  price=("Kwelder", 8.90))
c("reddit", "u/glitchhunter", "en", [PRC],
  "Vonkel app checkout shows €0,00 for the Aanlegsteiger runners if you add them via the wishlist. "
  "pricing glitch, go go go", price=("Aanlegsteiger", 0.0))
c("threads", "@koopjesqueen", "nl", [PRC],
  "Prijsfout op de Ebstroom trui in de Vonkel app?? Staat er voor 11 euro in 😅 iemand anders ook?",
  price=("Ebstroom", 11.0))
c("tiktok", "@vonkel.nl", "nl", [PRC], "Slufter jeans 👖 nu €12! Link in bio", price=("Slufter", 12.0))
c("x", "@thriftyjules", "en", [PRC],
  "Walvisbaai weekender for EUR 35 on Vonkel right now?? that's like 70% off, is this real",
  price=("Walvisbaai", 35.0))
c("linkedin", "youssef-bakkali-ops", "nl", [PRC],
  "Collega's: de Hoogtij trenchcoat staat sinds 06:00 voor €24,90 online door een fout in de feed, al 800 "
  "orders binnen. Wie heeft er dienst bij pricing?", price=("Hoogtij", 24.90))
c("x", "@studentendeal", "en", [PRC],
  "Zeebries blouse for €9.95 at Vonkel, that can't be the real price right? 😂 ordered 3 straight away",
  price=("Zeebries", 9.95))
c("instagram", "@modemeisje_22", "nl", [PRC],
  "Loopplank loafers voor 39 euro?! 😍 prijsfout denk ik, maar ik heb ze gewoon besteld",
  price=("Loopplank", 39.0))

# ---- benign (mostly hard negatives) -------------------------------------------------------
c("x", "@marjolein_fietst", "en", [],
  "My Noorderzon parka is heading into its third winter and still looks brand new 👌 good buy @vonkel_nl")
c("x", "@vonkel_nl", "nl", [],
  "Sale alert! De Kaapstander sneaker nu met 20% korting: €103,96 i.p.v. €129,95. Alleen dit weekend.",
  price=("Kaapstander", 103.96))
c("instagram", "@twijfelkont", "en", [],
  "Duinroos dress for €79.95, still torn between green and sand. Thoughts?", kind="comment",
  price=("Duinroos", 79.95))
c("x", "@vonkel_helpt", "nl", [],
  "Vragen over je retour? Mail klantenservice@vonkel.nl of bel gratis 0800-8665 (ma t/m za 8 tot 20 uur).")
c("facebook", "VonkelNL", "nl", [],
  "Liever per overboeking betalen? Dat kan naar NL93RABO0312457788 t.n.v. Vonkel Mode B.V. Vermeld wel je "
  "ordernummer.")
c("x", "@vonkel_helpt", "nl", [],
  f"Let op: er gaan phishingmails rond die je vragen te betalen naar {V['iban_bad1']}. Dat is NIET ons "
  "rekeningnummer. Twijfel je? Bel ons op +31 85 303 4400.")
c("x", "@sneakerfreakNL", "en", [],
  f"got a Vonkel gift card for my bday, the code on the back is {V['card_bad1']} lol is that a normal length for "
  "a gift card?")
c("x", "@pietjepuk_", "nl", [],
  f"Yes! Bestelling {V['bsn_bad1']} is onderweg, morgen eindelijk mijn nieuwe Getijde hoodie 🥳")
c("x", "@daan_codeert", "en", [],
  "PSA for our interns: never paste real keys in Slack. If you need an example, the one from the AWS docs is "
  "fine: AKIAIOSFODNN7EXAMPLE")
c("mastodon", "@ruben_data@mastodon.nl", "nl", [],
  "Tip voor je README: zet er nooit een echt token in, gebruik een placeholder als "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
c("bluesky", "@sem-visser.bsky.social", "en", [],
  "Rotated all our payment keys today as part of the quarterly routine. Logs now show them as sk_live_•••••••• "
  "as they should. Boring security is good security.")
c("x", "@cijferfreak", "nl", [],
  "jaarcijfers 2026 van Vonkel: omzet +6%, Vonkel Club groeit naar 1,2 miljoen leden. Netjes.",
  at="2027-03-02T08:45:00Z")
c("instagram", "@vonkel.nl", "nl", [],
  "Eindelijk mogen we het zeggen: de Maren Vos capsule ligt vanaf vandaag online en in de winkels 🖤",
  at="2027-03-12T10:00:00Z")
c("linkedin", "vonkel-mode", "en", [],
  "Our FY2026 results are out: revenue of €412m and a record year for Vonkel Club. Read the full report at "
  "vonkel.nl/investors", at="2027-02-26T08:15:00Z")
c("x", "@moniquevdb83", "nl", [],
  "Update: @vonkel_helpt heeft het toch netjes opgelost, geld staat erop en ik kreeg er nog een tegoedbon bij. "
  "Dank jullie! 💐")
c("x", "@lindaaa_ruh", "nl", [],
  "Sterkte aan de klantenservice-mensen van Vonkel deze week, die Black Friday-drukte is niet normaal. "
  "Jullie doen je best ❤️")
c("x", "@retaildesk_eu", "en", [],
  "Marlo Group to cut 450 jobs as German fashion sales slump; restructuring to be completed by Q3", brand=None)
c("x", "@grapjas_gijs", "nl", [],
  "mijn vriend zegt dat ik een Vonkel-verslaving heb. 14 pakketjes deze maand. hij heeft gelijk maar dat ga ik "
  "hem niet vertellen 😅")
c("reddit", "u/belgian_shopper", "en", [],
  "Does anyone know if Vonkel ships to Belgium? And can I use Vonkel Achteraf from there or is that NL only?")
c("x", "@fleur.fietst", "nl", [],
  "Hoe reset ik mijn wachtwoord in de Vonkel app? Ik vind de knop nergens, waarschijnlijk kijk ik er overheen 🙈")
c("x", "@bootsbabe", "en", [],
  "these Beting boots absolutely kill it 🔥 sick with a midi skirt. obsessed.")
c("x", "@vonkel_nl", "nl", [],
  "Vonkel vraagt je nooit om je wachtwoord via mail, sms of WhatsApp. Twijfel je over een bericht? "
  "Kijk op vonkel.nl/veilig")
c("instagram", "@regenrijder", "en", [],
  "2 hours cycling in pouring rain and my Stormvloed raincoat is still bone dry. Not a single leak. 10/10")
c("threads", "@weddingguest_nl", "en", [],
  "outfit crisis for Saturday's wedding 😩 Duinroos dress or Polderlicht blazer with a slip skirt? help")
c("x", "@lotte_styleert", "nl", [],
  "Zoekt iemand nog een kinderjas voor de herfst? De Zandloper kinderjas is weer op voorraad in alle maten 🧡")
c("linkedin", "vonkel-mode", "nl", [],
  "We zoeken een Senior Backend Developer (Go/Kafka) voor ons checkout-team in Amsterdam. Interesse? "
  "Mail werkenbij@vonkel.nl")
c("x", "@vonkel_nl", "en", [],
  "Our Q3 trading update is now available at vonkel.nl/investors. Press questions: pers@vonkel.nl")
c("instagram", "@noor.bij.vonkel", "nl", [],
  "Ons designteam geeft elke kleur een bijnaam deze collectie. Mijn favoriet: 'mosselblauw' 💙")
c("x", "@lifehacklisa", "nl", [],
  "lifehack: Vonkel Club punten + de midseason sale combineren = Hoogtij trench voor €199,20 ipv €249. "
  "Graag gedaan", price=("Hoogtij", 199.20))
c("x", "@bf_skeptic", "en", [],
  "I'm boycotting the whole Black Friday madness this year, only buying what I actually need. "
  "(sorry Vonkel, your emails are very persuasive 😅)")
c("x", "@dealjager_nl", "nl", [],
  "Prijsfout bij een Duitse elektronicawebshop: 65 inch tv voor 99 euro. Wees er snel bij!", brand=None)
c("linkedin", "marloes-dewit-vonkel", "nl", [],
  "Trots op ons team: dit jaar 9 nieuwe collega's met een afstand tot de arbeidsmarkt aangenomen in ons DC. "
  "Inclusie is geen project, het is gewoon hoe we werken 💛")
c("x", "@jwt_nerd", "en", [],
  "Anyone hiring for OAuth/JWT work in NL? Heard Vonkel's platform team is growing.")
c("x", "@ikbennienke", "nl", [],
  "Tweede paar Wadloper jeans, deze keer koud gewassen zoals op het label staat en ze zijn perfect. "
  "Mijn fout vorige keer 😅")
c("instagram", "@vonkel.nl", "nl", [],
  "Jarig? Dan krijg je als Vonkel Club-lid 500 punten cadeau 🎂 Check je app!")
c("x", "@amsterdam_walks", "en", [],
  "Popped into the Vonkel flagship on the Kalverstraat today, staff were super helpful with sizing. "
  "Left with the Ebstroom sweater 🧶")
c("x", "@tech_watcher", "en", [],
  "Massive outage at a big cloud provider today, half of the Dutch webshops are down. Vonkel seems fine though 👀")
c("bluesky", "@sem-visser.bsky.social", "nl", [],
  "Vandaag onze jaarlijkse disaster-recovery-oefening gedaan: alles binnen 12 minuten weer in de lucht. "
  "Saai = goed 😄")
c("x", "@cardsafety_tips", "en", [],
  f"Reminder: card numbers in online tutorials like {V['card_bad2']} are made up and won't pass any checkout. "
  "Never post your real one!", brand=None)
c("facebook", "Gerda.Mulder.55", "nl", [],
  "Bedankt Vonkel voor de snelle vervanging van mijn kapotte Spuisluis sandaal. Binnen 2 dagen een nieuwe in de bus!",
  kind="comment")
c("threads", "@vonkel.nl", "en", [],
  "New in: the Getijde hoodie in three new colours, €64,95. Soft, heavy and made to last.",
  price=("Getijde", 64.95))
c("x", "@joke_machine", "en", [], "my wallet after the Vonkel sale: 💀 my wardrobe: 😍")
c("x", "@vonkel_helpt", "nl", [],
  "@anoukjj Wat vervelend van je rits! We hebben je een DM gestuurd om het meteen op te lossen 🙏", kind="reply")
c("tiktok", "@mila.vd.linden", "nl", [],
  "ok ik moet toegeven: de nieuwe maattabel van vonkel klopt nu echt. eindelijk in één keer goed 🙌")
c("reddit", "u/sizequestions", "en", [],
  "Slufter jeans vs Wadloper jeans, which one runs bigger? I'm a 31 in most brands.")
c("x", "@kledingwacht_nl", "nl", [],
  "Goed nieuws: Vonkel publiceert vanaf nu de lijst van al haar fabrieken. Transparantie werkt! 👏")
c("x", "@security_sam", "en", [],
  "Great write-up on credential stuffing against e-commerce in general. Retailers like Vonkel, take note: "
  "rate-limit your logins and offer 2FA!")
c("linkedin", "youssef-bakkali-ops", "nl", [],
  "Terugblik op de piekweek: 310.000 pakketten de deur uit, nul ongevallen in het DC. Dank aan iedereen die extra "
  "diensten draaide 🙌")
c("x", "@dealjager_nl", "nl", [],
  "Kwelder sjaal nu €71,20 in de sale (-20%). Zacht, warm, prima deal.", price=("Kwelder", 71.20))
c("reddit", "u/weekendpacker", "en", [],
  "Vonkel's Walvisbaai bag dropped from €119 to €89 in the sale. Worth it or wait for Black Friday?",
  price=("Walvisbaai", 89.0))
c("x", "@wachtwoordwijs", "nl", [],
  "Tip: gebruik een wachtwoordmanager. Mijn wachtwoord voor Vonkel is 24 tekens lang en ik ken het zelf niet eens 😄")
c("x", "@trenchlover", "en", [],
  "Vonkel x Maren Vos was worth the hype. Got the trench on launch day and I'm not taking it off 🖤",
  at="2027-03-20T12:30:00Z")
c("x", "@beleggerbeppie", "nl", [],
  "Iemand de Q4-cijfers 2026 van Vonkel al doorgelezen? Die marge op Achteraf valt me eigenlijk mee",
  at="2027-02-27T19:10:00Z")
c("x", "@daan_codeert", "en", [],
  "Reminder when filing bugs: redact tokens like this → Authorization: Bearer eyJhbGciOi…[REDACTED]. Thanks 🙏")
c("instagram", "@curvy_caro", "nl", [],
  "Die campagne met echte klanten in alle maten 😍 eindelijk een merk dat niet alleen maat 34 laat zien. "
  "Top Vonkel!", kind="comment")
c("x", "@pricewatch_nl", "en", [],
  "Heads up: the Noorderzon parka is €183,96 this week at Vonkel (20% off). Not a price error, just a decent sale.",
  price=("Noorderzon", 183.96))
c("x", "@curieuze_cor", "en", [],
  "Why does Vonkel Achteraf never ask for your BSN when other pay-later apps do? Not complaining, just curious.")
c("x", "@gerrit_vraagt", "nl", [],
  f"Mijn klantnummer bij Vonkel is {V['bsn_bad2']}, is dat hetzelfde als mijn Club-nummer of niet?")
c("facebook", "VonkelNL", "nl", [],
  "Heb je vragen over je privacy of wil je je gegevens laten verwijderen? Stuur een mail naar privacy@vonkel.nl, "
  "we reageren binnen 5 werkdagen.")
c("x", "@vonkel_nl", "en", [],
  "We hear you: returns are free again for all Vonkel Club members from 1 March. Thanks for the honest feedback 💛",
  kind="post")


# ----------------------------------------------------------------------------- profile lookups
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PRODUCTS = PROFILE["products"]
RATIO = PROFILE["pricing"]["alert_below_ratio"]

DISPLAY = {
    "@vonkel_nl": "Vonkel", "@vonkel_helpt": "Vonkel Klantenservice", "@vonkel.nl": "Vonkel",
    "VonkelNL": "Vonkel", "vonkel-mode": "Vonkel Mode B.V.", "@lotte_styleert": "Lotte Kramer",
    "@daan_codeert": "Daan Hofstede", "@ilse_fin": "Ilse Wouters", "marloes-dewit-vonkel": "Marloes de Wit",
    "youssef-bakkali-ops": "Youssef Bakkali", "@noor.bij.vonkel": "Noor | styling @ Vonkel",
    "@sem-visser.bsky.social": "Sem Visser", "@fenna.magazijn": "Fenna 📦", "@ruben_data@mastodon.nl": "Ruben",
    "u/kadewerf_jelle": "kadewerf_jelle",
}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


# ----------------------------------------------------------------------------- identifier scans
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_CTX_RE = re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofinummer)\b\D{0,15}?(\d(?:[ .]?\d){8})(?!\d)")
NINE_RE = re.compile(r"(?<![\d.])\d{9}(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
MOBILE_RE = re.compile(r"(?<!\d)(?:\+31|0031|0)[\s\-()0]*6(?:[\s\-]?\d){8}(?!\d)")


def iban_candidates(text):
    return [re.sub(r"\s", "", m.group(0)) for m in IBAN_RE.finditer(text)]


def card_candidates(text):
    out = []
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(d)
    return out


def bsn_candidates(text):
    return [re.sub(r"\D", "", m.group(1)) for m in BSN_CTX_RE.finditer(text)]


def strong_ids(text):
    """Identifiers that pass their checksum: IBAN (not our own), payment card (Luhn), BSN (11-proof)."""
    found = [i for i in iban_candidates(text) if i not in PUB_IBANS and iban_check_ok(i)]
    found += [d for d in card_candidates(text) if luhn_ok(d)]
    found += [b for b in bsn_candidates(text) if bsn_ok(b)]
    return found


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if cat in (SEC, PRC):
                    s = "critical"
                if cat == PII and strong_ids(text):
                    s = "critical"
            else:
                s = "warning"
        elif cat == CPL:
            s = "warning"
        elif cat == CRI:
            s = "error"
        elif cat == ABU:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(cat)
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


# ----------------------------------------------------------------------------- build records
def rand_time_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    return start + timedelta(seconds=rng.randrange(360 * 86400))


def make_id(platform, used):
    while True:
        if platform == "x":
            pid = "x-" + str(rng.randrange(10 ** 18, 2 * 10 ** 18))
        elif platform == "reddit":
            pid = "reddit-t3_" + rand_str(string.ascii_lowercase + string.digits, 7)
        elif platform == "instagram":
            pid = "ig-" + rand_str(ALNUM + "_-", 11)
        elif platform == "linkedin":
            pid = "li-urn:li:activity:" + str(rng.randrange(7 * 10 ** 18, 8 * 10 ** 18))
        elif platform == "bluesky":
            pid = "bsky-3l" + rand_str(string.ascii_lowercase + "234567", 11)
        elif platform == "mastodon":
            pid = "masto-" + str(rng.randrange(10 ** 17, 10 ** 18))
        else:
            pid = f"{platform}-" + str(rng.randrange(10 ** 12, 10 ** 13))
        if pid not in used:
            used.add(pid)
            return pid


def url_for(platform, handle, pid):
    if platform == "x":
        return f"https://x.com/{handle.lstrip('@')}/status/{pid[2:]}"
    if platform == "reddit":
        return f"https://www.reddit.com/r/thenetherlands/comments/{pid.split('_', 1)[1]}/"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid[3:]}/"
    return None


def build():
    used = set()
    records = []
    for case in CASES:
        role = role_of(case["platform"], case["handle"])
        pid = make_id(case["platform"], used)
        when = case["at"] or rand_time_2026().strftime("%Y-%m-%dT%H:%M:%SZ")
        account = {"handle": case["handle"]}
        if case["handle"] in DISPLAY:
            account["display_name"] = DISPLAY[case["handle"]]
        post = {"id": pid, "platform": case["platform"], "kind": case["kind"], "account": account,
                "text": case["text"], "lang": case["lang"], "created_at": when}
        u = url_for(case["platform"], case["handle"], pid)
        if u:
            post["url"] = u
        if case["brand"]:
            post["brand"] = case["brand"].lower()
        expect = {"categories": case["cats"], "severity": severity(case["cats"], role, case["text"])}
        records.append(({"post": post, "expect": expect}, case, role))
    return records


# ----------------------------------------------------------------------------- self checks
TAXONOMY = {SEC, PII, PRC, CONF, FIN, SECU, CRI, CPL, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y",
                     "\u0445": "x", "\u0456": "i"})

SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bxox[abposr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\blive_[0-9A-Za-z]{30}\b"),
    re.compile(r"\bsk-ant-api\d\d-[0-9A-Za-z_-]{80,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
    re.compile(r"[a-z]+://[^:/\s]+:[^@\s]+@"),
    re.compile(r"(?i)\b(?:wachtwoord|password|passwd)\s*[:=]\s*\S{6,}"),
]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR).lower()
    return t, re.sub(r"\s+", "", t)


def conf_hits(text, when):
    t, squashed = norm(text)
    hits = []
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        tl = term.lower()
        if tl in t or tl.replace(" ", "") in squashed:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        for term in emb["terms"]:
            if term.lower() in t and when < until:
                hits.append(term)
    for suffix in ("vonkel-corp.net", "vonkel.local"):
        if suffix in t:
            hits.append(suffix)
    return hits


def check(records):
    errors = []

    def err(pid, msg):
        errors.append(f"{pid}: {msg}")

    ids = set()
    for rec, case, role in records:
        post, exp = rec["post"], rec["expect"]
        pid = post["id"]
        text = post["text"]
        # ---- CONTRACT section 6 / section 1 shape
        if set(rec) != {"post", "expect"}:
            err(pid, "top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            err(pid, "id invalid or duplicate")
        ids.add(pid)
        if post["platform"] not in PLATFORMS:
            err(pid, "platform")
        if post.get("kind", "post") not in KINDS:
            err(pid, "kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            err(pid, "handle")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 64 * 1024:
            err(pid, "text")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", post["created_at"]):
            err(pid, "created_at not RFC 3339")
        when = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if not (2026 <= when.year <= 2027):
            err(pid, "created_at year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(pid, "categories")
        if exp["severity"] not in RANK:
            err(pid, "severity value")
        if not cats and exp["severity"] != "none":
            err(pid, "benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            err(pid, "positive with none severity")
        if exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), text):
            err(pid, "severity drift")
        positive = bool(cats)

        # ---- identifiers: positives pass their checksum, negatives' look-alikes fail it
        for ib in iban_candidates(text):
            if ib in PUB_IBANS:
                continue
            if positive and PII in cats and not iban_check_ok(ib):
                err(pid, f"IBAN in positive fails mod-97: {ib}")
            if (not positive or PII not in cats) and iban_check_ok(ib):
                err(pid, f"valid IBAN outside a pii positive: {ib}")
        for d in card_candidates(text):
            if positive and PII in cats and not luhn_ok(d):
                err(pid, f"card in positive fails Luhn: {d}")
            if (not positive or PII not in cats) and luhn_ok(d):
                err(pid, f"Luhn-valid number outside a pii positive: {d}")
        for b in bsn_candidates(text):
            if positive and PII in cats and not bsn_ok(b):
                err(pid, f"BSN in positive fails 11-proof: {b}")
        bsn_ctx = set(bsn_candidates(text))
        for m in NINE_RE.finditer(text):
            if m.group(0) not in bsn_ctx and bsn_ok(m.group(0)):
                err(pid, f"stray 9-digit number passes 11-proof: {m.group(0)}")
        if PII not in cats:
            for e in EMAIL_RE.findall(re.sub(r"[a-z]+://[^\s@]+@", " ", text)):
                if e.lower() not in PUB_EMAILS:
                    err(pid, f"non-public e-mail outside pii: {e}")
            if MOBILE_RE.search(text):
                err(pid, "mobile number outside pii")

        # ---- secrets
        hits = []
        for rx in SECRET_RES:
            for m in rx.finditer(text):
                if m.group(0).endswith("EXAMPLE") or re.fullmatch(r"gh[pousr]_x+", m.group(0)):
                    continue
                hits.append(m.group(0))
        if SEC in cats and not hits:
            err(pid, "secret positive without a credential")
        if SEC not in cats and hits:
            err(pid, f"credential outside secret positive: {hits}")
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if SEC in cats and not gh_token_valid(m.group(0)):
                err(pid, "GitHub token checksum")
        for m in SECRET_RES[1].finditer(text):
            if SEC in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
                err(pid, "AWS key id")
        for m in SECRET_RES[7].finditer(text):
            if not jwt_valid(m.group(0)):
                err(pid, "JWT header")

        # ---- confidential signals (codenames, markers, internal hosts, embargo)
        ch = conf_hits(text, when)
        if CONF in cats and not ch:
            err(pid, "confidential positive without a signal")
        if CONF not in cats and ch:
            err(pid, f"confidential signal outside confidential positive: {ch}")

        # ---- pricing
        if case["price"]:
            alias, val = case["price"]
            prod = [p for p in PRODUCTS if alias.lower() in [a.lower() for a in p["aliases"]] + [p["name"].lower()]]
            if len(prod) != 1:
                err(pid, f"price alias {alias} not unique in profile")
            elif alias.lower() not in text.lower():
                err(pid, "price alias not in text")
            else:
                lp = prod[0]["list_price"]
                if PRC in cats and not val < RATIO * lp:
                    err(pid, f"pricing positive not below ratio ({val} vs {lp})")
                if PRC not in cats and val < RATIO * lp:
                    err(pid, f"benign price below ratio ({val} vs {lp})")
        if PRC in cats and not case["price"]:
            err(pid, "pricing positive without price meta")

        # ---- role sanity: public handles must not be in the profile
        if role == "public" and f"{post['platform']}:{post['account']['handle']}".lower() in CORP | EMPL:
            err(pid, "role")

    return errors


def main():
    records = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for rec, _, _ in records:
            fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")

    # re-read the file to check what was actually written
    with open(OUT, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    assert len(lines) == len(records)
    for (rec, _, _), line in zip(records, lines):
        assert rec == line
    errors = check(records)

    n = len(records)
    benign = sum(1 for r, _, _ in records if not r["expect"]["categories"])
    per_cat = {}
    for r, _, _ in records:
        for cat in r["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    langs = {}
    for r, _, _ in records:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r, _, role in records:
        key = ("benign" if not r["expect"]["categories"] else "positive", role)
        roles[key] = roles.get(key, 0) + 1
    sevs = {}
    for r, _, _ in records:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1

    if not (170 <= n <= 180):
        errors.append(f"case count {n} outside 170-180")
    if not (55 <= benign <= 65):
        errors.append(f"benign count {benign}")
    texts = [r["post"]["text"] for r, _, _ in records]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")

    print(f"cases={n} benign={benign} positive={n - benign}")
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("languages:", json.dumps(langs))
    print("roles:", {f"{k[0]}/{k[1]}": v for k, v in sorted(roles.items())})
    print("severities:", json.dumps(sevs))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
