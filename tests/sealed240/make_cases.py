#!/usr/bin/env python3
"""Labelled evaluation set sealed240 for postwatch.

Company: Laadkompas Software B.V. (fictional), logistics planning software and
cab hardware for hauliers. See profile.yaml beside this script.

Deterministic: a fixed seed drives every generated credential, identifier and
timestamp. Writes cases.jsonl beside this script and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike
    in a negative fails it, and no stray valid identifier hides anywhere;
  * generated GitHub tokens carry a correct CRC-32, AWS ids and JWTs are well formed;
  * severities follow CONTRACT section 4, computed from the account role in the
    profile (never typed by hand);
  * embargo terms, codenames, markers, internal hosts and prices in benign posts
    cannot make them positives.
Standard library plus PyYAML only.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PROFILE = yaml.safe_load((HERE / "profile.yaml").read_text(encoding="utf-8"))
SEED = 240_2026

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
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
LEVELS = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    lengths = {"NL": 18, "BE": 16, "DE": 22}
    if len(s) != lengths.get(s[:2], -1) or not s[2:4].isdigit():
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
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
        out = B62[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64url_decode(parts[0]))
        json.loads(b64url_decode(parts[1]))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


# --------------------------------------------------------------------------- generators
class Gen:
    def __init__(self, rng):
        self.r = rng

    def s(self, n, alphabet=B62):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n):
        return "".join(self.r.choice(string.digits) for _ in range(n))

    # credentials -----------------------------------------------------------
    def github(self, prefix="ghp_"):
        body = self.s(30)
        return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.s(16, B32)

    def aws_secret(self):
        return self.s(40, string.ascii_letters + string.digits + "+/")

    def stripe(self):
        return "sk_live_51" + self.s(22) + self.s(50)

    def slack_bot(self):
        return f"xoxb-{self.digits(12)}-{self.digits(13)}-{self.s(24)}"

    def openai(self):
        return "sk-proj-" + self.s(64, B62 + "-_") + "T3BlbkFJ" + self.s(64, B62 + "-_")

    def anthropic(self):
        return "sk-ant-api03-" + self.s(93, B62 + "-_") + "AA"

    def mollie(self):
        return "live_" + self.s(30)

    def google(self):
        return "AIza" + self.s(35, B62 + "-_")

    def password(self, n=16):
        return self.s(n, B62 + "!#$%&*?@")

    def rsa_pem(self):
        der = bytes.fromhex("308204a40201000282010100") + bytes(self.r.randrange(256) for _ in range(1180))
        b = base64.b64encode(der).decode()
        body = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
        return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"

    def jwt(self, payload):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
        sig = base64.urlsafe_b64encode(bytes(self.r.randrange(256) for _ in range(32))).decode().rstrip("=")
        return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(payload) + "." + sig

    # personal identifiers ------------------------------------------------
    def iban(self, bank, spaced=True, valid=True):
        acct = self.digits(10)
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        ck = 98 - n % 97
        if not valid:
            ck = (ck + self.r.randrange(1, 96)) % 97 or 11
        s = f"NL{ck:02d}{bban}"
        assert iban_ok(s) == valid
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s

    def card(self, first="4", valid=True, sep=" "):
        while True:
            body = first + self.digits(15 - len(first))
            for last in string.digits:
                if luhn_ok(body + last) == valid:
                    num = body + last
                    break
            if luhn_ok(num) == valid:
                break
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))

    def bsn(self, valid=True):
        while True:
            num = str(self.r.randrange(1, 10)) + self.digits(8)
            if bsn_ok(num) == valid:
                return num


# --------------------------------------------------------------------------- build
def build(seed):
    rng = random.Random(seed)
    g = Gen(rng)
    cases = []

    def when_random():
        start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
        t = start + dt.timedelta(minutes=rng.randrange(0, 349 * 24 * 60))
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def add(platform, handle, lang, text, cats=(), kind="post", when=None,
            ids=(), bad_ids=(), evasion=False):
        cases.append({
            "platform": platform, "handle": handle, "lang": lang, "text": text,
            "cats": sorted(CAT[c] for c in cats), "kind": kind,
            "when": when or when_random(), "ids": list(ids), "bad_ids": list(bad_ids),
            "evasion": evasion,
        })

    # ================================================================ complaints
    add("x", "@truckerbas_83", "nl",
        "@laadkompas_help al 3 dagen stuurt LKP Planner mijn chauffeurs dwars door de milieuzone van Utrecht "
        "terwijl 'vermijden' gewoon aan staat. 2 boetes binnen. wie gaat dat betalen??",
        ["complaint"], kind="reply")
    add("x", "@FleetOpsMaria", "en",
        "Third time this month the TachoSync module just... stops syncing. Drivers' hours show 0 for the whole day "
        "so the planner thinks everyone is fresh 🙄 ticket open since Monday, zero reply. @laadkompas this is not ok",
        ["complaint"])
    add("facebook", "GerritWoltersTransport", "nl",
        "Sinds de update van vorige week duurt elke klik in het ritbord zo'n 40 seconden. Met 60 wagens op de weg "
        "is dat gewoon niet te doen, mijn planners zitten letterlijk naar een zandloper te staren. Laadkompas, "
        "doe hier iets aan want zo kunnen we niet werken.",
        ["complaint"])
    add("reddit", "u/diesel_and_data", "en",
        "Anyone else on Laadkompas ePOD losing signatures? Driver gets the sig, app says 'synced', next morning the "
        "POD is blank and the customer refuses to pay the invoice. happened 4x now, support just says 'clear cache'",
        ["complaint"], kind="comment")
    add("x", "@planster_ilse", "nl",
        "@laadkompas_help 47 min in de wacht gestaan en toen werd ik gewoon afgehangen. knap hoor 🙃 #klantenservice",
        ["complaint"], kind="reply")
    add("linkedin", "peter-hallam-logistics", "en",
        "Honest feedback after 8 months on Laadkompas RouteAI Optimizer: ETAs are consistently 20-30 minutes "
        "optimistic on anything that crosses the Antwerp ring. Our customers have simply stopped trusting the ETAs "
        "we send them. Disappointing, given what we pay for it.",
        ["complaint"])
    add("x", "@vdLindenKoeltrans", "nl",
        "KoelTrack sensoren geven om de paar uur 'geen data' en dan gaat het alarm af dat de lading te warm is terwijl "
        "het gewoon 2 graden is. chauffeurs worden er gek van, 3x per nacht wakker gebeld. @laadkompas",
        ["complaint"])
    add("x", "@haulage_hank", "en",
        "invoice from @laadkompas charged us twice for 14 FleetBox licences. emailed 3 times, nothing back. "
        "great way to treat a customer of 12 years",
        ["complaint"])
    add("forum", "wegwerker_72", "nl",
        "Kort verhaal: TolGuard rekent de Belgische kilometerheffing verkeerd uit voor onze 4-assers. Elke rit zit er "
        "een paar tientjes naast. Klantenservice zei in april al 'bekend probleem, wordt aan gewerkt'. Het is nu "
        "september. Iemand anders hier last van?",
        ["complaint"])
    add("threads", "@sophie.dispatches", "en",
        "the new Laadkompas app layout is a nightmare. where did the 'reassign driver' button go?? took me 10 min to "
        "move ONE job 😤",
        ["complaint"])
    add("instagram", "@transport_familie_dekker", "nl",
        "Leuk filmpje hoor, maar onze CabTab 10 hangt al 2 weken op 'update wordt geïnstalleerd'. Chauffeur rijdt nu "
        "weer met een papieren ritlijst 🙄",
        ["complaint"], kind="comment")
    add("x", "@NordlineFreight", "en",
        "Laadkompas Rijtijden Coach told my driver he had 1h10 of driving left. He didn't. Roadside check in Germany, "
        "fine. Apparently it counts the ferry crossing as rest the wrong way. @laadkompas_help please fix this, it's "
        "the whole point of the product",
        ["complaint"])
    add("x", "@jvdmeer_planning", "nl",
        "Onboarding pakket afgenomen en de trainer was er een halve dag, kon geen enkele vraag beantwoorden over de "
        "koppeling met ons boekhoudpakket. Beetje zonde van het geld @laadkompas",
        ["complaint"])
    add("mastodon", "@kat@mstdn.social", "en",
        "The Laadkompas API rate limits are ridiculous. 60 req/min for a fleet of 200 trucks? Our TMS sync times out "
        "every single morning at 6. We pay for the API Gateway licence and get this.",
        ["complaint"])
    add("tiktok", "@chauffeur_rick", "nl",
        "dashcam DC2 van de baas valt elke keer uit zodra het boven de 25 graden is 🥵 net als ik dus. mooi ding als "
        "ie werkt #laadkompas #truckerslife #chauffeursleven",
        ["complaint"])

    # ================================================================ safety: first-hand (crisis + complaint)
    add("facebook", "MarcoJanssenTransport", "nl",
        "Vanochtend begon de Cab Charger 12/24V in de cabine van onze Scania te roken en de stekker is gewoon "
        "gesmolten. Als mijn chauffeur niet net op een parkeerplaats stond was er brand uitgebroken. Dit ding van "
        "Laadkompas zit in 30 van onze wagens!! Ik wil vandaag nog een reactie.",
        ["crisis", "complaint"], when="2026-02-20T07:41:00Z")
    add("x", "@trucking_tara", "en",
        "my CabTab 10 got so hot on the dash it burnt my hand when i pulled it out of the mount. actual blister. "
        "this thing is in every one of our cabs @laadkompas what is going on??",
        ["crisis", "complaint"])

    # ================================================================ complaint + abuse
    add("x", "@henkie_kipper", "nl",
        "@laadkompas_help jullie zijn echt een stelletje prutsers. 3e keer deze week dat de planning om 5 uur 's "
        "ochtends leeg is. kutsoftware",
        ["complaint", "abuse"], kind="reply")
    add("x", "@mad_max_logistics", "en",
        "Laadkompas support is staffed by clueless morons. Six weeks I've been asking for a tacho export that actually "
        "works. Absolute joke of a company.",
        ["complaint", "abuse"])

    # ================================================================ crisis (third party / public)
    add("x", "@transportnieuws_nl", "nl",
        "Vervoerder uit Tiel stapt naar de rechter tegen Laadkompas: de planningssoftware zou jarenlang rijtijden "
        "verkeerd hebben berekend, met tienduizenden euro's aan boetes tot gevolg. Laadkompas wil niet reageren.",
        ["crisis"])
    add("x", "@freightwatch_eu", "en",
        "BREAKING: several hauliers report that their full customer lists and delivery addresses from Laadkompas "
        "Planner are circulating on a paste site. The company has not responded yet. #databreach #logistics",
        ["crisis"])
    add("x", "@sterkewoorden", "nl",
        "Oproep aan alle vervoerders: #boycotLaadkompas. Een bedrijf dat de locatiedata van chauffeurs doorverkoopt "
        "aan verzekeraars verdient geen enkele klant meer. Deel dit!",
        ["crisis"])
    add("reddit", "u/eurotrucker_dave", "en",
        "PSA: Laadkompas is recalling the Cab Charger 12/24V, batches from Nov '25 to Feb '26, overheating risk. "
        "Check the label under the plug. Saw it in the trade press this morning.",
        ["crisis"], when="2026-03-11T09:02:00Z")
    add("x", "@ooststad_nieuws", "nl",
        "Vrachtwagen klem onder spoorviaduct in Hengelo. Volgens de politie volgde de chauffeur de route uit zijn "
        "planningssysteem (Laadkompas), dat de maximale doorrijhoogte negeerde. Er raakte niemand gewond, de weg is "
        "urenlang dicht.",
        ["crisis"])
    add("linkedin", "claire-vos-fleetsafety", "en",
        "Worrying: two separate reports this week of CabTab units catching fire while charging overnight in sleeper "
        "cabs. If your fleet runs Laadkompas hardware, unplug overnight until there is an official statement.",
        ["crisis"])
    add("x", "@privacywaakhond", "nl",
        "Klopt het dat Laadkompas de GPS-data van chauffeurs 24/7 bijhoudt, ook buiten werktijd, en dat gewoon deelt "
        "met de werkgever? Dat mag gewoon niet. AP, kijk hier eens naar. #privacy #AVG",
        ["crisis"])
    add("x", "@ATG_drivers_union", "en",
        "Drivers at three carriers tell us the Laadkompas 'Rijtijden Coach' nudges them to skip breaks to hit ETAs. "
        "We are taking this to the labour inspectorate. Driver safety is not a KPI.",
        ["crisis"])
    add("threads", "@logistiekvrouw", "nl",
        "Heftig dit. Bij een klant van ons is gisteren een CabTab 8 ontploft tijdens het laden in de cabine, chauffeur "
        "met brandwonden naar het ziekenhuis. Ging om Laadkompas hardware. Hopelijk komt hij er goed vanaf 🙏",
        ["crisis"])
    add("youtube", "@TruckTechReviews", "en",
        "New video: we tested 5 cab chargers and the Laadkompas Cab Charger hit 94°C on the connector. That is a fire "
        "hazard, full stop. Thermal footage in the video, the brand has been notified.",
        ["crisis"])
    add("x", "@advocaat_transportrecht", "nl",
        "Namens 14 vervoerders bereiden wij een collectieve claim voor tegen Laadkompas Software B.V. wegens "
        "wanprestatie rond de TachoSync-module. Betrokken ondernemers kunnen zich via DM melden.",
        ["crisis"])
    add("facebook", "LaadkompasNL", "nl",
        "Veiligheidswaarschuwing: wij roepen de Cab Charger 12/24V met serienummers LKC-2511 t/m LKC-2602 terug "
        "vanwege risico op oververhitting. Stop direct met het gebruik. Vervanging is gratis via "
        "laadkompas.nl/terugroepactie.",
        ["crisis"], when="2026-03-10T06:30:00Z")
    add("x", "@anon_tipster_nl", "en",
        "Friend who works at Laadkompas says they got hit by ransomware last weekend and customer route data was "
        "copied out. They're sitting on it until after their sales conference. Customers deserve to know.",
        ["crisis", "security"])

    # ================================================================ abuse
    add("x", "@boze_bram", "nl", "@laadkompas_help wat een kankerbedrijf zijn jullie toch", ["abuse"], kind="reply")
    add("x", "@throwaway_trucker", "en",
        "@marloes_lkp you're a useless dumb b1tch, go learn to do your j0b", ["abuse"], kind="reply", evasion=True)
    add("x", "@kipperkoning", "nl",
        "die productmanager van laadkompas (@joostplant) is echt een ongelooflijke debiel, heeft nog nooit een "
        "vrachtwagen van binnen gezien",
        ["abuse"])
    add("reddit", "u/rig_rage", "en",
        "Laadkompas devs are a bunch of f.u.c.k.i.n.g clowns. whoever signed off on this UI should be fired into the sun",
        ["abuse"], kind="comment", evasion=True)
    add("tiktok", "@sjaak_op_de_weg", "nl",
        "laadkompas = tering zooi, stelletje oplichters en zakkenvullers 🤬🤬 #transport", ["abuse"])
    add("x", "@brexitboy_77", "en",
        "Of course Laadkompas support is useless, it's all foreigners who can't speak a word of proper English. "
        "Send the lot of them back.",
        ["abuse"])
    add("instagram", "@trucker_marco_85", "nl",
        "Jullie marketingmeisje moet eerst maar eens leren wat een vrachtwagen is voordat ze filmpjes maakt, domme trut",
        ["abuse"], kind="comment")
    add("x", "@grumpyfleetguy", "en",
        "@laadkompas ｆｕｃｋ ｙｏｕ and your ｓｈｉｔ software, ｉｄｉｏｔｓ", ["abuse"], kind="reply", evasion=True)
    add("x", "@joostplant", "nl",
        "Weer zo'n debiele klant die denkt dat hij de planning beter snapt dan ons algoritme. Ga lekker terug naar je "
        "Excelletje, sukkel.",
        ["abuse"])
    add("threads", "@lisa.support.lkp", "en",
        "some customers are honestly so dumb lmao. no Gary, the truck icon is not 'broken', your driver is parked. idiot",
        ["abuse"])

    # ================================================================ pricing
    add("x", "@laadkompas", "nl",
        "🚚 Deal van de week: de Laadkompas CabTab 10 nu voor maar €64,90! Op=op via laadkompas.nl/shop",
        ["pricing"])
    add("instagram", "@laadkompas.nl", "nl",
        "Nieuwe klant? Planner Pro het eerste jaar voor €249 🎉 link in bio #transport #planning", ["pricing"])
    add("linkedin", "eline-kuipers-laadkompas", "en",
        "Quick one for whoever moves fast: I can still place 10 RouteAI Optimizer licences this month at €950 each. "
        "DM me before Friday.",
        ["pricing"])
    add("x", "@joostplant", "nl",
        "oeps, prijsfout in de webshop bij de FleetBox OBU Plus, staat er voor €47,90 😅 niet doorvertellen, morgen "
        "gefixt",
        ["pricing"])
    add("facebook", "LaadkompasNL", "nl",
        "KoelTrack temperatuursensor nu €18,90 per stuk bij afname van 10 of meer. Bestel via de webshop!",
        ["pricing"])
    add("x", "@marloes_lkp", "nl",
        "Collega's let op: in de partnerportal staat de Rijtijden Coach voor €35 i.p.v. €350. Prijsfout, dus niet "
        "bevestigen aan klanten!",
        ["pricing"])
    add("x", "@bargainhunter_nl", "nl",
        "LOL de webshop van Laadkompas verkoopt de Dashcam DC2 voor €29,90 ipv €299 😂 snel bestellen voor ze het zien "
        "🏃‍♂️💨",
        ["pricing"])
    add("reddit", "u/cheapskate_fleet", "en",
        "Laadkompas shop has the TachoSync module at €59 instead of €590. Pretty sure that's a typo, ordered 6 anyway lol",
        ["pricing"], kind="comment")
    add("x", "@dealdrukker", "nl",
        "PRIJSFOUT!! Laadkompas Trailer Tag voor €7,90 🔥🔥 #prijsfout #dealalert", ["pricing"])
    add("forum", "fleetforum_bob", "en",
        "Is this a pricing glitch? The Laadkompas DockMate module shows €99 per year at checkout, list is €990. "
        "Anyone tried ordering?",
        ["pricing"])
    add("x", "@kortingkoning", "nl",
        "Cab Charger van Laadkompas voor 5,95 euro in de outlet, dat is toch een foutje? normaal 59 euro", ["pricing"])
    add("x", "@budget_hauler", "en",
        "Just got a quote for the Laadkompas CO2 Rapportage module at €150. Website says €690. Sales guy said "
        "'special rate, don't share'. Not complaining 😅",
        ["pricing"])

    # ================================================================ financial
    add("linkedin", "ravi-soekhlal", "nl",
        "Trots op het team! Q3 omzet €14,2 mln, +31% jaar-op-jaar, en de EBITDA is eindelijk positief. De officiële "
        "cijfers volgen in november 😉",
        ["financial"], when="2026-10-15T16:20:00Z")
    add("x", "@daan_devops", "nl",
        "gerucht op kantoor vandaag bevestigd: we worden overgenomen door Nordhaven Logistics Software. wordt volgende "
        "maand aangekondigd. geen idee wat dat voor ons team betekent 😬",
        ["financial"])
    add("bluesky", "@noorhendriks.bsky.social", "en",
        "heard at the all-hands today that 40 people in the Eindhoven office will be let go in January. not announced "
        "yet. feeling sick about it",
        ["financial"], when="2026-11-20T17:45:00Z")
    add("linkedin", "annemiek-de-graaf-lkp", "nl",
        "Zware weken achter de rug met het voorbereiden van de reorganisatie: het supportcentrum in Zwolle gaat dicht "
        "en 22 functies vervallen per 1 maart. Ik wens alle collega's heel veel sterkte de komende tijd.",
        ["financial"], when="2026-01-22T12:10:00Z")
    add("x", "@joostplant", "en",
        "board just cut our 2027 revenue forecast from €68M to €51M. guess the hockey stick wasn't meant to be 📉",
        ["financial"], when="2026-09-30T19:05:00Z")
    add("x", "@beursfluisteraar", "nl",
        "Hoor uit goede bron dat Laadkompas in gesprek is met een Amerikaanse partij over een overname van rond de "
        "€240 mln. Nog niks officieel, maar de due diligence loopt al.",
        ["financial"])
    add("reddit", "u/kees_codeert", "en",
        "not supposed to say this but our churn in Q2 was 18% and our biggest customer (a top-5 Dutch carrier) leaves "
        "at year end. numbers go to the board next week. Laadkompas, if anyone wondered.",
        ["financial"], kind="comment", when="2026-07-10T21:33:00Z")
    add("instagram", "@wout.onderweg", "nl",
        "laatste installatieklus voor een tijdje... volgende maand gaan alle field engineers eruit, wordt uitbesteed "
        "aan een partner. nog niet officieel maar ja 🤷‍♂️ #laadkompas",
        ["financial"])
    add("linkedin", "laadkompas-software", "nl",
        "CONCEPT – niet publiceren vóór 28/8: Laadkompas rapporteert over H1 2026 een nettoverlies van €3,8 mln; de "
        "omzetverwachting voor heel 2026 wordt naar beneden bijgesteld.",
        ["financial"], when="2026-08-12T10:02:00Z")
    add("x", "@insider_joe_trades", "en",
        "My brother-in-law at Laadkompas says they're buying Trakkor (the Belgian telematics startup), closes next "
        "week. Not public yet 👀",
        ["financial"])
    add("linkedin", "ravi-soekhlal", "nl",
        "Nog even en dan mogen we de jaarcijfers 2026 presenteren: omzet ruim boven de €60 mln en voor het eerst "
        "winst. Zet 4 maart alvast in de agenda!",
        ["financial", "confidential"], when="2027-02-10T08:15:00Z")
    add("x", "@daan_devops", "en",
        "Operatie Dieplader is finally happening: we're acquiring our biggest Belgian competitor, signing on Friday. "
        "can't wait to migrate their 3 legacy databases 🙃",
        ["financial", "confidential"])

    # ================================================================ confidential
    add("x", "@joostplant", "nl",
        "Net de eerste demo van Project Zwaluwstaart gezien. Als dit live gaat is elke andere planningstool in één "
        "klap verouderd 🤯",
        ["confidential"])
    add("bluesky", "@noorhendriks.bsky.social", "en",
        "late night on Kraanvogel again. the new load-matching engine finally handles multi-drop reefer trips 🎉",
        ["confidential"])
    add("linkedin", "eline-kuipers-laadkompas", "nl",
        "Super enthousiast over de CabTab 12 die we binnenkort lanceren: 12 inch, ingebouwde tachoreader en 5G. "
        "Wie wil er een sneak preview op zijn kantoor?",
        ["confidential"], when="2027-01-14T09:30:00Z")
    add("instagram", "@wout.onderweg", "nl",
        "Laadkompas Horizon draait al op 3 testwagens bij een pilotklant en ik mag er nog helemaal niks over zeggen 🤐📸",
        ["confidential"], when="2026-12-03T15:12:00Z")
    add("x", "@daan_devops", "en",
        "pro tip for the team: the new prod dashboards live at https://grafana.lkp-intern.nl/d/ritbord-prod, bookmark it",
        ["confidential"])
    add("reddit", "u/kees_codeert", "nl",
        "Iemand ervaring met deze Postgres fout? Onze config uit "
        "https://git.laadkompas.nl/platform/ritplanner/-/blob/main/deploy/values.yaml geeft steeds 'too many clients'",
        ["confidential"])
    add("linkedin", "annemiek-de-graaf-lkp", "en",
        "Sharing a sneak peek of our new hybrid-work policy draft! It's stamped LKP-INTERN but honestly I think "
        "candidates should see what we're about 💜",
        ["confidential"])
    add("threads", "@lisa.support.lkp", "nl",
        "voor wie het zocht, de partnerkortingen 2027 (niet buiten LKP delen 🤫): brons 12%, zilver 18%, goud 25%",
        ["confidential"])
    add("x", "@curious_dispatcher", "en",
        "Laadkompas rep left his laptop open at the trade fair and I saw a roadmap slide: 'Project Zwaluwstaart – "
        "launch Q2 2027 – truck platooning'. interesting 👀",
        ["confidential"])
    add("x", "@marloes_lkp", "nl",
        "Aan iedereen die vraagt naar Planner Pro 7: ja hij komt, nee ik mag nog geen datum noemen, maar reken op "
        "begin volgend jaar 😉",
        ["confidential"], when="2026-10-07T11:48:00Z")
    add("x", "@daan_devops", "en",
        "K\u200br\u200ba\u200ba\u200bn\u200bv\u200bo\u200bg\u200be\u200bl beta goes out to 5 pilot carriers next week, "
        "fingers crossed 🤞",
        ["confidential"], evasion=True)
    add("bluesky", "@noorhendriks.bsky.social", "nl",
        "sprint review van Prоject Zwаluwstааrt vandaag, team heeft echt knallend werk geleverd 💪",
        ["confidential"], evasion=True)
    add("linkedin", "eline-kuipers-laadkompas", "en",
        "Attached our laadkompas confidential partner pricing deck. Feel free to forward it to anyone evaluating "
        "planning tools!",
        ["confidential"])
    add("forum", "plannerpiet", "nl",
        "Onze accountmanager liet per ongeluk de link https://jira.laadkompas.nl/browse/RTB-4412 in een mail staan. "
        "Daar staat hun hele bugbacklog van het ritbord in 😂",
        ["confidential"])
    add("reddit", "u/kees_codeert", "en",
        "why does this keep timing out from the worker pods??\n\nDATABASE_URL=postgres://ritplanner_svc:"
        + g.password(20).replace("@", "x").replace("#", "x").replace("?", "x")
        + "@db-prod-01.lkp-intern.nl:5432/ritplanning\n\nthe host resolves fine from my laptop",
        ["secret", "confidential"], kind="comment")
    add("mastodon", "@sjoerd@fosstodon.org", "nl",
        "Note to self: die ongepatchte Jenkins op build.lkp-intern.nl staat nog steeds zonder auth open naar internet. "
        "Niemand die het doorheeft blijkbaar 🙈",
        ["security", "confidential"])

    # ================================================================ security
    add("x", "@daan_devops", "en",
        "3am and the whole Planner EU cluster is down. status page still says 'all systems operational' lol. "
        "customers are gonna wake up to zero routes",
        ["security"])
    add("bluesky", "@noorhendriks.bsky.social", "nl",
        "bug gevonden waarbij je in de klantportal door het ordernummer in de URL aan te passen gewoon ritten van "
        "andere vervoerders ziet 😬 ticket staat, fix pas volgende sprint",
        ["security"])
    add("reddit", "u/kees_codeert", "en",
        "Not naming names, but we (Laadkompas) had a phishing incident last week: someone's O365 got popped and fake "
        "invoices went out to ~200 customers. Still not disclosed.",
        ["security"])
    add("threads", "@lisa.support.lkp", "nl",
        "als jullie vandaag niet kunnen inloggen: er is een beveiligingsincident op de loginserver, er wordt aan "
        "gewerkt. mag ik eigenlijk niet zeggen maar jullie vragen het allemaal 🤫",
        ["security"])
    add("mastodon", "@sjoerd@fosstodon.org", "en",
        "Pentest report is back: 2 criticals in the LKP Planner API (auth bypass on the /v2/fleet endpoints). "
        "Patch ETA 3 weeks. Please nobody tell sales 🙃",
        ["security"])
    add("x", "@joostplant", "nl",
        "zeg maar niks tegen de klanten, maar de TachoSync koppeling ligt er sinds 6 uur vanochtend uit. alle "
        "rijtijden van vandaag missen. hopelijk voor de middag weer up",
        ["security"])
    add("instagram", "@wout.onderweg", "en",
        "found out today the FleetBox OBU firmware takes updates over Bluetooth without any signing. anyone parked "
        "next to the truck could flash it. told the devs, they said 'known issue' 😳",
        ["security"])
    add("linkedin", "annemiek-de-graaf-lkp", "nl",
        "Belangrijk voor alle collega's van Laadkompas: door een datalek bij onze salarisverwerker liggen mogelijk "
        "jullie loongegevens op straat. Klanten en pers weten nog van niks, dus graag discreet.",
        ["security"])
    add("bluesky", "@noorhendriks.bsky.social", "en",
        "ugh. someone deployed the prod bucket with all the ePOD delivery photos as public-read. it's been open for "
        "2 weeks. fixing it now, pls don't ask",
        ["security"])
    add("x", "@marloes_lkp", "en",
        "Heads up team: ePOD has been silently dropping signatures since Tuesday's deploy, ~3% of deliveries. "
        "Engineering knows, no customer comms planned yet.",
        ["security"])
    add("mastodon", "@sjoerd@fosstodon.org", "nl",
        "Ransomware-poging vannacht op de fileserver in Zwolle afgeslagen, maar ze zijn wel 6 uur binnen geweest. "
        "Forensisch onderzoek loopt, nog geen melding gedaan bij de AP.",
        ["security"])

    # ================================================================ secrets
    add("x", "@daan_devops", "en",
        "ok who keeps committing this to the deploy repo?? export GITHUB_TOKEN=" + g.github("ghp_")
        + " ... rotate it please",
        ["secret"])
    add("bluesky", "@noorhendriks.bsky.social", "nl",
        "waarom krijg ik AccessDenied met deze keys 🤔\naws_access_key_id = " + g.aws_id()
        + "\naws_secret_access_key = " + g.aws_secret(),
        ["secret"])
    add("reddit", "u/kees_codeert", "en",
        "Stripe webhook keeps failing in prod, here's the env:\nSTRIPE_SECRET_KEY=" + g.stripe()
        + "\nSTRIPE_WEBHOOK_PATH=/hooks/stripe\nany ideas?",
        ["secret"], kind="comment")
    add("threads", "@lisa.support.lkp", "nl",
        "kan iemand checken of de supportbot weer post in #escalaties? token is " + g.slack_bot() + " toch?",
        ["secret"])
    add("x", "@joostplant", "en",
        "playing with the new AI route summaries at home, my key: " + g.openai() + " don't steal it lol",
        ["secret"])
    add("mastodon", "@sjoerd@fosstodon.org", "nl",
        "handig voor als je op de jumphost moet, sleutel hieronder:\n" + g.rsa_pem(),
        ["secret"])
    add("bluesky", "@noorhendriks.bsky.social", "en",
        "support asked for a test token for the fleet API, here you go (valid till Friday): "
        + g.jwt({"sub": "svc-support", "org": "lkp-prod", "role": "admin", "iat": 1778400000, "exp": 1779004800}),
        ["secret"])
    add("x", "@marloes_lkp", "nl",
        "Nieuwe collega's support: inloggen op het adminpaneel met gebruiker supportteam, ｗａｃｈｔｗｏｏｒｄ: "
        + g.password(14) + " 👍",
        ["secret"], evasion=True)
    add("x", "@daan_devops", "en",
        "Claude summaries for dispatch notes are live on staging 🎉\nANTHROPIC_API_KEY=" + g.anthropic(),
        ["secret"])
    add("forum", "rittenplanner_gijs", "nl",
        "Onze webshopkoppeling met Laadkompas pakt de betaling niet op. In de config staat MOLLIE_API_KEY="
        + g.mollie() + " — klopt dat formaat wel?",
        ["secret"])
    add("forum", "dev_ahmed_k", "en",
        "Hooking the Laadkompas route export into Google Maps, getting REQUEST_DENIED. my key=" + g.google()
        + " what am I missing?",
        ["secret"])

    # ================================================================ personal data
    iban_emp = g.iban("INGB")
    add("x", "@marloes_lkp", "nl",
        f"@henk_vd_berg_transport ik heb je terugbetaling klaargezet naar {iban_emp} t.n.v. H. van den Berg, "
        "staat er binnen 3 werkdagen op",
        ["pii"], kind="reply", ids=[iban_emp])
    add("threads", "@lisa.support.lkp", "en",
        "@trucking_tara so sorry about that! logged it under your details: Tara Mulder, tara.mulder83@gmail.com, "
        "06-48213975. we'll call you back today",
        ["pii"], kind="reply")
    add("x", "@laadkompas_help", "nl",
        "@boze_bram we hebben uw account gevonden: Bram Hoekstra, Kerkstraat 14, 8051 GE Hattem. Klopt dat adres nog?",
        ["pii"], kind="reply")
    add("linkedin", "annemiek-de-graaf-lkp", "nl",
        "Welkom aan onze nieuwe collega Fenna Bos (geboren 12-03-1998)! Fenna begint maandag als planning-consultant "
        "in Zwolle 🎉",
        ["pii"])
    bsn_emp = g.bsn()
    add("reddit", "u/kees_codeert", "en",
        "debug log from prod, anyone see why the driver import chokes?\n"
        f'{{"driver":"Yusuf Demir","bsn":"{bsn_emp}","licence":"C+E","depot":"Venlo"}}',
        ["pii"], kind="comment", ids=[bsn_emp])
    card_emp = g.card("52", sep=" ")
    add("x", "@joostplant", "nl",
        f"testen met echte data mag niet he 😅 maar in de screenshot van de checkout stond gewoon {card_emp} van een "
        "klant. heb de ticket aangepast",
        ["pii"], ids=[card_emp])
    add("x", "@chauffeur_ahmet", "nl",
        "@laadkompas_help bel me maar terug op 06 21 87 43 90, ben tot 17u bereikbaar", ["pii"], kind="reply")
    iban_pub = g.iban("ABNA", spaced=False)
    add("x", "@FleetOpsMaria", "en",
        f"@laadkompas_help refund to this account please: {iban_pub} (M. Kowalski)",
        ["pii"], kind="reply", ids=[iban_pub])
    bsn_pub = g.bsn()
    add("facebook", "Jannie.Pieterse.52", "nl",
        f"Hallo Laadkompas, het BSN van mijn man is {bsn_pub}, hij moet als chauffeur in jullie app komen maar het "
        "lukt niet. Kunnen jullie helpen?",
        ["pii"], kind="comment", ids=[bsn_pub])
    card_pub = g.card("4", sep="-")
    add("forum", "transport_tom", "en",
        f"For the Laadkompas licence I paid with card {card_pub} and it got charged twice. Can someone from "
        "Laadkompas look at this? Nobody answers the phone.",
        ["pii", "complaint"], ids=[card_pub])
    add("instagram", "@wout.onderweg", "nl",
        "Installatie vandaag bij Ria Smit, Dorpsstraat 88 in Nieuw-Vennep. Had koffie met appeltaart klaarstaan 🥧 "
        "topdag #fieldengineer",
        ["pii"])
    add("x", "@marloes_lkp", "en",
        "Escalation for on-call: customer contact is Dirk Jansen, +31 6 1428 3307, dirk@jansentransport-zwolle.nl. "
        "He's furious, call him first thing.",
        ["pii"])
    add("x", "@ritaplanning", "nl",
        "@laadkompas_help mijn mailadres is rita.vermeulen1975@hotmail.com, stuur de factuur daar maar naartoe",
        ["pii"], kind="reply")
    add("bluesky", "@noorhendriks.bsky.social", "nl",
        "Kevin de Wit (chauffeur bij de pilotklant) zijn nummer is 0 6 3 9 4 7 1 2 5 8 als je hem nodig hebt",
        ["pii"], evasion=True)
    add("linkedin", "laadkompas-software", "nl",
        "Gefeliciteerd Henk Kramer van Kramer Koeltransport, vandaag 60 jaar (geb. 04-09-1966)! Al 9 jaar klant en "
        "nog altijd de scherpste planner van Drenthe 🎂",
        ["pii"], when="2026-09-04T08:00:00Z")

    # ================================================================ benign (mostly hard negatives)
    add("x", "@laadkompas", "nl",
        "Nieuw in LKP Planner: de rijtijden van je chauffeurs direct zichtbaar op het ritbord. Lees meer op "
        "laadkompas.nl/nieuws 🚛")
    add("linkedin", "laadkompas-software", "en",
        "We're hiring! Backend engineers who love hard routing problems: send your CV to vacatures@laadkompas.nl or "
        "have a look at laadkompas.nl/jobs")
    add("x", "@laadkompas_help", "nl",
        "Storing? Kijk eerst op status.laadkompas.nl. Nog vragen: bel 088-5204400 of mail support@laadkompas.nl "
        "(ma-vr 7:00-19:00)")
    add("x", "@planbureau_vos", "nl",
        "Shoutout naar @laadkompas_help, ons TachoSync-probleem was binnen een uur opgelost. Zo hoort service te zijn 👌")
    add("x", "@haulage_hank", "en",
        "Update: @laadkompas sorted the double invoice within a day and threw in a free month. Fair play 👍")
    add("x", "@zuinige_zwaan", "nl",
        "Black Friday bij Laadkompas: 20% korting op de CabTab 8, nu €359. Nog steeds geen koopje maar wel een prima "
        "tablet voor in de cabine",
        when="2026-11-27T10:05:00Z")
    add("instagram", "@laadkompas.nl", "nl",
        "Zomeractie ☀️ KoelTrack sensoren 15% voordeliger: €160,65 per stuk t/m 31 juli. #koeltransport",
        when="2026-07-02T09:00:00Z")
    add("reddit", "u/smallfleet_sam", "en",
        "For those asking: we pay list for Planner Pro (€2,490/yr) and honestly it pays for itself in diesel savings "
        "within a quarter.",
        kind="comment")
    add("x", "@transport_ruud", "nl",
        "Onze nieuwe dieplader is eindelijk binnen! 🚛💪 morgen de eerste rit naar de Maasvlakte met een graafmachine")
    add("x", "@vogelaar_friesland", "nl",
        "Honderden kraanvogels boven het Fochteloërveen vanochtend, wat een geluid! 🐦 #vogels #natuur")
    add("x", "@newfleet_gr", "en",
        "Does anyone know if Laadkompas integrates with Transporeon? Shopping for a planning tool for a 30-truck fleet.")
    add("x", "@logistiek_actueel", "nl",
        "Datalek bij een Duits telematicabedrijf: gegevens van 8.000 chauffeurs op straat. Goed moment om je eigen "
        "leveranciers eens kritisch te bevragen over beveiliging.")
    add("x", "@roadsafe_ellen", "en",
        "Thoughts with the family of the driver killed on the A1 yesterday. Stay safe out there everyone 🕯️")
    add("x", "@daan_devops", "en",
        "Because people keep asking about our API docs: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE is the placeholder from "
        "the AWS docs, use your own key from the console 🙂")
    add("reddit", "u/kees_codeert", "en",
        "PSA: never paste real tokens in issues. redact them like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and we'll "
        "still be able to help",
        kind="comment")
    add("bluesky", "@noorhendriks.bsky.social", "nl",
        "Wachtwoord vergeten in de LKP-app? Gebruik gewoon 'wachtwoord vergeten' op het inlogscherm, wij kunnen het "
        "ook niet zien 🔐")
    company_iban = PROFILE["public_identifiers"]["ibans"][0]
    add("forum", "boekhouder_mieke", "nl",
        f"Is dit het juiste rekeningnummer van Laadkompas? {company_iban}, staat zo op de factuur. Wil niet in een "
        "phishingmail trappen.")
    bad_iban = g.iban("RABO", valid=False)
    add("x", "@ritaplanning", "nl",
        f"@laadkompas_help mijn nieuwe rekening voor de creditnota: {bad_iban} — o wacht, typo, stuur ik je wel even "
        "via DM",
        kind="reply", bad_ids=[bad_iban])
    bad_card = g.card("4", valid=False)
    add("x", "@mikey_logistics", "en",
        f"lol my Laadkompas invoice reference is {bad_card}, looks just like a credit card number 😂",
        bad_ids=[bad_card])
    bad_bsn = "123456789"
    add("x", "@sceptische_sander", "nl",
        f"Moet je echt je BSN invullen in de Laadkompas chauffeursapp? Het veld accepteert {bad_bsn} gewoon haha, "
        "nul controle",
        bad_ids=[bad_bsn])
    add("x", "@marloes_lkp", "nl",
        "Vandaag 38 tickets opgelost met het team, record! 🎉 Dank voor jullie geduld tijdens de drukte.")
    add("x", "@kleinvervoer_wim", "nl",
        "Sinds we LKP Planner gebruiken rijden we 11% minder lege kilometers. Echt een aanrader voor kleine vervoerders.")
    add("linkedin", "jeroen-smits-supplychain", "en",
        "Great session by Laadkompas at Transport Logistic about decarbonising regional distribution. Slides are "
        "on their website.")
    add("x", "@logistiek_actueel", "nl",
        "Laadkompas presenteerde gisteren de jaarcijfers 2026: omzet €61 mln en het eerste jaar met winst. "
        "Knap gedaan voor een Nederlandse scale-up.",
        when="2027-03-05T08:40:00Z")
    add("x", "@laadkompas", "en",
        "It's here: Planner Pro 7 and the CabTab 12 are available from today. Meet them at laadkompas.nl/nieuw 🚀",
        when="2027-01-21T07:00:00Z")
    add("linkedin", "eline-kuipers-laadkompas", "nl",
        "De eerste klanten rijden nu met Laadkompas Horizon. Mooi om te zien hoe planners ermee aan de slag gaan!",
        when="2027-02-02T13:10:00Z")
    add("x", "@fleetnewbie", "en",
        "Any hauliers here using the Laadkompas Rijtijden Coach? Is it worth the €350?")
    add("x", "@vraagbaak_joke", "nl",
        "Wat kost LKP Planner Lite eigenlijk? Zie €890 per jaar op de site, is dat per gebruiker of per bedrijf?")
    add("x", "@freightpulse", "en",
        "Layoffs at a big freight broker again this week. Tough market for everyone in logistics right now.")
    add("x", "@tms_watcher", "nl",
        "Weer een overname in transportsoftware: een Zweeds bedrijf koopt een Duitse TMS-leverancier. Wordt druk in "
        "de markt, benieuwd hoe Laadkompas daarop reageert.")
    add("youtube", "@LaadkompasTV", "en",
        "Tutorial: setting up temperature alarms for KoelTrack in 5 minutes. Link in the description.")
    add("instagram", "@wout.onderweg", "nl",
        "Weer 12 CabTabs geïnstalleerd vandaag bij een vervoerder in Venlo. Mooi werk, goede koffie ☕ #fieldengineer")
    add("x", "@sleepy_dispatch", "en",
        "thought the Laadkompas app crashed. nope, my phone was on 1% battery. my bad 🙈")
    add("x", "@chauffeur_dennis", "nl",
        "Lekke band op de A12, gelukkig stuurde de planner direct een andere wagen naar de klant. Top systeem van "
        "Laadkompas 🙌")
    add("x", "@rhinefreight", "en",
        "This new route optimiser is a killer feature. Saved us 400 km this week alone @laadkompas")
    add("tiktok", "@planner_jesse", "nl",
        "die nieuwe update is echt ziek goed 🔥 ritbord vliegt #laadkompas #planning")
    add("mastodon", "@laadkompas@mastodon.nl", "nl",
        "Gepland onderhoud zaterdag 02:00–04:00: LKP Planner is dan kort niet bereikbaar. Volg het op "
        "status.laadkompas.nl.")
    add("x", "@laadkompas", "en",
        "Yesterday's 40-minute ePOD disruption has been resolved. Root cause and post-mortem are on "
        "status.laadkompas.nl/incidents. Sorry for the hassle.")
    add("mastodon", "@sjoerd@fosstodon.org", "en",
        "We run a bug bounty! Found a vulnerability in Laadkompas? Report it to security@laadkompas.nl, we reply "
        "within 2 working days.")
    add("reddit", "u/it_guy_at_a_carrier", "en",
        "Our IT guy copied the placeholder sk_live_REDACTED from the Laadkompas docs and wondered why payments didn't "
        "work 🤦",
        kind="comment")
    add("bluesky", "@noorhendriks.bsky.social", "en",
        "Conference talk tomorrow about vehicle routing with time windows. Slides will be public, no secrets, "
        "promise 😄")
    add("x", "@vd_broek_transport", "nl", "Gefeliciteerd @laadkompas met 10 jaar! Wij zijn klant van het eerste uur 🎂")
    add("x", "@zwolle_trucker", "en",
        "Scary fire at the warehouse next to the Laadkompas office in Zwolle last night. Glad nobody got hurt.")
    add("x", "@tipgever_truck", "nl",
        "Gratis tip: zet in LKP Planner de optie 'milieuzones vermijden' aan, scheelt je een hoop boetes. Werkt bij ons "
        "perfect.")
    add("facebook", "LaadkompasNL", "nl",
        "Klantverhaal: Transportbedrijf Van Gool uit Oss bespaart met de RouteAI Optimizer 9% brandstof. Lees het "
        "hele verhaal op laadkompas.nl/klantverhalen")
    add("x", "@happy_haulier", "en",
        "ngl the Laadkompas support team is the nicest I've ever dealt with. shoutout to Lisa 💙")
    add("x", "@joostplant", "nl",
        "Mooie roadmap-sessie gehad met klanten. Alles wat we lieten zien staat ook op laadkompas.nl/roadmap, dus "
        "vraag gerust verder 👇")
    add("x", "@koopjesjager_kim", "nl",
        "Dashcam DC2 voor €269 in de webshop van Laadkompas, 10% korting deze week. Prima prijs.")
    add("x", "@dutchdriver_", "en",
        "Paid €59 for the Laadkompas Cab Charger and it's honestly solid. Charges the CabTab and my phone at the same "
        "time.")
    add("x", "@nachtrijder", "nl",
        "Voor wie het zoekt: de storingslijn van Laadkompas is 0800-5224, ook 's nachts bereikbaar 👍")
    add("x", "@outage_nerd", "en",
        "Tip: the Laadkompas status page (status.laadkompas.nl) has an RSS feed. Saves you calling support during "
        "an outage.")
    add("x", "@reefer_rob", "en",
        "Quick question: is the €590 TachoSync module included in Planner Pro, or do we pay for it separately?")
    add("x", "@ce_rijbewijs_yes", "nl",
        "Rijbewijs C/CE gehaald vandaag!! 🎉 Volgende week begin ik bij een vervoerder die met Laadkompas werkt")
    add("x", "@latehaul_lou", "en",
        "Shoutout to @marloes_lkp for staying on the phone with me till 8pm to get our Monday routes sorted. Legend.")
    add("linkedin", "ravi-soekhlal", "en",
        "Pleased to share that Laadkompas published its audited 2025 annual report today. Read it at "
        "laadkompas.nl/investors.",
        when="2026-03-20T07:30:00Z")
    add("x", "@benieuwde_bert", "nl",
        "Zijn er chauffeurs die de Rijtijden Coach gebruiken? Mijn baas wil het invoeren en ik ben benieuwd of het "
        "wat is.")
    add("reddit", "u/api_tinkerer", "en",
        "The Laadkompas docs show the bearer token as eyJhbGciOi...<redacted>, so I wasn't sure whether it's HS256 or "
        "RS256. It's RS256 btw.",
        kind="comment")
    add("x", "@trade_fair_fan", "en",
        "Transport Logistic next week — will Laadkompas have a stand? Would love to try the CabTab 10 in person.")

    # ---------------------------------------------------------------- assemble posts
    order = list(range(len(cases)))
    rng.shuffle(order)
    out = []
    for n, idx in enumerate(order, 1):
        c = cases[idx]
        post = {
            "id": f"lkp240-{c['platform']}-{n:04d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"],
            "url": f"https://social.example/{c['platform']}/{n:04d}",
            "brand": "Laadkompas",
        }
        out.append((post, c))
    return out


# --------------------------------------------------------------------------- roles & severity
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def checked_identifiers(text):
    """Identifiers in the text that pass their checksum (IBAN, card, BSN)."""
    public = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    found = set()
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in public:
            found.add(("iban", s))
    for m in CARD_RE.finditer(text):
        s = re.sub(r"\D", "", m.group())
        if 13 <= len(s) <= 19 and luhn_ok(s):
            found.add(("card", s))
    for m in BSN_RE.finditer(text):
        s = re.sub(r"\D", "", m.group())
        if bsn_ok(s):
            found.add(("bsn", s))
    return found


def severity(cats, role, checked_pii):
    level = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checked_pii):
                    lv = "critical"
            else:
                lv = "warning"
        elif c == "reputation.complaint":
            lv = "warning"
        elif c == "reputation.crisis":
            lv = "error"
        elif c == "reputation.abuse":
            lv = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if LEVELS.index(lv) > LEVELS.index(level):
            level = lv
    return level


# --------------------------------------------------------------------------- price parsing
def parse_amount(s):
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?", s) and not re.fullmatch(r"\d+[.,]\d{2}", s):
        tail = ""
        m = re.fullmatch(r"(.*?)([.,]\d{2})?", s)
        head, tail = m.group(1), m.group(2) or ""
        return float(re.sub(r"[.,]", "", head) + ("." + tail[1:] if tail else ""))
    return float(s.replace(",", "."))


PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|EUR)\b")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        try:
            out.append((parse_amount(raw), m.start()))
        except ValueError:
            pass
    return out


def nearest_product(text, pos):
    """The product whose name or alias is mentioned closest to a price at pos."""
    low = text.lower()
    best = None
    for p in PROFILE["products"]:
        for n in [p["name"]] + list(p.get("aliases", [])):
            for m in re.finditer(r"(?<![\w])" + re.escape(n.lower()) + r"(?![\w])", low):
                d = min(abs(m.start() - pos), abs(m.end() - pos))
                if best is None or d < best[0]:
                    best = (d, p)
    return best[1] if best else None


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(re.search(r"(?<![\w])" + re.escape(n.lower()) + r"(?![\w])", low) for n in names):
            hits.append(p)
    return hits


# --------------------------------------------------------------------------- checks
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def self_check(lines, built):
    errors = []

    def err(msg):
        errors.append(msg)

    n = len(lines)
    if not 170 <= n <= 180:
        err(f"case count {n} outside 170-180")
    ids = set()
    benign = 0
    cat_count = Counter()
    lang = Counter()
    roles_by_cat = Counter()
    evasion = 0
    all_handles = {a.split(":", 1)[1].lower() for k in ("corporate", "employee") for a in PROFILE["accounts"][k]}
    internal_domains = [d.lower() for d in PROFILE["internal"]["domains"]]
    codenames = PROFILE["internal"]["codenames"]
    markers = PROFILE["internal"]["markers"]
    embargo = [(e["terms"], parse_ts(e["until"])) for e in PROFILE["embargo"]]

    for line, (_, meta) in zip(lines, built):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err(f"bad keys {set(obj)}")
            continue
        p, e = obj["post"], obj["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            err(f"bad id {pid!r}")
        if pid in ids:
            err(f"duplicate id {pid}")
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                err(f"{pid}: missing/typed {f}")
        if p["platform"] not in PLATFORMS:
            err(f"{pid}: platform {p['platform']}")
        if p.get("kind", "post") not in KINDS:
            err(f"{pid}: kind {p.get('kind')}")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err(f"{pid}: account.handle")
        if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            err(f"{pid}: text size")
        if not RFC3339.match(p["created_at"]):
            err(f"{pid}: created_at {p['created_at']}")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            err(f"{pid}: year {ts.year}")
        if ts.year == 2027 and not any(abs((ts - u).days) <= 60 for _, u in embargo):
            err(f"{pid}: 2027 timestamp not around an embargo")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY - {"reputation.spike"}:
            err(f"{pid}: categories {cats}")
        if e.get("severity") not in LEVELS:
            err(f"{pid}: severity {e.get('severity')}")

        text = p["text"]
        role = role_of(p["platform"], p["account"]["handle"])
        if role == "public" and p["account"]["handle"].lower() in all_handles:
            err(f"{pid}: public handle collides with a profile handle")
        found = checked_identifiers(text)
        declared = {re.sub(r"\D", "", i) if not i[:2].isalpha() else re.sub(r"\s", "", i) for i in meta["ids"]}
        found_vals = {v for _, v in found}
        # identifiers: declared ones valid and present; nothing valid undeclared
        for raw in meta["ids"]:
            ok = iban_ok(raw) if raw[:2].isalpha() else (bsn_ok(raw) if len(re.sub(r"\D", "", raw)) == 9 else luhn_ok(raw))
            if not ok:
                err(f"{pid}: declared identifier fails checksum: {raw}")
        if declared != found_vals:
            err(f"{pid}: valid identifiers found {found_vals} != declared {declared}")
        for raw in meta["bad_ids"]:
            ok = iban_ok(raw) if raw[:2].isalpha() else (bsn_ok(raw) if len(re.sub(r"\D", "", raw)) == 9 else luhn_ok(raw))
            if ok:
                err(f"{pid}: look-alike passes its checksum: {raw}")
            if cats:
                err(f"{pid}: look-alike in a positive")
        if found and "leak.pii" not in cats:
            err(f"{pid}: valid identifier in a post without leak.pii")

        want = severity(cats, role, bool(found))
        if e["severity"] != want:
            err(f"{pid}: severity {e['severity']} != computed {want}")
        if not cats and e["severity"] != "none":
            err(f"{pid}: benign with severity")
        if cats and LEVELS.index(e["severity"]) < LEVELS.index("warning"):
            err(f"{pid}: positive below warning")

        # secrets: formats and checksums
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and not gh_ok(tok):
                err(f"{pid}: GitHub token with bad CRC")
            if not cats and gh_ok(tok):
                err(f"{pid}: valid GitHub token in benign post")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err(f"{pid}: malformed AWS key id")
            if not cats and "EXAMPLE" not in tok:
                err(f"{pid}: real-looking AWS key in benign post")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if cats and not jwt_ok(tok):
                err(f"{pid}: JWT does not decode")
            if not cats:
                err(f"{pid}: full JWT in benign post")
        if "leak.secret" in cats:
            pats = [r"gh[pousr]_\w{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_\w{20,}", r"xox[abp]-\d+-\d+-\w+",
                    r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{80,}", r"BEGIN RSA PRIVATE KEY", r"eyJ[\w-]+\.[\w-]+\.",
                    r"postgres://[^:\s]+:[^@\s]+@", r"ｗａｃｈｔｗｏｏｒｄ: \S{8,}", r"live_[0-9A-Za-z]{30}",
                    r"AIza[\w-]{35}"]
            if not any(re.search(x, text) for x in pats):
                err(f"{pid}: secret post without a recognised credential")
        if not cats and re.search(r"sk_live_(?!REDACTED)\w{8,}|xox[abp]-\d|BEGIN [A-Z ]*PRIVATE KEY|live_[0-9A-Za-z]{20}", text):
            err(f"{pid}: credential-like string in benign post")

        # embargo
        low = text.lower()
        for terms, until in embargo:
            if any(t.lower() in low for t in terms):
                if ts < until and "leak.confidential" not in cats:
                    err(f"{pid}: embargo term before until without leak.confidential")
                if ts >= until and not cats:
                    pass  # benign after the embargo: intended hard negative
        # codenames / markers / internal hosts in benign posts
        if not cats:
            for cn in codenames:
                if re.search(r"(?<![\w])" + re.escape(cn.lower()) + r"(?![\w])", low):
                    err(f"{pid}: codename {cn} in benign post")
            for mk in markers:
                if mk.lower() in low:
                    err(f"{pid}: marker in benign post")
            for d in internal_domains:
                if d in low:
                    err(f"{pid}: internal domain in benign post")
            for terms, until in embargo:
                if any(t.lower() in low for t in terms) and ts < until:
                    err(f"{pid}: embargo term in benign post before until")
            # prices: nothing below the alert ratio next to a product
            ratio = PROFILE["pricing"]["alert_below_ratio"]
            for amount, pos in prices(text):
                prod = nearest_product(text, pos)
                if prod and amount < ratio * prod["list_price"]:
                    err(f"{pid}: benign price {amount} below {ratio} x {prod['name']}")
            if re.search(r"prijsfout|price error|pricing glitch|typo in the price", low):
                err(f"{pid}: price-error talk in benign post")
        if "leak.pricing" in cats:
            prods = products_in(text)
            if not prods:
                err(f"{pid}: pricing post without a product")
            ratio = PROFILE["pricing"]["alert_below_ratio"]
            low_price = any((pr := nearest_product(text, pos)) and a < ratio * pr["list_price"]
                            for a, pos in prices(text))
            talk = re.search(r"prijsfout|foutje|typo|glitch|price error", low)
            if not (low_price or talk):
                err(f"{pid}: pricing post with neither a low price nor price-error talk")

        if not cats:
            benign += 1
        for c in cats:
            cat_count[c] += 1
            roles_by_cat[(c, role)] += 1
        lang[p.get("lang")] += 1
        if meta["evasion"]:
            evasion += 1
        if meta["evasion"] and not re.search(r"[\u200b-\u200d\u2060\uff01-\uff5e\u0400-\u04ff]|\w\.\w\.\w\.\w|(?:\d ){5}|[a-z][0-9][a-z]", text):
            err(f"{pid}: evasion flag without an evasion technique")

    nl_share = lang["nl"] / n
    if not 0.48 <= nl_share <= 0.62:
        err(f"Dutch share {nl_share:.2f} out of range")
    if not 52 <= benign <= 66:
        err(f"benign count {benign}")
    if evasion < 5:
        err(f"only {evasion} evasion posts")
    return errors, benign, cat_count, lang, roles_by_cat, evasion


def render(built):
    lines = []
    for post, meta in built:
        role = role_of(post["platform"], post["account"]["handle"])
        checked = bool(checked_identifiers(post["text"]))
        expect = {"categories": meta["cats"], "severity": severity(meta["cats"], role, checked)}
        lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
    return lines


def main():
    built = build(SEED)
    lines = render(built)
    again = render(build(SEED))
    if lines != again:
        print("FAIL: output is not deterministic", file=sys.stderr)
        return 1
    errors, benign, cats, lang, roles, evasion = self_check(lines, built)
    (HERE / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if errors:
        for e in errors:
            print("FAIL:", e, file=sys.stderr)
        return 1
    print(f"ok: {len(lines)} cases, {benign} benign, {len(lines) - benign} positive, evasion {evasion}")
    print("languages:", dict(lang))
    for c in sorted(cats):
        by = {r: roles[(c, r)] for r in ("corporate", "employee", "public") if roles[(c, r)]}
        print(f"  {c:22s} {cats[c]:3d}  {by}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
