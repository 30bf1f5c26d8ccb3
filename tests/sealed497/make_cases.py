#!/usr/bin/env python3
"""Build the sealed497 evaluation set for postwatch (company: Slaaprups B.V.).

Deterministic: one fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities are derived from the categories and the account role in profile.yaml
    (CONTRACT section 4), never typed by hand;
  * every IBAN / card / BSN put in a positive passes its checksum, every look-alike put
    in a benign post fails it, and no benign post carries a checksum-valid identifier
    other than the company's own published IBAN;
  * generated credentials are well formed (GitHub CRC-32, AWS id alphabet, JWT header);
  * embargo terms, codenames, markers, internal domains and prices agree with labels.
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

rng = random.Random(49701)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return len(d) >= 12 and total % 10 == 0


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0 and any(d)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- generators
def gen_nl_iban(bank):
    return iban_make("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def gen_be_iban():
    first = rng.choice("0123456789") + "".join(rng.choice(string.digits) for _ in range(9))
    chk = int(first) % 97 or 97
    return iban_make("BE", "%s%02d" % (first, chk))


def gen_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_valid(body + last):
                return body + last


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d))
        last = s % 11
        if last <= 9:
            return "".join(map(str, d)) + str(last)


def break_digit(value, check, pos=-1):
    """Change one digit so that the checksum fails."""
    chars = list(value)
    idxs = [i for i, c in enumerate(chars) if c.isdigit()]
    i = idxs[pos]
    for repl in "1234567890":
        if repl == chars[i]:
            continue
        chars[i] = repl
        cand = "".join(chars)
        if not check(cand):
            return cand
    raise RuntimeError("cannot break " + value)


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (h, p, s)


def gen_openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += bytes(rng.getrandbits(8) for _ in range(300))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_mobile():
    return "6" + rand(string.digits, 8)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- identifiers
IBAN_MARLOES = gen_nl_iban("INGB")      # customer refund leaked by employee
IBAN_LINDA = gen_be_iban()              # Belgian customer, own IBAN, complaint
IBAN_WESLEY = gen_nl_iban("ASNB")       # customer, own IBAN
CARD_REFUND = gen_card("4")             # Visa, leaked by corporate reply
CARD_CHAT = gen_card("53")              # Mastercard, leaked by developer
BSN_EXPORT = gen_bsn()                  # leaked by analyst
BSN_CALL = gen_bsn()                    # leaked spaced-out by teamlead
FAKE_IBAN = break_digit("NL18RABO0123456780", iban_valid)
FAKE_CARD = break_digit("6034881277901245", luhn_valid)
FAKE_BSN = break_digit("482915736", bsn_valid)
PH = [gen_mobile() for _ in range(8)]

GHP = gen_github("ghp_")
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(string.ascii_letters + string.digits + "/+", 40)
MOLLIE = "live_" + rand(ALNUM, 30)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(ALNUM + "_-", 58) + "T3BlbkFJ" + rand(ALNUM + "_-", 58)
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
GOOGLE = "AIza" + rand(ALNUM + "_-", 35)
PG_PW = rand(string.ascii_letters + string.digits, 18)
JWT = gen_jwt({"sub": "svc-voorraad", "iss": "api.slaaprups.nl", "scope": "stock:write",
               "iat": 1789453200, "exp": 1789496400})
SSH_KEY = gen_openssh_key()
PW_INBOX = rng.choice(["Zomer", "Katoen", "Slaap", "Wolkje"]) + rand(string.digits, 4) + rng.choice("!#$")
PW_SCANNER = rng.choice(["magazijn", "scanner", "doos"]) + rand(string.digits, 3)

# ---------------------------------------------------------------- the cases
CASES = []

B, CPL, CRI, ABU = [], ["reputation.complaint"], ["reputation.crisis"], ["reputation.abuse"]
PII, SEC, PRI, CON, FIN, SCY = (["leak.pii"], ["leak.secret"], ["leak.pricing"],
                                ["leak.confidential"], ["leak.financial"], ["leak.security"])


def add(cats, acct, lang, text, when=None, kind=None, ids=None, fakes=None):
    CASES.append(dict(cats=sorted(set(cats)), acct=acct, lang=lang, text=text, when=when,
                      kind=kind, ids=ids or [], fakes=fakes or []))


# ======================= benign (hard negatives mostly) =======================
add(B, "x:@lisa_slaapt", "nl",
    "Net mijn Wolkje dekbedovertrek binnen en eerlijk: zachtste wat ik ooit gehad heb 😍 voelt als een cocon. #slaaprups")
add(B, "instagram:@mamavanmees", "nl",
    "Mees slaapt sinds we het Egeltje babypyjamaatje hebben echt beter. Of is het toeval? Maakt niet uit, bedankt @slaaprups.nl 💚",
    kind="comment")
add(B, "x:@slaaprups_help", "nl",
    "@sanne_h Hoi Sanne, vervelend dat je pakket er nog niet is! Stuur je ordernummer even via DM of mail naar klantenservice@slaaprups.nl, dan zoeken we het meteen uit 🙂")
add(B, "facebook:SlaaprupsNL", "nl",
    "Vragen over je bestelling? Bel ons gratis op 0800-0233 (ma t/m vr 9-17u) of mail klantenservice@slaaprups.nl. We helpen je graag!")
add(B, "x:@slaaprups", "nl",
    "Black Friday bij Slaaprups 🖤 25% korting op alle Wolkje dekbedovertrekken. De Wolkje 140 nu €67,46 i.p.v. €89,95. Alleen dit weekend!",
    when="2026-11-27T07:00:00Z")
add(B, "instagram:@slaaprups.nl", "en",
    "Winter sale is ON ❄️ 20% off the Uil pyjama (now €67.96) and the Nachtegaal pyjama (now €63.96). Ends Sunday midnight.",
    when="2026-01-09T08:30:00Z")
add(B, "x:@thriftyjules", "en",
    "Picked up a Hazelaar plaid for €59.95 in the sale, which is honestly fair for GOTS cotton. no regrets")
add(B, "reddit:u/linen_nerd", "en",
    "PSA for anyone comparing organic bedding: the Slaaprups Percale Puur is €119 at list price, roughly what the other GOTS brands charge. Lower thread count but it breathes way better imo.",
    kind="comment")
add(B, "linkedin:slaaprups-bv", "nl",
    "We zoeken een Customer Care medewerker (32-40 uur) in Utrecht! Solliciteren via werkenbij@slaaprups.nl. Vragen? Bel 030-7994410 en vraag naar Marloes.")
add(B, "x:@devjorien", "en",
    "Reminder when writing docs: use the AWS sample key AKIAIOSFODNN7EXAMPLE, never your own. Saw someone paste a real one into a tutorial last week 🙈")
add(B, "bluesky:@ruben-dev.bsky.social", "en",
    "Writing a post on secret scanning. Example config: `GITHUB_TOKEN=ghp_" + "x" * 36 + "` (obviously swap the x'es for your own, and keep it out of git)")
add(B, "x:@hannekevdl", "nl",
    "Wachtwoord vergeten bij @slaaprups en binnen een minuut een resetlink gehad. Zo hoort het gewoon 👌")
add(B, "facebook:Truus.Hogendoorn", "nl",
    "Vorige maand geklaagd over een scheur in mijn hoeslaken, vandaag een nieuwe gekregen plus een handgeschreven kaartje. Netjes opgelost Slaaprups, dank jullie wel.",
    kind="comment")
add(B, "x:@nieuwsbed", "nl",
    "Beddenketen Matrasland kondigt reorganisatie aan: 120 banen verdwijnen, vooral in de winkels. Vakbond reageert geschokt.")
add(B, "x:@retailwatcher", "en",
    "Big day in home textiles: a Swedish bedding chain just announced it's acquiring a German duvet maker. Wonder who's next to consolidate.")
add(B, "x:@slaaprups", "nl",
    "Onze jaarcijfers 2026 staan online! Omzet groeide met 14% naar €18,2 miljoen en we werden B Corp. Lees het verslag op slaaprups.nl/investeerders",
    when="2027-02-25T09:30:00Z")
add(B, "x:@biobedding_fan", "en",
    "The Maanlicht Tencel line from Slaaprups finally dropped today and the sage green is gorgeous. Ordered the pillowcases first to test.",
    when="2027-03-02T10:15:00Z")
add(B, "instagram:@slaapcoach.nina", "nl",
    "Tip: kinderen slapen vaak beter in katoen dan in polyester. Ik raad ouders vaak de Vosje pyjama aan (€39,95), geen sponsoring, gewoon fan.")
add(B, "x:@kimmm_b", "nl",
    "haha mijn kat heeft de nieuwe plaid geclaimd, ik mag er zelf niet meer onder 😂 @slaaprups maak aub een kattenversie")
add(B, "x:@pieterpost_", "en",
    "does anyone know if the slaaprups topper hoeslaken fits around a 10cm topper? torn between 180x200 and 180x210")
add(B, "x:@gracie_dublin", "en",
    "Does Slaaprups ship to Ireland? The Uil pyjama would make a lovely Christmas present for my dad, he's impossible to buy for",
    when="2026-11-21T21:14:00Z")
add(B, "x:@slaaprups_help", "en",
    "@markjw Hi Mark! Our IBAN for bank transfers is NL35 RABO 0347 1182 90 (Slaaprups B.V.). Please add your order number as the reference 🙂")
add(B, "x:@bosvdberg", "nl",
    "Typte " + group4(FAKE_IBAN) + " over uit m'n hoofd en de bankapp zei meteen 'ongeldig IBAN'. Gelukkig checken ze dat 😅 Toch maar via iDEAL betaald bij slaaprups, ging prima.",
    fakes=[("iban", FAKE_IBAN)])
add(B, "x:@oma_ria", "nl",
    "Kreeg een cadeaubon van Slaaprups van mijn kleinzoon, code " + group4(FAKE_CARD) + " (al ingewisseld hoor, niet proberen 😉). Twee kussenslopen uitgezocht.",
    fakes=[("card", FAKE_CARD)])
add(B, "x:@gijs_in_gouda", "nl",
    "Track & trace 3S " + FAKE_BSN + " zegt 'bezorgd' maar er ligt niks 🤔 oh wacht, buurvrouw heeft het. Excuus @slaaprups_help, loos alarm",
    fakes=[("bsn", FAKE_BSN)])
add(B, "x:@marketing_mo", "en",
    "Love how @slaaprups handled the influencer thing. Transparent, no corporate speak. More brands should do this.")
add(B, "x:@rotterdamrik", "nl",
    "die reclame van slaaprups met die snurkende oma is echt geniaal 😂😂 elke keer weer")
add(B, "x:@sleepyhead_tom", "en",
    "is it just me or does everyone's sleep schedule die in november. need a nap (a 'dutje' as my dutch colleagues say) asap")
add(B, "instagram:@greenhome.anna", "en",
    "Unboxing my Slaaprups Slaapwel gift set 🎁 packaging is plastic free, everything wrapped in little cotton bags. Love it.")
add(B, "x:@financegeek_nl", "nl",
    "Interessant: Slaaprups publiceert naast de jaarcijfers dit jaar ook een impactverslag. Zouden meer mkb-merken moeten doen.")
add(B, "linkedin:joost-verhoef-cfo", "nl",
    "Trots op het team: vandaag de B Corp-certificering binnengehaald voor Slaaprups. Vier jaar werk. Dank aan iedereen die eraan heeft bijgedragen!")
add(B, "instagram:@lotte.ontwerpt", "nl",
    "Moodboard van vandaag: mos, klei en heel veel linnen 🌿 ik mag nog niks zeggen, maar ik word hier heel blij van")
add(B, "tiktok:@inpakster_ilse", "nl",
    "POV: het is december en je pakt 400 dekbedovertrekken per dag in 📦😵‍💫 #magazijnlife #slaaprups",
    when="2026-12-14T16:40:00Z")
add(B, "x:@daan_ops", "en",
    "Heads up: planned maintenance on the Slaaprups webshop tonight 23:00–01:00 CET, announced on our status page. Orders placed before that ship as normal.")
add(B, "mastodon:@bramdekker@mastodon.social", "en",
    "Gave a meetup talk on rotating database passwords. Slides use postgres://user:password@localhost:5432/demo as the placeholder, please don't email me about it 😄")
add(B, "x:@hackernieuws", "nl",
    "Datalek bij webwinkel in schoenen: gegevens van 40.000 klanten op straat. Autoriteit Persoonsgegevens stelt onderzoek in.")
add(B, "x:@slaaprups_help", "nl",
    "@boze_bas geen probleem hoor, iedereen heeft weleens een rotdag. Fijn dat het nu geregeld is en slaap lekker vannacht 💤")
add(B, "x:@dutchmum_lou", "en",
    "Not sponsored but the Slaaprups customer service is genuinely the friendliest I've dealt with. Refund sorted in two days, no questions.")
add(B, "reddit:u/katoenkenner", "nl",
    "Vergelijking hoeslakens: Slaaprups Hoeslaken Basis €44,95, die van de Hema €24,99 maar niet bio. Qua prijs-kwaliteit vind ik Slaaprups toch beter.",
    kind="comment")
add(B, "x:@koopjesjager", "nl",
    "Kussensloop Duo van slaaprups in de outlet voor €22,46, 25% eraf. Snel zijn!")
add(B, "youtube:@SlowLivingSara", "en",
    "In today's video: how I wash organic cotton bedding so it lasts 10+ years. Featuring my six year old Percale Puur set that still looks new.")
add(B, "x:@annejet_w", "nl",
    "Slaaprups mailde dat de nieuwe handleiding van de Warmtedeken Eco online staat, met wasadvies. Fijn, ik was de oude allang kwijt 😅")
add(B, "x:@bedtimestories_uk", "en",
    "My cat knocked the cherry pit pillow off the shelf and it split everywhere 🍒 entirely the cat's fault. Does anyone know if Slaaprups sells refills?")
add(B, "threads:@noor.vh", "nl",
    "Mijn zusje van 6 wil alleen nog in haar Vosje pyjama slapen, zelfs overdag 😂 moet echt een tweede bestellen")
add(B, "x:@consumentenwatcher", "nl",
    "Terugroepactie bij een Duitse fabrikant van elektrische dekens wegens brandgevaar. Check even het merk van die van jou!")
add(B, "x:@econ_erik", "en",
    "Layoffs everywhere in e-commerce this quarter. Nice to see some smaller DTC brands like Slaaprups still hiring.")
add(B, "instagram:@slaaprups.nl", "nl",
    "Nieuw in de shop: de Hazelaar plaid in de kleur roest. €74,95, GOTS-gecertificeerd en geweven in Portugal 🧡")
add(B, "x:@thomasvk", "nl",
    "@slaaprups_help bestelling 100482 is gewoon gekomen hoor, lag bij de buren. Sorry voor de paniek gisteren!")
add(B, "x:@linguist_liv", "en",
    "dutch word of the day: 'slaaprups', literally 'sleep caterpillar'. apparently also a bedding shop. perfect name honestly")
add(B, "x:@dev_sanne", "nl",
    "tip van de dag: je wachtwoord is geen 'Welkom01'. doe jezelf een plezier en neem een wachtwoordmanager #securitytip")
add(B, "x:@stripe_dev_fan", "en",
    "Stripe keys look like sk_live_… in production and sk_test_… in test mode. Never ship the live one in frontend code, please.")
add(B, "x:@marloes_sr", "nl",
    "Drukke dag op de klantenservice, maar wat een lieve klanten vandaag ❤️ iemand stuurde ons zelfs stroopwafels")
add(B, "tiktok:@slaaprups", "en",
    "How we fold a fitted sheet in 10 seconds 🙌 (took Ilse three years to master) #foldinghack #slaaprups")
add(B, "x:@ouders_forum", "nl",
    "Iemand ervaring met de Lammetje slaapzak? Twijfel tussen 2.5 tog en 1 tog voor de zomer, ons kamertje wordt best warm")
add(B, "bluesky:@joke-ontwerpt.bsky.social", "nl",
    "Vintage lakens gevonden op de markt, 3 euro per stuk. Geen Slaaprups maar ook heerlijk zacht 😄")
add(B, "x:@slaaprups", "en",
    "Our Q3 trading update is out: revenue up 9% year on year, online repeat customers at 41%. Full details on slaaprups.com/investors",
    when="2026-10-22T06:00:00Z")
add(B, "x:@api_annie", "en",
    "Getting 401s with `Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.[redacted].[redacted]` even though the token isn't expired. Any ideas? Clock skew?")
add(B, "x:@petra_leest", "nl",
    "Zo, zes weken gewacht op mijn Vierseizoenen dekbed maar het was het dubbel en dwars waard. Slaap als een roos.")
add(B, "x:@dutchdesignweek", "en",
    "Slaaprups designer Lotte on stage now talking natural dyes and why they dropped synthetic finishes entirely. Great talk!")
add(B, "instagram:@slaaprups.nl", "nl",
    "Eindelijk mogen we hem laten zien: de Maanlicht collectie, geweven van Tencel en biologisch katoen 🌙 Vanaf vandaag in de shop.",
    when="2027-03-01T08:05:00Z")

# ======================= complaints =======================
add(CPL, "x:@boosbijbol", "nl",
    "@slaaprups_help al 3 weken wachten op mijn Wolkje 240 en niemand reageert op mijn mails. Ordernr 104771. Zo jammer want ik was echt fan")
add(CPL, "x:@emily_reads", "en",
    "washed my new Nachtegaal pyjama ONCE, 30 degrees like the label says, and it shrunk a full size. €80 for this?? really disappointed @slaaprups")
add(CPL, "facebook:Gerda.Smits.1961", "nl",
    "Hoeslaken Basis na 2x wassen al pluizig en er zit een gat bij het elastiek. Voor die prijs verwacht je meer. En retour sturen kost ook nog verzendkosten, belachelijk.",
    kind="comment")
add(CPL, "x:@tijnvb", "nl",
    "retour aangemeld op 2 okt, geld nog steeds niet terug. klantenservice zegt elke keer 'binnen 5 werkdagen'. ja ja. #slaaprups",
    when="2026-10-29T19:02:00Z")
add(CPL, "instagram:@hollyhome.uk", "en",
    "The colour on the website says 'sage' but what arrived is basically grey. Not what I ordered, @slaaprups.nl, and my exchange request has been ignored for 10 days.",
    kind="comment")
add(CPL, "x:@mvdlinden", "nl",
    "Kersenpitkussen besteld als cadeau, kwam aan met een scheur en overal pitten in de doos 🙄 en nu moet ik zelf foto's maken en drie formulieren invullen. Kom op zeg")
add(CPL, "reddit:u/quiltedcat", "en",
    "Heads up if you're ordering from Slaaprups: my 'organic' Wolkje duvet cover had a chemical smell that didn't go away after 3 washes. Support just sent me a care guide. Not impressed.")
add(CPL, "x:@familie_dekker", "nl",
    "bestel je een kinderpyjama in maat 110 krijg je er een in 86. al de tweede keer dat jullie magazijn het verprutst @slaaprups")
add(CPL, "tiktok:@zoe.unboxes", "en",
    "pov: you paid €249 for a four seasons duvet and the stitching came apart on day 4 😐 @slaaprups what is this",
    kind="post")
add(CPL, "x:@jeroen_h78", "nl",
    "De chat van slaaprups is gewoon een bot die steeds hetzelfde riedeltje afdraait. Ik wil een MENS spreken over de kapotte rits van mijn badjas!!")

# ======================= crisis + complaint (first-hand safety) =======================
add(CRI + CPL, "x:@sophie_mamavan2", "nl",
    "Onze Warmtedeken Eco begon vannacht te smeulen bij het snoer, hele slaapkamer rook naar verbrand plastic. Gelukkig werd mijn man wakker. @slaaprups dit had heel anders kunnen aflopen, ik wil antwoorden!!",
    when="2026-12-03T06:48:00Z")
add(CRI + CPL, "x:@danielcooks", "en",
    "Heated the Slaaprups cherry pit pillow for 2 min like the tag says and it literally caught fire in the microwave. Kids were in the kitchen. Absolutely not okay @slaaprups")
add(CRI + CPL, "instagram:@mila.en.mats", "nl",
    "Knoopje van het Egeltje babypyjama zat ineens in de mond van mijn dochter van 8 maanden. Ze had er bijna in gestikt 😢 Ik heb foto's van het losse knoopje, @slaaprups.nl hoe kan dit??",
    kind="comment")
add(CRI + CPL, "facebook:Ahmed.Bouzid.NL", "nl",
    "Onze zoon (4) heeft sinds hij de nieuwe Vosje pyjama draagt overal rode vlekken en jeuk, de huisarts denkt aan een reactie op de verfstof. 'Biologisch' ja? Graag uitleg Slaaprups.",
    kind="comment")
add(CRI + CPL, "x:@kate_in_leiden", "en",
    "Got a proper electric shock off the controller of my Slaaprups heated underblanket this morning, arm still tingling. Unplugged and it's going straight back. How is this sold as safe??")

# ======================= crisis only =======================
add(CRI, "x:@consumentenflits", "nl",
    "Brandweer Amersfoort: slaapkamerbrand vannacht veroorzaakt door een elektrische onderdeken van het merk Slaaprups. Bewoners op tijd gewekt door rookmelder.",
    when="2026-12-05T09:10:00Z")
add(CRI, "x:@ethicalfashionwatch", "en",
    "New report: 'organic' cotton sold by Dutch webshop Slaaprups traced to a ginning supplier accused of forced labour. We're calling for a boycott until they publish their full supply chain. #BoycottSlaaprups")
add(CRI, "x:@jurist_linda", "nl",
    "Hoor dat een groep klanten een collectieve claim voorbereidt tegen Slaaprups vanwege dat 'biologisch' label. Als dat klopt wordt het nog interessant.")
add(CRI, "x:@privacy_paul", "nl",
    "Krijg phishing op een mailadres dat ik ALLEEN bij slaaprups heb gebruikt. Mijn buurvrouw precies hetzelfde. Daar is toch gewoon een datalek geweest? Waarom horen we niks @slaaprups")
add(CRI, "x:@kinderveiligheid", "nl",
    "⚠️ Terugroepactie: Slaaprups roept de Lammetje slaapzak (maat 0-6 mnd) terug vanwege loszittende drukknopen. Niet meer gebruiken en contact opnemen met de webshop.")
add(CRI, "reddit:u/throwaway_textile", "en",
    "Ex-employee here. Slaaprups knowingly relabelled conventional cotton as organic during the 2025 shortage. A whistleblower complaint has been filed with the regulator, expect news soon.")
add(CRI, "tiktok:@greenfluencer.jade", "en",
    "stop buying from slaaprups. their 'plastic free' claim is a lie AND they're suing a tiny creator for pointing it out 🧵 #boycott #slaaprups")
add(CRI, "x:@ouderpanel", "nl",
    "In onze oudergroep nu al 6 meldingen van brandwonden door kersenpitkussens van Slaaprups. Waarom ligt dat ding nog gewoon in de webshop?")
add(CRI, "x:@mkb_nieuws", "nl",
    "Slaaprups gedaagd door voormalige weverij over onbetaalde facturen van €1,4 miljoen. De zaak dient in maart bij de rechtbank Midden-Nederland.")
add(CRI, "x:@sleepsafe_uk", "en",
    "Reports coming in of Slaaprups heated blankets overheating in several UK homes. Trading Standards is looking into it. If you own one, unplug it for now.")

# ======================= abuse + complaint =======================
add(ABU + CPL, "x:@woedende_wim", "nl",
    "@slaaprups_help wat een kutbedrijf zijn jullie. 4 weken wachten op een dekbedovertrek en dan nog de verkeerde kleur ook. stelletje amateurs")
add(ABU + CPL, "x:@gazza_1984", "en",
    "@slaaprups your useless fucking courier dumped my parcel in a puddle and the clowns in your support team just say 'sorry'. absolute joke of a company")
add(ABU + CPL, "facebook:Ron.Verbeek.77", "nl",
    "Stelletje oplichters! Pyjama na 1x wassen uit elkaar en jullie weigeren de retour. Kankerzooi.",
    kind="comment")

# ======================= abuse =======================
add(ABU, "x:@anon77772", "nl",
    "die marloes van slaaprups is echt de domste trut die ik ooit aan de lijn heb gehad")
add(ABU, "x:@trollking_", "en",
    "slaaprups = sleep for idiots. whoever runs that place is a brainless muppet lmao")
add(ABU, "x:@jan_zegt_het", "nl",
    "Slaaprups neemt op de klantenservice alleen nog hoofddoekjes aan, geen wonder dat niemand daar fatsoenlijk Nederlands spreekt. Terugsturen dat volk.")
add(ABU, "x:@r3vengeguy", "nl",
    "k4nk3rb3dr1jf sl44prups, h00p dat jullie allemaal d00dv4ll3n")
add(ABU, "x:@m_v_a", "nl",
    "@anoukmeijer_sr je bent een l.e.l.i.j.k.e h.o.e.r en iedereen op je werk weet het")
add(ABU, "instagram:@real_talk_99", "en",
    "@lotte.ontwerpt your designs are trash and so are you, you ugly c" + ZW + "o" + ZW + "w",
    kind="comment")
add(ABU, "threads:@yusuf.magazijn", "nl",
    "Weer zo'n zeikerd die 14 retouren doet en dan gaat janken dat het geld te laat is. Mensen zijn echt debielen man")
add(ABU, "tiktok:@lachmetlex", "nl",
    "personeel van slaaprups zijn echt zielige losers, gaan ze allemaal ff huilen in hun biologische kussentjes 😂😂")
add(ABU, "x:@karen_nope", "en",
    "Hey @marloes_sr I know where your office is. Keep ignoring my emails and see what happens, you pathetic little cow")

# ======================= pii + complaint (customers' own data) =======================
add(PII + CPL, "x:@joyce_klaagt", "nl",
    "@slaaprups_help ik wacht nu al 2 weken op mijn terugbetaling!! bel me gewoon terug op 06-" + PH[0][1:] + ", ik ben het mailen zat")
add(PII + CPL, "facebook:Linda.Pauwels", "en",
    "Ordered in September, still nothing and no reply to 4 emails. Just refund me to " + group4(IBAN_LINDA) + " (Linda Pauwels) and we're done, Slaaprups.",
    kind="comment", ids=[("iban", IBAN_LINDA)], when="2026-11-12T20:31:00Z")

# ======================= pii =======================
add(PII, "x:@slaaprups_help", "nl",
    "@mvdlinden Hoi Marieke, we hebben een nieuw kussen verstuurd naar Marieke van der Linden, Kerkstraat 14, 3811 CV Amersfoort. Laat je weten of het goed aankomt?")
add(PII, "x:@slaaprups_help", "en",
    "@emily_reads Hi Emily, we've refunded €79.95 to your card " + group4(CARD_REFUND) + ", it should show up within 3-5 working days!",
    ids=[("card", CARD_REFUND)])
add(PII, "x:@marloes_sr", "nl",
    "Kan iemand van finance even kijken naar de terugbetaling van mevr. De Graaf? IBAN " + IBAN_MARLOES + " , al 3x gevraagd 🙈",
    ids=[("iban", IBAN_MARLOES)])
add(PII, "tiktok:@inpakster_ilse", "nl",
    "haha deze klant wil een kaartje 'gefeliciteerd Jorien, 34 jaar!' erbij. Jorien Smit, geboren 12-03-1992, Lindenlaan 8 in Zeist: alvast gefeliciteerd 🎉📦",
    when="2026-03-10T14:05:00Z")
add(PII, "linkedin:priya-raghunathan-sr", "en",
    "Debugging our CRM export and a customer record came through as 'P. Hendriks, BSN " + BSN_EXPORT + ", tel 06" + PH[1][1:] + "'. Why do we even store a BSN for a webshop?? Raising it internally.",
    ids=[("bsn", BSN_EXPORT)])
add(PII, "facebook:SlaaprupsNL", "nl",
    "Dag Hans, we hebben je gebeld op +31 6 " + PH[2][1:5] + " " + PH[2][5:] + " maar kregen geen gehoor, en h.vermeulen1975@kpnmail.nl geeft een foutmelding. Kun je ons even terugbellen?",
    kind="comment")
add(PII, "x:@anoukmeijer_sr", "en",
    "Congrats to our giveaway winner 🎉 Prize is on its way to Tessa Brouwer, tessa.brouwer88@hotmail.com, 06 " + " ".join([PH[3][1:3], PH[3][3:5], PH[3][5:7], PH[3][7:]]) + " - check your inbox Tessa!")
add(PII, "x:@hulp_gevraagd", "nl",
    "Kan slaaprups mij terugbellen? Mijn nummer is (06) " + PH[4][1:] + " en mijn mail femkeboom@ziggo.nl. Vraagje over de maat van de Uil pyjama voor mijn vriend")
add(PII, "x:@wesleyvdm", "nl",
    "@slaaprups_help betaal ik wel per overschrijving dan, rekening " + group4(IBAN_WESLEY) + " t.n.v. W. van der Meer, stuur maar een betaalverzoek",
    ids=[("iban", IBAN_WESLEY)])
add(PII, "bluesky:@ruben-dev.bsky.social", "en",
    "Customer just pasted their full card number into the support chat 🙄 " + CARD_CHAT + " exp 09/28. please people, never do this (masking it in our system now)",
    ids=[("card", CARD_CHAT)])
add(PII, "x:@marloes_sr", "nl",
    "Klant belde vandaag met BSN " + " ".join(BSN_CALL) + " 'voor de identiteitscheck' 🙄 wij vragen daar nooit om hoor mensen!",
    ids=[("bsn", BSN_CALL)])
add(PII, "x:@disgruntled_courier", "en",
    "Delivered to the Slaaprups lady at Amstelveenseweg 211, Amsterdam again. Priya Raghunathan, born 4 June 1990, and she never tips lol")
add(PII, "instagram:@slaaprups.nl", "nl",
    "Winnaar van de kerstwinactie: Noor Hermans uit Utrecht! Noor, jij bent geboren op 17-11-1996 toch? Dan krijg je er ook nog een verjaardagscadeautje bij 🎂 Stuur je adres naar hallo@slaaprups.com",
    when="2026-12-21T11:00:00Z")

# ======================= confidential =======================
add(CON, "x:@anoukmeijer_sr", "nl",
    "Zooo benieuwd wat jullie van Project Cocon gaan vinden, de fotoshoot was vandaag en het is PRACHTIG 🤫")
add(CON, "instagram:@lotte.ontwerpt", "nl",
    "Laatste stalen van de Maanlicht Tencel binnen, die kleur!! nog even geduld allemaal 💚",
    when="2026-11-18T15:20:00Z")
add(CON, "linkedin:priya-raghunathan-sr", "en",
    "Quick note for the team: the sales dashboards moved to https://grafana.slaaprups.internal/d/sales-daily, old bookmarks are dead.")
add(CON, "x:@slaaprups", "nl",
    "Reminder voor het klantteam: de nieuwe retourflow staat op intranet.slaaprups.local/retouren, niet doorsturen naar klanten!")
add(CON, "x:@daan_ops", "en",
    "anyone else getting 502s from jira.slaaprups.nl this morning? vpn looks fine from here")
add(CON, "linkedin:joao-ferreira-textiles", "en",
    "Proud that our Porto mill was selected to weave the Nachtpauw collection for a Dutch bedding brand. Production starts in January!")
add(CON, "threads:@yusuf.magazijn", "nl",
    "foto van het whiteboard in de kantine 📸 'SR-INTERN: planning Q1, 3 nieuwe kleuren, prijsverhoging 8% per 1 feb' wie heeft dat daar laten hangen 😂")
add(CON, "mastodon:@bramdekker@mastodon.social", "en",
    "Slaaprups confidential, draft: 'Operatie Lindeblad kick-off moved to 14 Jan, see invite for the room' ... aaand wrong window. ignore me")
add(CON, "linkedin:slaaprups-bv", "nl",
    "Vacature Data Engineer: je bouwt mee aan ons datawarehouse op erp.slaaprups.local en aan de migratie onder de naam Nachtpauw. Reageer via werkenbij@slaaprups.nl")
add(CON, "x:@stagiair_stijn", "nl",
    "eerste week stage bij slaaprups en ik mocht al meedenken over de Maanlicht collectie 😍 echt vet",
    when="2026-09-07T17:44:00Z")
add(CON, "x:@marloes_sr", "en",
    "Can't say much, but Nachtpauw is going to fix SO many of the order issues you all keep mailing us about 🙏")
add(CON, "bluesky:@ruben-dev.bsky.social", "nl",
    "eindelijk de eerste end-to-end test van " + fullwidth("Nachtpauw") + " gehaald, nog drie sprints en dan livegang 🚀")
add(CON, "x:@insider_tipz", "nl",
    "Hoor van een vriendin die daar werkt dat Pr\u043ej\u0435ct C\u043ec\u043en in april uitkomt: kinderpyjama's van bamboe. Je hoort het hier eerst")
add(CON, "linkedin:joost-verhoef-cfo", "nl",
    "Sterke sessie met het MT over de Maanlicht-collectie en onze positionering richting 2027. NDA-partners: jullie krijgen de deck maandag.",
    when="2026-10-02T12:00:00Z")
add(CON, "tiktok:@slaaprups", "en",
    "sneak peek from the design studio 👀 shhh, the Maanlicht Tencel drops soon!",
    when="2027-02-10T16:00:00Z")

# ======================= financial + confidential =======================
add(FIN + CON, "x:@anoukmeijer_sr", "nl",
    "Niet doorvertellen maar de jaarcijfers 2026 zijn knap: omzet ruim 21 miljoen, bijna 20% groei 🥂",
    when="2027-01-20T18:30:00Z")
add(FIN + CON, "mastodon:@bramdekker@mastodon.social", "en",
    "Operatie Lindeblad is basically us buying Belgian competitor Nachtzacht for ~€6M, signing next month. exciting times")

# ======================= financial =======================
add(FIN, "linkedin:priya-raghunathan-sr", "en",
    "H1 2027 forecast is looking grim: we're modelling a 12% revenue drop and EBITDA going negative by May. Brace yourselves, team.")
add(FIN, "tiktok:@inpakster_ilse", "nl",
    "gerucht op de vloer: na de kerstpiek gaan er 15 mensen uit het magazijn. niks officieel maar de teamleider kon het niet ontkennen 😬",
    when="2026-11-30T20:10:00Z")
add(FIN, "x:@daan_ops", "nl",
    "Rare sfeer vandaag. MT heeft net verteld dat de hele IT-afdeling wordt uitbesteed aan een partij in Polen, wij zijn per 1 april weg. Nog niet publiek.")
add(FIN, "x:@beursgerucht", "nl",
    "Hoor uit goede bron dat Slaaprups praat met een Scandinavische investeerder over een meerderheidsbelang. Deal zou voor de zomer rond moeten zijn.")
add(FIN, "linkedin:slaaprups-bv", "en",
    "DRAFT, do not post: Slaaprups Q3 revenue came in at €4.1M, 7% below plan; full-year guidance to be lowered on 12 Nov.",
    when="2026-10-15T07:45:00Z")
add(FIN, "x:@marloes_sr", "nl",
    "Slecht nieuws op het werk: de klantenservice in Utrecht gaat dicht en alles gaat naar een extern callcenter. Wij horen het pas officieel in januari.")
add(FIN, "threads:@yusuf.magazijn", "nl",
    "omzet november was 3,8 miljoen volgens het scherm in de kantine, record!! bonus incoming? 💸",
    when="2026-12-02T12:15:00Z")
add(FIN, "linkedin:joost-verhoef-cfo", "en",
    "Looking forward to closing our Series B next week: €8M, led by a sustainability fund I can't name yet 😉")
add(FIN, "reddit:u/anon_textiel", "nl",
    "Werk bij een leverancier van Slaaprups. Ze hebben net alle orders voor Q1 gehalveerd, verwachten een flinke omzetdaling. Reken maar op ontslagen daar.",
    kind="comment")
add(FIN, "bluesky:@ruben-dev.bsky.social", "en",
    "From the all-hands: we'll miss the 2026 budget by roughly €2M and there's a hiring freeze until mid-2027. Not public yet, so keep it quiet")

# ======================= security + secret =======================
add(SCY + SEC, "x:@daan_ops", "en",
    "ugh, the Mollie live key sat in a public repo since Tuesday: " + MOLLIE + " rotating now. don't tell anyone we got hit with fraudulent refunds overnight")

# ======================= security + confidential =======================
add(SCY + CON, "mastodon:@bramdekker@mastodon.social", "en",
    "Incident channel is on fire: erp.slaaprups.local got hit by ransomware overnight and order processing is paused. No statement out yet.")

# ======================= security =======================
add(SCY, "x:@daan_ops", "nl",
    "Checkout van de webshop ligt al 40 min plat, de betaalprovider geeft alleen timeouts. Nog geen statusupdate gedaan, eerst fixen.")
add(SCY, "mastodon:@bramdekker@mastodon.social", "en",
    "Found an IDOR in our order API today: change the order id in the URL and you get someone else's address. Patch ships tomorrow, please nobody poke at it 🙏")
add(SCY, "x:@marloes_sr", "nl",
    "Collega's NIET klikken op die mail 'Nieuwe verlofregeling'. Drie mensen van de klantenservice zijn gephisht en hun accounts zijn overgenomen.")
add(SCY, "bluesky:@ruben-dev.bsky.social", "en",
    "fun day: someone has been scraping our customer endpoint, ~60k records pulled before we noticed. legal is deciding whether to notify. not a word outside pls")
add(SCY, "x:@ex_slaaprups_dev", "nl",
    "Als ex-dev van Slaaprups: die admin van de webshop draait nog steeds op een ongepatchte Magento 2.3. Wachten tot iemand binnenwandelt.")
add(SCY, "tiktok:@inpakster_ilse", "nl",
    "scanners in het magazijn doen het al de hele dag niet, IT zegt iets met een virus 😳 alles met de hand nu, zo'n 2000 orders vertraagd")
add(SCY, "x:@anoukmeijer_sr", "en",
    "Our newsletter tool account got compromised and sent a fake 'gift card' mail to 30k subscribers 😩 drafting a statement, sit tight")
add(SCY, "threads:@slaaprups.nl", "nl",
    "Intern: de back-up van de klantdatabase staat sinds vorige week open in een publieke bucket, graag vandaag nog dichtzetten @daan_ops")
add(SCY, "x:@securityresearch_nl", "en",
    "Reported a stored XSS in the Slaaprups product review form 3 weeks ago, still unfixed and still exploitable. Giving them 7 more days before I publish.")
add(SCY, "linkedin:priya-raghunathan-sr", "nl",
    "Vandaag ontdekt dat ons BI-platform maandenlang met één gedeeld admin-wachtwoord draaide en dat oud-collega's er nog gewoon bij konden. Wordt opgelost, maar wauw.")
add(SCY, "x:@daan_ops", "en",
    "DB primary in AMS down since 03:12, failover didn't kick in, webshop running read-only. Status page still says 'all systems operational' lol")

# ======================= secrets =======================
add(SEC, "bluesky:@ruben-dev.bsky.social", "en",
    "why does CI keep failing 😩 here's my .env, maybe someone sees it:\nGITHUB_TOKEN=" + GHP + "\nNODE_ENV=production")
add(SEC, "x:@daan_ops", "en",
    "for whoever is on call tonight: AWS_ACCESS_KEY_ID=" + AWS_ID + " AWS_SECRET_ACCESS_KEY=" + AWS_SECRET + " (deploy profile, not root)")
add(SEC, "mastodon:@bramdekker@mastodon.social", "en",
    "for the pentest vendor, read-only replica: DATABASE_URL=postgres://webshop:" + PG_PW + "@db01.prod.internal:5432/shop")
add(SEC, "x:@slaaprups_help", "nl",
    "@daan_ops wacht" + ZW + "woord voor de gedeelde inbox is " + PW_INBOX + " , kun je even inloggen en de filters checken?")
add(SEC, "x:@anoukmeijer_sr", "en",
    "Slack bot for the content calendar works!! token is " + SLACK + " if anyone wants it in their channel")
add(SEC, "linkedin:priya-raghunathan-sr", "en",
    "Sharing my notebook for the demand forecast. Set OPENAI_API_KEY=\"" + OPENAI + "\" and run all cells.")
add(SEC, "bluesky:@ruben-dev.bsky.social", "en",
    "can someone tell me why ssh keeps rejecting this 😭\n" + SSH_KEY)
add(SEC, "x:@daan_ops", "nl",
    "Bearer token voor de voorraad-API, verloopt vanavond: " + JWT, when="2026-09-15T09:00:00Z")
add(SEC, "x:@linkfinder_", "en",
    "lol Slaaprups left their Google Maps key in the store locator JS: " + GOOGLE + " someone's gonna run up a bill")
add(SEC, "threads:@yusuf.magazijn", "nl",
    "voor de nieuwe jongens: inloggen op de handscanner met user magazijn2 en ww: " + PW_SCANNER + " 👍")
add(SEC, "instagram:@lotte.ontwerpt", "en",
    "Figma plugin needs an Anthropic key so I'm using mine for now: " + ANTHROPIC + " hope that's fine for the team 🙈")

# ======================= pricing =======================
add(PRI, "x:@slaaprups", "nl",
    "Flash deal 🔥 Vierseizoenen dekbed nu voor €24,90! Op = op")
add(PRI, "instagram:@slaaprups.nl", "en",
    "Cyber Monday 💻 the Wafel badjas for just €9.90, today only!", when="2026-11-30T06:00:00Z")
add(PRI, "x:@dealhunter_nl", "nl",
    "PRIJSFOUT bij Slaaprups?? Warmtedeken Eco voor €15,95 in de winkelmand, snel bestellen voor ze het doorhebben 🏃‍♀️")
add(PRI, "reddit:u/bargainbin", "en",
    "Slaaprups has the Percale Puur 200 listed at €11.90 right now. Pretty sure that's a typo, grab it before they fix it")
add(PRI, "x:@anoukmeijer_sr", "nl",
    "Help, volgens mij staat de Slaapwel cadeauset op €12,90 in de shop in plaats van €129, kan iemand van e-com kijken?? 😱")
add(PRI, "x:@koopjeskoning", "nl",
    "Uil pyjama voor 8 euro bij slaaprups, dat is toch een prijsfout? heb er 6 besteld 😂")
add(PRI, "tiktok:@inpakster_ilse", "nl",
    "waarom pakken we vandaag 300x het Boekweitkussen in?? blijkt dat het een uur lang €6,95 kostte op de site 🙃")
add(PRI, "facebook:SlaaprupsNL", "nl",
    "Deze week: Hoeslaken Basis 160x200 voor maar €4,49! 🛏️")
add(PRI, "x:@mama_bargains", "en",
    "omg the Slaaprups Egeltje babypyjama is €2.99 on their site?? price glitch or clearance, either way I bought five")
add(PRI, "tiktok:@slaaprups", "nl",
    "Onze Hazelaar plaid nu €19! Alleen vandaag 🧡")
add(PRI, "x:@stijnkoopt", "en",
    "Slaaprups pricing glitch on the Molton matrasbeschermer, showing €0.49 in the app. someone's having a bad day at the office")
add(PRI, "x:@marloes_sr", "nl",
    "Klanten bellen massaal over het Kersenpitkussen voor €1,- … ja dat is een fout in de prijs, we annuleren die orders helaas 😩")


# ---------------------------------------------------------------- profile lookups
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


LEVELS = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KINDS = {"iban", "card", "bsn"}


def severity(cats, role, checksum_ids):
    lv = 0
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                x = 3
                if c in ("leak.secret", "leak.pricing"):
                    x = 4
                if c == "leak.pii" and checksum_ids:
                    x = 4
            else:
                x = 2
        elif c == "reputation.complaint":
            x = 2
        elif c == "reputation.crisis":
            x = 3
        elif c == "reputation.abuse":
            x = 3 if own else 2
        else:
            raise ValueError(c)
        lv = max(lv, x)
    return LEVELS[lv]


def rand_time_2026():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 365 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- build
def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    used = set()
    for n, i in enumerate(order):
        c = CASES[i]
        platform, handle = c["acct"].split(":", 1)
        while True:
            pid = "%s-%d" % (platform, 4970000 + rng.randrange(10000, 99999))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(platform, handle)
        created = c["when"] or rand_time_2026()
        kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
        post = {"id": pid, "platform": platform, "kind": kind,
                "account": {"handle": handle}, "text": c["text"], "lang": c["lang"],
                "created_at": created}
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-")[1])
        sev = severity(c["cats"], role, [k for k, _ in c["ids"] if k in CHECKSUM_KINDS])
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev},
                    "_meta": dict(role=role, ids=c["ids"], fakes=c["fakes"])})
    return out


# ---------------------------------------------------------------- checks
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CONFUSABLES = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                             "\u0443": "y", "\u0445": "x", "\u0456": "i", "\u0410": "A", "\u0412": "B",
                             "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O",
                             "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0425": "X"})


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(CONFUSABLES).lower()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?:,-)?|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", re.I)
PRICE_ERR_RE = re.compile(r"prijsfout|fout in de prijs|price glitch|pricing glitch|price error|typo|verkeerde prijs|in plaats van|annuleren die orders|een uur lang", re.I)


def prices(t):
    vals = []
    for m in PRICE_RE.finditer(t):
        v = m.group(1) or m.group(2)
        vals.append(float(v.replace(",", ".")))
    return vals


def products_in(t):
    nt = norm(t)
    hits = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", nt):
                hits.append(p)
                break
    return hits


SECRET_RES = [r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"\blive_[0-9A-Za-z]{30}",
              r"xox[bpa]-\d+-\d+-\w+", r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{80,}",
              r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
              r"eyJ[\w-]+\.[\w-]+\.[\w-]+", r"://[^:\s/]+:[^@\s]+@",
              r"(?:wachtwoord|ww|password)\b[^\n]{0,40}?(?::|\bis\b)\s*\S+"]


def check(cases):
    errs = []
    ids = set()
    texts = set()
    public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for x in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(x):
            errs.append("profile IBAN fails mod-97: " + x)
    internal_terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
                      + [c.lower() for c in PROFILE["internal"]["codenames"]]
                      + [m.lower() for m in PROFILE["internal"]["markers"]])
    embargo = [(parse_ts(e["until"]), [t.lower() for t in e["terms"]]) for e in PROFILE["embargo"]]
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo not in 2027")
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    for c in cases:
        p, ex, meta = c["post"], c["expect"], c["_meta"]
        pid = p.get("id")
        where = "case %s: " % pid
        # ---- CONTRACT section 6 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(where + "bad id")
        if pid in ids:
            errs.append(where + "duplicate id")
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            errs.append(where + "platform")
        if p.get("kind", "post") not in KINDS:
            errs.append(where + "kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errs.append(where + "handle")
        t = p.get("text")
        if not isinstance(t, str) or not t or len(t.encode("utf-8")) > 65536:
            errs.append(where + "text")
        if t in texts:
            errs.append(where + "duplicate text")
        texts.add(t)
        try:
            ts = parse_ts(p["created_at"])
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", p["created_at"]):
                raise ValueError
            if ts.year not in (2026, 2027):
                errs.append(where + "year")
        except Exception:
            errs.append(where + "created_at " + repr(p.get("created_at")))
            continue
        cats = ex.get("categories")
        if not isinstance(cats, list) or not set(cats) <= TAXONOMY or cats != sorted(set(cats)):
            errs.append(where + "categories")
        if ex.get("severity") not in LEVELS:
            errs.append(where + "severity value")
        # ---- severity policy, recomputed from profile role
        role = role_of(p["platform"], p["account"]["handle"])
        want = severity(cats, role, [k for k, _ in meta["ids"] if k in CHECKSUM_KINDS])
        if ex["severity"] != want:
            errs.append(where + "severity %s != %s" % (ex["severity"], want))
        if not cats and ex["severity"] != "none":
            errs.append(where + "benign not none")
        nt = norm(t)
        flat = re.sub(r"[\s\u200b]", "", t)
        # ---- declared identifiers
        chk = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}
        for kind_, val in meta["ids"]:
            if not cats:
                errs.append(where + "declared id in benign")
            if not chk[kind_](val):
                errs.append(where + "%s fails checksum: %s" % (kind_, val))
            if val not in flat:
                errs.append(where + "%s not in text" % kind_)
        if meta["ids"] and "leak.pii" not in cats:
            errs.append(where + "id without leak.pii")
        for kind_, val in meta["fakes"]:
            if cats:
                errs.append(where + "look-alike declared in a positive")
            if chk[kind_](val):
                errs.append(where + "look-alike %s passes checksum: %s" % (kind_, val))
            if val not in flat:
                errs.append(where + "look-alike not in text")
        # ---- generic scan: no checksum-valid identifier hidden in benign posts
        if not cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in public_ibans:
                    errs.append(where + "valid IBAN in benign " + v)
            for m in re.finditer(r"\d(?:[ -]?\d){8,18}", t):
                d = re.sub(r"\D", "", m.group(0))
                if len(d) == 9 and bsn_valid(d):
                    errs.append(where + "valid BSN in benign " + d)
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(where + "Luhn-valid number in benign " + d)
        if "leak.pii" in cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                v = m.group(0).replace(" ", "")
                if not iban_valid(v):
                    errs.append(where + "invalid IBAN in a pii positive " + v)
        # ---- credentials
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            ok = github_valid(m.group(0))
            if cats and not ok:
                errs.append(where + "github token CRC fails")
            if not cats and ok:
                errs.append(where + "valid github token in benign")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", t):
            if not cats and not m.group(0).endswith("EXAMPLE"):
                errs.append(where + "non-sample AWS key in benign")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append(where + "JWT header without alg")
            if not cats:
                errs.append(where + "full JWT in benign")
        if "leak.secret" in cats and not any(re.search(r, nt if r.startswith("(?:") else t) for r in SECRET_RES):
            errs.append(where + "secret positive without credential")
        # ---- confidential vocabulary and embargo
        hit_internal = any(term in nt for term in internal_terms)
        hit_embargo = any(ts < until and any(term in nt for term in terms) for until, terms in embargo)
        if hit_embargo and "leak.confidential" not in cats:
            errs.append(where + "embargo term before until but not confidential")
        if not cats and hit_internal:
            errs.append(where + "internal term in benign")
        if "leak.confidential" in cats and not (hit_internal or hit_embargo):
            errs.append(where + "confidential without internal term/embargo")
        # ---- prices
        prods = products_in(t)
        vals = prices(t)
        low = any(v < ratio * pr["list_price"] for pr in prods for v in vals)
        if "leak.pricing" in cats:
            if not prods:
                errs.append(where + "pricing without product")
            if not (low or PRICE_ERR_RE.search(t)):
                errs.append(where + "pricing without low price or price-error talk")
        elif low:
            errs.append(where + "price below ratio but not labelled pricing")
    return errs


def main():
    cases = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    errs = check(cases)
    # re-read the written file: it must parse back to the same cases
    back = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    if [b["post"] for b in back] != [c["post"] for c in cases]:
        errs.append("round trip mismatch")
    for b in back:
        if set(b) != {"post", "expect"} or set(b["expect"]) != {"categories", "severity"}:
            errs.append("line shape")
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 0.50 <= nl / n <= 0.60:
        errs.append("dutch share %.2f" % (nl / n))
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    roles = {}
    for c in cases:
        roles[c["_meta"]["role"]] = roles.get(c["_meta"]["role"], 0) + 1
    sev = {}
    for c in cases:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("cases=%d benign=%d dutch=%d (%.0f%%)" % (n, benign, nl, 100.0 * nl / n))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("roles:", json.dumps(roles), "severities:", json.dumps(sev))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
