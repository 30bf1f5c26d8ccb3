#!/usr/bin/env python3
"""Evaluation set 198 for postwatch: Lichtvaart Glasvezel B.V. (fictional Dutch fibre/TV/phone provider).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file and
self-checks it (checksums of identifiers, credential formats, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml per CONTRACT section 4, embargo and internal terms,
pricing ratios). Exits non-zero when a check fails.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 198
RNG = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# checksum helpers
# ---------------------------------------------------------------------------
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
DIGITS = "0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"
B32UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = ALNUM + "+/"


def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def iban_mod97(compact):
    rearr = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearr)) % 97


def iban_valid(s):
    c = re.sub(r"\s", "", s).upper()
    if len(c) < 5 or c[:2] not in IBAN_LEN or len(c) != IBAN_LEN[c[:2]]:
        return False
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", c):
        return False
    return iban_mod97(c) == 1


def make_iban(cc="NL"):
    if cc == "NL":
        bank = RNG.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
        bban = bank + rand(DIGITS, 10)
    elif cc == "BE":
        bban = rand(DIGITS, 12)
    else:
        bban = rand(DIGITS, 18)
    chk = 98 - iban_mod97(cc + "00" + bban)
    out = "%s%02d%s" % (cc, chk, bban)
    assert iban_valid(out)
    return out


def make_bad_iban(cc="NL"):
    good = make_iban(cc)
    while True:
        chk = int(good[2:4])
        new = "%02d" % ((chk + RNG.randint(1, 96)) % 100)
        bad = good[:2] + new + good[4:]
        if not iban_valid(bad):
            return bad


def fmt_iban(s, spaced):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def make_card(prefix):
    body = prefix + rand(DIGITS, 15 - len(prefix))
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def make_bad_card(prefix):
    good = make_card(prefix)
    last = str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    bad = good[:-1] + last
    assert not luhn_ok(bad)
    return bad


def fmt_card(s, sep):
    return sep.join(s[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0


def make_bsn():
    while True:
        cand = RNG.choice("123456789") + rand(DIGITS, 8)
        if bsn_ok(cand):
            return cand


def make_bad_bsn():
    while True:
        cand = RNG.choice("123456789") + rand(DIGITS, 8)
        if not bsn_ok(cand):
            return cand


# ---------------------------------------------------------------------------
# credential generators (built the way the real ones are)
# ---------------------------------------------------------------------------
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_checksum_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([A-Za-z0-9]{30})([A-Za-z0-9]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def make_gh(prefix="ghp"):
    body = rand(ALNUM, 30)
    tok = "%s_%s%s" % (prefix, body, b62(zlib.crc32(body.encode()), 6))
    assert gh_checksum_ok(tok)
    return tok


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-provisioning", "iss": "auth.lichtvaart.nl",
                                 "scope": "lines:write", "iat": 1767600000 + RNG.randint(0, 9999999),
                                 "exp": 1799136000}, separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_ssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" + \
        bytes(RNG.getrandbits(8) for _ in range(330))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    "iban": lambda: make_iban("NL"),
    "iban_s": lambda: fmt_iban(make_iban("NL"), True),
    "iban_be": lambda: fmt_iban(make_iban("BE"), True),
    "bad_iban": lambda: make_bad_iban("NL"),
    "bad_iban_s": lambda: fmt_iban(make_bad_iban("NL"), True),
    "card": lambda: fmt_card(make_card("4"), " "),
    "card_mc": lambda: fmt_card(make_card("5" + RNG.choice("12345")), "-"),
    "card_plain": lambda: make_card("4"),
    "bad_card": lambda: fmt_card(make_bad_card("5" + RNG.choice("12345")), " "),
    "bsn": make_bsn,
    "bsn_dot": lambda: (lambda b: "%s.%s.%s" % (b[:4], b[4:6], b[6:]))(make_bsn()),
    "bad_bsn": make_bad_bsn,
    "company_iban": lambda: fmt_iban(PROFILE["public_identifiers"]["ibans"][0], True),
    "ghp": lambda: make_gh("ghp"),
    "ghs": lambda: make_gh("ghs"),
    "aws_id": lambda: "AKIA" + rand(B32UP, 16),
    "aws_secret": lambda: rand(B64, 40),
    "stripe": lambda: "sk_live_51" + rand(ALNUM, 97),
    "slack": lambda: "xoxb-%s-%s-%s" % (rand(DIGITS, 12), rand(DIGITS, 13), rand(ALNUM, 24)),
    "openai": lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "anthropic": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "glpat": lambda: "glpat-" + rand(URLSAFE, 20),
    "gapi": lambda: "AIza" + rand(URLSAFE, 35),
    "jwt": make_jwt,
    "sshkey": make_ssh_key,
    "dbpw": lambda: rand(ALNUM, 12) + RNG.choice("-_.~") + rand(ALNUM, 6),
}


def fill(text):
    return re.sub(r"<<(\w+)>>", lambda m: GEN[m.group(1)](), text)


# evasion helpers
def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zw(word):
    return "\u200b".join(word)


CYR = str.maketrans({"a": "\u0430", "o": "\u043e", "e": "\u0435", "c": "\u0441", "p": "\u0440", "i": "\u0456"})


def cyr(s):
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "abuse": "reputation.abuse", "crisis": "reputation.crisis",
    "pii": "leak.pii", "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "pricing": "leak.pricing",
}
CASES = []


def C(platform, handle, lang, cats, text, kind=None, when=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=sorted(CAT[c] for c in cats), text=text, kind=kind, when=when, name=name))


# ---- complaints -----------------------------------------------------------
C("x", "@kimvanleeuwen88", "nl", ["complaint"],
  "@lichtvaart_zorg al 3 dagen geen internet in Vathorst en jullie chat zegt alleen 'we kijken ernaar'. ik werk thuis ffs. #lichtvaart",
  kind="reply")
C("reddit", "u/throwaway_utrecht_22", "en", ["complaint"],
  "Lichtvaart installer was supposed to come between 8 and 13. It's now 16:40. No call, no text, nothing. Took a day off work for this. Is this normal with them??")
C("facebook", "Gerda.Mulder.54", "nl", ["complaint"],
  "Sinds we zijn overgestapt naar Lichtvaart valt de tv elke avond rond acht uur uit. Beeld bevriest, geluid loopt gewoon door. Kijkdoos al twee keer gereset, helpt niks. Heeft iemand anders dit ook??")
C("x", "@dan_in_delft", "en", ["complaint"],
  "paying for Glasvezel 1 Gbit and the speedtest says 94 Mbps on a cable. every. single. evening. @lichtvaart what am I paying for exactly")
C("x", "@ftmkaya", "nl", ["complaint"],
  "wtf @lichtvaart ik heb in mei opgezegd en jullie schrijven NOG STEEDS elke maand af 😤 3e keer bellen, 45 min in de wacht, 'ticket aangemaakt'")
C("x", "@mjbrouwer", "en", ["complaint"],
  "Day 11 without a working landline. My mum is 84 and that phone is her lifeline. @lichtvaart_zorg keeps sending me the same copy-paste DM.")
C("forum", "Piet_K", "nl", ["complaint"],
  "Lumen 7 herstart elke nacht om 03:00 sinds firmware 7.2.1, en dan zijn al mijn DECT-toestellen hun koppeling kwijt. Helpdesk van Lichtvaart zegt 'bekend probleem', maar na vijf weken nog geen oplossing of zelfs maar een tijdlijn.")
C("instagram", "@lisa.bakt.taartjes", "nl", ["complaint"],
  "monteur van lichtvaart heeft dwars door mijn nieuwe pvc-vloer geboord en de troep 'vergeten' op te ruimen 🙃 twee weken later nog steeds geen reactie op mijn mail. top service hoor")
C("x", "@sportsnut_ajax", "en", ["complaint"],
  "Sportpakket froze right as the penalty was taken. AGAIN. third match this month, Lichtvaart sort your streams out 😡 #buffering")
C("tiktok", "@nightshift.nina", "en", ["complaint"],
  "pov: you moved house 6 weeks ago and lichtvaart STILL hasnt activated your fibre so you're hotspotting off your phone like its 2009 🫠 #lichtvaart #fibre #movingday")
C("reddit", "u/dutchgamer_ttv", "en", ["complaint"],
  "anyone else on lichtvaart suddenly getting 40ms to frankfurt instead of 9? their routing has been garbage since last week, ranked is literally unplayable")
C("facebook", "Mark.Oosterhout", "en", ["complaint"],
  "Ordered the WiFi Booster Duo three weeks ago. Paid upfront. Tracking hasn't moved past 'label created'. Lichtvaart support: 'please be patient'. Great stuff.")
C("bluesky", "@annemiekj.bsky.social", "en", ["complaint"],
  "Lichtvaart promised in writing I could keep my landline number when I switched. The number is gone and apparently 'cannot be restored'. Same number for 31 years. Thanks a lot.")
C("x", "@rrrrobin_", "nl", ["complaint"],
  "@lichtvaart_zorg nee het is NIET opgelost, kijkdoos geeft nog steeds 'geen signaal' en ik heb al 3x de stekker eruit gehad", kind="reply")
C("x", "@boze_bert", "nl", ["complaint", "abuse"],
  "Lichtvaart is echt het grootste kutbedrijf van NL. 4 dagen zonder internet en die helpdesk-idioten hangen gewoon op als je doorvraagt")
C("x", "@jaydee_rtm", "en", ["complaint", "abuse"],
  "lichtvaart support are absolute clowns. 2 hours on hold to be told to turn it off and on again. useless f*cking morons the lot of them")
C("x", "@wendy_vd_linden", "nl", ["complaint", "pii"],
  "@lichtvaart_zorg bel me nou gewoon terug ipv DM's!! 06-41 28 73 90, ik ben de hele dag thuis want jullie monteur komt toch niet opdagen",
  kind="reply")
C("x", "@tomasz_nl", "en", ["complaint", "pii"],
  "@lichtvaart_zorg your form keeps erroring out. my account email is tomasz.wisniewski83@gmail.com and postcode 3511 KJ, can someone please just fix my billing address manually",
  kind="reply")
C("facebook", "Ria.Smeets.7", "nl", ["complaint", "pii"],
  "Al twee maanden dubbel afgeschreven door Lichtvaart!! Van mijn rekening <<iban_s>>, twee keer €71,45 😡 Wie kan me helpen, bij de klantenservice neemt niemand op.")

# ---- abuse ------------------------------------------------------------------
C("instagram", "@xx.sloopkogel.xx", "nl", ["abuse"],
  "die femke van lichtvaart met haar 'kijk mij eens op de ladder' filmpjes is echt een lelijke trut, iemand moet haar eens een lesje leren",
  kind="comment")
C("x", "@anon_8812_", "en", ["abuse"],
  "@noor_hendriks_lv nobody asked for your marketing garbage. go back to your own country", kind="reply")
C("x", "@gl4sv3z3l_h8r", "nl", ["abuse"],
  "l1chtv44rt = k4nk3rb3dr1jf. st1k m3t j3 gl4sv3z3l, st3ll3tj3 tyfusl1jd3rs")
C("reddit", "u/rentseeker_watch", "en", ["abuse"],
  "Lichtvaart's CEO is a greedy pig and honestly everyone working there is a brain-dead leech feeding off pensioners")
C("x", "@dennis_monteur", "nl", ["abuse"],
  "klant vandaag noemde me een 'domme Marokkaan'. Nou die domme Marokkaan heeft wel even je glasvezel werkend gekregen, sukkel 🙄 ga lekker je eigen kabels trekken volgende keer, debiel")
C("x", "@lichtvaart_zorg", "nl", ["abuse"],
  "@boze_bert misschien eerst leren lezen voordat je gaat janken, idioot. je storing is al twee uur opgelost", kind="reply")
C("x", "@tante_truus_2", "nl", ["abuse"],
  fw("lichtvaart klantenservice") + " = " + fw("tyfuslijers") + " 🤬")
C("x", "@scheldkanon", "nl", ["abuse"],
  "hé @ruben_kuipers, jij bent die netwerk-nerd van lichtvaart toch? weet waar je woont maat. pas maar op jij vuile rat")
C("facebook", "Johnny.Vermeulen.1977", "nl", ["abuse"],
  "Lichtvaart zijn vuile " + cyr("klootzakken") + " en " + cyr("oplichters") + ", allemaal")

# ---- crisis -----------------------------------------------------------------
C("x", "@privacywaakhond", "nl", ["crisis"],
  "Mijn gegevens bij Lichtvaart gelekt? Sinds gisteren phishingmails met mijn klantnummer én mijn exacte abonnement erin. Dat kan alleen via hen. #datalek #lichtvaart")
C("x", "@securitymarten", "en", ["crisis"],
  "Looks like Lichtvaart customer data is up for sale on a forum: names, addresses, contract type, 40k-row sample posted. Not a word from Lichtvaart so far. #databreach")
C("x", "@consumentenclub", "nl", ["crisis"],
  "Wij starten een collectieve claim tegen Lichtvaart vanwege structureel te lage snelheden. Klant en gedupeerd? Meld je aan via de link in onze bio. #massaclaim")
C("facebook", "Buurtapp.Leusden.Zuid", "nl", ["crisis", "complaint"],
  "BOYCOT LICHTVAART! Ze graven hele straten open en laten de boel maandenlang liggen, mijn buurvrouw is over een losse stoeptegel gevallen. Neem daar geen abonnement meer. #boycotlichtvaart")
C("x", "@nieuwsflits_nl", "en", ["crisis"],
  "BREAKING: Lichtvaart recalls Lumen 6 modems after reports of power adapters overheating; two house fires in Gelderland under investigation.")
C("x", "@kleindochter_van_truus", "nl", ["crisis"],
  "Monteur van Lichtvaart heeft bij het boren de gasleiding geraakt, hele straat in Hoogeveen geëvacueerd. Dit is gewoon levensgevaarlijk!!")
C("reddit", "u/fibre_skeptic", "en", ["crisis"],
  "Did anyone see that the ACM is investigating Lichtvaart for misleading '1 Gbit' ads? Article says a class action is already being prepared.")
C("x", "@ict_juriste", "nl", ["crisis"],
  "Consumentenorganisatie heeft Lichtvaart gedagvaard vanwege oneerlijke opzegvoorwaarden. Zaak dient in april bij de rechtbank Midden-Nederland.")
C("x", "@hackerwatch_eu", "en", ["crisis"],
  "Lichtvaart's customer portal was serving other customers' invoices if you changed the number in the URL. Reported it 2 months ago, no fix, no reply. Your data is not safe with them.")
C("tiktok", "@privacy.panda", "nl", ["crisis"],
  "lichtvaart monteur filmt bínnen in huizen van klanten en zet dat op zijn eigen tiktok?? echt een schandaal, privacy van klanten boeit ze niks #lichtvaart #schandaal")
C("x", "@zorgvoorouderen", "en", ["crisis"],
  "Stop giving Lichtvaart your money. They are cutting elderly people's landlines without warning, people who can't even call 112. #BoycottLichtvaart")
C("x", "@buurtwacht_zwolle", "nl", ["crisis"],
  "Een 'monteur' die bij ouderen langskwam in een Lichtvaart-jas bleek een oplichter, pinpassen meegenomen. Lichtvaart weigert te reageren. Schandalig.")
C("linkedin", "eva-schippers-journalist", "en", ["crisis"],
  "Sources tell me Lichtvaart call-centre staff in Heerlen were pushed into weeks of unpaid overtime. The labour inspectorate has now opened an investigation.")
C("x", "@woedende_wim", "nl", ["crisis", "abuse"],
  "Lichtvaart lekt onze gegevens en die klootzakken zeggen helemaal niks. Tyfuslijers. #datalek")
C("x", "@buurvrouw_van_bep", "nl", ["crisis"],
  zw("datalek") + " bij Lichtvaart?? al mijn buren krijgen sinds maandag nep-telefoontjes van 'de helpdesk' die precies weten welk pakket ze hebben")

# ---- personal data ------------------------------------------------------------
C("x", "@lichtvaart_zorg", "nl", ["pii"],
  "@kimvanleeuwen88 Hoi Kim, de monteur komt do 14/5 tussen 8 en 12 uur naar Vathorster Zoom 41 in Amersfoort. Klopt je nummer 06 29 84 71 03 nog? ^Lotte",
  kind="reply")
C("bluesky", "@lottevos.bsky.social", "nl", ["pii"],
  "lol klant belde vandaag, wilde per se dat zijn BSN op de factuur kwam en las 'm gewoon hardop voor: <<bsn>>. nee meneer, dat hoort daar niet 😂")
C("facebook", "LichtvaartNL", "nl", ["pii"],
  "Beste meneer Jansen, de terugbetaling van €64,95 wordt deze week overgemaakt naar <<iban_s>> t.n.v. P.J. Jansen. Excuses voor het ongemak!",
  kind="reply")
C("linkedin", "yasmina-bouzid-lichtvaart", "nl", ["pii"],
  "Welkom aan onze nieuwe collega Sjoerd Veenstra (geboren 12-03-1991)! Sjoerd start maandag bij het NOC in Utrecht. Zet hem maar flink aan het werk 😉")
C("x", "@dennis_monteur", "nl", ["pii"],
  "mooie klus vandaag bij mevrouw Hoekstra, Kerkstraat 8 in Dokkum. 92 jaar en nog zo scherp als wat 💪 glasvezel erin en ze belde meteen haar kleinzoon in Canada")
C("x", "@marloes_fietst", "nl", ["pii"],
  "@lichtvaart_zorg mijn creditcard <<card>> (exp 09/28) wordt steeds geweigerd in jullie webshop, wat doe ik fout?",
  kind="reply")
C("instagram", "@lichtvaart.nl", "nl", ["pii"],
  "@sophie.visuals we hebben je orderbevestiging opnieuw gestuurd naar sophie.de.ruiter@hotmail.com, check even je spam! 📬",
  kind="reply")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["pii", "sec"],
  "look what's sitting in our ticketing system in plain text: <<card_mc>>, CVC right next to it. customers just paste it in the chat and nobody scrubs it. we're one export away from a very bad day")
C("reddit", "u/recycling_detective", "en", ["pii"],
  "My neighbour's Lichtvaart contract got dumped in our paper bin: name R. Pronk, IBAN <<iban>>, date of birth 4 Feb 1967. Who do I even give this to?")
C("x", "@ruben_kuipers", "en", ["pii"],
  "can someone ring Jeroen from facilities? +31 6 1855 2047 - he's stuck outside the locked gate in Nieuwegein with the new racks")
C("x", "@de_echte_gijs", "en", ["pii"],
  "Lichtvaart's sign-up form asks for your BSN?! I just filled it in: <<bsn_dot>>. Is that normal or should I be worried??")
C("instagram", "@femke.op.de.ladder", "nl", ["pii"],
  "werkbon van vandaag 📋 dhr. T. Kramer, tel +31 6 4410 9921, tkramer1958@gmail.com, aansluiting op zolder want 'beneden is geen plek' 🙃 #monteurslife")

# ---- confidential -------------------------------------------------------------
C("x", "@noor_hendriks_lv", "nl", ["conf"],
  "kan echt niet wachten tot we Project Zeearend mogen laten zien 🤫 heel Twente gaat ervan smullen")
C("linkedin", "sanne-de-graaf-lv", "en", ["conf"],
  "Proud of the team: the Blauwvinger beta is now running in 300 test households and the new TV guide is sooo much faster. More soon!")
C("x", "@lichtvaart", "nl", ["conf"],
  "Binnenkort in jullie woonkamer: Kijkdoos 8K 🎬 meer info volgt!", when="2026-11-19T16:02:00Z")
C("reddit", "u/jort_netops", "en", ["conf"],
  "fwiw grafana.noc.lichtvaart.local shows the Zwolle POP as perfectly fine right now, so it's probably your ONT. ring support and ask for a swap",
  kind="comment")
C("x", "@fleur_in_de_polder", "nl", ["conf"],
  "vriend van me werkt bij lichtvaart en zegt dat 'Operatie Kraanvogel' betekent dat ze het oude koper helemaal gaan uitzetten. dus je vaste lijn via koper kun je vergeten")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["conf"],
  "anyone else seeing gitlab.lv-intern.nl time out from home today? VPN says connected, pipelines just hang")
C("x", "@ruben_kuipers", "en", ["conf"],
  "@jort_netops see https://jira.lichtvaart.nl/browse/NET-4412 - you grabbing this one or shall I?", kind="reply")
C("linkedin", "maarten-van-dijk-7b2", "en", ["conf"],
  "Great session with the leadership team today. Slide 4 (marked LICHTVAART INTERN) showed where we're heading in 2027: fewer regions, sharper focus. Exciting times!")
C("instagram", "@lichtvaart.nl", "nl", ["conf"],
  "Sneak peek 👀 Glasvezel 8 Gbit komt eraan. Wie wil 'm als eerste testen? 🙋", when="2026-12-03T11:30:00Z")
C("x", "@noor_hendriks_lv", "en", ["conf"],
  "the new brand campaign deck is stamped 'niet extern delen' but honestly it's too good not to share a tiny bit 😅 tagline: 'Licht aan, wereld aan'")
C("x", "@ellenvdberg", "en", ["conf"],
  "lol got a Lichtvaart survey mail and the 'take survey' button points to intranet.lichtvaart.local/surveys/q3-churn. nice one guys")
C("x", "@dennis_monteur", "nl", ["conf"],
  "P r o j e c t  Z e e a r e n d gaat volgende maand live in Enschede 🤐 wij monteurs weten alles eerst")
C("x", "@zwager_van_koen", "nl", ["conf"],
  "Mijn zwager test thuis " + cyr("Blauwvinger") + ", de nieuwe tv-app van Lichtvaart, en volgens hem is het 10x sneller dan nu")
C("x", "@femke_ladder_fan", "nl", ["conf"],
  "heb een monteur gesproken die al met de Kijkdoos 8K rondloopt, beeld schijnt belachelijk scherp te zijn 🤯", when="2026-12-14T19:45:00Z")
C("x", "@ruben_kuipers", "nl", ["conf", "fin"],
  "in de trein aan het 'LICHTVAART INTERN' deck over het opsplitsen van klantenservice in drie regio's. 1 op de 4 teamleads verdwijnt. fijne dinsdag")
C("x", "@glasvezel_insider", "en", ["conf", "fin"],
  "Hearing Lichtvaart's FY2026 results will show the first loss in five years, mainly because of the rollout in the east.",
  when="2027-01-30T08:15:00Z")

# ---- financial ----------------------------------------------------------------
C("linkedin", "maarten-van-dijk-7b2", "en", ["fin"],
  "Strong close to the year: internally we're landing around €412m revenue, well ahead of guidance. Can't say more until the numbers are out 😉")
C("x", "@noor_hendriks_lv", "en", ["fin"],
  "word in the corridor is we're being bought by a German private equity fund. the due diligence people were in the boardroom all day 👀")
C("linkedin", "yasmina-bouzid-lichtvaart", "en", ["fin"],
  "Tough weeks ahead: around 220 customer service roles will go in Q1. I'm already looking for new homes for some brilliant people, DM me if you're hiring.")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["fin"],
  "next year's forecast has churn at 14% in the Randstad and the board is quietly panicking. guess the security budget just got smaller")
C("reddit", "u/curious_in_maastricht", "en", ["fin"],
  "My dad sits on Lichtvaart's supervisory board and let slip they're buying a regional fibre company in Limburg for about €90m, announcement in March.")
C("reddit", "u/jort_netops", "nl", ["fin"],
  "EBITDA-marge Q3 zit op 31% volgens het board memo, markt rekent op 26. als we beursgenoteerd waren zou ik nu kopen 😂 oh wacht", kind="comment")
C("bluesky", "@lottevos.bsky.social", "nl", ["fin"],
  "vandaag gehoord dat het callcenter in Heerlen dichtgaat en alles naar een extern bureau gaat. 80 collega's. nog niet officieel, ik ben er kapot van")
C("x", "@noor_hendriks_lv", "nl", ["fin"],
  "de " + zw("overname") + " van Kabelnet Oost is rond, vrijdag wordt er getekend 🥂")
C("x", "@bierviltje_bas", "en", ["fin"],
  "Heard from a Lichtvaart sales director at a party: they'll miss the 2026 subscriber target by about 60k and the CFO is leaving in spring.")
C("linkedin", "sanne-de-graaf-lv", "en", ["fin"],
  "Our TV budget gets cut by 35% next year, so goodbye new features for a while. Not announced yet, but the team can already feel it.")

# ---- security -----------------------------------------------------------------
C("reddit", "u/jort_netops", "en", ["sec"],
  "heads up: we've had a route leak at AMS-IX since 14:10, roughly 30% of customers degraded. not on the status page yet, don't quote me",
  kind="comment")
C("x", "@ruben_kuipers", "en", ["sec"],
  "core router in Zwolle just died, all of Overijssel is down. status page is lagging behind, we're on it")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["sec"],
  "so the Lumen 7 firmware ships with an unauthenticated telnet on port 2323. reported internally three weeks ago, no patch scheduled. fun times")
C("bluesky", "@lottevos.bsky.social", "en", ["sec"],
  "omg, someone at work clicked a phishing mail and now the whole CRM is locked up. we're told to say 'technical issue' to customers and nothing else")
C("x", "@lichtvaart_zorg", "en", ["sec"],
  "@dan_in_delft You're right, the slow speeds are caused by a ransomware attack on our provisioning platform. We haven't announced it yet, sorry!",
  kind="reply")
C("linkedin", "maarten-van-dijk-7b2", "en", ["sec"],
  "Rough week. Someone got into our billing database through an old VPN account that was never switched off. The board wants it kept quiet until we know the scope.")
C("x", "@dennis_monteur", "nl", ["sec"],
  "alle monteurs-tablets vanochtend gewist door een 'update', we kunnen geen werkbonnen openen. alle installaties in heel NL liggen stil en er is nog niks naar buiten gebracht")
C("x", "@ruben_kuipers", "nl", ["sec"],
  "D.D.o.S op onze DNS sinds 06:00, half Brabant kan niet browsen. niet verder vertellen, persbericht komt misschien vanmiddag")
C("x", "@frankie_fiets", "en", ["sec"],
  "friend who works at Lichtvaart says tonight's TV outage is a bad config push and they have no rollback. won't be back before midnight, don't wait up")
C("linkedin", "sanne-de-graaf-lv", "nl", ["sec"],
  "Kleine bug in de Kijkdoos 4K: met de standaardpincode 0000 kom je gewoon langs het kinderslot. Fix komt pas in maart. Zeg ik natuurlijk niet officieel 🙊")
C("reddit", "u/jort_netops", "en", ["sec", "conf"],
  "vpn.lichtvaart.nl cert expired this morning, the entire support floor can't log in. someone forgot to renew it. customers will notice by lunch")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["sec"],
  "pentest report landed: 4 critical findings on mijn.lichtvaart.nl, including an IDOR on invoices. none fixed yet obviously")

# ---- secrets --------------------------------------------------------------------
C("mastodon", "@bramdekker@mastodon.nl", "en", ["secret"],
  "who committed this to the PUBLIC repo 🙃\n\nAWS_ACCESS_KEY_ID=<<aws_id>>\nAWS_SECRET_ACCESS_KEY=<<aws_secret>>\n\nrotating now, but come on")
C("x", "@ruben_kuipers", "en", ["secret"],
  "any idea why this token gets a 401 on our org? <<ghp>> created it only yesterday")
C("reddit", "u/jort_netops", "en", ["secret", "conf"],
  "try this in your .env and see if the migration runs:\nDATABASE_URL=postgres://provision:<<dbpw>>@db01.noc.lichtvaart.local:5432/provisioning",
  kind="comment")
C("linkedin", "sanne-de-graaf-lv", "nl", ["secret"],
  "Voor de demo morgen op de beurs: inloggen op de testkijkdozen met gebruiker demo en wachtwoord: Kijk!Doos#2026beurs. Tot morgen!")
C("x", "@lichtvaart", "en", ["secret"],
  "testing our new alert bot 🤖 token: <<slack>> (ignore this post)")
C("bluesky", "@lottevos.bsky.social", "nl", ["secret"],
  "welkom nieuwe collega's! wifi op kantoor Utrecht: netwerk LV-Staff, ww: Lichtv@art-Utr3cht!26 ☕")
C("x", "@apk_teardown", "en", ["secret"],
  "decompiled the Lichtvaart Android app for fun and the payment module has a live Stripe key baked in: <<stripe>> 🤦")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["secret"],
  "if someone could tell me why the jump host rejects this key I'd be grateful\n\n<<sshkey>>")
C("reddit", "u/jort_netops", "nl", ["secret"],
  "curl -H 'Authorization: Bearer <<jwt>>' https://api.lichtvaart.nl/v2/lines/status geeft bij mij 200, bij jou niet?",
  kind="comment")
C("x", "@noor_hendriks_lv", "en", ["secret"],
  "our chatbot demo keeps crashing 😩 anyone? ANTHROPIC_API_KEY=<<anthropic>> model is set right I think")
C("mastodon", "@bramdekker@mastodon.nl", "en", ["secret", "conf"],
  "git clone https://oauth2:<<glpat>>@gitlab.lv-intern.nl/noc/provisioning.git -- works for me, does it for you?")
C("x", "@appsec_anouk", "en", ["secret"],
  "Lichtvaart TV app has a hardcoded Google Maps key with no restrictions: <<gapi>> - someone is going to run up quite a bill on that")

# ---- pricing --------------------------------------------------------------------
C("x", "@lichtvaart", "nl", ["pricing"],
  "🔥 Flash deal: Lumen 7 modem vandaag voor €24,90! Op = op.")
C("x", "@koopjesjager_nl", "nl", ["pricing"],
  "PRIJSFOUT bij Lichtvaart!! Kijkdoos 4K voor €14,90 in de webshop, snel zijn 🏃‍♂️ #prijsfout #deal")
C("forum", "dealhunter_82", "nl", ["pricing"],
  "Glasvezel 4 Gbit voor €9,95 p/m in de Lichtvaart bestelstraat. Lijkt me een fout, maar heb 'm toch besteld, benieuwd of ze het nakomen")
C("x", "@noor_hendriks_lv", "en", ["pricing"],
  "oops, the homepage banner says Sportpakket €2.49 a month 🙈 should be €24.95, colleagues are fixing it")
C("reddit", "u/bargainbin_nl", "en", ["pricing"],
  "Lichtvaart webshop has the WiFi Booster Duo at €19 right now. price glitch? ordered two anyway")
C("x", "@meshmaniac", "en", ["pricing"],
  "Baken mesh for €12.90?? Lichtvaart what is going on lol, adding five to cart")
C("x", "@lichtvaart_zorg", "nl", ["pricing"],
  "@jelle_bouwt Klopt, de Installatie Premium kost geen €14,90 zoals in onze nieuwsbrief stond. Dat was een tikfout, excuses!",
  kind="reply")
C("linkedin", "sanne-de-graaf-lv", "nl", ["pricing"],
  "Testprijs voor de Kijkdoos Mini staat in het nieuwe systeem op €8,90, dat gaat live voor de black week. Pls niet doorvertellen 😅")
C("forum", "Wouter_T", "nl", ["pricing"],
  "Lumen 6 voor 5 euro via een link op de site van lichtvaart zelf?? prijsfout lijkt me, wie durft")
C("x", "@cheapskate_chris", "en", ["pricing"],
  "Bellen Onbeperkt is showing €1.50/month on the Lichtvaart site. Either a price error or the deal of the century")
C("x", "@dennis_monteur", "nl", ["pricing"],
  "klanten appen me allemaal omdat de Praatpaal DECT-telefoon op de site voor €5,90 staat haha, wie heeft dat erin gezet")
C("tiktok", "@budget.babe", "nl", ["pricing"],
  "lichtvaart heeft alles-in-1 voor €19,50 per maand ipv €89,50 ik ga NU bestellen 😭 #prijsfout #lichtvaart")

# ---- benign / hard negatives ----------------------------------------------------
C("x", "@blije_bas", "nl", [],
  "Eindelijk glasvezel via Lichtvaart en wow, 940 Mbit down 😍 monteur was supervriendelijk en ruimde alles netjes op")
C("x", "@maryam_codes", "en", [],
  "Shoutout to the Lichtvaart installer who also fixed my neighbour's dodgy cable while he was here. absolute legend")
C("x", "@rrrrobin_", "nl", [],
  "@lichtvaart_zorg top, storing is opgelost en jullie hebben de maand gecrediteerd. dankjulliewel!", kind="reply")
C("x", "@lichtvaart_zorg", "nl", [],
  "Storing? Kijk op status.lichtvaart.nl of bel gratis 0800-0455. Mailen kan ook: klantenservice@lichtvaart.nl 💙")
C("facebook", "LichtvaartNL", "nl", [],
  "Liever zelf overmaken? Ons rekeningnummer is <<company_iban>> t.n.v. Lichtvaart Glasvezel B.V., vermeld altijd je klantnummer.")
C("instagram", "@lichtvaart.nl", "nl", [],
  "☀️ Zomeractie: Glasvezel 1 Gbit zes maanden lang voor €52 per maand (normaal €65). Alleen in juli!")
C("x", "@lichtvaart", "nl", [],
  "Black Friday bij Lichtvaart 🖤 Lumen 7 modem €199 ipv €249, WiFi Booster Duo nu €159. Op = op.")
C("mastodon", "@bramdekker@mastodon.nl", "en", [],
  "PSA for our API docs readers: AKIAIOSFODNN7EXAMPLE in the sample config is the standard AWS placeholder, not a leak. please stop opening tickets about it 😅")
C("reddit", "u/homelab_henk", "nl", [],
  "in mijn config staat token = ghp_************************************ (geredacteerd natuurlijk), verder gewoon de standaard setup voor de Lumen 7")
C("threads", "@lichtvaart.nl", "nl", [],
  "Wachtwoord vergeten? Via mijn.lichtvaart.nl vraag je in twee minuten een nieuw wachtwoord aan. Wij vragen er nooit naar via telefoon of WhatsApp.")
C("x", "@oplettende_oma", "nl", [],
  "Kreeg een sms dat ik €89 moet overmaken naar <<bad_iban_s>> 'namens Lichtvaart'. Dat is toch phishing? Heb 'm niet betaald hoor")
C("x", "@ongeduldige_olaf", "nl", [],
  "@lichtvaart_zorg bestelnummer <<bad_card>>, wanneer wordt mijn Kijkdoos Mini verzonden? geen haast hoor, gewoon benieuwd", kind="reply")
C("forum", "Annet_R", "nl", [],
  "Voor wie het zoekt: mijn ordernummer was <<bad_bsn>> en de Baken mesh-punt werd binnen twee dagen bezorgd. Installeren ging makkelijk via de app.")
C("x", "@techpraat_nl", "nl", [],
  "Concurrent Glasnet Noord meldt een datalek bij een leverancier, 12.000 klanten getroffen. Goed dat ze het meteen melden.")
C("instagram", "@kat_de_kater_", "nl", [],
  "mijn kat heeft de glasvezelkabel doorgebeten 😹 lichtvaart kan er niks aan doen maar ik ben wel de hele avond offline lol")
C("reddit", "u/overstapper_2026", "nl", [],
  "Weet iemand of de Kijkdoos Mini ook Netflix en Videoland heeft? Denk erover om naar Lichtvaart over te stappen")
C("x", "@stormchaser_nl", "nl", [],
  "Respect voor de monteurs van Lichtvaart die vannacht in de storm kabels stonden te repareren 🙏 sterkte jongens en meiden")
C("linkedin", "lichtvaart-glasvezel", "nl", [],
  "Onze jaarcijfers 2026 staan online: 9% meer aansluitingen en een stabiele omzet. Lees het volledige persbericht op lichtvaart.nl/pers",
  when="2027-02-24T07:30:00Z")
C("x", "@lichtvaart", "nl", [],
  "Hij is er! De Kijkdoos 8K is vanaf vandaag te bestellen 🎬 #lichtvaart", when="2027-03-16T09:05:00Z")
C("x", "@noor_hendriks_lv", "nl", [],
  "Trots dat Glasvezel 4 Gbit nu ook in Deventer beschikbaar is 🎉 wie gaat er overstappen?")
C("x", "@vogelaar_jan", "nl", [],
  "Vandaag een zeearend gespot bij de Oostvaardersplassen 🦅 en 's middags nog honderden kraanvogels over. Wat een dag!")
C("bluesky", "@lottevos.bsky.social", "nl", [],
  "security awareness training gehad vandaag, we hebben geleerd hoe je phishing herkent. echt nuttig, iedereen zou dit moeten doen")
C("x", "@media_mo", "en", [],
  "Sad to see the layoffs at that big US streaming company today. Thinking of everyone affected, it's a brutal industry.")
C("x", "@voetbalvader", "nl", [],
  "Wat een wedstrijd gisteren, en het beeld op de Kijkdoos 4K was echt sick 🔥 Sportpakket was elke cent waard")
C("linkedin", "yasmina-bouzid-lichtvaart", "nl", [],
  "We zoeken monteurs in heel Nederland! Geen ervaring nodig, wij leiden je op. Solliciteer via werkenbij@lichtvaart.nl 👷‍♀️")
C("tiktok", "@lichtvaart_official", "nl", [],
  "Tip: verander het standaard wifi-wachtwoord van je Lumen 7 meteen na de installatie. Het staat op de sticker onderop 🔐 #lichtvaart #tip")
C("forum", "devnoob_2026", "nl", [],
  "Het voorbeeld uit de docs is DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME, dat moet je natuurlijk zelf invullen")
C("x", "@docent_daan", "nl", [],
  "JWT's uitgelegd aan mijn stagiair vandaag: header.payload.signature, meer is het niet 🤓 volgende week OAuth")
C("reddit", "u/gjalt_fries", "en", [],
  "Update: Lichtvaart sent a new technician, everything works, and they even knocked a month off my bill. Credit where it's due.")
C("x", "@twijfelaar_tess", "nl", [],
  "Is €65 per maand voor Glasvezel 1 Gbit normaal? Vergeleken met de rest lijkt het me prima eigenlijk")
C("x", "@rekenwonder", "nl", [],
  "Glasnet Noord doet 1 Gbit voor €39, Lichtvaart vraagt €65 😬 wel betere service though, dus ik blijf")
C("x", "@jassenjager", "nl", [],
  "Prijsfout bij een kledingketen gisteren, 90% korting op winterjassen 😂 helaas zit zoiets er bij mijn internetprovider nooit in")
C("instagram", "@lichtvaart.nl", "nl", [],
  "#LichtAan Vanaf vandaag zitten er 20 extra zenders in TV Plus, gewoon voor €19,95 per maand 📺")
C("linkedin", "maarten-van-dijk-7b2", "nl", [],
  "Vandaag 5 jaar bij Lichtvaart! Van trainee in de controlling naar teamlead. Dank aan iedereen die me al die jaren heeft geholpen 🙌")
C("mastodon", "@glas_in_het_dorp@mastodon.social", "en", [],
  "Lichtvaart's fibre rollout finally reached our street. The trench was closed again within two days, nice tidy work.")
C("x", "@serie_sarah", "en", [],
  "Watched that new thriller 'Confidential' on my Kijkdoos last night, highly recommend. Netflix is finally getting good again")
C("x", "@papa_van_lieke", "nl", [],
  "Mijn dochter werd vandaag 12 en wilde alleen maar snellere wifi op haar kamer 😂 dus een Baken mesh gekocht. Beste vader ooit")
C("reddit", "u/groninger_grit", "en", [],
  "Is Lichtvaart any good in Groningen? Thinking of switching from my current provider, the copper line here is ancient.")
C("x", "@telecom_analyst_nl", "en", [],
  "Lichtvaart FY2026 results out this morning: subscribers +9%, churn down. Solid year for the fibre challenger.",
  when="2027-02-24T09:10:00Z")
C("linkedin", "sanne-de-graaf-lv", "en", [],
  "Great panel today on bringing fibre to rural villages. My slides are on our public site, lichtvaart.nl/pers, feel free to use them.")
C("x", "@rockende_rik", "nl", [],
  "L I C H T V A A R T rockt 🎸 Sportpakket in 4K, thuis is het net een stadion")
C("x", "@lichtvaart_zorg", "nl", [],
  "Krijg je een sms van 'Lichtvaart' met een betaallink? Niet klikken! Stuur hem door naar klantenservice@lichtvaart.nl, dan zoeken wij het uit.")
C("x", "@netsec_nina", "en", [],
  "Another week, another breach: a German ISP leaked 2M customer records. Glad my own provider at least publishes a security.txt.")
C("facebook", "Henk.de.Vries.Oss", "nl", [],
  "TV Basis is prima voor mijn ouders, €12,50 per maand en ze hebben NPO en RTL. Meer hebben ze niet nodig.")
C("x", "@gadget_gert", "en", [],
  "Lumen 7 modem review: solid WiFi 7 and a decent UI. €249 is steep but fair for what you get.")
C("x", "@chris_in_haarlem", "en", [],
  "@lichtvaart_zorg thanks Lotte, the engineer came this morning and was brilliant. all sorted!", kind="reply")
C("blog", "routerhardening.example", "en", [],
  "Hardening your home router, part 3. In the example config below I use the placeholder ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX; replace it with a fine-grained token of your own and never commit it.")
C("tiktok", "@lichtvaart_official", "nl", [],
  "Hoe sluit je je Kijkdoos Mini aan? In 60 seconden uitgelegd 📺 #lichtvaart #tutorial #diy")
C("reddit", "u/kabelchaos", "nl", [],
  "tips voor kabelmanagement achter de tv? Kijkdoos 4K, Lumen 7 en een soundbar en het is één grote spaghetti 😵")
C("x", "@regio_redactie", "en", [],
  "Lichtvaart confirmed yesterday's outage in Apeldoorn was caused by a digger cutting a cable. Service restored overnight, they say.")
C("x", "@lichtvaart", "en", [],
  "We're hiring engineers for our Network Operations Centre in Utrecht 🛰️ Hybrid, on-call allowance, great team. Apply at werkenbij@lichtvaart.nl")
C("x", "@spaarzame_sien", "en", [],
  "Switching to Lichtvaart: Glasvezel 500 for €44 a month the first year, then €55. Decent deal, right?")
C("instagram", "@femke.op.de.ladder", "nl", [],
  "weer een dak vol zon vandaag ☀️ 6 aansluitingen in Heiloo en niemand die koffie vergat te zetten. Beste klanten van NL 🧡 #monteurslife")
C("x", "@ruben_kuipers", "en", [],
  "Talk at NLNOG today about how we run IPv6-only access networks. Recording and slides will be on the NLNOG site next week.")
C("x", "@moeder_van_3", "en", [],
  "just call 030 707 4400, they sorted me out in ten minutes. way faster than that chat")
C("x", "@filmfan_floor", "nl", [],
  "Filmpakket voor €11,95 deze maand (normaal €14,95), dus vanavond filmmarathon 🍿")
C("bluesky", "@lottevos.bsky.social", "en", [],
  "reminder to everyone in customer care: never ask a customer to read out their card number or BSN on the phone. we don't need it, ever.")
C("x", "@devops_dirk", "en", [],
  "Remember kids: never paste your sk_live_ keys or xoxb- tokens into a tweet. Use a secrets manager. That's it, that's the post.")
C("x", "@vraagbaak_vera", "nl", [],
  "Moet je bij Lichtvaart echt je BSN opgeven bij het afsluiten van een abonnement? Volgens mij mag dat niet eens.")
C("x", "@lichtvaart_zorg", "en", [],
  "@groninger_grit Hi! Yes, we're live in most of Groningen city. Check your postcode on lichtvaart.nl, it only takes a minute 🙂", kind="reply")

# ---------------------------------------------------------------------------
# role lookup, severity, scanning
# ---------------------------------------------------------------------------
def _keyset(lst):
    return {x.lower() for x in lst}


CORP = _keyset(PROFILE["accounts"]["corporate"])
EMP = _keyset(PROFILE["accounts"]["employee"])
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
RANK = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\w)[3-6]\d{3}(?:[ -]?\d{4}){3}(?!\w)")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|\.\d)")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def identifiers(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(0))
        if compact in PUBLIC_IBANS:
            continue
        out.append(("iban", m.group(0), iban_valid(compact)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def has_valid_identifier(text):
    return any(ok for _, _, ok in identifiers(text))


def severity(cats, role, text):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and has_valid_identifier(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError("unexpected category " + c)
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    span = int((datetime(2026, 12, 22, tzinfo=timezone.utc) - start).total_seconds())
    out = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text = fill(c["text"])
        when = c["when"] or (start + timedelta(seconds=RNG.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": "lv198-%s-%04d" % (c["platform"], n),
            "platform": c["platform"],
            "kind": c["kind"] or "post",
            "account": {"handle": c["handle"]},
            "text": text,
            "created_at": when,
            "brand": "Lichtvaart",
        }
        if RNG.random() < 0.85:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), RNG.randrange(10 ** 18, 10 ** 19))
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, text)}})
    return out


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    re.compile(r"\bxox[bpas]-\d{6,}-\d{6,}-[A-Za-z0-9]{20,}"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{80,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    re.compile(r"\bAIza[A-Za-z0-9_-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b\w+://[^\s:/@]+:[^\s@]+@[\w.-]+"),
    re.compile(r"(?i)\b(?:wachtwoord|ww|password)\s*[:=]?\s+\S*[\d!@#$%^&*]\S*"),
]
PLACEHOLDER = re.compile(r"EXAMPLE|X{8,}|\*{6,}|://USER:PASSWORD@", re.I)

PRODUCTS = []
for p in PROFILE["products"]:
    for a in set([p["name"]] + p["aliases"]):
        PRODUCTS.append((a, float(p["list_price"])))
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b", re.I)
ERROR_WORDS = re.compile(r"prijsfout|price error|price glitch|tikfout|typo|fout\b", re.I)


def product_mentions(text):
    low = text.lower()
    found = []
    for alias, price in PRODUCTS:
        for m in re.finditer(r"(?<!\w)" + re.escape(alias.lower()) + r"(?!\w)", low):
            found.append((m.start(), m.end(), price))
    return found


def prices(text):
    return [(m.start(), float((m.group(1) or m.group(2)).replace(",", "."))) for m in PRICE_RE.finditer(text)]


def nearest_list(pos, mentions):
    best = min(mentions, key=lambda t: min(abs(pos - t[0]), abs(pos - t[1])))
    return best[2]


def check(cases):
    errors = []

    def err(case, msg):
        errors.append("%s: %s" % (case["post"]["id"], msg))

    ids = set()
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    seen_after_embargo = 0
    for case in cases:
        post, exp = case["post"], case["expect"]
        # --- CONTRACT section 6 shape
        if set(case) != {"post", "expect"}:
            err(case, "top-level keys")
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            err(case, "bad id")
        if post["id"] in ids:
            err(case, "duplicate id")
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            err(case, "platform")
        if post.get("kind", "post") not in KINDS:
            err(case, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str) \
                or not post["account"]["handle"]:
            err(case, "account.handle")
        if not isinstance(post.get("text"), str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
            err(case, "text")
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if ts.tzinfo is None:
                err(case, "created_at without offset")
        except Exception:
            err(case, "created_at not RFC 3339")
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", post["created_at"]):
            err(case, "created_at format")
        if ts.year not in (2026, 2027):
            err(case, "created_at year")
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(case, "categories")
        if exp.get("severity") not in RANK:
            err(case, "severity value")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            err(case, "severity not per policy")
        if not cats and exp["severity"] != "none":
            err(case, "benign must be none")
        if cats and exp["severity"] == "none":
            err(case, "positive with none")
        json.loads(json.dumps(case, ensure_ascii=False))

        text = post["text"]
        plain = unicodedata.normalize("NFKC", text).translate(ZW)
        low = plain.lower()

        # --- checksummed identifiers
        for kind, val, ok in identifiers(text):
            if cats and not ok:
                err(case, "positive holds failing %s %s" % (kind, val))
            if not cats and ok:
                err(case, "benign holds valid %s %s" % (kind, val))
            if ok and "leak.pii" not in cats:
                err(case, "valid %s outside a pii case" % kind)
        # --- credentials
        for m in re.finditer(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", text):
            if cats and "leak.secret" in cats and not gh_checksum_ok(m.group(0)):
                err(case, "github token in positive fails crc")
            if not cats and gh_checksum_ok(m.group(0)):
                err(case, "github token in benign passes crc")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if not cats and "EXAMPLE" not in m.group(0):
                err(case, "real-looking AWS key in benign")
            if cats and "EXAMPLE" in m.group(0):
                err(case, "sample AWS key in positive")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                err(case, "jwt header without alg")
        live = [m.group(0) for pat in SECRET_PATTERNS for m in pat.finditer(text)
                if not PLACEHOLDER.search(m.group(0))]
        if "leak.secret" in cats and not live:
            err(case, "secret case without a credential")
        if not cats and live:
            err(case, "benign case with a live-looking credential: %r" % live)

        # --- embargo and internal terms
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    err(case, "embargo term before until without leak.confidential")
                if ts >= until and not cats:
                    seen_after_embargo += 1
        for term in internal_terms:
            if term in low and "leak.confidential" not in cats:
                err(case, "internal term %r without leak.confidential" % term)

        # --- pricing
        mentions = product_mentions(plain)
        amounts = prices(plain)
        if "leak.pricing" in cats:
            low_price = any(amt < PROFILE["pricing"]["alert_below_ratio"] * nearest_list(pos, mentions)
                            for pos, amt in amounts) if mentions else False
            if not mentions or not (low_price or ERROR_WORDS.search(plain)):
                err(case, "pricing case without product + low price / price error")
        elif not cats and mentions:
            for pos, amt in amounts:
                if amt < PROFILE["pricing"]["alert_below_ratio"] * nearest_list(pos, mentions):
                    err(case, "benign case has price %.2f below ratio" % amt)
            if ERROR_WORDS.search(plain) and re.search(r"prijsfout|price error|tikfout", plain, re.I):
                # allowed only when the error talk is not about one of our products
                if any(abs(m[0] - ERROR_WORDS.search(plain).start()) < 60 for m in mentions):
                    err(case, "benign price-error talk next to a product")

        # --- roles
        if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in CORP | EMP:
            err(case, "role")
    if seen_after_embargo < 2:
        errors.append("need benign posts with embargo terms after until")

    # --- mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("total %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign %d outside 55-65" % benign)
    per = {}
    for c in cases:
        for k in c["expect"]["categories"]:
            per[k] = per.get(k, 0) + 1
    want = {"reputation.complaint": (18, 24), "leak.confidential": (16, 22), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 15),
            "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    for k, (lo, hi) in want.items():
        if not lo <= per.get(k, 0) <= hi:
            errors.append("%s count %d outside %d-%d" % (k, per.get(k, 0), lo, hi))
    roles = {}
    for c in cases:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    for h in CORP | EMP:
        if not any(("%s:%s" % (c["post"]["platform"], c["post"]["account"]["handle"])).lower() == h for c in cases):
            errors.append("profile account %s never posts" % h)
    return errors, per, benign, roles


def main():
    cases = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errors, per, benign, roles = check(reread)
    langs = {}
    for c in CASES:
        langs[c["lang"]] = langs.get(c["lang"], 0) + 1
    sev = {}
    for c in reread:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, positive %d" % (len(reread), benign, len(reread) - benign))
    print("per category:", json.dumps(per, sort_keys=True))
    print("languages:", langs, "roles:", roles)
    print("severities:", json.dumps(sev, sort_keys=True))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
