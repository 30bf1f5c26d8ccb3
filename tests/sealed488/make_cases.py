#!/usr/bin/env python3
"""Sealed evaluation set 488 for postwatch: Korrelkamp Opslagsystemen B.V.

A fictional Dutch maker of hermetic (pest-free) grain silos that also runs harvest
haulage. The post texts below are written by hand; only identifiers and credentials
are generated (deterministically, fixed seed) so that their checksums are real.

Running this script writes cases.jsonl next to itself and then checks it:
  * every line is a valid CONTRACT section 6 case (post shape, categories, severity);
  * severities follow CONTRACT section 4, computed from the account role that the
    profile gives the author (never typed by hand);
  * every IBAN / card / BSN in a personal-data positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are well formed (GitHub CRC-32, AWS key id, JWT header);
  * codenames, markers, internal hosts and embargo terms only appear in posts
    labelled leak.confidential (embargo terms are fine after `until`);
  * pricing positives are below alert_below_ratio of list price, benign prices not;
  * the output is identical on a second run (determinism).
Standard library plus PyYAML only.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 4882026

CPL = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
PRC = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCU = "leak.security"
TAXONOMY = {CPL, CRI, ABU, PII, SEC, PRC, CON, FIN, SCU}
SEVERITIES = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = "\u200b"

# ----------------------------------------------------------------------------
# checksums and validators
# ----------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "GB": 22, "FR": 27}


def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_check_digits(cc, bban):
    return "%02d" % (98 - _iban_num(bban + cc + "00") % 97)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s[:2] in IBAN_LEN and len(s) != IBAN_LEN[s[:2]]:
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) < 12:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def _b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    try:
        header = json.loads(_b64url_decode(parts[0]))
        json.loads(_b64url_decode(parts[1]))
    except Exception:
        return False
    return isinstance(header, dict) and "alg" in header


def aws_ok(kid):
    return re.fullmatch(r"AKIA[A-Z2-7]{16}", kid) is not None


# ----------------------------------------------------------------------------
# evasion helpers
# ----------------------------------------------------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "p": "\u0440",
       "c": "\u0441", "x": "\u0445", "y": "\u0443"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


def zw_split(s, every=4):
    return ZW.join(s[i:i + every] for i in range(0, len(s), every))


# ----------------------------------------------------------------------------
# generator of identifiers and credentials (records what it inserted)
# ----------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.pending = []

    def take(self):
        out, self.pending = self.pending, []
        return out

    def _rec(self, kind, value, valid=None):
        self.pending.append((kind, value, valid))
        return value

    def digits(self, n):
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def chars(self, n, alphabet=ALNUM):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def rbytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    # --- checksummed identifiers -------------------------------------------
    def iban(self, cc="NL", valid=True, spaced=True):
        if cc == "NL":
            bban = self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]) + self.digits(10)
        elif cc == "BE":
            first = str(self.r.randint(1, 9)) + self.digits(9)
            bban = first + "%02d" % (int(first) % 97 or 97)
        else:
            raise ValueError(cc)
        cd = iban_check_digits(cc, bban)
        if not valid:
            while True:
                cd2 = "%02d" % self.r.randint(2, 98)
                if not iban_ok(cc + cd2 + bban):
                    cd = cd2
                    break
        s = cc + cd + bban
        assert iban_ok(s) == valid
        if spaced:
            s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
        return self._rec("iban", s, valid)

    def card(self, valid=True, brand="visa", sep=" "):
        while True:
            body = ("4" if brand == "visa" else "5" + str(self.r.randint(1, 5))) + self.digits(14 if brand == "visa" else 13)
            for c in "0123456789":
                if luhn_ok(body + c):
                    check = c
                    break
            if not valid:
                check = str((int(check) + self.r.randint(1, 9)) % 10)
            num = body + check
            if luhn_ok(num) == valid:
                break
        s = sep.join(num[i:i + 4] for i in range(0, 16, 4))
        return self._rec("card", s, valid)

    def bsn(self, valid=True, style="plain"):
        while True:
            d = str(self.r.randint(1, 6)) + self.digits(7)
            c = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
            if c == 10:
                continue
            last = c if valid else (c + self.r.randint(1, 9)) % 10
            num = d + str(last)
            if bsn_ok(num) == valid:
                break
        if style == "spaced":
            num = num[:3] + " " + num[3:6] + " " + num[6:]
        elif style == "dots":
            num = num[:4] + "." + num[4:6] + "." + num[6:]
        return self._rec("bsn", num, valid)

    # --- other personal data -----------------------------------------------
    def phone(self, style):
        n = self.digits(8)
        if style == "06-":
            s = "06-" + n
        elif style == "06 ":
            s = "06 %s %s" % (n[:4], n[4:])
        elif style == "+31 6":
            s = "+31 6 %s %s" % (n[:4], n[4:])
        elif style == "+31 (0)6":
            s = "+31 (0)6-" + n
        elif style == "0031":
            s = "0031 6 " + n
        elif style.startswith("(0"):
            m = self.digits(6)
            s = "%s %s %s %s" % (style, m[:2], m[2:4], m[4:])
        else:
            raise ValueError(style)
        return self._rec("phone", s)

    def email(self, local, domain=None):
        domain = domain or self.r.choice(["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl"])
        return self._rec("email", "%s@%s" % (local, domain))

    def mark(self, kind, text):
        """Personal data without a checksum (address with name, date of birth)."""
        return self._rec(kind, text)

    # --- credentials --------------------------------------------------------
    def gh(self, prefix="ghp_"):
        body = self.chars(30)
        tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
        assert gh_ok(tok)
        return self._rec("secret:github", tok, True)

    def aws(self):
        kid = "AKIA" + self.chars(16, B32)
        sec = self.chars(40, ALNUM + "+/")
        self._rec("secret:aws", kid, True)
        self._rec("secret:aws-secret", sec, True)
        return kid, sec

    def slack(self):
        tok = "xoxb-%s-%s-%s" % (self.digits(11), self.digits(13), self.chars(24))
        return self._rec("secret:slack", tok, True)

    def stripe(self):
        return self._rec("secret:stripe", "sk_live_" + self.chars(24), True)

    def openai(self):
        tok = "sk-proj-" + self.chars(74, ALNUM + "_-") + "T3BlbkFJ" + self.chars(74, ALNUM + "_-")
        return self._rec("secret:openai", tok, True)

    def google(self):
        return self._rec("secret:google", "AIza" + self.chars(35, ALNUM + "_-"), True)

    def jwt(self, payload):
        enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps(payload, separators=(",", ":")).encode())
        tok = "%s.%s.%s" % (head, body, enc(self.rbytes(32)))
        assert jwt_ok(tok)
        return self._rec("secret:jwt", tok, True)

    def privkey(self):
        raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + self.rbytes(360)
        b = base64.b64encode(raw).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
        return self._rec("secret:privkey", key, True)

    def pw(self, n=14, url_safe=False):
        specials = "-_.~" if url_safe else "!#%&*+-?_"
        while True:
            s = self.chars(n, ALNUM + specials)
            if re.search(r"\d", s) and re.search(r"[A-Z]", s) and any(c in specials for c in s):
                return self._rec("secret:password", s, True)


# ----------------------------------------------------------------------------
# the cases
# ----------------------------------------------------------------------------
def write_cases(g, P):
    """Every post is hand-written. P(platform, handle, text, cats, lang, ...)."""

    # ===================== complaints (public) ==============================
    P("x", "@akkerbouw_jeroen",
      "3e keer deze maand dat de monteur van @korrelkamp_service niet komt opdagen. "
      "Ik sta hier met 80 ton gerst op de dorsvloer en niemand neemt op. Top service hoor \U0001F644",
      [CPL], "nl", ts=7)
    P("facebook", "henk.oosterveld.77",
      "Zo. KorrelGuard 120 pas in maart geplaatst en nu al vocht onderin, halve meter tarwe beschimmeld. "
      "'Hermetisch' ja ja. Wie gaat dit vergoeden?",
      [CPL], "nl", ts=10)
    P("reddit", "u/tractorpulling_tim",
      "PSA for anyone looking at Korrelkamp silos: the 'pest-free guarantee' is worth nothing. Found weevils "
      "in my KG60 after 4 months, service said it must have been my grain. It wasn't, it was dried and cleaned. "
      "Six weeks later still no answer on the claim.",
      [CPL], "en", ts=11)
    P("x", "@loonbedrijf_devries",
      "@korrelkamp graanrit zou er om 7u zijn, het is nu 14:20. Combines staan stil, chauffeur neemt niet op. "
      "Kost me honderden euro's per uur dit",
      [CPL], "nl", ts=8, kind="reply")
    P("x", "@hobbyboer_ans",
      "die korreltrack app gooit me er elke keer uit als ik de temps wil bekijken. opnieuw inloggen, weer eruit. "
      "betaal er wel 240 euro per jaar voor he",
      [CPL], "nl", ts=2, kind="reply")
    P("x", "@Norfolk_grain_lad",
      "Ordered a TransAuger 8 from @korrelkamp in June. Gearbox went after 11 days. Replacement part "
      "'on backorder until further notice'. Harvest doesn't wait lads",
      [CPL], "en", ts=7)
    P("facebook", "ingrid.kuipers.akkerbouw",
      "Dubbel gefactureerd voor de Graanrit van 14 aug. Al 3 mails gestuurd, krijg alleen een automatisch "
      "antwoord terug. Beetje jammer voor een bedrijf dat roept dat 'de boer centraal' staat.",
      [CPL], "nl", ts=9, kind="comment")
    P("linkedin", "emma-clarke-farmops",
      "Honest feedback for Korrelkamp: the SiloSense readings on our kit drift 4-5 degrees against my handheld. "
      "We nearly switched the cooler off on a bin that was actually heating. Support told me to 'recalibrate' - "
      "the manual doesn't even say how.",
      [CPL], "en", ts=10)
    P("x", "@Boer_Sanne_NOP",
      "DX-20 droogt de ene kant kurkdroog en de andere kant zit nog op 19%. Twee keer monteur gehad: "
      "'valt binnen spec'. Nee dus #korrelkamp",
      [CPL], "nl", ts=9)
    P("x", "@agri_contractor_mike",
      "@korrelkamp_service your driver tipped about 2 tonnes of barley on the road at our yard entrance and just "
      "drove off. Neighbours filmed it. Who's cleaning this up?",
      [CPL], "en", ts=8, kind="reply")
    P("instagram", "@jonge.boerin.fenna",
      "Helpdesk van Korrelkamp = een grap. 45 min in de wacht en dan verbinding verbroken \U0001F643 "
      "#oogst2026 #klantenservice #nietweer",
      [CPL], "nl", ts=8)
    P("mastodon", "@gwen@toot.farm",
      "Third HermaZak out of a pack of 25 with a split seam. They're supposed to be hermetic, that is literally "
      "the one job. Not impressed, Korrelkamp.",
      [CPL], "en", ts=6)
    P("tiktok", "@boerderij_vlog_kees",
      "dus die SiloScout drone landt gewoon IN m'n graan en de propeller ligt los \U0001F921 4 ruggen voor dit? "
      "retour gevraagd: 'buiten garantie, verkeerd gebruik'. hoezo verkeerd??",
      [CPL], "nl", ts=5)

    # ============ first-hand safety incidents: complaint + crisis ============
    P("facebook", "gerda.wolters.akkerbouw",
      "Vannacht is de AirFlo ventilator van Korrelkamp in onze schuur in brand gevlogen. De motor is gewoon "
      "gesmolten. Brandweer was er op tijd, anders was de hele loods met 300 ton graan weg geweest. "
      "Dat ding was 5 maanden oud!! Wie durft die dingen nog aan te zetten?",
      [CPL, CRI], "nl", ts=9)
    P("x", "@dale_harvests",
      "Got a proper jolt off the SiloSense control box this morning - touched the casing in the rain and it bit "
      "me hard. Sparky says the earth wire inside was never connected at the factory. @korrelkamp this "
      "could have killed someone.",
      [CPL, CRI], "en", ts=11)
    P("x", "@melkveehouder_wim",
      "Mijn zoon (16) is onwel geworden bij het openen van het vulluik, 2 dagen nadat de FumiFree set erin had "
      "gezeten. Niemand zei dat je eerst moest luchten, handleiding zegt er ook niks over. Hij is nu ok "
      "gelukkig maar dit had heel anders kunnen aflopen @korrelkamp_service",
      [CPL, CRI], "nl", ts=10)
    P("facebook", "tom.hargreaves.farm",
      "The outside ladder on our Korrelkamp KorrelGuard 250 snapped at the third ring yesterday with my husband "
      "on it. Broken wrist, bruised ribs. The bolts were sheared clean through. We want answers, not another "
      "'we'll look into it'.",
      [CPL, CRI], "en", ts=4)
    P("x", "@akkerbouwer_jelle",
      "Ketting van de GraanLift knapte vandaag, stuk schoep vloog rakelings langs het hoofd van mijn knecht. "
      "Halve meter verder en ik had de ambulance moeten bellen. Korrelkamp, dat ding draait 1 seizoen.",
      [CPL, CRI], "nl", ts=8)
    P("reddit", "u/prairie_dryer_pete",
      "Our Korrelkamp DX-20 overheated overnight. Woke up to smoke pouring out of the burner housing - the "
      "thermal cutoff apparently never tripped. Had to dump 12 tonnes of scorched wheat. My kids sleep 40 m "
      "from that thing. Never again.",
      [CPL, CRI], "en", ts=9)

    # ================= complaint + abuse ====================================
    P("x", "@boer_gert_84",
      "Kutbedrijf. Silo lekt, monteur komt niet, en hier op twitter doen jullie of alles geweldig is. "
      "Stelletje oplichters @korrelkamp",
      [ABU, CPL], "nl", ts=10, kind="reply")
    P("x", "@bigjohn_arable",
      "@korrelkamp_service you useless pack of muppets, 3 weeks to send a fuse?? absolute clown show. "
      "done with you f*cking idiots",
      [ABU, CPL], "en", ts=8, kind="reply")

    # ============ complaint + customer exposing own personal data ===========
    P("x", "@fam_brinkman",
      "@korrelkamp_service al 4x gebeld over die lekkende silo en niemand belt terug. Bel me dan zelf maar: "
      "%s, vraag naar Hennie. Ik ben er klaar mee." % g.phone("06-"),
      [CPL, PII], "nl", ts=11, kind="reply")
    P("x", "@sofie_peeters_bio",
      "@korrelkamp six weeks and still no refund for the cancelled haulage. Just wire it to %s (S. Peeters) "
      "already, I've sent it to your team three times." % g.iban("BE"),
      [CPL, PII], "en", ts=9, kind="reply")

    # ===================== crisis (third party / public) ====================
    P("x", "@agrarisch_noord",
      "Stofexplosie bij graanopslag in Emmen, twee gewonden afgevoerd. Het bedrijf gebruikte een droger van "
      "Korrelkamp; de inspectie onderzoekt of de installatie een rol speelde.",
      [CRI], "nl", ts=9)
    P("x", "@stop_gif_op_het_land",
      "Oproep: BOYCOT KORRELKAMP. Verkopen 'gifvrije' opslag en adviseren ondertussen stiekem fosfine aan hun "
      "klanten. Delen! #boycotkorrelkamp",
      [CRI], "nl", ts=5)
    P("linkedin", "agri-law-partners",
      "We have filed a claim on behalf of 37 arable farmers against Korrelkamp Opslagsystemen B.V. over "
      "systematic seal failures in the KorrelGuard range. First hearing expected in spring.",
      [CRI], "en", ts=11)
    P("facebook", "BoerenbelangDrenthe",
      "Let op leden: Korrelkamp roept SiloSense temperatuurkabels uit productieweek 14 t/m 22 terug wegens "
      "kortsluitgevaar. Koppel ze los en neem contact op met uw dealer.",
      [CRI], "nl", ts=10)
    P("x", "@privacyfirst_farm",
      "Korrelkamp's KorrelTrack has been exposing farm locations and stock levels of its customers - anyone "
      "could see what's in my silo. A data breach, and zero communication. Reported to the Dutch DPA.",
      [CRI], "en", ts=3)
    P("x", "@graanhandel_gerben",
      "NVWA heeft een partij tarwe uit Korrelkamp-silo's tegengehouden, te hoge residuen. Zo 'pest-free' is "
      "het dus allemaal niet. Benieuwd naar de verklaring.",
      [CRI], "nl", ts=6)
    P("x", "@regio_salland_nieuws",
      "Boer (54) omgekomen in graansilo in Raalte. Volgens buren was de silo nieuw en geplaatst door "
      "Korrelkamp. De Arbeidsinspectie doet onderzoek.",
      [CRI], "nl", ts=8)
    P("x", "@FarmersUnite_UK",
      "The class action against Korrelkamp is picking up. If your KorrelGuard lost grain to moisture ingress, "
      "add your name (link in bio). #KorrelkampScandal",
      [CRI], "en", ts=12)
    P("bluesky", "@agrijournal.bsky.social",
      "Three dryer fires in six weeks on farms in Groningen and Friesland, all Droogmeester DX-20 units. "
      "Korrelkamp says it is 'monitoring the situation'. Story in tomorrow's issue.",
      [CRI], "en", ts=10)
    P("x", "@boerin_margreet",
      "Die schoften van Korrelkamp wisten dat die ladders niet deugden en deden NIKS. Eerst een dode, nu weer "
      "iemand in het ziekenhuis. Moordenaars zijn het.",
      [ABU, CRI], "nl", ts=5)

    # ============================ abuse ====================================
    P("x", "@anoniem_akker",
      "Sietske van Korrelkamp service is echt de domste tut die ik ooit aan de lijn heb gehad. Wie heeft dat "
      "wijf aangenomen",
      [ABU], "nl", ts=3)
    P("x", "@echte_hollander_77",
      "Korrelkamp neemt alleen nog Polen aan als chauffeur. Stelletje vieze buitenlanders, rot op naar je "
      "eigen land",
      [ABU], "nl", ts=7)
    P("x", "@grain_rage_88",
      "K0rr3lk4mp = st3lletj3 kl00tz4kk3n. n0g 1 k33r b3ll3n en ik fl1p",
      [ABU], "nl", ts=9)
    P("x", "@yorkshire_barley",
      "Korrelkamp service team are complete %s and %s, every single one of them" % (cyr("idiots"), cyr("losers")),
      [ABU], "en", ts=10)
    P("tiktok", "@chauffeur_dennis_kk",
      "als je niet kan lezen wanneer je graan opgehaald wordt ben je gewoon een achterlijke boerenlul, "
      "sorry niet sorry",
      [ABU], "nl", ts=8, kind="comment")
    P("x", "@harvest_hater",
      "t y f u s b e d r i j f  k o r r e l k a m p",
      [ABU], "nl", ts=11)
    P("x", "@boer_zonder_geduld",
      "@bram_dijkstra_kk ik weet waar je woont en in wat voor auto je rijdt. Kom nog 1x m'n erf op en je zal "
      "het merken.",
      [ABU], "nl", ts=6, kind="reply")
    P("x", "@korrelkamp_service",
      "@mts_hoving misschien eerst zelf je silo dichtdraaien voordat je hier loopt te janken, sukkel",
      [ABU], "nl", ts=10, kind="reply")
    P("x", "@sheffield_farmer",
      "Korrelkamp are a bunch of thieving clowns. Scum of the agri world, the lot of them.",
      [ABU], "en", ts=12)

    # ========================== personal data ==============================
    P("x", "@bram_dijkstra_kk",
      "@sietske.silotech kun jij meneer Koopmans terugbellen over die vulluikstoring? Zijn nummer is %s, "
      "hij is na 16u bereikbaar" % g.phone("06 "),
      [PII], "nl", ts=9, kind="reply")
    P("x", "@korrelkamp_service",
      "@fam_tuinman Uw terugbetaling van \u20ac295 is vandaag overgemaakt naar %s t.n.v. G.J. Tuinman. "
      "Excuses voor het ongemak!" % g.iban("NL"),
      [PII], "nl", ts=9, kind="reply")
    P("linkedin", "ayse-yilmaz-logistiek",
      "Welkom Piotr Nowak, nieuwe seizoenskracht in depot Meppel! \U0001F389 (note to self: BSN %s nog "
      "doorgeven aan salarisadministratie)" % g.bsn(),
      [PII], "nl", ts=7)
    P("x", "@ruudveldkamp",
      "Can anyone in finance see why this card keeps failing on the webshop? %s exp 09/28 - customer's on the "
      "phone with me right now" % g.card(),
      [PII], "en", ts=4)
    P("x", "@erfwacht_harm",
      "Die chauffeur van Korrelkamp die zo'n grote bek had tegen mijn vader: %s. Doe er wat mee."
      % g.mark("address", "Dennis Smit, Kerkstraat 14, 7941 AB Meppel"),
      [ABU, PII], "nl", ts=8)
    P("linkedin", "joost-hofstede-korrelkamp",
      "Gefeliciteerd %s, al 30 jaar de steunpilaar van onze administratie! Taart staat in de kantine."
      % g.mark("dob", "Anneke Bos (geb. 17-05-1971)"),
      [PII], "nl", ts=5)
    P("facebook", "KorrelkampOpslag",
      "Hoi Marieke, we hebben je vraag doorgezet naar planning. Ze mailen je op %s zodra de nieuwe "
      "leverdatum bekend is." % g.email("marieke.hoekstra"),
      [PII], "nl", ts=7, kind="comment")
    P("x", "@rmulder_akkerbouw",
      "Korrelkamp vroeg om mijn rekeningnummer voor de retour, hier is ie: %s (R. Mulder). Zo goed?"
      % g.iban("NL", spaced=False),
      [PII], "nl", ts=3, kind="reply")
    P("instagram", "@sietske.silotech",
      "Vandaag bij %s \U0001F33E mooiste erf van Friesland, en de koffie was top"
      % g.mark("address", "familie Wiersma, Dorpsstraat 3 in Nij Beets"),
      [PII], "nl", ts=6)
    P("x", "@sjoerd_graan",
      "Anyone know this guy? Says he's a Korrelkamp rep, Mark de Groot, phone %s, email %s. Asked me for a "
      "cash deposit. Scam?" % (g.phone("0031"), g.email("m.degroot1979")),
      [PII], "en", ts=2)
    P("linkedin", "joost-hofstede-korrelkamp",
      "Paid our Belgian supplier twice this month, again. For the record their account is %s, not the old one. "
      "AP team please update the vendor file" % g.iban("BE"),
      [PII], "en", ts=11)
    P("bluesky", "@lotte-kk.bsky.social",
      "debugging checkout: test card works, but a real customer card %s gets declined by the PSP. anyone seen "
      "this before?" % g.card(brand="mc", sep="-"),
      [PII], "en", ts=6)
    P("x", "@klaas_veenstra",
      "@korrelkamp_service jullie vroegen mijn gegevens: %s, klantnr 20417, %s. Hoor graag wanneer de "
      "monteur komt." % (g.mark("dob", "Klaas Veenstra, geb. 02-11-1963"), g.mark("address", "Hoofdweg 88 Zuidwolde")),
      [PII], "nl", ts=1, kind="reply")
    P("x", "@ruudveldkamp",
      "wie heeft dat excelletje met chauffeursgegevens op de gedeelde schijf gezet? staat gewoon het BSN van "
      "Dennis in, %s, open en bloot" % g.bsn(style="spaced"),
      [PII], "nl", ts=10)

    # ======================= confidential ==================================
    P("bluesky", "@lotte-kk.bsky.social",
      "week 3 of the Project Graanzee sprint. the new fill-hatch sensor finally talks to the gateway \U0001F389 "
      "can't say more yet",
      [CON], "en", ts=4)
    P("x", "@ruudveldkamp",
      "Wie kan er nog bij https://wiki.intra.korrelkamp.local/ops/oogstplanning ? Krijg 403 sinds de update",
      [CON], "nl", ts=6)
    P("instagram", "@sietske.silotech",
      "Sneak peek \U0001F440 de KorrelGuard Max 120 staat al in de testhal, wat een beest. Eind januari mogen "
      "we meer vertellen!",
      [CON], "nl", ts="2026-11-18T10:42:00+01:00")
    P("tiktok", "@korrelkamp_op_het_erf",
      "Nog even geduld... SiloSense Nova komt eraan \U0001F525 #silotech #boerenleven",
      [CON], "nl", ts="2027-01-12T16:05:00+01:00")
    P("x", "@trainspotter_agri",
      "Someone left a binder at the Agritechnica stand, cover says 'KORRELKAMP INTERN - prijsstrategie 2027'. "
      "lol. guess who's reading it on the train",
      [CON], "en", ts=11)
    P("linkedin", "joost-hofstede-korrelkamp",
      "Great kick-off today for Kornoelje with the team from Groningen. Big things coming for our logistics "
      "side next year.",
      [CON], "en", ts=9)
    P("mastodon", "@gerrit@akkerbouw.social",
      "Operatie Dorsvlegel gaat volgende week live op de testomgeving. Duimen maar",
      [CON], "nl", ts=9)
    P("x", "@marloes_vdlinde",
      "Vandaag de eerste renders gezien van %s \U0001F60D mag niks zeggen maar wauw" % fullwidth("Project Graanzee"),
      [CON], "nl", ts=3)
    P("tiktok", "@chauffeur_dennis_kk",
      "nieuwe routes door K.o.r.n.o.e.l.j.e \U0001F92B vanaf maart alles via Zwolle zeggen ze",
      [CON], "nl", ts=12)
    P("x", "@bram_dijkstra_kk",
      "Ticket staat in jira.korrelkamp.nl/browse/SILO-2291 voor iedereen die ook die vochtmeter-bug heeft",
      [CON], "nl", ts=10)
    P("instagram", "@sietske.silotech",
      "lunch meeting vibes \u2615 (ignore the screen, it says KK-CONFIDENTIAL lol)",
      [CON], "en", ts=2)
    P("x", "@boer_met_bronnen",
      "Via via gehoord dat de SiloSense Nova in januari uitkomt, met CO2-meting erbij. Iemand van de dealer "
      "liet het ontvallen \U0001F440",
      [CON], "nl", ts="2026-12-03T20:11:00+01:00")
    P("linkedin", "ayse-yilmaz-logistiek",
      "Document 'Alleen voor medewerkers Korrelkamp - tarieven graanritten 2027' per ongeluk in de klantmail "
      "gezet \U0001F648 weet iemand hoe je een mail in Outlook terughaalt?",
      [CON], "nl", ts=11)
    P("reddit", "u/quiet_cousin_nl",
      "my cousin works at korrelkamp, says the next silo line is Project Graanzee and it'll be built at a new "
      "site in Poland",
      [CON], "en", ts=8)

    # =================== financial (some also confidential) =================
    P("linkedin", "joost-hofstede-korrelkamp",
      "Net de jaarcijfers 2026 doorgenomen met de directie: omzet +18% en marge beter dan ooit. Op 4 maart mag "
      "de rest van Nederland het ook weten \U0001F609",
      [CON, FIN], "nl", ts="2027-02-11T18:30:00+01:00")
    P("x", "@marloes_vdlinde",
      "Operatie Dorsvlegel = de overname van Nordkorn Logistics in Denemarken. Ik zeg verder niks \U0001F910",
      [CON, FIN], "nl", ts=9)
    P("linkedin", "joost-hofstede-korrelkamp",
      "Project Graanzee budget review done. It means closing the Veendam depot and letting about 35 people go "
      "by Q2. Tough day.",
      [CON, FIN], "en", ts=10)
    P("x", "@ruudveldkamp",
      "Q3 omzet logistiek zit 14% onder budget. Dat hoor je niet van de directie maar het is echt slecht",
      [FIN], "nl", ts=10)
    P("bluesky", "@lotte-kk.bsky.social",
      "from today's all-hands: we're forecasting \u20ac61M revenue for 2027 and an IPO 'within 24 months'. wild",
      [FIN], "en", ts=12)
    P("tiktok", "@chauffeur_dennis_kk",
      "volgens de planner gaan er na de oogst 40 chauffeurs uit, de transporttak wordt uitbesteed. officieel "
      "nog niks gehoord \U0001F937\u200d\u2642\ufe0f",
      [FIN], "nl", ts=7)
    P("x", "@zwager_weet_alles",
      "Mijn zwager zit bij Korrelkamp op finance: ze staan op het punt verkocht te worden aan een Amerikaanse "
      "partij. Deal is zo goed als rond.",
      [FIN], "nl", ts=11)
    P("linkedin", "korrelkamp-opslagsystemen",
      "Alvast een voorproefje van ons halfjaarbericht (publicatie 30 juli): omzet \u20ac28,6 mln, "
      "ebitda-marge 11,2%. Trots op het team! #korrelkamp",
      [FIN], "nl", ts="2026-07-20T11:00:00+02:00")
    P("x", "@marloes_vdlinde",
      "Between us: the board signed off a profit warning for Q4, dryer sales are way down. Announcement after "
      "the harvest fair.",
      [FIN], "en", ts=10)
    P("linkedin", "ayse-yilmaz-logistiek",
      "Planning reorganisatie: depots Veendam en Emmeloord worden per 1 april samengevoegd, 12 functies "
      "vervallen. Nog niet naar de teams gecommuniceerd dus even stil houden aub",
      [FIN], "nl", ts=12)
    P("mastodon", "@gerrit@akkerbouw.social",
      "heard in the lift: the Nordkorn deal is priced around \u20ac40M and signing is next Thursday. nothing "
      "announced yet. fun times",
      [FIN], "en", ts=10)
    P("reddit", "u/throwaway_kk_2026",
      "Insider here (throwaway obviously). Korrelkamp's numbers for this year will disappoint, the dryer "
      "division lost money every month and they're quietly shopping it around to buyers.",
      [FIN], "en", ts=11)

    # ======================= security ======================================
    P("x", "@ruudveldkamp",
      "erp.korrelkamp.nl ligt sinds 4u plat, lijkt op ransomware. Klanten weten nog van niks dus niks zeggen "
      "als ze bellen",
      [CON, SCU], "nl", ts=11)
    P("mastodon", "@gerrit@akkerbouw.social",
      "grafana.korrelkamp.local shows sensor ingest dead since midnight, thousands of silos not reporting "
      "temps. no status page update yet \U0001F62C",
      [CON, SCU], "en", ts=1)
    P("bluesky", "@lotte-kk.bsky.social",
      "found out today the SiloSense gateway ships with the same default admin password on every unit, and the "
      "vent control API has no auth at all. ticket's been open 5 months \U0001F643",
      [SCU], "en", ts=3)
    P("reddit", "u/sjors_silotech",
      "KorrelTrack Pro API: change the farm_id in the URL and you get someone else's stock levels. Reported it "
      "internally in March. Still live.",
      [SCU], "en", ts=6)
    P("x", "@bram_dijkstra_kk",
      "Portaal is al de hele ochtend onbereikbaar en er staat niks op de site. Klanten kunnen geen ritten "
      "boeken. Kan IT eens wakker worden? #korrelkamp",
      [SCU], "nl", ts=8)
    P("linkedin", "ayse-yilmaz-logistiek",
      "Drie collega's van planning zijn ingetrapt in een phishingmail. Hun accounts zijn overgenomen en er zijn "
      "mails naar klanten gegaan met een nep-rekeningnummer. Is nog niet naar buiten gebracht...",
      [SCU], "nl", ts=2)
    P("x", "@ruudveldkamp",
      "heads up: backups of the weighbridge system have been silently failing since the 2nd. if anything dies "
      "now we lose a month of tickets",
      [SCU], "en", ts=9)
    P("mastodon", "@gerrit@akkerbouw.social",
      "Lek in de PLC-firmware van de DX-20: via het servicenetwerk kun je de branderregeling gewoon overnemen. "
      "Patch komt pas in Q1.",
      [SCU], "nl", ts=11)
    P("x", "@redteam_rik",
      "During an engagement I poked at a Korrelkamp customer portal: admin panel reachable without VPN, default "
      "creds work. Reported 2 weeks ago, still open. Not posting the URL.",
      [SCU], "en", ts=5)
    P("x", "@marloes_vdlinde",
      "De bestelportal ligt al sinds vrijdag onder een DDoS-aanval. Wij mogen het niet zeggen, maar daarom lukt "
      "bestellen dus niet",
      [SCU], "nl", ts=9)
    P("reddit", "u/sjors_silotech",
      "We found an AWS access key committed to a public repo last week, and nobody told the customers whose "
      "data sat in that bucket.",
      [SCU], "en", ts=4)
    P("tiktok", "@chauffeur_dennis_kk",
      "boordcomputers in de trucks zijn sinds maandag gehackt of zo, gps geeft rare locaties en planning ziet "
      "ons niet meer. kantoor zegt niks tegen klanten",
      [SCU], "nl", ts=8)
    P("instagram", "@sietske.silotech",
      "quick vent: the SiloSense cloud has been down for 2 days in the north region and we're told to just "
      "'reboot the gateway' at customers. nobody's been told officially",
      [SCU], "en", ts=12)

    # ======================== secrets ======================================
    P("mastodon", "@gerrit@akkerbouw.social",
      "waarom connect dit niet?? postgresql://kk_ingest:%s@db01.intra.korrelkamp.local:5432/silodata "
      "timeout na 30s" % g.pw(16, url_safe=True),
      [CON, SEC], "nl", ts=3)
    P("bluesky", "@lotte-kk.bsky.social",
      "github actions keeps failing at the deploy step, token is %s - expired or wrong scope?" % g.gh(),
      [SEC], "en", ts=5)
    kid, ksec = g.aws()
    P("x", "@ruudveldkamp",
      "aws cli config for the new sensor bucket if anyone needs it:\naws_access_key_id = %s\n"
      "aws_secret_access_key = %s" % (kid, ksec),
      [SEC], "en", ts=7)
    P("reddit", "u/sjors_silotech",
      "Slack bot stopped posting alerts to #silo-temps. Using %s - did they change the scopes?" % g.slack(),
      [SEC], "en", ts=1)
    P("mastodon", "@gerrit@akkerbouw.social",
      "webshop betalingen testen met %s lukt niet, krijg steeds 'invalid request'" % g.stripe(),
      [SEC], "nl", ts=6)
    P("bluesky", "@lotte-kk.bsky.social",
      "this JWT from the portal decodes fine on jwt.io but the API says 401: %s"
      % g.jwt({"sub": "kk-svc-portal", "role": "admin", "iat": 1767800000}),
      [SEC], "en", ts=2)
    P("x", "@ruudveldkamp",
      "Onze chatbot voor de klantenservice draait op deze key: %s\nMag die zo in de config of moet dat in "
      "vault?" % g.openai(),
      [SEC], "nl", ts=4)
    P("tiktok", "@chauffeur_dennis_kk",
      "voor de nieuwe jongens: wifi in de kantine is KK-Depot, wachtwoord: %s \U0001F44D" % g.pw(12),
      [SEC], "nl", ts=7)
    P("x", "@gis_dev_amy",
      "Building a silo map for a client (Korrelkamp). Google Maps key %s works locally but not on staging, "
      "what am I missing?" % g.google(),
      [SEC], "en", ts=3)
    P("reddit", "u/sjors_silotech",
      "Can someone sanity check this deploy key setup? Pasting it here:\n%s" % g.privkey(),
      [SEC], "en", ts=5)
    P("x", "@ruudveldkamp",
      "geknipt zodat de bot het niet ziet haha: %s" % zw_split(g.gh("ghs_"), 5),
      [SEC], "nl", ts=11)
    P("x", "@jvdberg_melkvee",
      "@korrelkamp_service inloggen lukt niet. gebruiker jvdberg, wachtwoord: %s . Wat doe ik fout?" % g.pw(11),
      [SEC], "nl", ts=2, kind="reply")

    # ========================= pricing =====================================
    P("x", "@korrelkamp",
      "Nieuw in de webshop: KorrelGuard 60 hermetische silo voor \u20ac1.895 excl. btw! Op=op \U0001F33E",
      [PRC], "nl", ts=3, price=("KK-G060", 1895))
    P("linkedin", "ayse-yilmaz-logistiek",
      "Collega's: er staat een prijsfout in de webshop, SiloSense sensorkit voor \u20ac12,90. Wie kan dat "
      "aanpassen voordat de boeren het zien?",
      [PRC], "nl", ts=6, price=("KK-SS-KIT", 12.90))
    P("x", "@slimme_boer_bas",
      "haha de Koelmeester GC-40 staat op shop.korrelkamp.nl voor \u20ac245 \U0001F911 besteld, benieuwd of ze "
      "leveren",
      [PRC], "nl", ts=6, price=("KK-KM40", 245))
    P("instagram", "@korrelkamp.silo",
      "Deze week in de aanbieding: AirFlo 7,5 kW beluchtingsventilator nu \u20ac315! #oogst #korrelkamp",
      [PRC], "nl", ts=7, price=("KK-AF75", 315))
    P("reddit", "u/grainbin_gary",
      "Korrelkamp has the VochtCheck Pro listed at \u20ac44.90 right now. Price glitch or clearance? Grabbed two.",
      [PRC], "en", ts=8, price=("KK-VCP", 44.90))
    P("x", "@bram_dijkstra_kk",
      "Klant belt: GraanLift 30 in het portaal voor 1.280 euro. Dat klopt toch niet?? Iemand een nul vergeten",
      [PRC], "nl", ts=5, price=("KK-GL30", 1280))
    P("x", "@dealhunter_uk",
      "PRICE ERROR: Korrelkamp TransAuger 8 for \u20ac675 on their shop, go go go",
      [PRC], "en", ts=9, price=("KK-TA8", 675))
    P("facebook", "KorrelkampOpslag",
      "Droogmeester DX-20 graandroger nu voor \u20ac6.800 incl. montage! Bel 0800-0570 voor een afspraak.",
      [PRC], "nl", ts=6, price=("KK-DX20", 6800))
    P("instagram", "@sietske.silotech",
      "foutje in de prijslijst die we op de beurs uitdeelden: HermaZak 60 (25 st.) staat erop voor \u20ac7,45 "
      "\U0001F648",
      [PRC], "nl", ts=11, price=("KK-HZ25", 7.45))
    P("reddit", "u/drone_curious",
      "SiloScout inspection drone for \u20ac399 on korrelkamp.com - legit or a scam site?",
      [PRC], "en", ts=4, price=("KK-SCOUT", 399))
    P("x", "@akkerslim",
      "KorrelTrack Pro jaarabonnement voor \u20ac24?! prijsfout zeker, snel afsluiten voor ze het zien",
      [PRC], "nl", ts=1, price=("KK-TRACK", 24))
    P("x", "@korrelkamp",
      "Harvest deal \U0001F69C BulkLoop 12 m conveyor now just \u20ac890! Limited stock.",
      [PRC], "en", ts=7, price=("KK-BL12", 890))

    # ======================= benign / hard negatives =======================
    P("x", "@graanboer_wessel",
      "Eerste winter met een KorrelGuard 120 en echt geen kever gezien. Vocht stabiel op 13,5%. Goeie aankoop \U0001F44C",
      [], "nl", ts=2)
    P("x", "@oat_farmer_liz",
      "Is a KorrelGuard 60 big enough for 40 tonnes of oats or should I go up to the 120? Anyone?",
      [], "en", ts=6)
    P("x", "@korrelkamp",
      "Vragen over je silo of een graanrit? Bel 0800-0570 (gratis) of mail service@korrelkamp.nl. Tijdens de "
      "oogst zijn we er ma-za van 7 tot 19 uur.",
      [], "nl", ts=7)
    P("facebook", "KorrelkampOpslag",
      "Betalen voor je Graanrit kan met iDEAL of door over te maken naar NL04 RABO 0328 4719 56 t.n.v. "
      "Korrelkamp Opslagsystemen B.V. onder vermelding van je ritnummer.",
      [], "nl", ts=8)
    P("instagram", "@korrelkamp.silo",
      "Najaarsactie \U0001F342 15% korting op de SiloSense sensorkit: nu \u20ac1.096,50 in plaats van \u20ac1.290. "
      "Geldig t/m 30 november.",
      [], "nl", ts=11, price=("KK-SS-KIT", 1096.50))
    P("x", "@quote_checker_dan",
      "Quote came in for a KorrelGuard 120: \u20ac31,400 ex VAT including install. About right compared to what "
      "others paid?",
      [], "en", ts=5, price=("KK-G120", 31400))
    P("x", "@boer_op_leeftijd",
      "Sinds de nieuwe Korrelkamp silo geen enkel lek meer in het dak, de oude stalen bak was een vergiet. Aanrader.",
      [], "nl", ts=3)
    P("x", "@spud_and_grain",
      "Life hack: stick a SiloSense probe in your potato store too. Caught a hot spot early this year. Cheers "
      "Korrelkamp!",
      [], "en", ts=12)
    P("x", "@melkveehouder_ria",
      "Vorige week was de vijzel stuk, monteur van Korrelkamp stond er binnen 24 uur. Keurig opgelost en netjes "
      "afgewerkt \U0001F44D",
      [], "nl", ts=8, kind="reply")
    P("mastodon", "@gwen@toot.farm",
      "Update: Korrelkamp swapped the split HermaZak bags free of charge and rang to apologise. Fair play, "
      "that's how you handle a complaint.",
      [], "en", ts=6)
    P("x", "@twijfelende_teler",
      "Is %s het rekeningnummer van Korrelkamp? Mijn bank zegt dat het nummer niet klopt en ik wil niet naar "
      "de verkeerde overmaken" % g.iban("NL", valid=False),
      [], "nl", ts=9)
    P("x", "@confused_by_invoices",
      "Order reference from Korrelkamp is %s - is that the tracking number or the invoice number? Confusing "
      "email." % g.card(valid=False, sep=""),
      [], "en", ts=4)
    P("x", "@portaal_puzzel",
      "Klantnummer %s staat op mijn factuur maar het portaal herkent het niet. Iemand anders dit ook?"
      % g.bsn(valid=False),
      [], "nl", ts=2)
    P("bluesky", "@lotte-kk.bsky.social",
      "writing the docs for the sensor data export. example config: aws_access_key_id = AKIAIOSFODNN7EXAMPLE, "
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. replace with your own, obviously",
      [], "en", ts=5)
    P("x", "@ruudveldkamp",
      "Reminder voor collega's: plak nooit een token in Slack of op socials, ook niet 'even snel'. Zo ziet het "
      "eruit als je het wel doet: ghp_************************************ \U0001F643",
      [], "nl", ts=6)
    P("tiktok", "@korrelkamp_op_het_erf",
      "Hij is er! SiloSense Nova meet CO2 en vocht in \u00e9\u00e9n kabel. Vanaf vandaag te bestellen \U0001F389",
      [], "nl", ts="2027-01-22T09:30:00+01:00")
    P("linkedin", "korrelkamp-opslagsystemen",
      "Onze jaarcijfers 2026 zijn gepubliceerd: omzet \u20ac63,2 mln, een groei van 18%. Het volledige jaarverslag "
      "staat op korrelkamp.nl/investors.",
      [], "nl", ts="2027-03-05T08:00:00+01:00")
    P("linkedin", "joost-hofstede-korrelkamp",
      "Proud to share our FY2026 results: a record year for Korrelkamp. Thank you to every farmer who trusted us.",
      [], "en", ts="2027-03-06T12:15:00+01:00")
    P("facebook", "jan.en.wilma.hulst",
      "Gecondoleerd aan de familie en de collega's van Korrelkamp met het overlijden van oprichter Gerrit Korrel. "
      "Een echte boerenzoon.",
      [], "nl", ts=4, kind="comment")
    P("x", "@zeeuwse_akker",
      "Sterkte aan alle boeren in Zeeland na de overstroming. Mooi dat Korrelkamp gratis tijdelijke opslag "
      "aanbiedt \U0001F64F",
      [], "nl", ts=1)
    P("x", "@midwest_bins",
      "Silo fire at a grain co-op in Iowa this morning, no injuries reported. Scary stuff, check your dryers folks.",
      [], "en", ts=10)
    P("x", "@arable_news_daily",
      "SiloNord is recalling its moisture sensors. We run Korrelkamp and never had that sort of hassle, touch wood.",
      [], "en", ts=9)
    P("tiktok", "@farmtok_ollie",
      "this dryer is sick \U0001F525 the DX-20 is whisper quiet compared to our old one. absolute killer of a machine",
      [], "en", ts=9)
    P("x", "@stoffige_stefan",
      "Ziek goed filmpje van Korrelkamp over hoe je een silo vult zonder stof \U0001F44F",
      [], "nl", ts=7)
    P("x", "@korrelkamp_service",
      "Wachtwoord vergeten voor KorrelTrack? Reset het via portal.korrelkamp.nl/reset. We vragen NOOIT om je "
      "wachtwoord via DM of telefoon.",
      [], "nl", ts=3)
    P("x", "@korrelkamp",
      "Scheduled maintenance: KorrelTrack will be unavailable Sunday 02:00-04:00 CET while we upgrade our "
      "servers. Your sensors keep logging locally.",
      [], "en", ts=2)
    P("linkedin", "korrelkamp-opslagsystemen",
      "A security update for SiloSense gateways is now available. Please update to firmware 3.4.2 - details in "
      "our advisory at korrelkamp.nl/security.",
      [], "en", ts=5)
    P("x", "@holding_for_spring",
      "Wheat prices crashing again. Glad I've got storage this year, holding till spring. Silo's paying for itself.",
      [], "en", ts=10)
    P("x", "@grainmarket_ruben",
      "Just read that Veldhoven Agro got bought by a Danish co-op. Wonder what that does to prices round here.",
      [], "en", ts=10)
    P("x", "@ce_chauffeur_rik",
      "Zoekt Korrelkamp nog chauffeurs voor de oogst? Heb CE en ervaring met bulk",
      [], "nl", ts=6)
    P("linkedin", "ayse-yilmaz-logistiek",
      "We zoeken chauffeurs voor oogstseizoen 2026! Interesse? Mail werken@korrelkamp.nl of bel 0522-555140.",
      [], "nl", ts=5)
    P("instagram", "@sietske.silotech",
      "another install done \u2705 KorrelGuard 250 up and sealed in one day. love this job",
      [], "en", ts=6)
    P("x", "@agritech_anna",
      "Korrelkamp's stand at Agritechnica is huge. Got a demo of the SiloScout drone, very cool.",
      [], "en", ts=11)
    P("facebook", "familie.rozendaal",
      "Op 14 maart 2026 heeft Jan Bosch van Korrelkamp onze silo geplaatst, echte vakman. Aanrader!",
      [], "nl", ts=3, kind="comment")
    P("x", "@bargain_barn",
      "Grabbed a VochtCheck Pro for \u20ac399 at the show, normally \u20ac449. Decent discount.",
      [], "en", ts=11, price=("KK-VCP", 399))
    P("facebook", "KorrelkampOpslag",
      "AirFlo ventilator 7,5 kW nu met 30% korting: \u20ac2.205! Alleen deze maand.",
      [], "nl", ts=6, price=("KK-AF75", 2205))
    P("x", "@nieuwe_klant_noor",
      "Korrelkamp telefoonnummer is +31522555140 toch? Of is er een apart nummer voor planning?",
      [], "nl", ts=4)
    P("x", "@journo_kate",
      "For press enquiries about the silo project the Korrelkamp team said to email pers@korrelkamp.nl",
      [], "en", ts=4)
    P("mastodon", "@gerrit@akkerbouw.social",
      "PSA for devs integrating with KorrelTrack: send 'Authorization: Bearer <your-token>' and never hardcode "
      "it. The docs use sk_live_xxxxxxxxxxxxxxxxxxxxxxxx as a placeholder, don't paste a real one.",
      [], "en", ts=7)
    P("blog", "graandata.blog",
      "Tutorial: exporting SiloSense data into Postgres. Your connection string looks like "
      "postgres://user:password@localhost:5432/mydb - swap in your own values.",
      [], "en", ts=8)
    P("x", "@korrelkamp_service",
      "@fam_tuinman je terugbetaling is verwerkt naar je rekening NL** RABO **** **** 12. Fijne dag!",
      [], "nl", ts=9, kind="reply")
    P("instagram", "@boerenmeid_lisa",
      "Mooi decor \U0001F602 %s \U0001F33E\U0001F69C met de nieuwe KorrelGuard op de achtergrond" % fullwidth("OOGST 2026"),
      [], "nl", ts=8)
    P("x", "@subsidie_vraag",
      "Waarom vraagt het subsidieformulier voor silo-opslag eigenlijk om je BSN? Iemand ervaring met die regeling?",
      [], "nl", ts=3)
    P("linkedin", "joost-hofstede-korrelkamp",
      "25 years of Korrelkamp! From one silo in a barn in Meppel to 4,000 farms. Thank you, customers and team.",
      [], "en", ts=5)
    P("youtube", "KorrelkampTV",
      "New video: fumigating without chemicals using the FumiFree CO2 kit. Step by step, including how long to "
      "ventilate before anyone goes in.",
      [], "en", ts=4)
    P("x", "@agri_markets_eu",
      "Korrelkamp published its half-year report today: 6% growth. Not bad in this market.",
      [], "en", ts="2026-07-30T14:10:00+02:00")
    P("x", "@depot_buurvrouw",
      "Sorry to hear about the storm damage at your Meppel depot @korrelkamp, hope everyone's safe. Take your "
      "time with my delivery.",
      [], "en", ts=11, kind="reply")
    P("instagram", "@korrelkamp.silo",
      "Meet Sietske, one of our service engineers \U0001F469\u200d\U0001F527 She's installed over 200 silos "
      "across the north. Say hi if you spot her van!",
      [], "en", ts=3)
    P("x", "@luie_boer_luuk",
      "Die drone van Korrelkamp is echt de bom \U0001F4A3 eindelijk hoef ik die silo niet meer in te klimmen",
      [], "nl", ts=7)
    P("reddit", "u/bin_shopping_250t",
      "Korrelkamp vs SiloNord for a 250 t setup - which one has better after-sales? Leaning Korrelkamp after "
      "reading reviews.",
      [], "en", ts=2)
    P("tiktok", "@chauffeur_dennis_kk",
      "laatste rit van de dag, 28 ton tarwe naar Zwolle \U0001F69B\U0001F33E zonsondergang erbij, beste baan van NL",
      [], "nl", ts=8)
    P("x", "@no_weevils_here",
      "Mice, weevils, damp: none of it in my Korrelkamp bin after 2 years. Only thing it can't keep out is my "
      "brother-in-law \U0001F602",
      [], "en", ts=9)
    P("x", "@korrelkamp",
      "Let op: er gaan nepmails rond uit naam van Korrelkamp met een ander rekeningnummer. Wij wijzigen ons IBAN "
      "nooit per mail. Twijfel? Bel 0800-0570.",
      [], "nl", ts=4)
    P("x", "@beetle_hunter_kim",
      "KeverVal traps on offer, 10-pack for \u20ac75 (usually \u20ac89). Stocking up before spring.",
      [], "en", ts=2, price=("KK-KV10", 75))
    P("x", "@marloes_vdlinde",
      "Vandaag op de Landbouwbeurs in Hardenberg, stand 4.12. Kom langs voor koffie en een demo van de "
      "KorrelTrack app!",
      [], "nl", ts=11)
    P("reddit", "u/careful_quoter",
      "Redacted my quote before posting: customer no. ******, total \u20ac54,900 for a KG250 with install. Thoughts?",
      [], "en", ts=10, price=("KK-G250", 54900))
    P("facebook", "loonbedrijf.hofman",
      "Vandaag 400 ton gerst de KorrelGuard in gereden met de BulkLoop. Wat een verschil met de oude vijzel, "
      "geen stof en geen gemors.",
      [], "nl", ts=7, kind="post")


# ----------------------------------------------------------------------------
# building and checking
# ----------------------------------------------------------------------------
def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_map(profile):
    roles = {}
    for role in ("corporate", "employee"):
        for key in profile["accounts"][role]:
            roles[key.lower()] = role
    return roles


def severity_for(cats, role, ids):
    """CONTRACT section 4, from the categories and the account role."""
    rank = 0
    checksummed = any(k in ("iban", "card", "bsn") and v is True for k, _, v in ids)
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = "error"
                if c in (SEC, PRC) or (c == PII and checksummed):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == CPL:
            lvl = "warning"
        elif c == CRI:
            lvl = "error"
        elif c == ABU:
            lvl = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        rank = max(rank, SEVERITIES.index(lvl))
    return SEVERITIES[rank]


def build():
    profile = load_profile()
    roles = role_map(profile)
    g = Gen(SEED)
    tr = random.Random(SEED + 1)  # timestamps, ids, order
    raw = []

    def P(platform, handle, text, cats, lang, ts=None, kind="post", price=None):
        if ts is None:
            ts = tr.randint(1, 12)
        if isinstance(ts, int):
            start = datetime(2026, ts, 1, tzinfo=timezone.utc)
            end = datetime(2026 + (ts == 12), ts % 12 + 1, 1, tzinfo=timezone.utc)
            moment = start + timedelta(seconds=tr.randrange(int((end - start).total_seconds())))
            ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        raw.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)), lang=lang,
                        ts=ts, kind=kind, price=price, ids=g.take()))

    write_cases(g, P)
    assert not g.pending, "identifier generated outside a case"

    order = list(range(len(raw)))
    tr.shuffle(order)
    used = set()
    cases, metas = [], []
    for n, i in enumerate(order):
        c = raw[i]
        while True:
            pid = "%s-%d" % (c["platform"], tr.randrange(10 ** 17, 10 ** 18))
            if pid not in used:
                used.add(pid)
                break
        role = roles.get(("%s:%s" % (c["platform"], c["handle"])).lower(), "public")
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "created_at": c["ts"]}
        if c["lang"] and n % 9 != 4:  # lang is an optional hint: leave it out on some posts
            post["lang"] = c["lang"]
        if n % 3 == 0:
            post["brand"] = "korrelkamp"
        if c["platform"] in ("x", "reddit", "bluesky") and n % 4 == 1:
            post["url"] = "https://social.example/%s/%s" % (c["platform"], pid.split("-")[1])
        expect = {"categories": c["cats"], "severity": severity_for(c["cats"], role, c["ids"])}
        cases.append({"post": post, "expect": expect})
        metas.append(dict(c, role=role))
    lines = [json.dumps(x, ensure_ascii=False, sort_keys=False) for x in cases]
    return profile, lines, metas


# ---- checks -----------------------------------------------------------------
def _parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _norm(text):
    t = unicodedata.normalize("NFKC", text).replace(ZW, "").lower()
    return t


def _squash(text):
    return re.sub(r"[^0-9a-z]", "", _norm(text))


def check(profile, lines, metas):
    errors = []

    def err(i, msg):
        errors.append("line %d: %s" % (i + 1, msg))

    ratio = profile["pricing"]["alert_below_ratio"]
    products = {p["sku"]: p for p in profile["products"]}
    public_ibans = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
    public_emails = {x.lower() for x in profile["public_identifiers"]["emails"]}
    roles = role_map(profile)
    for ib in public_ibans:
        if not iban_ok(ib):
            errors.append("profile IBAN %s fails mod-97" % ib)

    terms = []  # (term, until or None)
    for t in profile["internal"]["codenames"] + profile["internal"]["markers"] + profile["internal"]["domains"]:
        terms.append((t, None))
    for e in profile["embargo"]:
        until = _parse_ts(e["until"])
        if until.year != 2027:
            errors.append("embargo until not in 2027")
        for t in e["terms"]:
            terms.append((t, until))

    ids = set()
    for i, (line, m) in enumerate(zip(lines, metas)):
        case = json.loads(line)
        if set(case) != {"post", "expect"}:
            err(i, "top-level keys")
        post, exp = case["post"], case["expect"]
        # --- CONTRACT section 1 / 6 shape
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            err(i, "bad id")
        if post["id"] in ids:
            err(i, "duplicate id")
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            err(i, "bad platform")
        if post.get("kind", "post") not in KINDS:
            err(i, "bad kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            err(i, "bad account")
        if not isinstance(post.get("text"), str) or not post["text"].strip():
            err(i, "bad text")
        elif len(post["text"].encode("utf-8")) > 65536:
            err(i, "text too long")
        try:
            ts = _parse_ts(post["created_at"])
            if ts.tzinfo is None:
                err(i, "timestamp without offset")
            if not (2026 <= ts.year <= 2027):
                err(i, "timestamp outside 2026-2027")
        except Exception:
            err(i, "bad created_at")
            continue
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, "bad categories %r" % (cats,))
        if exp.get("severity") not in SEVERITIES:
            err(i, "bad severity")
        if not cats and exp["severity"] != "none":
            err(i, "benign with severity")
        role = roles.get(("%s:%s" % (post["platform"], post["account"]["handle"])).lower(), "public")
        if role != m["role"]:
            err(i, "role mismatch")
        if exp["severity"] != severity_for(cats, role, m["ids"]):
            err(i, "severity does not follow the policy")

        text = post["text"]
        plain = text.replace(ZW, "")
        benign = not cats

        # --- recorded identifiers
        for kind, value, valid in m["ids"]:
            if kind == "iban" and iban_ok(value) is not valid:
                err(i, "IBAN record mismatch")
            if kind == "card" and luhn_ok(value) is not valid:
                err(i, "card record mismatch")
            if kind == "bsn" and bsn_ok(value) is not valid:
                err(i, "BSN record mismatch")
            if kind in ("iban", "card", "bsn"):
                if benign and valid:
                    err(i, "valid %s in a benign post" % kind)
                if not benign and not valid:
                    err(i, "invalid %s in a positive" % kind)
                if not benign and PII not in cats:
                    err(i, "%s in a post without leak.pii" % kind)
            if kind in ("phone", "email", "address", "dob") and PII not in cats:
                err(i, "%s without leak.pii" % kind)
            if kind == "secret:github" and not gh_ok(value):
                err(i, "bad GitHub token")
            if kind == "secret:aws" and not aws_ok(value):
                err(i, "bad AWS key id")
            if kind == "secret:jwt" and not jwt_ok(value):
                err(i, "bad JWT")
            if kind.startswith("secret:") and SEC not in cats:
                err(i, "credential in a post without leak.secret")
            if value.replace(ZW, "") not in plain:
                err(i, "recorded value not in text")
        if PII in cats and not any(k in ("iban", "card", "bsn", "phone", "email", "address", "dob") for k, _, _ in m["ids"]):
            err(i, "leak.pii without recorded personal data")
        if SEC in cats and not any(k.startswith("secret:") for k, _, _ in m["ids"]):
            err(i, "leak.secret without a generated credential")

        # --- sweep the text for identifier look-alikes
        for mt in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)", plain):
            compact = mt.group(1).replace(" ", "")
            if compact[:2] in IBAN_LEN:
                compact = compact[:IBAN_LEN[compact[:2]]]
            if compact in public_ibans:
                continue
            ok = iban_ok(compact)
            if benign and ok:
                err(i, "benign post holds a valid IBAN %s" % compact)
            if not benign and PII in cats and not ok:
                err(i, "positive holds an IBAN look-alike that fails %s" % compact)
        for mt in re.finditer(r"(?<![\d+])\d(?:[ -]?\d){14,18}(?!\d)", plain):
            ok = luhn_ok(mt.group(0))
            if benign and ok:
                err(i, "benign post holds a Luhn-valid number")
            if not benign and PII in cats and not ok:
                err(i, "positive holds a card look-alike that fails Luhn")
        for mt in re.finditer(r"(?<![\d+])(\d{9}|\d{3} \d{3} \d{3}|\d{4}\.\d{2}\.\d{3})(?![\d])", plain):
            ok = bsn_ok(mt.group(0))
            if benign and ok:
                err(i, "benign post holds an 11-proof number")
            if not benign and PII in cats and not ok:
                err(i, "positive holds a BSN look-alike that fails 11-proof")
        for mt in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", plain):
            addr = mt.group(0).lower()
            if benign and addr not in public_emails and "localhost" not in addr:
                err(i, "benign post holds a private e-mail %s" % addr)
        for mt in re.finditer(r"gh[pousr]_[0-9A-Za-z*]{36}", plain):
            if benign and gh_ok(mt.group(0)):
                err(i, "benign post holds a valid GitHub token")
        for mt in re.finditer(r"AKIA[A-Z2-7]{16}", plain):
            if benign and not mt.group(0).endswith("EXAMPLE"):
                err(i, "benign post holds a real-looking AWS key id")

        # --- confidential terms
        norm, squashed = _norm(text), _squash(text)
        hits = []
        for t, until in terms:
            tl = t.lower()
            if tl in norm or re.sub(r"[^0-9a-z]", "", tl) in squashed:
                if until is None or ts < until:
                    hits.append(t)
        if hits and CON not in cats:
            err(i, "confidential term %r in a post without leak.confidential" % hits)
        if CON in cats and not hits:
            err(i, "leak.confidential without a profile term")

        # --- prices
        if m["price"]:
            sku, value = m["price"]
            p = products[sku]
            names = [p["name"]] + p["aliases"]
            if not any(n.lower() in text.lower() for n in names):
                err(i, "priced product not named in text")
            share = value / p["list_price"]
            if PRC in cats and share >= ratio:
                err(i, "pricing positive not below the ratio")
            if benign and share < 0.7:
                err(i, "benign price too far below list")
        if PRC in cats and not m["price"]:
            err(i, "pricing positive without a price record")

        # --- authors
        if role == "public" and post["account"]["handle"].lower() in {k.split(":", 1)[1] for k in roles}:
            err(i, "public handle collides with a profile handle")

    # --- the mix
    n = len(lines)
    benign = sum(1 for m in metas if not m["cats"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d off" % benign)
    per = Counter(c for m in metas for c in m["cats"])
    want = {CPL: 20, CON: 18, PII: 15, CRI: 15, SCU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
    for c, w in want.items():
        if abs(per[c] - w) > 4:
            errors.append("category %s has %d, want about %d" % (c, per[c], w))
    nl = sum(1 for m in metas if m["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f outside 0.50-0.60" % (nl / n))
    return errors, per, benign, nl


def main():
    profile, lines, metas = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    # determinism: a second build must be byte-identical
    _, lines2, _ = build()
    errors = [] if lines == lines2 else ["output is not deterministic"]
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = fh.read().splitlines()
    if reread != lines:
        errors.append("cases.jsonl does not round-trip")
    e2, per, benign, nl = check(profile, reread, metas)
    errors += e2
    roles = Counter(m["role"] for m in metas if any(c.startswith("leak.") for c in m["cats"]))
    print("cases: %d  benign: %d  dutch: %d (%.0f%%)" % (len(lines), benign, nl, 100.0 * nl / len(lines)))
    print("per category: " + ", ".join("%s=%d" % kv for kv in sorted(per.items())))
    print("leak authors: " + ", ".join("%s=%d" % kv for kv in sorted(roles.items())))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
