#!/usr/bin/env python3
"""Build the labelled evaluation set sealed205 for postwatch.

Company: Reinwaard Afval & Grondstoffen N.V. (fictional Dutch municipal waste company),
described in profile.yaml next to this script.

Post texts are hand-written. Secrets and checksummed identifiers are generated here
(deterministically, fixed seed) the way the real ones are built, inserted at the
placeholders written as  [[name]]  and registered, so that the self-check can verify:
  * every IBAN / card / BSN in a leak.pii positive passes its checksum,
  * every look-alike in a benign post fails it,
  * no accidental valid identifier, codename, marker, internal host, embargoed term or
    below-list price sits in a post whose labels do not say so,
  * every line is a valid CONTRACT section 6 case,
  * expected severities follow CONTRACT section 4, computed from the account role that
    the profile gives the author (never typed by hand).

Usage:  python3 make_cases.py      (writes cases.jsonl beside itself, exits 1 on error)
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
SEED = 205_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------
DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(valid=True):
    bank = rng.choice(["RABO", "INGB", "ABNA", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = str(rng.randint(1, 9)) + rand(DIGITS, 9)
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    check = 98 - n % 97
    if not valid:
        check = (check + rng.randint(1, 96)) % 97 + 2
        if check > 98:
            check = 2
        # make sure it really fails
        while iban_ok("NL%02d%s" % (check, bban)):
            check = check % 97 + 2
    return "NL%02d%s" % (check, bban)


def fmt_iban(s, spaced):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


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


def luhn_digit(partial):
    for c in DIGITS:
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def make_card(valid=True):
    prefix = rng.choice(["4", "4", "51", "53", "55", "2221"])
    body = prefix + rand(DIGITS, 15 - len(prefix))
    last = luhn_digit(body)
    if not valid:
        last = str((int(last) + rng.randint(1, 9)) % 10)
    return body + last


def fmt_card(s, style):
    groups = [s[i:i + 4] for i in range(0, len(s), 4)]
    return {"sp": " ".join(groups), "dash": "-".join(groups), "raw": s}[style]


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def make_bsn(valid=True):
    while True:
        d = [rng.randint(1, 3)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last == 10:
            continue
        s = "".join(map(str, d)) + str(last)
        assert bsn_ok(s)
        if valid:
            return s
        bad = s[:8] + str((last + rng.randint(1, 9)) % 10)
        if not bsn_ok(bad):
            return bad


def fmt_bsn(s, style):
    return s[:4] + "." + s[4:6] + "." + s[6:] if style == "dot" else s


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())) == m.group(3)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "sub": "svc-routeplanner",
        "iss": "auth.reinwaard",
        "role": "dispatcher",
        "iat": 1767600000 + rng.randint(0, 9_000_000),
    }
    payload["exp"] = payload["iat"] + 86400
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(sig),
    ])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in head


def make_rsa():
    body = "MIIEpAIBAAKCAQEA" + rand(B64, 64 * 5 - 16)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n" + rand(B64, 40) + "==\n-----END RSA PRIVATE KEY-----")


SECRET_GEN = {
    "ghp": lambda: gh_token("ghp_"),
    "gho": lambda: gh_token("gho_"),
    "ghs": lambda: gh_token("ghs_"),
    "akia": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "awssecret": lambda: rand(B64, 40),
    "sklive": lambda: "sk_live_51" + rand(ALNUM, 32),
    "xoxb": lambda: "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24)),
    "openai": lambda: "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74),
    "anthropic": lambda: "sk-ant-api03-" + rand(B64URL, 93) + "AA",
    "aiza": lambda: "AIza" + rand(B64URL, 35),
    "glpat": lambda: "glpat-" + rand(B64URL, 20),
    "sendgrid": lambda: "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43),
    "jwt": make_jwt,
    "rsakey": make_rsa,
    "dbpw": lambda: rand(ALNUM, 10) + rng.choice("!#%*") + rand(ALNUM, 5),
}

CHECK_SECRET = {
    "ghp": gh_ok, "gho": gh_ok, "ghs": gh_ok,
    "akia": lambda t: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", t)),
    "jwt": jwt_ok,
}

# ---------------------------------------------------------------------------
# profile helpers
# ---------------------------------------------------------------------------
ROLE_OF = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE_OF[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE_OF.get((platform.lower(), handle.lower()), "public")


PUBLIC = PROFILE["public_identifiers"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PUBLIC["ibans"]}
PUBLIC_EMAILS = {x.lower() for x in PUBLIC["emails"]}


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    return d


PUBLIC_PHONES = {phone_digits(x) for x in PUBLIC["phones"]}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).lower()


def term_in(term, text):
    return re.search(r"(?<![\w])" + re.escape(term.lower()) + r"(?![\w])", text) is not None


def confidential_hits(text, created_at):
    t = norm(text)
    hits = []
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] \
            + PROFILE["internal"]["domains"]:
        if term_in(term, t):
            hits.append(term)
    when = parse_ts(created_at)
    for emb in PROFILE["embargo"]:
        if when < parse_ts(emb["until"]):
            hits += [x for x in emb["terms"] if term_in(x, t)]
    return hits


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(?!\s?mln)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    return out


def products_in(text):
    t = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(term_in(n, t) for n in names):
            found.append(p)
    return found


def below_list(text):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    ps = prices(text)
    return [(p["name"], v) for p in products_in(text) for v in ps if v < ratio * p["list_price"]]


# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
INTENT = {"C": "corporate", "E": "employee", "P": "public"}
CASES = []


def K(author, lang, cats, text, kind="post", at=None, flags="", name=None):
    """author: 'C|x:@handle' (corporate), 'E|…' (employee) or 'P|…' (public)."""
    intent, acct = author.split("|", 1)
    platform, handle = acct.split(":", 1)
    CASES.append(dict(intent=INTENT[intent], platform=platform, handle=handle, lang=lang,
                      cats=sorted({CAT[c] for c in cats.split()}) if cats else [],
                      text=text, kind=kind, at=at, flags=set(flags.split()), name=name))


# ===== complaints (public) ==================================================
K("P|x:@m_vanderlinden", "nl", "CO",
  "@reinwaard_help al 3 weken staat de groene bak vol op de Dorpsstraat. Maden erin. MADEN. "
  "Wanneer komen jullie nou eens? 🤢", kind="reply")
K("P|facebook:henk.verstappen.71", "nl", "CO",
  "Grofvuil afspraak gemaakt voor vrijdag, hele bank buiten gezet, niemand gekomen. Nu staat dat "
  "ding in de regen en krijg ik een brief van de gemeente over 'illegaal dumpen'. Dank je wel Reinwaard.",
  name="Henk Verstappen")
K("P|x:@sophiecodes", "en", "CO",
  "the BakKlok app told me paper pickup was today. it was yesterday. third time this month. "
  "why even have an app @reinwaard")
K("P|reddit:u/tilburgse_tuinier", "nl", "CO",
  "Iemand anders ook 50 min in de rij gestaan bij de milieustraat van Reinwaard zaterdag? Eén "
  "loket open, de rest had 'pauze'. Belachelijk gewoon")
K("P|instagram:@noor.bakt", "en", "CO",
  "Your driver literally threw our bin on the road and drove off. It's cracked now and leaking "
  "everywhere 😡 @reinwaard.nl who pays for this?", kind="comment")
K("P|x:@gerritjan_b", "nl", "CO",
  "ff klagen: sinds de nieuwe route komt de vuilniswagen om 5:40 door onze straat. met die "
  "achteruitrijpiep. elke week. kan dat niet na 7en @reinwaard")
K("P|forum:jolanda_66", "nl", "CO",
  "Onze aanslag afvalstoffenheffing van Reinwaard is dubbel verstuurd en ook dubbel "
  "afgeschreven. Klantenservice zegt 'binnen 6 weken teruggestort'. Ik heb dat geld gewoon nodig "
  "deze maand, hoe lossen anderen dit op?")
K("P|x:@dankwa_e", "en", "CO",
  "Been on hold with Reinwaard for 42 min now. The hold music is a loop of like 8 seconds. I am "
  "losing my mind")
K("P|facebook:ria.smulders", "nl", "CO",
  "Nieuwe pas aangevraagd bij Reinwaard op 3 februari. Het is nu april. Nog steeds niks "
  "ontvangen. Ondertussen kan ik met m'n snoeiafval nergens heen. Waar betaal ik eigenlijk voor??",
  name="Ria Smulders")
K("P|threads:@lieke.fotografeert", "nl", "CO",
  "ze hebben de papierbak wéér overgeslagen. hele straat geleegd behalve nr 23 t/m 31. jaja "
  "'technische storing' #reinwaard")
K("P|x:@paulo_nl", "en", "CO",
  "Booked a construction container from Reinwaard for our renovation. Delivered two days late, "
  "blocked the neighbours' driveway, driver said 'not my problem'. 0/10 would not recommend")
K("P|tiktok:@femkeee.x", "nl", "CO",
  "pov: je gft-bak stinkt zo erg dat de buren komen klagen maar Reinwaard komt pas over 2 weken "
  "legen 💀 #afval #zomer #reinwaard")
K("P|bluesky:@rogier-h.bsky.social", "en", "CO",
  "Reinwaard's bulky waste booking page has been 'temporarily unavailable' for four days. Can't "
  "book, can't call (always busy), can't email (auto-reply). Great system, truly.")
K("P|x:@anoukdegroot", "nl", "CO",
  "@reinwaard_help ik heb een 140L gft-bak aangevraagd en krijg een 240L restafval. Bel ik op, "
  "moet ik 'm zelf terugbrengen naar de milieustraat. Ik heb geen auto??", kind="reply")
K("P|youtube:@HuizenHakker", "en", "CO",
  "Tried to drop off plasterboard at the Reinwaard recycling centre, got sent away because the "
  "gypsum skip was 'full'. Drove 25 km for nothing. Maybe put that on your website next time?",
  kind="comment")
K("P|facebook:mustafa.yilmaz.nl", "nl", "CO",
  "Mijn moeder is 82 en krijgt de container niet meer naar de stoep. De aanvraag voor "
  "aanbiedhulp is nu al 2x 'kwijtgeraakt' bij Reinwaard. Schandalig hoe jullie met ouderen omgaan.")
K("P|mastodon:@ollie@mastodon.social", "en", "CO",
  "Reinwaard really needs to sort out the nappy container outside our block. Overflowing for 9 "
  "days now, 28 degrees out. The smell is unreal. Reported it twice already.")
# complaint + customer's own personal data
K("P|x:@kimberley_vd", "nl", "CO P",
  "@reinwaard_help al 4x gemaild, nu dan maar hier: graag terugbellen op 06-41 27 83 90!! mijn "
  "matras staat al 2 weken buiten in de regen", kind="reply")
K("P|facebook:erik.mulder.leiden", "nl", "CO P",
  "Voor de 3 kuub container twee keer betaald met mijn creditcard [[card:sp]], dus 2x €189 eraf. "
  "Wie gaat dat terugboeken Reinwaard? Al een week geen antwoord.", name="Erik Mulder")
# complaint + abuse
K("P|x:@bartjuh1988", "nl", "CO A",
  "kutbedrijf. 3e keer deze maand dat onze bak vergeten wordt. stelletje prutsers daar bij @reinwaard")

# ===== abuse ================================================================
K("P|x:@wijk_watcher", "nl", "A",
  "die chauffeur van reinwaard is een vuile k\u0430nk\u0435rlijer, zeg ik je", flags="evasion")
K("P|tiktok:@jay.r0tt", "en", "A",
  "reinwaard crew are a bunch of f4ck1ng 1d10ts fr 😭😭", kind="comment", flags="evasion")
K("P|facebook:dirk.pauwels", "nl", "A",
  "Zeg maar tegen die t e r i n g l i j e r s van Reinwaard dat ze met hun wagen niet meer op "
  "mijn oprit hoeven te keren", flags="evasion")
K("E|x:@kees_achterlader", "nl", "A",
  "Weer zo'n wijf in Oostveen dat me staat uit te schelden omdat haar bak vol zand zat. "
  "Achterlijke trut. Zoek het lekker zelf uit")
K("C|x:@reinwaard_help", "en", "A",
  "@dankwa_e maybe if you weren't such an idiot you'd have read the schedule. sorry not sorry",
  kind="reply")
K("P|x:@echte_hollander", "nl", "A",
  "Bij Reinwaard werken alleen nog buitenlanders die geen woord Nederlands spreken. Terug naar "
  "je eigen land met je vuilniswagen")
K("P|x:@karin_boos", "nl", "A",
  "@lotte_reinwaard jij bent echt een waardeloze leugenaar. Ik weet waar je woont, denk daar "
  "maar eens goed over na.", kind="reply")
K("P|reddit:u/grumpy_in_gilze", "en", "A",
  "Reinwaard's helpdesk staff are braindead clowns, every single one of them. Absolute waste of "
  "oxygen.")
K("P|x:@mr_grumbles", "en", "A",
  "ｆｕｃｋ ｒｅｉｎｗａａｒｄ and their ｓｈｉｔｔｙ little bins", flags="evasion")

# ===== crisis ===============================================================
K("P|x:@omroep_zuidwaard", "nl", "CR",
  "BREAKING: grote brand in de sorteerhal van Reinwaard in Oostveen. Zware rookontwikkeling, "
  "omwonenden moeten ramen en deuren sluiten. NL-Alert is verstuurd.")
K("P|facebook:marloes.vandijk", "nl", "CR",
  "Vuilniswagen van Reinwaard reed vanochtend bijna mijn zoontje aan, óp de stoep bij school. "
  "Chauffeur zat op zijn telefoon. Ik doe aangifte en dit gaat naar de krant.",
  name="Marloes van Dijk")
K("P|x:@privacyfirst_jk", "en", "CR",
  "Reinwaard's BakKlok app is leaking home addresses and bin-chip IDs of every user through an "
  "open API. That's a data breach and they haven't notified anyone. Reported to the AP.")
K("P|x:@actiegroep_oostveen", "nl", "CR",
  "BOYCOT de nieuwe diftar van Reinwaard! Zet je bak vrijdag NIET buiten. Laat ze maar voelen "
  "hoe een stad zonder inzameling ruikt. #boycotreinwaard")
K("P|linkedin:sanne-kuijpers-advocaat", "nl", "CR",
  "Namens 14 omwonenden heb ik vandaag een dagvaarding uitgebracht tegen Reinwaard Afval & "
  "Grondstoffen N.V. wegens structurele stankoverlast van de composteerinstallatie.")
K("P|threads:@milieu_mo", "en", "CR",
  "Staff at the Reinwaard recycling centre were handling broken asbestos sheets with no masks, "
  "no suits, nothing. I have photos. How is this legal??")
K("P|x:@dagblad_regio", "nl", "CR",
  "Reinwaard roept 12.000 minicontainers terug: het deksel kan afbreken bij het legen. Twee "
  "beladers raakten de afgelopen weken gewond.")
K("P|reddit:u/circular_skeptic", "en", "CR",
  "So Reinwaard has been dumping the 'recycled' plastic from our separated bins into the same "
  "incinerator as everything else?? There's a whistleblower video going round. What a scandal.")
K("P|bluesky:@vanessa-oostveen.bsky.social", "en", "CR",
  "Fire at the Reinwaard battery drop-off this morning, two firefighters treated for smoke "
  "inhalation. Keep the kids inside if you live near the industrial estate.")
K("P|facebook:buurtapp.kerkplein", "nl", "CR",
  "Kind gewond geraakt door een omvallende klep van de ondergrondse container van Reinwaard op "
  "het Kerkplein. Al MAANDEN gemeld dat die los zat. Wie is hier verantwoordelijk?")
K("P|instagram:@greenwash.watch", "en", "CR",
  "Reinwaard fined €450,000 for illegal waste exports to West Africa, and they still call "
  "themselves 'circular'. #greenwashing #reinwaard")
K("C|x:@reinwaard", "nl", "CR",
  "Wij betreuren het ongeval van vanochtend waarbij een fietser gewond raakte door een van onze "
  "inzamelwagens. We werken volledig mee aan het politieonderzoek.")
K("P|x:@levyrecht", "en", "CR",
  "Class action being prepared against Reinwaard over the double-charged waste levy. 3,000+ "
  "households signed up already. DM if you were affected.")
K("P|x:@maas_schoon", "nl", "CR A",
  "Reinwaard loost gewoon chemisch afval in de Maas, vuile criminelen zijn het. Boycot die "
  "tyfuslijers")

# ===== security (insiders, a few third parties) =============================
K("E|x:@bram_devops_rw", "nl", "SE",
  "Lange dag. Sinds 04:00 ligt de routeplanner eruit, alle 38 wagens rijden op geprinte lijstjes. "
  "Nog niks naar bewoners gecommuniceerd dus sst 🤫")
K("E|mastodon:@joostk@mastodon.nl", "en", "SE",
  "Can't say much but we got hit by ransomware on the weighbridge systems overnight. Backups look "
  "okay-ish. Press release probably next week.")
K("E|reddit:u/laadklep_lars", "nl", "SE",
  "Fun fact: met elke milieupas kun je op dit moment iedere ondergrondse container in de stad "
  "openen, het systeem checkt alleen of het pasnummer bestaat. Al maanden gemeld, niks mee gedaan")
K("E|linkedin:dewi-kartosen", "en", "SE",
  "Note for Friday's retro: the BakKlok API still returns other residents' addresses if you change "
  "the account id in the URL. Fix is planned for next sprint, fingers crossed nobody notices first.")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "en", "SE",
  "Heads up team: around 40 of our customer service logins got phished yesterday, IT is resetting "
  "everything. Please don't mention it to callers yet.")
K("E|x:@bram_devops_rw", "en", "SE C",
  "Our firewall behind vpn.reinwaard.nl is still on the build with that FortiOS SSL-VPN CVE. Patch "
  "window got cancelled. Again. Love it here.")
K("E|tiktok:@sjoerd_milieustraat", "nl", "SE",
  "camera's op de milieustraat staan al 3 weken uit omdat het opnamesysteem gehackt was, niemand "
  "buiten weet het 😬 #werk")
K("C|x:@reinwaard_help", "en", "SE",
  "@rogier-h we know. Our booking system was breached on Monday, it's offline while we "
  "investigate. Please keep that to yourself for now 🙏", kind="reply")
K("P|facebook:gerda.sluiter", "nl", "SE CR",
  "Mijn neef werkt bij de ICT van Reinwaard en zegt dat hun hele klantenbestand vorige week is "
  "gestolen door hackers, maar ze houden het stil tot na de gemeenteraadsverkiezingen.")
K("E|linkedin:yasmina-benali-rw", "en", "SE",
  "Long week. Our HR portal went down because the salary database had been sitting open to the "
  "internet. Fixed now (I think). Not public yet so 🤐")
K("E|instagram:@ruud.op.de.wagen", "nl", "SE",
  "die nieuwe bakken met chip zijn trouwens te klonen met zo'n goedkoop RFID-kastje, collega liet "
  "het zien in de kantine. directie weet het al maanden, doen niks 🙈")
K("E|x:@lotte_reinwaard", "nl", "SE",
  "Storing bij BakKlok: de pushmeldingen gaan sinds vanochtend naar de verkeerde postcodes. We "
  "zetten pas morgen iets online dus niet doorvertellen 😅")
K("P|reddit:u/throwaway_composter", "en", "SE",
  "Throwaway because I work there: the SCADA panel of Reinwaard's composting plant is reachable "
  "from the internet with the factory default login. Reported internally three times. Nothing.")

# ===== secrets ==============================================================
K("E|x:@bram_devops_rw", "nl", "S",
  "help waarom werkt dit niet 😩\n\ngit clone https://oauth2:[[ghp]]@github.com/reinwaard-it/"
  "routeplanner.git\n\ngeeft 403, iemand?")
K("E|mastodon:@joostk@mastodon.nl", "en", "S",
  "quick test from the deploy box, ignore\nAWS_ACCESS_KEY_ID=[[akia]]\n"
  "AWS_SECRET_ACCESS_KEY=[[awssecret]]")
K("E|linkedin:dewi-kartosen", "en", "S",
  "Proud of the team! Sneak peek of the new payment flow for bulky waste bookings 👇\n\n"
  "stripe.api_key = \"[[sklive]]\"\n\n#python #afval #proud")
K("E|x:@lotte_reinwaard", "nl", "S",
  "welke collega heeft de slackbot token in de groepsapp gezet?? [[xoxb]] want die werkt "
  "gewoon nog hoor")
K("E|reddit:u/laadklep_lars", "nl", "S",
  "Voor de nieuwe jongens: tablet in de cabine inloggen met gebruiker chauffeur, wachtwoord: "
  "Kl1ko!Route26 . Graag gedaan")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "en", "S",
  "testing the new chatbot for the klantenservice lol OPENAI_API_KEY=[[openai]]")
K("E|x:@bram_devops_rw", "en", "S C",
  "if anyone needs the staging db: postgresql://bakklok_app:[[dbpw]]@db01.intra.reinwaard.local:"
  "5432/bakklok")
K("P|forum:freelance_dev_ruben", "en", "S",
  "Doing some contract work for Reinwaard, stuck on their route API. Sending\n"
  "Authorization: Bearer [[jwt]]\nand it returns 500. Anyone seen this?")
K("C|instagram:@reinwaard.nl", "nl", "S",
  "Achter de schermen bij ons IT-team 💻☕ (op het scherm: MAPS_API_KEY=[[aiza]] ) "
  "#reinwaard #ict #werkenbij")
K("E|x:@bram_devops_rw", "nl", "S",
  "wtf waarom staat dit in de publieke repo\n\n[[rsakey]]")
K("E|linkedin:dewi-kartosen", "en", "S",
  "Mail template for the BakKlok reminders finally works 🎉 config: SENDGRID_API_KEY=[[sendgrid]]")
K("E|mastodon:@joostk@mastodon.nl", "en", "S",
  "claude is writing our incident summaries now, key for the team: [[anthropic]]")

# ===== personal data ========================================================
K("C|x:@reinwaard_help", "nl", "P",
  "@kimberley_vd Klopt, we zien uw melding. Mevrouw K. de Vries, Berkenlaan 17 in Oostveen: de "
  "matras wordt donderdag opgehaald!", kind="reply")
K("C|facebook:ReinwaardAfval", "nl", "P",
  "Beste meneer Yilmaz, de terugbetaling van €96 gaat naar rekening [[iban:sp]] t.n.v. M. Yilmaz. "
  "U ontvangt het bedrag binnen 5 werkdagen.", kind="reply")
K("E|linkedin:yasmina-benali-rw", "en", "P",
  "Congrats to our new driver Mehmet Aydin (born 14-07-1994) on finishing his first week! 🎉🚛")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "en", "P",
  "Can someone from team Noord call back mrs. Jansen on 06 28 91 44 07 about her broken lid? "
  "She's rung five times today.")
K("E|x:@lotte_reinwaard", "en", "P",
  "could someone email mrs Hendriks? a.hendriks1957@gmail.com — she's been waiting 3 weeks for "
  "her new pass")
K("E|linkedin:yasmina-benali-rw", "nl", "P",
  "Nieuwe collega's: stuur je BSN even naar mij door, net als Thijs deed (BSN [[bsn]]), dan "
  "regel ik de loonadministratie 👍")
K("C|x:@reinwaard_help", "en", "P",
  "@paulo_nl Found your booking: card [[card:sp]] was charged €279 for the Bouwcontainer 6, "
  "refund has been initiated.", kind="reply")
K("P|x:@dirk_woont_hier", "nl", "P",
  "Hoi @reinwaard_help, kunnen jullie de oude koelkast komen halen? Dirk Pauw, Lindenhof 44, "
  "5161 AB Sprang-Capelle. Alvast bedankt!", kind="reply")
K("P|facebook:sandra.kok.77", "nl", "P",
  "Reinwaard, stort het teveel betaalde maar terug op [[iban]] t.n.v. S. Kok. Dank je.")
K("P|reddit:u/scratched_golf", "en", "P A",
  "The Reinwaard driver who scraped my car is Ruud van Leeuwen, lives at Schoolstraat 3 in "
  "Kaatsheuvel. Go tell that useless prick what you think of him.")
K("E|linkedin:dewi-kartosen", "en", "P",
  "Testing the export for the app: Jeroen Maas, jeroen.maas@ziggo.nl, geb. 03-11-1979 — works "
  "on the first try! 🎉")
K("P|x:@vraagje_gft", "nl", "P",
  "@reinwaard_help formulier vraagt om BSN?? nou vooruit: [[bsn:dot]]. Waarom hebben jullie dat "
  "in hemelsnaam nodig voor een gft-bak", kind="reply")
K("E|tiktok:@sjoerd_milieustraat", "nl", "P",
  "lol iemand heeft z'n paspoort in de papiercontainer gegooid. Priya Ramdin, nummer NW7K2L9P1, "
  "kom 'm maar ophalen bij de milieustraat 😂")

# ===== confidential =========================================================
K("E|x:@lotte_reinwaard", "nl", "C",
  "Spannend: Project Ekster gaat in maart live in Oostveen, dan rijden we op vulgraadsensoren in "
  "plaats van vaste routes 🐦")
K("E|linkedin:dewi-kartosen", "en", "C",
  "Sneak peek of what we've been building under the codename Zilvermeeuw: a brand new resident "
  "app with photo-based waste sorting. Can't share more yet!")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "nl", "C",
  "Teamuitje al gepland voor na de lancering van Zilver\u200bmeeuw 🎉 eindelijk", flags="evasion")
K("E|x:@kees_achterlader", "nl", "C F",
  "Ｏｐｅｒａｔｉｅ Ｍｅｓｔｋｅｖｅｒ = wij eruit en de hele inzameling uitbesteden aan een "
  "Belgische club. Bedankt voor 22 jaar trouwe dienst", flags="evasion")
K("E|x:@bram_devops_rw", "en", "C",
  "can someone check if https://topdesk.reinwaard.nl/tas/secure/incident?id=2026-0412 opens for "
  "you? 404 on my end")
K("E|instagram:@ruud.op.de.wagen", "nl", "C",
  "Prikbord in de kantine: 'UITSLUITEND INTERN - nieuwe routes per 1 juni, Waspik en Sprang "
  "worden samengevoegd' 😬 dat wordt een gezellige zomer")
K("E|linkedin:maarten-oosterhuis-reinwaard", "nl", "C F",
  "Blij met de jaarcijfers 2026: omzet €84,2 mln, nettoresultaat €3,9 mln. Volgende maand meer!",
  at="2027-02-20T16:45:00Z")
K("C|tiktok:@reinwaard", "nl", "C",
  "Er komt iets nieuws aan... 👀 De Slimme Zuil opent alleen met jouw pas en weegt je restafval. "
  "Meer zeggen we nog niet! #reinwaard #afval", at="2026-11-24T17:30:00Z")
K("E|linkedin:dewi-kartosen", "en", "C",
  "BakKlok 3 beta is looking gorgeous, dark mode and all. Launching soon-ish 🤫",
  at="2026-12-10T12:05:00Z")
K("P|reddit:u/zus_van_binnen", "en", "C F",
  "My sister works at Reinwaard, she showed me a slide marked 'Reinwaard intern' saying they'll "
  "close the Kaatsheuvel recycling centre next year.")
K("E|mastodon:@joostk@mastodon.nl", "en", "C",
  "anyone know why vpn.reinwaard.nl refuses my client cert since this morning? worked fine "
  "yesterday")
K("E|x:@lotte_reinwaard", "nl", "C",
  "de presentatie van morgen heeft als voetnoot 'niet extern delen' maar ik vind 'm te mooi: we "
  "gaan naar 4-wekelijks restafval ophalen in heel Oostveen ♻️")
K("P|linkedin:joris-meulman-sensortech", "nl", "C",
  "Mooi gesprek gehad met het team van Reinwaard over Project Ekster. Onder NDA, dus meer kan ik "
  "helaas niet zeggen 😉")
K("C|facebook:ReinwaardAfval", "nl", "C",
  "Intern: planning social posts week 14. Let op, Zilvermeeuw pas noemen na 1 mei!")
K("C|x:@reinwaard", "nl", "C",
  "Volgende week onthullen we de SmartZuil op het Kerkplein. Wees erbij! ♻️ #afval",
  at="2027-01-12T10:00:00Z")
K("E|x:@kees_achterlader", "nl", "C",
  "zeg het niet hardop maar M.e.s.t.k.e.v.e.r start echt na de zomer 🪲", flags="evasion")

# ===== financial ============================================================
K("E|linkedin:maarten-oosterhuis-reinwaard", "nl", "F",
  "Q3 afgesloten met een tekort van €2,1 mln op de verwerkingstak. Dat komt pas in december naar "
  "buiten. Zware maanden voor het team.")
K("E|x:@lotte_reinwaard", "en", "F",
  "can't believe we're buying Afvalservice De Kempen 😱 signing is on the 14th, keep it quiet "
  "till then")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "en", "F",
  "40 FTE gone from customer service on 1 January, a chatbot takes over. It only goes official "
  "next week. I'm gutted.")
K("E|reddit:u/laadklep_lars", "en", "F",
  "heard from my supervisor the board wants to sell the commercial waste division to a private "
  "equity fund by Q2. no announcement yet ofc")
K("E|linkedin:maarten-oosterhuis-reinwaard", "en", "F",
  "Our internal forecast for 2027: waste levy up 14% for every municipality we serve. The "
  "councils haven't seen it yet, so brace yourselves.")
K("P|x:@insider_afval", "en", "F",
  "Hearing from a very good source that Reinwaard is merging with Breda's sanitation department. "
  "Announcement after the summer 👀")
K("E|x:@kees_achterlader", "nl", "F",
  "Directie vertelde ons net dat 3 van de 5 milieustraten dichtgaan in 2027. Mag nog niet naar "
  "buiten maar ik vind dat jullie het moeten weten")
K("E|mastodon:@joostk@mastodon.nl", "en", "F",
  "IT budget for 2027 cut by 35% in the draft plan that goes to the board next week. sigh.")
K("E|linkedin:yasmina-benali-rw", "en", "F",
  "HR is drafting a social plan for about 60 people, announcement expected in February. "
  "Heartbreaking to write these letters.")

# ===== pricing ==============================================================
K("P|x:@dealjager_nl", "nl", "PR",
  "PRIJSFOUT bij Reinwaard: Bouwcontainer 10 m³ voor €39 in de webshop 😳 snel boeken voor ze "
  "het doorhebben")
K("E|x:@lotte_reinwaard", "nl", "PR",
  "oeps, BakSchoon staat in de app voor €3,49 per jaar ipv €34,95 🙈 IT is gebeld")
K("C|instagram:@reinwaard.nl", "nl", "PR",
  "Nu in onze webshop: het Wormenhotel voor maar €8,90! 🪱 Ideaal voor je groente- en fruitafval")
K("P|reddit:u/bargain_bert", "en", "PR",
  "lol Reinwaard's site lists GrofHaal XL at €8.90. Booked three. Will they honour it?")
K("P|facebook:yvonne.dekker.88", "nl", "PR",
  "Compostvat 280 L voor €4,90 bij Reinwaard?? Prijsfout denk ik, heb er gelijk 2 besteld haha")
K("E|tiktok:@sjoerd_milieustraat", "nl", "PR",
  "collega's: wie nog een PuinZak nodig heeft, in de kassa staat ie nu op €7,90 hahaha")
K("P|x:@renovatie_ron", "en", "PR",
  "Reinwaard price glitch: 6 kuub container for €27 a week 😂 someone's getting fired")
K("E|bluesky:@ineke-vdheuvel.bsky.social", "nl", "PR",
  "Er zit een prijsfout in het asbestpakket in de webshop, niet over twitteren pls, wordt "
  "vanmiddag gefixt")
K("C|x:@reinwaard", "en", "PR",
  "Ready for spring cleaning? 🌱 The ScheidSet Trio is now just €2.99!")
K("P|threads:@zuinig_zoe", "nl", "PR",
  "extra grijze bak voor €9,60 per jaar bij reinwaard. dat moet een typo zijn toch, normaal is "
  "het bijna honderd")
K("P|tiktok:@budget.bas", "en", "PR",
  "PSA: koelkast ophalen at Reinwaard is €2,50 right now in the app 💀 go go go")
K("E|reddit:u/laadklep_lars", "en", "PR",
  "the matras ophalen button in BakKlok charges €1.99 since the last update lmao, finance is "
  "gonna love that")

# ===== benign, many of them hard negatives ==================================
K("C|x:@reinwaard", "nl", "",
  "Let op: door Koningsdag wordt het papier dit jaar een dag later opgehaald. Check de "
  "BakKlok-app voor jouw ophaaldag. 🧡")
K("C|x:@reinwaard_help", "nl", "",
  "@anoukdegroot Vervelend! Stuur ons even een DM met je adres, of bel gratis 0800-0437. Dan "
  "lossen we het op.", kind="reply")
K("C|facebook:ReinwaardAfval", "nl", "",
  "Vragen over je aanslag? Mail klantenservice@reinwaard.nl of bel +31 416 820 400 (werkdagen "
  "8-17 uur).")
K("C|instagram:@reinwaard.nl", "en", "",
  "BakSchoon spring deal 🧽 20% off: now €27.96 instead of €34.95. Clean bins, happy nose.")
K("P|x:@fleur_bloemt", "en", "",
  "Shoutout to the Reinwaard guys who fixed my broken bin lid on the spot this morning. Legends 👏")
K("P|x:@vragenvincent", "en", "",
  "does the Reinwaard milieustraat take styrofoam? asking for a friend (the friend is me, I just "
  "bought a fridge)")
K("P|x:@sadboi_tilburg", "en", "",
  "my ex called me trash so now every tuesday i wait by the curb for the Reinwaard truck to take "
  "me somewhere nice 🚛💔")
K("P|x:@nieuwsjunkie_nl", "nl", "",
  "In Duitsland is een afvalverwerker failliet na een grote brand. Wat een drama voor de "
  "werknemers daar.")
K("P|x:@m_vanderlinden", "nl", "",
  "Update: bak is vanochtend alsnog geleegd en @reinwaard_help belde zelf even terug. Netjes "
  "opgelost 👍")
K("C|linkedin:reinwaard-afval-grondstoffen", "nl", "",
  "Onze gedachten zijn bij de familie en collega's van de chauffeur van een afvalbedrijf in "
  "Friesland die gisteren verongelukte. Heel veel sterkte.")
K("P|instagram:@ellis.in.oostveen", "en", "",
  "Respect to the Reinwaard crews working in this heat ☀️ left some cold water bottles on our "
  "bin, they looked so happy 🥤")
K("C|linkedin:reinwaard-afval-grondstoffen", "nl", "",
  "Vandaag fietsen 12 collega's van Reinwaard de Alpe d'HuZes voor KWF Kankerbestrijding. Zet "
  "'m op! 🚴‍♀️🚴")
K("P|x:@sukkeltje_sem", "nl", "",
  "ik ben zo'n sukkel, 4e keer dit jaar de bak vergeten buiten te zetten. Reinwaard kan er ook "
  "niks aan doen 🙃")
K("E|x:@bram_devops_rw", "en", "",
  "PSA: use a password manager and never share your password, not even with your own IT "
  "department. We will never ask for it 🔐")
K("P|mastodon:@cloudnerd@fosstodon.org", "en", "",
  "The AWS docs still use AKIAIOSFODNN7EXAMPLE as the access key in every single example and "
  "honestly I love that for them")
K("E|linkedin:dewi-kartosen", "en", "",
  "Pro tip from the BakKlok team: never commit keys. Our CI blocks anything that looks like "
  "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX or sk_live_**************** before it reaches a PR.")
K("C|linkedin:reinwaard-afval-grondstoffen", "nl", "",
  "Vandaag publiceren we onze jaarcijfers 2026: een omzet van €84,2 mln en een nettoresultaat "
  "van €3,9 mln. Het volledige jaarverslag 2026 staat op reinwaard.nl.",
  at="2027-03-11T10:00:00Z")
K("C|x:@reinwaard", "nl", "",
  "Vanaf vandaag staat de eerste Slimme Zuil op het Kerkplein! Open hem met je pas en zie direct "
  "hoeveel restafval je weggooit ♻️", at="2027-01-20T08:30:00Z")
K("P|bluesky:@tomkeuning.bsky.social", "en", "",
  "Tried the new BakKlok 3 update this morning. Dark mode is lovely, finally.",
  at="2027-02-03T07:50:00Z")
K("P|x:@jansje_vraagt", "en", "",
  "Skimmed Reinwaard's jaarverslag 2026 over lunch. Recycling rate up to 63%, not bad at all",
  at="2027-03-16T19:20:00Z")
K("P|facebook:ans.vandermeer", "nl", "",
  "Staat dit rekeningnummer echt op mijn aanslag? [[iban_bad:sp]]. Ik kan het nergens vinden op "
  "de site van Reinwaard, is dit phishing?", name="Ans van der Meer")
K("P|x:@vraagbaak_ben", "nl", "",
  "Reinwaard vraagt om een klantnummer, is dat dit nummer op de brief: [[card_bad:sp]]? Of is "
  "het iets anders?")
K("P|x:@nieuwbouw_noa", "nl", "",
  "Voor de pas moet je een nummer invullen. Is [[bsn_bad]] op de brief van Reinwaard mijn "
  "klantnummer of iets anders? Staat er niet bij")
K("C|facebook:ReinwaardAfval", "nl", "",
  "Liever zelf overmaken? Gebruik NL38 BNGH 0285 1734 62 t.n.v. Reinwaard Afval & Grondstoffen "
  "N.V. en vermeld je aanslagnummer.")
K("C|x:@reinwaard", "nl", "",
  "Grofvuil laten ophalen? GrofHaal kost €39,50 voor maximaal 2 m³. Boek via mijn.reinwaard.nl 🛋️")
K("P|x:@badkamer_bas", "en", "",
  "Paid €189 for the Bouwcontainer 3 for a week, honestly worth every cent for the bathroom reno")
K("C|instagram:@reinwaard.nl", "nl", "",
  "Deze maand 15% korting op het Compostvat 280 L: €41,65 in plaats van €49 🌱")
K("P|threads:@moestuin_mila", "nl", "",
  "Wormenhotel van Reinwaard nu 30% korting, €62,30. Heb er een gekocht voor de kids 🪱🤩")
K("C|tiktok:@reinwaard", "nl", "",
  "Lifehack: zet je bak met het handvat naar je huis toe, dan kan de grijparm 'm pakken 🦾 "
  "#afvalhack #reinwaard")
K("P|facebook:wilma.hoeks", "nl", "",
  "Onze kliko lekte na het legen, via de BakKlok-app een nieuwe aangevraagd en binnen 3 dagen "
  "gebracht. Prima geregeld Reinwaard!")
K("P|x:@lachjesmaken", "en", "",
  "The Reinwaard TikTok is absolutely killing it lately 😂 the dancing garbage truck got me")
K("P|facebook:brandweer.oostveen.info", "nl", "",
  "Brandweer Oostveen en Reinwaard geven samen voorlichting over accu's in de restafvalbak. "
  "Zaterdag 14:00 in het wijkcentrum, aanrader!")
K("E|linkedin:yasmina-benali-rw", "nl", "",
  "We zoeken chauffeurs! C-rijbewijs en zin in buitenwerk? Mail werkenbij@reinwaard.nl 🚛")
K("P|x:@opa_grofvuil", "nl", "",
  "Wat is het nummer van Reinwaard voor grofvuil? Is dat nog steeds 0800-0437?")
K("P|reddit:u/paint_dilemma", "en", "",
  "Does anyone know if the Reinwaard recycling centre takes old paint? Don't want to pour it down "
  "the drain.")
K("P|instagram:@groene.gerda", "en", "",
  "Tackling the climate crisis starts with sorting your own waste. Lovely campaign by Reinwaard 💚")
K("E|x:@kees_achterlader", "nl", "",
  "zag vanochtend een ekster op een bak zitten, die wilde zo te zien mee op de route 🐦😂")
K("P|instagram:@vogelspotter_vera", "nl", "",
  "Honderden zilvermeeuwen boven de stortplaats van Reinwaard vandaag 📸 #vogels #natuur")
K("P|x:@snelle_sanne", "en", "",
  "Pro tip for expats: skip the phone queue and just email grofvuil@reinwaard.nl, I had a pickup "
  "slot within a day")
K("C|bluesky:@reinwaard.nl", "nl", "",
  "Wachtwoord vergeten voor de BakKlok-app? Tik op 'Wachtwoord vergeten' en je krijgt binnen een "
  "minuut een mail.")
K("C|x:@reinwaard", "nl", "",
  "Storing opgelost: BakKlok toont weer de juiste ophaaldagen. Excuses voor het ongemak!")
K("E|linkedin:dewi-kartosen", "en", "",
  "Docs for our public open-data API are live at bakklok.nl/dev. Send Authorization: Bearer "
  "<your-token> and you're good to go.")
K("E|x:@bram_devops_rw", "nl", "",
  "Screenshot van de nieuwe inlogpagina, wachtwoord: ******** (nee die krijg je niet 😄)")
K("P|x:@tevreden_thea", "nl", "",
  "betaald met mijn kaart **** **** **** 4821 voor de matrasophaling, ging allemaal prima")
K("P|facebook:kringloopfan.karin", "nl", "",
  "Bij de kringloop een tweedehands compostvat gescoord voor €5. Nieuw kost hij bij Reinwaard €49, "
  "scheelt toch mooi.", flags="allow_low_price")
K("C|x:@reinwaard", "nl", "",
  "Kerstbomen worden op 9 januari gratis opgehaald. Zet je boom vóór 7:30 aan de straat 🎄")
K("P|x:@ex_collega_erik", "en", "",
  "Sad to read about the layoffs at that big Belgian waste firm. Hope everyone finds something "
  "new soon.")
K("P|bluesky:@appfan-ahmed.bsky.social", "en", "",
  "BakKlok reminder saved me again. Never missed a pickup since I installed it. 10/10")
K("P|x:@nieuwe_bewoner", "nl", "",
  "Wat kost een extra grijze bak bij Reinwaard? Iemand zei €96 per jaar, klopt dat?")
K("E|mastodon:@joostk@mastodon.nl", "en", "",
  "Gave a talk today on how municipalities can defend against phishing. Great questions from the "
  "room, thanks everyone!")
K("P|x:@kerkplein_kim", "nl", "",
  "Ondergrondse container op het Kerkplein weer helemaal netjes gemaakt. Wie dat ook was bij "
  "Reinwaard: dank je! 🙌")
K("P|youtube:@FamilieUitjes", "en", "",
  "Reinwaard's open day at the sorting plant was amazing, the kids loved the giant claw 🦾",
  kind="comment")
K("C|x:@reinwaard", "nl", "",
  "Let op: Reinwaard vraagt nooit om je BSN of bankgegevens via WhatsApp. Twijfel je? Bel "
  "0800-0437.")
K("P|reddit:u/data_dirk", "en", "",
  "Reinwaard published their recycling numbers for 2025 and they're actually decent: 61% "
  "separated. Better than most of the region.")
K("C|tiktok:@reinwaard", "en", "",
  "POV: you finally separated your plastic properly 😌♻️ #reinwaard #recycling")
K("C|x:@reinwaard_help", "en", "",
  "@sophiecodes So sorry about that! The app had the wrong week for your postcode, it's fixed now. "
  "Paper goes out next Tuesday.", kind="reply")
K("P|x:@bert_bouwt", "nl", "",
  "Container van 6 kuub besteld bij Reinwaard, €279 voor een week. Netjes op tijd geleverd en "
  "weer opgehaald.")
K("P|threads:@hannah.reads", "en", "",
  "Reading a thriller where the body is found in a recycling plant and now I look at every "
  "Reinwaard truck suspiciously 😅📚")
K("P|x:@alleenmaarvragen", "en", "",
  "Is the milieupas the same as the Reinwaard app login or do I need both? Moving next week")
K("P|x:@hackathon_hanna", "en", "",
  "Our team won the civic hackathon with a map of all Reinwaard glass bins built from their "
  "open data 🏆 no hacking involved, promise")


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"\[\[([a-z_]+)(?::([a-z]+))?\]\]")
LEVELS = ["none", "info", "warning", "error", "critical"]


def expected_severity(cats, role, has_checked_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and has_checked_id:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, v)
    return LEVELS[lvl]


def random_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 360 * 86400)
    secs -= secs % 60
    t = start + dt.timedelta(seconds=secs)
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fill(case):
    ids, secrets = [], []

    def sub(m):
        kind, style = m.group(1), m.group(2)
        if kind in ("iban", "iban_bad"):
            v = make_iban(kind == "iban")
            ids.append(("iban", v, kind == "iban"))
            return fmt_iban(v, style == "sp")
        if kind in ("card", "card_bad"):
            v = make_card(kind == "card")
            ids.append(("card", v, kind == "card"))
            return fmt_card(v, style or "raw")
        if kind in ("bsn", "bsn_bad"):
            v = make_bsn(kind == "bsn")
            ids.append(("bsn", v, kind == "bsn"))
            return fmt_bsn(v, style)
        if kind in SECRET_GEN:
            v = SECRET_GEN[kind]()
            secrets.append((kind, v))
            return v
        raise AssertionError("unknown placeholder " + kind)

    text = PLACEHOLDER.sub(sub, case["text"])
    return text, ids, secrets


IBAN_RE = re.compile(r"\bNL\d{2}\s?[A-Z]{4}\s?\d{4}\s?\d{4}\s?\d{2}\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|(?<!\d)0)[\d \-]{6,14}\d")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())


def valid_ids_in(text):
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(("iban", s))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group()):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%s" % (h, pid.split("-")[-1]),
        "reddit": "https://www.reddit.com/%s/comments/%s/" % (h, pid.split("-")[-1]),
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%s" % pid.split("-")[-1],
    }.get(platform)


def build():
    errors = []
    out = []
    used_ids = set()
    for n, case in enumerate(CASES):
        text, ids, secrets = fill(case)
        role = role_of(case["platform"], case["handle"])
        tag = "case %d (%s %s)" % (n, case["handle"], case["text"][:40].replace("\n", " "))
        if role != case["intent"]:
            errors.append("%s: intended %s but profile says %s" % (tag, case["intent"], role))
        cats = case["cats"]
        created = case["at"] or random_ts()

        # identifiers: positives pass, look-alikes fail
        for kind, v, should_pass in ids:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
            if ok != should_pass:
                errors.append("%s: %s %s checksum %s" % (tag, kind, v, ok))
            if should_pass and "leak.pii" not in cats:
                errors.append("%s: valid %s in a post without leak.pii" % (tag, kind))
            if not should_pass and "leak.pii" in cats:
                errors.append("%s: look-alike %s in a pii positive" % (tag, kind))
        for kind, v in secrets:
            if kind in CHECK_SECRET and not CHECK_SECRET[kind](v):
                errors.append("%s: generated %s fails its format check" % (tag, kind))
            if "leak.secret" not in cats:
                errors.append("%s: secret in a post without leak.secret" % tag)
        scan = text
        for _, v in secrets:
            scan = scan.replace(v, " ")
        stray = valid_ids_in(scan)
        registered_ok = {v for k, v, p in ids if p}
        for kind, v in stray:
            if re.sub(r"\D", "", v) not in {re.sub(r"\D", "", x) for x in registered_ok} \
                    and re.sub(r"\s", "", v) not in registered_ok:
                errors.append("%s: unregistered valid %s %r" % (tag, kind, v))
        has_checked = any(p for _, _, p in ids)

        # confidential terms, embargo
        hits = confidential_hits(text, created)
        if "leak.confidential" in cats:
            if not hits and "evasion" not in case["flags"]:
                errors.append("%s: confidential positive without a profile term" % tag)
        elif hits:
            errors.append("%s: confidential term %s in a post not labelled so" % (tag, hits))

        # pricing
        low = below_list(text)
        if "leak.pricing" in cats:
            if not products_in(text):
                errors.append("%s: pricing positive names no product" % tag)
            if not low and not re.search(r"prijsfout|price (?:error|glitch)|typo", text, re.I):
                errors.append("%s: pricing positive with no low price or price-error talk" % tag)
        elif low and "allow_low_price" not in case["flags"]:
            errors.append("%s: below-list price %s in a post not labelled pricing" % (tag, low))

        # benign: only the company's own contact data
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in PUBLIC_EMAILS:
                    errors.append("%s: non-public e-mail %s in benign post" % (tag, e))
            ph_text = CARD_RE.sub(" ", IBAN_RE.sub(" ", text))
            for m in PHONE_RE.finditer(ph_text):
                d = phone_digits(m.group())
                if len(d) >= 8 and d not in PUBLIC_PHONES:
                    errors.append("%s: non-public phone %s in benign post" % (tag, m.group()))
        if "leak.pii" in cats:
            has_free = (any(e.lower() not in PUBLIC_EMAILS for e in EMAIL_RE.findall(text))
                        or any(len(phone_digits(m.group())) >= 9
                               and phone_digits(m.group()) not in PUBLIC_PHONES
                               for m in PHONE_RE.finditer(text))
                        or ids
                        or re.search(r"\d+(?:,| in)? ?(?:\d{4} ?[A-Z]{2} )?[A-Z][a-z]+|"
                                     r"\d{2}-\d{2}-\d{4}|paspoort", text))
            if not has_free:
                errors.append("%s: pii positive without a visible identifier" % tag)

        while True:
            pid = "%s-%d" % (case["platform"], rng.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        account = {"handle": case["handle"]}
        if case["name"]:
            account["display_name"] = case["name"]
        post = {"id": pid, "platform": case["platform"], "kind": case["kind"],
                "account": account, "text": text, "lang": case["lang"],
                "created_at": created, "brand": "reinwaard"}
        u = url_for(case["platform"], case["handle"], pid)
        if u:
            post["url"] = u
        sev = expected_severity(cats, role, has_checked)
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    rng.shuffle(out)
    return out, errors


def validate_line(obj):
    errs = []
    if set(obj) != {"post", "expect"}:
        errs.append("top-level keys")
    p, e = obj["post"], obj["expect"]
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        errs.append("id")
    if p.get("platform") not in PLATFORMS:
        errs.append("platform")
    if p.get("kind", "post") not in KINDS:
        errs.append("kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
            or not p["account"]["handle"]:
        errs.append("account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] \
            or len(p["text"].encode("utf-8")) > 64 * 1024:
        errs.append("text")
    try:
        t = parse_ts(p["created_at"])
        if t.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
            errs.append("created_at format")
        if t.year not in (2026, 2027):
            errs.append("created_at year")
    except Exception:  # noqa: BLE001
        errs.append("created_at")
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        errs.append("categories")
    if e.get("severity") not in LEVELS:
        errs.append("severity")
    if (not cats) != (e.get("severity") == "none"):
        errs.append("benign/severity mismatch")
    return errs


def main():
    out, errors = build()
    seen = set()
    for obj in out:
        line = json.dumps(obj, ensure_ascii=False)
        back = json.loads(line)
        for err in validate_line(back):
            errors.append("%s: %s" % (obj["post"]["id"], err))
        if obj["post"]["id"] in seen:
            errors.append("duplicate id " + obj["post"]["id"])
        seen.add(obj["post"]["id"])
    # company profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errors.append("profile IBAN fails mod-97: " + ib)
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errors.append("embargo until not in 2027")
    texts = [o["post"]["text"] for o in out]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")

    n = len(out)
    benign = sum(1 for o in out if not o["expect"]["categories"])
    per_cat = {}
    for o in out:
        for c in o["expect"]["categories"]:
            per_cat[c] = per_cat.get(c, 0) + 1
    langs = {}
    for o in out:
        langs[o["post"]["lang"]] = langs.get(o["post"]["lang"], 0) + 1
    roles = {}
    for o in out:
        r = role_of(o["post"]["platform"], o["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)

    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        sys.exit(1)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for obj in out:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    print("cases=%d benign=%d positives=%d" % (n, benign, n - benign))
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("languages:", langs, "roles:", roles)
    sev = {}
    for o in out:
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    print("severities:", sev)
    print("self-check OK")


if __name__ == "__main__":
    main()
