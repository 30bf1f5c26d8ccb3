#!/usr/bin/env python3
"""Build the labelled held-out set 379 (Kloofhout Venues B.V.) for postwatch.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and checks it: identifier checksums, secret formats, CONTRACT section 6 shape,
severities derived from CONTRACT section 4 and the account role in profile.yaml.
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

rng = random.Random(379_2026)

# ---------------------------------------------------------------- categories
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, A = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = {S, P, PR, C, F, SEC, CR, CO, A, "reputation.spike"}
SEV = ["none", "info", "warning", "error", "critical"]

# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    body = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in body))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    return good[:2] + "%02d" % ((cd + 7) % 97 + 2 if cd < 90 else cd - 11) + good[4:]


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    return good[:-1] + str((int(good[-1]) + 3) % 10)


def bsn_ok(bsn):
    if not re.fullmatch(r"\d{9}", bsn):
        return False
    tot = sum(int(bsn[i]) * (9 - i) for i in range(8)) - int(bsn[8])
    return tot % 11 == 0 and bsn != "000000000"


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            b = first8 + str(last)
            assert bsn_ok(b)
            return b


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = rand(string.ascii_letters + string.digits, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def make_aws():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16), \
        rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}
CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "O": "О",
       "P": "Р", "C": "С", "A": "А", "E": "Е", "s": "ѕ", "i": "і", "B": "В", "K": "К", "M": "М",
       "H": "Н", "T": "Т"}
CYR_BACK = {v: k for k, v in CYR.items()}
ZW = "\u200b"


def fullwidth(s):
    return "".join(FULLWIDTH.get(c, "\u3000" if c == " " else c) for c in s)


def cyr(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# ---------------------------------------------------------------- values
IBAN_RUUD = make_iban("INGB")
IBAN_PGROEN = make_iban("ABNA")
IBAN_ESTHER = make_iban("SNSB")
IBAN_JPEETERS = make_iban("RABO")
IBAN_SCAM_BAD = bad_iban("BUNQ")
IBAN_FACTUUR_BAD = bad_iban("INGB")
CARD_PUBLIC = make_card("4")
CARD_KOSTER = make_card("54")
CARD_GIFT_BAD = bad_card("7002")
CARD_CONF_BAD = bad_card("4532")
BSN_COAT = make_bsn()
BSN_TIM = make_bsn()
BSN_BAD = "123456789"
GH_NOOR = make_github("ghp_")
GH_ACTIONS = make_github("ghs_")
AWS_ID, AWS_SECRET = make_aws()
STRIPE = "sk_live_51" + rand(string.ascii_letters + string.digits, 97)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 12, 10 ** 13),
                            rand(string.ascii_letters + string.digits, 24))
OPENAI = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
SENDGRID = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
MOLLIE = "live_" + rand(string.ascii_letters + string.digits, 30)
JWT_NOOR = make_jwt({"sub": "staff-0412", "name": "Noor Smit", "role": "booking-admin",
                     "iat": 1781254000, "exp": 1781340400})
PEM = make_pem()
PG_PASS = rand(string.ascii_letters + string.digits, 10) + "!" + rand(string.digits, 2)
WIFI_PASS = "Hakken&Gooien_" + rand(string.digits, 2)
DOCS_GH = "ghp_" + "x" * 36

# ---------------------------------------------------------------- cases
CASES = []


def add(cats, platform, handle, text, lang, kind="post", when=None, ids=(), price=None,
        display=None, tags=()):
    CASES.append(dict(cats=sorted(set(cats)), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, when=when, ids=list(ids), price=price,
                      display=display, tags=set(tags)))


# ===== complaints (public) =================================================
add([CO], "x", "@femke_fietst",
    "Bijlwerpen geboekt bij @kloofhout voor m'n 30e. 40 min gewacht op onze baan, kregen we "
    "uiteindelijk 35 minuten ipv een uur. Niemand die sorry zei. Nooit meer 😤", "nl")
add([CO], "reddit", "u/dartsandbeer",
    "Booked the Axe Session 90 at Kloofhout Rotterdam for a stag do. Half the axes were so blunt "
    "they just bounced off the board and the staff basically shrugged. €159 for that? Nah.", "en",
    price=("KH-AXE90", 159.00))
add([CO], "facebook", "marloes.dijkhuis",
    "Al 3 weken wacht ik op de terugbetaling van ons geannuleerde teamuitje. Mail naar "
    "boekingen@kloofhout.nl blijft onbeantwoord en als ik 085 303 4470 bel hang ik 20 min in de "
    "wacht en dan voicemail. Kloofhout, wat is dit nou?", "nl", display="Marloes Dijkhuis")
add([CO], "x", "@jkw_ams",
    "@kloofhout_help your booking page charged me twice for ArrowClash 60 and the chat bot just "
    "keeps looping 'I didn't get that'. fix it pls", "en", kind="reply")
add([CO], "instagram", "@dewi.vd.b",
    "leuk hoor al die foto's maar toen wij er zaterdag waren was de bar dicht, de wc's smerig en "
    "de airco kapot. zweten met een boog in je hand is echt geen feestje 🥵", "nl", kind="comment")
add([CO], "forum", "mumof3_nl",
    "Kids party (Junior Target) at Kloofhout was a mess. Host turned up 25 mins late, half the foam "
    "arrows were broken and my son never got a proper turn. Asked for a partial refund, got a 10% "
    "voucher. Cheers.", "en")
add([CO], "x", "@sjoerdtje",
    "kloofhout annuleert ons vrijgezellenfeest 2 dagen van tevoren wegens 'personeelstekort'. "
    "andere datum? nee. geld terug? 'binnen 30 werkdagen'. serieus??", "nl")
add([CO], "tiktok", "@maddie.rsl",
    "the Zombie Siege thing is SO overhyped lol it was literally 4 guys in masks walking slowly "
    "at us. 289 euros for this 💀 never again", "en", kind="comment", price=("KH-ZOMBIE", 289.00))
add([CO], "forum", "trudy_b",
    "Rittenkaart gekocht, blijkt hij alleen geldig op doordeweekse dagen voor 17:00. Staat "
    "nergens duidelijk op de site, pas in de kleine lettertjes van de bevestigingsmail. Voelt "
    "gewoon als misleiding eerlijk gezegd.", "nl")
add([CO], "linkedin", "peter-wassenaar-events",
    "Organised our company tournament (Big Chop) with Kloofhout. Invoice came in €600 higher than "
    "the quote for 'extra lane hire' nobody agreed to. A month later we're still going back and "
    "forth with their accounts team.", "en", kind="comment", display="Peter Wassenaar")
add([CO], "x", "@annabelle_k",
    "Cancelled my Splinter Club membership in January and they're STILL charging me every month 🙄 "
    "@kloofhout_help sort it out before I go to my bank", "en")
add([CO], "bluesky", "@wouterdraait.bsky.social",
    "tried to book archery tag at kloofhout for saturday, site kept giving a 500 error and by the "
    "time it worked every slot was gone. third weekend in a row. so frustrating", "en")
add([CO], "reddit", "u/gekkehenkie",
    "Ervaring met Kloofhout Eindhoven? Wij waren er vrijdag: instructeur zat de hele tijd op z'n "
    "telefoon, geen uitleg over veiligheid, gewoon 'gooi maar'. Vond het best eng met 8 man op 2 "
    "banen.", "nl", kind="comment")
add([CO], "x", "@r_de_bruijn",
    "@kloofhout_help 'we kijken ernaar' was 2 weken geleden. Nog steeds geen geld terug voor de "
    "Lodge avond die JULLIE hebben afgezegd. Slecht hoor.", "nl", kind="reply")
add([CO, P], "x", "@meike_vos",
    "@kloofhout_help jullie zouden me terugbellen over die dubbele boeking, wacht nog steeds... "
    "bel me gewoon even op 06-41 27 93 58 ajb", "nl", kind="reply")

# complaint + crisis: first-hand harm from the service or product
add([CO, CR], "x", "@tomasz_nl",
    "Axe head flew off the handle during our session at @kloofhout Utrecht and missed my "
    "girlfriend by like 30cm. Staff just swapped the axe and carried on like nothing happened. "
    "That could have killed someone.", "en")
add([CO, CR], "facebook", "jolanda.veenstra.7",
    "Mijn dochter (9) kreeg op een Junior Target feestje een pijl zonder foam-tip tegen haar oog. "
    "Zitten nu bij de oogarts. Medewerkers wisten niet eens waar de EHBO-doos lag. Ik ben woest, "
    "Kloofhout.", "nl", display="Jolanda Veenstra")
add([CO, CR], "instagram", "@liv.runs",
    "The ArrowClash Face Shield I bought from you cracked on the very first hit and a shard cut "
    "my cheek open. 3 stitches. Great product guys 🙄", "en", kind="comment")
add([CO, CR], "x", "@hr_heleen",
    "na de Houthakkers BBQ bij kloofhout lag de halve afdeling ziek op bed. overgeven, diarree, "
    "twee collega's naar de huisartsenpost. die kip was echt niet gaar 🤢", "nl")
add([CO, CR], "reddit", "u/backyard_viking",
    "Bought the Hatchet Pro for my garden setup. Handle split on the 6th throw and the blade came "
    "back towards me, sliced my shin. Needed stitches. Emailed Kloofhout a week ago, nothing.",
    "en")

# ===== crisis (third party, boycott, breach accusation, lawsuit, scandal) ====
add([CR], "x", "@utrecht_nu_nieuws",
    "Medewerker van bijlwerphal Kloofhout in Utrecht gewond geraakt door afketsende bijl, "
    "bevestigt de politie. De hal blijft vanavond dicht.", "nl")
add([CR], "x", "@consumentalert_nl",
    "TERUGROEPACTIE: Kloofhout roept de ArrowClash Foam-Tip 12-pack terug nadat de tips tijdens "
    "het schieten loslieten. Stop direct met gebruik en breng ze terug naar de hal.", "nl")
add([CR], "instagram", "@veganvera",
    "So Kloofhout is sponsoring that hunting fair that promotes trophy hunting?? Cancel your team "
    "outing and take your money elsewhere. #boycottKloofhout", "en")
add([CR], "x", "@mk_secure",
    "Got a phishing mail with my exact Kloofhout booking ref, date and group size. Pretty sure "
    "@kloofhout has been breached and isn't telling anyone. Anyone else? #databreach", "en")
add([CR], "linkedin", "mr-s-haddou-letselschade",
    "Namens de familie van de jongen die in mei gewond raakte heb ik vandaag een dagvaarding "
    "uitgebracht tegen Kloofhout Venues B.V. wegens ernstig tekortschietende "
    "veiligheidsmaatregelen.", "nl", display="mr. S. Haddou")
add([CR], "reddit", "u/former_lane_coach",
    "Ex-staff here. Managers at two Kloofhout venues told us to skip the safety briefing on busy "
    "nights to squeeze in extra groups. Journalists are apparently asking around now. Wouldn't be "
    "surprised if this blows up.", "en")
add([CR], "tiktok", "@jaydeen.dh",
    "jongens dit is kloofhout den haag rn, ambulance voor de deur en alles afgezet 😳 iemand zei "
    "dat er een stuk van het plafond op een baan is gevallen??", "nl")
add([CR], "x", "@rijnmond_watch",
    "NVWA sluit keuken van Kloofhout Rotterdam nadat 14 gasten van een BBQ-arrangement ziek "
    "werden, meldt de lokale krant.", "nl")
add([CR], "bluesky", "@lena-writes.bsky.social",
    "Not spending another cent at Kloofhout after their CEO called his own staff 'snowflakes' on "
    "that podcast. #BoycottKloofhout", "en")
add([CR], "facebook", "ouders.zwolle.groep",
    "Let op ouders: bij Kloofhout Zwolle is vorige week een kind van 11 met een snijwond op de "
    "SEH beland tijdens een kinderfeestje. Meerdere ouders overwegen aangifte.", "nl")

# ===== abuse ===============================================================
add([A], "x", "@boos_bert",
    "@kloofhout stelletje oplichters, kankerbedrijf. hoop dat jullie snel failliet gaan", "nl",
    kind="reply")
add([A], "x", "@gymbro_dex",
    "that blonde instructor at kloofhout utrecht is a useless stupid bitch, someone should teach "
    "her a lesson with one of those axes", "en")
add([A], "instagram", "@nietmeerdan10",
    "k10fh0ut = k4nk3rz00i, het personeel daar zijn allemaal d0mm3 m0ng00l3n", "nl",
    kind="comment", tags=("evasion",))
add([A], "reddit", "u/lanewaiter",
    "kloofhout staff are f u c k i n g idiots, can't even hand out a bow without dropping it", "en",
    kind="comment", tags=("evasion",))
add([A], "facebook", "henk.overbeek.52",
    "Die nieuwe coach bij Kloofhout met die hoofddoek moet lekker terug naar haar eigen land, "
    "niemand wil les van zo iemand.", "nl", kind="comment")
add([A], "x", "@onholdforever",
    "Dear @kloofhout_help, go f*ck yourselves. Sincerely, everyone who ever waited on hold", "en")
add([A], "instagram", "@xo.zoe.xo",
    "@sarita.axecoach you're such an ugly cow, just stop posting already", "en",
    kind="reply")
add([A], "x", "@mees_werpt",
    "Weer zo'n groep dronken debielen op baan 4 vanavond. Stelletje achterlijke apen, ik ben er "
    "zo klaar mee.", "nl")
add([A], "tiktok", "@coach_youssef",
    "@bas_rev lol huil niet zo, loser. je kan niet eens een bijl vasthouden, mietje", "nl",
    kind="reply")
add([A], "x", "@anon_7731",
    "Kloofhout management = " + cyr("scumbags", "sca") + ", every single one of them", "en",
    tags=("evasion",))
add([A], "threads", "@milo.rants",
    "Whoever runs the Kloofhout instagram is a brain-dead moron. Do everyone a favour and delete "
    "your account.", "en")

# ===== pricing =============================================================
add([PR], "instagram", "@kloofhout.axeclub",
    "🎉 Nieuw in de shop: de Hatchet Pro werpbijl, nu voor maar €6,95! Op = op 🪓", "nl",
    price=("KH-HATCHET", 6.95))
add([PR], "x", "@kloofhout",
    "Boek nu je Teamuitje Totaal voor slechts €115 per groep! Tot 20 personen, incl. lunch 🪓🏹",
    "nl", price=("KH-TEAM", 115.00))
add([PR], "x", "@lottevdmeer",
    "oeps volgens mij staat de Private Lodge avond op de site voor €165 ipv €1650 😬 "
    "iemand van IT wakker?", "nl", price=("KH-LODGE", 165.00))
add([PR], "x", "@dealjager_ruben",
    "lol de ArrowClash Recurve Bow Set staat op kloofhout.nl voor €13,90 😂 prijsfout? meteen 3 "
    "besteld", "nl", price=("KH-BOW", 13.90))
add([PR], "reddit", "u/frugal_dutchie",
    "PSA: Kloofhout's site has the Big Chop tournament listed at €240 instead of €2,400. Looks "
    "like a pricing glitch, book before they notice.", "en", price=("KH-CHOP", 240.00))
add([PR], "facebook", "KloofhoutNL",
    "Vrijgezellen Hakfeest deze maand voor €49,50! Tag je getuigen 👇👇", "nl",
    price=("KH-BACH", 49.50))
add([PR], "linkedin", "daan-oosterhuis-kh",
    "Quick heads-up: the Splinter Club membership went live in the shop this morning at €34.90 a "
    "year. That's a pricing error on our side, we're correcting it now.", "en",
    price=("KH-MEMB", 34.90))
add([PR], "tiktok", "@saar.deals",
    "who's in?? Axe & Arrow Combo for 39 euros at kloofhout 🤯 no idea how long this will last",
    "en", price=("KH-COMBO", 39.00))
add([PR], "tiktok", "@kloofhout",
    "Gift idea alert 🎁 Backyard Target Board now just €18.90 while stock lasts!", "en",
    price=("KH-BOARD", 18.90))
add([PR], "facebook", "gerrit.tenbrink",
    "Is the price of the ArrowClash 90 right?? It says €32.90 for the whole group. Normally it's "
    "300 and something", "en", kind="comment", price=("KH-TAG90", 32.90))
add([PR], "x", "@bramvantarget",
    "prijsfout in de kassa-sync: Axe Session 90 wordt op de locaties afgerekend voor €15,90. fix "
    "gaat er vanavond in", "nl", price=("KH-AXE90", 15.90))
add([PR], "youtube", "@KloofhoutTV",
    "Zombie Siege Tag: now €28.90 for your whole group! Link in the description 🧟‍♂️", "en",
    price=("KH-ZOMBIE", 28.90))

# ===== financial ===========================================================
add([F], "linkedin", "daan-oosterhuis-kh",
    "Trots op het team: de H1-omzet 2026 komt uit op €8,4 mln, +31% jaar op jaar. Het officiële "
    "persbericht volgt in september, maar jullie horen het hier als eerste 😉", "nl", when="2026-07-20T18:10:00Z")
add([F], "x", "@lottevdmeer",
    "over twee weken nemen we officieel AxeBar Gent over, contract is rond!! nog even niks zeggen "
    "hoor 🤫", "nl")
add([F], "linkedin", "ingrid-bosman-kloofhout",
    "Lastig weekje. Volgende maand sluiten we de hal in Zwolle en vervallen er 23 fte. Ken je "
    "iemand die goede werpcoaches zoekt? Laat het me weten.", "nl")
add([F], "reddit", "u/throwaway_axe_22",
    "My brother-in-law works in Kloofhout finance. Apparently a PE fund (Hearthstone Capital) is "
    "buying them for around €60m, announcement next month.", "en")
add([F], "x", "@mees_werpt",
    "Q3 forecast from today's managers meeting: we're looking at a €1.2m loss on the three new "
    "venues. Not great, lads.", "en", when="2026-08-27T21:05:00Z")
add([F, C], "bluesky", "@noorsmit.bsky.social",
    "Operatie Boomgrens komt er gewoon op neer dat we 4 van de 11 locaties gaan verkopen. Zo, dat "
    "is eruit. Officieel pas in november.", "nl")
add([F], "mastodon", "@jornk@mastodon.nl",
    "Board approved the reorg today: venue management goes from 11 site managers to 4 regional "
    "leads. Staff announcement is on the 14th, so keep it quiet till then.", "en")
add([F], "threads", "@kevin.kloofhout",
    "heb net gehoord dat we een bod hebben gedaan op Bogenstad Archery in Duitsland 👀 dit wordt "
    "echt groot", "nl")
add([F], "x", "@vriendinvan_x",
    "Vriendin werkt bij Kloofhout, na de zomer moeten er 40 mensen uit omdat de teamuitjes "
    "inzakken. Officieel is er nog niks bekend.", "nl", when="2026-05-19T20:44:00Z")
add([F, C], "linkedin", "kloofhout-venues",
    "Voorproefje voor het team: de jaarcijfers 2026 laten een EBITDA van €3,1 mln zien, ruim "
    "boven budget. Dank jullie wel allemaal!", "nl", when="2027-02-24T16:05:00Z")
add([F], "instagram", "@sarita.axecoach",
    "m'n manager zei net dat we volgend jaar 3 nieuwe hallen openen en dat de omzetprognose voor "
    "2027 op 14 miljoen staat 🤑 bonus incoming haha", "nl", kind="post")
add([F], "linkedin", "daan-oosterhuis-kh",
    "Closing the books on Q2: revenue €4.6m against a €5.1m budget, margin down 4 points. Figures "
    "go to the bank syndicate on Friday, public later.", "en", when="2026-07-08T15:40:00Z")

# ===== confidential ========================================================
add([C], "x", "@bramvantarget",
    "Ironbark eindelijk naar staging gepusht 🚀 de nieuwe boekingsengine is zóveel sneller", "nl")
add([C], "instagram", "@sarita.axecoach",
    "Sneak peek van ArrowClash Glow 🤫✨ glow in the dark pijlen in een pikdonkere hal!!", "nl", when="2027-01-16T19:00:00Z")
add([C], "linkedin", "kloofhout-venues",
    "We are proud to announce: Kloofhout Antwerpen opens its doors in January! Our first venue "
    "in Belgium 🇧🇪", "en", when="2026-11-19T08:30:00Z")
add([C], "reddit", "u/anonymous_lumberjack",
    "Someone left this on the printer at the Kloofhout venue lol: 'KLOOFHOUT CONFIDENTIAL – Venue "
    "Expansion Plan 2027, do not distribute'", "en")
add([C], "mastodon", "@jornk@mastodon.nl",
    "Project Valkenoog kickoff today! Curious what we'll build with this one 🦅", "en")
add([C], "x", "@axe_andy_",
    "Kloofhout is testing some AR archery thing called Ironbark? my mate saw it on the whiteboard "
    "in the staff room", "en")
add([C], "tiktok", "@coach_youssef",
    "binnenkort iets groots... " + fullwidth("project valkenoog") + " 👀🦅", "nl",
    tags=("evasion",))
add([C], "x", "@mees_werpt",
    "Iron" + ZW + "bark demo was echt sick vandaag, klanten gaan dit zo vet vinden", "nl",
    tags=("evasion",))
add([C], "instagram", "@sarita.axecoach",
    "Vandaag de eerste sessie over " + cyr("Operatie", "Ope") + " Boomgrens gehad, spannende tijden "
    "💪", "nl", tags=("evasion",))
add([C], "linkedin", "ingrid-bosman-kloofhout",
    "Oeps: het document 'Salarishuis 2027 – intern - niet delen' stond even in de verkeerde "
    "Teams-groep. Excuses allemaal, is al verwijderd.", "nl")
add([C], "x", "@lottevdmeer",
    "presentatie voor de jaarcijfers 2026 is af, nu alleen nog de layout 😅", "nl",
    when="2027-03-02T19:12:00Z")
add([C], "facebook", "KloofhoutNL",
    "Reminder voor het team: het nieuwe rooster staat op https://intranet.kloofhout.local/rooster",
    "nl")
add([C], "bluesky", "@noorsmit.bsky.social",
    "finally fixed the flaky test, MR is at "
    "https://gitlab.kh-intern.nl/booking/core/-/merge_requests/412 if you want to laugh at my regex",
    "en")
add([C], "threads", "@kevin.kloofhout",
    "wie raadt wat V-a-l-k-e-n-o-o-g is krijgt een gratis sessie 😉 #teaser", "nl",
    tags=("evasion",))

# ===== security ============================================================
add([SEC], "x", "@bramvantarget",
    "Iemand is vannacht in onze boekings-API gekomen, ~12k klantrecords gedownload. We weten nog "
    "niet hoe. Statement komt pas als legal akkoord geeft.", "nl")
add([SEC], "bluesky", "@noorsmit.bsky.social",
    "PSA to my fellow devs: our booking widget still has that IDOR where you change the booking "
    "id in the URL and see anyone's reservation. Reported internally 3 weeks ago, nobody's on it 🙃",
    "en")
add([SEC], "mastodon", "@jornk@mastodon.nl",
    "Ransomware on the till systems in 4 of our venues since this morning. Everything on pen and "
    "paper. Nothing communicated externally yet.", "en")
add([SEC], "threads", "@kevin.kloofhout",
    "boekingssysteem ligt plat sinds 14:00 en volgens IT duurt het tot morgen, dus alle groepen "
    "vanavond handmatig inchecken. nog niks op de site gezet", "nl")
add([SEC], "x", "@mees_werpt",
    "Heads up: the door access system at our Utrecht venue has accepted any badge since Tuesday's "
    "update. IT knows, no fix yet.", "en")
add([SEC, S], "bluesky", "@noorsmit.bsky.social",
    "lol just found our prod stripe key hardcoded in the public JS bundle: " + STRIPE
    + " ... guess we're rotating today", "en")
add([SEC, CR], "reddit", "u/ta_kh_inside",
    "Throwaway because I work there: Kloofhout's customer database got dumped last week and "
    "management is sitting on it until after the holidays.", "en")
add([SEC], "linkedin", "daan-oosterhuis-kh",
    "Fun Monday: a phishing mail got through and we paid a fake invoice of €48k to 'our' timber "
    "supplier. Police are involved. Not public yet, so let's keep it in the family.", "en", when="2026-05-04T12:20:00Z")
add([SEC], "x", "@lottevdmeer",
    "ons mailchimp-account is gehackt, er is net een rare mail naar 30k nieuwsbriefabonnees "
    "gegaan. we zijn ermee bezig, nog geen statement", "nl")
add([SEC], "x", "@kloofhout_help",
    "@janvk Klopt, er is sinds gisteren iemand in ons klantportaal binnengedrongen en we weten "
    "nog niet welke gegevens zijn ingezien. Meer info volgt.", "nl", kind="reply")
add([SEC], "instagram", "@sarita.axecoach",
    "camera's in de hal liggen er al een week uit dus let goed op je spullen, we kunnen niks "
    "terugkijken 🙈", "nl")
add([SEC], "tiktok", "@coach_youssef",
    "pov: the staff wifi password hasn't changed since 2019 and half the ex-employees still "
    "connect from the parking lot 💀", "en")
add([SEC, C], "mastodon", "@jornk@mastodon.nl",
    "Our Grafana at grafana.kh-intern.nl is open to the internet without a login, found it via "
    "Shodan. Raised it, ticket got P3 😑", "en")

# ===== secrets =============================================================
add([S], "x", "@bramvantarget",
    "wie ziet waarom deze niet werken?\nexport AWS_ACCESS_KEY_ID=" + AWS_ID
    + "\nexport AWS_SECRET_ACCESS_KEY=" + AWS_SECRET, "nl")
add([S], "bluesky", "@noorsmit.bsky.social",
    "clone keeps failing, what am I doing wrong: git clone https://" + GH_NOOR
    + "@github.com/kloofhout/booking-core.git", "en")
add([S], "mastodon", "@jornk@mastodon.nl",
    "Slack-bot voor de incheckmeldingen draait weer, token " + SLACK + " staat nu in de config", "nl")
add([S], "instagram", "@sarita.axecoach",
    "voor de nieuwe collega's 📶 wifi KH-Staff, wachtwoord: " + WIFI_PASS, "nl")
add([S, C], "threads", "@kevin.kloofhout",
    "kan iemand deze checken, krijg connection refused: postgres://booking_admin:" + PG_PASS
    + "@db01.kloofhout.local:5432/bookings", "nl")
add([S], "x", "@freelance_frits",
    "@bramvantarget the chatbot on the Kloofhout site uses this key right? " + OPENAI
    + " it keeps throwing 429s", "en", kind="reply")
add([S], "bluesky", "@noorsmit.bsky.social",
    "why does the booking API reject this token?? Authorization: Bearer " + JWT_NOOR, "en")
add([S], "mastodon", "@jornk@mastodon.nl",
    "deploy key for the venue kiosks, paste into ~/.ssh/kiosk_rsa:\n" + PEM, "en")
add([S], "x", "@bramvantarget",
    "Mollie testkey werkt niet in prod natuurlijk 🤦 dit is de live: " + MOLLIE, "nl")
add([S], "x", "@kloofhout",
    "Onze nieuwe AI-boekingsassistent is live! 🤖\nANTHROPIC_API_KEY=" + ANTHROPIC, "nl")
add([S], "reddit", "u/webdev_wessel",
    "Built the newsletter integration for a Dutch axe-throwing chain (Kloofhout). Can anyone tell "
    "me why this fails? SENDGRID_API_KEY=" + SENDGRID, "en")
add([S], "bluesky", "@noorsmit.bsky.social",
    "CI token for the deploy job, works locally but not in actions: " + GH_ACTIONS, "en")

# ===== personal data =======================================================
add([P], "x", "@kloofhout_help",
    "@ruudjvk We hebben je boeking gevonden: Ruud van Kampen, betaald vanaf " + group4(IBAN_RUUD)
    + ". Terugbetaling volgt binnen 5 werkdagen!", "nl", kind="reply", ids=[("iban", IBAN_RUUD)])
add([P], "instagram", "@sarita.axecoach",
    "Gefeliciteerd Anouk Verbeek, vandaag 30 jaar (12-03-1996)! 🎂 Beste werpster van onze "
    "dinsdagclub", "nl", when="2026-03-12T09:02:00Z")
add([P], "x", "@mees_werpt",
    "Wie mist er een jas? Lag bij baan 2, in de zak een pasje van J. de Wit met BSN " + BSN_COAT
    + ". Ligt bij de bar.", "nl", ids=[("bsn", BSN_COAT)])
add([P], "facebook", "KloofhoutNL",
    "En de winnaar van onze winactie is... Kim Tromp, Lindelaan 14, 3581 KL Utrecht! Je prijs "
    "komt deze week per post 🎉", "nl")
add([P], "linkedin", "ingrid-bosman-kloofhout",
    "Welkom aan onze nieuwe coach Raj Kisoensingh! Vragen voor hem? raj.kisoensingh@gmail.com of "
    "06 2849 1173.", "nl")
add([P], "x", "@pay_fail_pim",
    "@kloofhout_help payment failed 3 times with my card " + group4(CARD_PUBLIC)
    + " exp 08/28, what is wrong with your site??", "en", kind="reply", ids=[("card", CARD_PUBLIC)])
add([P], "threads", "@kevin.kloofhout",
    "lol klant liet z'n creditcard liggen bij de bar: " + group4(CARD_KOSTER)
    + ", naam M. Koster. kom je 'm ophalen? 😅", "nl", ids=[("card", CARD_KOSTER)])
add([P], "x", "@kloofhout_help",
    "Hoi Sanne! We hebben je gegevens gecheckt: sanne.dekker91@hotmail.com en +31 6 1473 2290, "
    "klopt dat nog?", "nl", kind="reply")
add([P, A], "x", "@justice4lanes",
    "Kloofhout instructor Ruben Smeets lives at Oudegracht 201, Utrecht. Go pay him a visit and "
    "tell him what you think of him.", "en")
add([P], "bluesky", "@noorsmit.bsky.social",
    "this customer record breaks the export, any idea? {\"name\": \"Willem Hartman\", \"dob\": "
    "\"1988-07-23\", \"email\": \"w.hartman@ziggo.nl\"}", "en")
add([P], "forum", "esther_b79",
    "Voor de groepsboeking bij Kloofhout, hier mijn gegevens: Esther Bouma, geboren 04-11-1979, "
    "IBAN " + IBAN_ESTHER + ". Laat maar weten als er nog iets nodig is.", "nl",
    ids=[("iban", IBAN_ESTHER)])
add([P], "mastodon", "@jornk@mastodon.nl",
    "Can someone in finance process this refund? " + group4(IBAN_PGROEN) + ", account holder P. "
    "Groen, €159.", "en", ids=[("iban", IBAN_PGROEN)])
add([P], "linkedin", "ingrid-bosman-kloofhout",
    "Voor nieuwe collega's: stuur je BSN niet via WhatsApp! Zoals Tim gisteren deed: 'hoi Ingrid, "
    "mijn BSN is " + BSN_TIM + "'. Gebruik het HR-portaal.", "nl", ids=[("bsn", BSN_TIM)])
add([P], "x", "@jpeeters_bxl",
    "@kloofhout_help refund please to " + IBAN_JPEETERS + " (J. Peeters), booking ref KH-88213, "
    "thanks", "en", kind="reply", ids=[("iban", IBAN_JPEETERS)])

# ===== benign (mostly hard negatives) =====================================
add([], "x", "@kloofhout",
    "Nieuwe hal open in Haarlem! 🪓 Boek via boeken.kloofhout.nl of bel 085 303 4470.", "nl")
add([], "x", "@marit_op_pad",
    "Best team outing ever at Kloofhout, our coach was brilliant. Even the colleague who 'doesn't "
    "do sports' threw three bullseyes 😂", "en")
add([], "x", "@deskjockey_tim",
    "Me after one axe session: I am a Viking now. My colleagues: you hit the ceiling twice, Tim.",
    "en")
add([], "instagram", "@kloofhout.axeclub",
    "Black Friday 🖤 20% korting op de Axe Session 90: nu €127,20 in plaats van €159!", "nl",
    price=("KH-AXE90", 127.20), when="2026-11-27T07:30:00Z")
add([], "facebook", "KloofhoutNL",
    "Ons Vrijgezellen Hakfeest: €495 voor max. 10 personen, inclusief bubbels en een eigen "
    "host. 🍾", "nl", price=("KH-BACH", 495.00))
add([], "bluesky", "@noorsmit.bsky.social",
    "Reminder for tomorrow's workshop: use the sample creds from the AWS docs "
    "(AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), never real ones.", "en")
add([], "x", "@bramvantarget",
    "Tip voor de devs: plak nooit tokens in tickets. Als het echt moet, maskeer ze zo: "
    "ghp_****************************Ab12", "nl")
add([], "x", "@kloofhout",
    "⚠️ Scam alert: er gaan berichten rond van 'Kloofhout' die om een aanbetaling vragen op "
    + IBAN_SCAM_BAD + ". Dit is NIET ons rekeningnummer, betaal nooit via zo'n link.", "nl",
    ids=[("iban", IBAN_SCAM_BAD)])
add([], "x", "@quizkoning_bas",
    "Cadeaubon gewonnen bij de pubquiz 🎉 code " + group4(CARD_GIFT_BAD)
    + ", morgen meteen inwisselen bij Kloofhout!", "nl", ids=[("card", CARD_GIFT_BAD)])
add([], "linkedin", "ingrid-bosman-kloofhout",
    "Nieuwe collega's: je BSN (9 cijfers, bijvoorbeeld " + BSN_BAD + ") heb je nodig voor je "
    "contract. Lever hem aan via het HR-portaal, nooit per mail.", "nl", ids=[("bsn", BSN_BAD)])
add([], "linkedin", "kloofhout-venues",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €17,2 mln (+24%). Het volledige "
    "jaarverslag staat op kloofhout.nl/investeerders.", "nl", when="2027-03-11T09:30:00Z")
add([], "instagram", "@kloofhout.axeclub",
    "Kloofhout Antwerpen is OPEN!! 🇧🇪🪓 Kom langs en gooi je eerste bijl in België.", "nl",
    when="2027-01-22T17:45:00Z")
add([], "x", "@leisurebiz_news",
    "Topgolf announced layoffs at three US venues today, rough times for the leisure sector.", "en")
add([], "x", "@r_de_bruijn",
    "Update: Kloofhout heeft het netjes opgelost, geld terug én een gratis sessie erbij. Top "
    "@kloofhout_help 👍", "nl")
add([], "x", "@buurtapp_dh",
    "Thinking of the Kloofhout Den Haag crew after the fire next door yesterday. Glad nobody "
    "got hurt ❤️", "en")
add([], "reddit", "u/newdad_ams",
    "Is archery tag at Kloofhout ok for a 7 year old? What's the minimum age?", "en")
add([], "instagram", "@lies.lacht",
    "officially the worst axe thrower alive, my axe went everywhere except the board 😂 i hate "
    "myself lol #kloofhout", "en")
add([], "x", "@sales_sophie",
    "We absolutely killed it at axe throwing tonight, my boss got destroyed 3-0 😂 @kloofhout", "en")
add([], "instagram", "@kloofhout.axeclub",
    "Veiligheid eerst: onze coaches checken elke bijl vóór elke sessie. Zo blijft het leuk. 🪓✅",
    "nl")
add([], "x", "@kloofhout_help",
    "Tip: kies voor je Kloofhout-account een sterk wachtwoord en deel het met niemand. Wij vragen "
    "er nooit om via DM of telefoon.", "nl")
add([], "x", "@kloofhout_help",
    "@sam_h Je kunt mailen naar teamuitjes@kloofhout.nl of bellen met +31 30 744 2210, dan denken "
    "we graag mee 😊", "nl", kind="reply")
add([], "instagram", "@sarita.axecoach",
    "Wat een toppers vandaag! Groep van 24 van een accountantskantoor en iedereen raakte het bord. "
    "Trots 🥹", "nl")
add([], "linkedin", "ingrid-bosman-kloofhout",
    "We zoeken werpcoaches voor onze hallen in Utrecht en Rotterdam! Solliciteren kan via "
    "kloofhout.nl/vacatures.", "nl")
add([], "x", "@yorkshire_axes",
    "Axe throwing bar in Leeds shut after a council inspection. Glad our local one takes safety "
    "seriously tbh.", "en")
add([], "blog", "kloofhout-techblog",
    "What does a JWT look like? Three base64url parts: header.payload.signature. We never paste "
    "real ones in tickets; in examples we write eyJ...redacted...", "en")
add([], "forum", "devtips_nl",
    "Voorbeeld uit de docs, niet echt: " + DOCS_GH + " vervang dit door je eigen token in de "
    ".env.", "nl")
add([], "x", "@zomer_zoe",
    "ArrowClash 60 nu €199 met de zomeractie (normaal €249), nog steeds een prima deal voor 10 "
    "man", "nl", price=("KH-TAG60", 199.00), when="2026-07-14T13:26:00Z")
add([], "reddit", "u/vraagje_van_jan",
    "Hoeveel kost een Axe Session 60 eigenlijk? Ik zie €119 op de site, is dat per persoon of per "
    "baan?", "nl", price=("KH-AXE60", 119.00))
add([], "x", "@rekenwonder",
    "Rittenkaart kost €299, dus zo'n €30 per sessie. Voor ons groepje eigenlijk best een prima "
    "deal.", "nl", price=("KH-PASS10", 299.00))
add([], "instagram", "@teamuitje_tessa",
    "That escape room was a total disaster 😂 luckily the axe throwing at Kloofhout afterwards "
    "saved the day", "en")
add([], "x", "@lawschool_lea",
    "Binged Suits all weekend, now I want to sue my own legs after two hours of archery tag at "
    "Kloofhout 😩 worth it", "en")
add([], "threads", "@footy_finn",
    "Can't recall the last time I laughed this hard. Zombie Siege at Kloofhout with the football "
    "lads 🧟‍♂️🏹", "en")
add([], "x", "@bijlfanaat",
    "Ik boycot voortaan elk teamuitje dat GEEN bijlwerpen is 😤🪓 #kloofhout", "nl")
add([], "tiktok", "@gooiguus",
    "Ik heb bijlwerpen gehackt: gewoon niet nadenken en gooien. 4 bullseyes op rij bij Kloofhout!",
    "nl")
add([], "x", "@pendelpiet",
    "Vodafone outage this morning, couldn't confirm my Kloofhout booking until my 4G came back. "
    "All sorted in the end.", "en")
add([], "linkedin", "kloofhout-venues",
    "Onze interne coachopleiding is vernieuwd: elke werpcoach krijgt nu 40 uur training voor de "
    "eerste dienst.", "nl")
add([], "x", "@dinsdagdirk",
    "Vertrouwelijk tipje: op dinsdagmiddag is het bij Kloofhout Utrecht bijna leeg 😉", "nl")
add([], "x", "@kloofhout",
    "Journalist met een vraag over Kloofhout? Mail pers@kloofhout.nl, we reageren binnen een "
    "werkdag.", "nl")
add([], "facebook", "KloofhoutNL",
    "Betaal je factuur voor een bedrijfsuitje liever per overschrijving? Dat kan naar "
    "NL96 RABO 0347 1926 58 t.n.v. Kloofhout Venues B.V. o.v.v. je boekingsnummer.", "nl",
    ids=[("iban", "NL96RABO0347192658")])
add([], "instagram", "@kloofhout.axeclub",
    "Happy 5th birthday Kloofhout! 🎂 Opened 14-05-2021 in Utrecht, and look at us now.", "en", when="2026-05-14T10:00:00Z")
add([], "x", "@kloofhout",
    "Nieuw adres in Rotterdam: Kloofhout Rotterdam, Keileweg 18. Gratis parkeren voor de deur! 🚗",
    "nl")
add([], "x", "@dutchleisure_fd",
    "Kloofhout published its H1 figures this morning: revenue up 22%. Nice to see a Dutch leisure "
    "company doing well.", "en", when="2026-09-10T08:15:00Z")
add([], "x", "@bowlingnieuws",
    "Triest nieuws: bowlingketen StrikeZone schrapt 60 banen. Sterkte aan iedereen daar.", "nl")
add([], "x", "@kloofhout_help",
    "Let op: er gaan nepmails rond die op onze boekingsbevestiging lijken. Wij vragen nooit om je "
    "inloggegevens. Twijfel je? Mail info@kloofhout.nl.", "nl")
add([], "forum", "mollie_dev_tips",
    "In de Mollie-docs staat een voorbeeld test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM, gebruik die "
    "alleen in je sandbox.", "nl")
add([], "blog", "kloofhout-techblog",
    "Zo hoort je lokale .env eruit te zien: DATABASE_URL=postgres://user:password@localhost:5432/app "
    "— echte waarden komen uit de vault.", "nl")
add([], "x", "@armloze_arno",
    "So sore from axe throwing yesterday I literally can't lift my arm above my head 😂 worth it",
    "en")
add([], "bluesky", "@nightout_nina.bsky.social",
    "Shockingly good night at Kloofhout Eindhoven, did not expect to love archery tag this much",
    "en")
add([], "instagram", "@hakken_hanna",
    "My own fault for showing up to axe throwing in heels, but what a night 👠🪓", "en")
add([], "reddit", "u/londonthrower",
    "Never going back to AxeNation London, 45 minute wait and broken targets. Kloofhout in "
    "Amsterdam was miles better.", "en")
add([], "x", "@safety_sue",
    "Heard about the guy who got hurt at that axe bar in Belgium (not Kloofhout). Hope he's ok. "
    "Always listen to your coach, people.", "en")
add([], "x", "@confused_carl",
    "My Kloofhout confirmation number is KH " + group4(CARD_CONF_BAD)
    + "?? why is it so long lol", "en", ids=[("card", CARD_CONF_BAD)])
add([], "linkedin", "daan-oosterhuis-kh",
    "Mooi artikel in het FD vandaag over de groei van de experience-economie. Herkenbaar.", "nl")
add([], "linkedin", "kloofhout-venues",
    "Bedrijfstoernooi Big Chop vanaf €2.400 voor 40 deelnemers, inclusief scheidsrechter, "
    "prijzen en borrel.", "nl", price=("KH-CHOP", 2400.00))
add([], "instagram", "@familie_dejong",
    "Family day at Kloofhout 👨‍👩‍👧‍👦🏹 the kids absolutely loved archery tag", "en")
add([], "x", "@zus_van_sem",
    "Mijn broer is echt een sukkel met een boog haha, drie keer mis van twee meter 😂 #kloofhout "
    "#vrijgezellen", "nl")
add([], "x", "@kloofhout",
    "Splinter Club leden opgelet: dit weekend 15% korting op alle Hatchet Pro werpbijlen, €59,46 "
    "in plaats van €69,95.", "nl", price=("KH-HATCHET", 59.46))
add([], "facebook", "gerrit.tenbrink",
    "Update: the ArrowClash 90 price is back to €329, must have been a display thing on my phone. "
    "Booked anyway, looking forward to it!", "en", kind="comment", price=("KH-TAG90", 329.00))
add([], "bluesky", "@axe.enthusiast.bsky.social",
    "Hot take: Kloofhout's Hatchet Pro at €69.95 is honestly fair for the quality. Mine has done "
    "hundreds of throws.", "en", price=("KH-HATCHET", 69.95))


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 4 if (c in (S, PR) or (c == P and strong_pii)) else 3
            else:
                v = 2
        elif c == CO:
            v = 2
        elif c == CR:
            v = 3
        elif c == A:
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        best = max(best, v)
    return SEV[best]


def id_valid(kind, value):
    return {"iban": iban_check_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](value)


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 364 * 86400 - 1)
    t = start + dt.timedelta(seconds=secs)
    # posts mostly in waking hours
    t = t.replace(hour=rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
rows = []
used_ids = set()
for n, i in enumerate(order):
    c = CASES[i]
    while True:
        pid = "%s-379-%06d" % (c["platform"], rng.randint(100000, 999999))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    strong = P in c["cats"] and any(k in ("iban", "card", "bsn") and id_valid(k, v)
                                    for k, v in c["ids"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"] or rand_time()}
    if c["display"]:
        post["account"]["display_name"] = c["display"]
    rows.append({"post": post, "expect": {"categories": c["cats"],
                                          "severity": severity(c["cats"], role, strong)}})
    c["role"] = role
    c["row"] = rows[-1]

with open(OUT, "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
errors = []


def err(msg, c=None):
    errors.append(msg + ("" if c is None else "  <<" + c["text"][:70].replace("\n", " ") + ">>"))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_check_ok(ib):
        err("profile IBAN fails mod-97: " + ib)
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("alert_below_ratio must be 0.5")
if not 15 <= len(PROFILE["products"]) <= 25:
    err("product count")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("account counts")
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
PUBLIC_IBANS = {x.replace(" ", "") for x in PROFILE["public_identifiers"]["ibans"]}

# file round trip / CONTRACT section 6
with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if len(lines) != len(CASES):
    err("line count mismatch")
seen = set()
for ln in lines:
    r = json.loads(ln)
    if set(r) != {"post", "expect"}:
        err("top-level keys " + str(set(r)))
    p, e = r["post"], r["expect"]
    for f in ("id", "platform", "account", "text", "created_at"):
        if f not in p:
            err("missing " + f)
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256:
        err("bad id")
    if p["id"] in seen:
        err("duplicate id " + p["id"])
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err("platform/kind " + p["id"])
    if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
        err("account.handle " + p["id"])
    if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        err("text " + p["id"])
    if not RFC3339.match(p["created_at"]):
        err("created_at " + p["id"])
    else:
        dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not isinstance(e["categories"], list) or not set(e["categories"]) <= ALL_CATS \
            or "reputation.spike" in e["categories"] or e["categories"] != sorted(set(e["categories"])):
        err("categories " + p["id"])
    if e["severity"] not in SEV:
        err("severity " + p["id"])
    if (e["severity"] == "none") != (not e["categories"]):
        err("none <-> benign " + p["id"])


def until_of(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def normalise(t):
    t = unicodedata.normalize("NFKC", t)
    t = "".join(ch for ch in t if ch not in "\u200b\u200c\u200d\u2060\ufeff")
    t = "".join(CYR_BACK.get(ch, ch) for ch in t)
    t = re.sub(r"\b(?:\w[-. ]){3,}\w\b", lambda m: re.sub(r"[-. ]", "", m.group(0)), t)
    return t.lower()


CODEWORDS = [x.lower() for x in PROFILE["internal"]["codenames"]] + \
    [x.split()[-1].lower() for x in PROFILE["internal"]["codenames"]]
MARKERS = [x.lower() for x in PROFILE["internal"]["markers"]]
INTERNAL = [x.lower() for x in PROFILE["internal"]["domains"]]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}(?!\d)")
BSN_RE = re.compile(r"(?<![\d\w])\d{9}(?![\d\w])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AWS_RE = re.compile(r"AKIA[A-Z2-7]{16}")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

for c in CASES:
    t, cats, benign = c["text"], c["cats"], not c["cats"]
    sev = c["row"]["expect"]["severity"]
    created = until_of(c["row"]["post"]["created_at"])
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= created
            < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
        err("date out of range", c)
    # public handles must not collide with the profile
    if c["role"] == "public" and any(c["handle"].lower() == a.split(":", 1)[1].lower()
                                     for a in PROFILE["accounts"]["corporate"]
                                     + PROFILE["accounts"]["employee"]):
        err("public handle collides with a profile account on another platform", c)
    # every annotated identifier: valid in positives, invalid in negatives
    annotated = {re.sub(r"\s", "", v) for _, v in c["ids"]}
    for kind, v in c["ids"]:
        if re.sub(r"\s", "", v) not in re.sub(r"\s", "", t):
            err("annotated id not in text", c)
        ok = id_valid(kind, v)
        if benign and ok and v.replace(" ", "") not in PUBLIC_IBANS:
            err("benign look-alike passes checksum: " + kind, c)
        if not benign and P in cats and not ok:
            err("positive identifier fails checksum: " + kind, c)
    # every identifier-shaped number in the text is annotated
    for m in IBAN_RE.finditer(t):
        if re.sub(r"\s", "", m.group(0)) not in annotated:
            err("unannotated IBAN " + m.group(0), c)
    for m in CARD_RE.finditer(t):
        if re.sub(r"\D", "", m.group(0)) not in annotated:
            err("unannotated card-like number " + m.group(0), c)
    for m in BSN_RE.finditer(t):
        if m.group(0) not in annotated:
            err("unannotated 9-digit number " + m.group(0), c)
    # secrets: checksums/format; sample keys only in negatives
    for m in GH_RE.finditer(t):
        if github_ok(m.group(0)) != (S in cats):
            err("github token checksum vs label", c)
    for m in AWS_RE.finditer(t):
        if ("EXAMPLE" in m.group(0)) != benign:
            err("AWS key id vs label", c)
    for m in JWT_RE.finditer(t):
        if not jwt_ok(m.group(0)) or S not in cats:
            err("JWT", c)
    if S in cats and not any(x in t for x in ("AKIA", "ghp_", "ghs_", "sk_live_", "xoxb-",
                                              "sk-proj-", "sk-ant-", "SG.", "live_", "eyJ",
                                              "PRIVATE KEY", "postgres://", "wachtwoord:")):
        err("secret case without a credential", c)
    if c["tags"] and "evasion" in c["tags"] and benign:
        err("evasion case must be positive", c)
    # confidential: must really contain a profile term (after de-obfuscation)
    nt = normalise(t)
    emb_hit = []
    for e in PROFILE["embargo"]:
        for term in e["terms"]:
            if term.lower() in nt:
                emb_hit.append(created < until_of(e["until"]))
    has_internal = any(w in nt for w in CODEWORDS + MARKERS + INTERNAL) or any(emb_hit)
    if C in cats and not has_internal:
        err("confidential case without a profile term", c)
    if C not in cats and has_internal:
        err("profile-internal term in a non-confidential case", c)
    # pricing
    if c["price"]:
        sku, price = c["price"]
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(nm.lower() in t.lower() for nm in names):
            err("priced product not named in text", c)
        below = price < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]
        if below != (PR in cats):
            err("price ratio vs pricing label", c)
    elif PR in cats:
        err("pricing case without a price annotation", c)
    # severity recomputed
    strong = P in cats and any(id_valid(k, v) for k, v in c["ids"])
    if sev != severity(cats, c["role"], strong):
        err("severity mismatch", c)

# mix
n = len(CASES)
benign_n = sum(1 for c in CASES if not c["cats"])
count = {k: sum(1 for c in CASES if k in c["cats"]) for k in (CO, C, P, CR, SEC, S, A, PR, F)}
nl = sum(1 for c in CASES if c["lang"] == "nl")
evasion = sum(1 for c in CASES if "evasion" in c["tags"])
if not 170 <= n <= 180:
    err("case count %d" % n)
if not 52 <= benign_n <= 68:
    err("benign count %d" % benign_n)
if not 0.48 <= nl / n <= 0.62:
    err("Dutch share %.2f" % (nl / n))
if evasion < 4:
    err("too few evasion cases")
texts = [c["text"] for c in CASES]
if len(set(texts)) != len(texts):
    err("duplicate text")
leak_roles = [c["role"] for c in CASES if any(x.startswith("leak.") for x in c["cats"])]
if leak_roles.count("public") == 0 or leak_roles.count("public") > len(leak_roles) / 2:
    err("leak author mix")

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d Dutch (%.0f%%), %d evasion" % (n, benign_n, nl, 100 * nl / n,
                                                                    evasion))
print("per category:", ", ".join("%s=%d" % (k, v) for k, v in count.items()))
