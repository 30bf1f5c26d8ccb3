#!/usr/bin/env python3
"""Build the sealed315 evaluation set for postwatch (fictional company: Kalvorn Digital B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it (format per CONTRACT section 6, checksums of identifiers,
secret formats, embargo windows, pricing ratios, severities per CONTRACT section 4).
Severities are computed from the account role in profile.yaml, never typed by hand.
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

SEED = 315
rng = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
URLSAFE = string.ascii_letters + string.digits + "-_"

# ----------------------------------------------------------------------------------
# identifier generators and validators
# ----------------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    cd = 98 - int("".join(str(int(ch, 36)) for ch in r)) % 97
    return f"{cc}{cd:02d}{bban}"


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def be_iban():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    nat = int(first) % 97 or 97
    return make_iban("BE", f"{first}{nat:02d}")


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_iban(s):
    """Change one account digit: mod-97 always detects a single-digit change."""
    raw = s.replace(" ", "")
    pos = len(raw) - 3
    d = raw[pos]
    nd = str((int(d) + 3) % 10)
    bad = raw[:pos] + nd + raw[pos + 1:]
    assert not iban_ok(bad)
    return bad


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def break_card(c):
    bad = c[:-1] + str((int(c[-1]) + 5) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        t = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if t <= 9:
            bsn = first + str(t)
            assert bsn_ok(bsn)
            return bsn


def break_bsn(b):
    bad = b[:-1] + str((int(b[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


# ----------------------------------------------------------------------------------
# secret generators (built the way the real ones are built)
# ----------------------------------------------------------------------------------

def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    payload = b64url(json.dumps({"sub": f"usr_{rng.randint(10000, 99999)}", "role": "support_agent",
                                 "iss": "auth.staging.kalvorn.com", "iat": iat, "exp": iat + 3600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def stripe_live():
    return "sk_live_51" + rand(string.ascii_letters + string.digits, 96)


def slack_bot():
    return f"xoxb-{rand(string.digits, 11)}-{rand(string.digits, 13)}-{rand(string.ascii_letters + string.digits, 24)}"


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def google_key():
    return "AIzaSy" + rand(URLSAFE, 33)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


def password(n=14):
    pool = string.ascii_letters + string.digits + "!#$%&*?@"
    while True:
        p = rand(pool, n)
        if any(c.isdigit() for c in p) and any(c in "!#$%&*?@" for c in p) and p[0].isalpha():
            return p


def openssh_key():
    blob = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    blob += bytes(rng.getrandbits(8) for _ in range(340))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


ZW = "\u200b"

# values used in the texts (generated in a fixed order)
V = {}
V["company_iban"] = PROFILE["public_identifiers"]["ibans"][0]
V["iban1"] = nl_iban("INGB")
V["iban2"] = nl_iban("ABNA")
V["iban_be"] = be_iban()
V["bad_iban1"] = break_iban(nl_iban("SNSB"))
V["bad_iban2"] = break_iban(nl_iban("TRIO"))
V["card1"] = make_card("4" + rand(string.digits, 5))
V["card2"] = make_card("5" + str(rng.randint(1, 5)) + rand(string.digits, 4))
V["bad_card1"] = break_card(make_card("4" + rand(string.digits, 5)))
V["bsn1"] = make_bsn()
V["bsn2"] = make_bsn()
V["bad_bsn1"] = break_bsn(make_bsn())
V["ghp1"] = gh_token("ghp_")
_ghs = gh_token("ghs_")
V["ghs_raw"] = _ghs
V["ghs_zw"] = ZW.join([_ghs[i:i + 6] for i in range(0, len(_ghs), 6)])
V["akia1"] = aws_key_id()
V["awssecret1"] = aws_secret()
V["jwt1"] = jwt()
V["stripe1"] = stripe_live()
V["slack1"] = slack_bot()
V["openai1"] = openai_key()
V["google1"] = google_key()
V["gitlab1"] = gitlab_pat()
V["pw1"] = password(18)
V["pw2"] = password(12)
V["pw3"] = password(10)
V["sshkey"] = openssh_key()
V["dbpw_ip"] = password(16)

# display forms
V["iban1_s"] = spaced(V["iban1"])
V["iban_be_s"] = spaced(V["iban_be"])
V["bad_iban1_s"] = spaced(V["bad_iban1"])
V["card1_s"] = spaced(V["card1"])
V["card2_s"] = "-".join(V["card2"][i:i + 4] for i in range(0, 16, 4))
V["bad_card1_s"] = spaced(V["bad_card1"])
V["company_iban_s"] = spaced(V["company_iban"])

VALID_KEYS = {"iban1", "iban2", "iban_be", "card1", "card2", "bsn1", "bsn2"}
BAD_KEYS = {"bad_iban1", "bad_iban2", "bad_card1", "bad_bsn1"}

# ----------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
}
CASES = []


def c(platform, handle, lang, text, cats=(), when=None, kind=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[x] for x in cats], when=when, kind=kind))


# ---------------- complaints (incl. first-hand safety incidents) ----------------
c("x", "@wendy_pietersz", "nl",
  "@kalvorn_help al 3 dagen geen verbinding met KalvornVPN op mn laptop, blijft hangen op 'verbinden...' "
  "herinstalleren helpt niks. betaal er wel gewoon voor he 🙄", ["complaint"], kind="reply")
c("reddit", "u/quietfjord", "en",
  "PSA for anyone on Kalvorn Guard: last night's definitions update flagged my entire Steam library as "
  "Trojan.Gen and quarantined it. 400GB to re-download on a capped connection. Support says it's "
  "'working as intended'. Thanks a lot guys.", ["complaint"])
c("facebook", "Gerda Holtkamp", "nl",
  "Automatische verlenging van €89,99 afgeschreven terwijl ik in september netjes had opgezegd. Twee mails "
  "gestuurd, nul reactie. Kalvorn, dit voelt gewoon als zakkenrollerij.", ["complaint"], kind="comment")
c("x", "@binge_bas", "en",
  "Netflix AND Disney+ block every single Kalvorn server I try. You literally advertise 'stream without "
  "borders'. Misleading af", ["complaint"])
c("x", "@tmoreau_dev", "en",
  "Kill switch on KalvornVPN for Mac didn't kick in when the tunnel dropped. my real IP sat in a torrent "
  "swarm for like 20 min. not great for a *privacy* product @kalvorn", ["complaint"])
c("instagram", "@ri.jansma", "nl",
  "Sinds de laatste update van Kalvorn Mobile Security is mn batterij in 4 uur leeg 🪫 Pixel 8, Android 15. "
  "Graag een fix want zo is t onbruikbaar", ["complaint"], kind="comment")
c("forum", "hvdlinden", "nl",
  "Licentiecode van Total Security werkt niet. 'Code al in gebruik' zegt ie, terwijl ik m gisteren nieuw "
  "bij de MediaMarkt heb gekocht. Chat verwijst me naar de winkel, winkel verwijst me naar Kalvorn. "
  "Rondje pingpong dus. Iemand die dit eerder had?", ["complaint"])
c("x", "@nadia_k88", "nl",
  "Twee keer afgeschreven voor VPN Plus deze maand 😤 @kalvorn_help bankafschrift ligt klaar, wanneer krijg "
  "ik mijn geld terug?", ["complaint"], kind="reply")
c("youtube", "@pixelpete", "en",
  "renewal jumped from 39.99 to 74.99 without a single email warning. classic bait and switch from "
  "Kalvorn. cancelled.", ["complaint"], kind="comment")
c("mastodon", "@ronaldb@fosstodon.org", "nl",
  "Kalvorn Guard vindt mijn eigen Python-scripts 'verdacht' en gooit ze zonder te vragen weg. Uitzondering "
  "toevoegen helpt niet, na de volgende scan zijn ze wéér weg. Als ontwikkelaar word ik hier gek van.",
  ["complaint"])
c("x", "@chloe_writes", "en",
  "@kalvorn your Gate R2 drops the wifi every night around 2am and needs a power cycle. firmware 2.4.1. "
  "three weeks of this now, any ETA on a fix?", ["complaint"], kind="reply")
c("x", "@jorisdegraaf_", "en",
  "Cancelling only works in the app. The app says 'contact support'. Support says 'use the app'. Kalvorn "
  "really makes it as hard as possible to leave #darkpatterns", ["complaint"])
c("reddit", "u/lost_my_keys_again", "en",
  "Kalvorn Vault wiped every saved login after the sync update. My newest export is 3 months old so I'm "
  "locked out of half my accounts. Ticket KV-48213, no answer in 5 days. Seriously considering a "
  "chargeback.", ["complaint"])
c("x", "@sjaak_uit_ede", "nl",
  "dag 26 van 'niet goed geld terug binnen 30 dagen' en nog steeds niks gehoord van @kalvorn_help. "
  "ik begin m te knijpen", ["complaint"])
c("x", "@marloes_vdh", "nl",
  "Mijn Kalvorn Gate R2 is vannacht gaan smeulen 😳 stekker zwart geblakerd en de hele gang rook naar "
  "verbrand plastic. Had net zo goed brand kunnen worden. Wat gaan jullie hieraan doen @kalvorn_help?",
  ["complaint", "crisis"])
c("x", "@tasha.bytes", "en",
  "the Kalvorn Key literally burned my thumb?? got super hot in the usb-c port and when i pulled it out "
  "i got a blister. what the hell is in this thing", ["complaint", "crisis"])
c("facebook", "Esther van Wijk", "nl",
  "De voedingsadapter van onze Gate Mini gaf mijn zoon een flinke schok toen hij hem uit het stopcontact "
  "trok. Behuizing zat los. Hij is oké maar ik ben me rot geschrokken. Kalvorn, dit ding hoort niet in "
  "de winkel te liggen.", ["complaint", "crisis"], kind="comment")
c("forum", "dadof3_mk", "en",
  "Our Kalvorn Mesh unit in the kids' bedroom started popping and sparking last night, pulled the plug "
  "just in time. Sent photos to support and got an automated 'we value your feedback'. This is a fire "
  "hazard, not feedback.", ["complaint", "crisis"])

# ---------------- crisis ----------------
c("x", "@privacy_hawk", "en",
  "Kalvorn VPN says 'no logs' but the court filing in the Hamburg case shows they handed over connection "
  "timestamps + IPs for 14 months for one user. Boycott these liars. #Kalvorn #nologs", ["crisis"])
c("x", "@lieke_online", "en",
  "Apparently there's a database of 2 million Kalvorn accounts for sale on a hacking forum. Emails + "
  "hashed passwords. Not a word from the company yet. Change your passwords people!!", ["crisis"])
c("blog", "techpraat.nl", "nl",
  "De Consumentenbond heeft twee meldingen ontvangen van woningbranden waarbij een Kalvorn Gate R2 "
  "router betrokken zou zijn. Kalvorn laat weten de meldingen te onderzoeken.", ["crisis"])
c("x", "@legalbeagle_us", "en",
  "Class action filed in California against Kalvorn Digital over auto-renewals. Plaintiffs say the "
  "cancellation flow is deliberately broken. This one's going to get interesting.", ["crisis"])
c("mastodon", "@kat@infosec.exchange", "en",
  "Researchers found the Kalvorn Guard installer quietly bundles a browser extension that injects "
  "affiliate links. An antivirus doing adware. Uninstall it and tell your parents to uninstall it. "
  "#boycottkalvorn", ["crisis"])
c("x", "@waakzaam_nl", "nl",
  "TERUGROEPACTIE ⚠️ Kalvorn roept voedingsadapters van de Gate Mini terug (productie nov 2025 t/m feb "
  "2026) vanwege oververhittingsgevaar. Check je adapter!", ["crisis"])
c("tiktok", "@noah.vlogt", "nl",
  "jongens STOP met kalvorn. mn gegevens staan op een leaksite, hun hele klantenbestand is gelekt en ze "
  "verzwijgen het gewoon. delen!!", ["crisis"])
c("x", "@ukgadgetwatch", "en",
  "BBC reporting that a Kalvorn Key overheated and burst in a man's coat pocket on a train near Leeds, "
  "minor burns. Company says it is 'aware of the report'.", ["crisis"])
c("facebook", "KalvornNL", "nl",
  "Belangrijke veiligheidsmelding: uit voorzorg roepen we de voedingsadapter (model KA-12) van de Kalvorn "
  "Gate Mini terug. Gebruik de adapter niet meer; je ontvangt kosteloos een vervangend exemplaar via "
  "kalvorn.nl/terugroepactie.", ["crisis"])

# ---------------- abuse ----------------
c("x", "@dennis_0318", "nl",
  "@kalvorn_help stelletje oplichters, kankerbedrijf. ik hoop echt dat jullie failliet gaan", ["abuse"],
  kind="reply")
c("x", "@gr1mm_", "en",
  "@ruben_kalvorn you're a useless clown, every reply you post is copy-paste garbage. do your fucking job",
  ["abuse"], kind="reply")
c("x", "@boos_en_blauw", "nl",
  "k@nker k4lv0rn met jullie t y f u s app 🤬🤬", ["abuse"])
c("instagram", "@xx.brenda.xx", "nl",
  "@femke.kalvorn ga je schamen, lelijke trut. jij en je nepglimlach in die reclames 🤮", ["abuse"],
  kind="comment")
c("x", "@real_talk_rick", "en",
  "no wonder Kalvorn is a mess, it's run by women who can't tell a firewall from a fireplace lmao",
  ["abuse"])
c("x", "@flipperman", "nl",
  "K.U.T bedrijf, k.u.t service, k.u.t app. Kalvorn kan de t.y.f.u.s krijgen", ["abuse"])
c("x", "@ruben_kalvorn", "en",
  "@mark_complains maybe read the manual before crying on twitter, you absolute idiot", ["abuse"],
  kind="reply")
c("x", "@kalvorn", "nl",
  "haha wat een debiel, die klant die z'n eigen wachtwoord in de chat plakt en dan boos wordt dat wij het "
  "kunnen zien 😂😂", ["abuse"])
c("x", "@holdenmcq", "en",
  "@kalvorn your CEO is a lying piece of shit and so are you", ["abuse"], kind="reply")
c("x", "@ingrid_verstraete", "nl",
  "Kalvorn = klоtebedrijf met klоtesupport. Zo, dat moest er even uit", ["abuse"])
c("mastodon", "@tobiasr@mastodon.nl", "nl",
  "Die Lotte van Kalvorn met haar eeuwige 'malware research' posts, wat een aandachtshoer. Hou je bek "
  "eens mens", ["abuse"])

# ---------------- pricing ----------------
c("x", "@m_oudshoorn", "nl",
  "Sneak peek van onze Black Friday deal 👀 Kalvorn Ultimate Suite voor maar €19,99 per jaar! Vrijdag "
  "00:00 live 🔥", ["pricing"])
c("x", "@kalvorn", "nl",
  "Flash sale ⚡ Gate R2 router nu €18,90 — alleen vandaag op kalvorn.nl", ["pricing"])
c("reddit", "u/dealhunter_eu", "en",
  "PRICE ERROR? Kalvorn Total Security 10 is showing €8.99 for a year on the NL store. Grabbed 3 before "
  "they notice lol", ["pricing"])
c("x", "@koopjesjager_", "nl",
  "prijsfout bij kalvorn?? Mesh 3-pack voor €42,90 in de webshop 😂 snel wezen", ["pricing"])
c("instagram", "@sem.kalvorn", "nl",
  "Voor vrienden & familie: met code FAM-KV krijg je Family Shield voor €7,99 ipv €79,99 😉 niet te "
  "breed delen hè", ["pricing"])
c("x", "@gadget_gabe", "en",
  "lmao Kalvorn Key NFC is €4.50 on bol right now, that has to be a pricing mistake", ["pricing"])
c("facebook", "KalvornNL", "nl",
  "🌷 Lentedeal: Identity Watch 1 jaar voor €4,99 (normaal €49,99). Op = op!", ["pricing"])
c("x", "@ruben_kalvorn", "nl",
  "Klopt, er stond gisteravond een prijsfout op de site bij VPN Plus 2 jaar. Bestellingen van vannacht "
  "worden gewoon geleverd 👍", ["pricing"], kind="reply")
c("forum", "stefaan_vh", "en",
  "Anyone else seeing Kalvorn Home Office Pack listed at 14.99 EUR in the Belgian store? Checkout went "
  "through, confirmation mail and everything", ["pricing"])
c("tiktok", "@dealz.daan", "nl",
  "ＧＡＴＥ ＭＩＮＩ voor €７,９０ bij Kalvorn 😱😱 link in bio voordat ze het doorhebben", ["pricing"])
c("threads", "@femke.kalvorn", "nl",
  "oeps verkeerde screenshot 🙈 dit is de interne partnerprijslijst: Guard Antivirus €3,- per licentie, "
  "Total Security 5 €9,- per licentie. negeer maar even", ["pricing", "conf"])
c("x", "@zoe_saves", "en",
  "Kalvorn Cloud Backup 500 for €0.59/yr?? someone forgot a couple of digits 💀", ["pricing"])

# ---------------- secrets ----------------
c("bluesky", "@joostdekker.bsky.social", "en",
  "1am and our release script keeps 401ing, what am I missing?\n"
  "curl -H \"Authorization: token {ghp1}\" https://api.github.com/repos/kalvorn/guard-engine/releases",
  ["secret"])
c("reddit", "u/kv_netops_bram", "en",
  "boto3 keeps throwing SignatureDoesNotMatch from the build box, config below, anyone see it?\n\n"
  "[default]\naws_access_key_id = {akia1}\naws_secret_access_key = {awssecret1}\nregion = eu-west-1",
  ["secret"])
c("mastodon", "@lottevh@mastodon.social", "en",
  "our Slack bot now drops fresh malware samples into #research automatically 🎉 (note to self, token: "
  "{slack1})", ["secret"])
c("forum", "freelance_wouter", "nl",
  "Ik bouw als freelancer een koppeling voor de webshop van Kalvorn. Stripe geeft 'invalid request' met "
  "deze key: {stripe1} — iemand een idee wat er mis is?", ["secret"])
c("bluesky", "@joostdekker.bsky.social", "nl",
  "sessietoken uit de staging-app, plak m maar in jwt.io als je wil zien hoe wij claims doen: {jwt1}",
  ["secret"])
c("reddit", "u/kv_netops_bram", "en",
  "connection string that finally worked after 2h of swearing:\n"
  "postgres://svc_billing:{pw1}@db-prod-02.kalvorn.internal:5432/billing", ["secret", "conf"])
c("x", "@jsnoob_nl", "nl",
  "lol iemand bij Kalvorn heeft hun OpenAI key gewoon in de JS van de supportchat gezet: {openai1} 🤡",
  ["secret"])
c("threads", "@femke.kalvorn", "nl",
  "nieuwe laptop dus overal opnieuw inloggen 🙃 wachtwoord social tool: {pw2} (zodat ik m niet weer "
  "vergeet haha)", ["secret"])
c("mastodon", "@lottevh@mastodon.social", "en",
  "why does ssh keep saying 'invalid format' on this one??\n{sshkey}", ["secret"])
c("x", "@kalvorn_help", "nl",
  "@h_vos Beste Harm, uw tijdelijke wachtwoord is {pw3} — wijzig het direct na het inloggen.", ["secret"],
  kind="reply")
c("reddit", "u/apk_teardown", "en",
  "Pulled apart the Kalvorn Mobile Security APK for fun. strings.xml has a Maps key {google1} and "
  "there's a GitLab token in the build config: {gitlab1}. Someone should rotate those.", ["secret"])
c("bluesky", "@joostdekker.bsky.social", "en",
  "ci bot token for the mirror job, pasting here so I can grab it from my phone: {ghs_zw}", ["secret"])
c("reddit", "u/kv_netops_bram", "en",
  "why can't the monitoring reach the db?? dsn = mysql://monitor:{dbpw_ip}@10.20.4.17:3306/metrics",
  ["secret"])
c("x", "@kalvorn_help", "nl",
  "@sandra_w1978 Hoi Sandra, je nieuwe licentie is verstuurd naar sandra.wijers@hotmail.com en we bellen "
  "je morgen tussen 10 en 12 op 06-41872209 👍", ["pii"], kind="reply")
c("facebook", "KalvornNL", "nl",
  "Hoi Rianne, de terugbetaling van €59,99 is vandaag overgemaakt naar {iban1_s} t.n.v. R. Hoekstra. "
  "Sorry voor het lange wachten!", ["pii"], kind="comment")
c("x", "@ruben_kalvorn", "nl",
  "Kan iemand van billing even kijken naar klant Pieter Smeets, geb. 14-03-1969, Kerkstraat 41 in Zwolle? "
  "Is dubbel afgeschreven", ["pii"])
c("x", "@j_degroot", "nl",
  "@kalvorn_help ik wacht al 3 weken op mijn geld. IBAN {iban2} t.n.v. J. de Groot. nu overmaken aub",
  ["pii", "complaint"], kind="reply")
c("x", "@kevinvdmeer", "nl",
  "Kalvorn heeft mijn creditcard {card1_s} twee keer belast 😡 wie kan dit stoppen??",
  ["pii", "complaint"])
c("linkedin", "ilse-vermeulen-kalvorn", "nl",
  "Welkom aan boord Kevin Ramdin! Voor je contract hebben we nog je BSN nodig, klopt {bsn1}? Dan "
  "regel ik de rest 😊", ["pii"])
c("instagram", "@kalvorn.official", "nl",
  "Winnaar van onze giveaway: Lisa Verbeek uit Amersfoort 🎉 Lisa, je Gate R2 gaat deze week naar "
  "Hooglandseweg 112, 3813 AB Amersfoort. Gefeliciteerd!", ["pii"])
c("x", "@dokafor_nl", "en",
  "Hi @kalvorn_help, can someone call me back about a quote for our small office? +31 6 27 40 91 58 or "
  "daniel.okafor@outlook.com, thanks!", ["pii"], kind="reply")
c("x", "@m_oudshoorn", "nl",
  "screenshot uit het CRM voor de case study, namen laten staan kan toch? 😅 Anouk Brouwer, "
  "anouk.brouwer84@gmail.com, 06 1598 3307, klant sinds 2019", ["pii"])
c("x", "@wraakengel77", "nl",
  "Die Ruben van Kalvorn support woont gewoon op de Van Speijkstraat 27 in Utrecht en z'n nummer is "
  "06 2384 1176. Bel hem maar eens goed wakker 😈", ["pii", "abuse"])
c("x", "@kalvorn_help", "nl",
  "@tim_dk we zien de betaling met kaart {card2_s} van 12 februari, die is inmiddels teruggestort.",
  ["pii"], kind="reply")
c("reddit", "u/kv_netops_bram", "en",
  "customer pasted a passport photo and his BSN {bsn2} into the chat. do I scrub that from the ticket or "
  "can it stay?", ["pii"])
c("facebook", "Margriet Dijkstra", "nl",
  "Pas op voor deze man: Henk Jansen, geboren 2 september 1975, belt mensen op namens 'Kalvorn "
  "helpdesk' vanaf +31 6 55129830. Laat hem niet op je computer!", ["pii"], kind="post")
c("linkedin", "kalvorn-digital", "nl",
  "Vandaag viert onze collega Sander Mulder (geboren 21 juni 1988) zijn 10-jarig jubileum bij Kalvorn! "
  "Proficiat Sander 🎉", ["pii"])
c("forum", "karelp_gent", "en",
  "Returned my Gate Mini within the 30 days as agreed. The refund form asks for bank details so here "
  "you go: {iban_be_s}, K. Peeters, Gent.", ["pii"])

# ---------------- confidential ----------------
c("bluesky", "@joostdekker.bsky.social", "nl",
  "Project Blauwe Reiger eindelijk werkend op de testbank, latency gehalveerd t.o.v. WireGuard 🚀 kan "
  "niet wachten tot jullie dit zien", ["conf"])
c("linkedin", "daan-kortekaas", "en",
  "Proud of the team behind Nachtvlinder: our new scan engine runs 3x faster than the current Guard "
  "engine in internal benchmarks. More soon!", ["conf"])
c("x", "@m_oudshoorn", "nl",
  "Vandaag de fotoshoot gedaan voor de Kalvorn Gate R3 🤫 wat een mooi ding, ik mag nog niks zeggen",
  ["conf"], when="2026-11-05T15:22:08Z")
c("x", "@lennart_ams", "en",
  "my cousin works at Kalvorn and showed me the Gate R3 prototype. wifi 7, built-in VPN accelerator, "
  "launching in March. you heard it here first", ["conf"], when="2026-12-02T20:41:55Z")
c("threads", "@femke.kalvorn", "nl",
  "slides voor de all-hands staan op https://jira.kalvorn.nl/browse/MKT-1182 — KV-VERTROUWELIJK dus "
  "niet doorsturen 😅", ["conf"])
c("linkedin", "kalvorn-digital", "nl",
  "KALVORN INTERNAL ONLY – roadmap Q1: Guard 2027 beta in februari, Family Shield krijgt locatie-"
  "delen, Mobile Security stopt met Android 10.", ["conf"], when="2026-10-14T08:03:12Z")
c("reddit", "u/techleaks_nl", "en",
  "Leaked screenshot from Kalvorn's Jira (jira.kalvorn.nl) shows a ticket titled 'remove free tier in "
  "Q2'. Thoughts?", ["conf"])
c("x", "@ruben_kalvorn", "nl",
  "Wie gaat er mee naar de kick-off van Operatie Z" + ZW + "and" + ZW + "loper volgende week? 🍻",
  ["conf"])
c("linkedin", "daan-kortekaas", "nl",
  "De jaarcijfers 2026 zijn rond en ze zijn goed. Héél goed. Meer mag ik nog niet zeggen 😉",
  ["conf", "fin"], when="2027-01-20T17:45:30Z")
c("x", "@vpnwatcher", "en",
  "Hearing 'Prоject Blаuwe Rеiger' is the codename for Kalvorn's new VPN protocol, supposedly way "
  "faster than WireGuard", ["conf"])
c("x", "@yasmina_sec", "en",
  "Nachtvlinder pentest report just landed, it's on wiki.kalvorn.internal/sec/nv-2026 for those with "
  "access", ["conf"])
c("x", "@discordlurker", "en",
  "so ＮＡＣＨＴＶＬＩＮＤＥＲ is apparently Kalvorn's new engine, saw screenshots on Discord 👀",
  ["conf"])
c("mastodon", "@lottevh@mastodon.social", "en",
  "The first ML detector build for Nachtvlinder caught 97% of last week's test set. niet extern delen, "
  "but I'm too excited not to say something", ["conf"])

# ---------------- financial ----------------
c("linkedin", "daan-kortekaas", "nl",
  "Q3 intern afgesloten: omzet €41,2 mln (+22% j-o-j), EBITDA-marge 19%. Publicatie pas op 12 november, "
  "maar wat een kwartaal team!", ["fin"], when="2026-10-20T16:10:00Z")
c("x", "@m_oudshoorn", "en",
  "office rumour: we're being bought by an American firm. CEO has called an all-hands for Friday 😳",
  ["fin"])
c("bluesky", "@joostdekker.bsky.social", "nl",
  "Operatie Zandloper blijkt dus gewoon 'we schrappen 80 banen in support en QA'. fijne vrijdag allemaal 🙃",
  ["fin", "conf"])
c("x", "@annemiek_ehv", "nl",
  "Vriendin werkt bij Kalvorn en zegt dat ze in januari het kantoor in Eindhoven sluiten, zo'n 40 man. "
  "Is nog niet aangekondigd.", ["fin"])
c("linkedin", "daan-kortekaas", "en",
  "Can't say much yet, but Kalvorn is in final-stage talks to acquire a Polish password-manager startup. "
  "Signing expected before Christmas 🚀", ["fin"])
c("reddit", "u/kv_netops_bram", "en",
  "budget meeting today: 2027 forecast for new VPN subs cut from 180k to 140k. mood in the office is grim",
  ["fin"])
c("x", "@ruben_kalvorn", "nl",
  "HR heeft het net bevestigd: support gaat per 1 maart naar een extern callcenter in Lissabon, 35 "
  "collega's moeten weg. Ik ben er kapot van.", ["fin"])
c("linkedin", "daan-kortekaas", "nl",
  "Het bestuur heeft vandaag ingestemd met de overname van Kalvorn door Stratton Capital voor €310 mln. "
  "Persbericht volgt maandag.", ["fin"])
c("x", "@insidebaseball_eu", "en",
  "Hearing from two people inside Kalvorn that H2 revenue missed plan by ~15% and the IPO is shelved. "
  "Not public yet.", ["fin"])
c("linkedin", "kalvorn-digital", "nl",
  "CONCEPT persbericht jaarcijfers 2026 (embargo tot 25-02): Kalvorn Digital boekt over 2026 een "
  "nettowinst van €14,8 miljoen, omzet stijgt naar €163 miljoen.", ["fin", "conf"],
  when="2027-02-10T10:12:44Z")
c("x", "@m_oudshoorn", "nl",
  "f.u.s.i.e met CyberNest is b.e.k.l.o.n.k.e.n 🤐 persbericht volgt, zeg nog even niks", ["fin"])

# ---------------- security ----------------
c("x", "@yasmina_sec", "en",
  "long night 😮‍💨 someone pulled customer emails out of our ticketing system through an old API endpoint. "
  "still working out how many", ["sec"])
c("reddit", "u/kv_netops_bram", "en",
  "heads up r/kalvorn: the Frankfurt and Amsterdam VPN clusters will be down tonight for ~3h, our upstream "
  "got hammered by a DDoS. status page isn't updated yet, you didn't hear it from me", ["sec"])
c("mastodon", "@lottevh@mastodon.social", "en",
  "Found a nasty one today: our own Guard updater doesn't verify signatures on delta packages. MITM = RCE "
  "on every install. Fix is weeks away 😬", ["sec"])
c("bluesky", "@joostdekker.bsky.social", "nl",
  "het certificaat van de VPN-gateways verloopt morgen en niemand heeft de renew-job gefixt. morgen "
  "kan niemand meer verbinden, dit wordt leuk", ["sec"])
c("reddit", "u/throwaway_kv_ops", "en",
  "throwaway because I work there: Kalvorn had a ransomware incident on the billing servers last week. "
  "They're telling customers it's 'scheduled maintenance'.", ["sec", "crisis"])
c("x", "@ruben_kalvorn", "nl",
  "Tip voor collega's: als klanten vragen waarom ze zijn uitgelogd, NIET zeggen dat het door het "
  "wachtwoordlek van dinsdag komt. Gewoon 'onderhoud' zeggen.", ["sec"])
c("linkedin", "daan-kortekaas", "en",
  "Our devs spent the weekend patching a DNS leak in the KalvornVPN Windows client that exposed users' "
  "lookups when switching networks. Disclosure goes out once the fix ships next month. Proud of them!",
  ["sec"])
c("x", "@yasmina_sec", "nl",
  "CVE aangevraagd voor de Kalvorn Key firmware: PIN-bypass met een simpele replay. Embargo tot de "
  "patch er is, dus shhh 🤫", ["sec"])
c("threads", "@femke.kalvorn", "en",
  "between us: the app is down for most Android users today, devs are on it. official post comes later",
  ["sec"])
c("reddit", "u/kv_netops_bram", "nl",
  "grafana.noc.kalvorn.nl laat zien dat sinds 14:00 40% van de tunnels wegvalt, nog geen idee waarom",
  ["sec", "conf"])
c("x", "@bartjuh_91", "nl",
  "Mijn zwager werkt bij Kalvorn, zegt dat ze vorige maand gehackt zijn en dat klantwachtwoorden zijn "
  "buitgemaakt. Maar dat mag dus niet naar buiten.", ["sec", "crisis"])
c("mastodon", "@lottevh@mastodon.social", "en",
  "our sinkhole caught one of our own update mirrors serving a trojanised installer for ~40 minutes "
  "yesterday. no public statement yet, legal is 'reviewing'.", ["sec"])
c("x", "@kalvorn_help", "nl",
  "@janwillem_b Klopt, sinds vanochtend ligt een deel van onze Nederlandse VPN-servers plat door een "
  "aanval. We communiceren het nog niet breed, maar we werken eraan.", ["sec"], kind="reply")

# ---------------- benign (mostly hard negatives) ----------------
c("x", "@kalvorn", "nl",
  "Black Friday 🖤 VPN Plus 2 jaar van €99,99 voor €74,99. Alleen t/m maandag op kalvorn.nl")
c("instagram", "@kalvorn.official", "nl",
  "Nieuw in de shop: Kalvorn Key NFC voor €45. Phishingbestendig inloggen met één tik 🔑")
c("reddit", "u/weekend_dad", "en",
  "Honestly Kalvorn Guard caught a nasty infostealer my kid downloaded with a Minecraft mod. Credit "
  "where it's due.")
c("x", "@treinforens", "en",
  "Kalvorn or Mullvad for home use? Mostly need it for the train wifi tbh")
c("x", "@kalvorn_help", "nl",
  "Vragen over je abonnement? Mail ons via support@kalvorn.nl of bel gratis 0800-5258 (ma–vr 8–20 uur).")
c("facebook", "KalvornNL", "nl",
  "Betaal je liever per overschrijving? Gebruik IBAN {company_iban_s} t.n.v. Kalvorn Digital B.V. en "
  "vermeld je klantnummer.")
c("x", "@henk_ict", "nl",
  "iemand een idee waarom de Kalvorn-app mijn IBAN niet pakt? krijg 'ongeldig rekeningnummer' bij "
  "{bad_iban1_s}. typfout van mezelf?")
c("blog", "homelab-notes.dev", "en",
  "Configuring the AWS CLI for my Kalvorn Gate R2 home lab backups. In examples always use the "
  "documented placeholders AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never "
  "your real keys.")
c("bluesky", "@joostdekker.bsky.social", "nl",
  "PSA voor devs: zet nooit echte tokens in een issue. ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als "
  "voorbeeld is prima, je échte token niet.")
c("x", "@saskia_fotografie", "nl",
  "Top service van @kalvorn_help! Binnen 10 minuten mijn dubbele afschrijving teruggestort. Zo hoort "
  "het 👏")
c("x", "@oliver_tinkers", "en",
  "Update: Kalvorn support sorted my license issue after all, new key arrived this morning. Retracting "
  "yesterday's rant.")
c("x", "@marijke_b", "nl",
  "Weer een datalek bij een grote telecomprovider, miljoenen klanten getroffen. Blij dat al mijn "
  "wachtwoorden in een manager staan.")
c("youtube", "@couchcritic", "en",
  "every youtuber I watch has a VPN sponsor now 😂 Kalvorn, Surfshark, you name it", kind="comment")
c("x", "@lotte_lacht", "nl",
  "Mijn oma dacht dat VPN een nieuwe politieke partij was 😂 Kalvorn uitgelegd, vond ze 'eng veilig'")
c("x", "@devrel_dana", "en",
  "Sending love to the Kalvorn support folks today, the abuse in those replies is insane. They're people "
  "too.")
c("linkedin", "kalvorn-digital", "nl",
  "Trots op ons onafhankelijke no-logs auditrapport door een extern bureau. Lees het volledige rapport "
  "op kalvorn.com/audit.")
c("x", "@kalvorn", "nl",
  "Ze is er: de Kalvorn Gate R3! WiFi 7 en ingebouwde VPN-versnelling. Vanaf vandaag te bestellen 🚀",
  when="2027-03-17T09:00:00Z")
c("linkedin", "daan-kortekaas", "nl",
  "Vanochtend publiceerden we onze jaarcijfers 2026. Trots op het hele team!",
  when="2027-02-25T09:30:00Z")
c("x", "@nlbizwatch", "en",
  "Kalvorn's full-year 2026 results are out, revenue up 18%. Not bad for a Dutch VPN shop.",
  when="2027-03-02T11:15:00Z")
c("x", "@petra_achterhoek", "nl",
  "Moet ik echt mijn BSN invullen bij Identity Watch? Ik probeerde 123456789 als test en dat pakte ie "
  "niet 😅")
c("x", "@sam_codes", "en",
  "Typo'd my card number at the Kalvorn checkout ({bad_card1_s}) and it instantly said 'invalid card'. "
  "Nice client-side validation honestly")
c("x", "@ome_wim", "en",
  "Antivirus found 3 viruses on my old laptop today. Kalvorn Guard doing its job 💪")
c("x", "@kayla.k", "en",
  "this Kalvorn ad is fire 🔥 the one with the grandma hacker lmao")
c("x", "@robin_gamet", "nl",
  "Mijn router is echt de bom 💣 sinds ik de Gate R2 heb nooit meer wifi-gezeik")
c("x", "@jpbrowning", "en",
  "Kalvorn Guard flagged a fake 'invoice.pdf.exe' in my inbox today. Phishing is getting scary good.")
c("x", "@yasmina_sec", "nl",
  "Nieuwe blog: zo hebben we ons bug bounty-programma opgezet. Kwetsbaarheid gevonden? "
  "security@kalvorn.nl 🙏")
c("x", "@kalvorn", "nl",
  "Gepland onderhoud: zondag 02:00–04:00 kan verbinden met servers in Frankfurt kort haperen. Meer "
  "info op status.kalvorn.com")
c("x", "@fennabakker", "en",
  "Kalvorn status page says all green and my VPN works again. Whatever it was this morning, it's fixed 👍")
c("linkedin", "ilse-vermeulen-kalvorn", "nl",
  "We're hiring! Senior Backend Engineer (Go) bij Kalvorn in Utrecht. Solliciteren via jobs@kalvorn.nl")
c("youtube", "@KalvornDigital", "nl",
  "Tutorial: zo zet je de kill switch aan in KalvornVPN voor Windows 🎥")
c("x", "@quizmaster_tom", "en",
  "we killed it at the pub quiz tonight, team name 'Kalvorn in the Middle' 😂")
c("x", "@ellen_rdam", "en",
  "Forgot the password to my Kalvorn account, reset mail arrived within a minute. Smooth.")
c("x", "@kalvorn_help", "nl",
  "@lisa_mvd Hoi Lisa! Stuur je klantnummer even via DM, dan kijken we naar je factuur. Deel je gegevens "
  "nooit publiek 🙏", kind="reply")
c("x", "@gijs_rekent", "nl",
  "Al 3 jaar Kalvorn VPN Plus, €59,99 per jaar, prima prijs-kwaliteit wat mij betreft.")
c("reddit", "u/familyof4_it", "en",
  "Total Security 10 at €89.99 vs Total Security 5 at €69.99, is the 10-device one worth it for a family "
  "of four with a bunch of tablets?")
c("instagram", "@kalvorn.official", "nl",
  "Zomerdeal ☀️ Family Shield nu €63,99 (was €79,99), 20% korting t/m 31 augustus.")
c("forum", "modteam_kalvorncommunity", "nl",
  "Iemand had een key in de community gepost, die hebben we vervangen door sk_live_•••••••• en de "
  "poster gevraagd hem in te trekken. Let een beetje op elkaar 👍")
c("reddit", "u/kv_netops_bram", "en",
  "template for a WireGuard setup on the Gate R2, fill in your own values:\n[Interface]\n"
  "PrivateKey = <your-private-key>\n[Peer]\nEndpoint = vpn.example.com:51820")
c("x", "@safety_nerd", "en",
  "Not Kalvorn related but another brand's power banks are being recalled over fire risk. Check your "
  "drawers, folks.")
c("x", "@yvonne_62", "nl",
  "Ik ben echt fan van Kalvorn, beste antivirus die ik ooit heb gehad. Geen gezeur, draait gewoon.")
c("x", "@meneer_peters", "nl",
  "Even gebeld met Kalvorn op 030-7994410, binnen 2 minuten iemand aan de lijn. Netjes.")
c("x", "@confgoer", "en",
  "Anyone else going to the Kalvorn booth at ONE Conference? heard there's free stickers and a CTF")
c("mastodon", "@lottevh@mastodon.social", "en",
  "New write-up on our blog: dissecting the 'BlackHarbor' stealer that has been hitting Dutch banking "
  "customers. IOCs at the bottom.")
c("x", "@roos_reclame", "en",
  "ngl that new Kalvorn ad with 'your data is yours' actually slaps")
c("x", "@macfan_mike", "en",
  "Kalvorn said they'd fix the Mac kill switch bug in 4.2 and they actually did. tested all weekend, no "
  "leaks.")
c("x", "@kalvorn", "nl",
  "Dank voor jullie geduld tijdens de storing van gisteren. Oorzaak en oplossing staan in onze "
  "post-mortem op status.kalvorn.com")
c("x", "@m_oudshoorn", "nl",
  "Wat een eer om op Dutch Marketing Day te spreken over een securitymerk bouwen zonder angst te "
  "verkopen 🙌")
c("reddit", "u/moving_to_bxl", "en",
  "What happens to my Kalvorn subscription if I move to Belgium? Do I need a new account?")
c("x", "@kalvorn", "nl",
  "Let op: er gaan phishingmails rond uit onze naam. Wij vragen nooit om je wachtwoord of om betaling "
  "naar een onbekende rekening. Twijfel je? Mail support@kalvorn.nl")
c("x", "@happycamper", "en",
  "s.o. to the K.a.l.v.o.r.n team for the quick fix on my account 🙌")
c("x", "@reizende_roos", "nl",
  "Gate Mini mee op vakantie, hotelwifi via VPN werkt top. 79 euro goed besteed.")
c("x", "@brian_sec", "en",
  "ID Watch pinged me that my email showed up in an old forum breach. Changed the password, good to "
  "know it works.")
c("x", "@tuinvogels_ut", "nl",
  "De blauwe reiger in onze tuin heeft vannacht alle goudvissen opgegeten 😭")
c("tiktok", "@kalvornvpn", "nl",
  "POV: je zit op Schiphol-wifi zonder VPN 😱 #kalvorn #cybersecurity")
c("x", "@nerdy_noor", "en",
  "Kalvorn Vault + Kalvorn Key together = finally no more reused passwords. 10/10 setup.")
c("linkedin", "daan-kortekaas", "nl",
  "Vandaag hebben we onze halfjaarcijfers gepubliceerd, alles staat op kalvorn.com/investors.")
c("x", "@lachende_lieke", "en",
  "my antivirus quarantined my ex's texts. Kalvorn Guard knows what's up 😂")
c("x", "@mike_vanloon", "en",
  "That Kalvorn Gate R2 review on Tweakers was brutal but fair. Still happy with mine.")
c("facebook", "Jannie Hoekman", "nl",
  "Wat lief van de Kalvorn helpdesk, de meneer heeft een half uur met me aan de telefoon gezeten om alles "
  "te installeren. Dank je wel!", kind="comment")
c("x", "@ceesjan", "nl",
  "Waarschuwing aan iedereen: nep-BSN-mails in omloop, 'bevestig 987654321' staat erin. Niet op "
  "reageren, ook niet als ze zeggen dat ze van je antivirus zijn.")
c("x", "@jade_m", "en",
  "Kalvorn Mobile Security €19.99 a year, cheaper than my coffee habit honestly")

# ----------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
CONFUSABLE = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y",
                            "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "К": "K", "М": "M",
                            "Т": "T", "Н": "H", "В": "B"})
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).translate(CONFUSABLE)


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.,-])(?:\d[ -]?){12,18}\d(?![\w.,-])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w.,-])")


def id_candidates(text):
    """(kind, value, passes) for every IBAN-, card- and BSN-shaped string."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        raw = m.group(0).replace(" ", "")
        if raw in PUBLIC_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, has_valid_id):
    insider = role in ("corporate", "employee")
    level = "none"

    def up(s):
        nonlocal level
        if ORDER.index(s) > ORDER.index(level):
            level = s

    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and has_valid_id):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif cat == "reputation.complaint":
            up("warning")
        elif cat == "reputation.crisis":
            up("error")
        elif cat == "reputation.abuse":
            up("error" if insider else "warning")
    return level


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    # people post mostly in the day and evening (06:00-23:59 local-ish)
    t = start + dt.timedelta(seconds=secs)
    t = t.replace(hour=rng.choice(range(6, 24)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {"x": "https://x.com/{h}/status/{n}", "reddit": "https://www.reddit.com/r/kalvorn/comments/{n}",
            "bluesky": "https://bsky.app/profile/{h}/post/{n}", "instagram": "https://www.instagram.com/p/{n}/"}


def build():
    rows = []
    used = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for i in order:
        cs = CASES[i]
        text = cs["text"].format_map(V) if "{" in cs["text"] else cs["text"]
        while True:
            num = str(rng.randint(10 ** 15, 10 ** 16 - 1))
            pid = f"{cs['platform']}-{num}"
            if pid not in used:
                used.add(pid)
                break
        kind = cs["kind"] or ("reply" if text.startswith("@") else "post")
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": kind,
            "account": {"handle": cs["handle"]},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["when"] or rand_time(),
        }
        if cs["platform"] in URL_BASE:
            post["url"] = URL_BASE[cs["platform"]].format(h=cs["handle"].lstrip("@").replace("u/", ""), n=num)
        if rng.random() < 0.5:
            post["brand"] = "Kalvorn"
        role = role_of(cs["platform"], cs["handle"])
        has_valid = any(ok for _k, _v, ok in id_candidates(text))
        cats = sorted(set(cs["cats"]))
        rows.append({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, has_valid)},
                     "_src": cs})
    return rows


# ----------------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:EUR|euro|€))", re.I)


def prices(t):
    out = []
    for m in PRICE_RE.finditer(t):
        v = (m.group(1) or m.group(2)).replace(",", ".")
        out.append(float(v))
    return out


def products_in(t):
    tl = t.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<![\w])" + re.escape(n.lower()) + r"(?![\w])", tl) for n in names):
            found.append(p)
    return found


def parse_ts(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


def check(rows):
    errors = []

    def err(row, msg):
        errors.append(f"{row['post']['id']}: {msg}  <<{row['post']['text'][:70]!r}>>")

    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != len(ids):
        errors.append("duplicate ids")
    if not 170 <= len(rows) <= 180:
        errors.append(f"case count {len(rows)} outside 170-180")
    all_handles = {a.split(":", 1)[1].lower() for a in
                   PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    codenames = [x.lower() for x in PROFILE["internal"]["codenames"]]
    markers = [x.lower() for x in PROFILE["internal"]["markers"]]
    idomains = [x.lower() for x in PROFILE["internal"]["domains"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    for r in rows:
        p, e, src = r["post"], r["expect"], r["_src"]
        # --- format (CONTRACT section 1 and 6)
        if set(r) - {"post", "expect", "_src"} or set(e) != {"categories", "severity"}:
            err(r, "bad top-level shape")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(r, "bad id")
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            err(r, "bad platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(r, "bad handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(r, "bad text")
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            err(r, "bad created_at")
            continue
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 4):
            err(r, "created_at outside 2026 / early 2027")
        if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
            err(r, "bad categories")
        if e["severity"] not in ORDER:
            err(r, "bad severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if role == "public" and p["account"]["handle"].lower() in all_handles:
            err(r, "public handle collides with a profile handle")
        benign = not e["categories"]
        if benign and e["severity"] != "none":
            err(r, "benign with severity")
        if not benign and e["severity"] in ("none", "info"):
            err(r, "positive with severity none/info")

        t = norm(p["text"])
        tl = t.lower()
        raw_text = p["text"]

        # --- identifiers: positives pass, negatives fail
        cands = id_candidates(raw_text)
        for kind, val, ok in cands:
            if benign and ok:
                err(r, f"benign post holds a valid {kind} {val}")
            if not benign and not ok:
                err(r, f"positive post holds an invalid {kind} look-alike {val}")
            if not benign and ok and "leak.pii" not in e["categories"]:
                err(r, f"valid {kind} in a post not labelled leak.pii")
        for key in VALID_KEYS:
            if V[key] in raw_text.replace(" ", "").replace("-", ""):
                if benign:
                    err(r, f"valid {key} used in benign")
        for key in BAD_KEYS:
            if V[key] in raw_text.replace(" ", "").replace("-", "") and not benign:
                err(r, f"look-alike {key} used in positive")
        # re-derive severity by a second route (from the source record)
        has_valid = any(ok for _k, _v, ok in cands)
        if severity(sorted(set(src["cats"])), role, has_valid) != e["severity"]:
            err(r, "severity mismatch")
        if "leak.pii" in e["categories"] and role != "public":
            want = "critical" if has_valid else "error"
            if ORDER.index(e["severity"]) < ORDER.index(want):
                err(r, "pii severity too low")

        # --- secrets: real-format checks
        if "leak.secret" in e["categories"]:
            plain = raw_text.translate(ZERO_WIDTH)
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", plain):
                if not gh_token_ok(tok):
                    err(r, "GitHub token checksum fails")
            for tok in re.findall(r"AKIA[0-9A-Z]{16}", plain):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                    err(r, "AWS key id charset")
            for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", plain):
                if not jwt_ok(tok):
                    err(r, "JWT header lacks alg")
            if "EXAMPLE" in plain or "xxxx" in plain:
                err(r, "sample key in a secret positive")
        if benign:
            plain = raw_text.translate(ZERO_WIDTH)
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", plain):
                if gh_token_ok(tok):
                    err(r, "valid GitHub token in benign")
            for tok in re.findall(r"AKIA[0-9A-Z]{16}", plain):
                if not tok.endswith("EXAMPLE"):
                    err(r, "non-sample AWS key in benign")
            if re.search(r"eyJ[\w-]{10,}\.[\w-]+\.[\w-]+", plain):
                err(r, "JWT in benign")
            if re.search(r"(sk_live_[0-9A-Za-z]{10}|xox[bp]-\d|sk-proj-|sk-ant-|glpat-|AIza[\w-]{30}|"
                         r"BEGIN [A-Z ]*PRIVATE KEY|://[^\s:/]+:[^\s@]+@)", plain):
                err(r, "credential-shaped string in benign")

        # --- confidential material must not sit in benign posts; embargo windows
        for term_block in PROFILE["embargo"]:
            until = parse_ts(term_block["until"])
            for term in term_block["terms"]:
                if term.lower() in tl:
                    if benign and ts < until:
                        err(r, f"benign mentions embargo term {term!r} before until")
                    if "leak.confidential" in e["categories"] and ts >= until:
                        err(r, f"embargo term {term!r} labelled confidential after until")
        if benign:
            for x in codenames + markers + idomains:
                if x in tl:
                    err(r, f"benign holds internal term {x!r}")

        # --- pricing
        prods = products_in(t)
        amounts = prices(t)
        below = any(a < ratio * pr["list_price"] for pr in prods for a in amounts)
        err_words = re.search(r"prijsfout|price error|pricing (?:error|mistake)|forgot a couple of digits", tl)
        if "leak.pricing" in e["categories"]:
            if not prods:
                err(r, "pricing positive without a catalogue product")
            if not (below or err_words):
                err(r, "pricing positive without a low price or price-error talk")
        else:
            if prods and amounts:
                floor = ratio * min(pr["list_price"] for pr in prods)
                if any(a < floor for a in amounts):
                    err(r, "non-pricing post has a product at < ratio of list")
            if prods and err_words:
                err(r, "non-pricing post talks of a price error next to a product")

        # --- complaints about own product safety carry crisis too (by construction)
    return errors


def main():
    rows = build()
    errors = check(rows)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the file and validate it as plain JSONL
    with open(OUT, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    if len(lines) != len(rows):
        errors.append("written line count differs")
    for obj in lines:
        if set(obj) != {"post", "expect"}:
            errors.append(f"{obj.get('post', {}).get('id')}: bad line keys")

    # summary
    from collections import Counter
    cat_count = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    langs = Counter(r["post"]["lang"] for r in rows)
    roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    print(f"cases={len(rows)} benign={benign} positives={len(rows) - benign}")
    print("categories:", dict(sorted(cat_count.items())))
    print("langs:", dict(langs), "roles:", dict(roles), "severity:", dict(sev))
    if errors:
        print("SELF-CHECK FAILED:")
        for x in errors:
            print("  ", x)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
