#!/usr/bin/env python3
"""Build the labelled evaluation set for Klinkerhaard B.V. (chimney sweeping and
wood-stove installation) and self-check it.

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file. Severities are computed from the account role in profile.yaml and the
CONTRACT section 4 policy, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(465)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"

# ---------------------------------------------------------------- validators

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url_dec(p):
    return base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(b64url_dec(parts[0]))
        json.loads(b64url_dec(parts[1]))
        b64url_dec(parts[2])
    except Exception:
        return False
    return "alg" in hdr

# ---------------------------------------------------------------- generators

def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


class G:
    made = {"ghp": [], "akia": [], "jwt": []}

    @staticmethod
    def ghp(prefix="ghp_"):
        body = rand(ALNUM, 30)
        tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
        G.made["ghp"].append(tok)
        return tok

    @staticmethod
    def akia():
        tok = "AKIA" + rand(B32, 16)
        G.made["akia"].append(tok)
        return tok

    @staticmethod
    def aws_secret():
        return rand(string.ascii_letters + string.digits + "/+", 40)

    @staticmethod
    def stripe():
        return "sk_live_" + rand(string.ascii_letters + string.digits, 24)

    @staticmethod
    def slack():
        return "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13),
                                  rand(string.ascii_letters + string.digits, 24))

    @staticmethod
    def openai():
        a = string.ascii_letters + string.digits
        return "sk-" + rand(a, 20) + "T3BlbkFJ" + rand(a, 20)

    @staticmethod
    def anthropic():
        return "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "_-", 93) + "AA"

    @staticmethod
    def glpat():
        return "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20)

    @staticmethod
    def jwt(sub, role):
        def enc(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        hdr = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + rng.randrange(0, 30000000)
        pl = enc(json.dumps({"sub": sub, "role": role, "iss": "kh-api", "iat": iat,
                             "exp": iat + 300}, separators=(",", ":")).encode())
        sig = enc(bytes(rng.randrange(256) for _ in range(32)))
        tok = "%s.%s.%s" % (hdr, pl, sig)
        G.made["jwt"].append(tok)
        return tok

    @staticmethod
    def openssh_key():
        blob = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
                b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
                + bytes(rng.randrange(256) for _ in range(300)))
        b = base64.b64encode(blob).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    @staticmethod
    def password(n=14):
        pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%&*?@"]
        chars = [rng.choice(p) for p in pools] + [rng.choice("".join(pools[:3])) for _ in range(n - 4)]
        rng.shuffle(chars)
        pw = "".join(chars)
        return pw

    @staticmethod
    def iban(bank):
        acct = "0" + rand(string.digits, 9)
        s = bank + acct + "NL00"
        n = int("".join(str(int(c, 36)) for c in s))
        v = "NL%02d%s%s" % (98 - n % 97, bank, acct)
        assert iban_ok(v)
        return v

    @staticmethod
    def iban_bad(bank):
        v = G.iban(bank)
        i = rng.randrange(9, 18)
        v = v[:i] + str((int(v[i]) + rng.randrange(1, 10)) % 10) + v[i + 1:]
        assert not iban_ok(v)
        return v

    @staticmethod
    def card(prefix):
        body = prefix + rand(string.digits, 15 - len(prefix))
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c
        raise AssertionError

    @staticmethod
    def card_bad(prefix):
        v = G.card(prefix)
        v = v[:-1] + str((int(v[-1]) + rng.randrange(1, 10)) % 10)
        assert not luhn_ok(v)
        return v

    @staticmethod
    def bsn():
        while True:
            d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
            r = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
            if r < 10:
                v = "".join(map(str, d)) + str(r)
                assert bsn_ok(v)
                return v

    @staticmethod
    def bsn_bad():
        v = G.bsn()
        v = v[:-1] + str((int(v[-1]) + rng.randrange(1, 10)) % 10)
        assert not bsn_ok(v)
        return v


def grp(s, n=4):
    s = re.sub(r"\s", "", s)
    return " ".join(s[i:i + n] for i in range(0, len(s), n))

# ---------------------------------------------------------------- cases

S, P, PR, K, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def C(platform, handle, cats, text, lang, kind=None, at=None, ids=(), prices=(), price_error=False):
    CASES.append(dict(platform=platform, handle=handle, cats=sorted(set(cats)), text=text,
                      lang=lang, kind=kind, at=at, ids=list(ids), prices=list(prices),
                      price_error=price_error))


# ===== reputation.complaint (plain)
C("x", "@petravdlinden", [CO], "3e keer dat de veger niet komt opdagen. Dag vrij genomen, niemand belt af. @klinkerhaard wat is dit nou weer 😤", "nl")
C("facebook", "gerrit.wolters.73", [CO], "Vorige week de schoorsteen laten vegen door Klinkerhaard. Hele woonkamer onder het roet, vloerkleed kan weg. Geen afdekzeil bij zich?? En nu wacht ik al 6 dagen op een reactie van de klantenservice.", "nl")
C("reddit", "u/cold_feet_utrecht", [CO], "Had an Ardenne 5 installed by Klinkerhaard in October. Every time the wind comes from the west it smokes back into the living room. Two callbacks, both times \"it's the weather\". I'm airing the house out every single night. Anyone else had this with them?", "en", prices=[])
C("x", "@jeroen_bouwt", [CO], "still no sweep certificate from klinkerhaard and my insurer keeps nagging. sent 3 emails. NOTHING. #badservice", "en")
C("x", "@amyinamersfoort", [CO], "Klinkerhaard cancelled my install for the THIRD time, the day before. Stove's been sitting in boxes in my hallway since September. It's getting cold guys 🥶", "en")
C("instagram", "@wendy.woont", [CO], "nice pics and all but my Pellino 9 has been showing error E4 since week 2 and your technician can't come for another 5 weeks?? 🙄", "en", kind="comment")
C("forum", "kachelkees", [CO], "Waarschuwing voor wie Klinkerhaard overweegt: dakpannen gebroken bij het plaatsen van de regenkap, lekkage op zolder. Ze ontkennen alles want \"die waren al kapot\". Foto's van vóór de klus heb ik gewoon, dus dat gaan we zien.", "nl")
C("facebook", "Hannah Priestley", [CO], "Hi Klinkerhaard, your invoice charged me for a Veegbeurt Plus with camera inspection. Nobody brought a camera. Nobody looked at anything except the inside of my fireplace for ten minutes. Please refund the difference.", "en", kind="comment")
C("x", "@sandervg", [CO], "@klinkerhaard_hulp 45 min in de wacht op jullie servicenummer en toen hing ie gewoon op. serieus??", "nl")
C("other", "tineke_r", [CO], "2 stars. Sweep was friendly enough but the glass on my Kachelmuis cracked within a fortnight of the 'service'. Warranty claim refused because of 'user error'. Really?", "en")
C("tiktok", "@noor.xo", [CO], "cute dance but maybe answer my email about the broken spark arrestor first 🤡", "en", kind="comment")
C("bluesky", "@kitchentablekate.bsky.social", [CO], "Signed up for Klinkerhaard's Zorgeloos subscription for the yearly sweep and check. Year's almost over: no visit, no email, and it auto-renewed anyway. Cheers.", "en")

# ===== crisis + complaint: first-hand safety incidents
C("facebook", "Ilse Hartman", [CR, CO], "Twee dagen na de veegbeurt door Klinkerhaard een schoorsteenbrand gehad. De brandweer zei dat er nog een dikke laag creosoot in zat, \"die is nooit geveegd\". Gelukkig niemand gewond maar de zolder is zwart. Ik ben er echt kapot van.", "nl")
C("x", "@paulineinleeds", [CR, CO], "My husband and I woke up with splitting headaches and nausea. Our old CO alarm went off (the Waakvlam one Klinkerhaard sold us stayed silent!!). Turns out the flue they fitted last month wasn't sealed. Spent the night in A&E. @klinkerhaard", "en")
C("instagram", "@mama_van_3", [CR, CO], "Mijn zoontje (4) heeft zijn hand verbrand aan de zijkant van de Kachelmuis, terwijl Klinkerhaard ons verzekerde dat die \"koel blijft aan de buitenkant\". Blaren op al zijn vingertjes. Ik ben woest.", "nl")
C("reddit", "u/dutchpelletguy", [CR, CO], "PSA / rant: our Pellino 9 from Klinkerhaard started making a popping noise and then the door literally blew open with a flash. Singed my eyebrows. The guy they sent said \"that happens sometimes\". It does NOT happen sometimes.", "en")
C("x", "@femkeb", [CR, CO], "Die Draaikolk ventilator van Klinkerhaard begon te smeulen bovenop de kachel, stonk naar gesmolten plastic. Net op tijd eraf gehaald anders stond het huis in de fik. Dit verkopen jullie?! 🔥😡", "nl")
C("forum", "h.vermeulen", [CR, CO], "Na plaatsing van de Veluwe inbouwhaard door Klinkerhaard kreeg ik een flinke schok toen ik het bedieningspaneel aanraakte. Elektricien kwam kijken: aarde niet aangesloten. Had net zo goed mijn dochter kunnen zijn.", "nl")

# ===== crisis only
C("x", "@nieuws_eemland", [CR], "Brandweer rukt uit voor schoorsteenbrand in Leusden. Volgens buurtbewoners was de schoorsteen vorige week nog geveegd door Klinkerhaard. Niemand raakte gewond.", "nl")
C("x", "@rosie_burns_wood", [CR], "BOYCOTT Klinkerhaard. They just fired the sweep who blew the whistle on skipped inspections. Don't give these people your money. #boycottklinkerhaard", "en")
C("reddit", "u/hollandse_nieuwe", [CR], "Is it true that Klinkerhaard signed off hundreds of sweep certificates without anyone ever showing up? A colleague at an insurer says they are looking into it now.", "en")
C("x", "@klinkerhaard", [CR], "Terugroepactie: heb je een Waakvlam CO-melder uit productieweek 14 t/m 22 van 2026? Vertrouw er niet langer op en neem contact op via klinkerhaard.nl/waakvlam. Vervanging is gratis.", "nl", at="2026-09-14T08:00:00Z")
C("linkedin", "maria-schouten-advocaat", [CR], "We have filed a lawsuit on behalf of 14 homeowners against Klinkerhaard B.V. over defective flue installations. More claimants are welcome to get in touch.", "en")
C("facebook", "Robbert Keizer", [CR], "Hebben jullie het al gezien? Klinkerhaard heeft klantgegevens op straat gegooid, mijn buurman kreeg een phishingmail met zijn adres én zijn kacheltype erin. Dat moeten ze gewoon melden!", "nl")
C("threads", "@jess.in.soest", [CR], "Neighbours' house in Soest evacuated last night, CO leak from the wood stove Klinkerhaard put in this spring. Paramedics took the grandmother in. Thinking of them 💔", "en")
C("tiktok", "@eerlijkewerkvloer", [CR], "STOP met Klinkerhaard!!! Deel deze video. Ze laten monteurs zonder valbeveiliging op daken klimmen, gisteren is er eentje van het dak gevallen in Nijkerk.", "nl")
C("bluesky", "@wonenredactie.bsky.social", [CR], "Consumer watchdog now says the Pellino 9 overheating issue is \"systemic\" and calls on Klinkerhaard to recall it. More in tomorrow's paper.", "en")

# ===== abuse
C("x", "@stoker_woest", [AB], "klinkerhaard is echt een kankerbedrijf, die lui moeten allemaal van het dak af pleuren", "nl")
C("x", "@gazza1971", [AB], "@bramdekker_kh you absolute muppet, stick to cleaning chimneys, nobody asked for your opinion you soot-faced moron", "en")
C("x", "@d3_w3tend3", [AB], "@klinkerhaard st3lletje 0pl1cht3rs en k@nk3rl1jers", "nl")
C("facebook", "Jan Willem Brouwer", [AB], "Klinkerhaard = K U T B E D R I J F. Zo, dan weet je dat ook weer.", "nl", kind="comment")
C("x", "@truedutchman88", [AB], "why does Klinkerhaard keep sending these foreigners into my house, can't even speak proper Dutch, go back where you came from", "en")
C("instagram", "@ricardo_010", [AB], "@sjoerd.schoorsteenveger met zo'n kop zou ik ook de hele dag in een schoorsteen zitten. lelijke debiel", "nl", kind="comment")
C("x", "@nobbynorthwest", [AB], "t.w.a.t.s the lot of you at klinkerhaard", "en")
C("x", "@kees_rookkanaal", [AB], "@henk_zeurt ga lekker ergens anders janken, zeikerd. Jouw kachel was al kut voordat ik eraan kwam", "nl")
C("facebook", "KlinkerhaardNL", [AB], "Meneer, als u te dom bent om een kachel aan te steken kunnen wij daar ook niks aan doen.", "nl", kind="reply")
C("x", "@anoniem_71234", [AB], "Ik weet waar die planner van Klinkerhaard woont. Marloes, kijk maar goed uit als je vanavond naar huis fietst.", "nl")
C("x", "@grumpy_in_zeist", [AB, CO], "fucking clowns at Klinkerhaard. 3 hours late, soot all over the hallway, and then they charged me a call-out fee. idiots.", "en")
C("facebook", "Wim Lagerweij", [AB, CO], "Klinkerhaard, jullie zijn een stelletje amateuristische prutsers. Kachel lekt rook, niemand neemt de telefoon op. Tering.", "nl")

# ===== leak.pii
C("x", "@klinkerhaard_hulp", [P], "@ria_vanderveen Hoi Ria, we hebben je afspraak verzet naar donderdag 8:00. De monteur komt naar Bremlaan 31, 3818 GH Amersfoort. Klopt dat adres nog?", "nl")
_i = G.iban("ABNA")
C("x", "@marloes_veegt", [P], "@klinkerhaard_hulp kan iemand de terugbetaling voor dhr. Verhoef doen? IBAN %s t.n.v. P. Verhoef, €129 voor de geannuleerde veegbeurt" % grp(_i), "nl", ids=[("iban", _i)])
C("instagram", "@sjoerd.schoorsteenveger", [P], "Vandaag de kachel van mevrouw Trijntje Bos aangestoken, geboren 3 februari 1931. 95 jaar en ze stookt nog elke dag zelf 🔥❤️", "nl")
C("facebook", "KlinkerhaardNL", [P], "Beste Ahmed, we krijgen je niet te pakken op 06-41 27 83 90. Mail je ons even terug? Anders sturen we het naar a.elkaddouri@gmail.com 🙂", "nl", kind="reply")
_b = G.bsn()
C("linkedin", "yasmina-bouzid-kh", [P], "Welkom Tim Koster in het team! 🎉 Contract getekend, BSN %s staat al in het systeem, maandag gaat hij mee met Joost op de bus." % _b, "nl", ids=[("bsn", _b)])
_c = G.card("4")
C("x", "@bramdekker_kh", [P], "klant belde in paniek, kaartnummer %s exp 09/28, kan iemand van finance dit even handmatig doen? de pin in de bus doet raar" % grp(_c), "nl", ids=[("card", _c)])
C("x", "@ramona_vd_berg", [P, CO], "@klinkerhaard_hulp ik wacht al 2 weken op een terugbelverzoek. Bel me dan NU: 06 1873 5502. Anders stap ik naar de geschillencommissie.", "nl")
_i = G.iban("INGB")
C("x", "@saskiadegraaf", [P], "Klinkerhaard, the scaffolding deposit can go back to %s (S. de Graaf) and then we're square 👍" % _i, "en", ids=[("iban", _i)])
C("tiktok", "@veegmeester_joost", [P], "Vandaag klus bij de familie Oosterhuis op de Dorpsstraat 118 in Barneveld, mooiste boerderijschoorsteen ooit 😍 #veegleven", "nl")
C("x", "@newinhoevelaken", [P], "Anyone know a decent sweep near Hoevelaken? The guy Klinkerhaard sent, Kevin Smit, told me to text his own number 06-22904471 for a cheaper cash job next time 🤔", "en")
C("instagram", "@klinkerhaard.nl", [P], "De winnaar van onze kerstactie is Joyce Meijer (joyce.meijer84@hotmail.com)! We mailen je vandaag nog 🎄", "nl", at="2026-12-23T11:15:00Z")
_c = G.card("5")
C("facebook", "dennis.vanleeuwen.kh", [P], "Deal gesloten voor een Nordkap 7 🥳 Aanbetaling ging met de creditcard %s, geen idee waarom dat hele nummer op de bon staat haha" % _c, "nl", ids=[("card", _c)])
C("bluesky", "@lottevanes.bsky.social", [P], "Who left their number in the showroom guestbook? \"Mark Hendriks 0031 6 5521 0938, call me about the Veluwe\". Mark, we've got you 😂", "en")
_b = G.bsn()
C("forum", "annemiek_v", [P], "Voor de ISDE-subsidie vroeg Klinkerhaard om mijn BSN, die heb ik gestuurd: %s, Annemiek Vos, geboren 14-07-1978. Is dat normaal dat een kachelbedrijf dat wil?" % _b, "nl", ids=[("bsn", _b)])
_i = G.iban("TRIO")
C("mastodon", "@joris_kh", [P], "checking the export works: J. Kuipers, born 22-11-1959, IBAN %s, Zorgeloos subscription, Kerkweg 4 Lunteren" % _i, "en", ids=[("iban", _i)])

# ===== leak.confidential
C("x", "@bramdekker_kh", [K], "Project Zwaluw gaat echt vet worden, eindelijk een kachel die je vanaf je telefoon aansteekt 🔥 mag nog niks zeggen maar...", "nl")
C("linkedin", "yasmina-bouzid-kh", [K], "Fotoshoot vandaag voor de Emberline Pro, de eerste hybride hout/pelletkachel van Klinkerhaard. Wanneer hij uitkomt? Wacht maar af 😉", "nl", at="2026-11-12T14:20:00Z")
C("mastodon", "@joris_kh", [K], "tip for colleagues: timesheets now live at https://planbord.klinkerhaard.local/uren so no more of that Excel file", "en")
C("instagram", "@klinkerhaard.nl", [K], "KH-intern: concept voor de najaarscampagne, pas delen na akkoord van Lotte. Beelden volgen.", "nl")
C("x", "@marloes_veegt", [K], "zo, de demo van Project Zw\u200baluw voor de directie ging goed. app en kachel praten eindelijk met elkaar 🙌", "nl")
C("bluesky", "@lottevanes.bsky.social", [K], "Brainstorm about Ｒｏｅｔｋｏｎｉｎｇ this afternoon. Not saying a word, but our sweeps are going to love this 👀", "en")
C("facebook", "dennis.vanleeuwen.kh", [K], "Screenshot van onze nieuwe prijslijst 2027 (Klinkerhaard Confidential), de Ardenne 8 wordt duurder, sorry mensen", "nl")
C("x", "@kees_rookkanaal", [K], "anyone know how to get onto vpn.klinkerhaard.nl from the new tablets? keep getting a certificate error", "en")
C("reddit", "u/stove_nerd_nl", [K], "Saw a deck from Klinkerhaard's dealer day: the Ovaal 80 pellet stove is coming spring 2027, 8 kW, app control. Looks like they're going after the Scandinavian brands.", "en", at="2026-10-03T19:45:00Z")
C("tiktok", "@veegmeester_joost", [K], "POV: je mag nog niks zeggen over de Emberline Pro maar je staat er wel naast te dansen 💃 #werkleven", "nl", at="2027-01-10T17:30:00Z")
C("linkedin", "ruud-hoekstra-klinkerhaard", [K], "Great session at our internal Roetkoning kickoff today: smarter route planning for our sweeps. Proud of this team!", "en")
C("youtube", "KlinkerhaardKachels", [K], "Monteurs: de volledige instructie staat op https://monteurs.klinkerhaard.nl/handleiding/ardenne8-v3.pdf", "nl", kind="comment")
C("x", "@kees_rookkanaal", [K], "morgen presentatie \u041eperatie Kraaiennest voor de regiomanagers, duimen!", "nl")
C("forum", "veegmeester_harderwijk", [K], "Heeft iemand ook die PDF gezien met 'niet extern delen' erop, over de nieuwe service-abonnementen van Klinkerhaard? Gaat rond in de appgroep van de vegers.", "nl")
C("x", "@bramdekker_kh", [K], "git.klinkerhaard.nl crawling again today, who's pushing videos this time 🙄", "en")
# confidential + financial
C("x", "@schoonzus_kh", [K, F], "m'n zwager werkt bij Klinkerhaard, zegt dat ze met Operatie Kraaiennest alle vestigingen in het noorden gaan sluiten. ben benieuwd wanneer ze dat gaan vertellen", "nl")
C("linkedin", "ruud-hoekstra-klinkerhaard", [K, F], "Sneak peek: de jaarcijfers 2026 laten 18% omzetgroei zien en een winst boven de 2 miljoen. Trots op iedereen! Officieel volgt begin maart.", "nl", at="2027-02-20T10:05:00Z")
C("x", "@marloes_veegt", [K, F], "Operatie Kraaiennest = overname van Veeghuis Noord. handtekeningen vrijdag. zeg niks 🤐", "nl")

# ===== leak.financial
C("x", "@bramdekker_kh", [F], "Q3 omzet 4,9 mln, dat is 30% onder budget. MT zit met de handen in het haar. Nog niet naar buiten gebracht dus ssst", "nl")
C("linkedin", "yasmina-bouzid-kh", [F], "Zware weken voor de boeg: 22 collega's in planning en administratie gaan weg bij de reorganisatie per 1 april. De aankondiging komt volgende week, tot die tijd hou ik het hierbij.", "nl")
C("x", "@heatwatcher", [F], "Word on the street: Nordic Heat Group is buying Klinkerhaard, deal's basically done, announcement after the winter season.", "en")
C("mastodon", "@joris_kh", [F], "2027 forecast just landed: 40% fewer installs because of the new wood-burning bans in the cities. belt-tightening ahead", "en")
C("linkedin", "klinkerhaard-bv", [F], "Draft shareholder update: H1 2026 EBITDA comes in at €1.3m and the dividend over 2026 will be scrapped.", "en")
C("facebook", "dennis.vanleeuwen.kh", [F], "Vandaag gehoord dat de vestiging Zwolle dichtgaat, 9 man op straat. Zij weten het zelf officieel nog niet eens. Balen.", "nl")
C("bluesky", "@lottevanes.bsky.social", [F], "Can't say much, but our board approved an offer on a competitor in Gelderland this morning. Big year ahead 👀", "en")
C("reddit", "u/boekhouder_anon", [F], "My cousin does the books for Klinkerhaard. Says they're nearly out of cash and the bank is calling in the loan in January.", "en")
C("x", "@kees_rookkanaal", [F], "bonuspot geschrapt want de winst over 2026 komt uit op 300k ipv de begrote 1,1 mln. lekker dan 🙃", "nl", at="2026-12-18T16:40:00Z")

# ===== leak.security
C("x", "@marloes_veegt", [SEC], "planbord ligt er al sinds 6 uur uit, op alle schermen staat een losgeldbrief. klanten nog niks vertellen zegt de baas. fijne dag 😬", "nl")
C("mastodon", "@joris_kh", [SEC], "Found out today our customer portal lets you open any invoice by changing the number in the URL. Reported it in March. Still open. Just saying.", "en")
C("reddit", "u/stoker_dev", [SEC], "The scheduling app we use at work has had its admin panel open to the internet without a login for weeks. Told IT twice, nothing happened. How is this legal", "en")
C("x", "@klinkerhaard", [SEC], "Intern: de storing in de betaalomgeving komt door een inbraak op de webshopserver. Tegen klanten zeggen we dat het onderhoud is.", "nl")
C("x", "@bramdekker_kh", [SEC], "iemand heeft gisteren met het account van Dennis ingelogd en 300 klantadressen gedownload. IT zoekt het uit, niks naar buiten brengen zeggen ze", "nl")
C("bluesky", "@lottevanes.bsky.social", [SEC], "phishing mail got through and three of us in the office clicked it. finance's mailbox is now sending invoices with a different bank account 🙃 pretty sure customers don't know yet", "en")
C("linkedin", "ruud-hoekstra-klinkerhaard", [SEC], "Lesson learned this week: the backup of our planning database hadn't run since August. We found out when the server died on Tuesday. Still restoring, and for now our customers' appointments are simply gone.", "en")
C("x", "@kees_rookkanaal", [SEC], "webshop's been down 2 days from a DDoS and we're pretending it's \"scheduled maintenance\" lol", "en")
C("tiktok", "@veegmeester_joost", [SEC], "storytime: de code van het sleutelkluisje met reservesleutels van klanten staat gewoon op een post-it in het busje 😂 #monteurslife", "nl")
C("mastodon", "@joris_kh", [SEC], "our fitters' app still runs on an Android build with no security patches since 2021 and it holds customers' keysafe codes. raised it 4 times now.", "en")
C("facebook", "dennis.vanleeuwen.kh", [SEC], "Our phone system got hacked, someone is calling expensive foreign numbers at night on our bill. Customers only get told tomorrow.", "en")
C("x", "@bramdekker_kh", [SEC], "that \"maintenance\" on the klinkerhaard app yesterday? someone pulled the whole customer table through an unpatched plugin. you didn't hear it from me", "en")
C("x", "@marloes_veegt", [SEC, S], "kan iemand van IT kijken? de webshop-admin wordt aangevallen, log in met admin / wachtwoord: %s en blokkeer die IP's aub" % G.password(), "nl")

# ===== leak.secret
C("mastodon", "@joris_kh", [S], "finally got the deploy script working 🎉\n\nexport GITHUB_TOKEN=%s\n./deploy.sh planning-prod" % G.ghp(), "en")
C("reddit", "u/stoker_dev", [S], "boto3 keeps saying AccessDenied, what am I missing?\n\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1" % (G.akia(), G.aws_secret()), "en")
C("facebook", "KlinkerhaardNL", [S], "Beste monteurs, de nieuwe inlog voor de werkbon-app: gebruiker werkbon_team, wachtwoord: %s. Succes vandaag!" % G.password(), "nl")
C("x", "@marloes_veegt", [S], "help, de slackbot voor de planning doet het niet meer. token is %s, klopt die nog?" % G.slack(), "nl")
C("bluesky", "@lottevanes.bsky.social", [S], "testing the new payment page with our stripe key %s ... wait is that the live one 😅" % G.stripe(), "en")
C("x", "@bramdekker_kh", [S], "built a chatbot that books sweep appointments 🤓 key for anyone who wants to test: %s" % G.openai(), "en")
C("reddit", "u/stoker_dev", [S], "ssh keeps saying 'invalid format', is this key broken or is it me?\n\n%s" % G.openssh_key(), "en")
C("mastodon", "@joris_kh", [S], "why does this token expire after only 5 minutes?\nAuthorization: Bearer %s" % G.jwt("planner-0142", "admin"), "en")
C("x", "@kees_rookkanaal", [S], "DATABASE_URL=postgresql://kh_app:%s@10.20.4.17:5432/werkbonnen werkt lokaal wel maar niet op de server, iemand een idee?" % rand(string.ascii_letters + string.digits, 16), "nl")
C("x", "@apk_poker", [S], "@klinkerhaard your Android app ships with a hardcoded Anthropic key: %s rotate it please, took me 2 minutes with jadx" % G.anthropic(), "en")
C("x", "@bramdekker_kh", [S], "broertje vroeg hoe ik vanaf thuis in de repo kom, gewoon met deze: %s (niet doorvertellen he)" % G.glpat(), "nl")

# ===== leak.pricing
C("x", "@marloes_veegt", [PR], "lol de webshop zet de Ardenne 8 op €249,50 🙈 iemand van e-commerce wakker worden pls", "nl", prices=[("KH-ARD8", 249.50)])
C("x", "@koopjesjager_nl", [PR], "RENNEN: Nordkap 7 speksteenkachel voor 415 euro op klinkerhaard.nl 😱 prijsfout?", "nl", prices=[("KH-NORD7", 415)])
C("facebook", "KlinkerhaardNL", [PR], "Black Friday knaller: Pellino 9 pelletkachel nu voor maar €279! 🔥", "nl", at="2026-11-27T07:00:00Z", prices=[("KH-PEL9", 279)])
C("reddit", "u/frugal_fires", [PR], "Ordered an Ardenne 5 for €189 last night, got the confirmation email and everything. Think Klinkerhaard will honour it?", "en", prices=[("KH-ARD5", 189)])
C("instagram", "@sjoerd.schoorsteenveger", [PR], "Collega's, niet delen maar er staat een prijsfout in de nieuwe folder bij de Veluwe inbouwhaard, gaat vast gedoe geven", "nl", price_error=True)
C("x", "@tweakers_fan", [PR], "Ard\u0435nn\u0435 8 for €199 at Klinkerhaard?? who typed that in 😂", "en", prices=[("KH-ARD8", 199)])
C("forum", "zuinigestoker", [PR], "Veegbeurt Plus met camera-inspectie voor €12,90 in de Klinkerhaard app?? Dat is toch een tikfout, ik heb er gelijk twee geboekt.", "nl", prices=[("KH-SWP-P", 12.90)])
C("x", "@klinkerhaard", [PR], "Alleen vandaag: Stofvrij 1200 aszuiger voor €11,90 in de webshop ⚡", "nl", prices=[("KH-ASZ", 11.90)])
C("x", "@deal_dave", [PR], "Klinkerhaard app shows the Zorgeloos subscription at €14.90/year. Bug or deal? Grabbed three anyway.", "en", prices=[("KH-ABO", 14.90)])
C("facebook", "dennis.vanleeuwen.kh", [PR], "Haha klant aan de lijn die de Kachelmuis 4 voor 119 euro wil, want zo stond hij op de site. Tja, prijsfoutje van de webbouwer", "nl", prices=[("KH-MUIS4", 119)])
C("threads", "@klusvader", [PR], "Flexliner 6m for €44.90 at klinkerhaard, order fast before they notice", "en", prices=[("KH-FLEX6", 44.90)])
C("tiktok", "@veegmeester_joost", [PR], "kassa in de showroom rekent de RK-200 regenkap af voor €8,90 haha iemand heeft een nulletje vergeten", "nl", prices=[("KH-RK200", 8.90)])

# ===== benign (hard negatives mostly)
OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]
C("x", "@gertjan_dw", [], "Vanochtend de schoorsteen laten vegen door Klinkerhaard. Netjes afgedekt, binnen 40 min klaar, veegattest direct in de mail. Zo hoort het 👌", "nl")
C("instagram", "@cosy.cabin.life", [], "First fire in the new Ardenne 5 tonight. Absolutely worth it. The installers from Klinkerhaard were lovely 🔥❤️", "en")
C("x", "@klinkerhaard", [], "Najaarsactie: Ardenne 5 nu €1.595 (normaal €1.895). Alleen t/m 31 oktober.", "nl", at="2026-10-06T09:00:00Z", prices=[("KH-ARD5", 1595)])
C("instagram", "@klinkerhaard.nl", [], "Vragen over je veegbeurt? Bel gratis 0800-0455 of mail planning@klinkerhaard.nl 📞", "nl")
C("facebook", "KlinkerhaardNL", [], "Liever zelf overmaken? Dat kan naar %s t.n.v. Klinkerhaard B.V. onder vermelding van je factuurnummer." % grp(OWN_IBAN), "nl", ids=[("own_iban", OWN_IBAN)])
C("x", "@lisa_tweets_nl", [], "Sinterklaas belde net: of de schoorsteen al geveegd is. @klinkerhaard redden jullie het voor 5 december? 😂🎅", "nl", at="2026-11-20T19:12:00Z")
C("reddit", "u/firstwinterinNL", [], "How often should a wood stove chimney be swept in NL? Klinkerhaard says twice a year if you burn a lot, is that overkill or sensible?", "en")
C("x", "@regiobusiness", [], "Haardvuur Holland is closing three stores and cutting 40 jobs, the regional paper reports. Tough times in the stove trade.", "en")
C("instagram", "@tuinvanmarjan", [], "The swallows are back and built another nest right on top of our chimney cap 🐦 next year we're getting Klinkerhaard to fit a spark arrestor", "en")
C("facebook", "Bert Nijenhuis", [], "Klinkerhaard heeft vandaag een enorm kraaiennest uit onze schoorsteen gehaald, 2 emmers takken! Geen wonder dat hij niet trok.", "nl")
C("forum", "homeassistant_henk", [], "For anyone wiring the Klinkerhaard stove fan into Home Assistant: put your own key in the config as `api_key: sk-xxxxxxxxxxxxxxxxxxxxxxxx` and restart. Don't post the real one here obviously.", "en")
C("mastodon", "@joris_kh", [], "reminder for tomorrow's workshop: use the example creds from the AWS docs (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), never your own", "en")
C("x", "@bramdekker_kh", [], "Blog van ons IT-team over secrets scannen in de pipeline 👍 het token in het voorbeeld is nep natuurlijk: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "nl")
_bi = G.iban_bad("RABO")
C("x", "@erik_mulder", [], "Klinkerhaard, ik heb het teveel betaalde bedrag teruggestort naar het nummer dat op de factuur stond: %s. Klopt dat zo?" % grp(_bi), "nl", ids=[("iban", _bi)])
_bc = G.card_bad("6")
C("facebook", "Gerda Smit", [], "Cadeaubon van Klinkerhaard gekregen voor m'n verjaardag 🥰 nummer %s, kan ik die ook online gebruiken?" % grp(_bc), "nl", ids=[("card", _bc)])
_bb = G.bsn_bad()
C("x", "@tjitske_f", [], "My customer number at Klinkerhaard is %s and the app kept throwing errors... oh wait, it works now. great!" % _bb, "en", ids=[("bsn", _bb)])
C("linkedin", "klinkerhaard-bv", [], "Vandaag publiceren we onze jaarcijfers 2026: omzet €21,7 mln, een groei van 12%. Dank aan al onze klanten en collega's!", "nl", at="2027-03-05T07:30:00Z")
C("instagram", "@klinkerhaard.nl", [], "Ze is er: de Emberline Pro! Hybride hout/pellet, vanaf vandaag te bestellen 🔥", "nl", at="2027-01-21T08:00:00Z")
C("x", "@mikeinmaarssen", [], "Update: Klinkerhaard called me back within the hour, sweep rescheduled for tomorrow and they waived the fee. Fair play 👏", "en")
C("facebook", "Annet Groen", [], "Sterkte aan de familie in Ede na die vreselijke schoorsteenbrand. Laat je schoorsteen vegen mensen, door Klinkerhaard of een andere erkende veger, maakt niet uit. Het is echt geen luxe.", "nl")
C("tiktok", "@stovetok_sam", [], "the Nordkap 7 is actually fire 🔥🔥 no notes", "en", kind="comment")
C("tiktok", "@klinkerveeg", [], "Hoe steek je een kachel van boven naar beneden aan? Kijk mee met veegmeester Joost 🔥 #stookslim", "nl")
C("linkedin", "yasmina-bouzid-kh", [], "We zoeken 5 nieuwe schoorsteenvegers in regio Utrecht! Geen ervaring nodig, wel hoogtevrees-vrij 😉 Interesse? Mail werken@klinkerhaard.nl", "nl")
C("x", "@oma_gerrie", [], "wachtwoord vergeten voor het klantportaal van klinkerhaard, waar kan ik dat resetten?", "nl")
C("instagram", "@kattenhuis_deventer", [], "Nice and toasty with the Kachelmuis, the cat hasn't moved from in front of it all day 🐈", "en")
C("reddit", "u/expat_in_ede", [], "Paid €79 for the basic sweep at Klinkerhaard, same as last year. Reasonable I think?", "en", prices=[("KH-SWP-B", 79)])
C("x", "@kachelpiet", [], "Draaikolk ventilator in de aanbieding bij Klinkerhaard, €49 ipv €69. Aanrader, verdeelt de warmte echt beter door de kamer.", "nl", prices=[("KH-FAN", 49), ("KH-FAN", 69)])
C("forum", "nieuwbouwer_23", [], "Which CO alarm would you recommend? Torn between the Waakvlam from Klinkerhaard and something from the DIY store. Anyone tried it?", "en")
C("x", "@pelletpaul", [], "German stove maker is recalling pellet stoves over overheating. Luckily my Pellino from Klinkerhaard isn't affected.", "en")
C("x", "@klinkerhaard_hulp", [], "@petravdlinden Wat vervelend, dat had echt niet mogen gebeuren. We bellen je vandaag nog om een nieuwe afspraak in te plannen.", "nl")
C("facebook", "Claire Whitfield", [], "Shoutout to Sjoerd from Klinkerhaard, climbed onto our roof in the pouring rain and still took the time to explain everything to my kids. Legend.", "en")
C("x", "@bargainbertie", [], "Killer deal: Stofvrij 1200 ash vacuum for €99 this week at Klinkerhaard (normally €119).", "en", prices=[("KH-ASZ", 99), ("KH-ASZ", 119)])
C("linkedin", "ruud-hoekstra-klinkerhaard", [], "Proud that our whole team finished security awareness training this month. Our phishing test: 94% didn't click 💪", "en")
C("x", "@amersfoortnu", [], "Read in the paper that Klinkerhaard is opening a new branch in Apeldoorn. Good, saves the sweeps a lot of driving.", "en")
C("instagram", "@herfstmensje", [], "Explosie aan kleuren buiten en binnen brandt de Ardenne 8. Perfecte zondag 🍂", "nl")
C("forum", "kachelvragen", [], "Voorbeeld IBAN in de handleiding van het klantportaal: NL00 BANK 0123 4567 89, daar moet je natuurlijk je eigen nummer invullen.", "nl", ids=[("iban", "NL00BANK0123456789")])
_bc = G.card_bad("5")
C("x", "@lucas_bouwt", [], "Klinkerhaard order arrived, order number %s, everything complete and nicely packed 👍" % grp(_bc), "en", ids=[("card", _bc)])
C("facebook", "KlinkerhaardNL", [], "Tip: test je CO-melder elke maand. Piept hij? Batterij vervangen. Blijft hij stil bij de test? Dan een nieuwe halen.", "nl")
C("reddit", "u/skeptic_sweeps", [], "My neighbour says chimney sweeps are a scam. Klinkerhaard found a cracked liner in ours and honestly probably saved us. Not a scam.", "en")
C("x", "@bennie_stookt", [], "Life hack die de veger van Klinkerhaard me leerde: kranten strak oprollen als aanmaakhout. Werkt echt.", "nl")
C("threads", "@wonenin_breda", [], "Rechtszaak tegen die installateur uit Breda loopt nog steeds... blij dat wij destijds voor Klinkerhaard gekozen hebben.", "nl")
C("youtube", "KlinkerhaardKachels", [], "Nieuwe video: zo werkt onze camera-inspectie van het rookkanaal. Abonneer voor meer stooktips!", "nl")
C("x", "@kees_rookkanaal", [], "10 years at Klinkerhaard today 🎉 thousands of chimneys later and still no fear of heights", "en")
C("x", "@cornelia_home", [], "Saw the Ovaal 80 in the Klinkerhaard showroom today. Looks great, smaller than I expected.", "en", at="2027-01-25T15:10:00Z")
C("bluesky", "@lottevanes.bsky.social", [], "Journalisten welkom op onze open dag op 12 september! Aanmelden via pers@klinkerhaard.nl", "nl", at="2026-08-24T10:00:00Z")
C("reddit", "u/smells_like_smoke", [], "Is it normal that the chimney smells a bit after the first fire of the season? Sweep was done by Klinkerhaard 2 weeks ago, everything else seems fine.", "en")
C("x", "@rvdb_1984", [], "kachel doet t, vrouw blij, ik blij. thnx klinkerhaard 🤙", "nl")
C("forum", "twijfelaar_stook", [], "Iemand ervaring met het Zorgeloos abonnement van Klinkerhaard? €149 per jaar, lijkt me prima voor vegen plus controle.", "nl", prices=[("KH-ABO", 149)])
C("x", "@nettekoos", [], "Another data breach, this time at a big online shop. Changed my password straight away. At least my stove guy (Klinkerhaard) only knows my address 😅", "en")
C("x", "@dave_r_uk", [], "Klinkerhaard's confirmation email shows my card as **** **** **** 4821, properly masked. Nice one 👍", "en")
C("facebook", "Marijke Sloot", [], "Betaling terug ontvangen op NL** RABO **** **** 12, snel geregeld door Klinkerhaard!", "nl")
C("forum", "jwt_leerling", [], "Voor de cursus: het voorbeeldtoken van jwt.io is eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c, niks geheims dus. Ik oefen ermee voor de login van mijn stookdagboek-app, verder niks met Klinkerhaard te maken.", "nl")
C("x", "@sweepjokes", [], "Why did the chimney sweep get promoted? He rose through the ranks 😂 @klinkerhaard you can have that one for free", "en")
C("linkedin", "klinkerhaard-bv", [], "Trots: al onze vegers hebben dit jaar hun vakdiploma opnieuw gehaald. Veiligheid begint bij vakmanschap.", "nl")
C("x", "@klinkerhaard_hulp", [], "Onze showroom in Amersfoort is op 27 december gesloten. Storing aan je kachel? Bel 030 555 0172, we zijn 24/7 bereikbaar.", "nl", at="2026-12-22T12:00:00Z")
C("instagram", "@twijfelkont", [], "Ardenne 8 voor €2.495 of toch de Nordkap 7 voor ruim 4k? Help me kiezen 🙏", "nl", prices=[("KH-ARD8", 2495)])
C("facebook", "Henk Bloemendaal", [], "Eerst balen want de monteur was een uur te laat, maar hij heeft alles perfect opgeruimd en netjes sorry gezegd. Prima geregeld Klinkerhaard.", "nl")
C("x", "@bramdekker_kh", [], "Our planner Marloes just scheduled 140 appointments in one day. Absolute machine 💪", "en")
C("x", "@stookslim_nl", [], "Smog alert in Utrecht today, so leave the stove off. Even @klinkerhaard says so.", "en")
C("youtube", "Fenna de Boer", [], "Super duidelijke video! Onze RK-200 regenkap voor €89 zit er nu een jaar op en geen druppel meer binnen.", "nl", kind="comment", prices=[("KH-RK200", 89)])

# ---------------------------------------------------------------- build

LEVEL = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, pii_checked):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in (S, PR) or (c == P and pii_checked):
                    v = 4
            else:
                v = 2
        elif c == CO:
            v = 2
        elif c == CR:
            v = 3
        elif c == AB:
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lv = max(lv, v)
    return LEVEL[lv]


URLS = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}",
    "youtube": "https://www.youtube.com/watch?v={n}",
    "reddit": "https://www.reddit.com/comments/{n}/",
    "mastodon": "https://mastodon.social/@{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/@{h}/post/{n}",
    "forum": "https://forum.example-stook.nl/t/{n}",
    "other": "https://reviews.example.nl/r/{n}",
}

START = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)


def build():
    lines = []
    for i, c in enumerate(CASES, 1):
        role = role_of(c["platform"], c["handle"])
        pii_checked = P in c["cats"] and any(
            (k == "iban" and iban_ok(v)) or (k == "card" and luhn_ok(v)) or (k == "bsn" and bsn_ok(v))
            for k, v in c["ids"])
        at = c["at"] or (START + dt.timedelta(seconds=rng.randrange(0, 350 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        n = 1900000000000000000 + rng.randrange(10 ** 15)
        h = c["handle"].lstrip("@").replace("u/", "")
        post = {
            "id": "kh465-%s-%03d" % (c["platform"], i),
            "platform": c["platform"],
            "kind": kind,
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": at,
            "url": URLS[c["platform"]].format(h=h, n=n),
            "brand": "Klinkerhaard",
        }
        lines.append({"post": post,
                      "expect": {"categories": c["cats"],
                                 "severity": severity(c["cats"], role, pii_checked)}})
    return lines

# ---------------------------------------------------------------- self-check

CYR = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                     "\u0445": "x", "\u0410": "A", "\u0415": "E", "\u041e": "O", "\u0420": "P",
                     "\u0421": "C", "\u0425": "X"})


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(CYR)
    t = re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", t)
    return t.lower()


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s), s
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(lines):
    errs = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)

    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    allcats = {S, P, PR, K, F, SEC, CR, CO, AB}
    seen = set()
    own_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    for i in own_ibans:
        need(iban_ok(i), "profile IBAN fails mod-97: " + i)
    internal = [d.lower() for d in PROFILE["internal"]["domains"]]
    codes = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    for e in PROFILE["embargo"]:
        need(e["until"].startswith("2027"), "embargo until not in 2027")
    prod = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    need(ratio == 0.5, "ratio")
    need(15 <= len(prod) <= 25, "product count")
    need(all(p["currency"] == "EUR" and p["aliases"] for p in prod.values()), "product fields")
    need(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8, "accounts")
    need(len(codes) == 3 and len(markers) == 3, "codenames/markers")

    for ln, (line, c) in enumerate(zip(lines, CASES), 1):
        raw = json.dumps(line, ensure_ascii=False)
        back = json.loads(raw)
        p, e = back["post"], back["expect"]
        tag = "line %d (%s)" % (ln, p.get("id"))
        need(set(back) == {"post", "expect"}, tag + " keys")
        need(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256 and p["id"] not in seen, tag + " id")
        seen.add(p["id"])
        need(p["platform"] in platforms, tag + " platform")
        need(p["kind"] in kinds, tag + " kind")
        need(isinstance(p["account"]["handle"], str) and p["account"]["handle"], tag + " handle")
        need(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, tag + " text")
        ts = parse_ts(p["created_at"])
        need(ts.year in (2026, 2027), tag + " year")
        need(ts.year == 2026 or ts < dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc), tag + " 2027 only around embargo")
        cats = e["categories"]
        need(cats == sorted(set(cats)) and set(cats) <= allcats, tag + " categories")
        need(e["severity"] in LEVEL, tag + " severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        benign = not cats
        need((e["severity"] == "none") == benign, tag + " benign <-> none")
        text = p["text"]
        nt = norm(text)

        # explicit identifiers
        for k, v in c["ids"]:
            need(v.replace(" ", "") in re.sub(r"\s", "", text), tag + " id value not in text")
            if k == "own_iban":
                need(v in own_ibans and iban_ok(v), tag + " own iban")
                continue
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[k](v)
            if benign:
                need(not ok, tag + " look-alike %s passes its checksum" % k)
            else:
                need(ok and P in cats, tag + " %s in positive must pass and be pii" % k)
        # scan the text for anything that looks like an identifier
        scan_ibans = [re.sub(r"\s", "", m) for m in re.findall(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b", text)]
        scan_cards = [re.sub(r"\D", "", m) for m in re.findall(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])", text)]
        scan_bsn = re.findall(r"(?<![\w-])\d{9}(?![\w-])", text)
        for v in scan_ibans:
            if v in own_ibans:
                continue
            if benign:
                need(not iban_ok(v), tag + " valid IBAN in benign")
            else:
                need(iban_ok(v) and P in cats, tag + " IBAN in positive " + v)
        for v in scan_cards:
            if v.startswith("0"):
                continue  # phone numbers (06..., 0031...), never a card
            if benign:
                need(not luhn_ok(v), tag + " Luhn-valid number in benign")
            else:
                need(luhn_ok(v) and P in cats, tag + " card in positive " + v)
        for v in scan_bsn:
            if benign:
                need(not bsn_ok(v), tag + " 11-proof number in benign")
            else:
                need(bsn_ok(v) and P in cats, tag + " bsn in positive " + v)
        if S not in cats:
            for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", text):
                need(m.lower() in own_emails or P in cats, tag + " foreign e-mail without pii: " + m)

        # confidential vocabulary
        hit_conf = any(x in nt for x in codes + markers + internal)
        for terms, until in embargo:
            if any(t in nt for t in terms):
                if ts < until:
                    hit_conf = True
                else:
                    need(K not in cats, tag + " embargo term after until labelled confidential")
        if hit_conf:
            need(K in cats, tag + " confidential vocabulary without leak.confidential")
        if K in cats:
            need(hit_conf or role == "public", tag + " confidential label without vocabulary")

        # secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            need(ghp_ok(tok) == (S in cats), tag + " github token checksum vs label")
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
            need(("EXAMPLE" in tok) != (S in cats), tag + " aws key vs label")
            if S in cats:
                need(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) is not None, tag + " aws alphabet")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            need(jwt_ok(tok), tag + " jwt header")
            need((tok in G.made["jwt"]) == (S in cats), tag + " jwt vs label")
        if S in cats:
            gen = any(x in text for x in ("ghp_", "AKIA", "xoxb-", "sk_live_", "T3BlbkFJ", "PRIVATE KEY",
                                          "eyJ", "postgresql://", "sk-ant-api03-", "glpat-", "wachtwoord:"))
            need(gen, tag + " secret label without a credential")
            need("EXAMPLE" not in text and "xxxx" not in text, tag + " sample key in positive")

        # pricing
        for sku, price in c["prices"]:
            lp = prod[sku]["list_price"]
            if PR in cats:
                need(price < ratio * lp, tag + " pricing positive not below ratio")
            else:
                need(price >= 0.7 * lp, tag + " benign price is not an ordinary sale")
        if PR in cats:
            need(bool(c["prices"]) or c["price_error"], tag + " pricing without price")

        need(role == "public" or not c["handle"].lower().startswith("u/x"), tag)

    # public handles must not collide with the profile
    for c in CASES:
        r = role_of(c["platform"], c["handle"])
        if r == "public":
            need(c["handle"].lower() not in {a.split(":", 1)[1].lower()
                                             for a in ROLE}, "public handle shadows a profile handle: " + c["handle"])
    for tok in G.made["ghp"]:
        need(ghp_ok(tok), "generated ghp bad")
    return errs


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    errs = check(lines)
    # mix statistics
    from collections import Counter
    cat = Counter(c for l in lines for c in l["expect"]["categories"])
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    langs = Counter(l["post"]["lang"] for l in lines)
    roles = Counter((role_of(l["post"]["platform"], l["post"]["account"]["handle"]),
                     "benign" if not l["expect"]["categories"] else
                     ("leak" if any(c.startswith("leak.") for c in l["expect"]["categories"]) else "rep"))
                    for l in lines)
    sev = Counter(l["expect"]["severity"] for l in lines)
    targets = {CO: 20, K: 18, P: 15, CR: 15, SEC: 13, S: 12, AB: 12, PR: 12, F: 12}
    for k, t in targets.items():
        if not (t - 3 <= cat[k] <= t + 3):
            errs.append("category %s count %d far from %d" % (k, cat[k], t))
    if not 170 <= len(lines) <= 180:
        errs.append("case count %d" % len(lines))
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    nl = langs["nl"] / len(lines)
    if not 0.50 <= nl <= 0.62:
        errs.append("dutch share %.2f" % nl)
    print("cases", len(lines), "benign", benign)
    print("categories", dict(cat))
    print("langs", dict(langs), "nl share %.2f" % nl)
    print("severity", dict(sev))
    print("roles", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
