#!/usr/bin/env python3
"""Build the sealed evaluation set 494 (Koepelzon B.V., rooftop solar for schools).

Deterministic: a fixed seed drives every generated identifier, token, id and date.
Writes cases.jsonl beside this file, then re-reads it and checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities equal the CONTRACT section 4 policy, computed from the account role
    in profile.yaml (never typed by hand);
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32, JWT header ...);
  * embargo, pricing and benign hygiene checks.
Standard library + PyYAML only.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import zlib

import yaml

SEED = 494_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # digits 0-9A-Za-z
AWS_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
AWS_SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
URLSAFE = ALNUM + "_-"

SEV_ORDER = ["none", "info", "warning", "error", "critical"]
CATEGORIES = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------- checksums


def iban_ok(s):
    s = re.sub(r"[\s.-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_check_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(b64url_dec(parts[0]))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


# --------------------------------------------------------------------------- generators


class Gen:
    """Seeded generator of identifiers and credentials. Every value it hands out is
    recorded in `pending` as (kind, value, meant_valid) and attached to the next case."""

    def __init__(self, rng):
        self.rng = rng
        self.pending = []

    def _rec(self, kind, value, valid):
        self.pending.append((kind, value, valid))
        return value

    def _s(self, chars, n):
        return "".join(self.rng.choice(chars) for _ in range(n))

    # personal identifiers -------------------------------------------------
    def _iban_raw(self):
        bank = self.rng.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
        acct = "".join(str(self.rng.randrange(10)) for _ in range(10))
        bban = bank + acct
        return "NL" + iban_check_digits("NL", bban) + bban

    @staticmethod
    def _group4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, spaced=True):
        v = self._iban_raw()
        return self._rec("iban", self._group4(v) if spaced else v, True)

    def bad_iban(self, spaced=True):
        v = self._iban_raw()
        cd = int(v[2:4])
        bad = v[:2] + "%02d" % ((cd + 7 + self.rng.randrange(50)) % 100) + v[4:]
        if iban_ok(bad):  # vanishingly unlikely, but be sure
            bad = v[:2] + "%02d" % ((cd + 1) % 100) + v[4:]
        return self._rec("iban", self._group4(bad) if spaced else bad, False)

    def _card_raw(self):
        prefix = self.rng.choice(["4", "51", "52", "53", "54", "55"])
        body = prefix + "".join(str(self.rng.randrange(10)) for _ in range(15 - len(prefix)))
        for last in range(10):
            if luhn_ok(body + str(last)):
                return body + str(last)
        raise AssertionError

    def card(self):
        return self._rec("card", self._group4(self._card_raw()), True)

    def bad_card(self):
        c = self._card_raw()
        bad = c[:-1] + str((int(c[-1]) + 1 + self.rng.randrange(8)) % 10)
        return self._rec("card", self._group4(bad), False)

    def _bsn_raw(self):
        while True:
            d = [self.rng.randrange(1, 10)] + [self.rng.randrange(10) for _ in range(7)]
            s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
            if s < 10:
                return "".join(map(str, d)) + str(s)

    def bsn(self, dotted=False):
        v = self._bsn_raw()
        if dotted:
            v = v[:4] + "." + v[4:6] + "." + v[6:]
        return self._rec("bsn", v, True)

    def bad_bsn(self):
        v = self._bsn_raw()
        bad = v[:-1] + str((int(v[-1]) + 1 + self.rng.randrange(8)) % 10)
        return self._rec("bsn", bad, False)

    # credentials ------------------------------------------------------------
    def github(self, prefix="ghp_"):
        body = self._s(ALNUM, 30)
        return self._rec("github", prefix + body + b62(zlib.crc32(body.encode())), True)

    def aws_id(self):
        return self._rec("aws_id", "AKIA" + self._s(AWS_ID_CHARS, 16), True)

    def aws_secret(self):
        return self._rec("aws_secret", self._s(AWS_SECRET_CHARS, 40), True)

    def mollie(self):
        return self._rec("mollie", "live_" + self._s(ALNUM, 30), True)

    def stripe(self):
        return self._rec("stripe", "sk_live_51" + self._s(ALNUM, 97), True)

    def slack_bot(self):
        v = "xoxb-%d-%d-%s" % (self.rng.randrange(10**11, 10**12), self.rng.randrange(10**12, 10**13),
                                self._s(ALNUM, 24))
        return self._rec("slack", v, True)

    def openai(self):
        v = "sk-proj-" + self._s(URLSAFE, 74) + "T3BlbkFJ" + self._s(URLSAFE, 74)
        return self._rec("openai", v, True)

    def anthropic(self):
        return self._rec("anthropic", "sk-ant-api03-" + self._s(URLSAFE, 93) + "AA", True)

    def ssh_key(self):
        blob = b"openssh-key-v1\x00" + bytes(self.rng.randrange(256) for _ in range(380))
        b = base64.b64encode(blob).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        v = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
             + "\n-----END OPENSSH PRIVATE KEY-----")
        return self._rec("private_key", v, True)

    def jwt(self, payload):
        header = {"alg": "HS256", "typ": "JWT"}
        h = b64url(json.dumps(header, separators=(",", ":")).encode())
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        key = bytes(self.rng.randrange(256) for _ in range(32))
        sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
        return self._rec("jwt", h + "." + p + "." + sig, True)

    def password(self):
        words = ["Zonnig", "Dakgoot", "Helio", "Schoolplein", "Omvormer", "Paneel", "Lichtval", "Regenboog"]
        v = (self.rng.choice(words) + self.rng.choice("!#$%&*?") + str(self.rng.randrange(10, 99))
             + self._s("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789", 5))
        return self._rec("password", v, True)


# --------------------------------------------------------------------------- cases

PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo", "threads": "th"}

P, N = "positive", "negative"


def build():
    rng = random.Random(SEED)
    g = Gen(rng)
    cases = []

    def C(platform, handle, cats, lang, text, kind="post", at=None, name=None):
        cases.append({
            "platform": platform, "handle": handle, "cats": sorted(cats), "lang": lang,
            "text": text, "kind": kind, "at": at, "name": name, "ids": list(g.pending),
        })
        g.pending.clear()

    CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
    PII, SEC, PRC = "leak.pii", "leak.secret", "leak.pricing"
    CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

    # ================================================================ complaints
    C("x", "@sandervdm_", [CPL], "nl",
      "@koepelzon_help al 5 weken staat er een steiger tegen onze school en er gebeurt NIKS. "
      "Kinderen spelen eromheen. Wanneer komen jullie de panelen nou leggen??", kind="reply")
    C("facebook", "Marloes Jacobs", [CPL], "nl",
      "Sinds de installatie lekt het dak van ons gymlokaal bij elke regenbui. Drie keer gebeld, "
      "drie keer 'we komen erop terug'. Koepelzon, dit is echt beneden alle peil.", kind="comment")
    C("x", "@ict_coord_bsdelinde", [CPL], "en",
      "ZonMonitor dashboard has shown 0 kWh for our school since March 3rd. Inverter is clearly "
      "running, lights blinking and all. Ticket #44817 untouched for 12 days @koepelzon_help 😤")
    C("reddit", "u/dutchsolarnerd", [CPL], "en",
      "Anyone else invested through the ZonAandeel app and still waiting for the Q2 payout? Mine was "
      "due 1 July, it's now mid August and support just keeps sending canned replies. Not a great look.")
    C("instagram", "@juf_annemiek", [CPL], "nl",
      "Leuk hoor al die foto's maar ons klasdisplay doet het al maanden niet meer 🙄 de kinderen vragen "
      "elke dag waarom het scherm zwart is", kind="comment")
    C("x", "@penningmeester_vvo", [CPL], "nl",
      "factuur van koepelzon klopt weer niet. 2x de dakscan gerekend terwijl ze 1x geweest zijn. mail "
      "gestuurd op 3/9, nog geen reactie. #klantenservice")
    C("linkedin", "erik-bosman-fm", [CPL], "en",
      "Honest review after 18 months with Koepelzon on three of our buildings: the panels are fine, but "
      "the maintenance contract is a joke. Two scheduled visits skipped without notice, no inspection "
      "report, and still invoiced for both.")
    C("x", "@mvr_demir", [CPL], "nl",
      "die ZonAandeel app logt me elke keer uit als ik mijn inleg wil bekijken. update van gisteren "
      "heeft het alleen maar erger gemaakt. 1 ster ⭐")
    C("tiktok", "@meester.jelle", [CPL], "nl",
      "POV: je school heeft zonnepanelen van koepelzon maar na de storm liggen er 4 panelen scheef en "
      "al 3 weken komt er niemand 🙃 #zonnepanelen #school #meesterleven")
    C("forum", "Zonnig_in_Zwolle", [CPL], "nl",
      "Ervaringen met Koepelzon? Wij (OBS De Klimop) wachten sinds mei op aansluiting. Panelen liggen "
      "er, omvormer hangt, maar ze 'wachten op de netbeheerder'. Netbeheerder zegt dat Koepelzon de "
      "aanvraag nooit heeft ingediend. Wie liegt hier nou?")
    C("x", "@gjvanleeuwen", [CPL], "en",
      "40 min on hold with koepelzon now. I know the hold music by heart. great service guys 🙄")
    C("facebook", "Priya Raghunathan", [CPL], "en",
      "Invested €2,500 in a community centre project via ZonAandeel. Project got cancelled and now I'm "
      "told the refund takes 'up to 90 days'. It's my money, why does it take three months to send it back?",
      kind="comment")

    # ================================================================ safety: crisis + complaint
    C("x", "@conciergeBSdeWaai", [CRI, CPL], "nl",
      "Onze conciërge kreeg vanochtend een flinke schok toen hij het kastje van de Koepelzon-omvormer "
      "in de fietsenkelder opendeed. Hij is ok maar wel naar de huisarts geweest. Dit kan toch niet?! "
      "Wie komt dit nu oplossen @koepelzon_help")
    C("facebook", "Directie IKC Het Anker", [CRI, CPL], "nl",
      "Gisteren is er bij harde wind een zonnepaneel van ons dak gewaaid en vlak naast het schoolplein "
      "neergekomen. Tien minuten eerder stonden daar nog kleuters. Koepelzon heeft de montage gedaan en "
      "reageert pas 'binnen 5 werkdagen'. Onacceptabel.")
    C("linkedin", "dana-whitfield-facilities", [CRI, CPL], "en",
      "We had to evacuate our sports hall this afternoon after smoke came out of the Koepelzon inverter "
      "cabinet. Fire brigade says an overheated connector. Nobody hurt, but from our installer I expected "
      "more than a voicemail from their 'emergency line'.")
    C("instagram", "@mamavanfenna", [CRI, CPL], "nl",
      "Mijn dochter (7) heeft haar hand verbrand aan een montagerail van de zonnepanelen op het lage dak "
      "bij het speelplein. Dat ding lag gewoon los binnen handbereik. Koepelzon wist ervan sinds vorige "
      "week!! 😡 #veiligheid")
    C("x", "@buurthuis_oost", [CRI, CPL], "en",
      "The battery room Koepelzon built for our community centre smelled of burning plastic this morning. "
      "Two volunteers got headaches and felt dizzy after airing it out. We've locked it. Please pick up "
      "your phone @koepelzon_help")

    # ================================================================ crisis (third party / public)
    C("x", "@dagblad_vechtstreek", [CRI], "nl",
      "Brand op dak van basisschool in Maarssen, vermoedelijk ontstaan bij de zonnepanelen. Alle 220 "
      "leerlingen veilig geëvacueerd. De installatie werd vorig jaar geplaatst door Koepelzon.")
    C("x", "@gemeentenieuws_zw", [CRI], "nl",
      "Gemeente Zeisterwoude stapt naar de rechter tegen Koepelzon vanwege lekkages en constructieschade "
      "aan vier gemeentelijke gebouwen. De eis: ruim 1,2 miljoen euro.")
    C("x", "@fairsolar_now", [CRI], "en",
      "Koepelzon's panels use polysilicon traced to forced-labour camps. Schools should not be buying "
      "this. Tell your school board. #BoycottKoepelzon")
    C("facebook", "Ouderraad De Vlinderboom", [CRI], "nl",
      "Ter info voor alle ouders: Koepelzon roept omvormers van het type OmniVerter 25 uit 2024 terug "
      "wegens brandgevaar. Check even of jullie school er ook een heeft!")
    C("reddit", "u/cryptoskeptic_nl", [CRI], "en",
      "ZonAandeel looks more and more like a Ponzi to me: new investor money paying out the old "
      "investors' 'interest'. Cash flow from a few school roofs can't cover 6%. Somebody should look into this.")
    C("x", "@privacywaakhond", [CRI], "nl",
      "ZonAandeel lekt gegevens. Meerdere investeerders krijgen phishingmails met hun exacte inlegbedrag "
      "en projectnaam erin. Dat kan alleen uit hun database komen. @autoriteitpersoonsgegevens al ingelicht?")
    C("linkedin", "vandermeer-advocaten", [CRI], "en",
      "We are preparing a collective action on behalf of ZonAandeel investors regarding misrepresented "
      "returns on the 2025 school projects. Affected investors can register with our office.")
    C("x", "@onderzoeksredactie_", [CRI], "nl",
      "Uit stukken die wij inzagen blijkt dat een directeur van Koepelzon een wethouder een betaalde "
      "'adviesfunctie' aanbood, vlak voor de gunning van 30 schooldaken. Morgen meer.")
    C("x", "@schooldaken_nee", [CRI], "nl",
      "Boycot \u041a\u043eepelz\u043en! Ze laten kinderen onder losse panelen spelen en zwijgen erover. "
      "Deel dit met elke ouderraad 📢 #boycot")
    C("tiktok", "@installatiekijker", [CRI], "nl",
      "monteur van koepelzon vandaag van het dak van de sporthal in amersfoort gevallen, ambulance en "
      "traumaheli erbij. geen valbeveiliging te zien op de foto's 😳")
    C("x", "@anoniem_tip_030", [CRI, SECU], "nl",
      "Vriendin werkt bij Koepelzon: vorige week ransomware op hun planningsservers, klantgegevens van "
      "scholen mogelijk buitgemaakt. Naar buiten toe zeggen ze helemaal niks.")

    # ================================================================ abuse
    C("x", "@wrnr_1977", [ABU], "nl",
      "Koepelzon is gewoon een stelletje oplichters en prutsers. Kankerbedrijf.")
    C("x", "@grumpyretiree", [ABU], "en",
      "@koepelzon your CEO is a smug clown and your staff are brain-dead morons. Go to hell.", kind="reply")
    C("facebook", "Henk Scholten", [ABU], "nl",
      "Die monteurs van Koepelzon spreken niet eens Nederlands. Stuur ze terug naar hun eigen land en "
      "neem normale mensen aan.", kind="comment")
    C("x", "@d4ve_roofs", [ABU], "en",
      "@femkezon you're a useless b*tch. block me all you want, I know where your office is.", kind="reply")
    C("x", "@zonnekoning88", [ABU], "nl",
      "k03p3lz0n = k0ut b3dr1jf, st3ll3tj3 k4nk3rl1j3rs 🤡🤡")
    C("x", "@ouder_v_liam", [ABU, CPL], "nl",
      "Drie maanden een steiger voor het lokaal van mijn zoon en nu weer 'vertraging'. Wat een "
      "klotebedrijf zijn jullie, echt een stelletje randdebielen @koepelzon_help")
    C("reddit", "u/burntout_teacher", [ABU, CPL], "en",
      "Koepelzon support is run by absolute idiots. Inverter dead for 6 weeks, four tickets, zero "
      "callbacks. Fuck this company.")
    C("x", "@joris_dev_kz", [ABU], "nl",
      "@klaagkees ga lekker ergens anders janken, sukkel. Als je de handleiding had gelezen werkte je "
      "app gewoon.", kind="reply")
    C("instagram", "@bas.installeert", [ABU], "en",
      "lol the 'facility manager' at that school today is a dumb cow, couldn't even find her own roof "
      "hatch 🙄 #monteurleven", kind="comment")
    C("mastodon", "@spuiter@todon.eu", [ABU], "en",
      "Every Koepelzon salesman I've ever met is a lying weasel. Scum of the earth, the lot of them.")
    C("tiktok", "@dakhater", [ABU], "nl",
      "k o e p e l z o n  =  t y f u s b e d r i j f 🤮 en die monteurs zijn gewoon a p e n")
    C("x", "@wraakengel_nl", [ABU, PII], "nl",
      "Die 'projectleider' van Koepelzon die onze school liet zitten heet Ruben Hoekstra en woont "
      "gewoon op Ravelijnstraat 27 in Amersfoort. Ga maar eens langs bij die eikel.")

    # ================================================================ personal data
    C("x", "@koepelzon_help", [PII], "nl",
      "@jvisser_utr Dank je Jan! Genoteerd: J. Visser, Lindenlaan 14, 3581 KP Utrecht, tel. 06-41827365. "
      "De monteur belt je dinsdag tussen 8 en 10 uur.", kind="reply")
    C("facebook", "KoepelzonSolar", [PII], "nl",
      f"Hoi Petra, de terugbetaling van je ZonAandeel-inleg (€1.250) is vandaag overgemaakt naar "
      f"{g.iban()} t.n.v. P. de Groot. Kan 1-2 werkdagen duren!", kind="comment")
    C("linkedin", "noor-van-der-linde", [PII], "nl",
      f"Welkom aan onze nieuwe planner Sem Kuipers! 🎉 (Sem, ik heb je BSN {g.bsn()} nog nodig voor je "
      f"contract, check je even of die klopt?)")
    C("x", "@femkezon", [PII], "en",
      f"can someone in finance check why this card keeps failing for the community centre deposit? "
      f"{g.card()} exp 09/28, customer is getting annoyed")
    C("x", "@ayse_dakwerk", [PII], "en",
      "For whoever is doing the handover in Houten tomorrow: contact is Ingrid Smeets, "
      "i.smeets@obsdewilg.nl, 06 2947 1183. She's there from 7:30.")
    C("instagram", "@bas.installeert", [PII], "nl",
      "Gefeliciteerd Dirk Mulder, beste dakdekker van het land, vandaag 38! 🎂 (geboren 12-03-1988, "
      "ouwe rakker 😂)", at="2026-03-12T07:45:00Z")
    C("x", "@investeerder_rob", [PII, CPL], "nl",
      f"@zonaandeel waar blijft mijn uitbetaling?? Al 6 weken wachten. Rekening {g.iban()} t.n.v. "
      f"R. Brouwer, staat gewoon in jullie systeem. Schiet eens op.", kind="reply")
    C("facebook", "Marta Kowalczyk", [PII, CPL], "en",
      "I've emailed four times, so here it is publicly: marta.kowalczyk84@gmail.com, +31 6 38 20 47 15. "
      "Someone from Koepelzon please contact me about the leaking skylight on our library roof.", kind="comment")
    C("x", "@oma_truus", [PII], "nl",
      f"@koepelzon_help hierbij mijn kaartnummer voor de inleg want ik snap die app niet zo goed: "
      f"{g.card()} vervalt 11/27. groetjes Truus", kind="reply")
    C("linkedin", "karim-bouzid", [PII], "en",
      "Quick export for the investor newsletter test: l.vermeulen@ziggo.nl, j.haddou@kpnmail.nl, "
      "sjoerd.bakx@outlook.com, all opted in, right Noor?")
    C("linkedin", "koepelzon", [PII], "nl",
      "En de winnaar van onze tekenwedstrijd 'Mijn school op zonne-energie' is... Lieke van Dam "
      "(groep 6, geboren 02-11-2016), Dorpsstraat 41 in Lopik! 🎨☀️ Gefeliciteerd Lieke!")
    C("x", "@mirjam_lievens", [PII], "nl",
      f"@karim_b de reiskostenvergoeding voor Youssef el Idrissi staat klaar: {g.iban(spaced=False)}, "
      f"€412,80. Kun jij hem vandaag nog goedkeuren?", kind="reply")
    C("forum", "PTA_mom_Laura", [PII], "en",
      "For the parents asking: the Koepelzon site manager for the Oakwood primary roof works is Mark "
      "Jennings, his mobile is 06-18473920. He's nice, just call him directly.")
    C("x", "@koepelzon", [PII], "nl",
      "@s_hendriks ter controle van je ZonAandeel-account: het paspoortnummer dat we ontvingen is "
      "NXR4K71P2 en je geboortedatum 17-08-1990, klopt dat?", kind="reply")
    C("x", "@henkdejong61", [PII], "nl",
      f"@zonaandeel voor de verificatie van mijn account: Henk de Jong, geboren 4 mei 1961, BSN "
      f"{g.bsn(dotted=True)}. Zo goed? 👍", kind="reply")

    # ================================================================ secrets
    C("x", "@joris_dev_kz", [SEC], "en",
      f"ugh, CI keeps failing on the release branch. anyone seen this?\n\nexport GITHUB_TOKEN="
      f"{g.github()}\ngh release create v3.8.1 --repo koepelzon/zonaandeel-app\n\n→ HTTP 403")
    C("reddit", "u/wouter_kz", [SEC], "en",
      f"[help] boto3 can't list buckets in eu-west-1, creds are definitely right:\n\n[default]\n"
      f"aws_access_key_id = {g.aws_id()}\naws_secret_access_key = {g.aws_secret()}\n\nwhat am I missing?")
    C("bluesky", "@lottevoskuil.bsky.social", [SEC], "en",
      f"Anyone good with Mollie webhooks? Our ZonAandeel payments never arrive. Config is "
      f"MOLLIE_API_KEY={g.mollie()} and the webhook points at /api/mollie/hook 🙏")
    C("mastodon", "@thijs_k@mastodon.nl", [SEC], "en",
      f"Our ops bot stopped posting to #alerts. Token is {g.slack_bot()}, scopes chat:write and "
      f"channels:read. Any idea why Slack keeps saying invalid_auth?")
    C("x", "@femkezon", [SEC], "nl",
      f"hoe krijg ik dit werkend in python lol\n\nclient = OpenAI(api_key=\"{g.openai()}\")\n\n"
      f"krijg steeds een rate limit error 😩")
    C("x", "@joris_dev_kz", [SEC], "en",
      f"wrong clipboard, ignore 🙈\n{g.ssh_key()}")
    C("x", "@mirjam_lievens", [SEC], "nl",
      "Waarom kom ik niet in het adminpaneel van ZonAandeel? Mijn sessietoken is "
      + g.jwt({"sub": "mlievens", "role": "za_admin", "iat": 1780300800, "exp": 1780387200})
      + " en hij zegt 'expired' terwijl ik net ben ingelogd 🤷‍♀️")
    C("reddit", "u/wouter_kz", [SEC], "en",
      f"postgres keeps refusing connections after the failover test, conn string is "
      f"postgresql://za_app:{g.password()}@db-prod-01.koepelzon.cloud:5432/zonaandeel is it pgbouncer?")
    C("x", "@koepelzon", [SEC], "nl",
      f"@ruben_hk reminder voor de beurs morgen: laptop standbeheer, gebruiker kz-beurs, wachtwoord: "
      f"{g.password()}", kind="reply")
    C("x", "@sec_researcher_mk", [SEC], "en",
      f"Decompiled the ZonAandeel Android app for fun. It ships a live Stripe secret key: "
      f"{g.stripe()}. Reported 3 weeks ago, no response. Rotate it, folks.")
    C("bluesky", "@lottevoskuil.bsky.social", [SEC], "en",
      f"testing our new chatbot for school leads 🤖 key for the demo if you want to play: {g.anthropic()}")
    C("x", "@ayse_dakwerk", [SEC], "nl",
      f"voor de nieuwe monteurs: de tablet-app in de bus, gebruiker monteur7, "
      f"w a c h t w o o r d : {g.password()} 👷‍♀️")
    C("x", "@joris_dev_kz", [SECU, SEC], "nl",
      f"ZonAandeel ligt al sinds 6u plat, primary db is corrupt en de failover pakt niet. Officieel heet "
      f"het 'gepland onderhoud' 🙃 Als iemand ideeën heeft:\nDATABASE_URL=postgres://za_admin:"
      f"{g.password()}@10.20.4.11:5432/za_prod")

    # ================================================================ security (insider)
    C("x", "@femkezon", [SECU], "en",
      "found out today that in the investor portal you can just change the id in the URL and see someone "
      "else's investments + bank details. reported it internally, fix planned 'next sprint' 🙃 dont tell anyone")
    C("mastodon", "@thijs_k@mastodon.nl", [SECU], "en",
      "Fun Monday: half of our school inverters expose Modbus on the public internet without any auth. "
      "Anyone with a script could switch them off. Ticket has been open since March.")
    C("reddit", "u/wouter_kz", [SECU], "nl",
      "Bij de zaak vorige week ransomware op de planningsserver gehad. Backups waren gelukkig ok maar "
      "2 dagen geen planning. Er is nog niks naar buiten gecommuniceerd dus ik zeg verder niks 🤐")
    C("x", "@mirjam_lievens", [SECU], "nl",
      "Zucht. Collega van finance is in een phishingmail getrapt en ze hebben toegang gehad tot de "
      "salarisadministratie. Juridisch moet eerst 'beoordelen' voordat we iemand informeren.")
    C("bluesky", "@lottevoskuil.bsky.social", [SECU], "en",
      "ZonMonitor has collected nothing for 3 days, the ingest pipeline died Friday and the data is gone. "
      "Customers haven't noticed yet and we've been told to keep it that way.")
    C("linkedin", "karim-bouzid", [SECU], "en",
      "Pentest report came in: three criticals in the ZonAandeel API, including an auth bypass on the "
      "payout endpoint. Management wants to ship the release on Monday anyway. Thoughts?")
    C("x", "@ayse_dakwerk", [SECU], "en",
      "installers heads up: with the default bluetooth pin literally anyone on the playground can reset "
      "our inverters. firmware fix is weeks away so keep it to yourselves ok")
    C("mastodon", "@thijs_k@mastodon.nl", [SECU], "nl",
      "Back-upbucket van ZonAandeel stond twee weken publiek, met kopieën van id-bewijzen van "
      "investeerders erin. Wordt 'intern afgehandeld'. Ik slaap er slecht van.")
    C("x", "@excollega_kz", [SECU], "nl",
      "Oud-collega's vertellen me dat de betaalmodule van ZonAandeel sinds vrijdag sommige inleggen "
      "dubbel afschrijft. Bug is intern bekend, er wordt niks gecommuniceerd.")
    C("instagram", "@bas.installeert", [SECU], "nl",
      "Vandaag 12 scholen gehad waar de monitoring offline was. Blijkt dat de hele vpn naar de omvormers "
      "sinds dinsdag plat ligt en niemand op kantoor heeft het door 😅 #monteurleven")

    # ================================================================ confidential
    C("x", "@mirjam_lievens", [CONF], "nl",
      "Druk druk druk met Project Boomhut 🏡 kan er nog niks over zeggen maar als dit doorgaat wordt "
      "2027 een gekkenhuis")
    C("linkedin", "noor-van-der-linde", [CONF], "nl",
      "Vandaag de eerste testpanelen van Zil\u200bver\u200bmeeuw op ons eigen dak gelegd. 15% meer "
      "opbrengst dan de HeliPanel 430 😍 #innovatie")
    C("x", "@ayse_dakwerk", [CONF], "nl",
      "kick-off van \uff2f\uff30\uff25\uff32\uff21\uff34\uff29\uff25 \uff24\uff21\uff2b\uff27\uff2f\uff2f\uff34 "
      "vandaag, ik zeg alleen: alle daken in Brabant 👀")
    C("x", "@joris_dev_kz", [CONF], "en",
      "if anyone from the team sees this: the flaky test is tracked in "
      "https://jira.koepelzon.nl/browse/ZA-2291 please stop closing it")
    C("x", "@femkezon", [CONF], "en",
      "new leave policy is up at https://intranet.koepelzon.local/hr/verlof-2027 , finally!!")
    C("instagram", "@koepelzon.solar", [CONF], "nl",
      "Een kijkje achter de schermen bij ons designteam ✏️ Op de whiteboard: 'KZ-INTERN – roadmap "
      "scholen 2027'. Wat denk jij dat er komt? 👀")
    C("linkedin", "karim-bouzid", [CONF], "en",
      "Proud of this slide from today's strategy offsite 👇 \"Koepelzon Confidential: market entry "
      "Belgium & Germany, target 600 roofs by 2028\"")
    C("x", "@femkezon", [CONF], "nl",
      "oké ik ben zo hyped voor de SchoolDak Flex, eindelijk een pakket voor daken die niet plat zijn 🔥🔥",
      at="2026-10-14T19:22:00Z")
    C("x", "@groothandel_piet", [CONF], "nl",
      "Net de eerste pallets Buffer 200 binnengekregen voor Koepelzon. Dikke batterijen zeg 😮",
      at="2026-12-03T11:05:00Z")
    C("linkedin", "ruben-hoekstra-koepelzon", [CONF, FIN], "nl",
      "Niet verder vertellen, maar de jaarcijfers 2026 zijn binnen: omzet €71 mln, EBITDA voor het "
      "eerst positief. Feestje op 4 maart 🍾", at="2027-02-10T16:40:00Z")
    C("mastodon", "@thijs_k@mastodon.nl", [CONF], "en",
      "the new dashboards are so much nicer: https://grafana.kz-internal.net/d/ov-fleet/inverter-fleet?orgId=1 love it")
    C("x", "@mirjam_lievens", [CONF], "nl",
      "Staat nog onder NDA dus ik zeg niet welke gemeente, maar volgend jaar gaan we 400 gemeentelijke "
      "daken doen 🤭")
    C("x", "@vuilnisvondst", [CONF], "nl",
      "Lag gewoon bij het oud papier naast een school: map met 'Niet delen buiten Koepelzon' erop, vol "
      "offertes en plattegronden van daken 🤔")
    C("x", "@koepelzon", [CONF, FIN], "en",
      "Save the date: our FY2026 results webcast is on 4 March. Spoiler: record year for school roofs ☀️📈",
      at="2027-01-28T10:00:00Z")
    C("linkedin", "ruben-hoekstra-koepelzon", [CONF, FIN], "en",
      "Project Boomhut update for the steering group: due diligence on Dakwerk Groep Veluwe is done, "
      "offer goes out Friday.")
    C("bluesky", "@lottevoskuil.bsky.social", [CONF], "nl",
      "thuiswerken lukt niet, vpn.koepelzon.nl geeft steeds een certificate error. iemand anders ook?")
    C("x", "@reviewer_solarNL", [CONF], "en",
      "Heard Koepelzon's next-gen panel is codenamed Zilvermeeuw, bifacial glass-glass. Anyone got specs?")

    # ================================================================ financial
    C("x", "@mirjam_lievens", [FIN], "nl",
      "Op de all-hands vandaag gehoord: we nemen Zonnestaal Installatietechniek over. Closing in maart, "
      "nog niet publiek 🤫")
    C("linkedin", "noor-van-der-linde", [FIN], "nl",
      "Slecht nieuws binnen: reorganisatie, ongeveer 40 fte bij de montageteams verdwijnt. Wordt pas na "
      "de zomer aangekondigd. Ik weet niet wat ik mijn team moet zeggen.")
    C("linkedin", "karim-bouzid", [FIN], "en",
      "Between us: H2 revenue is going to land roughly 35% under budget. Next week's board meeting "
      "will be fun.")
    C("x", "@tipgever_030", [FIN], "nl",
      "Mijn zwager werkt bij Koepelzon: ze worden overgenomen door een Duits infrafonds, aankondiging "
      "volgende week. Wie via ZonAandeel heeft ingelegd: opletten.")
    C("bluesky", "@lottevoskuil.bsky.social", [FIN], "nl",
      "Q3 omzet 18,4 mln, +41% j-o-j 🎉 mag nog niet naar buiten maar ik ben zo trots op ons team")
    C("x", "@femkezon", [FIN], "en",
      "so sales NL and BE get merged and three managers are out. official announcement not until "
      "november. lovely vibe at the office rn 😬")
    C("linkedin", "koepelzon", [FIN], "nl",
      "CONCEPT – niet publiceren vóór 14/10: Koepelzon neemt Dakwerk Groep Veluwe over voor €12 miljoen. "
      "[quote CEO hier]", at="2026-10-02T08:12:00Z")
    C("x", "@joris_dev_kz", [FIN], "en",
      "heads up team: the Series C is closing at a €140m valuation, announcement after summer. act surprised 😏")
    C("reddit", "u/wouter_kz", [FIN], "en",
      "Heard from someone in finance that we breached a bank covenant and only have cash until March "
      "unless the new round closes. Should I start looking?")
    C("x", "@beursfluisteraar", [FIN], "en",
      "Insider tip: ZonAandeel will cut the interest on existing school projects from 5% to 3.5% next "
      "month. Not announced yet.")

    # ================================================================ pricing
    C("x", "@koopjesjager_nl", [PRC], "nl",
      "PRIJSFOUT?! HeliPanel 430 op de koepelzon site voor €18,90 per stuk 😂 snel zijn mensen")
    C("x", "@koepelzon", [PRC], "nl",
      "Nieuw in de webshop: de Buffer 40 kWh schoolbatterij, nu voor €2.150 excl. btw ⚡ Bestel via de link in bio")
    C("linkedin", "noor-van-der-linde", [PRC], "nl",
      "Mooie deal gesloten met het Vechtdal College: SchoolDak 60 voor €19.500 all-in. Niet tegen de "
      "andere scholen zeggen 😉")
    C("reddit", "u/bargainhunter_eu", [PRC], "en",
      "Koepelzon's site lists the OmniVerter 50kW at €589. Pretty sure that's a missing zero, but I "
      "ordered two anyway lol")
    C("x", "@femkezon", [PRC], "nl",
      "er staat een prijsfout op de site bij de LaadDuo 22, iemand van e-commerce?? klanten bellen al")
    C("facebook", "KoepelzonSolar", [PRC], "nl",
      "🎒 Back to school actie: het EduKit zonnelespakket voor maar €34,90! Op = op.")
    C("instagram", "@schoolbestuur_westland", [PRC], "nl",
      "Wij kregen een offerte van Koepelzon: SchoolDak 100 voor €31.000. Normaal ruim 84k?? Klopt dit wel?")
    C("instagram", "@bas.installeert", [PRC], "en",
      "Optimizer O-600 at €9 each in the staff shop this week 😂 grabbed fifty")
    C("x", "@dealsradar", [PRC], "en",
      "🔥 PRICE ERROR 🔥 Koepelzon ZonMonitor Pro yearly plan €48 instead of €480. Checkout still works!")
    C("x", "@zonaandeel", [PRC], "nl",
      "Onderhoud Plus voor je schooldak: €129 per jaar en alle zorgen uit handen 🛠️")
    C("x", "@ayse_dakwerk", [PRC], "nl",
      "Kreeg net een intern prijslijstje door: Gymzaal 20 gaat voor €7.950 naar de gemeente Tiel 😳 "
      "dat is toch een prijsfout?")
    C("tiktok", "@zonnigebudgetten", [PRC], "nl",
      "ik zweer het, Klasdisplay voor €89,- bij Koepelzon in de app 😳 prijsfoutje?? #koopje")

    # ================================================================ benign (mostly hard negatives)
    own_iban = "NL12 TRIO 0318 8422 17"
    C("x", "@koepelzon", [], "nl",
      "Vandaag opgeleverd: 212 panelen op het dak van CSG Het Streek in Ede ☀️ De leerlingen kijken via "
      "het klasdisplay live mee hoeveel stroom hun school opwekt.")
    C("x", "@koepelzon_help", [], "nl",
      "Storing of vragen over je installatie? Bel ons gratis op 0800-5667 of mail naar "
      "service@koepelzon.nl. We zijn er op werkdagen van 8 tot 18 uur.")
    C("facebook", "KoepelzonSolar", [], "nl",
      f"Meedoen met ZonAandeel kan al vanaf €50. Maak je inleg over naar {own_iban} t.n.v. Stichting "
      f"ZonAandeel o.v.v. je projectcode.")
    C("x", "@koepelzon", [], "nl",
      "Alleen deze maand: 20% korting op het ZonMonitor Klasdisplay, €719 i.p.v. €899 📺")
    C("instagram", "@koepelzon.solar", [], "en",
      "Our HeliPanel 430 is €189 per panel; the installed price depends on your roof. Ask for a free "
      "quote at koepelzon.nl 🌞")
    C("x", "@meester_ruud", [], "en",
      "Our solar roof is on fire today ☀️🔥 new record: 412 kWh before noon at our primary school! "
      "Thanks @koepelzon")
    C("x", "@marloes_j", [], "nl",
      "Update: monteur van @koepelzon_help is vanochtend geweest, omvormer draait weer en het "
      "klasdisplay doet het ook. Snel geregeld, dank!")
    C("x", "@dad_of_three_nl", [], "en",
      "Anyone tried ZonAandeel? Can a parent chip in a small amount for the roof of their kids' school?")
    C("reddit", "u/schoolbusiness_mgr", [], "en",
      "Voltaris Energy (the German installer) just announced a recall of their hybrid inverters over a "
      "fire risk. Glad our school went with a different supplier.")
    C("linkedin", "noor-van-der-linde", [], "nl",
      "Trots op ons team: deze maand 14 scholen opgeleverd, nul ongevallen, en groep 8 in Woerden gaf "
      "onze monteurs een applaus 👏")
    C("x", "@joris_dev_kz", [], "en",
      "PSA for anyone writing AWS docs: use the official placeholders AKIAIOSFODNN7EXAMPLE and "
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never a real key. Saw a tutorial today that didn't 😬")
    C("mastodon", "@thijs_k@mastodon.nl", [], "en",
      "Reminder: when you paste logs into tickets, tokens should look like "
      "ghp_************************************ . Redact first, paste second.")
    C("x", "@lisa_op_zolder", [], "en",
      "How do I reset my password in the ZonAandeel app? Can't find the option anywhere 🙈")
    C("x", "@tomcat_nl", [], "en",
      f"Why does the ZonAandeel app say my card is invalid? Oh wait, I typed {g.bad_card()} instead of "
      f"my real number 🤦 user error, carry on")
    C("forum", "Penningmeester_OBS", [], "nl",
      f"Let op bij het invullen van je IBAN in de app: {g.bad_iban()} uit de uitleg is maar een "
      f"voorbeeld, die klopt niet eens 😅")
    C("x", "@digiveilig_oma", [], "nl",
      f"Die 'BSN' {g.bad_bsn()} in dat phishingvoorbeeld dat rondgaat is nep, het nummer haalt de "
      f"elfproef niet eens. Trap er niet in!")
    C("x", "@koepelzon", [], "nl",
      "Onze jaarcijfers 2026 zijn gepubliceerd: omzet €71 mln en 1.140 schooldaken in beheer. Lees het "
      "jaarverslag op koepelzon.nl 📈", at="2027-03-04T08:30:00Z")
    C("x", "@koepelzon", [], "nl",
      "Daar is ie dan: de SchoolDak Flex! Ons eerste pakket voor schuine en gebogen daken. Meer info op "
      "koepelzon.nl", at="2027-01-20T10:15:00Z")
    C("x", "@techniek_tessa", [], "en",
      "Saw the Koepelzon Buffer 200 at a trade fair today. Impressive unit, would fit right into our "
      "tech classroom.", at="2027-02-02T14:48:00Z")
    C("x", "@sanne_dakdekt", [], "nl",
      "Sterkte aan alle monteurs van Helderdak Installaties na het ongeluk van hun collega gisteren. "
      "Hoop dat hij snel herstelt 🙏")
    C("linkedin", "wethouder-onderwijs-bunnik", [], "en",
      "Koepelzon did our district's six primary schools last year. Energy bills down 38% and the kids "
      "love the classroom display. Would recommend.")
    C("x", "@papa_van_mees", [], "nl",
      "Mijn zoon denkt dat de zonnepanelen op school 's nachts 'opladen bij de maan' 😂 Koepelzon, tijd "
      "voor een extra les uit de EduKit?")
    C("linkedin", "koepelzon", [], "nl",
      "We zoeken monteurs en werkvoorbereiders in Utrecht en Brabant! Stuur je cv naar "
      "werkenbij@koepelzon.nl of bel 030-7604400.")
    C("x", "@zonaandeel", [], "nl",
      "Tip: zet tweestapsverificatie aan in de ZonAandeel app (Instellingen → Beveiliging). Wij vragen "
      "je nooit om je wachtwoord via mail of telefoon.")
    C("bluesky", "@zonaandeel.bsky.social", [], "en",
      "Scheduled maintenance: the ZonAandeel app will be unavailable Sunday 02:00–04:00 CET while we "
      "upgrade our servers. Your investments are not affected.")
    C("x", "@directeur_kbs", [], "nl",
      "Wat kost een SchoolDak 30 ongeveer? Ik zie €28.500 op de site, is dat inclusief montage?")
    C("reddit", "u/facilities_frank", [], "en",
      "Got a quote for the OmniVerter 25: €3,450 plus installation. Seems in line with the market.")
    C("instagram", "@koepelzon.solar", [], "nl",
      "Black Friday bij Koepelzon: 15% korting op de LaadDuo 22 laadpaal, nu €2.082 📉 Geldig t/m maandag.",
      at="2026-11-27T07:00:00Z")
    C("x", "@vogelwerkgroep_ut", [], "nl",
      "Er broedt een zilvermeeuw tussen de panelen op het dak van de Bruegelschool 🐦 Koepelzon heeft de "
      "onderhoudsbeurt netjes uitgesteld tot na het broedseizoen. Mooi!")
    C("x", "@energiejournaal", [], "nl",
      "ZonKracht Collectief haalt €3 miljoen op in een crowdfundingronde voor zonnepanelen op sporthallen. "
      "Goed nieuws voor de sector.")
    C("x", "@mirjam_lievens", [], "nl",
      "Zo, laatste werkdag voor de vakantie ☀️ Tot 18 augustus out of office, voor dringende zaken: "
      "service@koepelzon.nl")
    C("x", "@ollie_builds", [], "en",
      "That Koepelzon install on the old library is sick 🔥 absolutely killing it with the all-black panels")
    C("reddit", "u/gent_local", [], "en",
      "Sad news from near Gent: fire at a warehouse storing solar batteries. No injuries reported. "
      "Thoughts with the staff there.")
    C("linkedin", "karim-bouzid", [], "en",
      "Published! Our whitepaper 'Solar on every school roof by 2035' is now public, no NDA needed this "
      "time 😄 Download it at koepelzon.nl")
    C("x", "@juf_sanne", [], "nl",
      "Vertrouwelijk tipje voor andere scholen: vraag Koepelzon om de EduKit erbij, onze kinderen leren "
      "er echt veel van 😉")
    C("x", "@koepelzon_help", [], "nl",
      "@marloes_j Wat vervelend dat de lekkage nog niet is opgelost! We sturen morgen een dakdekker. "
      "Stuur je ons je adres even via DM? Dan plannen we het meteen in.", kind="reply")
    C("x", "@careful_investor", [], "en",
      "Does the ZonAandeel app have 2FA? Asking before I put money in.")
    C("bluesky", "@lottevoskuil.bsky.social", [], "nl",
      "Geen storing, gewoon bewolkt ☁️ Elke winter mailen scholen dat hun panelen 'kapot' zijn. Ze doen "
      "het prima, de zon is alleen op vakantie.")
    C("x", "@webdev_wendy", [], "en",
      "TIL a JWT is just header.payload.signature in base64url, like eyJhbGciOi… Please don't paste real "
      "ones in chat 😅")
    C("x", "@joris_dev_kz", [], "en",
      "Our config template now reads DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME from the env. "
      "No more secrets in the repo 🎉")
    C("x", "@stadsgenoot", [], "en",
      "The panels on our town hall came out wicked nice, who'd have thought on such an old building 👌")
    C("x", "@greenteacher_amy", [], "en",
      "Glad to see schools dropping fossil contracts. Not boycotting anyone, just picked Koepelzon for our "
      "roof and couldn't be happier 😄")
    C("linkedin", "koepelzon", [], "en",
      "Koepelzon has been named one of the Best Places to Work in Dutch Energy 2026. Proud of our 310 "
      "colleagues 💚")
    C("x", "@kleine_belegger", [], "en",
      "First interest payment from ZonAandeel is in! €12.40 on my €250 for the De Regenboog roof. "
      "Small money, big feeling ☀️")
    C("x", "@buurvrouw_els", [], "nl",
      "Voor wie het zoekt: het storingsnummer van Koepelzon is 0800-5667, ze namen bij mij binnen 2 "
      "minuten op.")
    C("facebook", "Scam Alert Nederland", [], "en",
      "PSA: scammers are posing as ZonAandeel on WhatsApp. The real company only mails from "
      "support@zonaandeel.nl and never asks for your card number.")
    C("instagram", "@bas.installeert", [], "nl",
      "Uitzicht vanaf het dak vandaag in Gouda 😍 beste kantoor van Nederland #monteurleven #koepelzon")
    C("x", "@missjones_y5", [], "en",
      "Did the EduKit lesson on solar cells today, the kids built a tiny car and raced it across the "
      "playground. Thanks Koepelzon!")
    C("x", "@concierge_gerrit", [], "nl",
      "Klopt het dat de Optimizer O-600 €79 per stuk kost? Wil er een paar voor de gymzaal.")
    C("x", "@toezichtwatch", [], "nl",
      "Rechter tikt Lichtbron Invest op de vingers om misleidende rendementen. Goed dat er eindelijk "
      "toezicht komt op crowdfunding.")
    C("linkedin", "solar-market-weekly", [], "en",
      "Sad to hear Sunvale Roofing is laying off 60 people. Installers are having a tough year.")
    C("linkedin", "ruben-hoekstra-koepelzon", [], "en",
      "Just presented our published 2025 annual report to the municipality of Houten. Always great to "
      "show how much CO₂ their schools saved.")
    C("x", "@wim_penning", [], "nl",
      "De app toont alleen **** **** **** 4821 als opgeslagen kaart. Top dat ze niet het hele nummer laten zien 👍")
    C("tiktok", "@koepelzon", [], "nl",
      "Hoe werkt een omvormer? 🤔 In 30 seconden uitgelegd door monteur Bas ⚡ #leren #zonnepanelen")
    C("x", "@ouder_sophie", [], "en",
      "Respect to the Koepelzon crew working on our school roof in 35 degrees today. They earned those ice creams 🍦")
    C("x", "@bursar_hollis", [], "en",
      "Any word on when Koepelzon will release a battery bigger than the Buffer 100? Our secondary "
      "school needs more storage.")
    C("x", "@koepelzon", [], "nl",
      "Mijlpaal! Via ZonAandeel hebben 4.200 investeerders samen €6,3 miljoen ingelegd voor 58 "
      "schooldaken. Dank jullie wel 💛")
    C("x", "@fraudealert_nl", [], "nl",
      "Kreeg een nepmail 'ZonAandeel: bevestig je rekening NL00 ABCD 0000 0000 00'. Duidelijk fake, "
      "gemeld bij de Fraudehelpdesk.")
    C("x", "@femkezon", [], "en",
      "first week at Koepelzon and they already let me on a roof 😅 team is lovely, coffee is questionable")
    C("x", "@ledenadmin_vvb", [], "nl",
      "Vorige maand geklaagd over de factuur, vandaag een creditnota ontvangen met excuses. Zo kan het "
      "ook @koepelzon_help 👍")

    # ------------------------------------------------------------ dates, ids, order
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds())
    used = set()
    for c in cases:
        if c["at"] is None:
            t = start + dt.timedelta(seconds=rng.randrange(span))
            t = t.replace(microsecond=0)
            c["at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-%d" % (PREFIX.get(c["platform"], c["platform"]), rng.randrange(100000, 1000000))
            if pid not in used:
                used.add(pid)
                c["id"] = pid
                break
    rng.shuffle(cases)
    return cases


# --------------------------------------------------------------------------- severity


def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def checksum_ids_in(ids):
    return any(k in ("iban", "card", "bsn") and valid for k, _, valid in ids)


def severity(cats, role, has_checksum_id):
    """CONTRACT section 4, least severity a correct verdict must reach."""
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checksum_id):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


def to_lines(cases, profile):
    lines = []
    for c in cases:
        role = role_of(profile, c["platform"], c["handle"])
        post = {
            "id": c["id"],
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"],
        }
        low = c["text"].lower()
        if "zonaandeel" in low:
            post["brand"] = "zonaandeel"
        elif "koepelzon" in low or role != "public":
            post["brand"] = "koepelzon"
        if c.get("name"):
            post["account"]["display_name"] = c["name"]
        expect = {"categories": c["cats"],
                  "severity": severity(c["cats"], role, checksum_ids_in(c["ids"]))}
        lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
    return lines


# --------------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EURO_RE = re.compile(r"€\s?(\d[\d.,]*)")


def parse_eur(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
        return float(s.replace(",", ""))
    return float(s.replace(",", "."))


def check(lines, cases, profile):
    errors = []

    def err(cid, msg):
        errors.append("%s: %s" % (cid, msg))

    if not 170 <= len(lines) <= 180:
        errors.append("case count %d outside 170-180" % len(lines))
    own_ibans = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
    for x in own_ibans:
        if not iban_ok(x):
            errors.append("profile IBAN %s fails mod-97" % x)
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in profile["internal"]["domains"]] + \
               [m.lower() for m in profile["internal"]["markers"]] + \
               [c.lower() for c in profile["internal"]["codenames"]]
    products = []
    for p in profile["products"]:
        if p["currency"] != "EUR":
            errors.append("product %s not EUR" % p["sku"])
        products.append(([p["name"].lower()] + [a.lower() for a in p["aliases"]], float(p["list_price"])))
    ratio = float(profile["pricing"]["alert_below_ratio"])
    all_handles = {a.lower() for grp in profile["accounts"].values() for a in grp}

    seen = set()
    for line, c in zip(lines, cases):
        obj = json.loads(line)
        post, exp = obj["post"], obj["expect"]
        cid = post.get("id")
        # CONTRACT section 1 / 6 shape
        if set(obj) != {"post", "expect"}:
            err(cid, "top-level keys")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
            err(cid, "bad id")
        if cid in seen:
            err(cid, "duplicate id")
        seen.add(cid)
        if post["platform"] not in PLATFORMS:
            err(cid, "platform")
        if post.get("kind", "post") not in KINDS:
            err(cid, "kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            err(cid, "handle")
        if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 65536:
            err(cid, "text")
        try:
            ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"]):
                err(cid, "created_at not RFC 3339 UTC")
        except Exception:
            err(cid, "created_at unparsable")
            continue
        if ts.year not in (2026, 2027):
            err(cid, "created_at year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            err(cid, "categories")
        if exp["severity"] not in SEV_ORDER:
            err(cid, "severity value")
        role = role_of(profile, post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, checksum_ids_in(c["ids"])):
            err(cid, "severity mismatch")
        if (exp["severity"] == "none") != (not cats):
            err(cid, "benign/none mismatch")
        text = post["text"]
        low = text.lower()
        benign = not cats

        # generated identifiers / credentials
        for kind, value, valid in c["ids"]:
            if value not in text:
                err(cid, "generated %s not in text" % kind)
            if kind == "iban":
                ok = iban_ok(value)
            elif kind == "card":
                ok = luhn_ok(value)
            elif kind == "bsn":
                ok = bsn_ok(value)
            elif kind == "github":
                ok = github_ok(value)
            elif kind == "aws_id":
                ok = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", value))
            elif kind == "jwt":
                ok = jwt_ok(value)
            else:
                ok = True
            if ok != valid:
                err(cid, "%s %s checksum %s, meant %s" % (kind, value, ok, valid))
            if benign and valid:
                err(cid, "valid generated %s in a benign post" % kind)
            if not benign and not valid:
                err(cid, "look-alike %s in a positive" % kind)
            if kind in ("iban", "card", "bsn") and valid and "leak.pii" not in cats:
                err(cid, "valid %s without leak.pii" % kind)

        # free scan: any checksum-valid identifier must be intended (or the company's own)
        gen_vals = {re.sub(r"\D", "", v) for k, v, ok in c["ids"] if ok}
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group(0))
            if iban_ok(v) and v not in own_ibans and not any(v == re.sub(r"\s", "", x) for k, x, ok in c["ids"] if ok):
                err(cid, "unintended valid IBAN %s" % v)
        for m in CARD_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d) and d not in gen_vals:
                err(cid, "unintended Luhn-valid number %s" % m.group(0))
        for m in BSN_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if bsn_ok(d) and d not in gen_vals:
                err(cid, "unintended 11-proof number %s" % m.group(0))
        if "leak.pii" in cats and role != "public" and checksum_ids_in(c["ids"]) and exp["severity"] != "critical":
            err(cid, "insider checksum PII not critical")

        # secrets shape
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not github_ok(tok):
                err(cid, "GitHub token with bad CRC")
            if benign:
                err(cid, "GitHub token in benign")
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
            if benign and not tok.endswith("EXAMPLE"):
                err(cid, "AWS key in benign")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_ok(tok):
                err(cid, "JWT without alg header")
            if benign:
                err(cid, "JWT in benign")
        if benign and "PRIVATE KEY-----" in text:
            err(cid, "private key in benign")
        if "leak.secret" in cats and not c["ids"]:
            err(cid, "secret positive without a generated credential")

        # embargo
        for term, until in emb:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    err(cid, "embargo term '%s' before until without leak.confidential" % term)
                if ts >= until and benign is False and cats == ["leak.confidential"]:
                    err(cid, "embargo term after until labelled confidential only")
        # internal names in benign posts (one deliberate bird-watching hard negative)
        if benign:
            for w in internal:
                if w in low and not (w == "zilvermeeuw" and "broedt" in low):
                    err(cid, "internal name '%s' in benign" % w)

        # pricing
        mentioned = [lp for names, lp in products if any(n in low for n in names)]
        amounts = [parse_eur(a) for a in EURO_RE.findall(text)]
        if "leak.pricing" in cats:
            if not mentioned:
                err(cid, "pricing positive without a catalogue product")
            talk = re.search(r"prijsfout|price error|missing zero", low)
            if not talk and not any(a < ratio * lp for a in amounts for lp in mentioned):
                err(cid, "pricing positive without a low price or price-error talk")
        elif mentioned and amounts:
            floor = ratio * min(mentioned)
            if any(a < floor for a in amounts):
                err(cid, "non-pricing post with a price below the alert ratio")
            if re.search(r"prijsfout|price error", low):
                err(cid, "price-error talk outside a pricing positive")

        # authors
        if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in all_handles:
            err(cid, "role lookup")
    return errors


def main():
    profile = load_profile()
    cases = build()
    lines = to_lines(cases, profile)
    # determinism: a second build must give byte-identical output
    if to_lines(build(), profile) != lines:
        print("FAIL: build is not deterministic")
        sys.exit(1)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(OUT_PATH, encoding="utf-8") as f:
        reread = [ln for ln in f.read().split("\n") if ln]
    errors = check(reread, cases, profile)

    # summary
    from collections import Counter
    cat_n, role_n, lang_n, sev_n = Counter(), Counter(), Counter(), Counter()
    benign = 0
    for line in reread:
        o = json.loads(line)
        cats = o["expect"]["categories"]
        benign += not cats
        cat_n.update(cats)
        lang_n[o["post"]["lang"]] += 1
        sev_n[o["expect"]["severity"]] += 1
        role_n[role_of(profile, o["post"]["platform"], o["post"]["account"]["handle"])] += 1
    print("cases: %d  benign: %d  positive: %d" % (len(reread), benign, len(reread) - benign))
    print("categories:", dict(sorted(cat_n.items())))
    print("roles:", dict(role_n), " langs:", dict(lang_n), " severities:", dict(sev_n))
    if errors:
        print("SELF-CHECK FAILED (%d):" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
