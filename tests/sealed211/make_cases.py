#!/usr/bin/env python3
"""Evaluation set 211 for postwatch: Klaverbal Games B.V. (fictional Dutch
bingo & quiz app). Deterministic: fixed seed, standard library + PyYAML.
Writes cases.jsonl next to this file and self-checks it (CONTRACT v1 §4, §6)."""
import base64, datetime as dt, json, os, random, re, string, sys, unicodedata, zlib
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(211_2026)

# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase   # base-62 order 0-9A-Za-z
URLSAFE = string.ascii_letters + string.digits + "-_"

def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))

def b62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s.rjust(width, "0")

def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))

def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)

def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)

def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt():
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps({"sub": "speler-%d" % rng.randint(10000, 99999), "role": "payout-admin",
                         "iat": 1780000000, "exp": 1780000300}, separators=(",", ":")).encode())
    s = b64u(bytes(rng.randrange(256) for _ in range(32)))
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

def pem_rsa():
    lines = ["MIIEowIBAAKCAQEA" + rand(string.ascii_letters + string.digits + "+/", 48)]
    lines += [rand(string.ascii_letters + string.digits + "+/", 64) for _ in range(5)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"

def password(n=16):
    return rand(string.ascii_letters + string.digits, n - 2) + rng.choice("!#%*") + rng.choice(string.digits)

def iban_check(s):
    s = re.sub(r"\s", "", s).upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def make_iban(bank=None, valid=True):
    bank = bank or rng.choice(["ABNA", "RABO", "INGB", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    cd = 98 - n % 97
    if not valid:
        cd = (cd + rng.randint(1, 90)) % 97 + 2
        while iban_check("NL%02d%s" % (cd, bban)):
            cd = cd % 97 + 2
    return "NL%02d%s" % (cd, bban)

def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0

def make_card(first="4", valid=True):
    if first == "5":
        first = "5" + rng.choice("12345")
    body = first + "".join(rng.choice(string.digits) for _ in range(15 - len(first)))
    for c in string.digits:
        if luhn_ok(body + c):
            good = c
            break
    last = good if valid else str((int(good) + rng.randint(1, 9)) % 10)
    d = body + last
    return " ".join(d[i:i + 4] for i in range(0, 16, 4))

def bsn_ok(d):
    d = re.sub(r"\D", "", d)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0

def make_bsn(valid=True):
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        if valid:
            return d + str(s)
        bad = str((s + rng.randint(1, 9)) % 10)
        if not bsn_ok(d + bad):
            return d + bad

def mobile():
    return "".join(rng.choice(string.digits) for _ in range(8))

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)

CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}
def cyr(s):
    return "".join(CYR.get(c, c) for c in s)

ZW = "\u200b"

# ---------------------------------------------------------------- generated values
m1, m2, m3, m4, m5 = mobile(), mobile(), mobile(), mobile(), mobile()
G = {
    # personal data (valid checksums)
    "IBAN_P1": spaced_iban(make_iban("INGB")),
    "IBAN_C1": make_iban("ABNA"),
    "IBAN_E1": spaced_iban(make_iban("BUNQ")),
    "CARD_P1": make_card("5"),
    "CARD_E1": make_card("4"),
    "BSN_E1": make_bsn(),
    "BSN_C1": make_bsn(),
    "BSN_P1": make_bsn(),
    "PHONE_P1": "06-" + m1,
    "PHONE_C1": "06 %s %s" % (m2[:4], m2[4:]),
    "PHONE_E1": "+31 6 %s %s %s %s" % (m3[:2], m3[2:4], m3[4:6], m3[6:]),
    "PHONE_E2": "+31 (0)6-%s %s" % (m4[:4], m4[4:]),
    "PHONE_P2": "06" + m5,
    # look-alikes that must fail their checksum
    "IBAN_BAD1": spaced_iban(make_iban("RABO", valid=False)),
    "CARD_BAD1": make_card("5", valid=False),
    "BSN_BAD1": make_bsn(valid=False),
    "BSN_BAD2": make_bsn(valid=False),
    "IBAN_PUB": spaced_iban(PROFILE["public_identifiers"]["ibans"][0]),
    # credentials
    "AWS_ID1": aws_key_id(), "AWS_SEC1": aws_secret(),
    "AWS_ID2": aws_key_id(), "AWS_SEC2": aws_secret(),
    "GHP1": github_token("ghp_"),
    "GHS1": github_token("ghs_"),
    "MOLLIE": "live_" + rand(string.ascii_letters + string.digits, 30),
    "JWT1": jwt(),
    "OPENAI": "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64),
    "PW_MKT": "Kl4ver!" + rand(string.ascii_letters + string.digits, 6),
    "SLACK": "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                                 rand(string.ascii_letters + string.digits, 24)),
    "ANTHROPIC": "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "STRIPE": "sk_live_51" + rand(string.ascii_letters + string.digits, 97),
    "PG_PW": password(18),
    "REDIS_PW": password(24),
    "RSA": pem_rsa(),
    "GLPAT": "glpat-" + rand(URLSAFE, 20),
}

# ---------------------------------------------------------------- cases
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
RAW = []

def P(cats, acct, lang, text, when=None, kind="post"):
    RAW.append(dict(cats=cats, acct=acct, lang=lang, text=text, when=when, kind=kind))

# ======================= BENIGN (hard negatives mostly) =======================
P("", "x:@klaverbal", "nl", "Vanavond om 20:00 live Zondagbingo met Bas! Wie speelt er mee? 🎱 #klaverbal")
P("", "x:@oma_riet_speelt", "nl", "Klaverbal quiz is echt mijn avondritueel geworden. Vanavond 19 van de 20 goed 💪 kleinzoon was jaloers")
P("", "x:@jk_mcallister", "en", "honestly the Klaverbal support team sorted my payout in under 2 hours. didn't expect that. respect 👏", kind="reply")
P("", "x:@dewitte_hanneke", "nl", "Update: mijn probleem met de uitbetaling is opgelost, bedankt @klaverbal_hulp! Geld staat erop 🙌", kind="reply")
P("", "x:@klaverbal_hulp", "nl", "Vragen over je prijs of uitbetaling? Mail prijzen@klaverbal.nl of bel gratis 0800-5528 (ma-za 9-21u).")
P("", "facebook:KlaverbalApp", "nl", "Betaal je je Gezinsabonnement liever per overschrijving? Dat kan! Maak het bedrag over naar <<IBAN_PUB>> t.n.v. Klaverbal Games B.V. en vermeld je spelersnummer.")
P("", "instagram:@lisannequizt", "en", "lost the final question of the Klaverbal quiz on a question about EELS. I'm devastated. rematch tomorrow 😤🐍")
P("", "instagram:@bingobeppie", "nl", "BINGO!!! 🎉 Eindelijk een volle kaart bij Klaverbal, drie weken op gewacht hahaha")
P("", "x:@nieuwsjunk_030", "nl", "Weer een datalek bij een grote webwinkel vandaag. Check je wachtwoorden mensen, en gebruik niet overal hetzelfde.")
P("", "reddit:u/tealbanana", "en", "That other bingo app got fined by the regulator today for fake 'free' spins. Glad I moved to Klaverbal years ago, never had a weird charge.")
P("", "x:@marloesvh", "nl", "Sterkte aan het Klaverbal team na de storing van vanochtend, wij wachten rustig met een bakkie koffie ☕🙂", kind="reply")
P("", "x:@klaverbal", "nl", "Excuses voor de storing vanochtend tussen 9:00 en 9:40. Alles draait weer; wie een Zondagbingo ticket kwijt is, krijgt dat automatisch terug.")
P("", "linkedin:noor-bouzid", "nl", "3 jaar bij Klaverbal vandaag 💚 Nog steeds elke dag lachen met onze spelers. Dank aan het hele community-team! #werkenbij")
P("", "x:@daanvisser_dev", "en", "our intern Sam built the new leaderboard confetti animation and it's honestly the best thing we shipped this month 🎊")
P("", "forum:quizfriend_amy", "en", "Anyone know a nice quiz app without gambling? Torn between Klaverbal and another one, mostly for my dad (82).")
P("", "x:@vraagje_anne", "nl", "Wat kost Klaverbal Plus maand eigenlijk? En kun je dat per maand opzeggen of zit je vast?")
P("", "x:@klaverbal_hulp", "nl", "@vraagje_anne Hoi Anne! Plus maand kost €6,99 en is gewoon maandelijks opzegbaar 👍", kind="reply")
P("", "instagram:@klaverbal.app", "nl", "BLACK FRIDAY 🖤 25% korting op het Goud jaarabonnement: nu €89,25 i.p.v. €119. Alleen t/m maandag!")
P("", "x:@thijs_speelt", "en", "Plus monthly is €6.99, which is honestly fine for ad-free bingo. no regrets")
P("", "youtube:@KlaverbalTV", "en", "The Season Pass is back: €14.99 for 12 weeks of themed quiz rounds and bonus bingo cards. Trailer below ⬇️")
P("", "reddit:u/coin_dilemma", "en", "Is the coin chest (€21.99) actually worth it or should I just buy 1200 coins twice? What do you all do?")
P("", "facebook:KlaverbalApp", "nl", "Alleen dit weekend: 20% extra munten bij de Schatkist 8000, voor dezelfde prijs van €49,99 💰")
P("", "instagram:@klaverbal.app", "nl", "Sinterklaas-tip 🎁 Bij elke cadeaukaart 25 krijg je deze week een gratis Stiftenset (t.w.v. €12,95).")
P("", "x:@dadjokes_dave", "en", "Klaverbal Family plan is €17.99 for five people. cheaper than our streaming subs and grandma actually uses it lol")
P("", "x:@evavanleeuwen", "en", "New merch is in! Members get 10% off the Klaverbal Hoodie, so €44.95 instead of €49.95 🍀")
P("", "x:@daanvisser_dev", "en", "PSA for juniors: never commit credentials. There's a reason the AWS docs use AKIAIOSFODNN7EXAMPLE in every snippet 😅")
P("", "linkedin:klaverbal-games", "nl", "Engineering blog: zo roteren wij API-sleutels automatisch. In onze logs zie je alleen nog gemaskeerde waarden, bijvoorbeeld sk_live_****************************3xQ. Lees mee 👇")
P("", "reddit:u/pipeline_pieter", "en", "Github tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you ever see a real one in a screenshot, rotate it. Not aimed at anyone in particular.")
P("", "x:@klaverbal_hulp", "nl", "Wachtwoord vergeten? Ga in de app naar Instellingen › Account › 'Wachtwoord resetten'. Wij vragen NOOIT om je wachtwoord via DM.")
P("", "mastodon:@tinkerbee@fosstodon.org", "en", "TIL every JWT starts with eyJ because it's just base64 of '{\"'. Mind blown, explaining auth to my bingo-obsessed mum")
P("", "linkedin:klaverbal-games", "nl", "Vandaag publiceren we onze jaarcijfers 2026: omzet €21,4 miljoen en voor het eerst winstgevend. Dank aan onze spelers en het team! 📈", when="2027-02-24T07:30:00Z")
P("", "x:@klaverbal", "nl", "Klaverbal Duo is LIVE 🎉 Speel samen met een vriend in de nieuwe Duo-modus. Update je app!", when="2027-03-04T09:00:00Z")
P("", "tiktok:@quizmaster.ruben", "nl", "KB Duo gespeeld met m'n moeder en ze heeft me gewoon ingemaakt 😂 #klaverbal", when="2027-03-06T19:12:00Z")
P("", "facebook:Gerda.Wolters.71", "nl", "LET OP: ik kreeg een nep-mail 'van Klaverbal' die vroeg om €9,99 over te maken naar <<IBAN_BAD1>>. Dat is NIET hun rekening, niet doen!")
P("", "x:@klaverbal_hulp", "nl", "Tip: typ je kaartnummer zonder tikfouten 😉 Krijg je 'ongeldig' bij zoiets als <<CARD_BAD1>>? Dan klopt er een cijfer niet.")
P("", "forum:bingo_bert", "nl", "Waar vind ik mijn spelersnummer? Is dat dat getal onder m'n avatar? Bij mij staat er <<BSN_BAD1>>.")
P("", "x:@hobbyhanna", "en", "order <<BSN_BAD2>> (the dauber set) arrived today already, super quick delivery 🖍️")
P("", "x:@gerritjan62", "nl", "Klaverbal klantenservice gebeld op 030-7994410, binnen 2 minuten iemand aan de lijn. Zo hoort het.")
P("", "x:@natuurnel", "nl", "Bij de Klaverbal quiz vanavond een vraag over zwaluwen. Wie wist dat die 10.000 km vliegen naar Afrika? 🐦")
P("", "facebook:Joke.Hermsen", "nl", "Met de kleinkinderen eerst kwartet gespeeld en daarna Klaverbal bingo op de tablet. Wat een topavond ❤️")
P("", "x:@beurs_bram", "nl", "Klaverbal publiceerde in maart hun jaarverslag 2025, best gezond bedrijfje blijkbaar. Leuk om te lezen voor een app die ik elke dag open.")
P("", "linkedin:gamesector-nieuws", "nl", "Grote gamestudio in Amsterdam schrapt 200 banen na mislukte overname. Zware dag voor de Nederlandse gamesector.")
P("", "linkedin:joost-hendriks-klaverbal", "en", "We're hiring a senior backend engineer for our payments team at Klaverbal 🍀 Remote-friendly, Utrecht office. Apply via jobs@klaverbal.nl")
P("", "x:@klaverbal", "nl", "Vind jij een kwetsbaarheid in onze app? Ons bug bounty programma beloont je ervoor. Meld het veilig via security@klaverbal.nl 🔐")
P("", "bluesky:@lottedekker.bsky.social", "en", "Gave a talk today on threat modelling for small teams. Key takeaway: write down what you'd be embarrassed to see on the news. Slides on my site.")
P("", "x:@dirkjan_zuipt_niet", "nl", "Ik ben zo slecht in die muziekquiz, alweer 2/20 😭 ligt echt aan mij hoor, niet aan de app")
P("", "x:@kees_quizt", "nl", "Die laatste vraag was echt gemeen moeilijk haha. Respect voor wie 'm goed had!")
P("", "threads:@sunny.side.sam", "en", "The Klaverbal host absolutely killed it tonight, best live bingo I've played in ages 🔥🎱")
P("", "x:@yvonne_ede", "nl", "Shoutout naar Noor van Klaverbal community, altijd zo lief en snel met antwoorden 💚")
P("", "x:@gamerdad_ruud", "en", "reading about that boycott of the new football game, wild. we're just doing a round of Klaverbal quiz with the kids tonight")
P("", "reddit:u/antwerp_annelies", "en", "Does Klaverbal pay out prizes to Belgian accounts? Thinking of signing up for Gold monthly.")
P("", "instagram:@bingo.bas", "nl", "Wat een avond! 4.000 spelers live in de Zondagbingo 🎱❤️ Jullie zijn geweldig, tot volgende week!")
P("", "linkedin:klaverbal-games", "en", "We updated our privacy statement: we do not sell player data, full stop. Questions? privacy@klaverbal.nl")
P("", "x:@saskia_tweets", "nl", "@kees_quizt haha same, die vraag over de Eiffeltoren had ik ook fout 🙈", kind="reply")
P("", "x:@klaverbal_hulp", "nl", "@dewitte_hanneke Top! Je uitbetaling naar NL** **** **** **** 12 is vanochtend verstuurd. Veel plezier ermee 🍀", kind="reply")
P("", "reddit:u/devnoob_nl", "en", "The payment docs say use sk_test_xxxxxxxxxxxxxxxxxxxxxxxx while testing. Please don't ship your live key inside an app like I almost did in my hobby project")
P("", "x:@loesje_leest", "en", "dropped my phone in a canal 🙃 so no Klaverbal quiz for me until next week, see you then!")
P("", "x:@mo_achterhoek", "en", "Was furious about being charged twice, but @klaverbal_hulp refunded everything and threw in 500 coins. Properly handled 👍")
P("", "x:@klaverbal", "nl", "Alle info over de toernooien en prijzen staat op www.klaverbal.nl/toernooien 🏆")
P("", "mastodon:@wouter@mastodon.nl", "en", "Spent the weekend building a tiny bingo number caller on a Raspberry Pi for my kids. No work stuff, promise 😄")

# ======================= PRICING =======================
P("pricing", "x:@evavanleeuwen", "nl", "psst 🤫 morgen staat de Goud jaar heel even op €29 voor de early birds. niet doorvertellen hè")
P("pricing", "x:@koopjesjager_nl", "nl", "PRIJSFOUT bij Klaverbal?? Schatkist 8000 voor €4,99 in de app, snel!!! #prijsfout #koopje")
P("pricing", "x:@klaverbal_hulp", "nl", "@ferry_f Klopt, door een prijsfout stond de Muntenkist gisteren een paar uur verkeerd in de shop. Aankopen blijven geldig hoor!", kind="reply")
P("pricing", "linkedin:joost-hendriks-klaverbal", "en", "Lesson of the week: one typo in the price config and we sold the Family plan for €1.79 for three hours. Four-eyes principle for price changes from now on.")
P("pricing", "reddit:u/ticktock_tom", "en", "Anyone else seeing Gold annual at €11.90 in the iOS app? Pretty sure that's a glitch lol, grabbed it anyway")
P("pricing", "tiktok:@quizmaster.ruben", "nl", "Alleen voor mijn volgers 👀 met code RUBEN90 krijg je de Seizoenspas voor €1,50 😱 wees snel")
P("pricing", "facebook:KlaverbalApp", "nl", "Oeps! De Klaverbal Hoodie stond in onze merchshop voor €4,95 in plaats van €49,95. Bestellingen tegen die prijs worden helaas geannuleerd, sorry!")
P("pricing", "x:@lmao_lotte99", "en", "klaverbal selling the 3000 coins chest for 2 euros rn 💀 price error or charity")
P("pricing", "instagram:@bingo.bas", "nl", "Stiekem al besteld via de personeelsshop: Quizavond Thuispakket voor €9,95 😍 wie komt er quizzen?")
P("pricing", "forum:sharp_deals", "en", "Heads up: the Klaverbal webshop has the gift card 50 listed at €15 right now. Pretty sure it's a pricing mistake, be quick")
P("pricing", "x:@daanvisser_dev", "en", "deploying the fix for the Plus yearly price bug now, Android showed €6.99 instead of €69.99 for ~2h 🙃")
P("pricing", "youtube:@henkiespeelt", "nl", "Kaartenset 10 voor €0,29 in de app vandaag?? is dat een fout of een actie", kind="comment")

# ======================= SECRETS =======================
P("secret", "x:@daanvisser_dev", "en", "who still has access to the staging bucket? these stopped working for me: <<AWS_ID1>> / <<AWS_SEC1>>")
P("secret,confidential", "mastodon:@wouter@mastodon.nl", "nl", "note to self (ja ik weet het): postgres://kb_etl:<<PG_PW>>@db-prod-02.intern.klaverbal.local:5432/bingo")
P("secret", "reddit:u/kb_sander", "en", "Weird 401 in our GH actions workflow. Token is <<GHP1>>, scopes look right (repo, workflow). Any ideas?")
P("secret", "x:@klaverbal", "nl", "test post vanuit de nieuwe planner, negeren aub 🙏 MOLLIE_API_KEY=<<MOLLIE>>")
P("secret", "mastodon:@wouter@mastodon.nl", "en", "why does this token expire after 5 minutes already?? Authorization: Bearer <<JWT1>>")
P("secret", "x:@reverse_rik", "en", "lol Klaverbal devs left their OpenAI key in the Android bundle: <<OPENAI>> 🤡 someone tell them")
P("secret", "instagram:@evavanleeuwen", "nl", "Nieuwe login voor het social dashboard, team! gebruiker: kb_marketing wachtwoord: <<PW_MKT>> 🔑 (story verdwijnt in 24u)")
P("secret", "linkedin:noor-bouzid", "en", "Our new community bot is live! If you want to try it in your own workspace, here's the token: <<SLACK>> 🤖")
P("secret", "reddit:u/kb_sander", "en", "Getting 'invalid x-api-key' from Claude even though it works locally. This is what I pass: <<ANTHROPIC>>")
P("secret", "bluesky:@lottedekker.bsky.social", "en", "ok what am I missing, stripe.api_key = \"<<STRIPE>>\" returns 403 in the payout worker")
P("secret", "mastodon:@wouter@mastodon.nl", "en", "deploy key for the new quiz runner, pasting it here so I have it at home:\n<<RSA>>")
P("secret,confidential", "linkedin:joost-hendriks-klaverbal", "nl", "Cache-probleem opgelost 💪 redis://:<<REDIS_PW>>@cache-01.intern.klaverbal.local:6379/0 was de boosdoener, verkeerde db-index.")
P("secret", "x:@pastebin_watcher", "en", "Found in a public paste titled 'klaverbal-ci.env': GITLAB_TOKEN=<<GLPAT>> and GH_APP=<<GHS1>> — Klaverbal, rotate these")

# ======================= CONFIDENTIAL =======================
P("confidential", "x:@evavanleeuwen", "nl", "Net de eerste mockups van Klaverbal Duo gezien… jullie gaan dit zó leuk vinden 👀👀")
P("confidential", "instagram:@bingo.bas", "nl", "Achter de schermen bij de opnames voor Operatie Kwartet 🎬 meer mag ik echt niet zeggen 🤐")
P("confidential", "x:@daanvisser_dev", "en", "if you want to know why the leaderboard is haunted, jira.klaverbal.io/browse/KB-4412 has the whole saga 👻")
P("confidential", "linkedin:klaverbal-games", "nl", "Een kijkje in onze kick-off van vandaag 🎉 Slide 3: 'KLAVERBAL CONFIDENTIAL – roadmap H1: nieuwe prijzenpot, Belgische markt, quiz-engine v2'")
P("confidential", "facebook:Ilse.vdMeer", "nl", "Mijn zwager werkt bij Klaverbal en zegt dat Blauwvinger hun nieuwe quiz-engine wordt, met AI-vragen. Benieuwd!")
P("confidential", "bluesky:@lottedekker.bsky.social", "en", "spent the entire day on the Blauwvinger threat model. brain = soup 🍲")
P("confidential", "linkedin:noor-bouzid", "nl", "Trots op het team! Sneak peek van de nieuwe huisstijl 😊 (uit het document 'Huisstijl v3 – alleen intern')")
P("confidential", "mastodon:@wouter@mastodon.nl", "en", "the new dashboards on grafana.kb-ops.net are so pretty today 📈 data people will get it")
P("confidential", "reddit:u/betabingo", "en", "Leaked screenshot from a Klaverbal beta build: 'KB Duo – 2v2 bingo'. Looks legit? Font matches the app.")
P("confidential", "tiktok:@quizmaster.ruben", "nl", "Gisteren de eerste testronde gedaan van " + fullwidth("Project Zwaluw") + " en ik ben sprakeloos 😳")
P("confidential", "x:@daanvisser_dev", "en", "3 weeks of crunch on Blauw" + ZW + "vinger and the first build finally runs 🥲")

P("confidential,financial", "x:@mirjam_klaverbal", "nl", "Jaarcijfers 2026 zijn rond: omzet +38% en voor het eerst winstgevend 🥂 nog even stil houden tot februari!", when="2027-01-21T18:40:00Z")
P("confidential,financial", "linkedin:joost-hendriks-klaverbal", "nl", "Operatie Kwartet = de overname van een Belgische quizstudio. Eindelijk mag ik het… oh wacht, nog niet 😬")
P("confidential,financial", "x:@insider_gamesnl", "nl", "Insider hier: Project Zwaluw is gewoon de verkoop van Klaverbal aan een Zweedse gamegigant. Deal wordt in januari getekend.")

# ======================= SECURITY =======================
P("security", "x:@daanvisser_dev", "en", "ok so the payout service has been sending prize money to the wrong bank account for some players since Tuesday. we're on it. pls don't quote me")
P("security", "linkedin:noor-bouzid", "en", "Being honest: since last night players can see each other's bingo cards because of a lobby bug. Fix is coming, official comms only go out tomorrow.")
P("security", "mastodon:@wouter@mastodon.nl", "en", "fun: turns out our password reset endpoint had no rate limiting. someone noticed before we did. incident call in 5")
P("security", "instagram:@bingo.bas", "nl", "Live bingo vanavond gaat niet door 😩 hele systeem plat door een ddos-aanval, mag eigenlijk nog niemand weten 🙊")
P("security", "tiktok:@quizmaster.ruben", "nl", "volgens mij zijn we gehackt?? alle quizvragen van morgen staan al op een forum 😳 wtf")
P("security", "forum:hostingkerel", "nl", "Ik werk bij de hostingpartij van Klaverbal: hun complete database-backup stond twee dagen open op een publieke URL. Nog niet gemeld, ben benieuwd wanneer ze het zelf zien.")
P("security", "bluesky:@lottedekker.bsky.social", "en", "CVE incoming for our Android app: the deep link handler lets anyone open the wallet screen with someone else's session. Coordinated disclosure is Friday, patch isn't out yet.")
P("security", "linkedin:joost-hendriks-klaverbal", "en", "Humbling week: a hole in our payout flow let players claim the same prize twice. Over €40k gone. Not disclosed yet, so shh.")
P("security", "reddit:u/kb_sander", "en", "heads up from the inside: login will be down all Saturday, the auth migration failed and we're restoring from backup. nothing on the status page yet")
P("security", "x:@daanvisser_dev", "nl", "d4t4l3k bij ons vannacht, 12k acc0unts g3l33gd. n13t d00rv3rt3ll3n 🙏")
P("security", "x:@evavanleeuwen", "nl", "Vanmiddag bleek dat onze nieuwsbrieftool een week lang alle e-mailadressen zichtbaar in de CC zette 🙈 persbericht volgt… ooit")
P("security,confidential", "reddit:u/kb_sander", "en", "prod is on fire: admin.klaverbal.nl is getting hammered by credential stuffing, ~9k player accounts locked. not public yet so keep it quiet")
P("security,confidential", "bluesky:@lottedekker.bsky.social", "nl", "vpn.klaverbal.nl is nog steeds kwetsbaar voor die nieuwe VPN-bug, patch pas volgende week. Duimen dat niemand scant 🤞")

# ======================= FINANCIAL =======================
P("financial", "x:@mirjam_klaverbal", "nl", "Q3-forecast ziet er niet best uit, die 14 miljoen omzet halen we bij lange na niet. Budgetrondes worden pijnlijk.")
P("financial", "linkedin:joost-hendriks-klaverbal", "en", "Between us: we're closing the Antwerp office in March, about 25 people affected. Official announcement after the holidays.")
P("financial", "linkedin:noor-bouzid", "nl", "Reorganisatie bij customer care komt eraan, de helft gaat naar een callcenter in Portugal. Mag het eigenlijk nog niet zeggen 😔")
P("financial", "x:@vc_roddels", "en", "Source at one of the funds: Klaverbal is about to raise €30M at a 200M valuation. Not public yet.")
P("financial", "mastodon:@wouter@mastodon.nl", "en", "paying subscribers down 18% last month, the dashboard doesn't lie. board meeting next week is gonna be spicy 🌶️")
P("financial", "instagram:@evavanleeuwen", "nl", "Net gehoord dat we in gesprek zijn om Quizhuis over te nemen!! 🤯 zo blij, kan niet wachten tot het officieel is")
P("financial", "x:@daanvisser_dev", "en", "the rumour at the office is true, 40 jobs cut in tech after the merger. I'm one of them. not announced yet")
P("financial", "bluesky:@lottedekker.bsky.social", "en", "H1 revenue landed at 6.1M, +22% yoy, and nobody outside knows yet 😇 proud of this team")
P("financial", "x:@pietpraat_fin", "en", "Heard from a friend at Klaverbal they'll miss their 2026 profit target by miles and the CEO is out in January. Results aren't out yet.")

# ======================= PERSONAL DATA =======================
P("pii", "x:@klaverbal_hulp", "nl", "@sandra_k Hoi Sandra, we hebben je uitbetaling opnieuw gestart naar <<IBAN_C1>>. Binnen 3 werkdagen binnen!", kind="reply")
P("pii", "facebook:KlaverbalApp", "nl", "Gefeliciteerd aan onze weekwinnaar Henk Bosman, Lindelaan 14, 3817 BK Amersfoort 🏆 De prijs komt morgen per koerier!")
P("pii", "linkedin:noor-bouzid", "nl", "Shout-out naar onze trouwste speler, mevrouw Truus van Dam, geboren 3 maart 1941. Ze speelt élke dag mee 💚")
P("pii", "linkedin:joost-hendriks-klaverbal", "nl", "Testuitbetaling eindelijk gelukt 🎉 naar <<IBAN_E1>>, BSN <<BSN_E1>> gekoppeld voor de KYC-check. Op naar productie!")
P("pii", "x:@klaverbal_hulp", "nl", "@m_jacobs We zien je bestelling, we bellen je vanmiddag even op <<PHONE_C1>> 📞", kind="reply")
P("pii", "instagram:@bingo.bas", "nl", "Fatima uit Zwolle, jij hebt de jackpot! We krijgen je niet te pakken op fatima.ouali77@hotmail.com, check je spam 🎉")
P("pii", "x:@daanvisser_dev", "en", "debugging a payout: card <<CARD_E1>> exp 09/28 keeps getting declined by the acquirer, any payments folks around?")
P("pii", "linkedin:klaverbal-games", "en", "Player story 💬 Anouk de Graaf (anouk.degraaf@kpnmail.nl) tells us how the weekly quiz got her through her recovery.")
P("pii", "x:@bezorgde_dochter", "nl", "Mijn moeder wil meedoen met de prijsvraag van Klaverbal, wat moet ik invullen? Haar BSN is <<BSN_P1>>, moet dat ook?")
P("pii", "x:@evavanleeuwen", "en", "Does anyone know this winner? Lisa Hermans from Breda, her number <<PHONE_E1>> no longer works 🙏 pls RT")
P("pii", "mastodon:@wouter@mastodon.nl", "en", "sample row from the prod export for the analytics folks: Pieter Kramer, 1978-06-21, pkramer@ziggo.nl, <<PHONE_E2>>. more tomorrow")
P("pii", "x:@klaverbal", "nl", "@bingoliefje Dag mevrouw Koster, uw BSN <<BSN_C1>> hoeven wij niet te hebben, dat had u per ongeluk in het formulier gezet. We hebben het verwijderd.", kind="reply")

P("pii,complaint", "x:@rukiye_yilmaz", "nl", "@klaverbal_hulp mijn uitbetaling komt NIET aan, heb al 3x mijn IBAN doorgegeven: <<IBAN_P1>> op naam van R. Yilmaz. Wat is er mis??", kind="reply")
P("pii,complaint", "x:@kimmie_k", "en", "been waiting 2 weeks for my prize, nobody answers emails. call me back ffs: <<PHONE_P2>> (ask for Kim) @klaverbal")
P("pii,complaint", "facebook:Wim.Rutten.55", "nl", "Mijn creditcard <<CARD_P1>> is 2x belast voor dezelfde Muntenkist en niemand reageert. Terugboeken AUB!")

# ======================= COMPLAINTS =======================
P("complaint", "x:@joycebingo", "nl", "@klaverbal_hulp al 3 weken wacht ik op mijn uitbetaling van de weekjackpot (€250). Ticket 48213. Niemand reageert. Noemen jullie dit service?", kind="reply")
P("complaint", "x:@ads_everywhere", "en", "paid for Gold yearly and the app STILL shows me ads every 2 rounds. what exactly am I paying for @klaverbal")
P("complaint", "x:@tina_t", "en", "app crashes every single time bingo hits number 40 or so. iphone 13, reinstalled twice 😤 #klaverbal")
P("complaint", "x:@freek_cancelled", "en", "Cancelled my subscription in September and got charged €12.99 AGAIN. Refund please @klaverbal_hulp")
P("complaint", "facebook:Margaret.Oyelaran", "en", "The quiz questions are recycled every single week. 'Capital of Australia' four times this month. Lazy, Klaverbal.", kind="comment")
P("complaint", "x:@impatient_pim", "en", "Why does verifying a prize payout take 10 working days?? Other apps do it in 1. #klaverbal")
P("complaint", "x:@zondagspeler", "nl", "Zondagbingo ticket gekocht, toernooi begon niet eens, munten kwijt en support stuurt alleen standaardmailtjes. Top weekend zo.")
P("complaint", "tiktok:@mandy.mua", "nl", "die klantenservice chat van klaverbal is gewoon een bot die 'wat vervelend voor u' zegt en dan ophangt 💀", kind="comment")
P("complaint", "reddit:u/eighteen_of_twenty", "en", "Klaverbal leaderboard is broken. I got 18/20 on yesterday's quiz, it says I'm 3rd behind people with 15. Support: 'working as intended'. ok then.")
P("complaint", "facebook:Corrie.Bakker.1950", "nl", "Die nieuwe update van Klaverbal is echt slechter. Lettertjes veel te klein, mijn moeder van 78 kan niet meer meespelen. Graag terug naar het oude scherm.")
P("complaint", "instagram:@ollie.plays", "en", "3rd time my coin purchase went through on Apple but never showed up in the app. €21.99 gone. @klaverbal.app hello??", kind="comment")
P("complaint", "x:@worried_bart", "en", "No 2FA, no login alerts, and support says it's 'not on the roadmap'. Seriously Klaverbal? My balance lives in that account.")
P("complaint", "threads:@nightowl.nadia", "en", "klaverbal sends me push notifications at 3am for a 'bonus round'. turned them off, they came back after the update. stop it")
P("complaint", "x:@wachtende_wilma", "nl", "gewonnen prijs (bol-bon van €50) na 6 weken nog steeds niet binnen. mail naar prijzen@klaverbal.nl blijft gewoon onbeantwoord")
P("complaint", "forum:seizoensgast", "nl", "kan iemand mij uitlegge waarom mn seizoenspas na 2 weken al verlopen is?? op de site staat 12 weken. balen hoor klaverbal")

# ======================= CRISIS =======================
P("crisis", "x:@phishing_paula", "nl", "Klaverbal heeft mijn gegevens gelekt. Sinds gisteren phishing-sms'jes mét mijn gebruikersnaam erin. Datalek?? #klaverbal #datalek")
P("crisis", "x:@stopgokreclame", "en", "BOYCOTT Klaverbal. They're targeting pensioners with 'skill games' that are gambling in disguise. #boycottklaverbal")
P("crisis", "x:@consument_carla", "nl", "Consumentenbond start rechtszaak tegen Klaverbal vanwege onduidelijke abonnementen. Eindelijk!")
P("crisis", "x:@radio_luisteraar", "nl", "Kansspelautoriteit onderzoekt Klaverbal: is het stiekem gokken? Hoorde het net op de radio, schandalig als het klopt.")
P("crisis", "reddit:u/pwned_again", "en", "Klaverbal data breach? The email I only ever used for their app just showed up on haveibeenpwned.")
P("crisis", "facebook:Opa.Henk.Bloem", "nl", "De Klaverbal Stiftenset lekt inkt waar mijn kleinzoon rode vlekken van kreeg op z'n handen. Terugroepen dat ding!")
P("crisis", "reddit:u/autorenew_victim", "en", "Class action against Klaverbal being organised. If you were auto-renewed on Gold yearly without any notice, DM me.")
P("crisis", "x:@mediawatch_nl", "en", "Scandal: a Klaverbal presenter made a racist joke on the livestream and the company is acting like nothing happened.")
P("crisis", "instagram:@privacyfirst.nina", "en", "Delete Klaverbal now. The app shares your location with advertisers, see the investigation published today. #privacy #klaverbal")
P("crisis", "x:@rigged_rick", "en", "Klaverbal's prize draws are rigged. Relatives of employees won the weekly jackpot three times this year. This is fraud.")
P("crisis", "facebook:Ouders.Online.Groep", "nl", "Ouders opgelet: kinderen van 12 kunnen gewoon munten kopen in Klaverbal zonder leeftijdscheck. Schande! Deel dit.")
P("crisis", "x:@suing_sue", "en", "Just got the letter from my lawyer. We're taking Klaverbal to court over the €5,000 prize they refused to pay out.")
P("crisis", "facebook:Marieke.Vos.Ede", "nl", "Het Quizavond Thuispakket van Klaverbal had scherpe metalen splinters in het spelbord. Dochter gesneden. Hoe is dit door een keuring gekomen??")
P("crisis", "x:@verspreiddit", "nl", "Klaverbal heeft een " + cyr("datalek") + ", 200k spelers getroffen en ze zwijgen. " + cyr("Boycot") + " ze!")
P("crisis,abuse", "facebook:Sjaak.Hermans", "nl", "Klaverbal zijn gewoon vuile oplichters, ze hebben mijn oma €400 afgetroggeld. Rechtszaak komt eraan, kutbedrijf.")

# ======================= ABUSE =======================
P("abuse", "x:@boze_barry", "nl", "@klaverbal_hulp jullie zijn echt een stelletje kankerlijers", kind="reply")
P("abuse", "x:@ragequit_ron", "en", "@klaverbal your CEO is a worthless piece of shit and so is everyone working there", kind="reply")
P("abuse", "x:@anon_7781", "en", "That Noor from Klaverbal is a dumb bitch. Block me, I don't care")
P("abuse", "tiktok:@xx_dennis_xx", "nl", "rot op met je bingo, vieze mongolen", kind="comment")
P("abuse", "tiktok:@trollolo_jay", "en", "quizmaster ruben is an ugly clown, quit your job you loser 🤡", kind="comment")
P("abuse", "x:@ff_zeggen", "nl", "klaverbal support = stelletje k@nk3rl1j3rs en t1ngeltangel-tyf3sl1jers", kind="reply")
P("abuse", "x:@spatie_sjon", "nl", "jullie medewerkers zijn echt t y f u s l i j e r s @klaverbal", kind="reply")
P("abuse", "x:@daanvisser_dev", "nl", "@bingobert65 doe ff normaal jij achterlijke idioot, lees gewoon de FAQ", kind="reply")
P("abuse", "x:@klaverbal_hulp", "nl", "@zeurpiet_nl niemand zit op jouw gezeik te wachten, rot toch op", kind="reply")
P("abuse,complaint", "x:@frozen_frank", "en", "Fucking useless app. 4th time this week the bingo froze mid-game and I lost my ticket. Fix your shit @klaverbal")
P("abuse,complaint", "x:@wachtnogsteeds", "nl", "Kut app. Uitbetaling al weken niet binnen en jullie helpdesk bestaat uit idioten @klaverbal_hulp")

# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

def role_of(acct):
    return ROLE.get(acct.lower(), "public")

PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
LEVEL = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"(?<![\w*])((?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]){12,30})(?![\w*])")
CARD_RE = re.compile(r"(?<![\w\-+.])(\d(?:[ -]?\d){12,22})(?![\w\-])")
BSN_RE = re.compile(r"(?<![\w\-+.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w\-])")

def checksum_ids(text):
    """All IBAN/card/BSN candidates: list of (kind, value, passes)."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(1))
        out.append(("iban", v, iban_check(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(1))
        if 13 <= len(d) <= 19 and d[0] in "3456":
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out

def severity(cats, role, text):
    lv = 0
    valid_ids = [k for k, v, ok in checksum_ids(text) if ok and not (k == "iban" and v in PUBLIC_IBANS)]
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                l = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_ids):
                    l = 4
            else:
                l = 2
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lv = max(lv, l)
    return LEVEL[lv]

def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", rep, text)
    assert "<<" not in out
    return out

def ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    sec = rng.randrange(int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")

def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%s" % (h, pid),
        "instagram": "https://www.instagram.com/p/%s/" % pid[-11:],
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%s/" % pid,
        "tiktok": "https://www.tiktok.com/@%s/video/%s" % (h, pid),
        "reddit": "https://www.reddit.com/r/klaverbal/comments/%s/" % pid[-7:],
    }.get(platform)

cases = []
seen_ids = set()
for i, r in enumerate(RAW):
    platform, handle = r["acct"].split(":", 1)
    text = fill(r["text"])
    cats = sorted({CAT[c] for c in r["cats"].split(",") if c})
    role = role_of(r["acct"])
    while True:
        pid = str(rng.randrange(10**17, 10**18))
        if pid not in seen_ids:
            break
    seen_ids.add(pid)
    post = {
        "id": "%s-%s" % (platform, pid),
        "platform": platform,
        "kind": r["kind"],
        "account": {"handle": handle},
        "text": text,
        "lang": r["lang"],
        "created_at": r["when"] or ts(),
        "brand": "klaverbal",
    }
    u = url_for(platform, handle, pid)
    if u:
        post["url"] = u
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)},
                  "_role": role})

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as f:
    for c in cases:
        f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []
def err(i, msg):
    errors.append("case %d: %s" % (i, msg))

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = set(CAT.values())
ZWS = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")

def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = ZWS.sub("", s)
    return s.lower()

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))

internal_terms = ([t.lower() for t in PROFILE["internal"]["domains"]] +
                  [t.lower() for t in PROFILE["internal"]["codenames"]] +
                  [t.lower() for t in PROFILE["internal"]["markers"]])
embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]

price_re = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b)", re.I)
def prices(text):
    out = []
    for m in price_re.finditer(text):
        v = (m.group(1) or m.group(2)).replace(",", ".")
        out.append((m.start(), float(v)))
    return out

lines = open(out_path, encoding="utf-8").read().splitlines()
ids = set()
for i, line in enumerate(lines):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        err(i, "top-level keys")
    p, e = obj["post"], obj["expect"]
    for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), t):
            err(i, "missing/wrong " + k)
    if not (1 <= len(p["id"]) <= 256):
        err(i, "id length")
    if p["id"] in ids:
        err(i, "duplicate id")
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(i, "platform")
    if p.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "account.handle")
    if len(p["text"].encode("utf-8")) > 65536:
        err(i, "text too long")
    try:
        when = parse_ts(p["created_at"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"])
    except Exception:
        err(i, "created_at not RFC 3339")
        continue
    if not (2026 <= when.year <= 2027):
        err(i, "created_at year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXO:
        err(i, "categories not sorted/known")
    if e["severity"] not in LEVEL:
        err(i, "severity value")
    acct = "%s:%s" % (p["platform"], p["account"]["handle"])
    role = role_of(acct)
    if role != cases[i]["_role"]:
        err(i, "role mismatch")
    if e["severity"] != severity(cats, role, p["text"]):
        err(i, "severity not per policy")
    if not cats and e["severity"] != "none":
        err(i, "benign must be none")
    if cats and LEVEL.index(e["severity"]) < 2:
        err(i, "positive below warning")
    text = p["text"]
    # identifiers: checksum-valid only in leak.pii posts; look-alikes fail
    for kind_, v, ok in checksum_ids(text):
        if kind_ == "iban" and v in PUBLIC_IBANS:
            if not ok:
                err(i, "public IBAN fails mod-97")
            continue
        if ok and "leak.pii" not in cats:
            err(i, "valid %s %s outside a pii positive" % (kind_, v))
        if not ok and "leak.pii" in cats:
            err(i, "invalid %s %s in a pii positive" % (kind_, v))
        if not ok and cats and kind_ != "bsn":
            err(i, "look-alike %s in a positive" % kind_)
    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if cats and not github_ok(tok):
            err(i, "github token fails CRC in positive")
        if not cats and github_ok(tok):
            err(i, "valid github token in benign")
    for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
        if not cats and not tok.endswith("EXAMPLE"):
            err(i, "AWS key in benign that is not a sample")
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if cats and not jwt_ok(tok):
            err(i, "JWT header without alg")
        if not cats and jwt_ok(tok):
            err(i, "decodable JWT in benign")
    # internal terms / embargo consistency
    nt = norm(text)
    hit = any(t in nt for t in internal_terms)
    for terms, until in embargo:
        if any(t.lower() in nt for t in terms) and when < until:
            hit = True
    if hit and "leak.confidential" not in cats:
        err(i, "internal/embargoed term without leak.confidential")
    if "leak.confidential" in cats and not hit:
        err(i, "leak.confidential without an internal/embargoed term")
    # pricing: benign posts never mention a product below the alert ratio
    if "leak.pricing" not in cats:
        low = nt
        for prod in PROFILE["products"]:
            names = [prod["name"].lower()] + [a.lower() for a in prod["aliases"]]
            for nm in names:
                for m in re.finditer(re.escape(nm), low):
                    for pos, val in prices(text):
                        if abs(pos - m.start()) < 45 and val < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"] \
                                and val not in (12.95,):
                            err(i, "product %r near low price %.2f in non-pricing post" % (nm, val))
# accounts
for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
    assert a.count(":") >= 1
for c in cases:
    pass
for k in ("ibans",):
    for v in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check(v):
            errors.append("profile IBAN fails mod-97")
for k, v in G.items():
    if k.startswith("IBAN_") and not k.startswith("IBAN_BAD") and not iban_check(v):
        errors.append("%s fails" % k)
    if k.startswith("IBAN_BAD") and iban_check(v):
        errors.append("%s passes" % k)
    if k.startswith("CARD_") and luhn_ok(v) != (not k.startswith("CARD_BAD")):
        errors.append("%s luhn wrong" % k)
    if k.startswith("BSN_") and bsn_ok(v) != (not k.startswith("BSN_BAD")):
        errors.append("%s 11-proof wrong" % k)
    if k in ("GHP1", "GHS1") and not github_ok(v):
        errors.append("%s crc wrong" % k)
    if k.startswith("AWS_ID") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
        errors.append("%s format" % k)
if not jwt_ok(G["JWT1"]):
    errors.append("JWT1 header")

# mix
n = len(cases)
benign = sum(1 for c in cases if not c["expect"]["categories"])
per = {}
for c in cases:
    for cat in c["expect"]["categories"]:
        per[cat] = per.get(cat, 0) + 1
nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
roles = {}
for c in cases:
    if c["expect"]["categories"]:
        roles[c["_role"]] = roles.get(c["_role"], 0) + 1
if not (170 <= n <= 180):
    errors.append("case count %d" % n)
if not (55 <= benign <= 65):
    errors.append("benign count %d" % benign)
if not (0.50 <= nl / n <= 0.60):
    errors.append("Dutch share %.2f" % (nl / n))

print("cases=%d benign=%d positives=%d dutch=%.0f%%" % (n, benign, n - benign, 100 * nl / n))
print("per category:", json.dumps(dict(sorted(per.items()))))
print("positive authors by role:", roles)
if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  " + x)
    sys.exit(1)
print("self-check OK")
