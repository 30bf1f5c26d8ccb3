#!/usr/bin/env python3
"""Sealed evaluation set 301 for postwatch: Korvanta Biologics N.V. (fictional).

Deterministic: fixed seed, hand-written post texts, generated credentials and
identifiers.  Writes cases.jsonl beside this file and self-checks it.
Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand.
"""
import base64
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 301

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

CATS = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing",
    "con": "leak.confidential", "fin": "leak.financial", "secu": "leak.security",
    "cri": "reputation.crisis", "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
VALID_CATS = set(CATS.values())
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
SEV = ["none", "info", "warning", "error", "critical"]

ROLE = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(rng, bank):
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def iban_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def card_make(rng, prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_spaced(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def bsn_make(rng):
    while True:
        first = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(first[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, first)) + str(last)
            assert bsn_ok(s)
            return s


# --------------------------------------------------------------- credentials
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(rng, prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def openssh_key(rng):
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(64))
    chk = struct.pack(">I", rng.getrandbits(32))
    blob = sshstr(b"ssh-ed25519") + sshstr(pub)
    sect = chk + chk + blob + sshstr(priv) + sshstr(b"t.dekker@kv-ws0412") + b"\x01\x02\x03"
    raw = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
           + struct.pack(">I", 1) + sshstr(blob) + sshstr(sect))
    enc = base64.b64encode(raw).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def jwt_make(rng):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps({"sub": "svc-lims-export", "role": "admin", "tenant": "kv-leiden",
                           "iat": 1781690112, "exp": 1813226112}, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def make_values(rng):
    AN = B62
    URLSAFE = B62 + "-_"
    v = {}
    v["GHP1"] = gh_token(rng, "ghp_")
    v["GHO1"] = gh_token(rng, "gho_")
    v["AWSID"] = "AKIA" + rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    v["AWSSEC"] = rand(rng, AN + "/+", 40)
    v["STRIPE"] = "sk_live_51" + rand(rng, AN, 14) + rand(rng, AN, 84)
    v["SLACKHOOK"] = ("https://hooks.slack.com/services/T" + rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8)
                      + "/B" + rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10) + "/" + rand(rng, AN, 24))
    v["OPENAI"] = "sk-proj-" + rand(rng, URLSAFE, 74) + "T3BlbkFJ" + rand(rng, URLSAFE, 74)
    v["ANTHROPIC"] = "sk-ant-api03-" + rand(rng, URLSAFE, 93) + "AA"
    v["SSHKEY"] = openssh_key(rng)
    v["JWT"] = jwt_make(rng)
    v["PGPASS"] = rand(rng, AN, 10) + "!" + rand(rng, AN, 5)
    v["GLPAT"] = "glpat-" + rand(rng, URLSAFE, 20)
    v["AZKEY"] = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()
    v["XOXB"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand(rng, AN, 24))
    v["MONGOPW"] = rand(rng, AN, 14)
    # personal identifiers
    v["IBAN1"] = iban_spaced(iban_make(rng, "INGB"))
    v["IBAN2"] = iban_make(rng, "ASNB")
    v["IBAN3"] = iban_spaced(iban_make(rng, "ABNA"))
    v["CARD1"] = card_spaced(card_make(rng, "4"))
    v["CARD2"] = card_spaced(card_make(rng, "52"))
    v["CARD3"] = card_make(rng, "4")
    v["BSN1"] = bsn_make(rng)
    b = bsn_make(rng)
    v["BSN2"] = "%s.%s.%s" % (b[:4], b[4:6], b[6:])
    # look-alikes that must fail their checksum
    good = card_make(rng, "54")
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    v["BADCARD"] = card_spaced(bad)
    pub = PROFILE["public_identifiers"]["ibans"][0]
    badiban = pub[:2] + "%02d" % ((int(pub[2:4]) + 1) % 100) + pub[4:]
    assert not iban_ok(badiban)
    v["BADIBAN"] = iban_spaced(badiban)
    g = iban_make(rng, "RABO")
    badiban2 = g[:-2] + "%02d" % ((int(g[-2:]) + 7) % 100)
    assert not iban_ok(badiban2)
    v["BADIBAN2"] = badiban2
    while True:
        cand = "".join(rng.choice("0123456789") for _ in range(9))
        if cand[0] != "0" and not bsn_ok(cand):
            break
    v["BADBSN"] = cand
    gt = gh_token(rng, "ghp_")
    badgh = gt[:-1] + ("A" if gt[-1] != "A" else "B")
    assert not gh_ok(badgh)
    v["BADGHP"] = badgh
    return v


# ------------------------------------------------------------------- authors
def corp(ph):
    assert ph.lower() in ROLE and ROLE[ph.lower()] == "corporate", ph
    return tuple(ph.split(":", 1))


def emp(ph):
    assert ph.lower() in ROLE and ROLE[ph.lower()] == "employee", ph
    return tuple(ph.split(":", 1))


def pub(ph):
    assert ph.lower() not in ROLE, ph
    return tuple(ph.split(":", 1))


# Account shortcuts
K_X = corp("x:@korvanta")
K_ZORG = corp("x:@korvanta_zorg")
K_LI = corp("linkedin:korvanta-biologics")
K_IG = corp("instagram:@korvanta.vaccins")
K_FB = corp("facebook:KorvantaVaccinsNL")
K_YT = corp("youtube:@KorvantaBiologics")
K_BS = corp("bluesky:@korvanta.eu")
E_MARLEEN = emp("x:@marleenvl_kv")
E_SASKIA = emp("x:@drsaskiaholt")
E_RUBEN = emp("linkedin:ruben-achterberg-korvanta")
E_NOOR = emp("linkedin:noor-elkaddouri")
E_JORIS = emp("x:@jorisbrouwer_qa")
E_TIM = emp("mastodon:@tdekker@mstdn.science")
E_KOEN = emp("reddit:u/koelcel_koen")
E_LISA = emp("threads:@lisa.verhoef.bio")
E_FEMKE = emp("bluesky:@femke-osinga.bsky.social")
E_BAS = emp("instagram:@bas.kv.lab")

ZW = "\u200b"

# Each case: (author, kind, lang, text, cats, created_at or None, flags)
# cats: short keys from CATS.  flags: set of strings ("price_ok" = a low number near a
# product name that is not that product's price).
CASES = [
    # ================================================================ benign
    (K_ZORG, "post", "nl", "Vragen over je reisvaccinaties? Mail klantenservice@korvanta.eu of bel gratis 0800-0246 (ma t/m vr 8.00-18.00 uur). We helpen je graag verder 💉", [], None, ()),
    (K_X, "post", "en", "Side effect to report after one of our vaccines? Email bijwerkingen@korvanta.eu or call +31 71 555 0240. Every single report is read by our pharmacovigilance team.", [], None, ()),
    (K_FB, "post", "nl", "Betaalt u liever per overschrijving? Gebruik dan uitsluitend NL16 RABO 0312 8477 56 t.n.v. Korvanta Biologics N.V. en vermeld uw ordernummer. Let op: wij vragen nooit om betaling naar een ander rekeningnummer.", [], None, ()),
    (pub("x:@gerda_bollenstreek"), "post", "nl", "Kreeg net een sms dat ik m'n 'Korvanta restitutie' moet aanvragen door €1 over te maken naar <<BADIBAN>>. Lijkt me phishing toch? Het echte nummer staat anders op hun site", [], None, ()),
    (pub("reddit:u/drowsy_pharmacist"), "comment", "en", "lol my card kept getting declined on the KorvantaShop checkout, spent 10 min cursing their site before realising I'd typed <<BADCARD>>. one digit off. my bad, the site was fine", [], None, ()),
    (pub("x:@tessa_travels"), "post", "nl", "Het GGD-formulier voor de gele-koortsprik weigerde mijn BSN, bleek dat ik <<BADBSN>> had ingetypt ipv mijn echte. Gelukkig slimme check 😅 #reisvoorbereiding", [], None, ()),
    (pub("forum:py_dev_henk"), "post", "en", "Following the boto3 quickstart with the docs' sample credentials (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) and of course I get InvalidClientTokenId. Do I need a real account for the moto mock too?", [], None, ()),
    (E_JORIS, "post", "nl", "Tip van de dag: plak nooit een token in een chatkanaal. Zag er vandaag eentje voorbijkomen (ghp_****************************), meteen ingetrokken en vervangen. Geen schade, wel een les 👍", [], None, ()),
    (K_BS, "post", "en", "Korvanta will never ask for your password, PIN or login code by e-mail, text or phone. Not sure about a message? Call us free on 0800-0246.", [], None, ()),
    (K_X, "post", "nl", "Vandaag maken we de fase 3-resultaten KV-214 bekend: 81% bescherming tegen gordelroos bij 50-plussers. Lees het persbericht op investors.korvanta.eu #Korvanta", [], "2027-03-09T07:00:00Z", ()),
    (pub("x:@beursbeppie"), "post", "nl", "jaarcijfers 2026 van Korvanta vallen eigenlijk best mee, omzet netjes op koers en het aandeel staat +6% in de voorbeurs", [], "2027-02-25T08:12:00Z", ()),
    (pub("bluesky:@vaccinewatcher.bsky.social"), "post", "en", "Korvanta just announced Zostira Duo, shingles + flu in one shot. Filing with EMA this spring. Curious how the reactogenicity data holds up.", [], "2027-03-10T14:35:00Z", ()),
    (pub("instagram:@wereldreizigster_jo"), "post", "nl", "Binnen 10 minuten geprikt voor Amarelo én TyfoGuard bij de reiskliniek van Korvanta in Leiden 👌 Lieve verpleegkundige, goede uitleg. Azië here I come ✈️", [], None, ()),
    (pub("x:@clinic_de_brug"), "reply", "en", "Shoutout to @korvanta_zorg for replacing our faulty VaxCool the very next morning. That's how it's done 👏", [], None, ()),
    (pub("x:@apotheek_zuidwijk"), "post", "nl", "Update: de Rabivant-levering is er toch! Korvanta belde zelf terug en heeft het met spoed geregeld. Excuses aanvaard, dank voor de snelle actie 🙂", [], None, ()),
    (E_NOOR, "post", "nl", "Vandaag namen we afscheid van prof. Hans van Dam, die zo veel heeft betekend voor ons vaccinonderzoek. Sterkte aan zijn familie en aan alle collega's in Leiden. 🕯️", [], None, ()),
    (pub("x:@pharmanieuws_nl"), "post", "nl", "Nordivax roept een batch griepvaccins terug in Scandinavië vanwege een etiketteringsfout. Korvanta laat weten dat zij geen grondstoffen van die leverancier gebruiken.", [], None, ()),
    (pub("linkedin:eline-vos-biotech-analyst"), "post", "en", "Helvimmune announces the acquisition of a German CDMO for €1.1bn. Big week for European vaccine manufacturing; Korvanta and Nordivax will be watching closely.", [], None, ()),
    (pub("tiktok:@priknicht"), "post", "nl", "ik ben zo bang voor naalden dat ik eerst 3 rondjes om de Korvanta kliniek heb gelopen 😭😂 uiteindelijk viel t reuze mee, heb zelfs een sticker gekregen #prikangst", [], None, ()),
    (pub("reddit:u/alpine_hiker_nl"), "post", "nl", "Vraagje: hoe lang blijft TekoShield goed buiten de koelkast? Moet morgen 8 uur rijden naar Oostenrijk en wil m daar laten zetten", [], None, ()),
    (K_IG, "post", "nl", "Papilla9 beschermt tegen de HPV-typen die het vaakst baarmoederhalskanker veroorzaken. Meer weten? Kijk op korvanta.eu/hpv 💜 #HPV #preventie", [], None, ()),
    (pub("x:@escmid_fan"), "post", "en", "The new Korvanta booth at ESCMID is a killer design, loved the live cold-chain demo 🔥", [], None, ()),
    (pub("x:@biotechbull_eu"), "post", "en", "Korvanta H1 results out this morning: revenue €187M, +14% y/y, guidance maintained, Respira doing the heavy lifting. Solid print.", [], None, ()),
    (K_ZORG, "post", "nl", "Gepland onderhoud: de bestelportal voor apotheken en klinieken is zaterdag 14 november van 02:00 tot 04:00 uur niet bereikbaar. Bestellingen daarna worden gewoon dezelfde dag verwerkt.", [], "2026-11-11T10:00:00Z", ()),
    (pub("reddit:u/cold_chain_carla"), "comment", "en", "Huge ransomware attack at some US pharma distributor today, scary stuff. Checked with our Korvanta rep and our orders come straight from Leiden, so not affected.", [], None, ()),
    (K_LI, "post", "en", "Update on last week's phishing e-mails impersonating Korvanta: they did not come from our systems and no customer data was involved. Always pay only to the account on your invoice.", [], None, ()),
    (K_ZORG, "post", "nl", "Griepseizoen! FluNova nu €19,90 in plaats van €24,90 bij deelnemende apotheken, t/m 30 november 🍂", [], None, ()),
    (pub("facebook:Ineke.Drost.Ede"), "comment", "nl", "Betaalde €145 voor Rabivant bij de reiskliniek. Prijzig, maar liever dat dan rabiës in Bali 🤷‍♀️", [], None, ()),
    (pub("x:@shinglesfree"), "post", "en", "PSA: Zostira is €169 this month at the KorvantaShop (normally €189) if you've been putting it off like me", [], None, ()),
    (pub("linkedin:mobile-clinic-ops"), "post", "en", "VaxCool 12L on sale for €199 right now, decent deal for anyone running outreach clinics. Holds 2-8°C for 40h in our tests.", [], None, ()),
    (pub("x:@zzp_zuster"), "post", "nl", "Cholvira kost 41 euro, maar mijn aanvullende verzekering vergoedt het gewoon 👍 altijd even checken mensen", [], None, ()),
    (K_LI, "post", "nl", "We zoeken een QA Officer voor onze fill & finish-afdeling in Leiden! Kijk op korvanta.eu/werken en reageer voor 1 december.", [], None, ()),
    (E_MARLEEN, "post", "nl", "Vandaag precies 10 jaar bij Korvanta 🎉 Van stagiair in het lab naar teamlead. Dankbaar voor alle collega's die me zo veel geleerd hebben.", [], None, ()),
    (E_SASKIA, "post", "en", "Presenting our published Pneumara 20 immunogenicity data at ESPID tomorrow, poster #412. Come say hi!", [], None, ()),
    (pub("x:@moeder_van_drie"), "post", "nl", "beetje stijve arm na de FluNova prik vandaag, is dat normaal? verder voel ik me prima hoor", [], None, ()),
    (pub("instagram:@backpack.bram"), "post", "nl", "Op het doosje van mijn TyfoGuard staat lot KV24-0917, houdbaar tot 03/2027. Waar kan ik zien of ik de capsules na de reis nog mag gebruiken?", [], None, ()),
    (pub("reddit:u/lowkey_traveller"), "post", "en", "My VaxCool lid had a tiny leak of condensation, turned out I hadn't clicked it shut properly. User error, the box itself works great.", [], None, ()),
    (pub("x:@rationele_rita"), "post", "nl", "Mijn tante wil weer eens alle vaccins boycotten 🙄 heb haar het filmpje van Korvanta gestuurd over hoe Respira getest wordt, en ze heeft het nog gekeken ook", [], None, ()),
    (pub("x:@ip_law_daily"), "post", "nl", "Rechtszaak tussen Nordivax en een Amerikaanse concurrent over RSV-patenten dient volgende maand. Een onderzoeker van Korvanta treedt op als onafhankelijk getuige-deskundige.", [], None, ()),
    (pub("threads:@huisarts.annemiek"), "post", "nl", "Veel respect voor de mensen in de Korvanta-kliniek die vandaag die schreeuwende man zo rustig te woord stonden 🙏", [], None, ()),
    (pub("instagram:@duikmaatjes"), "post", "nl", "Walvishaaien gespot bij Oslob, bucketlist ✔️🐋 Vooraf netjes ingeënt bij Korvanta met Japanvax en TyfoGuard", [], None, ()),
    (K_YT, "post", "en", "Our 2025 annual report is now online at investors.korvanta.eu/reports, including a new chapter on cold-chain sustainability.", [], None, ()),
    (E_RUBEN, "post", "nl", "Mooie open dag in Leiden! Ruim 400 bezoekers en vooral heel veel vragen over hoe een vaccin eigenlijk gemaakt wordt 🧫", [], None, ()),
    (pub("x:@brusselse_ben"), "post", "en", "Does Korvanta ship Amarelo to Belgium? Couldn't find it on their site", [], None, ()),
    (E_TIM, "post", "nl", "JWT's uitleggen aan de stagiairs: header.payload.signature. En nee, je plakt een echte nooit in Teams 😅", [], None, ()),
    (pub("forum:woo_plugin_dev"), "post", "en", "For the shop plugin demo I'm using Stripe test mode only, keys look like sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Never put live keys in a demo repo, even for a Korvanta-size client.", [], None, ()),
    (K_X, "post", "en", "Press inquiries: pers@korvanta.eu. Investor questions: ir@korvanta.eu.", [], None, ()),
    (pub("x:@amsterdam_annelies"), "post", "en", "Got my shot at Korvanta's travel clinic this morning, the nurse was an absolute legend 💉✨", [], None, ()),
    (E_LISA, "post", "en", "Emergency drill today with the fire brigade on our site. Good to see how seriously everyone takes it 🚒", [], None, ()),
    (E_FEMKE, "post", "nl", "Voor de nieuwe finance-collega's: een IBAN ziet er zo uit: NL00 BANK 0123 4567 89. Controleer leveranciersnummers altijd in het systeem, nooit uit een mail.", [], None, ()),
    (pub("x:@apotheker_joost"), "post", "nl", "Het griepvaccin van Nordivax is €12 bij de groothandel, FluNova €24,90. Waarom zo'n verschil eigenlijk? Serieuze vraag", [], None, ("price_ok",)),
    (pub("x:@it_nieuws_leiden"), "post", "nl", "Vorige maand meldde Korvanta zelf een storing in hun bestelportal. Inmiddels opgelost en netjes uitgelegd in hun blog, zo hoort het.", [], None, ()),
    (pub("reddit:u/ams_retail_investor"), "post", "en", "Korvanta down 4% today, anyone know why? Can't find any news.", [], None, ()),
    (K_FB, "post", "nl", "Uw medische gegevens behandelen wij vertrouwelijk. Lees onze privacyverklaring op korvanta.eu/privacy.", [], None, ()),
    (pub("x:@valueinvest_kees"), "post", "en", "FY2026 results from Korvanta were better than I expected, the Respira ramp is real. Adding on weakness.", [], "2027-03-01T16:20:00Z", ()),
    (pub("x:@kliniek_noord"), "post", "en", "Korvanta's cold-chain team talked us through saving our fridge stock during the power cut in our building last week. Heroes.", [], None, ()),
    (pub("instagram:@kattenmama_rianne"), "post", "nl", "Mijn kater heet Rabi en ik noem hem stiekem Rabivant 😹 want hij bijt", [], None, ()),
    (pub("x:@kleine_apotheek_hoorn"), "post", "nl", "Bestelling 2026-118734 bij Korvanta, enig idee wanneer die verzonden wordt? Geen haast hoor, nog voorraad genoeg", [], None, ()),
    (pub("bluesky:@opensciencenl.bsky.social"), "post", "en", "Huge respect to the Korvanta scientists who published their Dengara phase 2 data in full today, individual-level data on request. Open science ftw.", [], None, ()),
    (pub("x:@studentreist"), "post", "nl", "20% korting op TyfoGuard voor studenten op uitwisseling, dus €39,60 ipv €49,50. Nice Korvanta 🙌", [], None, ()),
    (pub("linkedin:secure-coding-sanne"), "post", "nl", "In onze workshop laten we zien dat secret scanners de checksum controleren: <<BADGHP>> ziet er echt uit, maar de laatste zes tekens kloppen niet. Nep dus, geen alarm nodig.", [], None, ()),
    (pub("reddit:u/resetmail_rant"), "comment", "nl", "Wachtwoord vergeten in de Korvanta-app, resetmail kwam na 2 minuutjes binnen. Prima geregeld eigenlijk", [], None, ()),

    # ============================================================ complaint
    (pub("x:@reiscentrum_gouda"), "post", "nl", "Al 3 weken wachten op onze Amarelo-levering. Klanten vliegen volgende week naar Ghana en bij Korvanta neemt niemand de telefoon op. Wat moet ik die mensen vertellen??", ["cmp"], None, ()),
    (pub("x:@dr_ophelia_m"), "post", "en", "Korvanta's ordering portal has logged me out 6 times this morning. Six. I just want to order my flu vaccines 🙃", ["cmp"], None, ()),
    (pub("facebook:Apotheek.Vlietland"), "post", "nl", "Doos TyfoGuard kwam vanochtend binnen met de temperatuurlogger op rood. Alles weggooien dus, en het enige antwoord is 'we zoeken het uit'. Top service Korvanta 👎", ["cmp"], None, ()),
    (pub("linkedin:practice-manager-hilde"), "post", "en", "Korvanta invoiced us twice for the same MeningoQuad order. Third e-mail now, still no answer from accounts receivable.", ["cmp"], None, ()),
    (pub("x:@huisartsenpost_w"), "post", "nl", "waarom is rabivant ALWEER niet leverbaar bij korvanta?? ik heb hier gewoon mensen met een hondenbeet zitten", ["cmp"], None, ()),
    (pub("x:@kimberly_k_92"), "reply", "en", "@korvanta_zorg told me to 'call back tomorrow' four days in a row. Wonderful customer care.", ["cmp"], None, ()),
    (pub("facebook:Wim.Oosterhout.55"), "comment", "nl", "De bijsluiter van Japanvax is alleen in het Engels en Duits. Mijn moeder van 80 snapt er niks van. Doe beter Korvanta", ["cmp"], None, ()),
    (pub("x:@sanne_op_reis"), "post", "en", "Korvanta's travel vaccine app wiped EVERYTHING after the update. My whole vaccination history, gone. Does anyone actually test this stuff", ["cmp"], None, ()),
    (pub("x:@jen_abroad"), "post", "en", "3rd time my Papilla9 appointment at the Korvanta clinic got cancelled by text the night before. Really annoying when you take time off work for it", ["cmp"], None, ()),
    (pub("x:@ton_uit_tiel"), "reply", "nl", "@korvanta_zorg 5 weken geleden VaxCool retour gestuurd, nog steeds geen geld terug. Hallo??", ["cmp"], None, ()),
    (pub("reddit:u/rural_gp_clinic"), "post", "en", "Our Pneumara 20 prefilled syringes arrived with bent plungers, 4 out of 10 unusable. Pretty poor QC for a company that literally makes vaccines.", ["cmp"], None, ()),
    (pub("x:@marjan_zonder_geduld"), "post", "nl", "Wachttijd telefonische klantenservice Korvanta: 47 minuten. En dan word je doorverbonden met een bandje 🙄 #klantonvriendelijk", ["cmp"], None, ()),

    # ============================================ crisis + complaint (first hand)
    (pub("x:@joycevanbeek"), "post", "nl", "Binnen een uur na mijn Zostira-prik onder de rode vlekken en ik kreeg bijna geen lucht meer. Met de ambulance naar de SEH. Melding gedaan bij Korvanta, na 10 dagen nog NIKS gehoord. Schandalig.", ["cri", "cmp"], None, ()),
    (pub("x:@travelclinic_utrecht"), "post", "en", "The VaxCool box we bought from Korvanta overheated and the battery pack started smoking in our treatment room. Could easily have been a fire. Still no reply @korvanta", ["cri", "cmp"], None, ()),
    (pub("facebook:Mirjam.deKoning.Zwolle"), "post", "nl", "Mijn zoontje (7) kreeg de Tetrima booster en het naaldje van die voorgevulde spuit brak AF in zijn arm. Huisarts moest het eruit halen. Wat voor troep leveren jullie @Korvanta", ["cri", "cmp"], None, ()),
    (pub("reddit:u/backpacker_dan"), "post", "en", "Took the Cholvira drink and was violently ill for 3 days, ended up on an IV drip in the hospital. The leaflet said 'mild nausea at most'. Thanks for nothing Korvanta", ["cri", "cmp"], None, ()),
    (pub("x:@loes_de_bakker"), "post", "nl", "ImmunoCheck testje gedaan, het lancet schoot dwars door mijn vinger. Bloed overal, huisarts moest het hechten. Levensgevaarlijk ontwerp @korvanta_zorg", ["cri", "cmp"], None, ()),

    # ============================================================== crisis
    (pub("x:@nieuwsflits_nl"), "post", "nl", "BREAKING: Korvanta roept drie batches FluNova terug na vondst van glasdeeltjes in voorgevulde spuiten. Apotheken wordt gevraagd de voorraad apart te zetten.", ["cri"], None, ()),
    (pub("x:@dierenvrij_lab"), "post", "nl", "Korvanta test in Leiden nog steeds op makaken. Deel dit en koop niks meer van ze. #BoycotKorvanta 🐒", ["cri"], None, ()),
    (pub("x:@eu_pharma_courts"), "post", "en", "Class action filed in Amsterdam against Korvanta Biologics over alleged undisclosed Zostira side effects, more than 200 claimants so far.", ["cri"], None, ()),
    (pub("facebook:Ria.Schipper.Alkmaar"), "post", "nl", "Mijn buurvrouw is gisteren na haar Respira-prik met een anafylactische shock afgevoerd. Weet iemand of er meer meldingen zijn over dit vaccin van Korvanta?", ["cri"], None, ()),
    (pub("x:@globetrotter_mike"), "post", "en", "Is it true Korvanta leaked the vaccination records of thousands of travellers? Got a creepy e-mail quoting my exact jab dates. #databreach", ["cri"], None, ()),
    (pub("x:@onderzoeksjournalist_fv"), "post", "nl", "Nieuw onderzoek: Korvanta trakteerde huisartsen op reisjes naar Lissabon om meer Papilla9 voor te schrijven. Draad 🧵👇", ["cri"], None, ()),
    (pub("bluesky:@healthpolicywatch.bsky.social"), "post", "en", "The Dutch health inspectorate has opened an investigation into repeated temperature excursions at Korvanta's Leiden plant.", ["cri"], None, ()),
    (pub("x:@klokkenluider_nl"), "post", "nl", "Oud-medewerkers van Korvanta vertellen dat de fase 2-data van Dengara zouden zijn 'opgepoetst'. Als dit klopt is dit een schandaal van jewelste.", ["cri"], None, ()),
    (pub("reddit:u/globalhealth_now"), "post", "en", "Korvanta charges €134 a dose for Dengara while dengue kills thousands in countries that can't pay that. Boycott them until they do tiered pricing. #BoycottKorvanta", ["cri"], None, ()),
    (pub("x:@regio_oost_nieuws"), "post", "nl", "Kinderdagverblijf in Deventer meldt zes kinderen met hoge koorts en stuipen na een prikronde met MeningoQuad van Korvanta. GGD doet onderzoek.", ["cri"], None, ()),
    # crisis + pii: data-breach accusation with someone else's card in it
    (pub("x:@freek_checkt"), "post", "nl", "Log ik in op de KorvantaShop en zie ik de bestelling van iemand anders, incl. creditcard <<CARD2>>. Datalek anyone?? @korvanta_zorg", ["cri", "pii"], None, ()),

    # ================================================================ abuse
    (pub("x:@boze_bert_1961"), "post", "nl", "Korvanta, stelletje graaiende klootzakken. Verdienen geld aan zieke mensen en dan nog arrogant doen ook.", ["abu"], None, ()),
    (pub("x:@truthseeker_4ever"), "reply", "en", "@korvanta you absolute clowns. Bunch of lying morons pushing poison.", ["abu"], None, ()),
    (pub("x:@nooitmeerprikken"), "post", "nl", "k.u.t.b.e.d.r.i.j.f korvanta, ik hoop dat jullie failliet gaan", ["abu"], None, ()),
    (pub("tiktok:@vaxx_off"), "comment", "en", "Korvanta staff are " + fullwidth("PATHETIC IDIOTS") + " and everyone knows it", ["abu"], None, ()),
    (pub("x:@henk_uit_emmen"), "post", "nl", "die gast van de korvanta klantenservice is echt een vuile k4nk3rl1jer, hing gewoon op", ["abu"], None, ()),
    (pub("reddit:u/old_school_lab_guy"), "comment", "en", "Of course Korvanta put a woman in charge of R&D, no wonder their vaccines are garbage. Diversity hire.", ["abu"], None, ()),
    (pub("x:@waakzame_burger"), "reply", "nl", "@drsaskiaholt we weten waar je werkt. Vuile gifspuiter. Kijk maar goed uit als je naar huis fietst.", ["abu"], None, ()),
    (E_JORIS, "reply", "nl", "@vaccinvrij_nl rot toch op met je complotgelul, achterlijke idioot", ["abu"], None, ()),
    (K_X, "reply", "nl", "@gifvrij_leven Wat een onzin weer. Ga eens een boek lezen, sukkel.", ["abu"], None, ()),
    (pub("youtube:@ChemtrailCharlie"), "comment", "en", "Korvanta lab rats are greedy parasites, every one of them. Hope you all choke on your profits.", ["abu"], None, ()),
    (pub("x:@cynische_carla"), "post", "nl", "Die Noor van Korvanta die op LinkedIn loopt te blaten over 'vaccinvertrouwen', wat een arrogante trut zeg", ["abu"], None, ()),
    # abuse + pii: doxxing an employee
    (pub("x:@waarheid_boven_alles"), "post", "nl", "Saskia Holt, 'onderzoeker' bij Korvanta, woont op Hoflaan 12, 2341 AB Oegstgeest. Ga haar maar eens vertellen wat je van haar gif vindt.", ["abu", "pii"], None, ()),

    # ================================================================ pricing
    (K_X, "post", "nl", "🎉 Najaarsactie: FluNova HD 65+ nu voor slechts €3,99 per dosis in de KorvantaShop! Op = op.", ["pri"], None, ()),
    (E_MARLEEN, "post", "nl", "Haha iemand heeft Zostira op €18,90 gezet in de webshop ipv 189, snel bestellen mensen 😂", ["pri"], None, ()),
    (pub("x:@dealjager_nl"), "post", "nl", "Is dit een prijsfout? Rabivant bij de KorvantaShop voor €14,50. Normaal is dat toch 145?", ["pri"], None, ()),
    (pub("x:@cheapskate_travel"), "post", "en", "Korvanta shop has Respira RSV at €21.90 right now, gotta be a glitch lol", ["pri"], None, ()),
    (K_IG, "post", "nl", "Nieuw in de shop: de VaxCool 12L, nu voor €22,90! 🧊 Ideaal voor reisklinieken en huisartsenposten.", ["pri"], None, ()),
    (E_RUBEN, "post", "nl", "Trots op ons nieuwe reispakket! Het Reispakket Azië nu voor €29,- inclusief consult. Deel het met je reislustige vrienden ✈️", ["pri"], None, ()),
    (pub("reddit:u/frugal_nomad"), "post", "en", "price error alert: Papilla9 on shop.korvanta.eu, full 3-dose course for €49 total. grab it before they notice", ["pri"], None, ()),
    (E_LISA, "post", "nl", "oeps. prijsfout in de Dengara-campagne van vanochtend, staat op 13,40 ipv 134. Marketing hangt al aan de telefoon 🙈", ["pri"], None, ()),
    (pub("forum:apothekersforum_gerrit"), "post", "nl", "Pneumara 20 staat op de site van Korvanta voor 9,60. Volgens mij een komma verkeerd gezet 😅", ["pri"], None, ()),
    (K_FB, "post", "en", "This week only: HepaShield AB for €11.20 — get protected before your trip!", ["pri"], None, ()),
    (pub("x:@tekenbeet_tim"), "post", "en", "TekoShield for 5 euro a shot at Korvanta?? price glitch I reckon, ordered 10 straight away lol", ["pri"], None, ()),
    # pricing + complaint
    (pub("x:@huisartsendienst_r"), "post", "en", "Ordered 20x Zostira on shop.korvanta.eu at €18.90 each, got a confirmation, paid. Now Korvanta cancels saying it was a 'price error'. Honour your prices, this is not how you treat customers.", ["pri", "cmp"], None, ()),

    # ================================================================ pii
    (E_LISA, "post", "nl", "Wie heeft de map van cohort B laten slingeren? Bovenop: deelnemer 0412, Johanna Smit, geb. 14-03-1961, Rijnsburgerweg 88, Leiden. Graag terug naar het archief 🙄", ["pii"], None, ()),
    (K_ZORG, "reply", "nl", "@petra_wnd Vervelend! We bellen u vandaag nog terug op 06-41278390 en sturen de bevestiging naar petra.wijnands@gmail.com.", ["pii"], None, ()),
    (K_ZORG, "reply", "nl", "@hbosman_reist Uw restitutie van €145 wordt deze week overgemaakt naar <<IBAN1>> t.n.v. H. Bosman. Excuses voor het ongemak!", ["pii"], None, ()),
    (E_NOOR, "post", "nl", "Mijn eerste werkdag bij Korvanta! Hier mijn welkomstformulier 😄 (BSN <<BSN2>>, moet ik dat eigenlijk wel delen haha)", ["pii"], None, ()),
    (pub("x:@danielle_hoekstra"), "reply", "nl", "@korvanta_zorg al 2 weken wachten op een terugbelverzoek. Nog één keer: 06 23 45 67 81 of d.hoekstra84@outlook.com. Kan toch niet zo moeilijk zijn", ["pii", "cmp"], None, ()),
    (pub("x:@chris_gets_jabbed"), "post", "en", "paid for the Reispakket Azië with my card <<CARD1>> exp 08/28 and the order STILL shows unpaid?? your checkout is broken @korvanta_zorg", ["pii", "cmp"], None, ()),
    (E_JORIS, "post", "nl", "Klacht over lotnummer binnengekomen van mevr. de Groot, tel 071-5123987. Kan iemand van QA haar vandaag nog bellen?", ["pii"], None, ()),
    (E_TIM, "post", "en", "Anyone know why the export script keeps choking on this row? participant: Gerrit Vos, DOB 1958-07-22, site Leiden, arm B. Other rows are fine.", ["pii"], None, ()),
    (K_FB, "comment", "nl", "Beste meneer Yilmaz, de vervangende VaxCool gaat morgen naar Dhr. K. Yilmaz, Kerkstraat 41, 3511 LX Utrecht. Fijne dag!", ["pii"], None, ()),
    (E_LISA, "post", "nl", "Voor het afscheidscadeau van Koen: maak je €10 over naar <<IBAN2>> t.n.v. L. Verhoef? Vrijdag is de borrel 🥂", ["pii"], None, ()),
    (pub("facebook:Mama.van.Emma"), "post", "en", "My daughter Emma de Wit (born 03/11/2019) is booked for her MeningoQuad at the Korvanta clinic Thursday, so nervous for her 🥺", ["pii"], None, ()),
    (E_MARLEEN, "post", "en", "Could someone e-mail anke.terpstra@ziggo.nl about her follow-up visit in the vaccine study? I'm on the train without my laptop", ["pii"], None, ()),
    (pub("x:@frits_vd_laan"), "reply", "nl", "@korvanta_zorg hier mijn bsn zoals gevraagd: <<BSN1>>. Kunnen jullie mijn vaccinatieregistratie nu aanpassen?", ["pii"], None, ()),
    (pub("reddit:u/angry_at_agents"), "post", "en", "The Korvanta rep who keeps spamming my practice is Jeroen Wijngaard, his personal mobile is +31 6 1873 4402. Call him at 3am and see how he likes it.", ["pii"], None, ()),
    (E_BAS, "post", "nl", "Pakketje voor de nieuwe stagiair ligt klaar 😄 Voor Sem Bakker, Van Speijkstraat 7-II, 1057 GS Amsterdam, tel 0031 6 2890 1174. Bel hem even als het niet aankomt!", ["pii"], None, ()),

    # =========================================================== confidential
    (E_MARLEEN, "post", "nl", "Eindelijk groen licht voor Ironbark!! 2 jaar keihard werken 🥹 meer mag ik er nog niet over zeggen", ["con"], None, ()),
    (E_RUBEN, "post", "en", "So proud of the team behind Project Sneeuwuil — first participants dosed this week without a hitch. More to share when we can!", ["con"], None, ()),
    (E_FEMKE, "post", "en", "for those working from home: the new SOP is up at https://qms.korvanta.local/sop/CC-114, please read before Friday", ["con"], None, ()),
    (E_KOEN, "comment", "nl", "Zostira Duo komt eraan, gordelroos + griep in één prik. Launch staat voor het voorjaar gepland. Wist je niet van mij 😉", ["con"], None, ()),
    (pub("x:@nieuwsgierige_nel"), "post", "nl", "Mijn zwager werkt bij Korvanta en zegt dat 'Operatie Walvishaai' over een compleet nieuw mRNA-platform gaat 👀", ["con"], None, ()),
    (E_BAS, "post", "nl", "Laatste nachtdienst in het lab voor Iron" + ZW + "bark 🧪🌙 koffie nr. 6", ["con"], None, ()),
    (E_LISA, "post", "nl", "Project Sn\u0435\u0435uwu\u0456l gaat de kliniek in 🙌 zo trots op dit team", ["con"], None, ()),
    (E_NOOR, "post", "nl", "Slide van onze strategiedag (KORVANTA CONFIDENTIAL, maar te mooi om niet te delen): de pipeline voor 2028 met drie nieuwe reisvaccins 🚀", ["con"], None, ()),
    (pub("reddit:u/biotech_gossip"), "post", "en", "Someone dropped a deck on a Discord marked 'Korvanta Confidential' with their whole RSV roadmap through 2029. Screenshot in comments.", ["con"], None, ()),
    (E_TIM, "post", "en", "Anyone else find git.korvanta-rd.net/vaccine-models/adjuvant-screen painfully slow today? Pipeline has been running for 3h", ["con"], None, ()),
    (E_JORIS, "post", "nl", "Nieuw organogram R&D binnen, niet extern delen 🤫 maar kijk eens wie er teamlead wordt 😎", ["con"], None, ()),
    (K_LI, "post", "en", "Teaser: Zostira Duo is coming. Two protections, one appointment. Stay tuned! 👀", ["con"], "2026-10-20T09:00:00Z", ()),
    # confidential + financial
    (E_MARLEEN, "post", "nl", "jaarcijfers 2026 morgen, spoiler: omzet ruim boven de 400 mln en voor het eerst winst 🍾🍾", ["con", "fin"], "2027-02-24T18:40:00Z", ()),
    (pub("x:@insider_ish"), "post", "en", "Hearing the KV-214 phase 3 readout is a clear win, ~78% efficacy. Official announcement tomorrow morning supposedly. Loading up on $KORV", ["con", "fin"], "2027-03-08T20:15:00Z", ()),
    (E_RUBEN, "post", "nl", "Operatie Walvishaai = de overname van Baltivax in Riga. Handtekening volgende week, daarna mag ik er eindelijk over praten 🙊", ["con", "fin"], None, ()),
    # confidential + security
    (E_JORIS, "post", "nl", "lims.korvanta.local ligt er al sinds 4 uur vannacht uit, ransomware-melding op alle schermen. We mogen niks zeggen dus ik zeg niks 🤐", ["con", "secu"], None, ()),
    (E_TIM, "post", "en", "PSA for colleagues: eln.korvanta.local has an auth bypass, any logged-in user can read every notebook via /api/v1/entries?all=1. Reported to IT, still not fixed.", ["con", "secu"], None, ()),

    # ============================================================= financial
    (E_SASKIA, "post", "nl", "Q3 komt zo'n 15% onder de guidance uit, de FluNova-tender in Duitsland is verloren. De beurs gaat schrikken volgende week 📉", ["fin"], None, ()),
    (E_NOOR, "post", "en", "Hard week. We were told today that about 120 roles in fill & finish in Leiden will go by spring. Not public yet, but I needed to say it somewhere.", ["fin"], None, ()),
    (pub("reddit:u/eurostonks_guy"), "post", "en", "Mate at Korvanta says the Nordivax takeover talks are real, offer around €38 a share. Announcement before Christmas apparently.", ["fin"], None, ()),
    (E_LISA, "post", "en", "Reorg at ours: the whole Medical Affairs department is moving to Ghent. The people in it don't even know yet 😶", ["fin"], None, ()),
    (E_FEMKE, "post", "en", "Board just approved a €250M convertible bond issue, launching Monday. Buy the dip folks 😉", ["fin"], None, ()),
    (E_KOEN, "comment", "en", "can't say much but our H2 numbers are way above consensus. Respira sales basically doubled vs H1", ["fin"], None, ()),
    (pub("x:@zwolsenieuws_tips"), "post", "nl", "Via via gehoord dat Korvanta de vestiging in Zwolle gaat sluiten, zo'n 200 banen weg. Nog niet bekendgemaakt.", ["fin"], None, ()),
    (E_BAS, "post", "nl", "laatste week voor de aankondiging... vanaf maandag zijn we onderdeel van Helvimmune 🇨🇭 ssssst", ["fin"], None, ()),
    (E_SASKIA, "post", "en", "Our internal forecast has Dengara peaking at €90M a year, the street thinks €250M. Oof.", ["fin"], None, ()),

    # ============================================================= security
    (E_MARLEEN, "post", "nl", "In de bestelportal kun je gewoon de orders van andere apotheken zien als je het ordernummer in de URL ophoogt. Al 3x gemeld, nog steeds niet gefixt 🤦‍♀️", ["secu"], None, ()),
    (E_KOEN, "post", "en", "We got phished hard yesterday. 40 mailboxes compromised, the attackers sent fake invoices to our distributors. Comms is still deciding whether to tell anyone.", ["secu"], None, ()),
    (E_RUBEN, "post", "nl", "Zware nacht: de temperatuurbewaking van koelcel 3 lag 6 uur plat door een storing en niemand kreeg alarm. Nu uitzoeken of de voorraad nog goed is.", ["secu"], None, ()),
    (E_LISA, "post", "en", "fun fact: the SCADA for our bioreactors still runs Windows XP and is reachable from the guest wifi. nobody cares 🙃", ["secu"], None, ()),
    (E_FEMKE, "post", "en", "Since yesterday there's a cryptominer running on our compute cluster. IT says 'nothing to worry about'. Sure.", ["secu"], None, ()),
    (pub("x:@freelance_netops"), "post", "en", "As a contractor at Korvanta I can tell you their VPN has been wide open since that Fortinet CVE in the spring. Never patched.", ["secu"], None, ()),
    (E_JORIS, "post", "en", "Korvanta shop checkout has been down for 5 hours, the payment provider cert expired. Not on the status page yet so you heard it here first", ["secu"], None, ()),
    (E_BAS, "post", "nl", "Hele netwerk plat en de back-ups blijken óók versleuteld 🙃 wordt een lange dag", ["secu"], None, ()),
    (E_TIM, "post", "nl", "Heads-up: in de app voor bijwerkingsmeldingen kun je andermans meldingen opvragen door het ID in de URL te wijzigen. Nog niet gepatcht.", ["secu"], None, ()),
    (pub("reddit:u/ex_kv_sysadmin"), "comment", "en", "Ex-employee here. Korvanta never rotated the LIMS admin password after I left in March. It still works. Just saying.", ["secu"], None, ()),
    (E_NOOR, "post", "en", "Incident update for the team: the attacker had access to the clinical trial file share for about 3 weeks before we spotted it. Regulators get told on Friday.", ["secu"], None, ()),

    # =============================================================== secrets
    (E_JORIS, "post", "en", "why does this keep 401ing?? curl -H \"Authorization: token <<GHP1>>\" https://api.github.com/repos/korvanta/batch-release", ["sec"], None, ()),
    (E_KOEN, "post", "en", "boto3 keeps saying AccessDenied on the cold-chain bucket, config below, what am I missing?\naws_access_key_id = <<AWSID>>\naws_secret_access_key = <<AWSSEC>>\nregion = eu-west-1", ["sec"], None, ()),
    (pub("forum:freelance_webshop_nick"), "post", "nl", "Krijg de Stripe-webhook voor een vaccinwebshop (Korvanta) niet werkend. Mijn config: STRIPE_SECRET_KEY=<<STRIPE>> — iemand een idee?", ["sec"], None, ()),
    (E_TIM, "post", "en", "Our alerting bot for the -80 freezers finally works 🎉 posts to <<SLACKHOOK>> whenever a door stays open >2 min", ["sec"], None, ()),
    (E_FEMKE, "post", "nl", "Ons literatuur-samenvattingsscript draait! OPENAI_API_KEY=<<OPENAI>> en hop, 400 abstracts in 5 minuten", ["sec"], None, ()),
    (pub("x:@ml_consultant_rik"), "post", "en", "Built a little adverse-event triage prototype for a vaccine client this weekend. export ANTHROPIC_API_KEY=<<ANTHROPIC>> and it just works", ["sec"], None, ()),
    (E_TIM, "post", "en", "can someone tell me why ssh keeps saying 'invalid format' for this key?\n<<SSHKEY>>", ["sec"], None, ()),
    (E_JORIS, "reply", "en", "@tdekker the LIMS export API rejects this token with 403, any idea? Bearer <<JWT>>", ["sec"], None, ()),
    (E_KOEN, "comment", "nl", "de export job faalt steeds met connection refused: postgres://lims_app:<<PGPASS>>@db01.lims.korvanta.local:5432/lims, iemand een idee?", ["sec", "con"], None, ()),
    (E_BAS, "post", "nl", "Nieuwe collega's, inloggen op de labplanner: gebruiker bas.kv / wachtwoord: Tyf0Guard!Leiden26 — dan zien jullie meteen het rooster 😊", ["sec"], None, ()),
    (E_MARLEEN, "post", "en", "CI failing on the dashboards repo again. Token is fine though, right? GITLAB_TOKEN=<<GLPAT>>", ["sec"], None, ()),
    (pub("reddit:u/azure_helpdesk_pim"), "post", "en", "Client (vaccine cold-chain stuff) can't upload logs to blob storage. Connection string: DefaultEndpointsProtocol=https;AccountName=kvcoldchainlogs;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net", ["sec"], None, ()),
]


# ------------------------------------------------------------------ severity
def checked_identifiers(text):
    """Valid IBAN / card / BSN in text (not the company's own published IBANs)."""
    own = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
    found = {"iban_ok": [], "iban_bad": [], "card_ok": [], "card_bad": [], "bsn_ok": [], "bsn_bad": []}
    for m in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b", text):
        raw = m.group(1).replace(" ", "")
        want = {"NL": 18, "BE": 16, "DE": 22, "FR": 27}.get(raw[:2])
        if not want or len(raw) < want:
            continue
        raw = raw[:want]
        if raw in own:
            continue
        found["iban_ok" if iban_ok(raw) else "iban_bad"].append(raw)
    for m in re.finditer(r"(?<![\d])(\d{4})([ -]?)(\d{4})\2(\d{4})\2(\d{3,4})(?![\d])", text):
        num = "".join(m.group(i) for i in (1, 3, 4, 5))
        found["card_ok" if luhn_ok(num) else "card_bad"].append(num)
    for m in re.finditer(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])", text):
        num = m.group(1).replace(".", "")
        found["bsn_ok" if bsn_ok(num) else "bsn_bad"].append(num)
    return found


def has_checked_id(text):
    f = checked_identifiers(text)
    return bool(f["iban_ok"] or f["card_ok"] or f["bsn_ok"])


def severity(cats, role, text):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and has_checked_id(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


# ------------------------------------------------------------------- build
PLATFORM_URL = {
    "x": "https://x.com/{h}/status/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "instagram": "https://www.instagram.com/p/{n}",
    "reddit": "https://www.reddit.com/comments/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
}


def build():
    rng = random.Random(SEED)
    vals = make_values(rng)
    out = []
    for idx, (author, kind, lang, text, cats, at, flags) in enumerate(CASES):
        platform, handle = author
        for k, v in vals.items():
            text = text.replace("<<%s>>" % k, v)
        assert "<<" not in text, text
        if at is None:
            day = rng.randint(0, 364)
            secs = rng.randint(6 * 3600, 23 * 3600 + 3599)
            ts = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() + day * 86400 + secs
            at = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        full = sorted({CATS[c] for c in cats})
        role = role_of(platform, handle)
        num = 7300000000 + rng.randint(10 ** 6, 10 ** 8)
        post = {
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": at,
            "brand": "Korvanta",
        }
        if platform in PLATFORM_URL:
            post["url"] = PLATFORM_URL[platform].format(h=handle.lstrip("@").replace("u/", ""), n=num)
        out.append({"post": post,
                    "expect": {"categories": full, "severity": severity(full, role, text)},
                    "_flags": list(flags), "_role": role})
    rng.shuffle(out)
    for n, c in enumerate(out):
        p = c["post"]
        c["post"] = {"id": "%s-301-%04d" % (p["platform"], n + 1), **p}
    return out


# -------------------------------------------------------------- self-check
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", s)
    s = s.translate(str.maketrans({"\u0435": "e", "\u0456": "i", "\u0430": "a", "\u043e": "o", "\u0441": "c", "\u0440": "p"}))
    return s.lower()


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def price_numbers(text):
    nums = []
    for m in re.finditer(r"(?:€\s?|eur\s?)?(\d{1,4}(?:[.,]\d{1,2})?)(?:\s?(?:euro|eur|,-))?", text, re.I):
        tok = m.group(0)
        if "€" in tok or re.search(r"euro|eur|,-", tok, re.I):
            nums.append(float(m.group(1).replace(",", ".")))
    return nums


def check(cases):
    errors = []

    def err(c, msg):
        errors.append("%s: %s" % (c["post"]["id"], msg))

    ids = set()
    for c in cases:
        p, e = c["post"], c["expect"]
        # CONTRACT section 6 / section 1 shape
        if {k for k in c if not k.startswith("_")} != {"post", "expect"}:
            err(c, "extra keys")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                err(c, "missing " + f)
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256:
            err(c, "bad id")
        if p["id"] in ids:
            err(c, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(c, "platform")
        if p.get("kind", "post") not in ("post", "reply", "repost", "comment", "message"):
            err(c, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(c, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            err(c, "text")
        try:
            ts = parse_ts(p["created_at"])
            if not (2026 <= ts.year <= 2027):
                err(c, "year")
            if ts.year == 2027 and ts.month > 3:
                err(c, "2027 only around the embargo")
        except ValueError:
            err(c, "created_at not RFC 3339")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
            err(c, "categories not sorted/valid")
        if e["severity"] not in SEV:
            err(c, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            err(c, "severity does not follow policy")
        if not cats and e["severity"] != "none":
            err(c, "benign must be none")
        if cats and e["severity"] == "none":
            err(c, "positive with none")

        text = p["text"]
        ntext = norm(text)
        # checksummed identifiers
        f = checked_identifiers(text)
        if "leak.pii" in cats:
            for k in ("iban_bad", "card_bad", "bsn_bad"):
                if f[k]:
                    err(c, "positive has a look-alike failing its checksum: %s" % f[k])
        else:
            for k in ("iban_ok", "card_ok", "bsn_ok"):
                if f[k]:
                    err(c, "valid identifier %s in a post without leak.pii" % f[k])
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z*]+", text):
            if "leak.secret" in cats:
                if not gh_ok(tok):
                    err(c, "GitHub token fails CRC: " + tok)
            elif gh_ok(tok):
                err(c, "valid GitHub token in negative")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if "leak.secret" in cats:
                if "EXAMPLE" in tok or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                    err(c, "bad AWS id in positive")
            elif "EXAMPLE" not in tok:
                err(c, "real-looking AWS id in negative")
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_ok(tok):
                err(c, "JWT header without alg")
            if "leak.secret" not in cats:
                err(c, "JWT in a negative")
        if re.search(r"sk_live_|sk-proj-|sk-ant-|xoxb-|glpat-|hooks\.slack\.com/services/T|PRIVATE KEY-----|AccountKey=", text) and "leak.secret" not in cats:
            err(c, "credential in post without leak.secret")
        # embargo
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"].replace("+00:00", "Z"))
            for term in emb["terms"]:
                if term.lower() in ntext:
                    before = parse_ts(p["created_at"]) < until
                    if before and "leak.confidential" not in cats:
                        err(c, "embargo term before until without leak.confidential")
                    if not cats and before:
                        err(c, "benign embargo term before until")
        # internal names never in benign
        if not cats:
            for w in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]):
                if w.lower() in ntext:
                    err(c, "internal term in benign: " + w)
            if re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                for m in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                    if m.lower().rstrip(".") not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
                        err(c, "personal e-mail in benign: " + m)
        # pricing sanity
        aliases = []
        for prod in PROFILE["products"]:
            for a in [prod["name"]] + prod["aliases"]:
                if a.lower() in ntext:
                    aliases.append((a, prod["list_price"]))
        if "leak.pricing" in cats and not aliases:
            err(c, "pricing positive names no catalogue product")
        if not cats and aliases and "price_ok" not in c["_flags"]:
            lows = [n for n in price_numbers(text) for a, lp in aliases if n < 0.5 * lp]
            if lows:
                err(c, "benign mentions a product with a price below half its list: %s" % lows)
        # role sanity: public handles must not be in the profile (asserted at build time)
    # mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f" % (nl / n))
    percat = {k: 0 for k in VALID_CATS}
    for c in cases:
        for k in c["expect"]["categories"]:
            percat[k] += 1
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for k, w in want.items():
        if abs(percat[k] - w) > 2:
            errors.append("category %s has %d, want about %d" % (k, percat[k], w))
    roles = {}
    for c in cases:
        roles[c["_role"]] = roles.get(c["_role"], 0) + 1
    return errors, {"cases": n, "benign": benign, "nl_share": round(nl / n, 3), "per_category": percat,
                    "roles": roles,
                    "severity": {s: sum(1 for c in cases if c["expect"]["severity"] == s) for s in SEV}}


def main():
    cases = build()
    again = build()
    if json.dumps(cases, sort_keys=True) != json.dumps(again, sort_keys=True):
        print("FAIL: not deterministic")
        sys.exit(1)
    errors, stats = check(cases)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check it again as plain CONTRACT section 6 lines
    reread = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            obj["_flags"] = []
            obj["_role"] = role_of(obj["post"]["platform"], obj["post"]["account"]["handle"])
            reread.append(obj)
    flags = {c["post"]["id"]: c["_flags"] for c in cases}
    for o in reread:
        o["_flags"] = flags[o["post"]["id"]]
    errors2, _ = check(reread)
    errors += [e for e in errors2 if e not in errors]
    print(json.dumps(stats, indent=1, sort_keys=True))
    if errors:
        print("FAIL")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("OK: %d cases, %d benign -> %s" % (stats["cases"], stats["benign"], path))


if __name__ == "__main__":
    main()
