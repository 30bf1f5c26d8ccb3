#!/usr/bin/env python3
"""Build sealed evaluation set 199 (Wolkenvlinder Kinderopvang) for postwatch.

Deterministic: fixed seed, standard library + PyYAML.  Writes cases.jsonl beside
this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum and every
    look-alike in a benign post fails it (the company's own published IBAN aside);
  * generated secrets are well formed (GitHub CRC-32, AWS alphabet, JWT header);
  * severities are computed from CONTRACT section 4 and the account role in
    profile.yaml, never typed by hand.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 199_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}

# --------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base 62 order


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_valid(iban)
    return iban


def bad_iban():
    good = make_iban()
    cd = int(good[2:4])
    while True:
        cd2 = rng.randint(2, 98)
        cand = good[:2] + "%02d" % cd2 + good[4:]
        if cd2 != cd and not iban_valid(cand):
            return cand


def spaced(s):
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


def make_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def bad_card():
    good = make_card()
    last = int(good[-1])
    return good[:-1] + str((last + rng.randint(1, 9)) % 10)


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            bsn = head + str(last)
            assert bsn_ok(bsn)
            return bsn


def bad_bsn():
    while True:
        cand = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(cand):
            return cand


# --------------------------------------------------------------------------
# secret generators, built the way the real ones are
# --------------------------------------------------------------------------
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(string.digits + string.ascii_letters, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "ouder-%d" % rng.randint(10000, 99999), "role": rng.choice(["ouder", "pm", "admin"]),
               "loc": rng.randint(1, 80), "iat": iat, "exp": iat + 86400}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def password():
    words = ["Vlinder", "Rups", "Zandbak", "Glijbaan", "Wolk", "Knuffel", "Schommel", "Peuter"]
    return rng.choice(words) + rand(string.digits, 2) + rng.choice("!#$%&*?") + rand(string.ascii_letters, 3) + rand(string.digits, 2)


def stripe_live():
    return "sk_live_" + rand(string.digits + string.ascii_letters, 24)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13), rand(string.digits + string.ascii_letters, 24))


def openai_key():
    a = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rand(a, 74) + "T3BlbkFJ" + rand(a, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "_-", 93) + "AA"


def google_key():
    return "AIza" + rand(string.ascii_letters + string.digits + "_-", 35)


def gitlab_pat():
    return "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20)


def sendgrid_key():
    a = string.ascii_letters + string.digits + "_-"
    return "SG." + rand(a, 22) + "." + rand(a, 43)


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    "GHP": github_token,
    "GHO": lambda: github_token("gho_"),
    "AKIA": aws_key,
    "AWSSECRET": aws_secret,
    "JWT": jwt,
    "PW": password,
    "SKLIVE": stripe_live,
    "SLACK": slack_bot,
    "OPENAI": openai_key,
    "ANTHROPIC": anthropic_key,
    "GOOGLE": google_key,
    "GLPAT": gitlab_pat,
    "SENDGRID": sendgrid_key,
    "SSHKEY": ssh_private_key,
    "IBAN": make_iban,
    "IBAN_SP": lambda: spaced(make_iban()),
    "CARD": lambda: spaced(make_card()),
    "CARD_PLAIN": make_card,
    "BSN": make_bsn,
    "BAD_IBAN": lambda: spaced(bad_iban()),
    "BAD_CARD": lambda: spaced(bad_card()),
    "BAD_BSN": bad_bsn,
    "COMPANY_IBAN": lambda: spaced(COMPANY_IBAN),
}


def fill(text):
    return re.sub(r"<<([A-Z_]+)>>", lambda m: GEN[m.group(1)](), text)


def fw(s):
    """full-width letters (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------
# the posts: (platform, handle, lang, kind, categories, text, created_at or None)
# categories: short names, see CAT
# --------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

POSITIVE = [
    # ---------------- complaints (public) ----------------
    ("x", "@mirjam_moeder_van_2", "nl", "reply", "complaint",
     "@wolkenvlinder al 3 weken op de wachtlijst voor 2 dagen dagopvang terwijl jullie ons in maart een plek BELOOFDEN. ik moet maandag weer aan het werk. wat nu?? 😤", None),
    ("facebook", "Esther Wijnands", "nl", "comment", "complaint",
     "Vandaag mijn dochter om 17:45 opgehaald bij Wolkenvlinder locatie Lunetten en ze had haar luier van ná de middagslaap nog aan. Doorgelekt, koude billen, rode huid. Niemand wist wie verantwoordelijk was want 'er stonden invallers'. Ik betaal hier bijna 1500 euro per maand voor en dit is niet de eerste keer.", None),
    ("x", "@tomasz_in_utrecht", "en", "post", "complaint",
     "third time this month the WolkApp logs me out right when I'm trying to report my son sick. just let me call someone?? #wolkenvlinder", None),
    ("instagram", "@lisa.bouwmeester", "nl", "comment", "complaint",
     "Leuk zo'n vrolijk filmpje maar onze groep heeft sinds januari 4 verschillende juffen gehad. Mijn zoon huilt elke ochtend bij de deur. Doe eerst eens iets aan jullie personeelsverloop @wolkenvlinder.kinderopvang", None),
    ("reddit", "u/tired_dad_amersfoort", "en", "post", "complaint",
     "Anyone else with Wolkenvlinder getting invoiced twice for February? They charged us for the BSO 52 weeks contract twice and customer service says a refund takes '6-8 weeks'. That's €645 I kind of need back before then.", None),
    ("x", "@petravanloon", "nl", "post", "complaint",
     "BSO vandaag dicht wegens personeelstekort. Om 11u een appje. ELF UUR. Ik zit op kantoor in Amsterdam, kind in Amersfoort. Bedankt hoor @wolkenvlinder_zorg", None),
    ("forum", "ouder_uit_zeist", "en", "post", "complaint",
     "Anyone here cancelled with Wolkenvlinder? Two months notice, fine, but they keep direct-debiting after the end date and ignore my emails. Called 3x now, every time 40 min on hold and then 'we'll pass it on to administration'. Getting fed up.", None),
    ("threads", "@sarahj.nl", "en", "post", "complaint",
     "The 'healthy lunch' at Vlindertje BSO today was white bread with chocolate sprinkles. Again. Third week running. At these prices I'd expect at least a piece of fruit lol", None),
    ("x", "@r_demir85", "nl", "post", "complaint",
     "jaaropgave van wolkenvlinder klopt wéér niet, uren wijken af van wat ik bij toeslagen heb opgegeven. straks mag ik terugbetalen door jullie fout. wie gaat dat regelen?", None),
    ("facebook", "Daniel Okafor", "en", "comment", "complaint",
     "Our son was sent home at 10am with 'a slight fever' (37.6!!) and we STILL get charged the full day, and they refused to give us a swap day for it. The policies at Wolkenvlinder are so parent-unfriendly.", None),
    ("tiktok", "@momlife.joyce", "nl", "post", "complaint",
     "pov: je komt je kind ophalen bij de opvang en niemand weet waar zijn jas, tas EN één schoen zijn 🙃 derde keer deze maand #wolkenvlinder #kinderopvang #moederleven", None),
    ("x", "@hannekevos", "en", "reply", "complaint",
     "@wolkenvlinder_zorg your chatbot keeps telling me to 'check the FAQ'. The FAQ doesn't explain why my bill went up 11% without any notice. A human please.", None),
    ("bluesky", "@femkeschrijft.bsky.social", "nl", "post", "complaint",
     "De overdracht bij de dagopvang is tegenwoordig letterlijk 'ging goed'. Twee woorden. Klaar. Ik had bij Wolkenvlinder toch iets meer verwacht over hoe mijn baby van 7 maanden geslapen en gegeten heeft.", None),
    ("x", "@bosmama_jolien", "en", "post", "complaint",
     "so the wolkenvlinder nature BSO is 'temporarily' not going into the woods anymore bc there's no second supervisor. that was literally the only reason we picked them. do we get a discount then?", None),
    ("facebook", "Mark Jenkins", "en", "post", "complaint",
     "Wolkenvlinder cancelled the summer camp 4 days before it started. No alternative offered, refund 'in processing' for three weeks now. I had to take a week off work unpaid. Really disappointed.", None),
    ("x", "@g_hartman", "en", "post", "complaint",
     "been waiting 9 days for a reply from wolkenvlinder klantenservice about our placement. auto-reply said 3 working days. lol. lmao even", None),
    ("mastodon", "@jkoster@mastodon.social", "en", "post", "complaint",
     "Wolkenvlinder's before-school care opens at 7:30 on paper but the door was locked until 7:45 twice this week. Parents standing in the rain with toddlers. Missed my train both times.", None),
    # complaint + own data (public)
    ("x", "@annemiek_r", "nl", "reply", "complaint,pii",
     "@wolkenvlinder_zorg ik wacht al 2 weken op een terugbelverzoek over de facturen. bel me gwn terug op 06 41 27 83 90, ben de hele dag bereikbaar", None),
    ("facebook", "Jeroen Pauwels", "nl", "comment", "complaint,pii",
     "Voor de derde keer: mijn IBAN is <<IBAN_SP>>, jullie incasso gaat nog steeds naar mijn oude rekening. Zet het er nou gewoon goed in Wolkenvlinder, ik krijg elke maand een storno en aanmaningskosten.", None),
    ("facebook", "Nadia Benali", "nl", "comment", "complaint,abuse",
     "Wat een kutbedrijf is Wolkenvlinder. Factuur fout, plek kwijt en dan nog een bijdehante medewerker aan de lijn die me uitlacht. Stelletje prutsers zijn jullie.", None),

    # ---------------- abuse ----------------
    ("x", "@brett_vdh", "en", "post", "abuse",
     "whoever runs the Wolkenvlinder location in Lunetten is a useless fucking idiot and should never be allowed near children", None),
    ("instagram", "@dutchdad_rants", "en", "comment", "abuse",
     "w0lk3nvl1nd3r staff = bunch of l4zy b1tches, sitting on their phones all day while the kids cry", None),
    ("x", "@mo_zeist", "nl", "post", "abuse",
     "Wolkenvlinder is gewoon een k\u0430nk\u0435rbedrijf met k\u0430nk\u0435rmanagers. #wolkenvlinder", None),
    ("x", "@marloes_pm_wv", "nl", "post", "abuse",
     "weer zo'n verwende yuppenmoeder die denkt dat ze de baas is omdat ze 2400 per maand betaalt. achterlijk wijf. #bsoleven #wolkenvlinder", None),
    ("facebook", "Gerrit Mulder", "nl", "comment", "abuse",
     "Sinds er bij Wolkenvlinder allemaal hoofddoekjes op de groep staan is het niveau ingestort. Stuur die lui terug naar hun eigen land.", None),
    ("reddit", "u/unfiltered_opinions", "en", "comment", "abuse",
     "Wolkenvlinder management are spineless parasites. Hope every last one of those greedy pricks loses their job.", None),
    ("x", "@karinvdl", "nl", "reply", "abuse",
     "@wolkenvlinder_zorg jullie klantenservice bestaat echt uit i.d.i.o.t.e.n, g.e.s.t.o.o.r.d.e mensen", None),
    ("threads", "@rickdb_", "nl", "post", "abuse",
     "Ik weet waar die locatiemanager van Wolkenvlinder De Bilt woont. Als ze nog één keer m'n zoon weigert dan zal ze het merken, die vuile trut.", None),
    ("tiktok", "@meester.dani", "nl", "post", "abuse",
     "ouders die om 18:29 binnenrennen en dan nog een praatje willen: jullie zijn echt de ergste sukkels ooit 🙄🤡 #bsoleven #vlindertjebso", None),
    ("x", "@citizen_tk", "en", "post", "abuse",
     fw("Wolkenvlinder = scum") + ". worst daycare in Utrecht, greedy assholes the lot of you", None),

    # ---------------- crisis ----------------
    ("x", "@vader_van_finn", "nl", "post", "crisis",
     "Ons zoontje (2) is vanmiddag door een voorbijganger alleen op straat gevonden, bij Wolkenvlinder locatie Zeist. Het hek stond open. Niemand had het gemerkt. Ik ben woedend en ga morgen aangifte doen.", None),
    ("facebook", "Actiegroep Eerlijke Opvang", "nl", "post", "crisis",
     "OPROEP: boycot Wolkenvlinder! Tarieven +14% terwijl de pm'ers al maanden onderbezet en onderbetaald zijn. Zeg massaal op per 1 september en deel dit bericht! #boycotwolkenvlinder", None),
    ("x", "@alexmoreau_nl", "en", "post", "crisis",
     "Has the Wolkenvlinder parent app been hacked? I can see photos and full names of kids from a completely different group in Amersfoort in my WolkApp feed. This is a massive data breach. @wolkenvlinder", None),
    ("reddit", "u/jurist_in_opleiding", "en", "post", "crisis",
     "Class action against Wolkenvlinder over the overcharged childcare hours — the lawyer says 300+ families have joined already. If you were billed for hours you didn't use in 2024-2025, link in comments.", None),
    ("x", "@ouderraad_nwg", "nl", "post", "crisis",
     "GGD-inspectie: Wolkenvlinder Nieuwegein 'ernstige tekortkomingen', kinderen sliepen in een ruimte zonder toezicht. Waarom horen wij dit als ouders via RTV Utrecht?? #kinderopvang", None),
    ("instagram", "@mama.van.zoë", "nl", "post", "crisis",
     "Onze dochter kreeg een allergische reactie na de lunch bij Wolkenvlinder terwijl haar notenallergie er gewoon in staat. Ambulance moest komen. Dit had fataal kunnen aflopen. Ik ben er kapot van.", None),
    ("x", "@babyveilig_nl", "en", "post", "crisis",
     "Recall needed: the Wolkenvlinder Slaapzak zipper pull comes off way too easily — choking hazard. Our baby had it in her mouth this morning. Why is there nothing on their website yet?", None),
    ("facebook", "Lauren Visser", "en", "post", "crisis",
     "We are taking Wolkenvlinder to court. Our daughter broke her arm on a climbing frame that staff had reported as broken three months earlier, and the incident report was changed afterwards.", None),
    ("x", "@linda_smits", "nl", "post", "crisis",
     "Hoeveel ouders hebben die phishingmail 'van Wolkenvlinder' gehad met de naam van hun kind erin?! Hoe komen die criminelen aan onze gegevens? Datalek?? @wolkenvlinder_zorg", None),
    ("bluesky", "@arbeidsnieuws.bsky.social", "en", "post", "crisis",
     "Wolkenvlinder childcare staff walk out Thursday, 40 locations closed. Honestly can't blame them — this company has been squeezing its workers for years. #staking #kinderopvang", None),
    ("x", "@gelijkwaardig_nl", "en", "post", "crisis",
     "#b" + ZW + "o" + ZW + "y" + ZW + "c" + ZW + "o" + ZW + "t" + "wolkenvlinder: they refused a dad in a wheelchair entry to the building 'for fire safety reasons'. Disgraceful.", None),
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "nl", "comment", "crisis",
     "Ik kan hier niet langer over zwijgen: de inspectie heeft op drie van onze locaties kinderen aangetroffen zonder toezicht en het bestuur wil de rapporten onder de pet houden tot na de verkiezingen.", None),
    ("youtube", "Opvang Onder De Loep", "en", "post", "crisis",
     "In this video I show how toddlers at Wolkenvlinder Leidsche Rijn are left in playpens for hours. Footage filmed by a staff member. This has to stop.", None),
    ("x", "@ede_updates", "en", "post", "crisis",
     "Carbon monoxide alarm at Wolkenvlinder Ede this morning: 23 kids evacuated, 3 taken to hospital. Parents were told it was 'a small technical issue'. SMALL??", None),

    # ---------------- security (insiders, before public) ----------------
    ("x", "@devjoost", "en", "post", "sec",
     "lol our parent portal returns other families' invoices if you just change the number in the URL. reported it in march, ticket still open. anyway happy friday 🍻", None),
    ("linkedin", "anouk-verbeek-security", "nl", "post", "sec",
     "Lange nacht gehad: ransomware op de planningsservers van drie regio's, roosters voor morgen staan op papier. Nog niet naar buiten gebracht dus even stil houden graag 🙏", None),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "sec",
     "WolkApp login has been down for every parent since 06:10, root cause is an expired cert on the auth gateway. comms will call it 'planned maintenance' lol", None),
    ("bluesky", "@lotte-planning.bsky.social", "en", "post", "sec",
     "heads up fellow planners: the shared drive with all the kids' medical forms was 'anyone with the link' for two months. IT only found out yesterday, nothing's been announced to parents yet.", None),
    ("x", "@wolkenvlinder_zorg", "nl", "reply", "sec",
     "@linda_smits Klopt, er is vannacht ingebroken op ons ouderportaal en we weten nog niet welke gegevens zijn ingezien. Graag nog niet verder delen tot we de ouders zelf hebben ingelicht.", None),
    ("facebook", "ThijsVanDamWV", "en", "post", "sec",
     "Colleagues, the cameras in the Amersfoort group rooms can be viewed from outside without a password, tested it myself yesterday from my phone at home. IT knows, nothing has been done yet.", None),
    ("x", "@devjoost", "nl", "post", "sec",
     "s q l - i n j e c t i o n in het inschrijfformulier op de site, nog steeds live 🙈 en niemand die het patcht", None),
    ("reddit", "u/throwaway_wv_partner", "en", "post", "sec",
     "My wife works at Wolkenvlinder head office. Apparently someone got into the payroll system last week and changed the bank details for about 30 staff salaries. They haven't told anyone outside HR yet.", None),
    ("linkedin", "samira-ouali-hr", "en", "post", "sec",
     "Important for colleagues: the HR mailbox was hacked and phishing mails went out from our address to applicants. Official communication only follows next week, so please stay alert.", None),
    ("x", "@marloes_pm_wv", "nl", "post", "sec",
     "systemen liggen er al de hele ochtend uit, kunnen niet inchecken, geen allergielijsten, geen noodnummers. ICT zegt 'storing in het datacenter' maar we mogen niks tegen ouders zeggen 😬", None),
    ("instagram", "@juf.ilse.wv", "en", "comment", "sec",
     "not supposed to say this but the WolkApp photo feature has a bug where deleted photos can still be opened by anyone with the url. fix is planned 'after the summer' 🙃", None),
    ("x", "@devjoost", "en", "post", "sec,conf",
     "the new parent portal is just sitting open on https://staging.wolkenvlinder.local/ouders-next without login, with a copy of production data in it. someone fix pls", None),

    # ---------------- secrets ----------------
    ("x", "@devjoost", "nl", "post", "secret",
     "wie heeft deze in #dev-algemeen gegooid? <<GHP>> draai m ff om pls, staat nu al 2 uur in de channel", None),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "secret",
     "debugging the invoice export, if anyone wants to reproduce: AWS_ACCESS_KEY_ID=<<AKIA>> AWS_SECRET_ACCESS_KEY=<<AWSSECRET>> region eu-west-1", None),
    ("linkedin", "anouk-verbeek-security", "nl", "comment", "secret",
     "Waarom is deze sessietoken na 24 uur nog steeds geldig?? <<JWT>> — kijk zelf maar in jwt.io", None),
    ("x", "@devjoost", "nl", "post", "secret",
     "DATABASE_URL=postgres://wolkapp:<<PW>>@wv-prod-db.c8x2mfa1.eu-west-1.rds.amazonaws.com:5432/wolkapp staat dus gewoon in de README van de mobile repo 🤦‍♂️", None),
    ("bluesky", "@lotte-planning.bsky.social", "en", "post", "secret",
     "relief pool colleagues: this week's password for the planning tool is <<PW>> (don't forward it ok 😇)", None),
    ("linkedin", "wolkenvlinder-kinderopvang", "nl", "post", "secret",
     "Vacature: senior developer WolkApp! Laat zien wat je kan 😉 curl https://api.openai.com/v1/responses -H \"Authorization: Bearer <<OPENAI>>\" -d '{\"model\":\"gpt-4.1\",\"input\":\"Schrijf een sollicitatiebrief\"}'", None),
    ("x", "@devjoost", "en", "post", "secret",
     "<<SSHKEY>>\noops wrong clipboard 😅", None),
    ("reddit", "u/js_bundle_snooper", "en", "post", "secret",
     "Found this in Wolkenvlinder's public JS bundle on their parent portal: stripeSecret: \"<<SKLIVE>>\". A live secret key in the frontend, in 2026. lmao", None),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "secret",
     "if the alert bot is spamming you, blame this: SLACK_BOT_TOKEN=<<SLACK>> — it's in the cron on the old box", None),
    ("bluesky", "@lotte-planning.bsky.social", "en", "post", "secret",
     "my little route planner for the BSO pickups works!! maps key is <<GOOGLE>> if any colleague wants to try it", None),
    ("x", "@devjoost", "en", "reply", "secret",
     "@bram_ops the summariser for the daily reports uses this one: ANTHROPIC_API_KEY=<<ANTHROPIC>> budget is almost gone btw", None),
    ("instagram", "@juf.ilse.wv", "nl", "comment", "secret",
     "w" + ZW + "achtwoord ouderportaal groep Egeltjes: <<PW>> (voor de nieuwe ouders, app me als het niet werkt)", None),

    # ---------------- confidential ----------------
    ("x", "@marloes_pm_wv", "nl", "post", "conf",
     "morgen verplichte training over Kraanvogel, geen idee wat het is maar we moeten er allemaal heen 😂", None),
    ("instagram", "@juf.ilse.wv", "nl", "post", "conf",
     "Sneak peek van de eerste Vlinder Natuurgroep locatie 🌳🦋 (psst, nog niks zeggen)", "2026-10-14T16:20:00Z"),
    ("x", "@kees_locatiemanager", "nl", "post", "conf,fin",
     "Operatie Lieveheersbeestje gaat dus over het samenvoegen van alle groepen in De Bilt en Bilthoven in één pand. Vandaag aan ons verteld, helft van de teams moet eruit.", None),
    ("linkedin", "samira-ouali-hr", "nl", "post", "conf",
     "[WV-VERTROUWELIJK] Nieuwe inschaling pm'ers per 1 juli, zie bijlage voor de tabellen per functieniveau. Graag vóór vrijdag reageren.", None),
    ("x", "@devjoost", "nl", "post", "conf",
     "https://jira.wolkenvlinder.nl/browse/WOLK-2231 wie pakt deze op? staat al 3 sprints open", None),
    ("tiktok", "@meester.dani", "nl", "post", "conf",
     "de nieuwe WolkApp 3 is echt zóveel beter, mogen we nog niks over zeggen maar 🤫🤫 #vlindertjebso", "2027-01-10T17:45:00Z"),
    ("x", "@wolkenvlinder", "nl", "post", "conf",
     "Intern gebruik Wolkenvlinder — concept persbericht: per 1 maart sluiten wij de locatie Oog in Al. Nog niet plaatsen!!", None),
    ("reddit", "u/leaky_slides", "en", "post", "conf",
     "Slide from a Wolkenvlinder all-hands that's going around: 'Project Zandkasteel – 12 new sites in Almere & Lelystad, go-live Q3'. So that's where the money's going.", None),
    ("linkedin", "anouk-verbeek-security", "en", "post", "conf",
     "Presented our threat model at the Kraanvogel kickoff today. Great to see security involved from day one!", None),
    ("facebook", "ThijsVanDamWV", "nl", "post", "conf",
     "Net de mail 'niet extern verspreiden' gekregen over de nieuwe pedagogische visie. Drie pagina's over 'kindregie'. Ik zeg niks meer 🙈", None),
    ("x", "@marloes_pm_wv", "nl", "post", "conf",
     fw("Kraanvogel") + " komt eraan, eindelijk nieuwe roosters 🙏", None),
    ("instagram", "@juf.ilse.wv", "nl", "comment", "conf,fin",
     "volgens de wandelgangen worden de jaarcijfers 2026 echt slecht, verlies op bijna alle bso's 😬", "2027-02-20T20:10:00Z"),
    ("x", "@nieuwsgierige_nina", "en", "post", "conf",
     "psst my sister-in-law at Wolkenvlinder says WolkApp 3 launches with live video calls to the group. you didn't hear it from me 🤐", "2026-09-21T12:00:00Z"),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "conf",
     "https://git.wolkenvlinder.nl/wolkapp/ios/-/merge_requests/412 reviewers please 🙏 it's blocking the release", None),
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "nl", "post", "conf",
     "Presentatie voor de RvC af: 'WV-VERTROUWELIJK – scenario's 2027'. Lange dag, goed gesprek.", None),
    ("x", "@kees_locatiemanager", "nl", "post", "conf",
     "Pr0ject Z4ndk4st33l gaat echt door zeggen ze, de nieuwe locaties worden gigantisch", None),

    # ---------------- financial ----------------
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "nl", "post", "fin",
     "Net de voorlopige cijfers over het derde kwartaal gezien: omzet +9%, maar de EBITDA komt uit rond €4,1 mln, ver onder budget. Morgen de aandeelhouders bijpraten.", None),
    ("x", "@kees_locatiemanager", "nl", "post", "fin",
     "we horen net dat 6 locaties in Gelderland per 1 januari dichtgaan en de teams worden 'herverdeeld'. ontslagen dus. is nog niet officieel", None),
    ("linkedin", "samira-ouali-hr", "en", "post", "fin",
     "Busy weeks ahead in HR: we're preparing the consultation process for the 140 FTE reduction at head office. Not announced yet, so please no questions 🙂", None),
    ("x", "@insider_opvang", "en", "post", "fin",
     "Good source tells me Wolkenvlinder is being bought by a Swedish investor. Deal is done, announcement after the summer.", None),
    ("x", "@wolkenvlinder", "nl", "post", "fin",
     "Mooi nieuws dat we eigenlijk nog niet mogen delen: de overname van kinderdagverblijfketen De Speelboot (14 locaties) is rond! Officiële aankondiging volgt maandag 🎉", None),
    ("tiktok", "@meester.dani", "nl", "post", "fin",
     "zeggen ze tegen ons dat er geen geld is voor loonsverhoging, terwijl volgens de interne begroting de winst dit jaar 6,3 miljoen wordt 🙃", None),
    ("facebook", "ThijsVanDamWV", "en", "post", "fin",
     "Heard in today's managers meeting: Wolkenvlinder will merge with another chain early next year, the board already signed the letter of intent.", None),
    ("reddit", "u/numbers_dont_lie_nl", "en", "comment", "fin",
     "Friend in finance at Wolkenvlinder: they're going to breach their bank covenants this year and are renegotiating the loan. Expect another round of fee hikes.", None),
    ("x", "@marloes_pm_wv", "nl", "post", "fin",
     "reorganisatie: alle bso's in utrecht-oost gaan naar 1 hoofdlocatie, 20 collega's moeten solliciteren op hun eigen baan. mogen het nog niet tegen ouders zeggen", None),
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "en", "post", "fin",
     "Q4 2026 guidance for the board: revenue approx. €118m, net loss €2.3m after the restructuring provision. Long evening with the slides. #finance", None),

    # ---------------- pricing ----------------
    ("instagram", "@wolkenvlinder.kinderopvang", "nl", "post", "pricing",
     "Actie! 🦋 Vlindertje BSO 52 weken nu voor maar €64,50 per maand. Schrijf je snel in via de app!", None),
    ("x", "@devjoost", "nl", "post", "pricing",
     "lol in de app staat WolkApp Plus nu voor €0,49 per maand ipv 4,99. prijsfout, iemand van marketing wakker?", None),
    ("x", "@dealjager_nl", "nl", "post", "pricing",
     "haha bij Wolkenvlinder kun je nu Dagopvang 5 dagen afsluiten voor €239,50 per maand op de site. snel zijn mensen!! 🏃‍♀️", None),
    ("reddit", "u/bargainhunter_ut", "en", "post", "pricing",
     "Price error? Wolkenvlinder's site lists the Zomerkamp Vlinderweek at €29.50 instead of €295. Booked two weeks, curious whether they'll honour it.", None),
    ("facebook", "WolkenvlinderKinderopvang", "nl", "post", "pricing",
     "Nieuw: de Flexkaart Dagopvang 10 dagen voor slechts €119! ✨ Ideaal voor ouders met wisselende diensten.", None),
    ("instagram", "@juf.ilse.wv", "en", "comment", "pricing",
     "psst parents, Babyzwemmen Waterdruppels is €14,90 for the whole course in the app today 🤭 pretty sure it's a mistake but grab it", None),
    ("x", "@zuinig_met_3", "nl", "post", "pricing",
     "prijsfout bij wolkenvlinder? Natuur-BSO Boswachters staat voor €57,50 p/m in de nieuwe tarievenlijst 👀", None),
    ("x", "@wolkenvlinder_zorg", "nl", "reply", "pricing",
     "@ouder_anouk Klopt, er stond een prijsfout bij de Huiswerkklas Plus in de app. We passen het vandaag aan, excuses voor de verwarring.", None),
    ("tiktok", "@koopjesqueen.ams", "nl", "post", "pricing",
     "OMG de Wolkenvlinder Slaapzak voor €3,99 in de webshop, ik heb er meteen 4 besteld 😂 #prijsfout #koopje", None),
    ("facebook", "Kim Hollander", "en", "comment", "pricing",
     "Wolkenvlinder's new tariff page says BSO 40 weeks is €149 per month. Typo or is this real?? signing up my twins if so", None),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "pricing",
     "Peuterochtenden Rupsje is €26.80 in prod because someone dropped a zero in the price table migration. fixing now, don't tell sales", None),

    # ---------------- personal data ----------------
    ("instagram", "@juf.ilse.wv", "nl", "post", "pii",
     "Gefeliciteerd lieve Daan Verhoef, geboren 12-05-2022, vandaag alweer 4 jaar! 🎉 De hele groep Egeltjes is trots op je 💛", "2026-05-12T09:30:00Z"),
    ("linkedin", "samira-ouali-hr", "nl", "comment", "pii",
     "Wie heeft het contract van Yasmina El Idrissi? BSN <<BSN>>, start 1 maart, salaris graag op <<IBAN_SP>>. Dan kan payroll verder.", None),
    ("x", "@wolkenvlinder_zorg", "nl", "reply", "pii",
     "@jpauwels Beste Jeroen, we hebben de terugbetaling gedaan naar <<IBAN>> t.n.v. J. Pauwels. Excuses voor het ongemak!", None),
    ("x", "@lucia_mendes", "en", "reply", "pii",
     "@wolkenvlinder_zorg here's my card for the summer camp payment since the app keeps failing: <<CARD>> exp 09/28. please just charge it", None),
    ("tiktok", "@meester.dani", "nl", "post", "pii",
     "adres voor het kerstkaartje aan collega Fenna de Wit die met zwangerschapsverlof is: Oudegracht 214-bis, 3511 NX Utrecht. stuur allemaal iets leuks 💌", None),
    ("bluesky", "@lotte-planning.bsky.social", "nl", "post", "pii",
     "invalkracht voor morgen in Houten: Priya Ramdin, priya.ramdin92@hotmail.com, +31 6 2874 1190. bel haar even over de sleutel", None),
    ("x", "@kees_locatiemanager", "nl", "post", "pii",
     "voor de invallers: alleen de vader van Lucas Bakker (geb. 03-11-2021) mag hem ophalen, rechterlijke uitspraak. moeder NIET meegeven", None),
    ("facebook", "WolkenvlinderKinderopvang", "nl", "post", "pii",
     "En de winnaar van onze kleurplatenwedstrijd is… Mila Jansen (6) van de Kerkstraat 12 in Woerden! 🎨 Gefeliciteerd Mila!", None),
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "nl", "comment", "pii",
     "Voor de boekhouding: de zakelijke creditcard is <<CARD>> (op naam R. Hoogendijk), alleen gebruiken voor de RvC-lunch.", None),
    ("reddit", "u/angry_in_maarssen", "en", "post", "pii,abuse",
     "This is the Wolkenvlinder manager who refused my kid: Anja Vermeulen, Parkweg 31, Maarssen, 06 5512 0387. Go tell that heartless cow what you think of her.", None),
    ("x", "@devjoost", "nl", "post", "pii",
     "test-ouder in productie gevonden met een échte BSN?? <<BSN>> (Karin Smit). wie doet dit nou", None),
    ("facebook", "ThijsVanDamWV", "nl", "post", "pii",
     "wie heeft de groepslijst met alle ouder-mailadressen in de printer laten liggen? o.a. d.vandijk@ziggo.nl en s.oztürk@kpnmail.nl staan erop. graag even ophalen!", None),
    ("x", "@devjoost", "en", "post", "pii",
     "the refund script crashed on this one, card number is <<CARD_PLAIN>>, anyone know why stripe rejects it?", None),
]

BENIGN = [
    ("x", "@wolkenvlinder_zorg", "nl", "post", "",
     "Vragen over je factuur of jaaropgave? Mail klantenservice@wolkenvlinder.nl of bel gratis 0800-9653 (ma t/m vr 8:00-18:00). We helpen je graag!", None),
    ("facebook", "WolkenvlinderKinderopvang", "nl", "post", "",
     "Liever zelf overmaken dan incasso? Dat kan naar <<COMPANY_IBAN>> t.n.v. Wolkenvlinder Kinderopvang B.V., o.v.v. je klantnummer.", None),
    ("x", "@sophie_r_nl", "en", "post", "",
     "shoutout to juf Marloes at Wolkenvlinder Lunetten, my daughter literally cried because she had to go home today 😭❤️", None),
    ("facebook", "Ilona de Graaf", "en", "comment", "",
     "Zomerkamp Vlinderweek is €249 instead of €295 if you book early, we already booked 🌞 last year was great", None),
    ("instagram", "@wolkenvlinder.kinderopvang", "nl", "post", "",
     "Vroegboekkorting! 🦋 20% korting op de Vakantieopvang Dagkaart: €63,60 i.p.v. €79,50. Geldig t/m 31 mei.", None),
    ("reddit", "u/new_in_utrecht_2026", "en", "post", "",
     "How does Wolkenvlinder compare for after-school care? We'd pay €645/month for the BSO 52 weeks contract, which seems about normal for Utrecht. Any experiences?", None),
    ("forum", "tweelingvader", "nl", "post", "",
     "Na kinderopvangtoeslag betalen wij nog zo'n €610 per maand voor Dagopvang 3 dagen bij Wolkenvlinder, bruto is het €1465. Valt dus best mee als je het netto bekijkt.", None),
    ("x", "@devjoost", "nl", "post", "",
     "tip voor je README: gebruik nooit echte keys in voorbeelden, zet er iets neer als AKIAIOSFODNN7EXAMPLE en klaar", None),
    ("linkedin", "anouk-verbeek-security", "en", "post", "",
     "Workshop today on secret scanning. Example of what we catch: ghp_************************ (redacted, obviously). Rotate early, rotate often!", None),
    ("x", "@kees_locatiemanager", "nl", "post", "",
     "ons LRK-nummer hangt gewoon bij de ingang: <<BAD_BSN>>. ouders kunnen ons zo opzoeken in het landelijk register 👍", None),
    ("facebook", "Marieke Smeets", "nl", "comment", "",
     "Iemand anders ook een 'betaalherinnering' gehad met 'betaal naar <<BAD_IBAN>>'? Dat IBAN bestaat niet eens, gewoon spam. Heeft niks met Wolkenvlinder te maken, niet op klikken!", None),
    ("x", "@thomas_ams", "en", "reply", "",
     "@wolkenvlinder_zorg my customer number is <<BAD_CARD>>, why don't I see it anywhere in the app? otherwise all good", None),
    ("linkedin", "wolkenvlinder-kinderopvang", "nl", "post", "",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €121 mln, 80 locaties en ruim 2.100 collega's. Het volledige jaarverslag staat op wolkenvlinder.nl/jaarverslag.", "2027-03-04T08:05:00Z"),
    ("instagram", "@wolkenvlinder.kinderopvang", "nl", "post", "",
     "WolkApp 3 is live! 🎉 Update via de App Store of Google Play en ontdek het nieuwe dagboek.", "2027-01-12T09:00:00Z"),
    ("x", "@ellen_in_zeist", "en", "post", "",
     "Went to the open day of the new Vlinder Natuurgroep site in Zeist, looks lovely, the kids didn't want to leave 🌲", "2027-01-23T14:40:00Z"),
    ("x", "@vogelaar_jos", "nl", "post", "",
     "Vandaag met de Boswachters van Wolkenvlinder kraanvogels gespot boven de Oostvaardersplassen! De kids waren zo enthousiast 🐦", None),
    ("x", "@buurvrouw_ede", "en", "post", "",
     "Thinking of all the Wolkenvlinder Ede staff after that fire in the building next door. You handled it so calmly, every little one safe 💚", None),
    ("reddit", "u/tired_dad_amersfoort", "en", "comment", "",
     "Update: Wolkenvlinder fixed the double invoice within two days and apologised by phone. Credit where it's due.", None),
    ("x", "@ouder_in_rdam", "en", "post", "",
     "Another childcare chain in Rotterdam had a data breach, glad Wolkenvlinder just added two-factor login to the WolkApp. Good move.", None),
    ("x", "@dadjokes_daan", "en", "post", "",
     "my toddler just called me a 'stupid poopyhead' at Wolkenvlinder pickup. he's learning so much there 😂", None),
    ("instagram", "@juf.ilse.wv", "nl", "post", "",
     "Vandaag met de Egeltjes het grootste zandkasteel óóit gebouwd in de zandbak 🏖️☀️", None),
    ("x", "@wolkenvlinder", "nl", "post", "",
     "We zoeken pedagogisch medewerkers in Utrecht en Amersfoort! Solliciteer via werkenbij@wolkenvlinder.nl 💼🦋", None),
    ("facebook", "Rachel Thompson", "en", "comment", "",
     "Does anyone know if the Sport-BSO Sprinters at Wolkenvlinder has spots for 2027? It's €595/month right?", None),
    ("linkedin", "ruud-hoogendijk-wolkenvlinder", "nl", "post", "",
     "Trots op ons team! Inmiddels 80 locaties en ruim 2.100 collega's die elke dag het verschil maken voor kinderen. Dank jullie wel.", None),
    ("tiktok", "@mamavanlieke", "nl", "post", "",
     "mijn dochter noemde de juf vandaag 'een dikke sukkel' en ik zakte door de grond 🫣 sorry juf Ilse, ze heeft het van haar broer", None),
    ("threads", "@wolkenvlinder.nl", "nl", "post", "",
     "Let op: WolkApp vraagt nooit om je wachtwoord via mail of sms. Wachtwoord vergeten? Reset het veilig in de app onder Instellingen.", None),
    ("reddit", "u/curious_dev_mum", "en", "post", "",
     "Does the WolkApp API use JWTs? I see 'eyJhbGciOi…' (truncated) in the network tab and wonder how long sessions last. Asking as a nerdy parent.", None),
    ("mastodon", "@bram_ops@mastodon.nl", "en", "post", "",
     "example connection string for tomorrow's workshop: postgres://user:password@localhost:5432/demo — obviously never use this in prod 😉", None),
    ("facebook", "Fatma Yildiz", "nl", "comment", "",
     "Wat een fijne overdracht vandaag bij Vlindertje BSO, ze hadden zelfs foto's van het knutselen laten zien. Tevreden ouder hier!", None),
    ("x", "@joris_flexwerker", "en", "post", "",
     "Is Wolkenvlinder's Flexkaart really €1190 for 10 days? steep compared to fixed days but with my shifts it's worth it", None),
    ("instagram", "@wolkenvlinder.kinderopvang", "nl", "post", "",
     "Laatste kans: Verjaardagsbox Feestvlinder met 10% korting, nu €24,75 🎈 Trakteren zonder stress!", None),
    ("bluesky", "@opvangnieuws.bsky.social", "nl", "post", "",
     "Kinderopvangtoeslag gaat in 2027 omhoog, ook goed nieuws voor ouders bij Wolkenvlinder en andere organisaties.", None),
    ("x", "@claire_houten", "en", "post", "",
     "Sorry to hear about the staff shortage at Wolkenvlinder Houten, the team is doing their absolute best. We'll manage with grandma this week ❤️", None),
    ("reddit", "u/eerste_kindje", "nl", "post", "",
     "Iemand een tip? Wolkenvlinder vroeg bij de inschrijving om het BSN van onze dochter voor de toeslag. Is dat normaal of moet ik dat niet doen?", None),
    ("x", "@marloes_pm_wv", "nl", "post", "",
     "vandaag was het 'operatie opruimen' op de groep, alles schoon en de kids hebben keihard meegeholpen 🧹✨", None),
    ("x", "@bas_uit_bunnik", "en", "post", "",
     "Read that Bambino Opvang got bought by some fund. Hope Wolkenvlinder stays independent, we love our location.", None),
    ("linkedin", "wolkenvlinder-kinderopvang", "nl", "post", "",
     "Wolkenvlinder publiceert de cijfers over het eerste halfjaar van 2026: omzet gestegen met 7%. Het volledige persbericht staat op wolkenvlinder.nl/pers.", "2026-08-20T07:30:00Z"),
    ("x", "@oma_truus", "nl", "post", "",
     "Bel gewoon +31 30 799 4400, daar helpen ze je echt sneller dan via die app. Tip van een oma 😉 #wolkenvlinder", None),
    ("linkedin", "anouk-verbeek-security", "en", "post", "",
     "Spoke at a conference about how we handled last year's outage, which we reported publicly at the time. Transparency matters.", None),
    ("facebook", "Sophie Lambert", "en", "comment", "",
     "The Wolkenvlinder Slaapzak is honestly the best, bought two at €39.95 and they wash great.", None),
    ("instagram", "@drukke_mama_amy", "nl", "comment", "",
     "BSO 40 weken met 15% korting voor het tweede kind, dus €420,75. Top geregeld door Wolkenvlinder 👌", None),
    ("x", "@lina_happy", "en", "post", "",
     "b e s t   d a y c a r e   e v e r 💕 thank you Wolkenvlinder Leidsche Rijn #wolkenvlinder", None),
    ("x", "@vader_jeroen", "nl", "post", "",
     "Vakantieopvang Dagkaart €79,50 voor een dag speeltuin, pannenkoeken en een uitgeputte dochter. Prima prijs eerlijk gezegd.", None),
    ("reddit", "u/tomasz_pl_nl", "en", "comment", "",
     "They refunded to my account NL** RABO **** **** 12 within a day, no complaints from me.", None),
    ("threads", "@wolkenvlinder.nl", "nl", "post", "",
     "Onze jaarcijfers 2025 staan online 📊 Lees het jaarverslag via wolkenvlinder.nl/jaarverslag", None),
    ("x", "@papa_pim", "en", "post", "",
     "killing it at pickup today, my kid was the very last one out and still happy. Wolkenvlinder staff are the bomb 💣🙌", None),
    ("mastodon", "@kira_sec@infosec.exchange", "en", "post", "",
     "Reported a minor issue to Wolkenvlinder last month, they fixed it in 48h and thanked me. Responsible disclosure done right 👏", None),
    ("youtube", "Gezin Op Reis", "en", "post", "",
     "Vlog: a day at the Wolkenvlinder Natuur-BSO, the kids build huts in the woods and cook on a campfire 🌲🔥", None),
    ("x", "@devjoost", "nl", "post", "",
     "onze docs gebruiken sk_test_xxxxxxxxxxxxxxxxxxxxxxxx als voorbeeld, dus nee dat is geen gelekte key 😅", None),
    ("x", "@marco_vdb", "en", "reply", "",
     "Boycott? Nah. My kids love Wolkenvlinder, ignore the Facebook drama.", None),
    ("forum", "bezorgde_ouder_88", "nl", "post", "",
     "Let op: een nep-account '@wolkenvlinder_actie' belooft gratis opvang als je je gegevens invult. De echte klantenservice is klantenservice@wolkenvlinder.nl, check dat altijd even.", None),
    ("linkedin", "samira-ouali-hr", "en", "post", "",
     "We're hiring HR advisors at Wolkenvlinder! Apply via werkenbij@wolkenvlinder.nl. Hybrid, 32-36 hours a week.", None),
    ("x", "@student_ilias", "en", "post", "",
     "toeslagen site says my BSN is invalid, I typed <<BAD_BSN>>. turns out I swapped two digits lol. Wolkenvlinder helpdesk was super patient with me", None),
    ("facebook", "WolkenvlinderKinderopvang", "nl", "post", "",
     "Vandaag hadden we op alle locaties onze jaarlijkse ontruimingsoefening 🚒 Alle kinderen stonden binnen drie minuten buiten. Goed gedaan toppers!", None),
    ("threads", "@wolkenvlinder.nl", "nl", "post", "",
     "Alles wat jullie ons vertellen over je kind behandelen we vertrouwelijk 💛 Zo bouwen we samen aan een veilige plek.", None),
    ("x", "@gierige_gerda", "nl", "post", "",
     "bij de drogist stond een prijsfout op luiers, bij Wolkenvlinder zal dat nooit gebeuren haha, daar is alles gewoon duur 😅", None),
    ("x", "@mama_noor", "nl", "post", "",
     "Kleine klacht gisteren over de jassen-chaos bij de BSO, vandaag al gebeld door de locatiemanager en opgelost. Zo kan het dus ook 👏 @wolkenvlinder", None),
    ("instagram", "@wolkenvlinder.kinderopvang", "en", "post", "",
     "Noodopvang needed? Our Noodopvang Dagdeel is €74 and can be booked in WolkApp until 7:00 the same morning.", None),
    ("x", "@ruben_fietst", "en", "post", "",
     "The Wolkenvlinder team in Lunetten organised a bike safety day for the BSO kids. Brilliant initiative 🚲", None),
]


# --------------------------------------------------------------------------
# severity (CONTRACT section 4)
# --------------------------------------------------------------------------
LEVEL = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\bNL\d{2}\s?[A-Z]{4}\s?\d{4}\s?\d{4}\s?\d{2}\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d\-])\d{9}(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def company_iban(s):
    return re.sub(r"\s", "", s) == COMPANY_IBAN


def checksum_ids(text):
    """yield (kind, value, valid) for every IBAN, card and BSN look-alike."""
    for m in IBAN_RE.finditer(text):
        yield "iban", m.group(0), iban_valid(m.group(0))
    for m in CARD_RE.finditer(text):
        yield "card", m.group(0), luhn_ok(m.group(0))
    for m in BSN_RE.finditer(text):
        yield "bsn", m.group(0), bsn_ok(m.group(0))


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    valid_id = any(v for k, s, v in checksum_ids(text) if not (k == "iban" and company_iban(s)))
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                l = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_id):
                    l = 4
            else:
                l = 2
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 3 if inside else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, l)
    return LEVEL[lvl]


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
START = datetime(2026, 1, 3, tzinfo=timezone.utc)


def random_date():
    d = START + timedelta(days=rng.randint(0, 350), hours=rng.randint(6, 22), minutes=rng.randint(0, 59),
                          seconds=rng.randint(0, 59))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}", "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}",
}


def build():
    raw = [(p, True) for p in POSITIVE] + [(b, False) for b in BENIGN]
    order = list(range(len(raw)))
    rng.shuffle(order)
    cases = []
    used_ids = set()
    for seq, idx in enumerate(order):
        (platform, handle, lang, kind, cats, text, created), positive = raw[idx]
        text = fill(text)
        cats_full = sorted({CAT[c] for c in cats.split(",") if c})
        assert bool(cats_full) == positive
        role = role_of(platform, handle)
        n = 7_300_000 + seq * 97 + rng.randint(0, 96)
        pid = "%s-%d" % (platform, n)
        assert pid not in used_ids
        used_ids.add(pid)
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": created or random_date(),
        }
        if platform in URL_BASE and rng.random() < 0.5:
            post["url"] = URL_BASE[platform].format(h=handle.lstrip("@"), n=n)
        if rng.random() < 0.35:
            post["brand"] = "Vlindertje BSO" if "bso" in text.lower() else "Wolkenvlinder"
        cases.append({"post": post,
                      "expect": {"categories": cats_full, "severity": severity(cats_full, role, text)}})
    return cases


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errors = []
    ids = set()
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    for ln in lines:
        case = json.loads(ln)
        post, exp = case["post"], case["expect"]
        pid = post.get("id")
        if set(case) != {"post", "expect"}:
            errors.append((pid, "case keys"))
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append((pid, "id"))
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            errors.append((pid, "platform/kind"))
        if not isinstance(post.get("account", {}).get("handle"), str) or not isinstance(post.get("text"), str):
            errors.append((pid, "handle/text"))
        if len(post["text"].encode("utf-8")) > 65536:
            errors.append((pid, "too long"))
        ts = parse_ts(post["created_at"])
        if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
            errors.append((pid, "created_at"))
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errors.append((pid, "categories"))
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            errors.append((pid, "severity"))
        if not cats and exp["severity"] != "none":
            errors.append((pid, "benign severity"))
        text = post["text"]
        # checksums
        for kind, val, ok in checksum_ids(text):
            if kind == "iban" and company_iban(val):
                continue
            if cats and not ok:
                errors.append((pid, "positive has invalid %s %s" % (kind, val)))
            if not cats and ok:
                errors.append((pid, "benign has valid %s %s" % (kind, val)))
        if "leak.pii" in cats and role != "public":
            has_valid = any(ok for k, v, ok in checksum_ids(text) if not (k == "iban" and company_iban(v)))
            if has_valid and exp["severity"] != "critical":
                errors.append((pid, "pii critical"))
        # generated secrets well formed
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not github_ok(tok):
                errors.append((pid, "github crc"))
            if not cats:
                errors.append((pid, "benign with github token"))
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", key):
                errors.append((pid, "aws alphabet"))
            if not cats and not key.endswith("EXAMPLE"):
                errors.append((pid, "benign aws key"))
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            head = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errors.append((pid, "jwt alg"))
            if not cats:
                errors.append((pid, "benign jwt"))
        # emails in benign posts are the company's own
        if not cats:
            for em in EMAIL_RE.findall(text):
                if em.lower() not in PUBLIC_EMAILS and not em.endswith("@localhost"):
                    if "@" in em and "." in em.split("@")[1]:
                        errors.append((pid, "benign email %s" % em))
        # embargo / codenames
        low = text.lower()
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", low):
                if ts < until and "leak.confidential" not in cats:
                    errors.append((pid, "embargo term before until not confidential"))
                if ts >= until and cats:
                    pass
        if not cats:
            for c in codenames:
                if re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", low):
                    errors.append((pid, "benign with codename"))
        # role sanity: secrets/security leaks mostly inside; public handles not in profile is implied by role_of
    return errors, ids


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    with open(out, encoding="utf-8") as fh:
        errors, ids = check([l for l in fh.read().splitlines() if l.strip()])

    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per_cat = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    roles = {}
    for c in cases:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        key = (r, bool(c["expect"]["categories"]))
        roles[key] = roles.get(key, 0) + 1
    sev = {}
    for c in cases:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1

    if not 170 <= n <= 180:
        errors.append((None, "case count %d" % n))
    if not 55 <= benign <= 65:
        errors.append((None, "benign count %d" % benign))
    if not 0.50 <= nl / n <= 0.60:
        errors.append((None, "dutch share %.2f" % (nl / n)))
    if len({c["post"]["platform"] + ":" + c["post"]["account"]["handle"] for c in cases}) < 40:
        errors.append((None, "too few distinct authors"))

    print("cases:", n, "benign:", benign, "positive:", n - benign)
    print("dutch share: %.2f" % (nl / n))
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("severity:", json.dumps(dict(sorted(sev.items()))))
    print("roles (role, positive):", {("%s,%s" % k): v for k, v in sorted(roles.items())})
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
