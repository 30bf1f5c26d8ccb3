#!/usr/bin/env python3
"""Build the sealed437 evaluation set for postwatch (Gloedhuis Burgers B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it (CONTRACT section 6 shape, checksums of identifiers, secret
formats, embargo / internal-term consistency, pricing ratios, the mix). Severities are
computed from the categories and the account role taken from profile.yaml (CONTRACT 4).
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
SEED = 437
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- accounts / roles
ROLE = {}
for _role in ("corporate", "employee"):
    for _a in PROFILE["accounts"][_role]:
        ROLE[_a.lower()] = _role


def acct(s):
    assert s.lower() in ROLE, "not a profile account: " + s
    return s


def pub(s):
    assert s.lower() not in ROLE, "public author is in the profile: " + s
    return s


def split_author(a):
    platform, handle = a.split(":", 1)
    return platform, handle


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


# corporate
GH = acct("x:@gloedhuis")
HELP = acct("x:@gloedhuis_help")
IG = acct("instagram:@gloedhuisburgers")
TT = acct("tiktok:@gloedhuis")
FB = acct("facebook:GloedhuisBurgers")
LI = acct("linkedin:gloedhuis-burgers")
TH = acct("threads:@gloedhuisburgers")
YT = acct("youtube:@GloedhuisTV")
# employees
LOTTE = acct("x:@lotte_gloedhuis")
BRAM = acct("x:@bramvdlinden")
JEROEN = acct("x:@jeroen_ops_gh")
MO = acct("instagram:@chef.mo.gloed")
SANNE = acct("instagram:@sanne.franchise")
ANOUK = acct("linkedin:anouk-verhoeven-gloedhuis")
DAAN = acct("linkedin:daan-kuipers-it")
KIM = acct("tiktok:@crewkim_gh")
RUBEN = acct("bluesky:@ruben-dev.bsky.social")
YARA = acct("mastodon:@yara_b@mastodon.nl")
SHIFT = acct("reddit:u/gh_shiftlead")

# ---------------------------------------------------------------- identifiers
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rchoice(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rchoice(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_valid(tok):
    body = tok[4:34]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())) == tok[34:]


def gh_token_badcrc():
    tok = gh_token()
    while True:
        bad = tok[:34] + rchoice(B62, 6)
        if not gh_valid(bad):
            return bad


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def make_jwt():
    header = {"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}
    iat = 1767225600 + rng.randrange(0, 31_000_000)
    payload = {"sub": "svc-gloedpas-" + rchoice(string.digits, 5), "iss": "gloedpas-api",
               "scope": "points:write orders:read", "iat": iat, "exp": iat + 3600}
    sig_len = 32 if header["alg"] == "HS256" else 256
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(rbytes(sig_len))])


def make_pem():
    body = "MIIEowIBAAKCAQEA" + base64.b64encode(rbytes(1180)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_password():
    words = ["Grill", "Patty", "Vuur", "Smash", "Kassa", "Friet", "Burger"]
    return rng.choice(words) + rchoice(string.digits, 3) + rng.choice("!#$%&*") + rchoice(string.ascii_lowercase, 3)


IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) < 4 or IBAN_LEN.get(s[:2]) != len(s):
        return False
    n = int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4]))
    return n % 97 == 1


def make_iban(cc="NL"):
    if cc == "NL":
        bban = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB"]) + rchoice(string.digits, 10)
    elif cc == "BE":
        ten = str(rng.randrange(10 ** 9, 10 ** 10))
        chk = int(ten) % 97 or 97
        bban = ten + "%02d" % chk
    else:
        bban = rchoice(string.digits, 18)
    return cc + iban_check(cc, bban) + bban


def bad_iban(cc="NL"):
    s = make_iban(cc)
    d = int(s[-1])
    return s[:-1] + str((d + rng.randrange(1, 10)) % 10)


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    digits = [int(ch) for ch in num][::-1]
    total = 0
    for i, d in enumerate(digits):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(first="4"):
    body = first + rchoice(string.digits, 15 - len(first))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(first="4"):
    c = make_card(first)
    return c[:-1] + str((int(c[-1]) + rng.randrange(1, 10)) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


def make_bsn():
    while True:
        eight = str(rng.randrange(1, 10)) + rchoice(string.digits, 7)
        last = sum(int(eight[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            return eight + str(last)


def bad_bsn():
    s = make_bsn()
    return s[:-1] + str((int(s[-1]) + rng.randrange(1, 10)) % 10)


GEN = {
    "GHP": lambda: gh_token("ghp_"),
    "GHS": lambda: gh_token("ghs_"),
    "GHP_BADCRC": gh_token_badcrc,
    "AWS_ID": lambda: "AKIA" + rchoice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "AWS_SECRET": lambda: rchoice(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rchoice(ALNUM, 96),
    "WHSEC": lambda: "whsec_" + rchoice(ALNUM, 32),
    "SLACK": lambda: "xoxb-" + rchoice(string.digits, 12) + "-" + rchoice(string.digits, 13) + "-" + rchoice(ALNUM, 24),
    "OPENAI": lambda: "sk-proj-" + rchoice(ALNUM + "_-", 74) + "T3BlbkFJ" + rchoice(ALNUM + "_-", 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rchoice(ALNUM + "_-", 93) + "AA",
    "GOOGLE": lambda: "AIza" + rchoice(ALNUM + "_-", 35),
    "GLPAT": lambda: "glpat-" + rchoice(ALNUM + "_-", 20),
    "JWT": make_jwt,
    "PEM": make_pem,
    "PGPASS": lambda: rchoice(ALNUM, 18),
    "PW": make_password,
    "IBAN_NL": lambda: make_iban("NL"),
    "IBAN_NL_SP": lambda: spaced4(make_iban("NL")),
    "IBAN_BE_SP": lambda: spaced4(make_iban("BE")),
    "IBAN_DE": lambda: make_iban("DE"),
    "IBAN_BAD_SP": lambda: spaced4(bad_iban("NL")),
    "CARD_SP": lambda: spaced4(make_card("4")),
    "CARD_MC_DASH": lambda: "-".join(spaced4(make_card(rng.choice(["51", "52", "53", "54", "55"]))).split()),
    "CARD_PLAIN": lambda: make_card("4"),
    "CARD_BAD_SP": lambda: spaced4(bad_card("4")),
    "BSN": make_bsn,
    "BSN_DOT": lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(make_bsn()),
    "BSN_BAD": bad_bsn,
}


def fill(text):
    return re.sub(r"<<([A-Z_]+)>>", lambda m: GEN[m.group(1)](), text)


# ---------------------------------------------------------------- evasion helpers
def fw(s):
    """full-width letters"""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


ZW = "\u200b"
CYR = {"a": "\u0430", "o": "\u043e", "c": "\u0441", "e": "\u0435", "p": "\u0440"}


def cyr(s, letters="aoce"):
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


# ---------------------------------------------------------------- the cases
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
RAW = []


def c(cats, author, text, lang, when=None, kind=None, price=None):
    RAW.append(dict(cats=[CAT[x] for x in cats.split()], author=author, text=text,
                    lang=lang, when=when, kind=kind, price=price))


# ===== leak.secret (12) =====
c("S", JEROEN, "@ruben-dev kun je even checken of deze werkt voor de menu-repo? <<GHP>> pipeline faalt nog steeds op stap 3 en ik word er gek van", "nl")
c("S", DAAN, "Finally moved the GloedPas exports off the old server. For whoever picks up the cron tomorrow:\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion eu-west-1. Ping me if it breaks.", "en")
c("S", RUBEN, "2am debugging the loyalty API. token keeps getting rejected, anyone spot what's off? <<JWT>>", "en")
c("S", pub("reddit:u/apkpoker"), "Decompiled the Gloedhuis Android app out of boredom. Their Slack bot token is just sitting in strings.xml: <<SLACK>> ... someone tell them", "en")
c("S", YARA, "anyone know why nginx refuses this key? keeps saying 'no start line' 🤔\n<<PEM>>", "en")
c("S", BRAM, "staging doet raar, heb dit in de .env gezet maar nog steeds timeouts\nDATABASE_URL=postgres://gloedpas_app:<<PGPASS>>@10.20.4.12:5432/loyalty", "nl")
c("S", KIM, "voor de nachtploeg: inlog kantine-pc is nu gebruiker crew / wachtwoord: <<PW>> (manager heeft t weer veranderd 🙄)", "nl")
c("S", SANNE, "New franchise finder on the site works!! 🎉 for the devs who still have to wire it in: <<GOOGLE>>", "en")
c("S", LOTTE, "De AI-koppeling voor onze reacties draait 🙌 dankjewel IT! (OPENAI_API_KEY=<<OPENAI>> staat nu in het gedeelde doc)", "nl")
c("S", pub("forum:ex_crew_devops"), "Oud-medewerker hier. Mijn gitlab token van Gloedhuis werkt na 4 maanden nog steeds: <<GLPAT>> Offboarding is daar een lachertje.", "nl")
c("S", TH, "test post pls ignore — webhook secret for the POS integration: <<WHSEC>>", "en")
c("S", ANOUK, "Quick one for the finance automation group: the invoice bot uses <<STRIPE>> for refunds now, and the summariser runs on <<ANTHROPIC>>. Don't share outside the team!", "en")

# ===== leak.pii (14, two also complaints) =====
c("P", HELP, "@marieke_w we hebben je bestelling gevonden: Marieke de Wit, Lindelaan 14, 3521 AB Utrecht, tel 06-41827365. Klopt dat adres nog?", "nl")
c("P", KIM, "klant liet vanavond z'n creditcard liggen 🙈 <<CARD_SP>> op naam van J. Hoekstra, ligt bij de kassa als iemand hem kent", "nl")
c("P", ANOUK, "Vergoeding voor onze mystery shopper Kees Brouwer blijft hangen. Kan iemand bevestigen dat <<IBAN_NL_SP>> nog zijn rekening is?", "nl")
c("P", BRAM, "nieuwe collega Tim van Rijn begint maandag, HR mist alleen nog zijn BSN: <<BSN>> — klopt die Tim? dan stuur ik hem door", "nl")
c("P CO", pub("x:@jessiekr92"), "@gloedhuis_help al 3 weken mijn punten kwijt!!! mail me op jessie.kramer92@gmail.com of bel 0687654321, ik ben het zat", "nl")
c("P", pub("facebook:Ria.Dijkman.71"), "Gevonden bij Gloedhuis Amersfoort: portemonnee van Henk Blom, geboren 12-03-1961, woont Kastanjelaan 3 in Leusden. Wie kent hem? Delen!", "nl")
c("P", pub("forum:Snackfanaat"), "Iemand ervaring met betalen via de GloedPas? Wil mijn creditcard <<CARD_MC_DASH>> exp 09/28 koppelen, moet de cvc dan ook ergens in?", "nl")
c("P", MO, "Happy birthday to our legend Fatma Yilmaz 🎂 born 04-07-1988 and still the fastest on the grill at Gloedhuis Rotterdam Zuid!", "en")
c("P", FB, "En de winnaar van onze kleurplaatactie is... Noah Peeters (8), Dorpsstraat 21, 6711 KL Ede! Gefeliciteerd Noah, je prijs komt eraan 🎉", "nl")
c("P", JEROEN, "lost & found at Utrecht CS branch: someone left their phone, lock screen says 'if found call +31 6 2847 1933 (Priya)'. no answer yet", "en")
c("P", YARA, "customer a.benali@hotmail.com keeps flooding the team with emails about his discount, can someone block that address in the ticket system?", "en")
c("P", DAAN, "Sample row from the GloedPas export for the data team to sanity-check: Sophie Mulder | s.mulder84@ziggo.nl | born 1984-11-02 | Gold tier", "en")
c("P CO", pub("bluesky:@rkoster.bsky.social"), "@gloedhuis refund van 2 weken geleden nog steeds niet binnen. Voor de 3e keer mijn rekening: <<IBAN_NL>> t.n.v. R. Koster", "nl")
c("P", SHIFT, "loonstrook van een collega lag gewoon in de printer op kantoor, naam Ilse Vos en BSN <<BSN_DOT>> erop. wie laat zoiets liggen man", "nl")

# ===== leak.pricing (12) =====
c("PR", GH, "🔥 Alleen vandaag: de Vuurtoren Burger voor maar €3,50 in al onze restaurants!", "nl", price=("Vuurtoren Burger", 3.50))
c("PR", IG, "Familiebox nu €12,95 in de app 😱 op = op!", "nl", price=("Familiebox", 12.95))
c("PR", LOTTE, "@bramvdlinden GloedPas Plus staat in de app op €5,90 per jaar ipv €59, wie zit er vandaag op de prijzen?? 😬", "nl", price=("GloedPas Plus", 5.90))
c("PR", KIM, "prijsfout op de kassa bij ons: Dubbele Gloed wordt afgerekend voor 1,19 😂 snel komen voordat de manager het doorheeft", "nl", price=("Dubbele Gloed", 1.19))
c("PR", pub("reddit:u/fryguy_ams"), "PSA: the Gloedhuis app is charging €0.99 for the Bacon Bonfire right now. Glitch obviously, go go go", "en", price=("Bacon Bonfire", 0.99))
c("PR", pub("x:@dealjager_nl"), "gift card 50 for €15 on their own webshop?? thanks for the mistake 🤑🤑 #gloedhuis", "en", price=("gift card 50", 15.0))
c("PR", pub("forum:hr_events_marloes"), "Net de Gloed Foodtruck voor ons bedrijfsfeest (50 man) geboekt voor €195 all-in. Volgens mij een prijsfout, maar de bevestiging is binnen dus ik hou ze eraan.", "nl", price=("Gloed Foodtruck", 195.0))
c("PR", SANNE, "Heads up franchisees: this morning's POS update pushed the Truffel Smash at €4.95 to every store. Please override manually until HQ fixes it.", "en", price=("Truffel Smash", 4.95))
c("PR", TH, "Zeezout Shake voor €1,- 🥤 alleen vandaag, alleen in de app", "nl", price=("Zeezout Shake", 1.00))
c("PR", pub("tiktok:@snackbro.rotterdam"), "bro the Gloedhuis hoodie is €9 on their webshop, pricing error for sure, ordered four 💀", "en", price=("Gloedhuis hoodie", 9.0))
c("PR", BRAM, "Heeft iemand de prijsfout bij de Smokey Boer al doorgegeven? Staat sinds vanochtend verkeerd in de bezorg-app en de bestellingen stromen binnen", "nl")
c("PR", pub("mastodon:@wimbo@mastodon.social"), "Kip Karamba for 2.10 through the Gloedhuis delivery integration. Looks like a mistake but I'm not complaining 😋", "en", price=("Kip Karamba", 2.10))

# ===== leak.confidential (17, two also financial) =====
c("C", LOTTE, "Project Sintel gaat echt alles veranderen voor de drive-thru, kan niet wachten tot jullie het zien 👀", "nl")
c("C", ANOUK, "Great kick-off for Operatie Rookpluim with the franchise board today. Exciting months ahead!", "en")
c("C", MO, "tasting session for the Truffel Inferno today 🔥🍄 still secret but this is THE one", "en")
c("C", RUBEN, "GloedPas 4.0 beta just hit internal TestFlight and the new wallet feature is 🔥 can't wait for you all to get it", "en")
c("C", JEROEN, "wie kan er bij https://wiki.gloedhuis.local/ops/runbooks/kassa-failover ? link werkt niet vanaf thuis", "nl")
c("C", LI, "GH-INTERN: concept wintermenukaart, nog niet definitief — niet verspreiden", "nl")
c("C", pub("reddit:u/leakwatcher_eu"), "Someone posted a slide deck stamped 'strikt vertrouwelijk gloedhuis' in a Discord. Shows a plant-based chicken line launching next spring.", "en")
c("C", KIM, "vandaag training gehad over Blauwe Vlam, de nieuwe grill. mag er nog niks over zeggen 🤐 maar omg", "nl")
c("C", BRAM, fw("project sintel") + " loopt weer 3 weken uit, typisch", "nl")
c("C", SHIFT, "Operatie Roo" + ZW + "kpluim betekent dus gewoon nieuwe uniformen? Had iets spannenders verwacht lol", "nl")
c("C", YARA, "review pls: https://git.gloedhuis.dev/loyalty/gloedpas-api/-/merge_requests/412 (points migration, needs to go in before friday)", "en")
c("C", pub("x:@burgerbaas_023"), "My cousin works at Gloedhuis and says the Truffel Inferno drops in January. Can't wait", "en")
c("C", TT, "intern: Project Sintel teaser v3 - NIET POSTEN tot akkoord marketing", "nl")
c("C", SANNE, "Printing the new franchise handbook today, every page stamped 'internal use only - gloedhuis' 😅 chapter 4 on the new kitchen workflow is a must-read for partners", "en")
c("C", DAAN, cyr("Blauwe Vlam", "a") + " pilot in Breda passed all checks this week. Proud of the team, more soon!", "en")
c("C F", ANOUK, "Jaarcijfers 2026 zijn binnen en ze zijn beter dan verwacht: EBITDA +18%. Persbericht pas op 3 maart, dus tot die tijd mondje dicht 🤫", "nl", when="2027-02-20T16:42:00Z")
c("C F", YARA, "Operatie Rookpluim = wij nemen 14 franchisefilialen terug, deal wordt volgende week getekend. Niemand weet het nog buiten het MT.", "nl")

# ===== leak.financial (10 + 2 above) =====
c("F", ANOUK, "Preliminary numbers: like-for-like sales down 7% in H2, we will miss the EBITDA guidance. Brace yourselves, team.", "en")
c("F", BRAM, "Hoor net dat we 9 filialen sluiten en er 140 mensen uit moeten. Aankondiging pas in maart. Wrang.", "nl")
c("F", pub("reddit:u/throwaway_gh_99"), "Friend at Gloedhuis HQ says they're being bought by a private equity firm, signing end of the month, nothing public yet. Remember where you heard it.", "en")
c("F", KIM, "manager zei net dat onze vestiging per 1 oktober dichtgaat 🥲 nog niet officieel dus sst", "nl")
c("F", YARA, "Board approved the takeover of BurgerBros Belgium (22 stores) last night. Press release next Tuesday. Huge for us!", "en")
c("F", LI, "CONCEPT – niet publiceren: Gloedhuis Burgers verwacht over 2026 een omzet van €212 mln, 9% onder de eerdere prognose.", "nl")
c("F", SANNE, "franchise fee goes from 6 to 8.5% in 2027, the franchisees only hear it next week. curious how that will land 😬", "en")
c("F", pub("x:@beurs_insider_nl"), "Hearing from the boardroom that the Gloedhuis IPO in Q2 2027 is a done deal, bank already picked. Bookmark this.", "en")
c("F", DAAN, "Our whole IT department is being outsourced to a vendor in Poland, 38 roles gone. They'll only announce it after the summer.", "en")
c("F", LOTTE, "Q3: app-omzet +41% en marge op recordhoogte 📈 (nog even niks zeggen, cijfers komen 12 november)", "nl", when="2026-10-21T08:05:00Z")

# ===== leak.security (11 + 1 with crisis) =====
c("SE", JEROEN, "r4nsomw4re op de kassaservers sinds 04:00, alle filialen alleen pinnen... communicatie komt later, niet retweeten aub", "nl")
c("SE", DAAN, "Spent the whole weekend cleaning up after someone got into our loyalty backend. ~300k GloedPas accounts possibly exposed. Not announced yet, so keep it quiet.", "en")
c("SE", RUBEN, "fun fact: the GloedPas API still lets you pull anyone's points history by just changing the id in the URL. reported it internally 3 months ago, still open 🙃", "en")
c("SE", KIM, "de bestelzuilen bij ons laten na een herstart gewoon het beheermenu zien zonder pincode lol, iedereen kan de prijzen aanpassen", "nl")
c("SE", YARA, "delivery platform has been down for 3 hours because of a DDoS, no status update out yet, we're on it", "en")
c("SE", BRAM, "phishing mail got 4 of our area managers to enter their O365 passwords yesterday, IT is resetting everything. not official yet", "en")
c("SE", SHIFT, "PSA from a shift lead: the 'free burger' QR stickers on our tables in Utrecht were swapped by scammers, they lead to a fake GloedPas login. HQ knows, no statement yet.", "en")
c("SE", HELP, "@jeroen_ops_gh bevestigd: datalek in de bestel-API, kaartgegevens mogelijk ingezien. Wachten op legal voor de melding bij de AP.", "nl", kind="reply")
c("SE", ANOUK, "Finance systems still down after last night's intrusion. Payroll will be late this month, don't ask me why yet 🙃", "en")
c("SE", MO, "walk-in fridge sensors hacked?? dashboard shows 40 degrees everywhere and IT says someone was inside the system. don't spread this", "en")
c("SE", LOTTE, "app ligt eruit en niemand weet hoelang nog, volgens de engineers een kapotte databasemigratie. Officieel noemen we het 'gepland onderhoud' 🤫", "nl")
c("SE CR", pub("forum:Gerrit_Kl"), "Mijn vriend werkt bij Gloedhuis IT: de complete GloedPas database is vorige week gestolen en ze houden het gewoon stil. Schandalig!", "nl")

# ===== reputation.crisis (5 first-hand with complaint, 9 crisis only) =====
c("CR CO", pub("x:@tess_arnhem"), "Gisteren Kip Karamba gegeten bij Gloedhuis Arnhem en de hele nacht kotsend op de wc gelegen. Voedselvergiftiging volgens de huisarts. Nooit meer.", "nl")
c("CR CO", pub("instagram:@mama.of.two.nl"), "Found a piece of hard blue plastic in my Dubbele Gloed. My son almost choked on it. @gloedhuisburgers explain this!!", "en")
c("CR CO", pub("facebook:Sandra.Mertens.Tilburg"), "Mijn dochter (notenallergie) kreeg een heftige allergische reactie van de Veggie Vonk, terwijl de medewerker zéker wist dat er geen noten in zaten. Met spoed naar de SEH. Ik ben woedend.", "nl")
c("CR CO", pub("reddit:u/legburn_2026"), "Gloedhuis drive-thru cup lid popped off and the 'lukewarm' hot chocolate gave me second degree burns on my thigh. Staff just shrugged.", "en")
c("CR CO", pub("tiktok:@lisa.kookt"), "die fles Vuursaus uit de supermarkt ontplofte bijna, dop schoot eraf en raakte mijn oog 😳 wat zit hier in?? @gloedhuis", "nl")
c("CR", pub("x:@eerlijkloon"), "BOYCOT Gloedhuis! Ze betalen hun crew onder het minimumloon en dreigen met ontslag als je klaagt. #boycotgloedhuis", "nl")
c("CR", pub("blog:eindhovennieuws"), "Brand in de keuken van Gloedhuis Eindhoven Centrum vannacht; twee medewerkers behandeld voor rookinhalatie. Het restaurant blijft voorlopig dicht.", "nl")
c("CR", pub("x:@foodsafety_watch"), "Gloedhuis is recalling Vuursaus bottles from batch 2611 over possible glass fragments. Check your fridge and don't use it.", "en")
c("CR", pub("reddit:u/hollandsspoor"), "Someone filmed a rat in the kitchen of Gloedhuis Den Haag HS, the video is all over TikTok. Disgusting, and the place is still open.", "en")
c("CR", pub("linkedin:ingrid-smit-arbeidsrecht"), "Former crew members are filing a class action against Gloedhuis Burgers over years of unpaid overtime. We represent 60+ claimants.", "en")
c("CR", pub("mastodon:@privacyfreak@mastodon.nl"), "Gloedhuis verkoopt je GloedPas-data gewoon door aan adverteerders, verstopt in de voorwaarden. Datalek op bestelling. Verwijder die app.", "nl")
c("CR", pub("bluesky:@groningen-updates.bsky.social"), "GGD has shut Gloedhuis Groningen Vismarkt after 14 people got salmonella, local paper reports.", "en")
c("CR", pub("threads:@amsterdam.nu"), "Video laat zien hoe de portier van Gloedhuis Leidseplein twee meiden met een hoofddoek de toegang weigert. Dit moet landelijk nieuws worden.", "nl")
c("CR", pub("x:@dumpwatch_nl"), "B0YC0T G L O E D H U I S 🔥 ze lozen hun frituurvet gewoon in de sloot achter de vestiging in Zeist, foto's in de reply", "nl")

# ===== reputation.complaint (12 only + 2 with abuse) =====
c("CO", pub("x:@ruudjeNGN"), "45 min gewacht bij de drive-thru van Gloedhuis Nieuwegein en dan nog koude friet ook. Top service weer 🙄", "nl")
c("CO", pub("x:@danny_mcr"), "@gloedhuis_help ordered a Gloed Menu through the app, got a veggie burger and no drink. Third time this month.", "en")
c("CO", pub("facebook:Monique.vanDam"), "GloedPas punten van vorige week zijn nog steeds niet bijgeschreven en de klantenservice reageert nergens op. Waar betaal ik die Plus voor?", "nl")
c("CO", pub("instagram:@foodie.femke"), "die Zeezout Shake is gewoon melk met suiker, €5,50 voor dit? nee dank je", "nl", price=("Zeezout Shake", 5.50))
c("CO", pub("reddit:u/annoyed_in_leiden"), "Why does the Gloedhuis app log me out every single time I open it. Uninstalled.", "en")
c("CO", pub("tiktok:@nina.zzz"), "gloedhuis delivery guy just dumped the bag in the rain and didn't even ring. everything soggy 😤", "en")
c("CO", pub("x:@utrechtse_bert"), "Gloedhuis Utrecht CS: sticky tables, overflowing bins, toilets unusable. Shame, it used to be so tidy.", "en")
c("CO", pub("mastodon:@mk@fosstodon.org"), "Gloedhuis charged my card twice for one order and support keeps sending me the same copy-paste reply. Not impressed.", "en")
c("CO", pub("x:@hannah_vl"), "@gloedhuis_help nee het is NIET opgelost, de cadeaukaart geeft nog steeds 'ongeldig' bij de kassa", "nl")
c("CO", pub("bluesky:@pickle-hater.bsky.social"), "Asked for no pickles, got extra pickles. Every. Single. Time. Gloedhuis, please read the order screen", "en")
c("CO", pub("youtube:@jorisreviewt"), "jullie reclame zegt 'vers van de grill' maar mijn Classic Smash was lauw en het broodje oudbakken", "nl", kind="comment")
c("CO", pub("forum:GloedPasGebruiker"), "Sinds de laatste update kan ik in de GloedPas-app m'n beloningen niet meer inwisselen. Al twee weken. Wie heeft dit ook?", "nl")
c("CO A", pub("x:@boos_op_alles"), "Gloedhuis kutbedrijf, 3x verkeerde bestelling en dan nog een grote bek van de manager ook. Stelletje klootzakken.", "nl")
c("CO A", pub("tiktok:@checkout.rage"), "whoever built the Gloedhuis app is a braindead idiot, 4 crashes during checkout and the food was cold by the time it worked", "en")

# ===== reputation.abuse (10 only) =====
c("A", pub("x:@xx_haat_xx"), "@gloedhuis G.l.o.e.d.h.u.i.s = t.y.f.u.s.l.i.j.e.r.s, ga lekker dood met je burgers", "nl")
c("A", pub("x:@anon88442"), "@lotte_gloedhuis you're a useless cow, delete your account and do everyone a favour", "en")
c("A", pub("instagram:@tilburg.tokkie"), "die manager van Gloedhuis Tilburg is een vieze vuile racist en een lelijke kankerlijer", "nl", kind="comment")
c("A", pub("tiktok:@m0t0rmuis"), "k@nk3rz00i gl0edhuis, stelletje sukk3ls 🤮", "nl", kind="comment")
c("A", BRAM, "@hansie_1970 als je nog één keer zo tegen mijn crew praat kom je er niet meer in, vuile idioot", "nl")
c("A", pub("reddit:u/keyboardkoning"), "the girl at the Gloedhuis counter in Leiden is dumb as a rock, go back to school sweetie 😂", "en")
c("A", pub("facebook:Klaas.Echt"), "Gloedhuis neemt alleen nog buitenlanders aan. Ga terug naar je eigen land met je kebabburgers", "nl")
c("A", pub("x:@tiredofthis"), "Gloedhuis staff are " + cyr("fucking morons", "co") + ", every single one of them", "en")
c("A", pub("threads:@sjaak.vd"), "@gloedhuisburgers jullie zijn echt een stelletje klo" + ZW + "otzakken", "nl")
c("A", HELP, "@tim_klaagt ga lekker ergens anders zitten janken, zeikerd", "nl")

# ===== benign: secrets-like =====
c("", DAAN, "Reminder for our dev guild: never paste real keys in tickets. The AWS docs use AKIAIOSFODNN7EXAMPLE for a reason 😉", "en")
c("", RUBEN, "writing the onboarding doc for new GloedPas devs. step 3: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (your own, obviously)", "en")
c("", JEROEN, "key is geroteerd en de oude sk_live_**************** doet niks meer. Dank voor het snelle melden!", "nl")
c("", HELP, "@sem_tk Wachtwoord vergeten? Tik in de GloedPas-app op 'Inloggen' > 'Wachtwoord vergeten' en je krijgt binnen een paar minuten een resetlink.", "nl")
c("", IG, "Met code GLOED-ZOMER26 krijg je in de app een gratis upgrade naar grote friet bij elk menu ☀️", "nl")
c("", pub("reddit:u/sec_intern_lars"), "Gitleaks flagged <<GHP_BADCRC>> in my fork of a GloedPas fan project, but it's the placeholder from the README and the checksum doesn't even match. False positive, right?", "en")
c("", pub("x:@fleur_bakt"), "Zelfs in de bevestigingsmail staat 'wachtwoord: ********', netjes gedaan GloedPas 👌", "nl")

# ===== benign: personal-data-like =====
c("", HELP, "Vragen over je GloedPas? Mail klantenservice@gloedhuis.nl of bel gratis 0800-4563 (ma t/m zo 9-21 uur).", "nl")
c("", pub("x:@opa_gerard"), "Tip: bel gewoon +31 30 799 4410, binnen 5 minuten was mijn cadeaukaart vervangen. Prima geholpen!", "nl")
c("", FB, "⚠️ Phishing: er gaan sms'jes rond die vragen om een 'GloedPas-boete' over te maken naar <<IBAN_BAD_SP>>. Dat zijn wij niet! Onze enige rekening is NL73 RABO 0318 4470 25.", "nl")
c("", pub("reddit:u/curious_clicker"), "Typed a random number <<CARD_BAD_SP>> into the Gloedhuis app card field just to see, it instantly said 'ongeldig kaartnummer'. Good to know the checks work lol", "en")
c("", pub("x:@student_sven"), "The Gloedhuis job form only asks for your BSN at the contract stage, nice. I typed <<BSN_BAD>> by accident in step one and it got rejected straight away 😅", "en")
c("", pub("instagram:@noor.viert"), "Vandaag jarig 🎂 en via de GloedPas een gratis shake gekregen. Lief!", "nl")
c("", LI, "Ons nieuwe restaurant opent op 14 maart aan het Stationsplein 12 in Hengelo. Solliciteren kan via werkenbij@gloedhuis.nl 🔥", "nl")
c("", MO, "Taart voor de hele crew vandaag, onze Gerrit is 20 jaar in dienst! 🎉 legend", "nl")

# ===== benign: prices =====
c("", GH, "Deze week 20% korting op de Bacon Bonfire: €11,16 i.p.v. €13,95 🔥", "nl", price=("Bacon Bonfire", 11.16))
c("", pub("x:@joey_eet"), "Dubbele Gloed €11.95, pricey but worth every cent", "en", price=("Dubbele Gloed", 11.95))
c("", pub("reddit:u/budgetbites"), "Classic Smash is €8.95 now, went up 50 cents. Still cheaper than the chain next door.", "en", price=("Classic Smash", 8.95))
c("", FB, "Familiebox voor €31,95 (normaal €39,95) bij afhalen dit weekend 👨‍👩‍👧‍👦", "nl", price=("Familiebox", 31.95))
c("", pub("x:@prijzenpiet"), "Big Mac kost nu €6,20 zag ik, bizar. Dan liever naar Gloedhuis.", "nl")
c("", pub("tiktok:@zuinigzoe"), "Gloed Menu met €2 korting via de app = €12,95, nog steeds geen koopje maar wel lekker", "nl", price=("Gloed Menu", 12.95))
c("", pub("forum:koopjesjager88"), "Prijsfout bij de Action vanochtend: airfryer voor €4,99. Helaas uitverkocht. Daarna ter troost een Vuurtoren Burger gehaald voor de volle €13,50 😂", "nl", price=("Vuurtoren Burger", 13.50))
c("", IG, "Gift card 50 = the perfect Sinterklaas surprise 🎁 Order at gloedhuis.nl, €50 well spent.", "en", price=("gift card 50", 50.0))
c("", pub("x:@truffle_tom"), "Truffel Smash at €14.95 is steep but that truffle mayo is unreal", "en", price=("Truffel Smash", 14.95))
c("", pub("mastodon:@jan_r@mastodon.nl"), "Iemand ervaring met GloedPas Plus? Is dat abonnement de €59 per jaar waard?", "nl", price=("GloedPas Plus", 59.0))

# ===== benign: confidential-like =====
c("", pub("x:@pittigepepper"), "Finally tried the Truffel Inferno, spicy but wow 🍄🔥", "en", when="2027-02-03T19:12:00Z")
c("", LI, "Vandaag publiceerden we de jaarcijfers 2026: omzet €231 mln (+9%). Het volledige verslag staat op gloedhuis.nl/investeerders.", "nl", when="2027-03-03T08:15:00Z")
c("", pub("bluesky:@appnerd.bsky.social"), "GloedPas 4.0 update finally landed, the new wallet screen is so clean", "en", when="2027-02-10T11:03:00Z")
c("", pub("x:@bezorgd_binnen20"), "Bestellen gaat het snelst via bestellen.gloedhuis.nl, binnen 20 min bezorgd 👌", "nl")
c("", LOTTE, "Trots! Na 6 jaar ben ik vandaag intern doorgegroeid naar teamlead social 🎉", "nl")
c("", pub("threads:@strandmeisje"), "Na Gloedhuis nog naar het strand, kampvuur tot er alleen sintels over waren 🔥🌊", "nl")
c("", pub("x:@whisper_joe"), "My friend told me something confidential over a Vuurtoren Burger at Gloedhuis and I'm taking it to the grave 🤐", "en")
c("", TT, "Nieuw op het menu vanaf vandaag: de Bacon Bonfire 🥓🔥 Wie proeft 'm als eerste?", "nl")

# ===== benign: financial-like =====
c("", pub("reddit:u/burgerbeurs"), "Patty Palace is overgenomen door een Duitse investeerder, las ik in het FD. Hopelijk blijft Gloedhuis gewoon onafhankelijk.", "nl")
c("", LI, "Today we published our half-year figures: revenue up 6% and 11 new restaurants. Full press release at gloedhuis.nl/pers.", "en")
c("", pub("x:@zwolsezaken"), "According to the press release Gloedhuis opens 5 new restaurants this year, finally one in Zwolle!", "en")
c("", ANOUK, "Hiring! Our finance team in Utrecht is looking for a controller. Apply via werkenbij@gloedhuis.nl", "en")

# ===== benign: security-like =====
c("", HELP, "Update 14:20: de storing in de GloedPas-app is verholpen. Sorry voor het ongemak, je punten zijn gewoon bewaard gebleven.", "nl")
c("", pub("x:@frequentflyer_em"), "Another airline data breach this week. Meanwhile the only thing my Gloedhuis app knows is that I order way too many onion rings 😅", "en")
c("", LI, "Beveiligingsonderzoekers welkom: kwetsbaarheden meld je veilig via security@gloedhuis.nl. Ons responsible disclosure-beleid staat op gloedhuis.nl/security.", "nl")
c("", DAAN, "Zero clicks on this quarter's phishing simulation across the whole IT team. Proud 💪", "en")

# ===== benign: complaint/crisis-like =====
c("", pub("x:@jessiekr92_b"), "@gloedhuis_help dank jullie, punten staan er nu wel op! Snel opgelost 👍", "nl")
c("", pub("instagram:@la_opruimer"), "Hoelang is een cadeaukaart 25 van Gloedhuis eigenlijk geldig? Vond er nog een in een la", "nl", kind="comment")
c("", pub("facebook:Petra.Eindhoven"), "Sterkte aan het team van Gloedhuis Eindhoven na de brand. Hopelijk snel weer open ❤️", "nl")
c("", pub("x:@hoornse_henk"), "Bij de burgertent naast ons werk in Hoorn was gisteren een vetbrand, gelukkig niemand gewond. Wij gaan voortaan maar naar Gloedhuis 😬", "nl")
c("", pub("x:@nostalgic_nick"), "Total recall: I still remember my very first Gloedhuis burger back in 2015. Nothing has topped it.", "en")
c("", pub("reddit:u/nuchtere_nl"), "Boycot? Welnee, ik blijf gewoon lekker bij Gloedhuis eten, die hele ophef slaat nergens op", "nl")
c("", IG, "Voor het 3e jaar op rij de hygiëne-award voor Gloedhuis Breda 🧼🏆 Trots op dit team!", "nl")
c("", pub("tiktok:@veenendaal.vibes"), "Gloedhuis Veenendaal drive-thru: 2 minutes from ordering to eating. beat that", "en")

# ===== benign: abuse-like =====
c("", GH, "In oktober gaat van elk verkocht menu een euro naar KWF Kankerbestrijding 💛", "nl")
c("", pub("x:@smulpaap"), "Die Bacon Bonfire is echt ziek goed, belachelijk lekker 😍", "nl")
c("", pub("x:@hungry_hugo"), "I would literally kill for a Vuurtoren Burger right now", "en")
c("", pub("tiktok:@burgerboy.eindhoven"), "this Smokey Boer slaps 🔥 Gloedhuis never misses", "en")
c("", BRAM, "Shoutout to the Zwolle crew, absolute beasts during the Friday rush tonight 💪🔥", "en")
c("", pub("facebook:Linda.Vermeer.3"), "M'n zoontje van 6 noemde de Gloedje 'stom lekker' en wil er nu elke dag heen haha", "nl")

# ===== benign: general =====
c("", YT, "Behind the grill: how we smash our patties in 90 seconds. New episode out now!", "en")
c("", pub("instagram:@denbosch.dates"), "Date night at Gloedhuis Den Bosch, the sweet potato fries are elite", "en")
c("", KIM, "POV: je eerste dienst bij Gloedhuis en je mag meteen de shakemachine schoonmaken 😂 #crewlife", "nl")
c("", SANNE, "Mooie dag op de franchisebeurs in Utrecht! Interesse in een eigen Gloedhuis? Kijk op gloedhuis.nl/franchise", "nl")
c("", pub("x:@dieetdrama"), "My diet is officially ruined thanks to the Zeezout Shake 😂", "en")
c("", pub("reddit:u/xmas_traveller"), "Is the Gloedhuis at Rotterdam Centraal open on Christmas Day? Can't find it on the site.", "en")


# ---------------------------------------------------------------- severity (CONTRACT 4)
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|\.\d)")


def identifier_candidates(text):
    """(kind, raw, valid) for every IBAN-, card- and BSN-shaped token in text"""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw.upper() in PUBLIC_IBANS:
            continue
        out.append(("iban", m.group(0), iban_valid(raw)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(re.sub(r"\D", "", m.group(0)))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(categories, role, text):
    if not categories:
        return "none"
    inside = role in ("corporate", "employee")
    checksum_id = any(valid for _, _, valid in identifier_candidates(text))
    levels = []
    for cat in categories:
        if cat.startswith("leak."):
            if not inside:
                levels.append("warning")
            elif cat in ("leak.secret", "leak.pricing"):
                levels.append("critical")
            elif cat == "leak.pii":
                levels.append("critical" if checksum_id else "error")
            else:
                levels.append("error")
        elif cat == "reputation.complaint":
            levels.append("warning")
        elif cat == "reputation.crisis":
            levels.append("error")
        elif cat == "reputation.abuse":
            levels.append("error" if inside else "warning")
        else:
            raise AssertionError(cat)
    return max(levels, key=SEV_ORDER.index)


# ---------------------------------------------------------------- build
URL_BASE = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}", "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "reddit": "https://www.reddit.com/comments/{n}/", "youtube": "https://www.youtube.com/watch?v={n}",
}
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def build():
    used_ids = set()
    lines = []
    for raw in RAW:
        platform, handle = split_author(raw["author"])
        role = role_of(platform, handle)
        text = fill(raw["text"])
        if raw["when"]:
            created = raw["when"]
        else:
            moment = YEAR_START + dt.timedelta(seconds=rng.randrange(0, 365 * 86400 - 1))
            created = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            num = str(rng.randrange(10 ** 11, 10 ** 12))
            pid = platform + "-" + num
            if pid not in used_ids:
                used_ids.add(pid)
                break
        kind = raw["kind"] or ("reply" if text.startswith("@") else "post")
        post = {"id": pid, "platform": platform, "kind": kind,
                "account": {"handle": handle}, "text": text, "created_at": created}
        if rng.random() < 0.5:
            post["lang"] = raw["lang"]
        if role != "public" or rng.random() < 0.4:
            post["brand"] = "gloedhuis"
        if platform in URL_BASE and rng.random() < 0.6:
            post["url"] = URL_BASE[platform].format(h=handle.lstrip("@"), n=num)
        cats = sorted(set(raw["cats"]))
        lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    return lines


# ---------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bwhsec_[0-9A-Za-z]{24,}"),
    re.compile(r"\bxox[baprs]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[\w-]{40,}"),
    re.compile(r"\bsk-ant-api03-[\w-]{80,}"),
    re.compile(r"\bAIza[\w-]{35}"),
    re.compile(r"\bglpat-[\w-]{20}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"://[^\s:/@]+:[^\s@]+@"),
    re.compile(r"(?i)wachtwoord:\s*[^\s*]{4,}"),
]
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = t.replace(ZW, "").replace("\u200c", "").replace("\u200d", "").replace("\u2060", "")
    for lat, c_ in CYR.items():
        t = t.replace(c_, lat)
    return t.lower()


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse_time(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


def check(lines):
    errors = []

    def fail(i, msg):
        errors.append("line %d: %s" % (i + 1, msg))

    ids = set()
    products = {}
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            products[name.lower()] = p["list_price"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    public_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}

    for i, (raw, line) in enumerate(zip(RAW, lines)):
        # --- shape (CONTRACT 1 and 6)
        if set(line) != {"post", "expect"}:
            fail(i, "top-level keys")
        post, exp = line["post"], line["expect"]
        for key, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(key), typ):
                fail(i, "missing/typed " + key)
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            fail(i, "account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            fail(i, "id length/unique")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            fail(i, "platform")
        if post.get("kind", "post") not in KINDS:
            fail(i, "kind")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            fail(i, "text size")
        if not RFC3339.match(post["created_at"]):
            fail(i, "created_at")
        created = parse_time(post["created_at"])
        if not (2026 <= created.year <= 2027) or (created.year == 2027 and created.month > 3):
            fail(i, "created_at outside 2026 / early 2027")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            fail(i, "categories")
        if exp["severity"] not in SEV_ORDER:
            fail(i, "severity value")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            fail(i, "severity not per policy")
        if (not cats) != (exp["severity"] == "none"):
            fail(i, "benign <-> none")
        text, ntext = post["text"], norm(post["text"])
        benign = not cats

        # --- checksummed identifiers
        for kind, val, valid in identifier_candidates(text):
            if benign and valid:
                fail(i, "benign post holds a valid %s %s" % (kind, val))
            if not benign and not valid:
                fail(i, "positive post holds an invalid %s %s" % (kind, val))
        if "leak.pii" not in cats and any(v for _, _, v in identifier_candidates(text)):
            fail(i, "valid identifier but no leak.pii")
        for ph in re.findall(r"<<([A-Z_]+)>>", raw["text"]):
            if ph.startswith(("IBAN", "CARD", "BSN")) and ("BAD" in ph) != benign:
                fail(i, "look-alike placeholder %s in wrong polarity" % ph)

        # --- secrets
        hits = [m.group(0) for pat in SECRET_PATTERNS for m in pat.finditer(text)]
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_valid(tok) == benign:
                fail(i, "github token checksum polarity " + tok)
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if benign and not tok.endswith("EXAMPLE"):
                fail(i, "real-looking AWS key id in benign post")
        for tok in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
            if "alg" not in json.loads(b64url_decode(tok.split(".")[0])):
                fail(i, "JWT header without alg")
            if benign:
                fail(i, "JWT in benign post")
        if "leak.secret" in cats:
            real = [h for h in hits if not re.search(r"EXAMPLE|xxxx|\*\*\*\*", h)]
            if not real:
                fail(i, "leak.secret without a credential")
        elif benign:
            for h in hits:
                if h.startswith(("gh", "AKIA")) or re.search(r"EXAMPLE|xxxx|\*\*\*\*", h):
                    continue
                fail(i, "credential-shaped text in benign post: " + h[:30])

        # --- emails: benign posts only carry the company's published addresses
        if benign:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in public_emails:
                    fail(i, "non-public e-mail in benign post " + e)

        # --- embargo and internal terms
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in ntext:
                    if created < until and "leak.confidential" not in cats:
                        fail(i, "embargo term before until but not confidential: " + term)
                    if benign and created < until:
                        fail(i, "benign post with embargo term before until")
        for term in internal_terms:
            if term in ntext and "leak.confidential" not in cats:
                fail(i, "internal term without leak.confidential: " + term)

        # --- prices
        if raw["price"]:
            alias, amount = raw["price"]
            if alias.lower() not in products:
                fail(i, "price annotation names no product: " + alias)
            elif alias.lower() not in text.lower():
                fail(i, "product not in text: " + alias)
            else:
                below = amount < ratio * products[alias.lower()]
                if below != ("leak.pricing" in cats):
                    fail(i, "price %.2f vs list %.2f does not match label" % (amount, products[alias.lower()]))
            a_txt = ("%.2f" % amount).rstrip("0").rstrip(".")
            variants = {("%.2f" % amount), ("%.2f" % amount).replace(".", ","), a_txt, a_txt.replace(".", ",")}
            if not any(v in text for v in variants):
                fail(i, "amount %s not in text" % amount)
        if "leak.pricing" in cats and not raw["price"] and "prijsfout" not in text.lower() \
                and "price error" not in text.lower():
            fail(i, "pricing case without price or price-error talk")

    # --- the mix
    n = len(lines)
    benign_n = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("total %d outside 170-180" % n)
    if not 55 <= benign_n <= 65:
        errors.append("benign %d not about 60" % benign_n)
    want = {"reputation.complaint": (17, 24), "leak.confidential": (15, 21), "leak.pii": (12, 18),
            "reputation.crisis": (12, 18), "leak.security": (10, 16), "leak.secret": (10, 15),
            "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    counts = {k: 0 for k in want}
    for l in lines:
        for cat in l["expect"]["categories"]:
            counts[cat] += 1
    for k, (lo, hi) in want.items():
        if not lo <= counts[k] <= hi:
            errors.append("%s count %d outside %d-%d" % (k, counts[k], lo, hi))
    nl = sum(1 for r in RAW if r["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f" % (nl / n))
    roles = {}
    for l in lines:
        r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    return errors, dict(total=n, benign=benign_n, counts=counts, dutch=round(nl / n, 2), roles=roles)


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errors, stats = check(reread)
    print(json.dumps(stats, sort_keys=True))
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign" % (stats["total"], stats["benign"]))


if __name__ == "__main__":
    main()
