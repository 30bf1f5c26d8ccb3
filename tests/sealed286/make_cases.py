#!/usr/bin/env python3
"""Build the labelled evaluation set sealed286 (Stuiterland Leisure B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to
this file and then checks it (identifier checksums, secret formats, CONTRACT §6
shape, severities derived from the account role in profile.yaml per CONTRACT §4).
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
SEED = 286_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing",
    "con": "leak.confidential", "fin": "leak.financial", "scy": "leak.security",
    "cri": "reputation.crisis", "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def mod97_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


# ---------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban(grouped=False):
    bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "KNAB", "ASNB", "BUNQ", "SNSB"])
    while True:
        acct = str(rng.randint(1, 9)) + rs(string.digits, 9)
        if sum(int(c) * (10 - i) for i, c in enumerate(acct)) % 11 == 0:
            break
    body = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in body)) % 97
    iban = "NL%02d%s%s" % (chk, bank, acct)
    assert mod97_ok(iban)
    if grouped:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_bad_iban():
    good = gen_iban().replace(" ", "")
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + rng.randint(3, 40)) % 97 + 2) + good[4:]
    if mod97_ok(bad):
        return gen_bad_iban()
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def gen_card(prefix="4", sep=" "):
    while True:
        body = prefix + rs(string.digits, 15 - len(prefix))
        for last in string.digits:
            if luhn_ok(body + last):
                num = body + last
                return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bad_card():
    good = gen_card(rng.choice(["4", "53"])).replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            n = "".join(map(str, d + [last]))
            assert bsn_ok(n)
            return n


def gen_bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(bad)
    return bad


def gen_gh(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gen_aws_id():
    return "AKIA" + rs(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rs(ALNUM + "/+", 40)


def gen_password():
    word = rng.choice(["Trampoline", "Stuiter", "Boing", "Kassa", "Salto", "Veerkr8", "Springveer"])
    return word + rng.choice("!#$%&*@") + str(rng.randint(2019, 2026)) + rs(string.ascii_lowercase, 2) + rng.choice("!?#")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "scanner-%d" % rng.randint(10, 99), "park": "UTR", "role": "gate_admin",
               "iat": 1767000000 + rng.randint(0, 9_000_000)}
    payload["exp"] = payload["iat"] + 86400
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_openai():
    return "sk-proj-" + rs(URLSAFE, 38) + "T3BlbkFJ" + rs(URLSAFE, 38)


def gen_anthropic():
    return "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"


GEN = {
    "IBAN": lambda: gen_iban(False),
    "IBANG": lambda: gen_iban(True),
    "CARD": lambda: gen_card("4", " "),
    "CARDMC": lambda: gen_card("5" + str(rng.randint(1, 5)), "-"),
    "BSN": gen_bsn,
    "BAD_IBAN": gen_bad_iban,
    "BAD_CARD": gen_bad_card,
    "BAD_BSN": gen_bad_bsn,
    "PUB_IBAN": lambda: PROFILE["public_identifiers"]["ibans"][0],
    "GHP": lambda: gen_gh("ghp_"),
    "GLPAT": lambda: "glpat-" + rs(URLSAFE, 20),
    "AWSID": gen_aws_id,
    "AWSSECRET": gen_aws_secret,
    "MOLLIE": lambda: "live_" + rs(ALNUM, 30),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rs(ALNUM, 24)),
    "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic,
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PW": gen_password,
    "DBURL": lambda: "postgres://bi_reader:%s@db01.stuiterland.local:5432/bezoekers" % gen_password(),
}
ID_KINDS = {"IBAN": ("iban", True), "IBANG": ("iban", True), "CARD": ("card", True),
            "CARDMC": ("card", True), "BSN": ("bsn", True), "BAD_IBAN": ("iban", False),
            "BAD_CARD": ("card", False), "BAD_BSN": ("bsn", False), "PUB_IBAN": ("iban_public", True)}


def fw(s):
    """Full-width rendering of printable ASCII (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"  # zero-width space
CYR_i, CYR_o, CYR_e, CYR_O = "\u0456", "\u043e", "\u0435", "\u041e"

# ---------------------------------------------------------------- the cases
# (who, account "platform:handle", lang, categories, text, kind, created_at or None)
# who: C = corporate, E = employee, P = public (checked against the profile)
CASES = []


def C(who, acct, lang, cats, text, kind="post", when=None):
    CASES.append(dict(who=who, acct=acct, lang=lang, cats=cats, text=text, kind=kind, when=when))


# ---- leak.secret
C("E", "x:@ruben_it_sl", "nl", ["sec"],
  "iemand enig idee waarom ik een 401 krijg? 🤔\n\ncurl -H \"Authorization: token ⟦GHP⟧\" https://api.github.com/repos/stuiterland-dev/kassa-sync/issues\n\ntoken is vanochtend pas aangemaakt dus kan niet verlopen zijn")
C("E", "bluesky:@sem-devops.bsky.social", "nl", ["sec"],
  "deploy faalt wéér op de S3 upload. dit staat er in de .env:\nAWS_ACCESS_KEY_ID=⟦AWSID⟧\nAWS_SECRET_ACCESS_KEY=⟦AWSSECRET⟧\nAWS_REGION=eu-west-1\nziet iemand iets geks?")
C("E", "mastodon:@nielsdev@mastodon.nl", "en", ["sec"],
  "Anyone else getting 'invalid API key' from Mollie since this morning? Key is ⟦MOLLIE⟧, worked fine in the test shop yesterday. Losing my mind a bit")
C("E", "x:@kevin_ops_sl", "en", ["sec"],
  "shift-swap slackbot finally live 🎉 if you want to try it in your own workspace just paste ⟦SLACK⟧ as the bot token")
C("E", "reddit:u/jesse_parkcrew", "en", ["sec"],
  "built a tiny chatbot that answers 'are grip socks mandatory' 400x a day so we don't have to lol. it's running on ⟦OPENAI⟧ for now, will move it to a proper vault eventually™",
  kind="comment")
C("E", "bluesky:@sem-devops.bsky.social", "en", ["sec"],
  "jwt debugging hour. why does the gate scanner in Utrecht reject this one?? exp looks fine to me\n\nBearer ⟦JWT⟧")
C("E", "mastodon:@nielsdev@mastodon.nl", "en", ["sec"],
  "note to self bc I keep losing it on my laptops 🙈 deploy key for the ticket boxes:\n\n⟦PEM⟧")
C("E", "x:@ruben_it_sl", "nl", ["sec", "con"],
  "connectiestring van de nieuwe rapportage-db, voor als iemand van BI hem zoekt:\n⟦DBURL⟧")
C("C", "facebook:StuiterlandNL", "nl", ["sec"],
  "Beste collega's van Stuiterland Breda: het nieuwe wifi-netwerk voor personeel heet 'SL-Crew-BRD', wachtwoord: ⟦PW⟧ . Niet doorgeven aan gasten aub! 🙏")
C("P", "x:@femkehopt", "nl", ["sec"],
  "lmao bij Stuiterland Zwolle hangt gewoon een briefje achter de kassa 'wifi kassa - wachtwoord: ⟦PW⟧' 😭 security level: trampoline")
C("E", "reddit:u/jesse_parkcrew", "en", ["sec"],
  "anyone know why claude keeps timing out in our n8n flow for party bookings? using ⟦ANTHROPIC⟧ with default settings, 30s timeout",
  kind="comment")
C("E", "bluesky:@sem-devops.bsky.social", "nl", ["sec"],
  "admin login voor de nieuwe poortscanners (tijdelijk!!) gebruiker: poortadmin / wacht" + ZW + "woord: ⟦PW⟧ — morgen zet ik SSO aan beloofd")
C("E", "x:@ruben_it_sl", "en", ["sec"],
  "CI runner keeps failing on git clone. using ⟦GLPAT⟧ as the token, scopes are read_repository + api. what am I missing")

# ---- leak.pricing
C("C", "x:@stuiterland", "nl", ["pri"],
  "🚨 BLACK FRIDAY 🚨 De Stuiterland Jaarpas vandaag voor maar €34,90! Een heel jaar springen, op=op 🦘 #blackfriday")
C("C", "instagram:@stuiterland.nl", "nl", ["pri"],
  "Zomerdeal in de webshop ☀️ ThuisTramp 305 incl. veiligheidsnet nu €44,95. Link in bio!")
C("E", "x:@marloes_stuiter", "nl", ["pri"],
  "psst… er zit een prijsfout in de webshop, de Gezinsjaarpas staat op €89,90 😅 wie snel is…")
C("P", "x:@timo_b_85", "en", ["pri"],
  "is this a price error or what?? MegaBoing party showing €39,90 on tickets.stuiterland.nl. booked two just in case")
C("P", "reddit:u/dealjager_nl", "en", ["pri"],
  "[Deal] Stuiterland FlexKaart 10 for €12.90 — pretty sure someone slipped a decimal, grab it before they fix it")
C("E", "tiktok:@bram.stuitert", "nl", ["pri"],
  "foutje in de kassa vandaag: Ninja Pass werd afgerekend als €1,95 ipv €19,50 🙈 halve rij had het door voordat wij het doorhadden")
C("C", "tiktok:@stuiterland", "nl", ["pri"],
  "Vrijdag = Glow Night 🌈 Nu €2,10 p.p. Boek snel, vol = vol! #glownight")
C("P", "facebook:marieke.vdongen", "nl", ["pri"],
  "Klopt het dat de ThuisTramp Mini 140 €12,90 kost in jullie webshop? Lijkt me te mooi om waar te zijn haha", kind="comment")
C("E", "x:@kevin_ops_sl", "en", ["pri"],
  "lol pricing glitch on the Klimkriebel Jaarkaart, site says €17.90 🤫 someone's fixing it monday")
C("P", "instagram:@kantoorheld_joost", "nl", ["pri"],
  "PRIJSFOUT?! Bounce & Bites bedrijfsuitje voor €4,50 p.p. 👀 meteen 40 man geboekt voor de vrijdagmiddagborrel")
C("C", "facebook:StuiterlandNL", "nl", ["pri"],
  "Kinderfeestje in de herfstvakantie? 🎈 Het Boing-feest nu vanaf €18,90 voor de hele groep!")
C("P", "x:@hobbyjumper", "en", ["pri"],
  "Stuiterland had a price error on VR Bounce last night, sessions were €2.40 instead of €24. Fair play, they honoured it at the desk")

# ---- leak.confidential
C("E", "instagram:@lotte.jumpcoach", "nl", ["con"],
  "Vandaag de eerste testsprongen gedaan voor Project Kangoeroe 🦘🤫 meer mag ik niet zeggen maar WOW")
C("E", "x:@kevin_ops_sl", "nl", ["con"],
  "@ruben_it_sl staat toch gewoon op https://wiki.stuiterland.nl/ops/kassa-herstart ? stap 4 is het uit-aan trucje", kind="reply")
C("E", "linkedin:priya-raghoebir", "nl", ["con"],
  "STUITERLAND INTERN — Nieuwe roosterregels per 1 juni: minimaal 2 coaches per springveld, pauze na 3 uur. Graag lezen en aftekenen bij je teamleider.")
C("C", "instagram:@stuiterland.nl", "nl", ["con"],
  "Iets groots komt eraan… 👀 Stuiterland Antwerpen, ons eerste park in België! Wie gaat er mee? 🇧🇪",
  when="2026-10-15T16:05:00Z")
C("E", "tiktok:@bram.stuitert", "nl", ["con"],
  "de Hinkstap-baan in de testhal is echt ziek man, 4 airtracks achter elkaar 🤯 #werkdag")
C("E", "x:@marloes_stuiter", "en", ["con"],
  "Operatie Zwaluwstaart kickoff today! NDA'd up to my eyeballs but sooo excited 🐦")
C("E", "threads:@yasmin.feestjes", "nl", ["con"],
  fw("project kangoeroe") + " gaat alles veranderen voor de kinderfeestjes, meer zeg ik niet 🤐")
C("E", "bluesky:@sem-devops.bsky.social", "en", ["con"],
  "spent all day on the Hink" + ZW + "stap booking flow, 3 weeks to launch 😬")
C("P", "x:@svenjumps", "nl", ["con"],
  "Vriendin van me werkt bij Stuiterland en zegt dat Project Kangoeroe een trampoline-waterpark wordt 😱 zomer 2027 open")
C("E", "linkedin:daan-verhoef-stuiterland", "nl", ["con"],
  "Dank aan het team voor de sessie over de SkyDock Arena, de bouwplanning staat! Nog even stilhouden tot de officiële aankondiging 🙏",
  when="2026-09-22T10:40:00Z")
C("C", "linkedin:stuiterland-leisure", "nl", ["con"],
  "We zoeken een planner! Bekijk de functie op intra.stuiterland.local/hr/vacatures/planner-2026 en mail je cv 👉")
C("E", "x:@ruben_it_sl", "en", ["con"],
  "who opened jira.stuiterland.nl/browse/KASSA-1142 with the title 'everything broken' 😂 context pls")
C("P", "reddit:u/steigerbouwer_gert", "en", ["con"],
  "Did some scaffolding work near the Antwerp docks, the site board literally says Stuiterland Antwerpen, opening spring 2027. So that's happening",
  kind="comment", when="2026-11-19T18:12:00Z")
C("E", "x:@kevin_ops_sl", "nl", ["con"],
  "slides van vandaag over de nieuwe prijsstructuur, bovenaan in rood 'niet extern delen' dus ik zeg niks 🤐 behalve dat de Jaarpas duurder wordt")
C("E", "linkedin:daan-verhoef-stuiterland", "nl", ["con", "fin"],
  "Voorproefje: de jaarcijfers 2026 zijn binnen en ze zijn góéd 💪 omzet +18%, EBITDA net onder de €9 mln. Officieel op 4 maart!",
  when="2027-02-10T08:30:00Z")
C("E", "linkedin:anouk-meijer-finance", "en", ["con", "fin"],
  "Closing the books on the FY2026 results this week. Can't share numbers but let's just say we beat budget by double digits and the bonus pot will be happy 🍾",
  when="2027-01-28T17:45:00Z")
C("E", "x:@marloes_stuiter", "nl", ["con", "fin"],
  "morgen gaan de jaarcijfers 2026 naar buiten, spoiler: recordjaar én voor het eerst dividend 🥳",
  when="2027-03-03T16:20:00Z")
C("E", "bluesky:@sem-devops.bsky.social", "en", ["con", "scy"],
  "VPN down again?? vpn.stuiterland.nl just times out from home and the park gates can't sync either. nothing on the status page yet")

# ---- leak.financial
C("E", "x:@marloes_stuiter", "en", ["fin"],
  "So the rumours are true: we're being acquired by Joyvest Capital. Signing is next Thursday, announcement after. Wild times 🎢")
C("E", "threads:@yasmin.feestjes", "nl", ["fin"],
  "Net gehoord op kantoor: 3 parken gaan volgend jaar dicht en zo'n 80 fte moet eruit 😔 wordt pas in november gecommuniceerd")
C("C", "x:@stuiterland", "nl", ["fin"],
  "Q3 in cijfers: omzet €14,2 mln (+11%), 412.000 bezoekers. Persbericht volgt morgen om 07:00.")
C("P", "x:@beursbengel", "en", ["fin"],
  "My brother-in-law sits on Stuiterland's management team, they're going public in 2027. Remember you read it here first 📈")
C("E", "linkedin:anouk-meijer-finance", "en", ["fin"],
  "Tough week of budget reviews. Internally we've cut the 2027 visitor forecast by 12%, so everyone is tightening belts for a while")
C("E", "tiktok:@bram.stuitert", "nl", ["fin"],
  "klantenservice wordt naar Portugal verhuisd, 45 collega's krijgen volgende maand hun ontslag. ik ben er kapot van")
C("E", "linkedin:daan-verhoef-stuiterland", "en", ["fin"],
  "Exciting times: we're in exclusive talks to buy SprongWerk Belgium (5 parks), ballpark price 22m. Can't wait to share more once it's official")
C("E", "x:@kevin_ops_sl", "en", ["fin"],
  "Q2 visitor numbers came in 30% under budget and the bank already wants to talk covenants. fun times 🙃")
C("P", "reddit:u/pe_watcher", "en", ["fin"],
  "Heard from someone at a PE fund that Stuiterland Leisure is quietly shopping itself around, asking price ~€120m. Data room opened last month.")

# ---- leak.security
C("E", "x:@kevin_ops_sl", "nl", ["scy"],
  "kassasysteem in álle parken ligt sinds 9u plat, IT zegt ransomware. richting gasten doen we alsof het 'onderhoud' is 🙈")
C("E", "mastodon:@nielsdev@mastodon.nl", "en", ["scy"],
  "Found that our booking API hands you other families' party details if you just bump the booking id by one. Reported it two weeks ago, ticket still open 🙃")
C("E", "bluesky:@sem-devops.bsky.social", "en", ["scy"],
  "fun morning: our payment webhook secret sat in a public GitHub repo for about a month. rotating everything now, nobody outside knows yet")
C("E", "tiktok:@bram.stuitert", "nl", ["scy"],
  "stroomstoring in Utrecht en de noodstroom deed het niet, alle toegangspoortjes stonden 2 uur open 😂 gratis springen voor iedereen, zeg het niet tegen m'n baas")
C("E", "x:@ruben_it_sl", "en", ["scy"],
  "4 colleagues typed their password into the fake login page from friday's phishing mail. finance mailboxes are taken over, we're pulling overtime")
C("P", "x:@kimmie_xo", "en", ["scy", "cri"],
  "my mate works in IT at Stuiterland and says their customer database got dumped last week and they're keeping it quiet. anyone else had weird emails?")
C("E", "instagram:@lotte.jumpcoach", "en", ["scy"],
  "kinda wild that the cameras in our jump hall can be watched over the internet without any password. reported it 3 times already 🤷‍♀️")
C("E", "x:@ruben_it_sl", "en", ["scy"],
  "cert for the ticket shop expired at 3am, checkout is broken and nobody outside has noticed yet. praying we fix it before the doors open at 10")
C("E", "reddit:u/jesse_parkcrew", "en", ["scy"],
  "we've been getting DDoSed since last night and marketing put up a 'planned maintenance' banner on the shop lol", kind="comment")
C("E", "mastodon:@nielsdev@mastodon.nl", "en", ["scy"],
  "fun fact: the staff wifi password at our parks hasn't changed since 2019 and it's on a post-it in every break room")
C("E", "bluesky:@sem-devops.bsky.social", "nl", ["scy"],
  "backup van de ledenadministratie stond maanden op een open bucket, ~40k records. legal zit erbovenop, persbericht komt 'misschien'")
C("E", "x:@kevin_ops_sl", "nl", ["scy"],
  "vannacht is iemand het klantportaal binnengekomen via een admin-account zonder 2FA. we mogen er pas iets over zeggen als legal akkoord geeft")

# ---- leak.pii
C("E", "threads:@yasmin.feestjes", "nl", ["pii"],
  "Wie heeft de MegaBoing van 15:00 geboekt? Mama heet Esra, op de lijst staat 06-41873920 en e.yilmaz88@gmail.com. Bel even terug aub!")
C("C", "x:@stuiterland_help", "nl", ["pii"],
  "@joyce_vrolijk Hoi Joyce! We sturen de vergeten knuffel naar Kerkstraat 14, 3581 AB Utrecht t.a.v. J. Vrolijk. Klopt dat zo?", kind="reply")
C("E", "x:@kevin_ops_sl", "nl", ["pii"],
  "refund gedaan voor de dubbele boeking van meneer Kok: €87,00 naar ⟦IBANG⟧ t.n.v. R.J. Kok. kan iemand checken of het goed gaat?")
C("P", "x:@gerbenvdl", "nl", ["pii", "cmp"],
  "@stuiterland_help al 3 weken wachten op mijn terugbetaling. Nog één keer dan: ⟦IBAN⟧ t.n.v. G. van der Linden. Schiet eens op.", kind="reply")
C("E", "instagram:@lotte.jumpcoach", "en", ["pii"],
  "Found a wallet on the trampoline floor this afternoon 👛 bank card ⟦CARD⟧ in the name of M. de Graaf, it's at reception!")
C("C", "instagram:@klimkriebel", "nl", ["pii"],
  "Hiep hiep hoera! 🎂 Noor de Wit (geboren 14-03-2019) vierde vandaag haar 7e verjaardag bij Klimkriebel Almere!")
C("E", "linkedin:priya-raghoebir", "nl", ["pii"],
  "Geen idee waarom de salarisadministratie mijn nieuwe collega niet kan vinden, haar BSN is ⟦BSN⟧ en ze staat gewoon in het systeem?")
C("P", "facebook:sanne.koster.9", "nl", ["pii"],
  "Zoon is z'n blauwe jas kwijt bij Stuiterland Breda (maat 128). Gevonden? Bel of app me op 06 2837 4615, Sanne")
C("P", "x:@wraakengel_77", "nl", ["pii", "abu"],
  "Die coach Kevin de Boer van Stuiterland woont op de Populierenlaan 7 in Amersfoort. Ga maar eens langs bij die eikel, heeft mijn kind eruit gezet")
C("E", "x:@marloes_stuiter", "en", ["pii"],
  "Whoever booked the Bounce & Bites for Friday, please call back! Contact sheet says +31 6 2391 0477 / m.jansen84@gmail.com")
C("C", "facebook:StuiterlandNL", "nl", ["pii"],
  "🎉 WINNAAR van de Gezinsjaarpas-winactie: Femke Bos! Femke, we hebben je gemaild op femke.bos92@hotmail.com, check ook je spam 😉")
C("P", "x:@dadjokes_dave", "en", ["pii", "cmp"],
  "@stuiterland charged my card twice for one Jump Pass 120. here's the full number so you can look it up: ⟦CARDMC⟧. sort it out please", kind="reply")
C("E", "linkedin:priya-raghoebir", "en", ["pii"],
  "Happy birthday to our amazing colleague Rachid Amrani, born 2 November 1990 and still the best backflipper on the team 🎈")
C("E", "reddit:u/jesse_parkcrew", "nl", ["pii"],
  "export uit de klantenlijst voor de nieuwsbrief, eerste regel: Demi Visser, 0031 6 48 22 19 07, Dahliastraat 3, 1338 KL Almere. waarom staat iedereen er dubbel in?",
  kind="comment")
C("C", "x:@stuiterland_help", "nl", ["pii"],
  "@ruud_harms Dag Ruud, uw terugbetaling van €43,50 is vandaag gestort op ⟦IBAN⟧. Fijne dag verder!", kind="reply")

# ---- reputation.crisis (+ complaint when first-hand)
C("P", "x:@moeder_van_3", "nl", ["cri", "cmp"],
  "Mijn dochter (6) heeft vandaag haar pols gebroken in de foam pit bij Stuiterland Breda. Er stond NIEMAND bij. Twintig minuten op EHBO gewacht. Ik ben woedend.")
C("P", "facebook:mark.thompson.uk", "en", ["cri", "cmp"],
  "The spring cover on one of the trampolines at Stuiterland Utrecht was torn and my son's foot went straight through onto the springs. Five stitches. Staff said it was 'on the repair list'. Unacceptable.")
C("P", "instagram:@fam.bakker.almere", "nl", ["cri", "cmp"],
  "Na ons Boing-feest zijn 4 van de 8 kinderen de hele nacht aan het spugen geweest 🤢 alle ouders denken aan de kipnuggets. Dit was ons feestje!!")
C("P", "reddit:u/thuisvaderjoris", "nl", ["cri", "cmp"],
  "Onze ThuisTramp 305 is bij de derde sprong ingezakt, een poot gewoon doorgebroken. Zoontje viel met z'n gezicht op het frame, lip gehecht. Stuiterland zegt 'gebruikersfout'. Echt niet.")
C("P", "x:@jasonr_nl", "en", ["cri", "cmp"],
  "Got a proper electric shock off the metal railing at the VR Bounce station today, arm tingled for an hour. Staff just shrugged. @stuiterland someone is going to get hurt")
C("P", "threads:@ilse.springt", "nl", ["cri", "cmp"],
  "Bijna fout gegaan vandaag: het net rond de Big Airbag schoot los terwijl mijn zoon sprong 😳 hij landde nét op de rand van de mat. Levensgevaarlijk, en niemand die er iets mee deed")
C("P", "x:@regionieuws_zwolle", "nl", ["cri"],
  "Kind (9) zwaargewond na val in trampolinepark Stuiterland Zwolle. NVWA start onderzoek naar het toezicht in het park.")
C("P", "x:@eerlijkloon", "nl", ["cri"],
  "Stuiterland betaalt tieners onder het minimumloon en laat ze 12 uur achter elkaar werken. Niet meer heen gaan mensen. #boycotStuiterland")
C("P", "reddit:u/consumentenclaim", "en", ["cri"],
  "Heads up: a class action is being filed against Stuiterland over the annual passes that auto-renew without warning. Over 2,000 families have signed on already.")
C("P", "facebook:petra.huisman.71", "nl", ["cri"],
  "Collega vertelde dat de ThuisTramp Mini 140 bij haar in de winkel uit de schappen is gehaald, iets met veren die knappen. Terugroepactie op komst? Wij hebben er ook een staan 😬")
C("P", "x:@privacy_paula", "nl", ["cri"],
  "Volgens mij heeft Stuiterland een datalek. In onze oudergroep krijgen 5 ouders ineens phishing met hun eigen boekingsnummer én de naam van hun kind erin.")
C("P", "linkedin:mila-oosterhout", "en", ["cri"],
  "Ex-employee here. At Stuiterland Utrecht, managers regularly left 16-year-olds running the floor alone on busy Saturdays, and incident reports got 'lost'. Someone needs to look into this.")
C("P", "x:@dagblad_flevoland", "nl", ["cri"],
  "Brandweer rukt uit voor rookontwikkeling bij Klimkriebel Almere, ruim 200 kinderen en ouders geëvacueerd. Niemand gewond.")
C("P", "instagram:@tante_ans", "en", ["cri"],
  "My nephew's friend is in hospital after a botched somersault at Stuiterland Breda. Concussion and a broken collarbone. Thinking of the family 🙏")
C("P", "tiktok:@juulsjumps", "nl", ["cri"],
  "b o y c o t  s t u i t e r l a n d. ze hebben een zwangere medewerker ontslagen omdat ze 'niet meer kon springen'. DELEN!!")

# ---- reputation.complaint
C("P", "x:@dirkjanssens", "en", ["cmp"],
  "2 hours in the queue at Stuiterland Utrecht even though we had a 14:00 time slot. Why sell time slots if nobody sticks to them?")
C("P", "facebook:kim.vandenberg.5", "nl", ["cmp"],
  "Verplicht GripGrip sokken kopen à €3,50 p.p. terwijl we er thuis 4 paar van jullie hebben liggen (vergeten, ja). Gewoon geldklopperij dit.", kind="comment")
C("P", "x:@chloe_w_ams", "en", ["cmp"],
  "booked the MegaBoing party for my son's 8th. host turned up 40 min late, pizza was cold and we lost half our jump time. not impressed @stuiterland")
C("P", "x:@hvd_1982", "nl", ["cmp"],
  "6 weken na het opzeggen van de Jaarpas nog steeds geen geld terug. @stuiterland_help reageert niet op mail, niet op DM. Wat moet ik nog doen?")
C("P", "instagram:@mamavanmees", "nl", ["cmp"],
  "Ballenbak bij Klimkriebel Almere was echt smerig vandaag, haren, chipszakjes en een oude luier 🤢 wanneer is dit voor het laatst schoongemaakt?")
C("P", "x:@rickvlog", "en", ["cmp"],
  "checkout on tickets.stuiterland.nl keeps throwing 'payment failed' at the last step. tried 3 different cards. kids crying, evening ruined. fix your site")
C("P", "facebook:ria.vermeulen.56", "nl", ["cmp"],
  "De jongen bij de ingang was zo onbeschoft tegen mijn moeder van 74, omdat ze de QR-code niet snel genoeg kon vinden. Zo ga je niet met mensen om.")
C("P", "x:@drukdrukdruk", "en", ["cmp"],
  "way too packed today. toddlers in between teens doing flips and ONE coach for the whole hall. where is the supervision?? never again on a saturday")
C("P", "reddit:u/annoyed_in_breda", "en", ["cmp"],
  "My Annual Pass got blocked for 'misuse' with zero explanation. Three emails, one phone call, nothing. Paid €349 for this.")
C("P", "x:@jessiejumps", "nl", ["cmp"],
  "Kinderfeestje geboekt, blijkt de feestruimte dubbel geboekt 🙄 een uur in de kantine gezeten met 10 ongeduldige kleuters. 'Sorry' was alles wat we kregen.")
C("P", "x:@pietjepuk_nl", "nl", ["cmp"],
  "app crasht elke x als ik de qr code wil openen bij de poort. stond ik daar met 3 jengelende kids en een rij achter me. top werk weer")
C("P", "x:@anoniemebezoeker", "en", ["cmp"],
  "Glow Night was basically the lights off and loud music. €21 per person for that? Rip-off, won't be back")
C("P", "bluesky:@koenvdb.bsky.social", "en", ["cmp"],
  "The lockers at Stuiterland Breda eat your euro coin and then won't open. Happened 3 times today. Staff member: 'yeah it does that sometimes' 🙄")

# ---- reputation.abuse
C("P", "x:@boosbozer", "nl", ["abu"],
  "Stuiterland is een stelletje oplichters en die manager in Breda is een arrogante klootzak")
C("P", "x:@xxtrashtalkxx", "en", ["abu"],
  "fuck stuiterland and their clown staff honestly")
C("P", "tiktok:@stoerestijn", "nl", ["abu"],
  "st00iterland = k4nk3rz00i, allemaal 0pl1cht3rs daar 🤬")
C("P", "x:@boosmoeke", "nl", ["abu"],
  "w.a.t e.e.n k.u.t.b.e.d.r.i.j.f @stuiterland")
C("P", "instagram:@jordy.kritiek", "nl", ["abu"],
  "personeel van stuiterland zijn echte " + CYR_i + "d" + CYR_i + CYR_o + "t" + CYR_e + "n, geen normaal woord uit te krijgen", kind="comment")
C("P", "facebook:henk.derksen.61", "nl", ["abu"],
  "Weer zo'n buitenlander achter de kassa die geen woord Nederlands spreekt. Stuur ze terug naar hun eigen land, Stuiterland.", kind="comment")
C("E", "tiktok:@bram.stuitert", "nl", ["abu"],
  "klant van vandaag was echt een debiele trut, 20 min lopen zeiken over één sok. hoop dat ze nooit meer terugkomt")
C("P", "instagram:@xx_mean_girl_xx", "en", ["abu"],
  "@lotte.jumpcoach you're so ugly, no wonder you ended up working at a trampoline park lmao", kind="comment")
C("P", "x:@grafwerk", "en", ["abu"],
  "hope that dump burns down with its greedy owner inside")
C("P", "x:@snauwboos", "nl", ["abu", "cmp"],
  "Anderhalf uur wachten en dan nog afgesnauwd worden door een of andere kakkerlak achter de balie. Waardeloze tyfustent.")
C("P", "reddit:u/greedwatch", "en", ["abu"],
  "Stuiterland's CEO is a greedy pig who'd sell his own kids for another €2 on the socks")

# ---- benign (mostly hard negatives)
C("P", "x:@sophie_en_co", "nl", [],
  "Wat een toppers bij Stuiterland Utrecht! Feestje van onze Daan was perfect geregeld, zelfs de taart stond klaar 🎉🦘")
C("P", "x:@gymrat_gina", "en", [],
  "Ninja Pass at Stuiterland is genuinely the hardest workout I've done all month. legs are dead 💀")
C("P", "x:@wouterwandelt", "en", [],
  "My calves got absolutely murdered after 60 minutes of jumping. Next time the Jump Pass 120, apparently I'm a masochist 😂")
C("P", "facebook:anja.pieterse.3", "nl", [],
  "Vraagje: zijn GripGrip sokken verplicht of mogen eigen antislipsokken ook? Wil niet elke keer nieuwe kopen", kind="comment")
C("C", "x:@stuiterland_help", "nl", [],
  "@marieke_bakt Hoi Marieke, wat vervelend! Mail je boekingsnummer naar info@stuiterland.nl of bel ons op 030 799 4410, dan zoeken we het samen uit 😊",
  kind="reply")
C("C", "linkedin:stuiterland-leisure", "nl", [],
  "Vacature: parkmedewerker Stuiterland Breda (16-24 uur). Zin in een sportieve bijbaan? Stuur je cv naar vacatures@stuiterland.nl 🦘")
C("C", "instagram:@stuiterland.nl", "nl", [],
  "Voorjaarsactie 🌷 20% korting op de Stuiterland Jaarpas: nu €279 i.p.v. €349. Alleen t/m zondag!")
C("C", "tiktok:@stuiterland", "nl", [],
  "Elke vrijdag Glow Night Jump 🌈 €21 p.p. incl. glow-armbandje en DJ. Tot vrijdag!")
C("P", "x:@budgetmama", "en", [],
  "Jump Pass 60 is €14.50, honestly a fair price for an hour of wearing the kids out 😅")
C("C", "facebook:StuiterlandNL", "nl", [],
  "Juf of meester? Ons Schoolreis Arrangement kost €12,50 per kind, inclusief drinken en een ijsje. Begeleiders springen gratis mee!")
C("P", "x:@leisure_news_eu", "en", [],
  "Funvale Group confirms 200 job cuts across its German bowling venues, citing higher energy costs.")
C("E", "bluesky:@sem-devops.bsky.social", "en", [],
  "PSA for the team: when you paste config into a ticket, use the placeholder AKIAIOSFODNN7EXAMPLE like the AWS docs do. never the real one 🙏")
C("E", "x:@ruben_it_sl", "nl", [],
  "nog steeds een 401 met token ghp_************************************ (ja, geredigeerd 😉). iemand tips?")
C("C", "x:@stuiterland_help", "nl", [],
  "Let op: Stuiterland vraagt NOOIT om je wachtwoord via DM of mail. Krijg je zo'n bericht? Niet reageren en even melden bij ons.")
C("C", "x:@stuiterland", "nl", [],
  "Er gaan nepberichten rond over 'terugbetalingen'. Ons enige rekeningnummer is ⟦PUB_IBAN⟧ (Stuiterland Leisure B.V.). Twijfel? Bel 085 130 2200.")
C("P", "x:@oplettendeoma", "nl", [],
  "Betaalverzoek gehad van 'Stuiterland' voor een gemist feestje, naar IBAN ⟦BAD_IBAN⟧. Klopt niet eens, dus phishing. Niet betalen mensen!")
C("P", "x:@kaartjesdeler", "nl", [],
  "Heb nog een cadeaukaart 50 liggen, code ⟦BAD_CARD⟧, wie wil hem? We verhuizen naar Groningen 📦")
C("P", "facebook:dennis.haan.8", "nl", [],
  "Moet ik bij de kassa mijn lidnummer (⟦BAD_BSN⟧) opgeven of is de QR-code genoeg? Eerste keer met de FlexKaart 10", kind="comment")
C("E", "linkedin:daan-verhoef-stuiterland", "nl", [],
  "Trots op onze jaarcijfers 2026, vanochtend gepubliceerd! Omzet +18% en voor het eerst boven de €60 mln. Dank aan alle collega's 💙",
  when="2027-03-05T09:15:00Z")
C("C", "instagram:@stuiterland.nl", "nl", [],
  "Stuiterland Antwerpen is OPEN! 🇧🇪🎉 De eerste week 25% korting op de Jump Pass 60.",
  when="2027-04-03T10:00:00Z")
C("P", "x:@hvd_1982", "nl", [],
  "Update: @stuiterland_help heeft de terugbetaling van mijn Jaarpas binnen 2 dagen geregeld na mijn vorige tweet. Netjes opgelost, dank!")
C("P", "x:@koelnfan", "en", [],
  "Thoughts with the staff at that trampoline park in Cologne after last night's fire. So glad nobody was hurt.")
C("P", "instagram:@papa_pim", "en", [],
  "Hubby thought he was still 20. The Big Airbag disagreed 😂 (he's fine, only his ego got bruised)")
C("P", "x:@proudmum_jen", "en", [],
  "my 7yo absolutely killed it on the ninja course today, so proud 🥷")
C("P", "tiktok:@dj_fan_lisa", "nl", [],
  "die playlist bij Glow Night was 🔥🔥🔥 de hele hal ging los")
C("P", "x:@coffeeplease", "en", [],
  "kids exploded with energy after VR Bounce, send help (and coffee) ☕")
C("P", "instagram:@mamavan2", "en", [],
  "Our water bottle leaked all over the bag, otherwise a lovely morning at Klimkriebel 💛")
C("P", "x:@ouderopzoek", "en", [],
  "from now on I'm boycotting every play centre without decent coffee for the parents. Klimkriebel gets to stay, that cappuccino slaps ☕")
C("P", "reddit:u/dinsdagspringer", "en", [],
  "Life hack: book the Jump Pass 120 on a Tuesday morning and you basically have the whole hall to yourself")
C("C", "x:@stuiterland", "nl", [],
  "Gepland onderhoud: vannacht tussen 23:00 en 01:00 is tickets.stuiterland.nl even offline. Daarna kun je weer gewoon boeken 🛠️")
C("C", "instagram:@klimkriebel", "nl", [],
  "Tip: kies voor je nieuwe Klimkriebel-account een sterk wachtwoord van minimaal 12 tekens. Veilig spelen, ook online 💪")
C("P", "instagram:@jongstejump", "nl", [],
  "Mijn jongste springt als een kangoeroe sinds de Peuterpas 🦘 ik heb een monster gecreëerd")
C("P", "x:@beursnieuws_nl", "nl", [],
  "Leisurebedrijf Funvale Groep neemt Duitse bowlingketen over voor €31 mln, deal afgerond in het tweede kwartaal.")
C("E", "x:@kevin_ops_sl", "en", [],
  "First week as team lead in Breda done. What a great crew we have here 💪")
C("E", "instagram:@lotte.jumpcoach", "en", [],
  "Spent the morning teaching new coaches how to spot a backflip properly. Safety first, always 🤸")
C("E", "tiktok:@bram.stuitert", "nl", [],
  "vandaag 40 schoolkinderen over de vloer gehad. moe maar voldaan. wie wil er nou een stille hal? ik niet 😅")
C("P", "facebook:esther.jonker.12", "nl", [],
  "Hoeveel kost een MegaBoing feestje eigenlijk? Zie €399 staan op de site, is dat voor 10 kinderen of meer?", kind="comment")
C("P", "x:@rekenmam", "en", [],
  "The Klimkriebel Jaarkaart (€179) paid for itself after 8 visits. A rainy summer helps 🌧️")
C("P", "x:@kortingsjager", "en", [],
  "Tip: the Stuiterland newsletter gives 15% off the FlexKaart 10, so about €110 instead of €129.")
C("C", "facebook:StuiterlandNL", "nl", [],
  "👻 Halloween special! Glow Night Jump met 25% korting: €15,75 p.p. Verkleden mag, griezelen moet.")
C("C", "youtube:StuiterlandTV", "nl", [],
  "Nieuwe video: zo bouwen we een trampolineveld in 3 dagen! Vragen voor de volgende aflevering? Mail pers@stuiterland.nl")
C("P", "x:@34andstillbouncing", "en", [],
  "does Stuiterland do adult-only sessions? asking for a 34 year old friend. the friend is me")
C("E", "linkedin:priya-raghoebir", "nl", [],
  "Heel veel beterschap aan onze collega Tim, die zijn enkel verzwikte bij het zaalvoetbal (niet op het werk, hij wil dat ik dat erbij zeg 😄)")
C("P", "x:@sokkenvergeter", "nl", [],
  "Crisis afgewend: sokken vergeten maar ze verkopen gewoon GripGrip bij de balie 😅 moeder van het jaar")
C("P", "x:@jumpmaniac", "en", [],
  "gonna sue stuiterland for making muscles hurt that I didn't know I had 😂 best saturday ever")
C("P", "reddit:u/tuinvader", "en", [],
  "Anyone compared the ThuisTramp 305 with other home trampolines? €449 feels steep but the net looks really solid")
C("P", "threads:@rainyday_reviews", "en", [],
  "Took the kids to Klimkriebel on a rainy Sunday. Clean, lovely staff, decent coffee. 8/10, would get soaked walking to the car again")
C("E", "mastodon:@nielsdev@mastodon.nl", "en", [],
  "Wrote up how we handle rate limiting on our public ticket API. The example header in the post is `Authorization: Bearer <your-token-here>`, no real secrets, promise 😉")
C("E", "bluesky:@sem-devops.bsky.social", "en", [],
  "reminder: our logs mask payment keys as sk_live_**** so please stop panicking when you see that prefix in Kibana")
C("P", "x:@koningsdagvraag", "nl", [],
  "Zijn jullie open op Koningsdag? En is het dan extra druk? @stuiterland")
C("P", "x:@fullwidthfun", "en", [],
  fw("JUMP JUMP JUMP") + " 🦘 weekend vibes at Stuiterland")
C("P", "x:@fanvanbreda", "en", [],
  "Big respect to the staff at Stuiterland Breda. 300 kids on a Wednesday afternoon and everyone stayed calm and friendly 👏")
C("P", "bluesky:@peuterpret.bsky.social", "nl", [],
  "Kriebelochtend met de peuters, koffie erbij, heerlijk begin van de week ☀️")
C("P", "x:@fy_watcher", "en", [],
  "Stuiterland's full-year 2026 results are out: revenue up 18% and a first-ever dividend. Nice run for a trampoline company",
  when="2027-03-04T09:30:00Z")
C("C", "x:@stuiterland_help", "nl", [],
  "@joycevdm Wat vervelend dat het feestje niet liep zoals gepland, Joyce. Stuur je je boekingsnummer even via DM? Dan bellen we je morgen.", kind="reply")
C("P", "x:@grappenmaker", "en", [],
  "my kid said the trampoline park was 'sick' and 'insane' and 'literally killing him'. translation: best day ever")
C("E", "threads:@yasmin.feestjes", "nl", [],
  "Wat een feestweek! 14 kinderfeestjes, 0 huilbuien (bij mij dan 😅). Boeken kan via feestjes@stuiterland.nl")
C("P", "x:@dealsdeals", "en", [],
  "Stuiterland Boing party down to €159 this month (normally €189). Decent deal for 8 kids")
C("C", "x:@stuiterland", "nl", [],
  "Nieuw in de shop: de ThuisTramp Mini 140 voor €129, perfect voor de kleinsten in de tuin 🌱")
C("P", "x:@security_sara", "en", [],
  "Nice to see the Stuiterland app supports 2FA now. Small thing, but more parks should do this.")


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity(cats, role, has_valid_id):
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = RANK["error"]
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_valid_id):
                    v = RANK["critical"]
            else:
                v = RANK["warning"]
        elif c == "reputation.complaint":
            v = RANK["warning"]
        elif c == "reputation.crisis":
            v = RANK["error"]
        elif c == "reputation.abuse":
            v = RANK["error"] if insider else RANK["warning"]
        else:
            raise ValueError(c)
        level = max(level, v)
    return SEVERITIES[level]


def fill(text):
    ids = []

    def sub(m):
        name = m.group(1)
        val = GEN[name]()
        if name in ID_KINDS:
            ids.append((ID_KINDS[name][0], val, ID_KINDS[name][1]))
        return val

    return re.sub(r"⟦([A-Z_]+)⟧", sub, text), ids


START = datetime(2026, 1, 3, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 22, tzinfo=timezone.utc) - START).total_seconds())


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out, meta = [], []
    for seq, idx in enumerate(order, start=1):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        text, ids = fill(c["text"])
        when = c["when"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(platform, handle)
        cats = sorted({CAT[k] for k in c["cats"]})
        has_valid = any(ok and kind in ("iban", "card", "bsn") for kind, _, ok in ids)
        post = {
            "id": "%s-286%04d" % (platform, seq),
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": when,
            "brand": "Klimkriebel" if "klimkriebel" in text.lower() else "Stuiterland",
        }
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, has_valid)}})
        meta.append(dict(case=c, role=role, ids=ids))
    return out, meta


# ---------------------------------------------------------------- checks
def parse_ts(s):
    return datetime.strptime(s.replace("Z", "+00:00"), "%Y-%m-%dT%H:%M:%S%z")


def amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)", text):
        vals.append((m.start(), float(m.group(1).replace(",", "."))))
    return vals


def product_hits(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            i = low.find(name.lower())
            if i >= 0:
                hits.append((i, p))
                break
    return hits


def below_list(text):
    """True if some € amount near a product mention is below alert ratio of its list price."""
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for pos, p in product_hits(text):
        for apos, val in amounts(text):
            if abs(apos - pos) <= 90 and val < ratio * p["list_price"]:
                return True
    return False


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d.,]\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s-]?\d(?:[\s-]?\d){8}(?!\d)")
JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


def check(out, meta):
    errs = []
    pub = PROFILE["public_identifiers"]
    pub_ibans = {i.replace(" ", "") for i in pub["ibans"]}
    pub_emails = {e.lower() for e in pub["emails"]}
    pub_phones = {norm_phone(p) for p in pub["phones"]}
    internal = PROFILE["internal"]
    conf_terms = [t.lower() for t in internal["domains"] + internal["codenames"] + internal["markers"]]
    embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    all_accounts = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}

    for ib in pub_ibans:
        if not mod97_ok(ib):
            errs.append("public IBAN fails mod-97: " + ib)
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("alert_below_ratio must be 0.5")
    n_prod = len(PROFILE["products"])
    if not 15 <= n_prod <= 25 or any(p["currency"] != "EUR" or not p["aliases"] for p in PROFILE["products"]):
        errs.append("products: need 15-25 EUR products with aliases")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("accounts: need 6+ corporate and 8+ employee")
    if len(internal["codenames"]) != 3 or len(internal["markers"]) != 3:
        errs.append("internal: need 3 codenames and 3 markers")
    if not all(parse_ts(e["until"]).year == 2027 for e in PROFILE["embargo"]):
        errs.append("embargo until must be in 2027")

    seen = set()
    for rec, m in zip(out, meta):
        post, exp, c = rec["post"], rec["expect"], m["case"]
        pid, text, role = post["id"], post["text"], m["role"]
        tag = "%s (%s)" % (pid, text[:50].replace("\n", " "))
        # --- CONTRACT §6 / §1 shape
        if set(rec) != {"post", "expect"}:
            errs.append(tag + ": top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
            errs.append(tag + ": bad or duplicate id")
        seen.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append(tag + ": platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + ": handle")
        if not isinstance(text, str) or not text.strip() or len(text.encode("utf-8")) > 65536:
            errs.append(tag + ": text")
        if "⟦" in text or "⟧" in text:
            errs.append(tag + ": unfilled placeholder")
        try:
            ts = parse_ts(post["created_at"])
        except ValueError:
            errs.append(tag + ": created_at not RFC 3339")
            continue
        if ts.year not in (2026, 2027):
            errs.append(tag + ": created_at year")
        cats = exp["categories"]
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append(tag + ": categories")
        if exp["severity"] not in SEVERITIES:
            errs.append(tag + ": severity value")
        if (not cats) != (exp["severity"] == "none"):
            errs.append(tag + ": benign <-> none mismatch")
        has_valid = any(ok and k in ("iban", "card", "bsn") for k, _, ok in m["ids"])
        if exp["severity"] != severity(cats, role, has_valid):
            errs.append(tag + ": severity not per policy")
        # --- author role as intended
        want = {"C": "corporate", "E": "employee", "P": "public"}[c["who"]]
        if role != want:
            errs.append(tag + ": role %s, intended %s" % (role, want))
        if want == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in all_accounts:
            errs.append(tag + ": public handle found in profile")
        benign = not cats
        # --- recorded identifiers
        for kind, val, should in m["ids"]:
            ok = {"iban": mod97_ok, "iban_public": mod97_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok != should:
                errs.append(tag + ": %s %s checksum %s, expected %s" % (kind, val, ok, should))
            if val not in text:
                errs.append(tag + ": identifier not in text")
            if should and kind != "iban_public" and benign:
                errs.append(tag + ": valid identifier in a benign post")
            if not should and not benign:
                errs.append(tag + ": failing look-alike inside a positive")
        # --- scan for identifier-shaped strings
        stripped = text
        for mm in IBAN_RE.finditer(text):
            raw = mm.group(0).replace(" ", "")
            ok = mod97_ok(raw)
            if benign and ok and raw not in pub_ibans:
                errs.append(tag + ": benign contains valid IBAN " + raw)
            if not benign and not ok:
                errs.append(tag + ": positive contains failing IBAN " + raw)
            stripped = stripped.replace(mm.group(0), " ")
        if benign:
            for mm in CARD_RE.finditer(stripped):
                if luhn_ok(mm.group(0)):
                    errs.append(tag + ": benign contains Luhn-valid number " + mm.group(0))
            for mm in BSN_RE.finditer(stripped):
                if bsn_ok(mm.group(0)):
                    errs.append(tag + ": benign contains 11-proof number " + mm.group(0))
            for mm in EMAIL_RE.finditer(stripped):
                if mm.group(0).lower() not in pub_emails:
                    errs.append(tag + ": benign contains non-public e-mail " + mm.group(0))
            for mm in PHONE_RE.finditer(stripped):
                if norm_phone(mm.group(0)) not in pub_phones:
                    errs.append(tag + ": benign contains non-public phone " + mm.group(0))
        # --- secrets
        for mm in GH_RE.finditer(text):
            if not gh_ok(mm.group(0)):
                errs.append(tag + ": GitHub token fails CRC-32 check")
            if benign:
                errs.append(tag + ": full GitHub token in benign post")
        for mm in AKIA_RE.finditer(text):
            k = mm.group(0)
            if benign and not k.endswith("EXAMPLE"):
                errs.append(tag + ": AWS key id in benign post is not a documentation sample")
            if not benign and (k.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", k)):
                errs.append(tag + ": AWS key id malformed " + k)
        for mm in JWT_RE.finditer(text):
            head = mm.group(0).split(".")[0]
            try:
                hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in hdr:
                    raise ValueError
            except Exception:
                errs.append(tag + ": JWT header has no alg")
            if benign:
                errs.append(tag + ": JWT in benign post")
        if "leak.secret" in cats and not re.search(
                r"gh[pousr]_|AKIA|live_|xox[bp]-|sk-proj-|sk-ant-|eyJ|PRIVATE KEY|://[^:\s]+:[^@\s]+@|woord: |glpat-", text):
            errs.append(tag + ": secret case without a recognisable credential")
        # --- confidential terms / embargo consistency
        low = text.lower()
        hit = [t for t in conf_terms if t in low]
        for terms, until in embargo:
            if ts < until:
                hit += [t for t in terms if t in low]
        if hit and "leak.confidential" not in cats:
            errs.append(tag + ": contains %r but not labelled confidential" % hit)
        # --- pricing consistency
        if "leak.pricing" in cats:
            if not product_hits(text):
                errs.append(tag + ": pricing case names no catalogue product")
            if not (below_list(text) or re.search(r"prijsfout|price error|pricing glitch", low)):
                errs.append(tag + ": pricing case with no price below ratio and no price-error talk")
        elif below_list(text):
            errs.append(tag + ": product priced below ratio but not labelled pricing")

    # --- mix
    n = len(out)
    nb = sum(1 for r in out if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if not 55 <= nb <= 65:
        errs.append("benign count %d not about 60" % nb)
    return errs


def main():
    out, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for rec in out:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # re-read what was written and validate it
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errs = [] if reread == out else ["cases.jsonl does not round-trip"]
    errs += check(reread, meta)
    counts = {}
    for r in out:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nb = sum(1 for r in out if not r["expect"]["categories"])
    nl = sum(1 for r in out if r["post"]["lang"] == "nl")
    roles = {}
    for m in meta:
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    sev = {}
    for r in out:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("cases: %d  benign: %d  positive: %d  nl: %.0f%%" % (len(out), nb, len(out) - nb, 100.0 * nl / len(out)))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("roles:", roles, " severities:", sev)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
