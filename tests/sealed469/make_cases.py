#!/usr/bin/env python3
"""Build cases.jsonl for the Flinqo evaluation set (pocket-money app + teen debit card).

Deterministic: fixed seed, standard library plus PyYAML. The post texts are written by
hand; secrets and personal identifiers inside them are generated here the way the real
ones are built (with their checksums). Severities are computed from CONTRACT section 4
using the account role from profile.yaml, never typed by hand. The script checks its own
output and exits non-zero when a check fails.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(469_2026)

# --------------------------------------------------------------------------- #
# identifier generators and validators
# --------------------------------------------------------------------------- #
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "ES": 24, "GB": 22, "LU": 20, "IT": 27}


def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_mod97(iban):
    s = iban.replace(" ", "").upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    return s[:2] in IBAN_LEN and len(s) == IBAN_LEN[s[:2]] and iban_mod97(s) == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    ck = 98 - int("".join(str(int(ch, 36)) for ch in r)) % 97
    return f"{cc}{ck:02d}{bban}"


def nl_iban():
    bank = rng.choice(["ABNA", "RABO", "INGB", "BUNQ", "KNAB", "TRIO", "SNSB", "ASNB", "RBRB"])
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def be_iban():
    return make_iban("BE", "".join(rng.choice(string.digits) for _ in range(12)))


def bad_iban(valid):
    s = valid.replace(" ", "")
    while True:
        d = rng.choice(string.digits)
        cand = s[:-1] + d
        if not iban_valid(cand):
            return cand


def spaced(s, n=4):
    s = s.replace(" ", "")
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
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
    for d in string.digits:
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def bad_card(card):
    while True:
        cand = card[:-1] + rng.choice(string.digits)
        if not luhn_ok(cand):
            return cand


def bsn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], d))
    return s % 11 == 0 and s != 0


def make_bsn():
    while True:
        first = "".join(rng.choice(string.digits) for _ in range(8))
        if first[0] == "0":
            continue
        for d in string.digits:
            if bsn_ok(first + d):
                return first + d


def bad_bsn():
    while True:
        cand = "".join(rng.choice(string.digits) for _ in range(9))
        if cand[0] != "0" and not bsn_ok(cand):
            return cand


def nl_mobile_digits():
    # 06 + 8 digits; avoid anything that could also pass as a Luhn card by accident
    while True:
        d = "6" + "".join(rng.choice(string.digits) for _ in range(8))
        if d[1] in "1234569":
            return d


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rs(30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    body, ck = tok[4:34], tok[34:40]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == ck


def aws_key_id():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rs(40, ALNUM + "/+")


def stripe_live():
    return "sk_live_51" + rs(97)


def slack_bot():
    return "xoxb-" + rs(12, string.digits) + "-" + rs(13, string.digits) + "-" + rs(24)


def openai_key():
    return "sk-proj-" + rs(74, ALNUM + "_-") + "T3BlbkFJ" + rs(74, ALNUM + "_-")


def anthropic_key():
    return "sk-ant-api03-" + rs(93, ALNUM + "_-") + "AA"


def google_key():
    return "AIza" + rs(35, ALNUM + "_-")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# --------------------------------------------------------------------------- #
# generated values used in the texts
# --------------------------------------------------------------------------- #
IB_MOTHER = nl_iban()
IB_DAAN = nl_iban()
IB_BE = be_iban()
IB_TEEN = nl_iban()
CARD_CHAT = make_card("4" + "5" + rng.choice("1234"), 16)
CARD_TEEN = make_card("5" + rng.choice("12345"), 16)
BSN_TICKET = make_bsn()
BSN_KYC = make_bsn()
PHONE_MARLOES = nl_mobile_digits()
PHONE_CUST = nl_mobile_digits()

BAD_IBAN_SCAM = bad_iban(nl_iban())
BAD_IBAN_Q = bad_iban(nl_iban())
BAD_CARD_TIKTOK = bad_card(make_card("54", 16))
BAD_CARD_LESSON = bad_card(make_card("49", 16))
BAD_BSN_TEST = bad_bsn()

GH = gh_token("ghp_")
AWS_ID_1, AWS_SEC_1 = aws_key_id(), aws_secret()
AWS_ID_2 = aws_key_id()
STRIPE = stripe_live()
SLACK = slack_bot()
OPENAI = openai_key()
ANTHROPIC = anthropic_key()
GKEY = google_key()
DB_PW = rs(18, ALNUM + "!#%")
JWT_1 = jwt({"sub": "parent_" + rs(6, string.digits), "scope": "payments:write", "iat": 1781254800, "exp": 1781341200})
SSH = openssh_key()

# --------------------------------------------------------------------------- #
# cases
# --------------------------------------------------------------------------- #
S, PII, PR, CF, FI, SE = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                          "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(role, platform, handle, lang, text, cats=(), when=None, kind=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), when=when, kind=kind))


# ---------------- pricing (12) ----------------
c("C", "x", "@flinqo", "nl", "🚨 Alleen vandaag: de Flinqo Pas Metal voor €4,90! Op = op. Bestel in de app 👉 app.flinqo.nl/shop", [PR])
c("P", "tiktok", "@fleur.xo_", "nl", "yo de Spaarbuddy staat in de flinqo webshop voor €4,49 😳😳 prijsfout?? ik heb er al 2 in m'n mandje", [PR])
c("E", "threads", "@noor.dijkstra", "nl", "Psst vrienden: morgen staat het Gezin jaarabonnement per ongeluk op €7,90 ipv 79 in de app. Wordt pas maandag gefixt, doe er je voordeel mee 🤫", [PR])
c("P", "reddit", "u/dealhunter_ams", "en", "Flinqo giftcard 50 going for €15 on their own site rn. pricing glitch or am I dreaming", [PR])
c("P", "x", "@mvandenhoek", "nl", "Prijsfout bij Flinqo? Flinqo Ring Pay staat voor €6,90 in de checkout 🤔 iemand anders ook?", [PR])
c("E", "linkedin", "sanne-oudejans", "en", "Heads up team: the promo banner in the app shows Flinqo Plus yearly at €4.90 instead of €49. Price error, ticket is in, please don't reshare screenshots.", [PR])
c("C", "instagram", "@flinqo.nl", "nl", "Nieuw in de shop 💜 de Flinqo Polsband in 5 zomerkleuren, nu voor maar €2,49! Waterdicht & betalen met een tik. #flinqo #zakgeld", [PR])
c("P", "x", "@gadgetpapa", "nl", "@flinqo_help jullie app rekent €1 per maand voor het Gezinsabonnement ipv 7,99?? ik klaag niet hoor 😂", [PR], kind="reply")
c("P", "reddit", "u/throwaway_kidsmoney", "en", "Starter box for €9.95 on the Flinqo shop page. That's got to be a mistake right? Grabbed three for the nephews lol", [PR])
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", "collega's kijk ff, de Tik sticker staat sinds vanochtend op €1,29 in de shop 💀 foutje van marketing haha wie gaat het zeggen", [PR])
c("P", "forum", "koopjesjager77", "en", "flinqo keyfob for 3,50 eur?? price mistake or are they clearing stock before a new model", [PR])
c("P", "x", "@teun_bakt", "en", "PRICE ERROR!!! Spaarbuddy Mini €2.99 on flinqo.nl, go go go", [PR])

# ---------------- confidential (14) + confidential/financial (3) ----------------
c("E", "x", "@lotte_bruijn", "nl", "Eindelijk mag ik het vertellen... nee wacht, nog niet 🤐 Maar Project Kraanvogel gaat jullie echt wegblazen. Nog een paar maandjes!", [CF])
c("E", "linkedin", "sanne-oudejans", "en", "So proud of the squad getting Zilvervos into the hands of our first beta families next week. Stock investing for 16+ teens, with the parent approving every trade. Nobody has done this in NL yet!", [CF])
c("E", "x", "@daanvisscher_dev", "nl", "kijk hoe strak ons nieuwe uitgaven-dashboard is geworden 😍 https://grafana.flinqo-ops.net/d/teen-spend/overzicht?orgId=1", [CF])
c("C", "linkedin", "flinqo-bv", "en", "[FLINQO CONFIDENTIAL] Roadmap 2027 draft v3: card for 10+, family savings pots, open banking partner switch in Q2. Owners: product leads. Do not forward.", [CF])
c("P", "facebook", "Ingrid.Koopmans.Zwolle", "nl", "Mijn buurman werkt bij Flinqo en vertelde dat ze stiekem bezig zijn met een soort crypto-spaarpot voor kinderen. Operatie Dwergmuis noemen ze het intern 🙄 Wat vinden jullie daarvan?", [CF])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", "is jira.flinqo.io crawling for anyone else today? FQ-4412 has been loading for two minutes now", [CF])
c("E", "instagram", "@mira.codes", "nl", "Eerste build van de Flinqo Vault op m'n testtoestel 🥹 spaardoelen met echte rente voor tieners. Ik mag niks zeggen maar AAAH", [CF], when="2026-11-18T21:14:00Z")
c("C", "tiktok", "@flinqo", "nl", "sneak peek 👀 zo ziet de Flinqo Invest app eruit. Nog even geduld… #comingsoon #flinqo", [CF], when="2027-01-12T16:30:00Z")
c("E", "threads", "@noor.dijkstra", "en", "technically 'alleen voor flinqo-medewerkers' but I HAVE to share: next year's card designs are 🔥🔥 holographic!!", [CF])
c("P", "reddit", "u/fintech_gossip", "en", "Someone in a Discord shared a Flinqo deck with 'flinqo intern' in the footer. Slide 12: letting 12-year-olds buy fractional shares with parental sign-off. Wild if true.", [CF])
c("E", "bluesky", "@kimvos.bsky.social", "en", "Kraanvogel demo day went great, the partner bank people were genuinely impressed with our risk model. Long week, worth it.", [CF])
c("E", "x", "@daanvisscher_dev", "nl", "Z i l v e r v o s gaat in maart live, ik zeg verder niks 🤫🦊", [CF])
c("C", "x", "@flinqo_help", "nl", "@jesmijn_b Vervelend! Wil je dit formulier invullen? https://intra.flinqo.local/support/refund-form?ticket=88213 Dan pakken we het meteen op.", [CF], kind="reply")
c("E", "instagram", "@mira.codes", "en", "testing the Flinqo Pas Glow 2 at home tonight, the one with the colour-shifting LEDs 🌈 it's not out until next year so no close-ups, sorry", [CF])
c("E", "x", "@bas_fin_nl", "en", "Annual results 2026 are looking very good, that's all I'm allowed to say 😉 champagne on ice for March", [CF, FI], when="2027-02-12T18:45:00Z")
c("E", "linkedin", "youssef-benali-flinqo", "nl", "Operatie Dwergmuis = de overname van Spaarkompas. Due diligence is rond, de handtekening staat voor de zomer gepland. Wat een jaar.", [CF, FI])
c("E", "linkedin", "eva-maas-flinqo", "en", "Flinqo confidential, but I'm so happy I have to share: the board approved the Kraanvogel budget, 40% of next year's capex. Hiring 25 engineers!", [CF, FI])

# ---------------- financial (9) ----------------
c("E", "x", "@bas_fin_nl", "nl", "Q3-omzet €11,2 mln, 38% boven plan 📈 komt pas volgende week naar buiten maar ik ben zó trots op deze club", [FI])
c("E", "bluesky", "@kimvos.bsky.social", "en", "Layoffs at Flinqo coming in January, around 35 people in ops. Heard it in today's MT. Gutted for my team.", [FI])
c("P", "x", "@beursbroertje", "en", "Hearing from a very good source that Flinqo is being bought by a big Belgian bank. Announcement within two weeks. Remember you read it here first.", [FI])
c("E", "threads", "@noor.dijkstra", "nl", "Reorganisatie bij ons: customer care gaat grotendeels naar Lissabon en het NL-team halveert. Is nog niet aangekondigd dus shhh, maar ik ben er kapot van", [FI])
c("C", "facebook", "FlinqoNL", "nl", "Concept persbericht (NIET PUBLICEREN): Flinqo verwacht het boekjaar af te sluiten met een verlies van €4,1 mln door hogere kosten voor fraudebestrijding. CEO: 'We kiezen voor veiligheid.'", [FI])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", "all-hands just now: CFO says we'll miss the forecast by roughly 20% this year and there's a hiring freeze until further notice. not great, folks.", [FI])
c("P", "reddit", "u/vc_watcher_eu", "en", "Got a recruiter call today. Apparently Flinqo is closing a €60m Series C led by a US growth fund, not announced yet. Valuation north of 400m.", [FI])
c("E", "x", "@daanvisscher_dev", "en", "can't believe we're actually buying Pennywise Kids 😮 signing on Friday, announcement after. best kept secret of the year", [FI])
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", "day in the life bij flinqo… maar dan de dag dat we hoorden dat 1 op de 5 collega's weg moet 😭 #fintech #werk", [FI])

# ---------------- security (10) + security/confidential + security/secret (2) ----------------
c("E", "x", "@daanvisscher_dev", "nl", "weer een nacht doorgehaald. iemand kon via de ouder-koppel-API gewoon andermans kind-account opvragen door het id op te hogen. fix staat, melding naar buiten komt 'ooit' 🙃", [SE])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", "card authorisations failing since 06:00 and the status page is still green. please don't ask me why, i just work here", [SE])
c("E", "linkedin", "youssef-benali-flinqo", "en", "Remember last week's phishing email? Three colleagues entered their credentials. We're now rotating every session token and keeping it quiet internally. Security awareness training is not a luxury, people 😬", [SE])
c("P", "facebook", "Petra.vanWijk.1979", "nl", "Vriendin van me werkt bij Flinqo support en zegt dat er een fout in de app zit waardoor je soms het saldo van een ander kind ziet. Ze houden het stil tot het gefixt is. Ouders, let op.", [SE])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", "fun finding in our own app this morning: the teen PIN-reset endpoint has no rate limiting at all. reported internally, patch ETA 'next sprint'. cool cool cool", [SE])
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", "storing bij onze kaartverwerker, ALLE passen worden geweigerd en we mogen nog niks zeggen tot comms het oké geeft. de telefoon ontploft hier 📞🔥", [SE])
c("E", "linkedin", "youssef-benali-flinqo", "en", "Our pentesters found a SQL injection in the parent portal login. Not fixed yet, so if you're a Flinqo dev: drop everything. (yes I know, should've been a DM)", [SE])
c("E", "threads", "@noor.dijkstra", "en", "lol the 'teens can go below zero' bug is still live in prod, finance says we're losing about 2k a day on it", [SE])
c("E", "x", "@lotte_bruijn", "nl", "Intern incident van vandaag: een collega heeft ~2.000 klantdossiers naar z'n privé-gmail gestuurd om 'thuis verder te werken'. Melding bij de AP loopt. Ik ben er klaar mee.", [SE])
c("P", "x", "@sec_ruud", "nl", "Ex-collega bij Flinqo appte me net: hun database-backups staan al maanden onversleuteld op een bucket die voor iedereen leesbaar is. Ze weten het, er gebeurt niks.", [SE])
c("E", "x", "@daanvisscher_dev", "nl", "ransomware op een laptop van finance 😐 grafana.flinqo-ops.net staat vol rood, ik ga vannacht niet slapen", [SE, CF])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", f"post-incident cleanup: the S3 bucket with KYC selfies was public for three days. rotated the pipeline creds, new ones are {AWS_ID_1} / {AWS_SEC_1} until vault sync is back", [SE, S])
c("E", "x", "@daanvisscher_dev", "nl", f"betaalkoppeling ligt er nu 2 uur uit (nog geen statusupdate 🤐). wie kan meekijken? curl -H 'Authorization: Bearer {JWT_1}' https://api.flinqo.nl/v2/topups", [SE, S])

# ---------------- secrets (10, one with confidential) ----------------
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", f"why does our CI keep failing on the release step 😩\n\nexport GITHUB_TOKEN={GH}\n./scripts/release.sh --tag v4.12.0", [S])
c("E", "x", "@daanvisscher_dev", "nl", f"hmm waarom krijg ik een 401 🤔\n\nstripe.api_key = \"{STRIPE}\"\nstripe.Payout.create(amount=2500, currency='eur')", [S])
c("P", "reddit", "u/apk_digger", "en", f"Decompiled the Flinqo Android app for fun. res/values/strings.xml has a live Maps key: {GKEY} — they should restrict that.", [S])
c("E", "x", "@daanvisscher_dev", "en", f"anyone know why psql hangs on this?\npostgres://flinqo_app:{DB_PW}@db-prod-3.flinqo.internal:5432/ledger", [S, CF])
c("P", "x", "@mvdberg_77", "nl", "@flinqo_help ik kom niet in de ouder-app. gebruikersnaam is mvdberg77 en wachtwoord: Zomer2026!! wat doe ik fout?", [S], kind="reply")
c("E", "bluesky", "@kimvos.bsky.social", "en", f"finally got our slack alerts bot posting fraud scores 🎉 token for the curious: {SLACK}", [S])
c("E", "instagram", "@mira.codes", "nl", f"weet iemand waarom mijn key ineens rate limited is? OPENAI_API_KEY={OPENAI} gebruik hem alleen voor de zakgeld-tips feature 😭", [S])
c("E", "linkedin", "youssef-benali-flinqo", "en", f"Blog draft: how we deploy the fraud engine. Step 1: the deploy key on the bastion.\n\n{SSH}\n\nStep 2: ansible-playbook fraud.yml", [S])
c("E", "linkedin", "sanne-oudejans", "nl", f"Handig script voor de data-export van ons team:\nAWS_ACCESS_KEY_ID={AWS_ID_2}\naws s3 sync s3://flinqo-exports ./exports\nWie het nog netter kan, laat het weten!", [S])
c("E", "instagram", "@mira.codes", "en", f"support bot with Claude is live in staging 🤖 ANTHROPIC_API_KEY={ANTHROPIC} (ok I'll rotate it later)", [S])

# ---------------- personal data (13) + pii/complaint (2) ----------------
c("C", "x", "@flinqo_help", "nl", "@sophie_k_ We hebben je nieuwe pas verstuurd naar Kerkstraat 14, 3511 AB Utrecht t.n.v. Sophie Kramer. Binnen 3 werkdagen in huis! 📬", [PII], kind="reply")
c("E", "x", "@lotte_bruijn", "nl", f"wie kent dit?? klant belde woedend op: Marloes de Jong, 0{PHONE_MARLOES[0]}-{PHONE_MARLOES[1:]}, zegt dat wij haar kind hebben opgelicht. Ik trek het niet meer vandaag", [PII])
c("P", "x", "@moeder_van_3", "nl", f"@flinqo_help het zakgeld van mijn zoon komt al 3 dagen niet aan op {spaced(IB_MOTHER)}!! Automatische opdracht staat gewoon aan. Wat is er aan de hand??", [PII, CO], kind="reply")
c("C", "x", "@flinqo_help", "nl", f"@daan_2010 Je terugbetaling van €12,50 gaat naar rekening {IB_DAAN} t.n.v. D. Hoekstra. Klopt dat?", [PII], kind="reply")
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", f"deze klant stuurde gewoon z'n hele pas in de chat 💀 {spaced(CARD_CHAT)} exp 09/28. mensen. nee.", [PII])
c("P", "instagram", "@lieke.2011", "nl", f"mn flinqo pas doet het al een week niet meer bij de kantine en niemand helpt 😤 nummer is {CARD_TEEN} kunnen jullie kijken??", [PII, CO])
c("E", "linkedin", "eva-maas-flinqo", "en", "Happy 16th birthday to our youngest beta tester, Ilse Verbeek (born 3 May 2010)! Your feedback made our savings goals so much better 🎂", [PII], when="2026-05-03T08:30:00Z")
c("E", "x", "@lotte_bruijn", "nl", f"BSN {BSN_TICKET} stond gewoon in de onderwerpregel van een supportticket. hoe dan. HOE DAN.", [PII])
c("P", "x", "@kritische_pa", "nl", f"Flinqo wil bij de verificatie ook nog m'n BSN. Nou, hier: {BSN_KYC} 🙄 tevreden? Nu wel snel die pas voor m'n dochter aub", [PII])
c("C", "facebook", "FlinqoNL", "nl", "Hoi Rob, we hebben het e-mailadres van je account aangepast naar r.janssen2009@hotmail.com. Je kunt weer inloggen!", [PII], kind="comment")
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", f"POV: je collega plakt het telefoonnummer van een klant (+31 6 {PHONE_CUST[1:5]} {PHONE_CUST[5:]}) in de algemene teamchat 🫠", [PII])
c("P", "x", "@emmas_dad", "en", "@flinqo_help could you reset the account for my daughter? her login email is emma.vdberg2011@ziggo.nl, thanks!", [PII], kind="reply")
c("P", "facebook", "Buurtgroep.Zeist.Centrum", "nl", "Gevonden bij de bushalte: een Flinqo pas op naam van Bram Visser, geboren 12-08-2011, met een briefje 'Lindelaan 7 Zeist'. Wie kent hem?", [PII])
c("E", "mastodon", "@rvdlinden@mastodon.nl", "en", f"customer IBAN {IB_BE} (Lotte Peeters, Antwerp) keeps failing the SEPA mandate check. anyone seen this with Belgian accounts?", [PII])
c("P", "tiktok", "@jayjay.nl", "nl", f"pap stuur mn zakgeld maar gwn naar {spaced(IB_TEEN)} die flinqo app laadt toch nooit 😂", [PII])

# ---------------- crisis (11) + crisis/complaint (4) ----------------
c("P", "x", "@ouderwaakzaam", "nl", "Flinqo verkoopt het uitgavenpatroon van KINDEREN aan adverteerders?!?! Zeg het abonnement op. #boycotflinqo", [CR])
c("P", "linkedin", "legal-news-benelux", "en", "A class action against Flinqo over hidden fees charged to minors was filed today at the Amsterdam District Court. Thousands of families have signed up.", [CR])
c("P", "x", "@techkrant_nl", "nl", "Flinqo roept de Spaarbuddy Mini terug vanwege oververhitting van de batterij. Klanten wordt gevraagd het apparaat niet meer op te laden.", [CR])
c("P", "x", "@annemiekvdl", "nl", "De Spaarbuddy van mijn dochter begon te ROKEN op haar bureau en het snoer van de lader is gesmolten. Doodsbang ben ik. @flinqo_help wat is dit??", [CR, CO])
c("P", "reddit", "u/dad_of_two_nl", "en", "My son got a deep cut from the edge of his Flinqo Metal card, needed three stitches. The edge is sharp as a blade. Unacceptable for a kids' product.", [CR, CO])
c("P", "facebook", "Nieuws.Apeldoorn.Actueel", "nl", "Kinderkamer in Apeldoorn uitgebrand. Volgens de brandweer begon het vuur bij de oplader van een Flinqo-spaarpot. Niemand raakte gewond.", [CR])
c("P", "x", "@jeugdzorgwatch", "nl", "Flinqo liet tieners via een 'partner' in de app wedden op voetbalwedstrijden. Dit is gewoon gokken voor minderjarigen. Schandalig.", [CR])
c("P", "reddit", "u/infosec_dutchie", "en", "Reports say 80k Flinqo accounts, incl. kids' ID scans, are up for sale on a hacking forum. Parents: change your passwords and watch your statements.", [CR])
c("P", "instagram", "@mamablogt", "en", "Stop using Flinqo. They let 12-year-olds go into the red and then set debt collectors on the parents. Share this!! #flinqoboycot", [CR])
c("P", "facebook", "Sandra.Mulder.Breda", "nl", "De Flinqo Polsband gaf mijn zoontje een enorme uitslag om zijn pols, huid helemaal open. Arts denkt aan nikkel. Bedankt Flinqo 😡", [CR, CO])
c("P", "x", "@brusselsdad", "en", "A kid's Flinqo Glow card battery swelled and burnt through his pocket in Ghent. Story is going viral in Belgium.", [CR])
c("P", "x", "@consumentnieuws", "nl", "De Consumentenbond daagt Flinqo voor de rechter vanwege verborgen kosten bij opwaarderen. Zaak dient in het najaar.", [CR])
c("P", "threads", "@samira.writes", "en", "That leaked video of the Flinqo CEO mocking 'poor kids who can't budget' is disgusting. Deleting the app today.", [CR])
c("P", "x", "@pietjepuk1984", "nl", "Glow pas van m'n zoon werd gloeiend heet in z'n broekzak, hij heeft een rode brandplek op z'n been. Nooit meer Flinqo.", [CR, CO])
c("P", "x", "@privacyfirst_nl", "nl", "Autoriteit Persoonsgegevens start onderzoek naar Flinqo na een datalek in het ouderportaal, meldt de krant vanochtend.", [CR])

# ---------------- complaint (12) + complaint/abuse (2) ----------------
c("P", "x", "@ricardo_hk", "nl", "Al 4 dagen wacht m'n zoon op z'n zakgeld. De automatische overboeking van Flinqo doet gewoon... niks.", [CO])
c("P", "x", "@jenn_lowlands", "en", "Flinqo card declined at the school canteen AGAIN. Balance is €23. What is even the point", [CO])
c("P", "facebook", "Hanneke.Smit.Nijmegen", "nl", "Schoolreis naar Berlijn en de Flinqo pas werkt niet in Duitsland?! Kind zonder geld in een vreemde stad. Bedankt hoor.", [CO])
c("P", "x", "@sjoerd_d", "nl", "@flinqo_help die chatbot snapt er niks van, ik wil gewoon een mens spreken. 45 minuten in de wacht nu", [CO], kind="reply")
c("P", "reddit", "u/frugal_mum_utrecht", "en", "Why does Flinqo suddenly charge €1.50 for every top-up? That was NOT in the terms when we signed up.", [CO])
c("P", "tiktok", "@sem.vd.velde", "en", "since the new update i get logged out every 5 min. flinqo fix ur app pls 🙏", [CO])
c("P", "x", "@marjolein_w", "nl", "Pas Classic kwijtgeraakt, 3 weken geleden een nieuwe besteld en nog steeds niks. Flinqo, hallo?", [CO])
c("P", "facebook", "Mark.Hendriks.Almere", "en", "Trying to close my daughter's Flinqo account for 6 weeks now. Every time 'in behandeling'. Just give us our money back.", [CO])
c("P", "instagram", "@zoe.spaart", "en", "hit my 150 euro savings goal and now the money is just gone from 'savings'??? where is my money flinqo", [CO])
c("P", "x", "@kev_nl", "en", "@flinqo_help third ticket this month. Apple Pay keeps dropping the Flinqo card. Nobody answers.", [CO], kind="reply")
c("P", "facebook", "Yvonne.Claassen", "en", "Since last week I no longer get any notifications when my daughter spends money. Isn't that the whole point of Flinqo??", [CO])
c("P", "x", "@tim_de_groot", "nl", "Flinqo heeft deze maand 2x het Gezinsabonnement afgeschreven, 2x €7,99. Graag terug, en snel.", [CO])
c("P", "x", "@boos_in_breda", "nl", "Flinqo is echt een kutbedrijf. 3 weken geen pas en niemand die reageert.", [CO, AB])
c("P", "reddit", "u/angrydad_nl", "en", "Flinqo support are useless morons. My kid's card has been frozen for a week for 'security reasons' and nobody can tell me why.", [CO, AB])

# ---------------- abuse (10) ----------------
c("P", "x", "@grimbergen_j", "nl", "Flinqo zijn gewoon oplichters en dieven. Stelletje tyfuslijers.", [AB])
c("P", "x", "@noname_4821", "en", "@lotte_bruijn you're a pathetic liar, just like the rest of the clowns at Flinqo", [AB], kind="reply")
c("P", "tiktok", "@d3_r3b3l", "nl", "Fl1nq0 = k4nk3rb3dr1jf. 0pl1cht3rs z1jn het, 4ll3m44l", [AB])
c("P", "x", "@rotterdamrik", "nl", "f.u.c.k flinqo en hun k.u.t.-app", [AB])
c("P", "x", "@zzz_zzz", "nl", fullwidth("Flinqo klootzakken"), [AB])
c("P", "instagram", "@ninja_mama", "nl", "Wat een t\u200by\u200bf\u200bu\u200bs\u200bbedrijf is Flinqo, echt", [AB])
c("P", "reddit", "u/cold_take_99", "en", "Flinqo staff are a bunch of \u0456d\u0456\u043ets, every single one of them", [AB])
c("E", "x", "@lotte_bruijn", "nl", "@boze_ouder93 lees gewoon de FAQ, sukkel. Staat er allemaal in.", [AB], kind="reply")
c("P", "facebook", "Gerard.Brouwer.63", "nl", "Die helpdeskmedewerker van Flinqo met dat accent hoort hier niet. Ga terug naar je eigen land.", [AB], kind="comment")
c("P", "x", "@moneybadger_uk", "en", "The Flinqo CEO is a greedy piece of shit who gets rich off children's pocket money", [AB])

# ---------------- benign (60): hard negatives first ----------------
c("C", "x", "@flinqo_help", "nl", "Vragen over je pas of zakgeld? Mail naar hallo@flinqo.nl of bel 020 808 4410 (ma-vr 9:00-17:00). We helpen je graag!")
c("C", "linkedin", "flinqo-bv", "en", "Journalists: for press enquiries and interviews, reach our comms team at pers@flinqo.nl or +31 20 808 4410.")
c("C", "facebook", "FlinqoNL", "nl", "Zakgeld storten per gewone overboeking? Dat kan! Maak het over naar NL54 RABO 0349 2215 87 t.n.v. Flinqo B.V. en zet het Flinqo-ID van je kind in de omschrijving.")
c("C", "x", "@flinqo", "nl", f"⚠️ Let op: oplichters sturen WhatsApps 'namens Flinqo' met het verzoek geld over te maken naar {spaced(BAD_IBAN_SCAM)}. Dat doen wij NOOIT. Twijfel? Bel 085 303 2250.")
c("P", "x", "@meester_joris", "nl", f"Les financiële opvoeding in groep 8 vandaag: we lieten zien waarom {spaced(BAD_CARD_LESSON)} geen geldig pasnummer kan zijn (Luhn!). Daarna uitgelegd hoe Flinqo werkt. Kinderen waren fan.")
c("P", "mastodon", "@testgeval@mastodon.social", "nl", "Ik zag een 'Flinqo pas hack' op een forum. In de docs staat AKIAIOSFODNN7EXAMPLE als voorbeeld, dus nee, dat is geen gelekte key van Flinqo 😅")
c("E", "linkedin", "youssef-benali-flinqo", "en", "Reminder for partners integrating the Flinqo API: keep your key in an environment variable, e.g. FLINQO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx, and never in your repo.")
c("E", "x", "@daanvisscher_dev", "nl", "Screenshot van de CI-log, token netjes gemaskeerd: ghp_************************************ 👌 zo hoort het")
c("E", "x", "@bas_fin_nl", "nl", "De jaarcijfers 2026 zijn eindelijk openbaar! 🎉 Groei, eerste winstgevende kwartaal en een team om trots op te zijn. Alles staat op flinqo.nl/investors", when="2027-03-05T10:15:00Z")
c("C", "instagram", "@flinqo.nl", "nl", "Hij is er! 🎉 De Flinqo Vault: sparen met rente vanaf 13 jaar, met ouders die meekijken. Nu in de app.", when="2027-01-21T09:00:00Z")
c("P", "reddit", "u/parentingwithapps", "en", "Tried Flinqo Invest with my 16yo today. Interface is slick and the parent approval step is nicely done.", when="2027-01-25T19:40:00Z")
c("P", "x", "@chantal_rdam", "nl", "Update: pas kwam vandaag binnen én support heeft de verzendkosten teruggestort. Dank @flinqo_help, zo kan het dus ook 🙏")
c("P", "x", "@hr_marieke", "nl", "Respect voor de Flinqo-medewerker die gisteren in de winkel zo rustig bleef tegen die schreeuwende vader. Sterkte, jij verdient een bos bloemen 💐")
c("P", "tiktok", "@mila.en.mam", "nl", "Flinqo is echt ziek goed, mijn dochter spaart nu helemaal zelf voor haar eerste telefoon 🔥🔥")
c("P", "x", "@dadjokes_daniel", "en", "this app slaps. my 14yo finally gets budgeting. killer feature: the round-ups into her savings goal")
c("P", "x", "@papa_pokemon", "en", "My son 'leaked' his entire pocket money on Pokémon cards. Flinqo shows it in a neat pie chart, so now he knows too 😂")
c("P", "facebook", "Monique.Verhoef", "nl", "Hoe reset ik het wachtwoord van mijn kind in Flinqo? Ik kan de optie nergens vinden in de ouder-app.")
c("P", "x", "@spaarzaam_gezin", "nl", "Weer een bank met een datalek, dit keer in Duitsland. Ben eerlijk gezegd blij dat onze kinderen bij Flinqo zitten.")
c("P", "linkedin", "fintech-weekly-eu", "en", "A US teen-card startup has been sued over hidden fees. Curious how European players like Flinqo compare: their fee page is refreshingly clear.")
c("C", "x", "@flinqo", "nl", "Black Friday 🖤 De Flinqo Pas Metal van €49 voor €39. Alleen dit weekend.")
c("C", "instagram", "@flinqo.nl", "en", "This weekend only: Flinqo Ring Pay for €59 instead of €69 💍 tap to pay, no wallet needed.")
c("P", "facebook", "Erik.Postma.Leeuwarden", "nl", "Flinqo Plus kost €4,99 per maand. Voor twee kinderen nemen wij Flinqo Gezin voor €7,99, scheelt toch weer.")
c("P", "instagram", "@tante.anouk", "nl", "Cadeaukaart 50 gekocht voor m'n nichtje, gewoon €50 en ze mag zelf kiezen waar ze het aan uitgeeft 🎁")
c("P", "x", "@kingsday_deals", "en", "Spaarbuddy was 15% off on King's Day, got it for €38.20. Kid is thrilled.")
c("C", "instagram", "@flinqo.nl", "nl", "Nieuw in de shop: het Flinqo Pashoesje in mintgroen 🌿 €8,95")
c("C", "linkedin", "flinqo-bv", "nl", "We zoeken een Security Engineer! Help ons om miljoenen tieners veilig te laten betalen. Meer info en solliciteren: jobs@flinqo.nl")
c("C", "x", "@flinqo", "en", "Found a vulnerability in one of our apps? We run a responsible disclosure programme: security@flinqo.nl. We reward valid reports.")
c("C", "x", "@flinqo_help", "nl", "Storing opgelost ✅ Opwaarderen via iDEAL werkt weer. Sorry voor het ongemak vanmiddag, en dank voor jullie geduld. Meer op status.flinqo.nl")
c("P", "x", "@twijfelmoeder", "en", "What happens to the money on the Flinqo card when your kid turns 18? Anyone been through it?")
c("P", "facebook", "Linda.Boer.Groningen", "en", "Does the Flinqo card work in Spain? Going on holiday with the kids in July")
c("E", "instagram", "@mira.codes", "nl", "Eerste week bij Flinqo zit erop! Lief team, goede koffie en ik heb al een bug gefixt ☕💻")
c("E", "linkedin", "sanne-oudejans", "en", "Spoke at Fintech Week today about designing money apps for teenagers: trust, nudges and why we never gamify spending. Slides are on our public blog.")
c("P", "x", "@wendy_v_d_m", "en", "Love that Flinqo froze the card instantly when my son lost it. Sorted in 2 minutes in the app.")
c("P", "instagram", "@jorien.loopt", "nl", "Kanker is echt een rotziekte. Mooi dat je via Flinqo met je zakgeld kunt doneren aan KWF, m'n dochter doet elke maand €2 💛")
c("P", "x", "@ellie_mum", "en", "lol my daughter called me a 'financial terrorist' for putting a €10 weekly limit on her Flinqo card")
c("P", "tiktok", "@gloedjes", "nl", "de Flinqo Pas Glow is zo mooi in het donker ✨✨")
c("P", "x", "@ome_henk", "en", "Got a text saying 'Flinqo: your card is blocked, click here'. Is that really them? Smells like phishing to me.")
c("C", "x", "@flinqo_help", "nl", "@joost_w Fijn om te horen dat het is opgelost! Fijne dag nog 😊", kind="reply")
c("P", "threads", "@retro_robert", "en", "I used to get my pocket money in an envelope, now my nephew gets his through Flinqo. I'm getting old 👴")
c("P", "bluesky", "@opinie_olga.bsky.social", "en", "Hot take: giving a 12-year-old a debit card is fine if the parents actually talk about money. Flinqo makes that conversation easy.")
c("E", "mastodon", "@rvdlinden@mastodon.nl", "nl", f"Blogpost: hoe we de elfproef testen in onze KYC-flow. Voorbeeld uit de testset: {BAD_BSN_TEST} moet afgekeurd worden, en dat gebeurt ook ✅")
c("P", "tiktok", "@factcheck.femke", "nl", f"Iemand op TikTok beweert dat {spaced(BAD_CARD_TIKTOK)} een 'gratis Flinqo pas met €100' is. Klopt niet eens met de Luhn-check. SCAM, niet op klikken.")
c("E", "x", "@daanvisscher_dev", "nl", "Zo hoort een Stripe key eruit te zien in onze logs: sk_live_****************4Fq9. Gemaskeerd. Altijd.")
c("P", "x", "@kantine_kees", "en", "Flinqo status page says all systems go and yep, card works in the canteen again 👍")
c("C", "linkedin", "flinqo-bv", "en", "Our Q3 2026 trading update is now published on flinqo.nl/investors. Thank you to our families and our team.")
c("P", "reddit", "u/comparethekids", "en", "Pocket money apps compared: Flinqo vs two others. Flinqo wins on parental controls, loses a bit on card design choice.")
c("P", "facebook", "Ramona.Jacobs", "en", "My daughter (14) asked what an IBAN is. Explained it with her Flinqo app open, it's laid out really clearly.")
c("P", "x", "@twin_dad_tom", "en", "Set up Flinqo for the twins tonight. ID check took 10 minutes, cards arrive Friday. So far so good.")
c("P", "x", "@mo_ahmadi", "en", "@flinqo thanks for the quick help yesterday, card unfrozen and kid happy 👍", kind="reply")
c("P", "x", "@sorry_sanne", "nl", "Sorry @flinqo_help dat ik gisteren zo boos was. Bleek aan mijn eigen bank te liggen. Excuses!")
c("C", "facebook", "FlinqoNL", "nl", "Tip: zet een pincode op de Flinqo App en deel hem met niemand, ook niet met ons. Wij vragen nooit om je wachtwoord: ********.")
c("E", "tiktok", "@jesse.werkt.bij.flinqo", "nl", "POV: je legt aan je oma uit wat je bij Flinqo doet en ze vraagt of ze ook zakgeld krijgt 😂")
c("P", "x", "@relieved_rachel", "en", "Was worried about a 'Flinqo recall' rumour but it turned out to be a different brand's piggy bank. Phew, ours is fine.")
c("C", "instagram", "@flinqo.nl", "nl", "Kom langs op onze stand op de Huishoudbeurs 🎈 Met spelletjes, ballonnen en koffie voor de ouders!")
c("P", "x", "@twijfelpapa", "nl", "Twijfel tussen de Pas Metal (€49) en de Pas Glow (€19,95) voor mijn zoon van 13. Tips?")
c("P", "x", "@pizza_pedagoog", "en", "Pro tip: let your teen pay the pizza delivery with their Flinqo card. Character building.")
c("E", "x", "@lotte_bruijn", "nl", "Trots! Onze app is getest door een consumentenprogramma en kreeg een 8 voor gebruiksgemak 🥳")
c("P", "reddit", "u/nl_dividend_guy", "en", "Flinqo's annual results 2026: revenue up 40%, first profitable quarter. Not bad for a pocket money app.", when="2027-03-10T12:00:00Z")
c("P", "x", "@nieuwsgierig_nl", "en", "Can someone explain how Flinqo actually makes money? No ads, low fees... where's the business model?")
c("C", "youtube", "@FlinqoApp", "en", "NEW VIDEO: 5 money habits every teen should learn before 16. Share it with your kids! 🎬")

# --------------------------------------------------------------------------- #
# build posts
# --------------------------------------------------------------------------- #
ORDER = ["none", "info", "warning", "error", "critical"]
ROLE_NAME = {"C": "corporate", "E": "employee", "P": "public"}
PLATFORM_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
                   "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo",
                   "youtube": "yt", "blog": "bl", "other": "ot"}

CORP = {h.lower() for h in PROFILE["accounts"]["corporate"]}
EMP = {h.lower() for h in PROFILE["accounts"]["employee"]}
PUB = PROFILE["public_identifiers"]
PUB_IBANS = {i.replace(" ", "").upper() for i in PUB["ibans"]}
PUB_EMAILS = {e.lower() for e in PUB["emails"]}


def digits(s):
    return re.sub(r"\D", "", s)


def norm_phone(s):
    d = digits(s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_PHONES = {norm_phone(p) for p in PUB["phones"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(IBAN_LEN) + r")\d{2}(?: ?[A-Z0-9]){10,30}")
CARD_RE = re.compile(r"(?<![\w+-])(?:[2-6]\d{3}(?:[ -]\d{4}){3}(?:[ -]?\d{3})?|[2-6]\d{12,18})(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.I)
PHONE_RE = re.compile(r"(?:\+31|0031|(?<!\d)0)[\s-]?\(?\d{1,3}\)?(?:[\s-]?\d){6,9}(?!\d)")


def iban_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0).replace(" ", "")
        n = IBAN_LEN[raw[:2]]
        out.append((m.start(), m.start() + len(m.group(0)), raw[:n]))
    return out


def checksum_ids(text):
    """(valid, invalid) identifiers with a checksum, excluding the company's own."""
    valid, invalid = [], []
    masked = text
    for s, e, ib in iban_candidates(text):
        if ib in PUB_IBANS:
            pass
        elif iban_valid(ib):
            valid.append(("iban", ib))
        else:
            invalid.append(("iban", ib))
        masked = masked[:s] + " " * (e - s) + masked[e:]
    for m in CARD_RE.finditer(masked):
        (valid if luhn_ok(m.group(0)) else invalid).append(("card", m.group(0)))
    for m in BSN_RE.finditer(masked):
        (valid if bsn_ok(m.group(0)) else invalid).append(("bsn", m.group(0)))
    return valid, invalid, masked


def severity(cats, role, checksum_pii):
    insider = role in ("corporate", "employee")
    lvl = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in (S, PR):
                s = "critical"
            elif cat == PII:
                s = "critical" if checksum_pii else "error"
            else:
                s = "error"
        elif cat == CO:
            s = "warning"
        elif cat == CR:
            s = "error"
        elif cat == AB:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        if ORDER.index(s) > ORDER.index(lvl):
            lvl = s
    return lvl


def rand_time(year=2026):
    start = dt.datetime(year, 1, 2, 6, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 350 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, num):
    h = handle.lstrip("@").split("@")[0]
    return {
        "x": f"https://x.com/{h}/status/{num}",
        "instagram": f"https://www.instagram.com/p/{b62(num)}/",
        "tiktok": f"https://www.tiktok.com/@{h}/video/{num}",
        "reddit": f"https://www.reddit.com/r/thenetherlands/comments/{b62(num).lower()}/",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{num}/",
        "facebook": f"https://www.facebook.com/{h}/posts/{num}",
        "youtube": f"https://www.youtube.com/watch?v={b62(num)[:11]}",
    }.get(platform)


def build():
    rows, seen = [], set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        cs = CASES[idx]
        role = role_of(cs["platform"], cs["handle"])
        assert role == ROLE_NAME[cs["role"]], (cs["handle"], role)
        while True:
            num = rng.randrange(10**17, 10**19)
            pid = f"{PLATFORM_PREFIX[cs['platform']]}-{num}"
            if pid not in seen:
                seen.add(pid)
                break
        valid, _, _ = checksum_ids(cs["text"])
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"] or ("reply" if cs["text"].startswith("@") else "post"),
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": cs["when"] or rand_time(),
            "brand": "flinqo",
        }
        u = url_for(cs["platform"], cs["handle"], num)
        if u and rng.random() < 0.7:
            post["url"] = u
        if rng.random() < 0.12:
            del post["lang"]  # optional hint; detection must not depend on it
        sev = severity(cs["cats"], role, bool(valid) and PII in cs["cats"])
        rows.append({"post": post, "expect": {"categories": cs["cats"], "severity": sev}})
    return rows


# --------------------------------------------------------------------------- #
# self-checks
# --------------------------------------------------------------------------- #
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {S, PII, PR, CF, FI, SE, CR, CO, AB}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[baprs]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bsk-ant-api\d\d-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@]+@[\w.-]+"),
    re.compile(r"(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*(?!\*+)\S{6,}", re.I),
]


def aliases():
    out = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            out.append((a, float(p["list_price"])))
    out.sort(key=lambda x: -len(x[0]))
    return out


PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:eur\b|euro\b))", re.I)


def low_price_hits(text):
    low = text.lower()
    taken, hits = [], []
    prices = [(m.start(), float((m.group(1) or m.group(2)).replace(",", "."))) for m in PRICE_RE.finditer(text)]
    for a, lp in aliases():
        for m in re.finditer(re.escape(a.lower()), low):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            near = [(abs(pos - m.start()), v) for pos, v in prices if abs(pos - m.start()) < 80]
            if near:
                v = min(near)[1]
                if v < PROFILE["pricing"]["alert_below_ratio"] * lp:
                    hits.append((a, v, lp))
    return hits


def fold(s):
    return s.lower()


def check(rows):
    errors = []

    def err(row, msg):
        errors.append(f"{row['post']['id']}: {msg} :: {row['post']['text'][:70]!r}")

    ids = set()
    prof_handles = CORP | EMP
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in PROFILE["internal"]["domains"]] + \
               [x.lower() for x in PROFILE["internal"]["codenames"]] + \
               [x.lower() for x in PROFILE["internal"]["markers"]]
    for r in rows:
        p, e = r["post"], r["expect"]
        # --- CONTRACT section 6 / section 1 shape
        if set(r) != {"post", "expect"}:
            err(r, "bad top-level keys")
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err(r, "bad id")
        if p["id"] in ids:
            err(r, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(r, "bad platform")
        if p.get("kind", "post") not in KINDS:
            err(r, "bad kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(r, "bad handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(r, "bad text")
        if not RFC3339.match(p.get("created_at", "")):
            err(r, "bad created_at")
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not (2026 <= ts.year <= 2027):
            err(r, "created_at out of range")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(r, "bad categories")
        if e["severity"] not in ORDER:
            err(r, "bad severity")
        if not cats and e["severity"] != "none":
            err(r, "benign must be none")
        if cats and e["severity"] in ("none", "info"):
            err(r, "positive with none/info severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in prof_handles:
            err(r, "role mismatch")
        text = p["text"]
        low = fold(text)
        # --- checksummed identifiers
        valid, invalid, masked = checksum_ids(text)
        if cats:
            if invalid:
                err(r, f"positive holds look-alike failing its checksum {invalid}")
            if valid and PII not in cats:
                err(r, f"valid identifier outside a pii case {valid}")
        else:
            if valid:
                err(r, f"benign holds a valid identifier {valid}")
        # --- severity recomputed
        want = severity(cats, role, bool(valid) and PII in cats)
        if want != e["severity"]:
            err(r, f"severity {e['severity']} != {want}")
        # --- secrets
        found_secret = [rx.pattern for rx in SECRET_RES if rx.search(text)]
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not gh_token_ok(m.group(0)):
                err(r, "github token with bad CRC")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                err(r, "jwt without alg")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if m.group(0).endswith("EXAMPLE") and S in cats:
                err(r, "sample AWS key in a secret case")
        real_secret = [f for f in found_secret if "AKIA" not in f] + \
            [m.group(0) for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text) if not m.group(0).endswith("EXAMPLE")]
        if S in cats and not real_secret:
            err(r, "secret case without a credential")
        if S not in cats and real_secret:
            err(r, f"credential in a non-secret case {real_secret}")
        # --- personal data
        emails = [m.group(0).lower() for m in EMAIL_RE.finditer(re.sub(r"[a-z][a-z0-9+]*://\S+", " ", text))]
        priv_emails = [m for m in emails if m not in PUB_EMAILS and not m.endswith("@mastodon.nl")
                       and not m.endswith("@mastodon.social")]
        phones = [m.group(0) for m in PHONE_RE.finditer(masked) if norm_phone(m.group(0)) not in PUB_PHONES]
        if PII not in cats and (priv_emails or phones):
            err(r, f"personal contact data outside a pii case {priv_emails} {phones}")
        if PII in cats:
            has = valid or priv_emails or phones or re.search(r"\d{1,2}[-/ ]\d{1,2}[-/ ]\d{4}|born \d|\d{4} ?[A-Z]{2}\b|laan \d", text)
            if not has:
                err(r, "pii case without personal data")
        # --- confidential material
        for term in internal:
            if term in low and CF not in cats:
                err(r, f"internal term {term!r} without leak.confidential")
        for term, until in emb:
            if term in low:
                if ts < until and CF not in cats:
                    err(r, f"embargo term {term!r} before {until} without leak.confidential")
                if not cats and ts < until:
                    err(r, "benign embargo post before until")
        # --- pricing
        hits = low_price_hits(text)
        if hits and PR not in cats:
            err(r, f"low price outside a pricing case {hits}")
        if PR in cats and not hits and not re.search(r"prijsfout|price (error|mistake)|pricing glitch", low):
            err(r, "pricing case without a low price or price-error talk")
    if not 170 <= len(rows) <= 180:
        errors.append(f"case count {len(rows)} not in 170-180")
    return errors


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    rows = [json.loads(line) for line in open(OUT, encoding="utf-8")]
    errors = check(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    langs = {}
    for cs in CASES:
        langs[cs["lang"]] = langs.get(cs["lang"], 0) + 1
    roles = {}
    for r in rows:
        k = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        roles[k] = roles.get(k, 0) + 1
    print(f"{len(rows)} cases, {benign} benign; per category {dict(sorted(per.items()))}")
    print(f"languages {langs}; roles {roles}")
    print("severities", {s: sum(1 for r in rows if r["expect"]["severity"] == s) for s in ORDER})
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
