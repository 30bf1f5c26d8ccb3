#!/usr/bin/env python3
"""Deterministic generator for the sealed28 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Tulpfolio B.V." (profile.yaml), a fictional Dutch consumer app for share and
ETF trading, a crypto wallet, savings, KYC onboarding, chat support and per-trade fees.

Every post text is hand-written below (CASES). Identifiers and secrets come from
placeholders like <<IBAN_NL>> drawn from one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid IBANs / cards / BSNs; hard negatives get
numbers that fail their checksum. All secrets are random and fake, shaped like the
real formats. Severity is computed from CONTRACT section 4 (never typed by hand), with
the account role looked up in profile.yaml by platform:handle (case-insensitive).
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

SEED = 28_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o
CYR_E = "\u0435"   # Cyrillic small ie (looks like e)
CYR_A = "\u0430"   # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_build(cc, bban):
    n = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(x) for x in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, v in enumerate(d):
        if i % 2:
            v *= 2
            v = v - 9 if v > 9 else v
        tot += v
    return bool(d) and tot % 10 == 0


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SEED_WORDS = ("abandon ability absorb access accident acid across actor adapt advice agent airport alarm album "
              "alert alien alpha anchor ancient angle animal ankle annual antenna apple april arctic arena "
              "armor arrow artist asset athlete atom auction august auto autumn avocado awake axis ocean "
              "tiger guitar planet river garden orange puzzle rocket silver winter lemon zebra youth zone").split()
PASSPORT_LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # Dutch document numbers never use O


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            v = iban_build("NL", self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                           + self.d(10, True))
        elif cc == "DE":
            v = iban_build("DE", self.r.choice(["50070010", "10010010", "60050101", "76010085"]) + self.d(10))
        elif cc == "BE":
            first = self.r.choice(["310", "063", "143", "651"]) + self.d(7)
            v = iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")
        elif cc == "GB":
            v = iban_build("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.d(14))
        else:
            raise ValueError(cc)
        assert iban_valid(v)
        return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": lambda: "4" + self.d(14),
                  "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                  "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                  "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_valid(prefix + x):
                return prefix + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        out = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(out)
        return out

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def passport(self):
        return self.c(PASSPORT_LETTERS, 2) + self.c(PASSPORT_LETTERS + string.digits, 6) + self.d(1)

    # phones
    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)   # 8 digits after the 06
        area = self.r.choice(["10", "30", "40", "50", "70", "72", "15", "35", "43", "53", "76"])
        sub = self.r.choice("2345678") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intlc": f"+316{m}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(AN + "-_", 20)

    def npm(self):
        return "npm_" + self.c(AN, 36)

    def mollie(self):
        return "live_" + self.c(AN, 30)

    def stripe(self):
        return "sk_live_51" + self.c(AN, 22) + self.c(AN, 40)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def slack_bot(self):
        return f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 10)}/B{self.c(up, 10)}/{self.c(AN, 24)}"

    def gapi(self):
        return "AIza" + self.c(B64U, 35)

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "tf-" + self.d(4)}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = enc(json.dumps({"sub": "usr_" + self.c(string.ascii_lowercase + string.digits, 12),
                               "iss": "https://app.tulpfolio.nl", "scope": "trade wallet:read",
                               "iat": iat, "exp": iat + 900}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.c(B64U, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!*-_.~") + self.c(AN, 4))

    def seed12(self):
        return " ".join(self.r.sample(SEED_WORDS, 12))

    def hx(self, n):
        return self.c("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            brand, _, cf = f.partition("_")
            raw = g.card(brand)
            shown = g.card_fmt(raw, cf or "sp")
        elif k == "BADCARD":
            brand, _, cf = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "PASSPORT":
            raw = shown = g.passport()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.d(int(f), True)
        elif k == "HEX":
            raw = shown = g.hx(int(f))
        elif k == "GLPAT_ZW":
            raw = g.glpat()
            shown = raw[:14] + ZW + raw[14:]
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "NPM": g.npm, "MOLLIE": g.mollie, "STRIPE": g.stripe,
                  "SENDGRID": g.sendgrid, "SLACK_BOT": g.slack_bot, "SLACK_HOOK": g.slack_hook, "GAPI": g.gapi,
                  "JWT": g.jwt, "PEM_EC": g.pem_ec, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "PW": g.pw, "SEED12": g.seed12}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
TF_X = ("x", "@tulpfolio", "Tulpfolio")
TF_HELP = ("x", "@tulpfolio_help", "Tulpfolio Support")
TF_IG = ("instagram", "@tulpfolio.app", "Tulpfolio")
TF_LI = ("linkedin", "tulpfolio", "Tulpfolio B.V.")
TF_TT = ("tiktok", "@tulpfolio", "Tulpfolio")
TF_RD = ("reddit", "u/Tulpfolio_Team", "Tulpfolio")
# employees
NV = ("x", "@noor_devops", "Noor Visser")                    # platform engineer
DM = ("linkedin", "daan-mulder-tf", "Daan Mulder")            # finance / investor relations
LH = ("x", "@lisa_kyc", "Lisa Hendriks")                      # KYC analyst
MY = ("linkedin", "mehmet-yilmaz-dev", "Mehmet Yılmaz")       # backend developer
ES = ("instagram", "@evi.supportlife", "Evi Schouten")        # chat support
SJ = ("reddit", "u/sjoerd_codes", "sjoerd_codes")             # mobile developer
RD = ("mastodon", "@rdekker@mastodon.nl", "Ruben Dekker")     # security engineer
BK = ("x", "@bas_compliance", "Bas Kramer")                   # compliance officer
IB = ("threads", "@ilse.growth", "Ilse Brouwer")              # growth marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", IB, "Ehm. Wie heeft de nieuwe campagne-banner goedgekeurd? Het Pro-abonnement staat al 20 min live voor "
     "€14,90 per jaar ipv €149 😬 zit erbovenop, niet delen aub", [PRICING])
case("en", pub("reddit", "u/satoshi_van_sloten"), "TulpKey hardware wallet listed at €12.90 in the Tulpfolio shop?? "
     "thats gotta be a price error. ordered 3, lets see if they actually ship 🤡", [PRICING], kind="post")
case("nl", pub("x", "@kees_belegt"), "Tulpfolio Plus jaarabonnement voor €5,90 😂😂 komma vergeten daar op kantoor? "
     "#prijsfout #tulpfolio", [PRICING])
case("en", NV, "to whoever merged the pricing config on friday: Metal Card is showing €0.89 in prod. rollback is "
     "running on pricing-svc.tfo.internal, pls dont screenshot 🙃", [PRICING, CONF])
case("nl", TF_IG, "🌷 Koningsdag deal 🌷\nDe TulpKey hardware wallet vandaag voor maar €39!\nOp = op, via de shop "
     "in de app 🧡 #selfcustody #crypto", [PRICING], when="2026-04-27T09:15:00+02:00")
case("nl", pub("forum", "Henk_uit_Hengelo"), "[Prijsfout?] Academy Masterclass voor €24,90\n\nNormaal 249 euro. "
     "Betaald met iDEAL, bevestigingsmail binnen. Denk niet dat ze het honoreren maar je weet nooit...",
     [PRICING])
case("en", pub("threads", "@dipbuyer.jules"), "TulpKey Max for €21.90 on tulpfolio rn 🏃💨\np r i c e   e r r o r, "
     "go go go", [PRICING], tags=["evasion:spaced"])
case("nl", pub("x", "@mo_invest"), f"Tulpf{CYR_O}lio Pro v{CYR_O}or €7,45 per jaar?!? iemand zit te slapen bij "
     "die club 😭😭", [PRICING], tags=["evasion:homoglyph"])
case("en", SJ, "Can confirm from the inside, Tulpfolio Pro briefly rendered at €1.49/yr for part of the Android "
     "users because of a currency rounding bug. Fix is rolling out, orders will be reviewed case by case.",
     [PRICING], kind="comment")
case("nl", ES, "Chatjes ontploffen vandaag 😵‍💫 iedereen vraagt of de TulpKey echt €12,90 kost. Nee lieverds, "
     "dat is een prijsfout en het wordt gefixt 🙏", [PRICING])
case("nl", pub("facebook", "ria.vandijk.73", "Ria van Dijk"), "Is dit een grap? De Metal Card voor 8,90 in de app "
     "terwijl die normaal 89 kost. Wie heeft er nog meer besteld?", [PRICING])
case("en", pub("bluesky", "cryptomarieke.bsky.social"), fullwidth("price glitch") + " on the Tulpfolio Academy "
     "Masterclass, €19 instead of €249 lol", [PRICING], tags=["evasion:full-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", NV, "ok who committed this to the PUBLIC sdk-examples repo 😤\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\n"
     "rotated already but still. pre-commit hooks, people", [SECRET])
case("nl", MY, "Voor wie lokaal met de orderservice wil spelen, mijn .env:\n\n"
     "DATABASE_URL=postgres://trading_rw:<<PW>>@pg-orders-01.tfo.internal:5432/orders\n\n"
     "Vragen? DM 👍", [SECRET, CONF])
case("en", SJ, "here's the snippet, works fine for me against prod:\n\n"
     "headers = {\"Authorization\": \"Bearer <<JWT>>\"}", [SECRET], kind="comment")
case("en", pub("reddit", "u/nervous_hodler"), "Someone from 'Tulpfolio support' messaged me to verify my wallet and "
     "asked for my recovery words. I gave them: <<SEED12>>\n\nis that normal?? balance still looks ok",
     [SECRET], kind="post")
case("nl", RD, "Even testen of de nieuwe alert-koppeling werkt 🙈\n<<SLACK_HOOK>>", [SECRET])
case("en", NV, "note to self (and apparently to the whole internet):\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>", [SECRET], kind="reply")
case("nl", pub("forum", "apk_pluizer"), "Tulpfolio Android app uit elkaar gehaald 👀 in strings.xml staat gewoon "
     "<<GAPI>> en nog een paar endpoints. Slordig hoor", [SECRET])
case("en", MY, "Spent the day on signing for our withdrawal service. People asked what our keys look like, so "
     "here's the one from my laptop:\n<<PEM_EC>>", [SECRET])
case("nl", ES, "ww van het gedeelde zendesk-account is wéér veranderd 🙄 voor de collega's die het zoeken: <<PW>>",
     [SECRET])
case("en", pub("other", "bugbounty_bram"), "lol found a sendgrid key in tulpfolio's public js bundle: "
     "<<SENDGRID>> reported it, no reply yet", [SECRET])
case("nl", NV, "runner token voor de nieuwe CI, zet hem zelf in je config: <<GLPAT_ZW>>", [SECRET],
     tags=["evasion:zero-width"])
case("en", BK, "Reminder to everyone: do NOT paste credentials in Teams chats. Case in point, the one I was just "
     "sent: <<STRIPE>>", [SECRET])
case("nl", SJ, "Klein botje gebouwd voor ons team-kanaal, token staat hier voor als ik hem kwijt ben haha "
     "<<SLACK_BOT>>", [SECRET], kind="post")
case("nl", pub("x", "@anoukk_"), "@tulpfolio_help ik kan niet inloggen!!! mijn wachtwoord is <<PW>> en de app zegt "
     "steeds dat het fout is. al 3x gereset", [SECRET, COMPLAINT])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@frank_zwolle"), "@tulpfolio_help al 3 dagen wachten op mn opname!! rekening is <<IBAN_NL:grp>> "
     "en er komt niks binnen. bel me: <<PHONE:mob_dash>>", [PII, COMPLAINT])
case("en", ES, "shoutout to the customer who sent their full card number in chat today 🙈 <<CARD:visa_sp>> "
     "please don't do this folks!!", [PII])
case("nl", LH, "Weer een klant die zijn paspoort + BSN <<BSN:dots>> in de chat plakt ipv in de app. Mensen toch 🤦‍♀️",
     [PII])
case("nl", pub("facebook", "gerda.huisman.5", "Gerda Huisman"), "Voor de KYC wilden ze mijn BSN, heb ik ingevuld: "
     "<<BSN>>. Nu zegt de app 'ongeldig'??? wat moet ik nog meer doen om een rekening te openen", [PII, COMPLAINT])
case("en", pub("reddit", "u/passport_pain"), "Anyone else had to upload their passport 4 times? Number is "
     "<<PASSPORT>>, expires 2031, it's literally valid. Onboarding is broken.", [PII, COMPLAINT], kind="post")
case("nl", TF_HELP, "@jannie_w Hoi Jannie! We hebben je account gevonden onder j.wolters1962@hotmail.com, "
     "geboren 14-03-1962. Je opname wordt vandaag nog verwerkt 💙", [PII], kind="reply")
case("en", TF_HELP, "@mark_invests Thanks Mark, the refund of €4.50 in trading fees went out to <<IBAN_NL>> "
     "this morning 🙏", [PII], kind="reply")
case("nl", pub("x", "@buurtwacht_wim"), "Mijn buurman Henk de Graaf (Lindelaan 14, Zwolle) heeft z'n hele pensioen "
     "bij Tulpfolio in dogecoin gezet. Succes Henk 🙄", [PII])
case("nl", ES, "collega's, deze meneer belt elke dag, z'n mail is p.vandermeer [at] ziggo [punt] nl, kan iemand "
     "hem flaggen in zendesk 😤", [PII], tags=["evasion:obfuscated-email"])
case("en", pub("reddit", "u/amsterdam_to_berlin"), "Can I withdraw from Tulpfolio to a German account? mine is "
     "<<IBAN_DE:grp>>, if someone from the team reads this pls check", [PII], kind="comment")
case("nl", LH, "Kwam net een aanvraag binnen van een Gerrit Bosman uit Apeldoorn, geboren 02-07-1951, die 'al "
     "zijn spaargeld in meme coins' wil. Gerrit nee 😂", [PII])
case("en", pub("x", "@lotte_de_b"), "tried topping up my tulpfolio wallet with card <<CARD:amex_sp>> and it got "
     "declined 5 times. what is going on??", [PII, COMPLAINT])
case("nl", SJ, "niet testdata maar productie: zag in de app-logs een IBAN <<IBAN_BE>> van een klant gewoon in "
     "plaintext. gaan we vandaag nog fixen voor het naar buiten komt", [PII, SEC], kind="comment")
case("nl", pub("instagram", "@jessie.spaart"), "Wie kan mij helpen met beginnen met beleggen via Tulpfolio? "
     "App me even: <<PHONE:mob_pairs>> 🙏", [PII])
case("en", TF_X, "Congrats to the winner of our #TulpfolioChallenge 🎉🏆 sophie.dekker91@gmail.com, check your "
     "inbox, we'll be in touch!", [PII])
case("en", pub("linkedin", "rahul-iyer-uk"), "Sending my first deposit to Tulpfolio from my UK account "
     "<<IBAN_GB:grp>>, anyone know how long SEPA from GB takes these days?", [PII])
case("nl", BK, "Praktijkvoorbeeld voor de AML-training morgen: klant betaalde met <<CARD:mc2_dash>> en stortte "
     "daarna binnen een uur 9.900 euro aan crypto. Rode vlag!", [PII])
case("nl", pub("x", "@sanne_vdl"), "Tulpfolio, bel me gewoon ff terug op <<PHONE:land_dash>>, ik wil alleen weten "
     "hoe ik mijn spaardoel aanpas", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", NV, "Lange nacht gehad met de migratie van backoffice.tulpfolio.nl naar het nieuwe cluster 😴☕ "
     "#devops", [CONF])
case("en", MY, "Super proud of the team building Helix Vault, our upcoming cold-storage custody product for retail. "
     "Can't say more yet 🤐 #fintech #crypto", [CONF])
case("nl", IB, "Sneak peek voor de echte fans 👀 we werken keihard aan Project Zandloper, iets heel moois voor "
     "lange-termijn beleggers. Meer kan ik nog niet zeggen!", [CONF])
case("en", pub("reddit", "u/lurker_4491"), "Friend who works at Tulpfolio showed me slides marked TF-CONFIDENTIAL "
     "about 'Operatie Dukaat'. Apparently it's a stablecoin thing?", [CONF], kind="comment")
case("nl", LH, "Hele dag workshops over Operatie\nDukaat. Mijn hoofd 🤯", [CONF], tags=["evasion:line-break"])
case("en", SJ, "just hit https://kyc-ops.tulpfolio.nl/admin/queue lol, it's behind the vpn anyway", [CONF],
     kind="reply")
case("nl", IB, "Nog even geduld allemaal... TulpPensioen komt eraan 🌷👵 jullie gaan het zó leuk vinden",
     [CONF], when="2026-09-21T19:40:00+02:00")
case("en", pub("x", "@fintechleaks_nl"), "Leaked screenshot of Tulpfolio Pensioen 👀 looks like a pension "
     "investing product, launch october apparently", [CONF], when="2026-09-02T11:05:12Z")
case("nl", DM, "Eén slide uit het kwartaaloverleg, stond wel 'Tulpfolio Internal' op maar het gaat 'maar' om de "
     "klantgroei: +38% t.o.v. vorig kwartaal 📈 trots op dit team!", [CONF, FIN])
case("en", NV, "Tulpfolio Staking load tests green ✅ ready for launch day 🚀", [CONF],
     when="2026-05-12T09:59:00+02:00")
case("en", pub("tiktok", "@finfluencer.jayden"), "heard about pr0ject z4ndl0per from my cousin at tulpfolio, "
     "sounds like a robo advisor 👀 #crypto #beleggen", [CONF], tags=["evasion:leet"])
case("nl", ES, "Ons nieuwe support-dashboard 😍 eindelijk alles op één plek (support.tfo.internal) #werkplezier",
     [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", DM, "Trots! De halfjaarcijfers 2026 zijn binnen: voor het eerst winstgevend, €6,1 mln nettowinst 🚀 "
     "officiële publicatie volgt binnenkort", [FIN, CONF], when="2026-08-20T16:12:44+02:00")
case("en", DM, "Can't share details, but our Series C should close next month at a valuation north of €400m. "
     "Exciting times at Tulpfolio!", [FIN])
case("nl", NV, "Sfeer op kantoor is om te snijden. Morgen wordt bekend dat er 60 fte weg moet bij support en ops 😞",
     [FIN])
case("en", pub("reddit", "u/dutchfinance_throwaway"), "Insider-ish (my gf works there): Tulpfolio is in talks to "
     "be bought by a big German bank, announcement after the summer", [FIN], kind="post")
case("nl", BK, "Komende maandag wordt spannend: de overname van Koersplein gaat door, maar tot de persconferentie "
     "mond dicht 🤐", [FIN])
case("en", SJ, f"reorg incoming: the whole mobile team gets merged into 'platform' and ~20 contracts won't be "
     f"renewed. lay{SHY}offs before xmas, nice", [FIN], kind="comment", tags=["evasion:soft-hyphen"])
case("nl", pub("x", "@ex_tulper"), "Hoor van een oud-collega dat Tulpfolio het kantoor in Gent gaat sluiten en "
     "de Belgische klanten overhevelt. Nog niet officieel", [FIN])
case("en", DM, "Q3 trading update won't be pretty: deposits down ~22% vs Q2 and we're revising full-year guidance. "
     "Glad I'm not the one telling the press 😅", [FIN])
case("nl", IB, "Intern cijfertje dat ik eigenlijk niet mag delen maar ach: sinds vandaag 1,2 miljoen klanten 🥳",
     [FIN])
case("en", ES, "Heard at the all-hands today they're moving the Dutch chat team to Lisbon next year 😭 pray for me",
     [FIN])
case("nl", pub("forum", "beursmuis"), "Mijn zwager zit in de RvC van Tulpfolio en zegt dat ze de halfjaarcijfers 2026 "
     "gaan uitstellen omdat de cijfers tegenvallen", [FIN, CONF], when="2026-08-11T21:30:00+02:00")
case("nl", MY, "Vanaf 1 maart stopt Tulpfolio met de Duitse markt en wordt ons Berlijnse team opgeheven. Klanten "
     "weten het nog niet.", [FIN], when="2026-01-19T18:02:10+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", NV, "3am and the hot wallet signer is down again. withdrawals queued for ~4h and the status page still "
     "says all green 🙃", [SEC])
case("nl", RD, "Grappige bug in onze eigen KYC-flow: met een aangepast document-id kun je de uploads van andere "
     "klanten inzien. Fix staat klaar, nog niet live.", [SEC])
case("en", SJ, "not supposed to say this but our android app has been logging session tokens in plaintext since "
     "4.12. patch lands next week", [SEC], kind="comment")
case("nl", pub("x", "@cryptoclaudia"), "Tulpfolio houdt een hack stil!! Meerdere mensen in de Telegram-groep zijn "
     "hun crypto kwijt en support zegt doodleuk 'geen incident' 🤬", [SEC, CRISIS])
case("en", pub("reddit", "u/quietwhistle"), "Someone on Tulpfolio's ops team told me in a DM that their KYC "
     "document bucket was accessed by an outsider last week and management decided not to report it.",
     [SEC, CRISIS], kind="post")
case("nl", LH, "Hele middag paspoortscans handmatig gecheckt omdat onze ID-check leverancier gehackt is 😳 "
     "klanten weten het nog niet", [SEC])
case("en", MY, "Lessons from our incident last night (postmortem still internal): a misconfigured rate limiter "
     "let one bot place 40k orders in 3 minutes. Fun times.", [SEC])
case("nl", NV, "l3k in de API sinds gisteren: iedereen met een geldig token kan de orderhistorie van anderen "
     "ophalen. dichten we vanavond", [SEC], tags=["evasion:leet"])
case("en", RD, "we got popped. phishing on one support agent, attacker had zendesk access for ~2h. comms still "
     "drafting the statement. don't @ me", [SEC])
case("en", pub("bluesky", "exengineer.bsky.social"), "former tulpfolio engineer here: yesterday's withdrawal "
     "outage wasn't 'maintenance', the hot wallet was drained and they're covering it up", [SEC, CRISIS])
case("nl", ES, "Chat staat roodgloeiend: iDEAL-stortingen komen sinds 14u niet aan, maar we mogen nog niks zeggen "
     "tot de officiële melding 🤫", [SEC])
case("nl", RD, f"kwets{ZW}baarheid in de 2FA-reset: met een oude sms-code kom je er gewoon langs. niet verder "
     "vertellen pls", [SEC], tags=["evasion:zero-width"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkgeld"), "Boycot Tulpfolio! Jarenlang verborgen kosten op crypto-aankopen en nu doen "
     "ze alsof hun neus bloedt. Haal je geld weg. #boycottulpfolio", [CRISIS])
case("en", pub("reddit", "u/claimcoordinator"), "The class action against Tulpfolio is officially filed. If you "
     "lost money in the March outage you can join through the claim foundation.", [CRISIS], kind="post")
case("nl", pub("x", "@beursblik"), "AFM legt Tulpfolio een boete op van €2,4 miljoen wegens gebrekkige "
     "witwascontroles. En dit is de app die jouw neefje op z'n telefoon heeft.", [CRISIS])
case("en", pub("x", "@frustrated_fien"), "My KYC documents from Tulpfolio are being sold on a darkweb forum. "
     "Passport, selfie, everything. GREAT JOB 👏👏", [CRISIS])
case("nl", pub("facebook", "karin.smits.1980", "Karin Smits"), "Mijn moeder (78) is via de Tulpfolio-app opgelicht "
     "door nep-adviseurs en Tulpfolio weigert iets te doen. Dit is een schandaal. DELEN!", [CRISIS])
case("en", pub("tiktok", "@lowkeyrich_"), "tulpfolio data breach?? got an email from 'tulpfolio' with my full name, "
     "address AND portfolio value. how did scammers get that 😳", [CRISIS])
case("nl", pub("x", "@wakkerebelegger"), f"Jullie klantgegevens liggen gewoon op straat. #Tulpf{CYR_O}lio "
     f"#g{CYR_E}l{CYR_E}kt #datal{CYR_E}k", [CRISIS], tags=["evasion:homoglyph"])
case("en", pub("reddit", "u/19days_and_counting"), "Joined the mass claim against Tulpfolio today. And for the "
     "record, their chat support has ignored my withdrawal request for 19 days.", [CRISIS, COMPLAINT],
     kind="comment")
case("en", pub("x", "@onchain_sleuth"), "Tulpfolio CEO moved a big chunk of his own token holdings days before the "
     "crash. Insider trading scandal brewing 👀", [CRISIS])
case("nl", pub("forum", "consumentenwaakhond"), "Nieuws: de Consumentenbond daagt Tulpfolio voor de rechter over de "
     "orderkosten-constructie. Dagvaarding is deze week betekend.", [CRISIS])
case("en", pub("bluesky", "sven-the-stacker.bsky.social"), "Account emptied overnight, 0.8 BTC gone, and Tulpfolio "
     "says it's my fault. Their systems got breached, I'm sure of it. Support closed my ticket twice without "
     "answering.", [CRISIS, COMPLAINT])
case("en", pub("youtube", "UCstackingsats"), "Everyone pull your money out of Tulpfolio, they froze thousands of "
     "accounts without notice. #BoycottTulpfolio", [CRISIS], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@jorisbelegt"), "@tulpfolio_help opname van 2.300 euro staat al 5 werkdagen op 'in "
     "behandeling'. Serieus?", [COMPLAINT])
case("en", pub("reddit", "u/market_timer"), "Onboarding is a nightmare. Uploaded my ID three times, KYC still "
     "'pending review' after 2 weeks. Meanwhile the market runs away without me", [COMPLAINT], kind="post")
case("nl", pub("instagram", "@noaa.fit"), "Die chatbot van Tulpfolio snapt echt niks, al 40 min in een loop. "
     "Ik wil gewoon een mens spreken 😩", [COMPLAINT])
case("en", pub("x", "@etf_ellen"), "€1 per trade they said. So why did I pay €3.49 on a US ETF order? FX fee "
     "hidden in the small print. Not happy @tulpfolio", [COMPLAINT])
case("nl", pub("tiktok", "@daantradet"), "app crasht elke keer als de markt beweegt 🙃 vanochtend kon ik niet "
     "verkopen tijdens de dip. bedankt tulpfolio", [COMPLAINT])
case("en", pub("facebook", "peter.oosterhuis", "Peter Oosterhuis"), "The spread on crypto buys in the Tulpfolio app "
     "is ridiculous, 1.9% on top of the fee. Switching.", [COMPLAINT])
case("nl", pub("forum", "spaarvarken88"), "Mijn TulpSpaar-rente is zonder bericht verlaagd van 2,1% naar 1,4%. "
     "Netjes zou zijn om dat even te mailen, toch?", [COMPLAINT])
case("en", pub("threads", "@rentmoney.rob"), "account frozen for a 'compliance review' and nobody can tell me why. "
     "11 days. my rent money is in there", [COMPLAINT])
case("nl", pub("x", "@lars_h"), "wtf tulpfolio ik heb mn ww gereset en nu is mn 2fa weg en kan ik nergens meer "
     "bij. niemand neemt op", [COMPLAINT])
case("nl", pub("linkedin", "marloes-zzp-advies"), "Als zzp'er zou ik Tulpfolio graag aanraden, maar de jaaropgave "
     "voor de aangifte klopt al 2 jaar niet. Een beetje zorgvuldigheid graag.", [COMPLAINT])
case("nl", pub("x", "@ikwilmijngeld"), "Tulpfolio support is echt s u p e r t r a a g, 6 dagen geen antwoord "
     "op mijn vraag over een overboeking", [COMPLAINT], tags=["evasion:spaced"])
case("en", pub("mastodon", "@kim@social.example"), "Tried to move my crypto out of Tulpfolio to my own wallet. "
     "'Feature not available in your region'. That is NOT what the marketing said.", [COMPLAINT])
case("nl", pub("youtube", "UCbeleggenmetbert"), "Vorige video vroeg ik het al: waarom rekent Tulpfolio €2,50 voor "
     "elke crypto-opname? Geen antwoord, kosten blijven. Jammer.", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boos_op_alles"), "Tulpfolio is gewoon een stelletje klootzakken. Ga toch dood", [ABUSE])
case("en", pub("reddit", "u/saltyape"), "whoever runs the tulpfolio twitter is a brain-dead clown, fire them lmao",
     [ABUSE], kind="comment")
case("nl", pub("instagram", "@wraakengel_"), "@evi.supportlife domme trut, ik weet waar je werkt 😡", [ABUSE])
case("en", TF_HELP, "@cryptokoen maybe learn what a limit order is before crying on twitter, genius 🙄", [ABUSE],
     kind="reply")
case("nl", NV, "Sommige klanten zijn echt debiel. 'Waarom daalt mijn bitcoin, ik wil de manager' 🤡", [ABUSE])
case("en", pub("x", "@alpha_bro_99"), "no wonder tulpfolio support is useless, it's all women lol. back to the "
     "kitchen ladies", [ABUSE])
case("nl", pub("x", "@schreeuwlelijk"), "k*tapp, k*tbedrijf, f*ck Tulpfolio", [ABUSE], tags=["evasion:masked"])
case("en", pub("twitter", "@grumpygains"), "@tulpfolio you absolute muppets. f u c k this company", [ABUSE],
     tags=["evasion:spaced"])
case("nl", pub("tiktok", "@nietmeerbeleggen"), "die ceo van tulpfolio is een vieze kankerlijer", [ABUSE])
case("en", pub("youtube", "UCwaitingwillem"), "3 weeks waiting for my withdrawal, you thieving bastards. Pay me my "
     "money", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("facebook", "b.koster.77", "Bert Koster"), "Tyfusbedrijf. 4 keer mijn paspoort geüpload en nog "
     "steeds niet geverifieerd.", [ABUSE, COMPLAINT])
case("en", SJ, "honestly the r/tulpfolio mods are a bunch of useless tossers, just ignore them", [ABUSE],
     kind="comment")
case("nl", pub("x", "@trollmeister_nl"), "t3ringl1jers bij tulpf0lio, allemaal", [ABUSE], tags=["evasion:leet"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", TF_HELP, "Hoi! Je bereikt ons via support@tulpfolio.nl of bel +31 20 261 4700 (ma-vr 8-20u) 💬",
     kind="reply", tags=["hn:own-contact"])
case("nl", TF_X, "Handmatig storten? Maak over naar NL56 INGB 0007 4451 20 t.n.v. Stichting Derdengelden Tulpfolio "
     "en zet je klantnummer in de omschrijving.", tags=["hn:own-iban"])
case("nl", pub("x", "@tevreden_tess"), "Gewoon 020-2614700 bellen, binnen 5 minuten geholpen 👍 #tulpfolio",
     tags=["hn:own-contact"])
case("en", pub("reddit", "u/grumpy_but_fair"), "Is NL04RABO0347129906 still the right account to deposit into "
     "Tulpfolio or did they switch banks?", kind="comment", tags=["hn:own-iban"])
case("nl", pub("x", "@bart_de_boer"), "+31853039910 gebeld over mijn jaaropgave, netjes geholpen door een "
     "medewerker 👌", tags=["hn:own-contact"])
case("en", TF_RD, "For anything about your account please write to support@tulpfolio.nl, press questions go to "
     "pers@tulpfolio.nl. We never ask for your recovery phrase or password here.", kind="comment",
     tags=["hn:own-contact", "hn:secret-words"])
case("nl", pub("x", "@oeps_ikke"), "Mijn opname faalde omdat ik een typo in m'n IBAN had (<<BADIBAN_NL:grp>>) 🙈 "
     "eigen schuld, support had het binnen 10 min gefixt", tags=["hn:bad-iban"])
case("nl", pub("facebook", "willem.prins.9", "Willem Prins"), "Betalingskenmerk bij mijn storting was "
     "<<BADCARD:mc_sp>>, hoe lang duurt het voor dat in de app zichtbaar is?", tags=["hn:bad-card"])
case("nl", pub("forum", "vraagbaak_vera"), "Ik kreeg een klantnummer <<NOTBSN:9>>, moet ik dat ergens bij de "
     "belastingdienst opgeven of is dat alleen voor Tulpfolio?", tags=["hn:not-bsn"])
case("nl", TF_LI, "Tulpfolio B.V. | KvK <<NOTBSN:8>> | vergunning AFM en geregistreerd als cryptodienstverlener. "
     "Beleggen brengt risico's met zich mee.", tags=["hn:kvk"])
case("en", pub("x", "@first_sats"), "Finally moved my first BTC from Tulpfolio to my own wallet 🥳 tx "
     "<<HEX:64>>", tags=["hn:tx-hash"])
case("en", pub("reddit", "u/eth_erik"), "Sent ETH from Tulpfolio to 0x<<HEX:40>>, landed in 2 minutes. Impressed "
     "tbh", kind="comment", tags=["hn:wallet-address"])
case("en", MY, "Finally fixed that flaky settlement test 🎉 commit <<HEX:40>> if you want to see the one-line "
     "fix", tags=["hn:git-sha"])
case("en", NV, "PSA for juniors: AKIAIOSFODNN7EXAMPLE is the example key from the AWS docs, not a leak. stop "
     "opening incidents for it 😅", tags=["hn:placeholder"])
case("nl", MY, "In je .env.example staat MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, vul daar je eigen "
     "testkey in, nooit een echte", tags=["hn:placeholder"])
case("en", RD, "fun fact: GitHub tokens start with ghp_ precisely so scanners can catch them. use the prefix, "
     "people", tags=["hn:prefix"])
case("nl", pub("x", "@opa_jan"), "De zandloper van mijn oma staat nog steeds op de schoorsteen ⏳ sommige dingen "
     "gaan nooit stuk", tags=["hn:codename-word"])
case("nl", pub("instagram", "@muntjesmarco"), "Op de rommelmarkt een gouden dukaat uit 1791 gekocht. Beter "
     "rendement dan mijn ETF's dit jaar 😂", tags=["hn:codename-word"])
case("en", pub("x", "@bio_teacher_bo"), "Double helix model finished for the kids' science fair 🧬 vault of "
     "knowledge lol", tags=["hn:codename-word"])
case("nl", pub("x", "@forens_fem"), "Staking bij de NS morgen, dus thuiswerken en ondertussen mijn maandinleg bij "
     "Tulpfolio ophogen", when="2026-04-14T07:48:00+02:00", tags=["hn:embargo-word"])
case("nl", pub("reddit", "u/vraagje_123"), "Komt er ooit staking van ETH bij Tulpfolio of moet ik daarvoor echt "
     "naar een andere app?", kind="post", when="2026-03-02T20:15:00+01:00", tags=["hn:embargo-word"])
case("nl", TF_LI, "Vandaag publiceren we de halfjaarcijfers 2026 📊 Lees het volledige persbericht op "
     "tulpfolio.nl/investors", when="2026-08-27T07:30:00+02:00", tags=["hn:embargo-moment"])
case("en", pub("x", "@fintech_weekly"), "Tulpfolio's H1 2026 results: first profitable half-year, 1.2m customers. "
     "Impressive for a 6-year-old app.", when="2026-09-03T08:00:00Z", tags=["hn:embargo-after"])
case("nl", TF_X, "Eindelijk mogen we het zeggen: TulpPensioen is live! 🌷 Beleggen voor later, vanaf €25 per "
     "maand. Check de app.", when="2026-10-06T09:00:00+02:00", tags=["hn:embargo-moment"])
case("en", TF_X, "Tulpfolio Staking is live 🎉 Earn rewards on your ETH and SOL, right in the app.",
     when="2026-05-12T10:00:00+02:00", tags=["hn:embargo-moment"])
case("nl", pub("threads", "@pensioenpieter"), "Net TulpPensioen geopend, ik ben benieuwd hoe dit zich verhoudt tot "
     "mijn pensioenfonds 🤔", when="2026-11-18T21:10:00+01:00", tags=["hn:embargo-after"])
case("nl", TF_IG, "Black Friday 🖤 30% korting op Tulpfolio Pro: nu €104,30 voor een heel jaar.",
     when="2026-11-27T08:00:00+01:00", tags=["hn:sale"])
case("nl", TF_TT, "€20 korting op de TulpKey met code HODL20 🔐 self-custody was nog nooit zo makkelijk",
     tags=["hn:discount-amount"])
case("nl", pub("other", "marktplaats_mirjam"), "Te koop: TulpKey hardware wallet, nooit gebruikt, nog in doos. "
     "€45, ophalen in Utrecht", tags=["hn:second-hand"])
case("nl", pub("x", "@rekenaar_ruud"), "Tulpfolio Plus kost €4,99 per maand, of €59 per jaar als je in één keer "
     "betaalt. Reken zelf maar uit.", tags=["hn:monthly"])
case("nl", pub("reddit", "u/kostenvergelijker"), "Orderkosten: €1 per order bij Tulpfolio, €2 bij Koersplein, "
     "€0 bij Satsmarkt maar met een belachelijke spread.", kind="comment", tags=["hn:fee"])
case("nl", TF_HELP, "@lucas_m Nee hoor, geen prijsfout! De Metal Card is deze week echt €59 i.p.v. €89 🎉",
     kind="reply", tags=["hn:denied-error"])
case("nl", pub("x", "@nieuwsjager"), "Datalek bij Koersplein: 40.000 klanten getroffen volgens het bedrijf zelf. "
     "Blij dat ik daar weg ben.", tags=["hn:other-company"])
case("en", pub("x", "@cryptodesk_eu"), "Satsmarkt lays off 30% of its staff as volumes keep falling. Rough times "
     "in crypto.", tags=["hn:other-company"])
case("nl", pub("x", "@blije_belegger"), "Geen klachten over Tulpfolio hoor, opname binnen een uur op mijn rekening 👌",
     tags=["hn:negated"])
case("en", pub("reddit", "u/pleasantly_surprised"), "Not gonna lie, I expected KYC to be painful but it took six "
     "minutes. No complaints at all.", kind="comment", tags=["hn:negated"])
case("nl", pub("blog", "schrijfsels.example"), "Hoofdstuk 3 van mijn thriller: de hacker breekt 's nachts in bij "
     "de fictieve cryptobeurs 'Muntmeester' en steelt de sleutels van de koude opslag. Wordt vervolgd!",
     tags=["hn:fiction"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn portfolio is zo rood dat ik het als kerstversiering kan ophangen 🎄📉 "
     "#beleggen #tulpfolio", tags=["hn:joke"])
case("en", pub("x", "@floyd_fan"), "\"Money, it's a gas\" 🎶 just set up my first monthly ETF plan on Tulpfolio",
     tags=["hn:lyrics"])
case("nl", pub("x", "@risicobewust"), "Zoals de AFM zegt: 'Let op! Beleggen brengt risico's met zich mee.' Zou in "
     "elke crypto-app in koeienletters moeten staan", tags=["hn:quote"])
case("en", pub("x", "@forgetful_fred"), "Can't recall my Tulpfolio password so here I go through the reset flow "
     "again, wish me luck 😅", tags=["hn:recall-word"])
case("nl", pub("facebook", "anja.meijer.12", "Anja Meijer"), "Mijn vader is vorig jaar aan kanker overleden. Zijn "
     "erfenis beleg ik nu via Tulpfolio in een wereldwijd ETF. Voor hem 💛", tags=["hn:literal-disease"])
case("en", pub("x", "@happy_saver"), "Shout-out to Tulpfolio chat support, Evi helped me set up my savings goal "
     "in five minutes 🙌", tags=["hn:praise"])
case("nl", TF_HELP, "Gepland onderhoud: zondag van 02:00 tot 04:00 zijn stortingen via iDEAL tijdelijk niet "
     "mogelijk. Beleggen kan gewoon door. Excuus voor het ongemak!", tags=["hn:official-notice"])
case("en", TF_X, "We're aware some users can't log in right now. Our team is on it and your funds are safe. "
     "Updates on status.tulpfolio.nl", tags=["hn:official-notice"])
case("nl", LH, "We zoeken een KYC-analist! Hou je van puzzelen met documenten? Solliciteer via tulpfolio.nl/werken",
     tags=["hn:insider-benign"])
case("en", DM, "Proud to share our published annual report 2025, read it at tulpfolio.nl/investors 📘",
     tags=["hn:published"])
case("en", pub("x", "@switcher_sam"), "Koersplein's app crashed again during the dip. So glad I moved to "
     "Tulpfolio last year", tags=["hn:competitor"])
case("nl", pub("x", "@sceptische_sem"), "NOS: AFM waarschuwt voor nep-crypto-apps die zich voordoen als bekende "
     "merken. Check altijd de officiële app store, mensen.", tags=["hn:news"])
case("nl", TF_IG, "Let op: wij vragen NOOIT om je herstelzin, wachtwoord of sms-code. Twijfel je? Mail "
     "support@tulpfolio.nl 🔐", tags=["hn:own-contact", "hn:secret-words"])
case("en", pub("instagram", "@nightowl.trades"), "Damn, Tulpfolio's new dark mode looks sick 🔥", tags=["hn:slang"])
case("nl", pub("x", "@help_mijn_dak"), "Mijn dak lekt, mijn portfolio lekt... alleen mijn koffie blijft warm ☕",
     tags=["hn:leak-word"])
case("nl", pub("reddit", "u/doc_lezer"), "Help-artikel over orderkosten staat op help.tulpfolio.nl/artikel/kosten, "
     "daar staat alles netjes uitgelegd", kind="comment", tags=["hn:public-domain"])
case("en", pub("telegram", "tulpfolio_fans_chat"), "Tip: the Tulpfolio Academy module on ETFs is really good, "
     "worth it if you're new to investing", tags=["hn:unknown-platform"])
case("nl", pub("tiktok", "@evi.supportlife"), "Mijn ochtendroutine als support-medewerker ☕💻 #dayinmylife",
     tags=["hn:lookalike-handle"])
case("en", pub("x", "@boycott_fast_fashion"), "Still boycotting fast fashion, so the money goes into my Tulpfolio "
     "ETF plan instead 💸", tags=["hn:boycott-word"])
case("nl", pub("x", "@oud_belegger"), "Mijn BSN vragen bij het openen van een beleggingsrekening is wettelijk "
     "verplicht, toch? Dacht dat het phishing was maar het staat ook op de site van de AFM.",
     tags=["hn:pii-words"])
case("nl", pub("x", "@niet_te_vinden"), "Klantnummer TF-2026-<<DIGITS:6>>, ordernummer <<DIGITS:10>>, en nog steeds "
     "vind ik het een top app 😄", tags=["hn:order-number"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:share:{a}", f"https://www.linkedin.com/feed/update/urn:li:share:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{h}-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            cmt = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{cmt}", f"https://www.reddit.com/r/beleggen/comments/{p}/_/{cmt}/"
        return f"t3_{p}", f"https://www.reddit.com/r/beleggen/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst or 'mastodon.social'}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-beurspraat-{m}", f"https://forum.beurspraat.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/p/{m}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


# how people and tools really spell known handles; the role must not change
CASE_VARIANTS = {"@noor_devops": "@Noor_DevOps", "@tulpfolio": "@Tulpfolio", "daan-mulder-tf": "Daan-Mulder-TF",
                 "@evi.supportlife": "@Evi.SupportLife", "@bas_compliance": "@Bas_Compliance",
                 "mehmet-yilmaz-dev": "Mehmet-Yilmaz-Dev", "u/sjoerd_codes": "u/Sjoerd_Codes",
                 "@tulpfolio_help": "@Tulpfolio_Help", "@lisa_kyc": "@Lisa_KYC",
                 "u/Tulpfolio_Team": "u/tulpfolio_team", "@tulpfolio.app": "@Tulpfolio.App"}


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    sr = random.Random(SEED + 2)
    rows, seen = [], set()
    variant_r = random.Random(SEED + 3)
    for c in CASES:
        text, used = render(g, c["text"])
        handle = c["handle"]
        role_declared = role_of(profile, c["platform"], handle)
        # spell some insider handles with different case: role must not change
        if role_declared != "public" and handle in CASE_VARIANTS and variant_r.random() < 0.2:
            handle = CASE_VARIANTS[handle]
            c["tags"].add("handle-case")
        pid, url = post_id_url(mr, c["platform"], handle, c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], handle)
        assert role == role_declared
        kinds = {k for k, _, _ in used}
        pii_valid = PII in c["cats"] and bool(kinds & VALID_IDS)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": handle}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        p = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "tulpfolio"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    sr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checks
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        tag = p["id"]
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                errs.append(f"{tag}: missing {f}")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{tag}: bad timestamp")
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{tag}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if len(p["text"].encode()) > 65536:
            errs.append(f"{tag}: too long")
        if e["categories"] != sorted(set(e["categories"])) or any(c not in CATS for c in e["categories"]):
            errs.append(f"{tag}: bad categories")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{tag}: benign with severity")
        # identifiers: positives valid, negatives invalid
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{tag}: invalid IBAN in positive")
            if k.startswith("BADIBAN_") and iban_valid(raw):
                errs.append(f"{tag}: bad IBAN passes")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{tag}: invalid card")
            if k == "BADCARD" and luhn_valid(raw):
                errs.append(f"{tag}: bad card passes")
            if k == "BSN" and not bsn_valid(raw):
                errs.append(f"{tag}: invalid BSN")
            if k == "NOTBSN" and bsn_valid(raw):
                errs.append(f"{tag}: not-BSN passes")
            if k in VALID_IDS and PII not in e["categories"]:
                errs.append(f"{tag}: valid identifier without leak.pii")
        # embargo terms must carry leak.confidential exactly when before the embargo
        when = parse_ts(p["created_at"])
        low = p["text"].casefold()
        for emb in profile["embargo"]:
            until = parse_ts(emb["until"])
            if any(t.casefold() in low for t in emb["terms"]):
                if when < until and CONF not in e["categories"]:
                    errs.append(f"{tag}: embargo term before until but not confidential")
                if when >= until and not e["categories"] == [] and CONF in e["categories"] \
                        and not any(cn.casefold() in low for cn in profile["internal"]["codenames"]):
                    errs.append(f"{tag}: embargo term after until but labelled confidential")
    # own identifiers appear only in benign posts
    for r in rows:
        t = r["post"]["text"].replace(" ", "")
        for ib in profile["public_identifiers"]["ibans"]:
            if ib in t and r["expect"]["categories"]:
                errs.append(f"{r['post']['id']}: own IBAN in a positive")
    return errs


def report(rows):
    n = len(rows)
    benign = [r for r in rows if not r["expect"]["categories"]]
    print(f"cases: {n}  benign: {len(benign)}  positive: {n - len(benign)}  "
          f"multi-category: {sum(len(r['expect']['categories']) > 1 for r in rows)}  "
          f"evasion: {sum(any(t.startswith('evasion') for t in r['tags']) for r in rows)}")
    print("langs:", {l: sum(r['lang'] == l for r in rows) for l in ('nl', 'en')})
    print("roles:", {x: sum(r['role'] == x for r in rows) for x in ('corporate', 'employee', 'public')})
    print("severity:", {s: sum(r['expect']['severity'] == s for r in rows) for s in SEVERITIES})
    for c in CATS:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"  {c:22s} {len(rs):3d}  nl {sum(r['lang'] == 'nl' for r in rs):2d}  "
              f"en {sum(r['lang'] == 'en' for r in rs):2d}  corp {sum(r['role'] == 'corporate' for r in rs):2d}  "
              f"emp {sum(r['role'] == 'employee' for r in rs):2d}  pub {sum(r['role'] == 'public' for r in rs):2d}")
    plats = {}
    for r in rows:
        plats[r["post"]["platform"]] = plats.get(r["post"]["platform"], 0) + 1
    print("platforms:", dict(sorted(plats.items(), key=lambda kv: -kv[1])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
