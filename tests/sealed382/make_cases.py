#!/usr/bin/env python3
"""Held-out evaluation set 382 for postwatch.

Fictional company: Koepelaar Safety B.V. (bicycle helmets "Koepelaar", child
bike seats "Nestkind"). Writes cases.jsonl next to this file and self-checks it.

Deterministic: fixed seed, standard library + PyYAML only.
Severities are never typed by hand: they follow CONTRACT section 4, computed from
the account role the profile gives the author and from the labelled categories.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rnd = random.Random(382016)

# --------------------------------------------------------------------------
# Generators for identifiers and credentials, built the way real ones are
# --------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = ALNUM  # 0-9A-Za-z


def _rs(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def iban_valid_check(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_check_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_nl(spaced=True, bank=None):
    bank = bank or rnd.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"])
    bban = bank + str(rnd.randint(1, 9)) + _rs(DIG, 9)
    iban = "NL" + _iban_check_digits("NL", bban) + bban
    assert iban_valid_check(iban)
    return _group4(iban) if spaced else iban


def iban_de(spaced=True):
    bban = _rs(DIG, 8) + _rs(DIG, 10)
    iban = "DE" + _iban_check_digits("DE", bban) + bban
    assert iban_valid_check(iban)
    return _group4(iban) if spaced else iban


def iban_nl_bad(spaced=True):
    good = iban_nl(spaced=False)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + rnd.randint(1, 40)) % 97 + 2 if cd < 50 else cd - rnd.randint(1, 40)) + good[4:]
    if iban_valid_check(bad):
        bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not iban_valid_check(bad)
    return _group4(bad) if spaced else bad


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


def _luhn_complete(prefix_and_body):
    for c in DIG:
        if luhn_ok(prefix_and_body + c):
            return prefix_and_body + c
    raise AssertionError


def card(kind="visa", sep=" "):
    if kind == "visa":
        n = _luhn_complete("4" + _rs(DIG, 14))
        return sep.join(n[i:i + 4] for i in range(0, 16, 4))
    if kind == "mc":
        n = _luhn_complete("5" + rnd.choice("12345") + _rs(DIG, 13))
        return sep.join(n[i:i + 4] for i in range(0, 16, 4))
    if kind == "amex":
        n = _luhn_complete(rnd.choice(["34", "37"]) + _rs(DIG, 12))
        return sep.join([n[:4], n[4:10], n[10:]])
    raise ValueError(kind)


def card_bad(sep=" "):
    n = _luhn_complete("4" + _rs(DIG, 14))
    n = n[:-1] + str((int(n[-1]) + rnd.randint(1, 9)) % 10)
    assert not luhn_ok(n)
    return sep.join(n[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) > 0


def bsn(fmt="plain"):
    while True:
        d = str(rnd.randint(1, 6)) + _rs(DIG, 7)
        s = sum(int(d[i]) * (9 - i) for i in range(8))
        last = s % 11
        if last < 10:
            n = d + str(last)
            assert bsn_ok(n)
            if fmt == "dots":
                return n[:4] + "." + n[4:6] + "." + n[6:]
            return n


def bsn_bad():
    n = bsn()
    bad = n[:-1] + str((int(n[-1]) + rnd.randint(1, 9)) % 10)
    if bsn_ok(bad):
        return bsn_bad()
    return bad


def mobile(fmt):
    body = str(rnd.randint(1, 9)) + _rs(DIG, 7)
    return {
        "dash": "06-" + body,
        "space": "06 " + body[:4] + " " + body[4:],
        "pairs": "06 " + " ".join(body[i:i + 2] for i in range(0, 8, 2)),
        "intl": "+31 6 " + body[:4] + " " + body[4:],
        "intl0": "+31 (0)6 " + body,
    }[fmt]


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = _rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + _rs(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return _rs(string.ascii_letters + string.digits + "/+", 40)


def stripe_live():
    return "sk_live_51" + _rs(ALNUM, 22) + _rs(ALNUM, 74)


def slack_bot():
    # real bot tokens: xoxb-<team digits>-<bot digits>-<24 alnum>; keep the digit runs from
    # accidentally forming a Luhn-valid card number
    while True:
        a, b = _rs(DIG, 12), _rs(DIG, 13)
        if not luhn_ok(a) and not luhn_ok(b):
            return "xoxb-" + a + "-" + b + "-" + _rs(ALNUM, 24)


def slack_hook():
    up = string.ascii_uppercase + string.digits
    return ("https://hooks.slack.com/services/T" + _rs(up, 8) + "/B" + _rs(up, 10) + "/" + _rs(ALNUM, 24))


def openai_key():
    al = ALNUM + "_-"
    return "sk-proj-" + _rs(al, 58) + "T3BlbkFJ" + _rs(al, 58)


def gitlab_pat():
    return "glpat-" + _rs(ALNUM + "_-", 20)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rnd.randint(0, 20_000_000)
    payload = _b64u(json.dumps({"sub": "svc-crashsense", "role": "admin", "iss": "auth.koepelaar.nl",
                                "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
    sig = _b64u(bytes(rnd.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def pem_key():
    body = "MIIEpAIBAAKCAQEA" + _rs(string.ascii_letters + string.digits + "+/", 48)
    lines = [body] + [_rs(string.ascii_letters + string.digits + "+/", 64) for _ in range(4)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


def password(n=14):
    al = string.ascii_letters + string.digits + "!#$%&*?@"
    while True:
        p = _rs(al, n)
        if any(c.isdigit() for c in p) and any(c in "!#$%&*?@" for c in p):
            return p


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------
CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

CASES = []


def P(author, text, cats=(), lang="nl", kind="post", at=None):
    CASES.append({"author": author, "text": text, "cats": sorted(set(cats)), "lang": lang,
                  "kind": kind, "at": at})


# ==========================================================================
# REPUTATION: complaints
# ==========================================================================
P("x:@fietsmama_utrecht",
  "@koepelaar_help al 3 weken wacht ik op mijn Koolmees achterzitje. Track & trace zegt 'in behandeling' "
  "sinds 2 mei. Kunnen jullie even kijken?? Kind moet gewoon naar de opvang 😩", [CMP], "nl", "reply")
P("reddit:u/gravelgrinder88",
  "Anyone else had the retention dial on the Aero 3 just stop clicking after like 2 months? Mine spins "
  "freely now, helmet wobbles on descents. Koepelaar support told me to \"tighten it harder\". Great advice guys.",
  [CMP], "en")
P("facebook:jeroen.smits.735",
  "Nestkind Ekster gekocht, montageset mist 2 bouten. Winkel verwijst naar Nestkind, Nestkind verwijst naar "
  "de winkel. Lekker dan. Sta nu met een zitje in de gang dat ik niet kan monteren.", [CMP], "nl")
P("x:@tara_commutes",
  "the Lumen LED helmet's rear light died after ONE rainy week. \"weatherproof\" lol. @koepelaar please explain",
  [CMP], "en")
P("instagram:@sanne.fietst",
  "Mooie foto's allemaal maar mijn retour van de Branie (verkeerde maat) is nu 5 weken onderweg en nog steeds "
  "geen geld terug. 4x gemaild. Niks. Nada.", [CMP], "nl", "comment")
P("x:@dadonabike_",
  "@koepelaar_help ticket #58213 — you've closed it twice without answering. The Koolmees Maxi footrest strap "
  "snapped. I just want a replacement part, not another satisfaction survey link.", [CMP], "en", "reply")
P("x:@bakfietsbart",
  "Nestkind Bakbank: kussen na 1 zomer compleet verkleurd en de gordel rafelt al. Voor 169 euro verwacht ik "
  "echt iets beters hoor #teleurgesteld", [CMP], "nl")
P("tiktok:@rideordie.nl",
  "XS Kabouter besteld voor m'n dochter van 3, krijg ik een volwassen M 🙃 al de 2e keer. leest iemand in "
  "dat magazijn die bestellingen eigenlijk wel??", [CMP], "nl", "comment")
P("forum:KeesOpDeFiets",
  "Vraagje annex klacht: de CrashSense koppelt bij mij steeds los van de app (Android 14). Sinds update 2.3 "
  "doet ie helemaal niks meer. Chat van Koepelaar reageert niet, 45 min in de wacht gestaan vanmiddag.",
  [CMP], "nl")
P("mastodon:@ellie_rides",
  "Koepelaar's 'crash replacement' promise is a joke. Sent photos of my cracked Horizon helmet after a fall, "
  "now they want the original receipt from 2022 from a shop that no longer exists. Sigh.", [CMP], "en")
P("x:@lotte_pedaleert",
  "webshop van koepelaar pakt mijn kortingscode niet en die chatbot stuurt me alleen maar rondjes. dan maar "
  "bij de concurrent bestellen 🙄", [CMP], "nl")

# complaint + abuse
P("x:@woesteWillem",
  "Kankerbedrijf. 6 weken geen helm, geen geld, geen antwoord. @koepelaar jullie zijn gewoon een stelletje "
  "klootzakken", [CMP, ABU], "nl")
P("x:@mtb_dave_",
  "@koepelaar_help your support guy Noah is a useless idiot. Three calls, three different answers about my "
  "Ravijn warranty. Fucking clowns, the lot of you.", [CMP, ABU], "en", "reply")
P("instagram:@k4pot_fietser",
  "k4nker klantenservice van Nestkind. zitje na een maand kapot en ze doen alsof ik gek ben. t y f u s  o p",
  [CMP, ABU], "nl", "comment")

# complaint + personal data (customer exposing their own)
P("x:@mvanderveen82",
  f"@koepelaar_help nog steeds geen reactie op mijn mail. Bel me gewoon terug op {mobile('dash')} of mail naar "
  "m.vanderveen82@gmail.com. Gaat om de Koolmees die niet meer vastklikt op de drager.", [CMP, PII], "nl", "reply")
P("facebook:priya.raman.photo",
  f"Still waiting on my refund for the cancelled Snelweg S45 order. Refund goes to {iban_nl()} (P. Raman) - "
  "I've now sent that to your team 3 times. Please just process it.", [CMP, PII], "en")
P("x:@careless_cust",
  f"@koepelaar_help you charged my card twice for one Ravijn!! card is {card('mc')} exp 09/28, sort it out pls",
  [CMP, PII], "en", "reply")

# first-hand harm: crisis + complaint
P("x:@janneke_dekker_",
  "Vandaag viel mijn dochter (4) bijna van de fiets omdat de gesp van het Koolmees achterzitje zomaar "
  "openschoot tijdens het rijden. Ze hing half in de riem. Ik sta nog te trillen. @nestkind dit kan echt niet!!",
  [CRI, CMP], "nl")
P("reddit:u/ebike_commuter_ams",
  "PSA: my Lumen LED helmet's battery pack got super hot while charging and started smoking. Burn mark on my "
  "desk, smelled like melted plastic. Using the cable that came in the box. Koepelaar, what is going on?",
  [CRI, CMP], "en")
P("facebook:ramona.kuipers",
  "Mijn zoontje heeft een flinke snee in zijn kuit door een scherpe rand aan de voetsteun van de Nestkind Mus. "
  "3 hechtingen op de SEH. Wie heeft dit ooit goedgekeurd?? Ik ben er echt kapot van.", [CRI, CMP], "nl")
P("x:@clairebikes",
  "Went down at 25 km/h yesterday and my Aero 3 split clean in two on impact, shell and foam came apart. "
  "Concussion + stitches. A helmet is supposed to hold together. Absolutely furious @koepelaar", [CRI, CMP], "en")
P("tiktok:@fietsvader_030",
  "de CrashSense gaf me gisteren een flinke schok bij het opladen?! tintelingen tot in m'n arm. wat zit daar "
  "in godsnaam voor lader bij. nooit meer", [CRI, CMP], "nl")

# ==========================================================================
# REPUTATION: crisis (third party / boycott / lawsuit / recall / breach)
# ==========================================================================
P("x:@verkeersveilig_nl",
  "Ouders opgelet: er zijn meldingen dat de gesp van het Nestkind Koolmees-zitje open kan springen. Meerdere "
  "meldingen bij de NVWA. Check je zitje! #terugroepactie #fietsveiligheid", [CRI], "nl")
P("x:@cyclingnews_watch",
  "Breaking: Koepelaar Safety faces a class action in Belgium over Aero 3 helmets that allegedly failed "
  "EN 1078 impact tests. Lawyers say 300+ claimants have signed up.", [CRI], "en")
P("x:@eerlijkefiets",
  "Uit onderzoek van Platform Spijker blijkt dat Koepelaar helmen laat maken in een fabriek waar kinderen van "
  "13 werken. Niks meer kopen daar. #boycotKoepelaar", [CRI], "nl")
P("reddit:u/privacy_first_nl",
  "Heads up: Koepelaar's CrashSense app seems to have leaked customer data. My email + home address showed up in "
  "a dump on a forum yesterday and I only ever gave those to Koepelaar. Anyone else?", [CRI], "en")
P("facebook:buurtapp.lombok",
  "Gisteren een meisje aangereden op de Kanaalweg. Volgens omstanders schoot haar Koepelaar helm gewoon los "
  "van haar hoofd. Ambulance erbij, heel naar allemaal.", [CRI], "nl")
P("tiktok:@helmetreviewer",
  "so Koepelaar quietly recalled the Snelweg S45 in Germany but NOT in the Netherlands?? why are Dutch riders "
  "still wearing a helmet that's been pulled next door", [CRI], "en")
P("x:@kijkdoos_tv",
  "Vanavond bij ons: de gordels van de Nestkind Bakbank scheuren al bij 20 kg. De fabrikant wist het "
  "maandenlang. Schandalig.", [CRI], "nl")
P("linkedin:mark-de-groot-advocaat",
  "We have filed suit on behalf of a family whose child was injured when a Nestkind Ekster carrier mount "
  "failed. Koepelaar Safety B.V. was served this morning.", [CRI], "en")
P("instagram:@oudersvooroudersnl",
  "NIET MEER KOPEN 🚫 Nestkind zitjes. Deel dit! We roepen iedereen op om Koepelaar te boycotten tot ze de "
  "Koolmees terugroepen. Onze kinderen zijn geen proefkonijnen.", [CRI], "nl")
P("bluesky:@jessicacycles.bsky.social",
  "posting for a friend who isn't online: her daughter's Kabouter helmet buckle cracked and the sharp edge cut "
  "her chin in a tiny tumble. parents, please check your kids' buckles.", [CRI], "en")

# ==========================================================================
# REPUTATION: abuse
# ==========================================================================
P("x:@fixie_freek",
  "@marloes_vdlinden wat een dom wijf ben jij zeg. ga je marketingpraatjes maar ergens anders verkopen",
  [ABU], "nl", "reply")
P("x:@anon_helm_troll",
  "@koepelaar wie dit account beheert is echt een hersenloze debiel hahaha", [ABU], "nl", "reply")
P("instagram:@gekkegerrit",
  "Wie heeft die hoofddoekvrouw in jullie reclame gezet 🤮 ga terug naar je eigen land. Koepelaar is geen "
  "Nederlands merk meer", [ABU], "nl", "comment")
P("reddit:u/grumpyroadie",
  "Koepelaar's designers are absolute fucking idiots and their ugly-ass ads make me want to puke.", [ABU], "en")
P("x:@vla_vreter",
  "k.u.t.b.e.d.r.i.j.f Koepelaar, ze moeten jullie allemaal ontslaan stelletje m0ng00len", [ABU], "nl")
P("x:@xXhelmethaterXx",
  "@koepelaar_help " + fullwidth("fuck you and your shitty helmets"), [ABU], "en", "reply")
P("tiktok:@jaydee_020",
  "die gast in die koepelaar video is echt een kanker mongool hahaha wie neemt zo iemand aan", [ABU], "nl",
  "comment")
P("x:@joost_testlab",
  "@mtb_dave_ maybe learn to ride instead of whining, you absolute muppet. The helmet's fine, the idiot on it "
  "isn't.", [ABU], "en", "reply")
P("tiktok:@koepelaar",
  "@woesteWillem huil maar lekker verder sukkel 😂", [ABU], "nl", "reply")

# ==========================================================================
# LEAK: pricing
# ==========================================================================
P("threads:@sander.koepelaar",
  "Oeps, in de dealerportal staat de Aero 3 voor €49,95 ipv 189,95 😅 wie pakt dat op voordat de dealers het zien?",
  [PRC], "nl")
P("x:@koepelaar",
  "🔥 FLASH DEAL 🔥 Koepelaar Tocht MIPS nu voor maar €12,90! Alleen vandaag via shop.koepelaar.nl", [PRC], "nl")
P("x:@dealhunter_eu",
  "PRICE ERROR?? Koepelaar Snelweg S45 showing €21.90 on their webshop, list is 219. Ordered 2, let's see if "
  "they honour it #pricemistake", [PRC], "en")
P("forum:pepperkoning",
  "Nestkind Bakbank voor €16,90 in de Koepelaar webshop, lijkt me een prijsfout maar wie weet 👀 snel zijn!",
  [PRC], "nl")
P("instagram:@nestkind",
  "Koolmees Maxi now just €14.99 in our spring drop 🐣 link in bio!", [PRC], "en")
P("linkedin:ruben-hoekstra-koepelaar",
  "Collega's, let op: de B2B-prijslijst die vanochtend naar de dealers ging bevat een prijsfout bij de Horizon "
  "toerhelm. Gecorrigeerde lijst volgt vanmiddag.", [PRC], "nl")
P("x:@bargainbikesnl",
  "lol the koepelaar app store has the CrashSense at €6.90. typo much? grabbed three", [PRC], "en")
P("x:@snelleschoenen",
  "p r i j s f o u t bij Koepelaar!! Ravijn MTB helm €15,90 ipv €159 🏃‍♂️💨", [PRC], "nl")
P("x:@marloes_vdlinden",
  "hmm our Black Friday banner says Lumen LED €14.90 🙈 that was meant to be €114.90, fixing now", [PRC], "en")
P("facebook:tweelingmama.ingrid",
  "Zag net de Kabouter kinderhelm voor €4,95 op de site van Koepelaar. Foutje denk ik? Heb er maar meteen twee "
  "besteld voor de tweeling haha", [PRC], "nl")
P("facebook:KoepelaarNL",
  "Excuses! Door een prijsfout stond het Nestkind windscherm gisteren voor €3,99 in de webshop. Bestellingen "
  "tegen die prijs worden helaas geannuleerd.", [PRC], "nl")
P("reddit:u/outlet_sniper",
  "Koepelaar Branie junior for €9.95 on their outlet page right now. Surely mispriced?", [PRC], "en")

# ==========================================================================
# LEAK: secrets
# ==========================================================================
P("x:@dbosman_dev",
  f"ugh CI broke again. if anyone wants to debug the deploy: export AWS_ACCESS_KEY_ID={aws_key_id()} "
  f"AWS_SECRET_ACCESS_KEY={aws_secret()} (yes I'll rotate it later)", [SEC], "en")
P("reddit:u/kvisser_ops",
  f"Our CrashSense backend keeps timing out. Conn string I use: postgres://crashsense_app:{_rs(ALNUM, 18)}"
  "@db01.intra.koepelaar.local:5432/telemetry — any ideas?", [SEC, CNF], "en")
P("x:@dbosman_dev",
  f"wie heeft mijn github token nodig voor de firmware repo lol {gh_token()} — grapje, morgen trek ik hem in",
  [SEC], "nl")
P("x:@sec_nina",
  f"Found a Koepelaar Stripe key hardcoded in their Android app: {stripe_live()} Reported it a month ago, "
  "no response.", [SEC], "en")
P("linkedin:ayse-yilmaz-qa",
  f"Testaccount voor de nieuwe dealerportal, voor de collega's van QA: gebruiker qa_dealer / wachtwoord: "
  f"{password(12)}", [SEC], "nl")
P("bluesky:@femke-janssen.bsky.social",
  f"our HR onboarding bot keeps failing 🙃 webhook is {slack_hook()} — can someone from IT look?", [SEC], "en")
P("x:@dbosman_dev",
  f"why does our API reject this?? Authorization: Bearer {jwt()}", [SEC], "en")
P("reddit:u/kvisser_ops",
  f"can someone tell me why ssh keeps rejecting this key on the build box?\n{pem_key()}", [SEC], "en")
P("instagram:@lisa.dewit.design",
  f"Nieuw AI-scriptje voor de productfoto's 🤖✨ key voor wie wil meespelen: {openai_key()}", [SEC], "nl")
_sb = slack_bot()
P("x:@dbosman_dev",
  "slack token voor de buildbot, graag niet kwijtraken: " + _sb[:2] + ZW + _sb[2:6] + ZW + _sb[6:], [SEC], "nl")
P("forum:pastebin_watcher",
  f"Someone dumped a Koepelaar GitLab token on pastebin: {gitlab_pat()} — @koepelaar you may want to revoke that",
  [SEC], "en")
P("threads:@sander.koepelaar",
  "gedeelde salesmailbox weer bereikbaar, wachtwoord: Koepel!2026zomer — niet doorvertellen 🤫", [SEC], "nl")

# ==========================================================================
# LEAK: security (insiders)
# ==========================================================================
P("x:@dbosman_dev",
  "not supposed to say this but the CrashSense API has been handing out other users' ride locations through an "
  "IDOR since last Tuesday. patch isn't out yet 😬", [SCY], "en")
P("reddit:u/kvisser_ops",
  "Ransomware op onze fileservers sinds vannacht, alles ligt plat bij Koepelaar. Management wil het stilhouden "
  "tot maandag.", [SCY], "nl")
P("linkedin:ayse-yilmaz-qa",
  "Found during QA: the dealer portal lets you edit anyone's order by changing the order ID in the URL. Ticket "
  "open for 3 weeks, still live in prod.", [SCY], "en")
P("x:@joost_testlab",
  "webshop is intern al 6 uur plat, betaalprovider gehackt volgens IT. klanten weten nog van niks dus zeg maar "
  "niks 🤐", [SCY], "nl")
P("bluesky:@femke-janssen.bsky.social",
  "HR heads-up among friends: someone phished our payroll admin last week and the attackers had access to the "
  "salary files for 2 days. Not announced yet.", [SCY], "en")
P("threads:@sander.koepelaar",
  "Dealers kunnen al 2 dagen niet inloggen omdat ons SSO-certificaat verlopen is, IT zegt pas vrijdag gefixt. "
  "Officieel noemen we het 'gepland onderhoud' 🙄", [SCY], "nl")
P("x:@dbosman_dev",
  "intern d\u0430t\u0430l\u0435k bij Koepelaar: 40k klantrecords ge\u00ebxporteerd via een oude API-endpoint, nog "
  "niet gemeld bij de AP. ssst", [SCY], "nl")
P("reddit:u/throwaway_koep_ex",
  "Ex-Koepelaar IT here. Their VPN appliance has been unpatched against a known remote-code-execution bug for "
  "months and they know it. Someone's going to walk right in.", [SCY], "en")
P("linkedin:noah-bakker-koepelaar",
  "Aan mijn team: het klantportaal toont sinds de update van gisteren bestellingen van andere klanten. Nog niet "
  "naar buiten brengen, de fix komt vanavond.", [SCY], "nl")
P("instagram:@lisa.dewit.design",
  "design server got encrypted overnight 😭 all the new helmet files gone, IT says ransomware. don't tell anyone "
  "i said that lol", [SCY], "en")
P("x:@joost_testlab",
  "the test lab's impact rig controller is reachable from the internet with default creds. been telling IT "
  "since March. nobody cares", [SCY], "en")
P("reddit:u/kvisser_ops",
  "Postmortem draft: the payment gateway DB sat exposed without auth for ~11h on 14 Aug. Legal still hasn't "
  "decided whether to notify customers.", [SCY], "en")
P("x:@koep_contractor",
  "As a contractor for Koepelaar I shouldn't say this, but their CrashSense cloud bucket is world-readable. GPS "
  "traces of kids' rides included. They've known for weeks.", [SCY], "en")

# ==========================================================================
# LEAK: confidential
# ==========================================================================
P("x:@marloes_vdlinden",
  "Can't say much but Project Steenuil is going to blow people's minds next spring 🦉👀", [CNF], "en")
P("instagram:@lisa.dewit.design",
  "Eindelijk de eerste prototypes van de Nestkind Zwaluw in handen 😍 hij draait gewoon 360 graden!", [CNF], "nl",
  at="2026-09-18T14:02:11Z")
P("x:@joost_testlab",
  "Testrapport IJsvogel staat op https://wiki.koepelaar.nl/display/LAB/IJsvogel-impact — valt tegen op de "
  "zijkant, moeten we over praten", [CNF], "nl")
P("reddit:u/kvisser_ops",
  "anyone know why jira.koepelaar.nl is so slow today? can't even open OPS-1423", [CNF], "en")
P("linkedin:ruben-hoekstra-koepelaar",
  "Notulen designreview (koepelaar intern): kleurenpalet voor de Branie 2027 wordt mintgroen en oker.", [CNF],
  "nl")
P("bluesky:@femke-janssen.bsky.social",
  "from the all-hands deck (marked Koepelaar Confidential, oops): new parental leave policy is 16 weeks paid "
  "from January 🎉", [CNF], "en")
P("x:@leakyhelmets",
  "Hearing from a source that Koepelaar's 'Operatie Grutto' is a move into e-bike child trailers. Big if true.",
  [CNF], "en")
P("x:@marloes_vdlinden",
  "Binnenkort… " + fullwidth("Project Steenuil") + " 🦉 meer mag ik echt niet zeggen", [CNF], "nl")
P("threads:@sander.koepelaar",
  "dealer meeting went great, they loved the Zwaluw 360 demo. launch can't come soon enough", [CNF], "en",
  at="2026-10-07T16:45:00Z")
P("instagram:@lisa.dewit.design",
  "sneak peek moodboard voor I" + ZW + "J" + ZW + "svogel 🐦 (shhh)", [CNF], "nl")
P("x:@dbosman_dev",
  "Staging draait weer: https://staging.plm.koepelaar.local/builds/442 — wie kan even testen?", [CNF], "nl")
P("linkedin:ayse-yilmaz-qa",
  "Document naar de leverancier gestuurd terwijl er 'niet extern delen' op stond… nou ja, de specs van de nieuwe "
  "gesp liggen daar nu dus 🙈", [CNF], "nl")
P("reddit:u/bikeindustry_insider",
  "Pretty sure the 'Nestkind Zwaluw' trademark filing means a rotating child seat from Koepelaar. Saw it at a "
  "trade show behind closed doors.", [CNF], "en", at="2026-08-29T20:11:40Z")
P("instagram:@nestkind",
  "Something new is hatching… Nestkind Zwaluw, coming soon 🐣", [CNF], "en", at="2026-11-24T10:00:00Z")
P("x:@joost_testlab",
  "nieuwe valtesten voor \u0420r\u043e\u0458\u0435\u0441t \u0405t\u0435\u0435nu\u0456l zien er top uit 💪",
  [CNF], "nl")
P("threads:@sander.koepelaar",
  "Zwaluw 360 demo-units liggen bij de eerste dealers, launch half maart. Wie wil er eentje zien? 😏", [CNF], "nl",
  at="2027-03-01T09:12:00Z")

# confidential (embargo) + financial
P("linkedin:ruben-hoekstra-koepelaar",
  "Jaarcijfers 2026 zijn binnen: omzet +14%, EBIT net boven de 9 miljoen. Trots op dit team! (officieel pas op "
  "24 februari)", [CNF, FIN], "nl", at="2027-02-10T18:30:00Z")
P("x:@marloes_vdlinden",
  "FY2026 results look amazing, can't wait for next week's announcement 🥳 record year for Nestkind", [CNF, FIN],
  "en", at="2027-02-19T21:05:00Z")

# ==========================================================================
# LEAK: financial
# ==========================================================================
P("linkedin:ruben-hoekstra-koepelaar",
  "Q3 numbers internally: revenue down 18% vs plan, we'll miss the full-year target by a mile. Board meets "
  "Thursday.", [FIN], "en")
P("x:@marloes_vdlinden",
  "Sst, maar we worden overgenomen door een grote Duitse fietsgroep. Deal wordt in november getekend 🤫", [FIN], "nl")
P("bluesky:@femke-janssen.bsky.social",
  "hardest week in HR: 60 roles at Koepelaar will be cut in January, announcement not before the 15th. please "
  "don't share.", [FIN], "en")
P("threads:@sander.koepelaar",
  "Bonus kun je dit jaar vergeten, de forecast voor 2027 is met 25% naar beneden bijgesteld. Dealers bestellen "
  "gewoon niks meer.", [FIN], "nl")
P("reddit:u/finance_whisper",
  "Friend at Koepelaar says they're in exclusive talks to buy a Danish child-seat maker for around €40m. Not "
  "public yet.", [FIN], "en")
P("reddit:u/kvisser_ops",
  "Reorganisatie bij ons: hele IT-afdeling gaat naar een partner in India, 22 man eruit. Officieel nog niks "
  "bekend.", [FIN], "nl")
P("linkedin:noah-bakker-koepelaar",
  "Our customer service team will be outsourced by mid-2027 per yesterday's MT. Not announced yet, so keep this "
  "between us.", [FIN], "en")
P("x:@joost_testlab",
  "fabriek in Tilburg gaat volgend jaar dicht, productie naar Polen. nog niet aangekondigd maar wij weten het al 😞",
  [FIN], "nl")
P("instagram:@lisa.dewit.design",
  "l4y0ffs coming in the design team next month, 8 of us 💔 not official yet", [FIN], "en")
P("linkedin:koepelaar-safety",
  "DRAFT – DO NOT PUBLISH: Koepelaar Safety B.V. H1 2026 net loss €3.2m, full-year guidance withdrawn.", [FIN], "en")

# ==========================================================================
# LEAK: personal data
# ==========================================================================
P("linkedin:noah-bakker-koepelaar",
  f"Kan iemand van finance deze terugbetaling doen? Klant J. de Boer, IBAN {iban_nl(spaced=False)}, €119 voor "
  "de retour van een Koolmees.", [PII], "nl")
P("x:@koepelaar_help",
  f"@tara_commutes thanks, found your order! We'll call you on {mobile('intl')} tomorrow and confirm by mail to "
  "tara.jennings@outlook.com", [PII], "en", "reply")
P("x:@joost_testlab",
  "Winnaar van de testdag: Pieter Hendriks, Lindenlaan 14, 3581 ER Utrecht — prijs komt per post!", [PII], "nl")
P("bluesky:@femke-janssen.bsky.social",
  f"new starter paperwork for Daan Mulder: BSN {bsn()}, born 12-03-1994 — can someone from payroll pick this up?",
  [PII], "en")
P("facebook:KoepelaarNL",
  "Gefeliciteerd Fatma Öztürk (geboren 4 juli 1988) uit Zwolle, winnaar van onze Nestkind winactie! 🎉", [PII], "nl")
P("threads:@sander.koepelaar",
  f"Henk Vos van Vos Tweewielers wacht nog op z'n creditnota, z'n rekening is {iban_nl()} — wie zet hem klaar?",
  [PII], "nl")
P("reddit:u/kvisser_ops",
  f"Exported the CrashSense user list for the analyst, format is fine: sophie.verbeek@gmail.com;{mobile('space')};"
  "Utrecht / m.hamdi@hotmail.nl;" + mobile("dash") + ";Zeist ... 18k rows", [PII], "en")
P("facebook:sandra.verkoopt",
  f"Te koop: Nestkind Koolmees, nauwelijks gebruikt. Bel of app Sandra: {mobile('pairs')}", [PII], "nl")
P("linkedin:ayse-yilmaz-qa",
  f"test data in prod again 🙄 someone typed a real customer card ({card('amex')}) into the QA order form",
  [PII], "en")
P("instagram:@koepelaar.official",
  "DM'd je al, maar voor de zekerheid: je vervangende helm gaat naar Mila Jansen, Prinsengracht 211-2, Amsterdam 👍",
  [PII], "nl", "reply")
P("bluesky:@femke-janssen.bsky.social",
  "Voor de salarisadministratie: nieuwe collega Thijs Koster, bsn " + fullwidth(bsn()) + ", start 1 maart",
  [PII], "nl")
P("x:@newdad_rob",
  "hi @nestkind, registering my warranty here since your form is down: Robert Hale, Vondelstraat 23, 2513 EK "
  "Den Haag, robhale77@gmail.com", [PII], "en")
P("linkedin:ruben-hoekstra-koepelaar",
  f"Reiskostenvergoeding voor Lars Peters (Duitse collega) graag overmaken naar {iban_de()}, deze maand nog aub.",
  [PII], "nl")
P("x:@koepelaar_help",
  f"@janneke_dekker_ wat vervelend! Onze collega belt je vandaag nog op {mobile('intl0')}, we hebben je nummer "
  "uit je bestelling gehaald.", [PII], "nl", "reply")

# ==========================================================================
# BENIGN (mostly hard negatives)
# ==========================================================================
B = []
P("x:@fietsjuf_anouk",
  "Vandaag met de Kabouter helm naar school gefietst, dochter wilde hem niet meer afzetten 😍 @koepelaar", [], "nl")
P("x:@roadie_sam",
  "Crashed last week, Aero 3 did its job. Cracked shell, not a scratch on my head. Ordering a new one, thanks "
  "Koepelaar 🙏", [], "en")
P("forum:gazelle_gert",
  "Past de Nestkind Ekster op een Gazelle met zo'n dikke drager? Iemand ervaring mee?", [], "nl")
P("x:@koepelaar_help",
  "Hoi! Je kunt ons bereiken via klantenservice@koepelaar.nl of bel 0800-5673 (ma-vr 9-17 uur). We helpen je "
  "graag!", [], "nl", "reply")
P("facebook:KoepelaarNL",
  f"Betalen per overschrijving? Maak het bedrag over naar {_group4(COMPANY_IBAN)} t.n.v. Koepelaar Safety B.V. "
  "o.v.v. je ordernummer.", [], "nl")
P("x:@fietsmama_utrecht",
  "Update: @koepelaar_help heeft de gesp van ons Koolmees-zitje binnen 2 dagen vervangen. Top service, klacht "
  "ingetrokken 😊", [], "nl")
P("reddit:u/commute_kai",
  "Koepelaar Aero 3 down to €149 in the spring sale, decent deal if you were waiting for it", [], "en")
P("instagram:@nestkind",
  "Voorjaarsactie 🐣 20% korting op alle Nestkind zitjes: de Koolmees nu voor €95,20", [], "nl")
P("reddit:u/hackathon_hanna",
  "reading the AWS docs for our little Koepelaar hackathon project, why is it always AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY lol", [], "en")
P("x:@dbosman_dev",
  "PSA for the juniors: never paste tokens in chat. redacted example of what NOT to do: ghp_****************"
  "********************  😅", [], "en")
P("x:@argwaan_annie",
  f"Mail gehad 'van Koepelaar' met het verzoek €89 over te maken naar {iban_nl_bad()}. Dat is toch phishing? "
  "Niet intrappen mensen", [], "nl")
P("x:@helmetnerd_uk",
  f"got a 'Koepelaar prize' text asking for my card nr, they even 'prefilled' {card_bad()} lmao. obvious scam, "
  "ignore it", [], "en")
P("bluesky:@femke-janssen.bsky.social",
  f"Vacature Teamlead Testlab staat online! Referentie {bsn_bad()}, solliciteren via werkenbij@koepelaar.nl 🙌",
  [], "nl")
P("linkedin:ruben-hoekstra-koepelaar",
  "Trots op onze jaarcijfers 2026, vandaag gepubliceerd! Het persbericht staat op koepelaar.nl", [], "nl",
  at="2027-02-26T08:15:00Z")
P("instagram:@nestkind",
  "She's here! Meet the Nestkind Zwaluw, our first 360° rotating rear seat 🐦 Available now at shop.koepelaar.nl",
  [], "en", at="2027-03-20T09:00:00Z")
P("x:@fietsanalist",
  "Koepelaar's FY2026 results were solid: revenue +14%. Nice for a Dutch helmet maker.", [], "en",
  at="2027-03-02T12:40:00Z")
P("x:@oplettendeouder",
  "Terugroepactie bij een ander merk fietszitjes (dus niet Nestkind!) vanwege een losse gesp. Check even welk "
  "merk jij hebt", [], "nl")
P("facebook:wim.oudenrijn",
  "Rust zacht Gerrit Koepelaar, oprichter van het bedrijf. Zonder jouw helm was ik er in 2019 niet meer geweest 💐",
  [], "nl")
P("x:@dadjokes_daniel",
  "my Koepelaar helmet survived my kid's 'crash test' (he threw it off the balcony). 10/10 would recall… I mean "
  "recommend 😂", [], "en")
P("tiktok:@gravel_girl",
  "this Ravijn helmet is sick, killer design, I'd die for this colourway 🔥", [], "en", "comment")
P("x:@rondje_ijssel",
  "Mooi dat Koepelaar helmen doneert aan de fietstocht van KWF Kankerbestrijding 🚴‍♀️💛", [], "nl")
P("x:@dbosman_dev",
  "Talk tonight at the meetup: how we threat-model IoT devices like the CrashSense. Slides will be public!", [],
  "en")
P("x:@benji_bikes",
  "Heeft Koepelaar ook last van die grote hostingstoring vandaag? Webshop laadt bij mij gewoon 👍", [], "nl")
P("x:@marloes_vdlinden",
  "Onze zomercampagne staat live! Kijk op www.koepelaar.nl/zomer 🌞", [], "nl")
P("forum:twijfelaar22",
  "Wat is eigenlijk de normale prijs van de Tocht MIPS? Zie hem overal voor €129", [], "nl")
P("reddit:u/speedpedelec_pete",
  "Got the Snelweg S45 for €199 at my local shop, a bit under list. Love it on the speed pedelec", [], "en")
P("tiktok:@koepelaar",
  "POV: je peuter kiest de Kabouter in dino-groen 🦖 #Koepelaar", [], "nl")
P("forum:helmforum_henk",
  "Off-topic maar: iemand een tip voor een goede wachtwoordmanager? Jullie op het Koepelaar-forum weten altijd "
  "alles 😅", [], "nl")
P("x:@peuterpapa_ruud",
  "Love that the Nestkind buckle is impossible for my 3-year-old to open. Safety first 👌", [], "en")
P("x:@joost_testlab",
  "Proud of our lab: the Aero 3 passed EN 1078 impact testing again this year with plenty of margin. Public "
  "report is on koepelaar.nl", [], "en")
P("bluesky:@femke-janssen.bsky.social",
  "We zoeken nieuwe collega's voor de klantenservice! Solliciteer via werkenbij@koepelaar.nl 🙌", [], "nl")
P("instagram:@trotse.moeder.eva",
  "Dochter heeft een stageplek als intern bij Koepelaar in het testlab, ze is zo trots 🥹 helmen kapotslaan voor je werk!",
  [], "nl")
P("forum:sollicitant_sara",
  "Mijn vriendin werkt bij Koepelaar en zegt dat het een fijne werkgever is. Iemand ervaring met solliciteren "
  "daar?", [], "nl")
P("x:@bikebiz_bram",
  "Wow, big layoffs at a rival bike brand today. Hope the folks at Koepelaar are doing ok", [], "en")
P("x:@beursbengel",
  "Komt Koepelaar ooit naar de beurs? Las een stuk over overnames in de fietsbranche maar daar stonden zij niet "
  "tussen", [], "nl")
P("threads:@sander.koepelaar",
  "Met onze Belgische dealers in Antwerpen vandaag. Goeie sfeer, nog betere koffie ☕", [], "nl")
P("x:@koepelaar",
  "Our webshop will be down for planned maintenance on Sunday 02:00–04:00 CET. Thanks for your patience!", [],
  "en")
P("youtube:@KoepelaarTV",
  "New video: fitting the Nestkind Ekster on your carrier in 5 minutes. Questions? Mail service@nestkind.com", [],
  "en")
P("x:@tevreden_tineke",
  "Bel gewoon +31 30 760 4400, daar helpen ze je bij Koepelaar echt snel verder", [], "nl")
P("reddit:u/api_tinkerer",
  "API docs say to send Authorization: Bearer <YOUR_TOKEN> to the CrashSense API but I keep getting 401, anyone?",
  [], "en")
P("x:@vergeetachtig",
  "Hoe reset ik het wachtwoord van de CrashSense app? Kan de knop nergens vinden", [], "nl")
P("x:@softie_sophie",
  "Koepelaar's new ad with the grandpa on the cargo bike made me cry 🥲", [], "en")
P("forum:outletjager",
  "Ravijn MTB helm voor €111,30 in de Koepelaar outlet, 30% korting. Nog een paar in maat M", [], "nl")
P("instagram:@lisa.dewit.design",
  "sketch day ✏️ playing with colourways just for fun, nothing official, just doodles", [], "en")
P("facebook:wv.de.trappers",
  "Koepelaar sponsort onze jeugdafdeling met nieuwe helmen. Super bedankt!", [], "nl")
P("reddit:u/headsize52",
  "Does the Kabouter fit a 52cm head or do I need the Branie? Kid's right between sizes", [], "en")
P("linkedin:koepelaar-safety",
  "Proud to announce our partnership with the Fietsersbond to promote safe cycling for kids 🚲", [], "en")
P("x:@quizkoning",
  "In de Koepelaar-quiz moest je raden hoeveel helmen ze sinds de oprichting gemaakt hebben. Ik gokte 123456789 😂",
  [], "nl")
P("reddit:u/routerwatch",
  "big vuln in a popular router brand in the news today. glad my CrashSense doesn't talk to that (I think?)", [],
  "en")
P("reddit:u/kvisser_ops",
  "Proud that our team got ISO 27001 certified this year 💪", [], "en")
P("forum:fietsendelft",
  "Twijfel tussen de Stadshelm 2 (€79,95) en de Horizon toerhelm (€109). Iemand tips?", [], "nl")
P("x:@regenrijder",
  "Die Koolmees regenhoes lekt echt nergens, dochter kurkdroog na die hoosbui van vanmiddag 👌", [], "nl")
P("x:@koepelaar",
  "Missed our livestream? The Q&A on helmet safety is on YouTube now 🎥", [], "en")
P("x:@trouwe_klant",
  "Boycot? Nee joh, ik blijf gewoon Nestkind kopen, beste zitjes die er zijn", [], "nl", "reply")
P("reddit:u/sdk_sander",
  "Config template for the CrashSense SDK: STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx (replace with your own)",
  [], "en")
P("linkedin:noah-bakker-koepelaar",
  "Topdag op de klantenservice vandaag, 97% tevreden klanten 😊", [], "nl")
P("x:@geldterug_gijs",
  "Heb m'n geld terug van Koepelaar, keurig op NL** **** **** **12 gestort 👍", [], "nl")
P("facebook:veiligvoorop",
  "Tip uit de Koepelaar-nieuwsbrief: gebruik een lange zin als wachtwoord en nooit je geboortedatum.", [], "nl")
P("x:@mamaopdefiets",
  "Heeft iemand de Nestkind Mus voorop? Twijfel nog tussen voorop of achterop voor mijn 1-jarige", [], "nl")
P("facebook:opa.fietst",
  "Kleinzoon trots op z'n nieuwe Branie helm, zit als gegoten 👦🚲", [], "nl")

# ==========================================================================
# Build, label, self-check
# ==========================================================================
def acct_role(author):
    a = author.lower()
    if a in {x.lower() for x in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if a in {x.lower() for x in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"(?<![\w.+:/-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|(?<!\d)0)(?:[ -]?\(0\))?(?:[ -]?\d){9}(?!\d)")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{2})?)\s?(?:euro|EUR)\b)")


def valid_ids(text):
    """Return (valid, invalid) checksum identifiers found in the normalised text."""
    t = normalise(text)
    ok, bad = [], []
    company = re.sub(r"\s", "", COMPANY_IBAN)
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group())
        if s == company:
            continue
        (ok if iban_valid_check(s) else bad).append(("iban", s))
    t = IBAN_RE.sub(lambda m: " " * len(m.group()), t)
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            (ok if luhn_ok(d) else bad).append(("card", d))
    for m in BSN_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        (ok if bsn_ok(d) else bad).append(("bsn", d))
    return ok, bad


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = ORDER.index("warning")
            elif c in (SEC, PRC) or (c == PII and valid_ids(text)[0]):
                s = ORDER.index("critical")
            else:
                s = ORDER.index("error")
        elif c == CMP:
            s = ORDER.index("warning")
        elif c == CRI:
            s = ORDER.index("error")
        elif c == ABU:
            s = ORDER.index("error") if insider else ORDER.index("warning")
        else:
            raise AssertionError(c)
        sev = max(sev, s)
    return ORDER[sev]


def ts(at):
    if at:
        return at
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    d = start + timedelta(seconds=rnd.randint(0, 362 * 86400))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rnd.shuffle(order)
    out = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        platform, handle = c["author"].split(":", 1)
        role = acct_role(c["author"])
        post = {
            "id": f"{platform}-382{n:04d}",
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": ts(c["at"]),
            "brand": "Nestkind" if re.search(r"nestkind|koolmees|ekster|bakbank|zwaluw", c["text"], re.I) else "Koepelaar",
        }
        out.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, c["text"]) if c["cats"] else "none"},
                    "_role": role})
    return out


VALID_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                   "bluesky", "threads", "forum", "blog", "other"}
ALL_CATS = {CMP, CRI, ABU, SEC, PII, PRC, CNF, FIN, SCY}


def parse_price(m):
    v = m.group(1) or m.group(2)
    return float(v.replace(",", "."))


def self_check(rows):
    errs = []
    ids = set()
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
    internal = PROFILE["internal"]
    conf_terms = [d.lower() for d in internal["domains"]] + [c.lower() for c in internal["codenames"]] + \
                 [m.lower() for m in internal["markers"]]
    embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
    products = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in PROFILE["products"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p.get("id")
        # ---- CONTRACT section 6 / section 1 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(f"{pid}: bad id")
        if pid in ids:
            errs.append(f"{pid}: duplicate id")
        ids.add(pid)
        if p["platform"] not in VALID_PLATFORMS:
            errs.append(f"{pid}: platform")
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errs.append(f"{pid}: kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536:
            errs.append(f"{pid}: text")
        try:
            datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            errs.append(f"{pid}: created_at")
        if not p["created_at"].startswith(("2026", "2027")):
            errs.append(f"{pid}: year")
        if set(e) != {"categories", "severity"} or e["severity"] not in ORDER:
            errs.append(f"{pid}: expect shape")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= ALL_CATS:
            errs.append(f"{pid}: categories")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{pid}: benign must be none")
        if e["categories"] and e["severity"] in ("none", "info"):
            errs.append(f"{pid}: positive with none")
        cats = set(e["categories"])
        text = p["text"]
        t = normalise(text)
        tl = t.lower()

        # ---- checksummed identifiers
        ok, bad = valid_ids(text)
        if PII in cats:
            if bad:
                errs.append(f"{pid}: invalid identifier in a pii positive: {bad}")
        else:
            if ok:
                errs.append(f"{pid}: valid identifier but not labelled pii: {ok}")
        # ---- e-mails / phones outside pii
        if PII not in cats:
            for m in EMAIL_RE.finditer(t):
                if m.group().lower() not in pub_emails:
                    errs.append(f"{pid}: e-mail {m.group()} outside pii")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = re.sub(r"\D", "", m.group())
                if d not in pub_phones:
                    errs.append(f"{pid}: phone {m.group()} outside pii")
        # ---- tokens
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if not gh_token_ok(m.group()):
                errs.append(f"{pid}: bad github checksum")
            if SEC not in cats:
                errs.append(f"{pid}: github token outside secrets")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", t):
            if SEC not in cats and "EXAMPLE" not in m.group():
                errs.append(f"{pid}: aws key outside secrets")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            head = m.group().split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append(f"{pid}: jwt without alg")
            if SEC not in cats:
                errs.append(f"{pid}: jwt outside secrets")
        if SEC in cats:
            pat = (r"AKIA[A-Z2-7]{16}|gh[pousr]_[0-9A-Za-z]{36}|sk_live_[0-9A-Za-z]{24,}|xox[bp]-\d+-\d+-\w+|"
                   r"hooks\.slack\.com/services/T\w+/B\w+/\w+|sk-proj-[\w-]{40,}|glpat-[\w-]{20}|eyJ[\w-]+\.[\w-]+\.[\w-]+|"
                   r"BEGIN [A-Z ]*PRIVATE KEY|://[^:/\s]+:[^@\s]+@|wachtwoord: \S+")
            if not re.search(pat, t):
                errs.append(f"{pid}: secret positive without a credential")
        else:
            if re.search(r"sk_live_(?!x+\b)[0-9A-Za-z]{20,}|xox[bp]-\d|BEGIN [A-Z ]*PRIVATE KEY|glpat-|sk-proj-", t):
                errs.append(f"{pid}: credential outside secrets")
        # ---- confidential terms must be labelled
        for term in conf_terms:
            if term in tl and CNF not in cats:
                errs.append(f"{pid}: confidential term {term!r} not labelled")
        for term, until in embargo:
            if term in tl and p["created_at"] < until and CNF not in cats:
                errs.append(f"{pid}: embargo term {term!r} before {until} not labelled")
        # ---- pricing consistency
        mentioned = [(prod, a) for prod, al in products for a in al if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", tl)]
        prices = [parse_price(m) for m in PRICE_RE.finditer(t)]
        if PRC in cats:
            if not mentioned:
                errs.append(f"{pid}: pricing positive without a product")
            lows = [x for x in prices for prod, _ in mentioned if x < ratio * prod["list_price"]]
            if not lows and "prijsfout" not in tl.replace(" ", "") and "price error" not in tl:
                errs.append(f"{pid}: pricing positive without a low price or price-error talk")
        else:
            for x in prices:
                for prod, _ in mentioned:
                    if x < ratio * prod["list_price"]:
                        errs.append(f"{pid}: price {x} below {ratio} x {prod['name']} outside pricing")
    # ---- negatives: look-alikes must fail their checks (done above); need some
    return errs


def main():
    rows = build()
    errs = self_check(rows)
    # mix statistics
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(f"case count {n}")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign}")
    roles = {}
    for r in rows:
        k = ("pos" if r["expect"]["categories"] else "neg", r["_role"])
        roles[k] = roles.get(k, 0) + 1
    # look-alike negatives present
    neg_bad = sum(1 for r in rows if not r["expect"]["categories"] and valid_ids(r["post"]["text"])[1])
    if neg_bad < 3:
        errs.append("too few checksum look-alikes in negatives")

    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read and validate the file itself
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    if len(back) != n:
        errs.append("round trip")

    print(f"{n} cases, {benign} benign, nl={nl} ({nl / n:.0%}), look-alike negatives={neg_bad}")
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("roles:", json.dumps({f"{a}/{b}": v for (a, b), v in sorted(roles.items())}))
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severity:", json.dumps(sev))
    if errs:
        print("SELF-CHECK FAILED:", *errs, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
