#!/usr/bin/env python3
"""Evaluation set sealed319 for postwatch: Hoekstein Lemmers Advocaten (fictional law firm).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and self-checks it (checksums of identifiers, credential formats, CONTRACT section 6 shape,
severities derived from CONTRACT section 4 and the account roles in profile.yaml).
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
rng = random.Random(319)

ALNUM = string.digits + string.ascii_letters
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rand(string.digits, 10)
    r = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    s = "NL%02d%s%s" % (chk, bank, acct)
    assert iban_check_ok(s)
    return s


def group4(s):
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


def make_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 6)) + rand(string.digits, 7)
        s = sum(w * int(x) for w, x in zip(range(9, 1, -1), first8))
        d9 = s % 11
        if d9 <= 9:
            b = first8 + str(d9)
            assert bsn_ok(b)
            return b


def mobile():
    return "6" + rand(string.digits, 8)


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 300) * 86400
    payload = {"sub": "mw-1187", "name": "S. Terpstra", "role": "admin", "iat": iat, "exp": iat + 3600}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(385))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = ALNUM + "-_"
G = {}
G["ghp"] = make_github("ghp_")
G["akia"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
G["aws_secret"] = rand(ALNUM + "/+", 40)
G["mollie"] = "live_" + rand(ALNUM, 30)
G["xoxb"] = "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))
G["openai"] = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
G["jwt"] = make_jwt()
G["dbpass"] = rand(ALNUM, 6) + "!" + rand(ALNUM, 7)
G["sshkey"] = make_openssh_key()
G["stripe"] = "sk_live_51" + rand(ALNUM, 96)
G["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
G["glpat"] = "glpat-" + rand(URLSAFE, 20)
G["mailbox_pw"] = "Secretariaat!" + rand(string.digits, 4)

G["iban_cust"] = group4(make_iban("INGB"))
G["iban2"] = make_iban("RABO")
G["iban3"] = group4(make_iban("ABNA"))
G["iban4"] = make_iban("SNSB")
G["card1"] = group4(make_card("4571"))
G["card2"] = make_card("5355")
G["bsn1"] = make_bsn()
b2 = make_bsn()
G["bsn2"] = "%s.%s.%s" % (b2[:4], b2[4:6], b2[6:])
G["bsn3"] = make_bsn()
m = [mobile() for _ in range(7)]
G["phone1"] = "0%s-%s" % (m[0][:1], m[0][1:])                                # 06-12345678
G["phone2"] = "+31 %s %s %s" % (m[1][:1], m[1][1:5], m[1][5:])                 # +31 6 1234 5678
G["phone3"] = "06 %s %s %s %s" % (m[2][1:3], m[2][3:5], m[2][5:7], m[2][7:])  # 06 12 34 56 78
G["phone4"] = "(0%s) %s" % (m[3][:1], m[3][1:])                                # (06) 12345678
G["phone6"] = "+31 (0)%s %s" % (m[5][:1], m[5][1:])                           # +31 (0)6 12345678
G["landline"] = "(030) %s %s %s" % (rand(string.digits, 3), rand(string.digits, 2), rand(string.digits, 2))

# ---------------------------------------------------------------- cases
ROLE = {}
for role in ("corporate", "employee"):
    for spec in PROFILE["accounts"][role]:
        ROLE[spec.lower()] = role

CASES = []


def add(spec, lang, text, cats=(), kind="post", at=None, meta=None):
    CASES.append(dict(spec=spec, lang=lang, text=text, cats=sorted(cats), kind=kind, at=at, meta=meta or {}))


CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"

# ---- complaints (public)
add("x:@boze_huurder033", "nl", "@hoekrecht_help al 3x gebeld over mijn huurzaak, 3x 'we bellen u vandaag terug'. Het is nu donderdag. Niks. Waar betaal ik eigenlijk voor??", [CMP], kind="reply")
add("facebook:Ingrid.Hoogeveen.7", "nl", "Offerte zei vaste prijs voor het huurgeschil. Factuur vandaag: €780 wegens 'extra werkzaamheden'. Niemand heeft mij vooraf iets gevraagd. Echt niet oké, Hoekstein Lemmers.", [CMP], kind="comment")
add("reddit:u/throwaway_nl_law", "en", "PSA for anyone considering HL Advocaten: my lawyer was swapped twice in four months. Each new one had to 'get up to speed' on my file and billed me for the reading. 11 hours of reading!! I'm furious.", [CMP])
add("x:@mvdb_1983", "nl", "termijn voor hoger beroep gemist door @hoeksteinlemmers. 'administratieve fout' zeggen ze. mn zaak is nu gewoon klaar. bedankt voor niks", [CMP])
add("x:@jess_moves_nl", "en", "Been waiting 6 weeks for Hoekrecht to send ONE letter to my landlord. Six. Weeks. Whatever 'fast track' means to them, it isn't fast.", [CMP])
add("instagram:@saar.bakt.taart", "nl", "Inloggen op mijn.hoekrecht.nl lukt al 2 weken niet. Wachtwoord resetten → foutmelding, helpdesk → 'we kijken ernaar'. Al mijn stukken staan daar 😤 @hoekstein.advocaten", [CMP], kind="comment")
add("linkedin:peter-smit-zzp", "en", "Disappointed with Hoekstein Lemmers. Paid for the ZZP Vangnet subscription, asked one question about a client who pays late, and got a generic template back after 9 days. Not what was advertised.", [CMP])
add("tiktok:@jurjenvlogt", "nl", "deel 2 van mijn ervaring met hoekrecht: advocaat kwam 20 min te laat op de zitting en had mn dossier niet eens bij zich 🙃 #advocaat #fail #hoekrecht", [CMP])
add("forum:kees_van_de_zaak", "nl", "Iemand anders ook zo'n slechte ervaring met Hoekstein? Mijn incasso loopt sinds maart, de debiteur heeft allang betaald maar zij hebben het geld nog steeds niet doorgestort. Mails worden gwn niet beantwoord.", [CMP])
add("x:@tomasz_w_nl", "en", "@hoekrecht_help your chatbot told me my dismissal was 'probably lawful' and then your actual lawyer said the exact opposite. Which one am I paying for??", [CMP], kind="reply")
add("x:@linda_k_76", "en", "Billed half an hour at €210/h for an email of 4 sentences. Hoekstein Lemmers, you are expensive AND slow. Never again.", [CMP])
add("bluesky:@ferdi-codes.bsky.social", "en", "hoekrecht's invoice portal charged my card twice for the same consult and support keeps closing my ticket as 'resolved' without a refund. great job guys", [CMP])
add("x:@oldschool_brenda", "en", "Terrible advice from HL Advocaten on my divorce. Nobody mentioned pension sharing and now I've lost out on thousands. Unprofessional from start to finish.", [CMP])

# ---- complaint + personal data (customer exposing own data)
add("x:@g_kuipers_", "nl", "@hoekrecht_help al 2 weken geen reactie op mijn ontslagzaak!! Bel me NU terug op %s, ik ben het wachten spuugzat." % G["phone1"], [CMP, PII], kind="reply")
add("facebook:Mark.Verhulst.NL", "en", "Hoekrecht still hasn't refunded my deposit after you dropped my case. I've sent my details THREE times: mark.verhulst77@hotmail.com, IBAN %s. What else do you need?" % G["iban_cust"], [CMP, PII], kind="comment", meta={"ids": 1})

# ---- complaint + crisis (first-hand safety incident, data breach, lawsuit)
add("x:@annabel_utr", "nl", "Zat vanochtend in jullie wachtkamer op de Catharijnesingel en de elektrische kachel naast me vatte vlam. Jas verschroeid, brandwond op mijn hand en NIEMAND van het personeel kwam kijken. @hoeksteinlemmers dit is levensgevaarlijk", [CMP, CRI])
add("instagram:@daphne.and.co", "en", "The glass door at the HL Advocaten office in Amersfoort came off its hinges and fell on my daughter (7) today. Eight stitches in her forehead. Nobody from the firm has even called us. @hoekstein.advocaten", [CMP, CRI])
add("x:@wouter_1990", "nl", "Hoekstein Lemmers heeft mijn complete dossier, incl. medische gegevens, naar een wildvreemde gemaild. DATALEK. Ik kwam erachter omdat die persoon mij belde. Melding bij de AP gaat vandaag de deur uit.", [CMP, CRI])
add("x:@kev_claims", "en", "I'm suing Hoekrecht. They lost the original signed contract I handed them in person and now my case is dead. See you in court.", [CMP, CRI])

# ---- complaint + abuse
add("x:@dennis_r88", "nl", "3 weken niks gehoord van @hoekrecht_help, stelletje prutsers en klootzakken zijn jullie. Geef me gewoon mijn geld terug", [ABU, CMP])
add("x:@gazza_nl", "en", "Hoekrecht = useless pricks. Never pick up the phone, never answer an email, but the invoice arrives right on time every single month.", [ABU, CMP])

# ---- crisis (third party / news / corporate statement)
add("x:@nieuwsflits_utrecht", "nl", "BREAKING: brand in kantoorpand van advocatenkantoor Hoekstein Lemmers aan de Catharijnesingel. Twee medewerkers met rookvergiftiging naar het ziekenhuis. #Utrecht #brand", [CRI])
add("x:@huurdersfront", "nl", "Hoekstein Lemmers staat huisjesmelker Van Rijn bij in de ontruiming van 40 gezinnen. Zeg je Hoekrecht abonnement op en deel dit! #BoycotHoekstein", [CRI])
add("x:@legalnews_benelux", "en", "Disciplinary tribunal suspends Hoekstein Lemmers partner for 12 months over misuse of client escrow funds (derdengelden). The firm has not commented.", [CRI])
add("linkedin:stichting-claim-eerlijk", "nl", "Massaclaim aangekondigd tegen Hoekrecht: onze stichting stelt dat het 'no cure no pay'-aanbod misleidend is. Ruim 1.200 gedupeerden hebben zich al gemeld.", [CRI])
add("mastodon:@privacyfirst@mastodon.social", "en", "Reports that client files from Dutch law firm Hoekstein Lemmers are being offered on a dark web forum. Names, divorce papers, medical records. If you're a client, be alert for phishing.", [CRI])
add("x:@arbeidsrecht_nieuws", "en", "Five former employees of Dutch law firm Hoekstein Lemmers are taking the firm to court over discrimination and intimidation at work. The firm denies the allegations.", [CRI])
add("x:@dutchprivacywatch", "en", "The Dutch DPA has opened an investigation into HL Advocaten after multiple complaints about a data leak in their Hoekrecht client app.", [CRI])
add("x:@hoeksteinlemmers", "nl", "Wij zijn op de hoogte van berichten over een mogelijk datalek bij Hoekrecht. We onderzoeken dit met externe specialisten en informeren betrokkenen zo snel mogelijk.", [CRI])
add("tiktok:@lawgossip_nl", "en", "the Hoekstein Lemmers scandal is WILD: a senior partner allegedly billed clients for 2,000 hours he never worked 😳 #lawtok #scandal #netherlands", [CRI])
add("facebook:BuurtgroepLombokUtrecht", "nl", "Wie was er vanmiddag bij Hoekstein in de hal? Er kwam een plafondplaat naar beneden, een oudere meneer is met de ambulance afgevoerd. Hopelijk gaat het goed met hem 🙏", [CRI])

# ---- crisis + security (public passing on an insider's story)
add("x:@itnieuwtjes_nl", "en", "Source inside Hoekstein Lemmers tells me their mail server has been hacked for a week and they are keeping it quiet. Clients are not being told. #databreach #infosec", [CRI, SCY])

# ---- abuse
add("x:@w_jongbloed", "nl", "Hoekstein Lemmers = stelletje aasgieren die vangen aan mensen in de ellende. Walgelijk kantoor.", [ABU])
add("x:@rob_de_bouwer", "nl", "@mr_annekevos je bent echt een incompetente trut, hoe heb jij ooit je titel gehaald", [ABU], kind="reply")
add("x:@nooitmeer_hl", "nl", "@hoekrecht_help ｋｕｔｋａｎｔｏｏｒ， ｓｔｅｌｌｅｔｊｅ ｌｕｉｚｅｎ", [ABU], kind="reply")
add("x:@hanz_xx", "nl", "Hoekr3cht zijn gewoon 0pl1cht3rs en l4ff3 h0nd3n, trap er niet in", [ABU])
add("facebook:Jeroen.Stam.1980", "nl", "Die advocaten van Hoekstein zijn vuile \u043epl\u0438cht\u0435rs, allemaal.", [ABU], kind="comment")
add("x:@stoomfluitje", "nl", "@hoekrecht_help t.y.f.u.s.k.a.n.t.o.o.r. zijn jullie", [ABU], kind="reply")
add("x:@echtewijzer", "nl", "Hoekstein neemt tegenwoordig alleen nog buitenlanders aan. Zo'n hoofddoek achter de balie, ga lekker terug naar je eigen land", [ABU])
add("x:@case_9917", "en", "@mr_annekevos I know which train you take home from Utrecht Centraal. Maybe we should have a little chat in person about my case 🙂", [ABU], kind="reply")
add("reddit:u/angryrenter_ams", "en", "Hoekstein lawyers are bloodsucking scum, every single one of them. Rot in hell.", [ABU], kind="comment")
add("x:@evi_hl_jurist", "nl", "@g_kuipers_ jezus wat ben jij een zeurende idioot, lees gewoon je mail", [ABU], kind="reply")

# ---- security (insiders)
add("x:@sjoerd_dev_hl", "en", "client portal was down 4 hours last night bc of ransomware on one of the file servers. officially it's 'planned maintenance' 🙄 #ITlife", [SCY])
add("bluesky:@ruudkoster.bsky.social", "en", "Reported internally 3 times now: on mijn.hoekrecht.nl you can open another client's case file just by incrementing the number in the URL. Still not fixed.", [SCY])
add("threads:@noor.ophuis", "nl", "Gisteren een phishingmail en 3 partners hebben hun inloggegevens ingevuld. Hun mailboxen zijn uren door een aanvaller doorgespit. Mogen we van IT niks over zeggen 🤐", [SCY])
add("mastodon:@daanmeijerink@fosstodon.org", "en", "Our case management system was down all morning because someone wiped the prod backups. Not announced yet, so if a client asks it's 'slow network' 🙃", [SCY])
add("x:@evi_hl_jurist", "en", "Pentest report on the Hoekrecht app just came in: 14 critical findings. Release is still going ahead next week because marketing said so.", [SCY])
add("bluesky:@ruudkoster.bsky.social", "nl", "Exchange-server is al sinds dinsdag besmet, management wacht met melden tot na het weekend. Ik slaap er slecht van.", [SCY])
add("mastodon:@daanmeijerink@fosstodon.org", "en", "Found out today that our client document upload bucket has been public-read since March. Quietly locked down, legal says no notification needed. Hmm.", [SCY])
add("x:@sjoerd_dev_hl", "nl", "ddos op hoekrecht.nl sinds 7u vanochtend, daarom doet de site zo raar. we mogen het officieel nog geen aanval noemen lol", [SCY])

# ---- security + confidential (internal hosts / markers)
add("bluesky:@ruudkoster.bsky.social", "en", "vpn.hoekstein-lemmers.nl is still on a FortiOS build with that well-known critical CVE. Filed two change requests, nobody patches. Just waiting for the first break-in then.", [CON, SCY])
add("x:@sjoerd_dev_hl", "en", "lol jira.hoekstein-lemmers.nl is just open to the internet, no SSO, no 2FA. found it from my phone on 4G. reported it last month, zero response", [CON, SCY])
add("linkedin:hoekstein-lemmers-advocaten", "nl", "HL intern – statusupdate IT: mailserver gecompromitteerd sinds vrijdag, alle wachtwoorden worden gereset. Niet extern communiceren.", [CON, SCY])
add("mastodon:@daanmeijerink@fosstodon.org", "en", "the backup NAS at dossiers.hoekstein.local still had the default admin password until yesterday. no idea how long someone could have been watching", [CON, SCY])

# ---- confidential
add("instagram:@lotte.advocaat", "en", "Finally joined the Project Kraanvogel team 🤫🕊️ can't say more, sorry!", [CON])
add("x:@mr_annekevos", "nl", "Operatie Lan\u200btaarn gaat maandag echt van start, spannend!!", [CON])
add("threads:@noor.ophuis", "nl", "binnenkort meer over S.t.o.r.m.v.l.o.e.d 😉 ons hele dossiersysteem gaat op de schop", [CON])
add("linkedin:hoekstein-lemmers-advocaten", "nl", "[HL intern] Concept persbericht – niet verspreiden: nieuwe huisstijl en vernieuwde website per 1 april, inclusief nieuwe naam voor het klantportaal.", [CON])
add("linkedin:karim-bouzid-hl", "en", "Sneak peek of the new reporting dashboard we rolled out at https://intra.hoekstein.local/finance/dashboard – proud of this team!", [CON])
add("instagram:@lotte.advocaat", "nl", "Kan niet wachten tot jullie Geschilwijzer zien, de app waar we al een jaar aan bouwen 📱✨", [CON], at="2026-11-18T19:42:00+01:00")
add("x:@gijs_kletst", "nl", "Vriendin werkt bij Hoekstein en liet me HL Zakelijk Totaal zien, all-in abonnement voor mkb'ers. Komt volgend jaar uit, echt slim", [CON], at="2026-10-03T21:15:00+02:00")
add("x:@hoeksteinlemmers", "nl", "Maak kennis met Geschilwijzer: in 3 vragen weet je waar je staat bij een conflict met je verhuurder, werkgever of webshop. Download nu!", [CON], at="2027-01-12T10:00:00+01:00")
add("x:@evi_hl_jurist", "en", "the memo marked 'strikt vertrouwelijk hoekstein' about the new client-meeting dress code is literally lying on the printer on floor 3 lol", [CON])
add("x:@mr_annekevos", "en", "For the new colleagues: all tenancy letter templates are on intra.hoekstein.local/templates/huur, just ask Noor for access", [CON])

# ---- financial (+ confidential where a codename/marker/embargo term is used)
add("x:@evi_hl_jurist", "nl", "Q3 was echt rampzalig, omzet ruim 20% onder budget. Partners krijgen dit jaar geen winstuitkering, hoorde ik net op de partnerlunch 😬", [FIN])
add("linkedin:karim-bouzid-hl", "en", "Finalising our 2027 forecast: we're projecting €45m in revenue and the board wants three new offices. Exciting times ahead for Hoekstein Lemmers!", [FIN])
add("x:@mr_annekevos", "en", "So the office rumour is true: we're being taken over by Veluwse Rechtsbijstand. Signing planned for 1 June. Nobody knows yet what it means for us.", [FIN])
add("x:@zwager_weet_alles", "nl", "mn zwager werkt bij hoekstein lemmers en zegt dat ze kantoor Amersfoort gaan sluiten, 40 man op straat voor de zomer. nog niks bekend gemaakt", [FIN])
add("threads:@noor.ophuis", "nl", "Ontslagronde in januari: 1 op de 5 juristen moet weg. Is nog niet gecommuniceerd maar HR is al lijstjes aan het maken 😢", [FIN])
add("linkedin:marco-hendriksen-partner", "en", "The merger with Brandsma Notarissen is done! Official announcement follows next month, but I can't contain my excitement 🤝", [FIN])
add("x:@hoeksteinlemmers", "nl", "Concept cijfers eerste halfjaar 2026: winst €2,1 mln, omzet €17,9 mln. NIET PUBLICEREN voor 28/8", [FIN])
add("bluesky:@ruudkoster.bsky.social", "en", "IT budget for 2027 cut in half, and management expects revenue to drop 8% next year. Guess the new laptops aren't happening 🙃", [FIN])
add("x:@sjoerd_dev_hl", "en", "heard today they're letting go of the entire Breda team at the end of Q1. not announced yet. brutal.", [FIN])
add("linkedin:karim-bouzid-hl", "nl", "Net de jaarcijfers 2026 afgerond: omzet €38,4 mln (+12%), nettowinst €5,2 mln. Publicatie is pas op 4 maart, maar ik ben nu al trots op het team 💪", [CON, FIN], at="2027-02-10T16:20:00+01:00")
add("x:@evi_hl_jurist", "nl", "Operatie Lantaarn blijkt dus de overname van kantoor De Wit in Zwolle te zijn. Deal moet in mei getekend worden. Ik zeg niks hoor 🤐", [CON, FIN])
add("linkedin:marco-hendriksen-partner", "nl", "HL intern: reorganisatie secretariaat, 25 fte vervalt per 1 juli. Graag nog niet bespreken met de medewerkers.", [CON, FIN])

# ---- personal data
add("x:@hoekrecht_help", "nl", "@m_vandijk Goed nieuws: de terugbetaling van €180 naar %s t.n.v. M. van Dijk is vandaag verwerkt. Fijne dag!" % G["iban2"], [PII], kind="reply", meta={"ids": 1})
add("facebook:HoekrechtNL", "nl", "Beste mevrouw Hendriks, we hebben uw dossier gevonden (Jolanda Hendriks, geb. 14-02-1979). Een collega neemt morgen contact met u op.", [PII], kind="comment")
add("linkedin:ilse-brandsma-jurist", "en", "Great win today for my client Peter van Dijk (Kerkstraat 14, 3512 AB Utrecht) against his landlord! So proud 💪", [PII])
add("x:@sjoerd_dev_hl", "en", "can someone check why BSN %s throws an error in the intake form? client is waiting on the phone" % G["bsn1"], [PII], meta={"ids": 1})
add("x:@anouk_pieters", "nl", "Hoi @hoekrecht_help, is mijn betaling aangekomen? Betaald met creditcard %s om 14:02, maar ik zie nog niks in de app" % G["card1"], [PII], kind="reply", meta={"ids": 1})
add("facebook:Sibel.Yilmaz.Den.Haag", "nl", "Graag het voorschot terugstorten op %s t.n.v. S. Yilmaz, de zaak is geschikt. Dank voor alle hulp!" % G["iban3"], [PII], kind="comment", meta={"ids": 1})
add("x:@chris_moves_to_nl", "en", "Your intake form asks for my BSN, mine is %s — is it safe to just put it in the chat? @hoekrecht_help" % G["bsn2"], [PII], meta={"ids": 1})
add("threads:@noor.ophuis", "nl", "Wie belt mevrouw Öztürk even terug? Haar nummer is %s, ze heeft al 3x gebeld 🙈" % G["phone2"], [PII])
add("linkedin:karim-bouzid-hl", "en", "Quick favour: client Maria Jansen, born 3 July 1968, needs her invoice reissued. Who has access to billing today?", [PII])
add("instagram:@hoekstein.advocaten", "en", "@tim.devries we can see your payment with card %s failed, could you try again via the link in your email?" % G["card2"], [PII], kind="reply", meta={"ids": 1})
add("x:@evi_hl_jurist", "nl", "Contactlijst voor de zitting morgen: R. Pauwels %s, r.pauwels@outlook.com, en getuige A. Mertens %s. Iemand die nog belt?" % (G["phone3"], G["phone4"]), [PII])
add("bluesky:@ruudkoster.bsky.social", "en", "Someone created a test account in production with real data 🙄 client: Henk de Groot, Populierenlaan 7, 7311 KD Apeldoorn, IBAN %s" % G["iban4"], [PII], meta={"ids": 1})
add("x:@lucasbrouwer91", "en", "Hi @hoekrecht_help, for my appointment on Friday: Lucas Brouwer, date of birth 09/05/1991, address Vondellaan 22, 2332 AA Leiden. Anything else you need?", [PII], kind="reply")
add("linkedin:marco-hendriksen-partner", "nl", "Ons nieuwe intakeformulier in actie! Voorbeeld uit de praktijk: naam F. El Idrissi, BSN %s, tel %s. Zo snel was intake nog nooit." % (G["bsn3"], G["phone6"]), [PII], meta={"ids": 1})

# ---- secrets
add("x:@sjoerd_dev_hl", "en", "any idea why CI keeps failing? the token looks fine to me:\n`GITHUB_TOKEN=%s` 🤔" % G["ghp"], [SEC], meta={"secrets": ["ghp"]})
add("mastodon:@daanmeijerink@fosstodon.org", "en", "finally got the nightly backup job working 🎉\n\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-central-1" % (G["akia"], G["aws_secret"]), [SEC], meta={"secrets": ["akia", "aws_secret"]})
add("facebook:HoekrechtNL", "nl", "Test nieuwe betaalpagina, negeer dit bericht aub. mollie key: %s" % G["mollie"], [SEC], meta={"secrets": ["mollie"]})
add("bluesky:@ruudkoster.bsky.social", "en", "helpdesk slackbot is live! if you want to hack on it with me: SLACK_BOT_TOKEN=%s" % G["xoxb"], [SEC], meta={"secrets": ["xoxb"]})
add("linkedin:ilse-brandsma-jurist", "en", "Weekend project: summarising Supreme Court rulings with GPT. Works surprisingly well! Snippet for the curious:\n\nfrom openai import OpenAI\nclient = OpenAI(api_key=\"%s\")" % G["openai"], [SEC], meta={"secrets": ["openai"]})
add("x:@sjoerd_dev_hl", "en", "why does the portal API give me 401 with this?? curl -H 'Authorization: Bearer %s' https://api.hoekrecht.nl/v2/dossiers" % G["jwt"], [SEC], meta={"secrets": ["jwt"]})
add("mastodon:@daanmeijerink@fosstodon.org", "nl", "migratie bijna klaar. DATABASE_URL=postgresql://hl_app:%s@dossiers.hoekstein.local:5432/dossiers" % G["dbpass"], [CON, SEC], meta={"secrets": ["dbpass"]})
add("threads:@noor.ophuis", "nl", "voor wie het weer kwijt is, gedeelde mailbox secretariaat → wachtwoord: %s" % G["mailbox_pw"], [SEC], meta={"secrets": ["mailbox_pw"]})
add("bluesky:@ruudkoster.bsky.social", "en", "oops wrong clipboard 😬\n%s" % G["sshkey"], [SEC], meta={"secrets": ["sshkey"]})
add("x:@techwatcher_eu", "en", "lol, hoekrecht.nl ships their Stripe secret key in the frontend bundle: %s someone please tell them" % G["stripe"], [SEC], meta={"secrets": ["stripe"]})
add("linkedin:marco-hendriksen-partner", "nl", "Wij experimenteren met AI voor contractanalyse! Onze setup voor de liefhebbers: ANTHROPIC_API_KEY=%s" % G["anthropic"], [SEC], meta={"secrets": ["anthropic"]})
add("x:@sjoerd_dev_hl", "en", "git clone https://oauth2:%s@git.hoekstein.local/intake/portal.git doesn't work from home, anyone?" % G["glpat"], [CON, SEC], meta={"secrets": ["glpat"]})

# ---- pricing
add("x:@hoekrecht_help", "nl", "Actie!! Testament Basis nu voor maar €49,50 😍 link in bio", [PRI], meta={"price": ("HL-TEST", 49.50)})
add("facebook:HoekrechtNL", "nl", "Scheiding Compleet vanaf € 245,- all-in. Geen verrassingen achteraf.", [PRI], meta={"price": ("HL-SCHEID", 245)})
add("x:@evi_hl_jurist", "nl", "collega's: de site toont AV Op Maat voor 69 euro, prijsfout!! wie kan dat fixen??", [PRI], meta={"price": ("HL-AV", 69), "error": True})
add("x:@dealjager_nl", "nl", "lol Hoekrecht verkoopt BV Oprichten voor €119 op hun site, snel bestellen voordat ze het doorhebben 🏃‍♂️", [PRI], meta={"price": ("HL-BVOPR", 119)})
add("x:@startupsam", "en", "Is this a glitch? Merkregistratie listed at €8.50 at hoekrecht.nl checkout. Ordered two just in case", [PRI], meta={"price": ("HL-MERK", 8.50), "error": True})
add("instagram:@hoekstein.advocaten", "en", "Black Friday 🖤 Aandeelhoudersovereenkomst now only €145! Protect your startup today.", [PRI], meta={"price": ("HL-AHO", 145)})
add("linkedin:ilse-brandsma-jurist", "nl", "Oeps, er staat een prijsfout in onze nieuwsbrief: Incasso Plus stond erin voor €24,90. Excuses voor de verwarring!", [PRI], meta={"price": ("HL-INCPLUS", 24.90), "error": True})
add("reddit:u/zzp_bas", "en", "Pricing error? ZZP Vangnet shows €3,48 per year instead of 348. Ordered it anyway lol", [PRI], meta={"price": ("HL-ZZP", 3.48), "error": True})
add("tiktok:@hoekrecht", "nl", "Ontslagcheck voor maar 14,95!! 🔥 wees er snel bij #ontslag #werk", [PRI], meta={"price": ("HL-ONTSL", 14.95)})
add("x:@nienke_erft", "nl", "prijsfoutje bij hoekrecht? Erfenis Wegwijzer staat voor €39,50 in de app", [PRI], meta={"price": ("HL-ERF", 39.50), "error": True})
add("x:@mr_annekevos", "en", "Heads up team: the Huurgeschil Pakket went out at €39 in today's mailing. That's a pricing mistake, please don't confirm orders yet", [PRI], meta={"price": ("HL-HUUR", 39), "error": True})
add("bluesky:@hoekstein-lemmers.bsky.social", "en", "Today only: AVG Compleet for €99 instead of €450! GDPR sorted for your business.", [PRI], meta={"price": ("HL-AVG", 99)})

# ---- benign (mostly hard negatives)
add("x:@sanne_vd_heuvel", "nl", "Top geholpen door @mr_annekevos met mijn huurgeschil! Verhuurder moest €1.850 servicekosten terugbetalen. Aanrader 🙌")
add("x:@jonas_expat_nl", "en", "Shoutout to HL Advocaten, they explained Dutch tenancy law to me in plain English and didn't charge for the first call. Rare these days.")
add("facebook:Petra.Rozendaal", "nl", "Update: vorige week klaagde ik hier dat niemand terugbelde. Inmiddels excuses gehad, de zaak is opgepakt en de factuur gecrediteerd. Netjes opgelost Hoekrecht 👍")
add("x:@ahmed_bouw_bv", "nl", "Vraagje @hoekrecht_help: kan ik met het ZZP Vangnet ook hulp krijgen bij een klant die al 4 maanden niet betaalt? Of moet dat via Incasso Start?", kind="reply")
add("linkedin:hoekstein-lemmers-advocaten", "nl", "Datalek bij je webwinkel of energieleverancier? Je hebt mogelijk recht op schadevergoeding. In dit artikel leggen we uit hoe je dat aanpakt 👉 hoekrecht.nl/datalek")
add("x:@hoekrecht_help", "nl", "Ontslagen of een vaststellingsovereenkomst gekregen? Teken niet meteen. Met onze VSO Review (€295) weet je binnen 48 uur waar je staat.", meta={"price": ("HL-VSO", 295)})
add("instagram:@hoekstein.advocaten", "en", "We won! 🎉 The court ruled the landlord wrongly charged €4,200 in service costs. Our client gets every euro back. #tenantrights #lawsuit")
add("facebook:HoekrechtNL", "nl", "Vragen over je dossier? Mail klantenservice@hoekrecht.nl of bel gratis 0800-4635 (ma-vr 8.30-17.30).")
add("linkedin:hoekstein-lemmers-advocaten", "nl", "Let op: betaal facturen van Hoekstein Lemmers Advocaten B.V. uitsluitend op NL87 RABO 0552 9183 74. Krijg je een factuur met een ander rekeningnummer? Neem dan direct contact met ons op via info@hoekstein-lemmers.nl.", meta={"own_iban": True})
add("linkedin:marco-hendriksen-partner", "nl", "We zoeken een advocaat arbeidsrecht (3-5 jaar ervaring) voor ons kantoor in Utrecht. Interesse? Stuur je cv naar vacatures@hoekstein-lemmers.nl of bel 030-5550147.")
add("x:@bertus_zzp", "nl", "@hoekrecht_help ik probeer een voorschot over te maken naar NL87 RABO 0552 9183 47 maar mijn bank zegt dat het IBAN ongeldig is?? klopt dat nummer wel", kind="reply", meta={"lookalike": 1})
add("x:@sjoerd_dev_hl", "en", "Test data tip: 123456789 is not a valid BSN (fails the 11-check), so it's fine as a dummy in unit tests. Never use real numbers!", meta={"lookalike": 1})
add("x:@hoeksteinlemmers", "nl", "Oplichters sturen nepmails namens advocatenkantoren. Wij vragen nooit per mail om je wachtwoord of pincode. Twijfel je? Bel ons: 0800-4635.")
add("mastodon:@daanmeijerink@fosstodon.org", "en", "Reminder when writing docs: use the official placeholder keys like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never anything that looks real.")
add("x:@sjoerd_dev_hl", "en", "PSA for whoever edits the team wiki: write `export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in examples, not your own token 🙏")
add("bluesky:@hoekstein-lemmers.bsky.social", "nl", "Security-tip voor ondernemers: staat er in je webshopcode iets als sk_live_•••••••• ? Dan hoort die sleutel op de server, niet in de browser. Meer tips in ons AVG-webinar.")
add("x:@hoeksteinlemmers", "nl", "Het is zover: Geschilwijzer is vanaf vandaag gratis te downloaden in de App Store en Google Play 🎉 In 3 vragen weet je waar je staat bij een conflict.", at="2027-01-27T09:00:00+01:00")
add("linkedin:hoekstein-lemmers-advocaten", "nl", "Vandaag publiceren wij onze jaarcijfers 2026: omzet €38,4 mln (+12%) en een nettowinst van €5,2 mln. Dank aan alle cliënten en collega's. Het volledige jaarverslag staat op hoekstein-lemmers.nl.", at="2027-03-04T10:00:00+01:00")
add("x:@kleinbedrijf_kim", "en", "Is HL Zakelijk Totaal also suitable for a one-person business? The website isn't very clear on that @hoekrecht_help", at="2027-02-03T13:37:00+01:00")
add("instagram:@hoekstein.advocaten", "nl", "Januari-actie 🎯 Testament Basis nu 15% voordeliger: €420,75 i.p.v. €495. Geldig t/m 31 januari.", at="2026-01-08T09:00:00+01:00", meta={"price": ("HL-TEST", 420.75)})
add("tiktok:@hoekrecht", "nl", "Wist je dat je met de Ontslagcheck voor een vaste €149 al weet of je ontslag rechtsgeldig is? Geen uurtje-factuurtje 🙌 #ontslag #werk", meta={"price": ("HL-ONTSL", 149)})
add("facebook:Gerrit.Wouters.55", "nl", "Betaalde 395 euro voor het Huurgeschil Pakket. Elke cent waard, de huurverhoging is teruggedraaid.", kind="comment", meta={"price": ("HL-HUUR", 395)})
add("x:@juridischjournaal", "nl", "Advocatenkantoor Van Doorn & Partners schrapt 60 banen na het verlies van een grote verzekeraar als klant. Branchegenoot Hoekstein Lemmers wilde niet reageren.")
add("x:@maartje_uit_lombok", "nl", "Sterkte aan iedereen bij Hoekstein Lemmers na het overlijden van jullie oprichter mr. Lemmers. Hij heeft mijn vader ooit zo goed geholpen ❤️")
add("x:@kattenmens_joyce", "nl", "Mijn kat heeft vannacht de gordijnen van de buren gesloopt 😂 @hoekrecht_help hebben jullie ook een burenruzie-pakket voor katten?")
add("linkedin:hoekstein-lemmers-advocaten", "nl", "Mag je oproepen tot een boycot van een bedrijf? Ja, maar pas op voor smaad en laster. Onze jurist Ilse Brandsma legt het uit in 5 punten.")
add("facebook:HoekrechtNL", "nl", "5 tips voor een sterk wachtwoord voor je ondernemersaccount 🔐 1) lang 2) uniek 3) wachtwoordmanager 4) tweestapsverificatie 5) nooit delen, ook niet met ons.")
add("linkedin:ilse-brandsma-jurist", "nl", "Vandaag pleidooi gehouden over een prijsfout bij een webshop: mag de winkel een tv die voor €19 werd aangeboden gewoon annuleren? Uitspraak over 6 weken, benieuwd!")
add("instagram:@lotte.advocaat", "nl", "Teamuitje naar de Oosterscheldekering 🌊 indrukwekkend hoe zo'n stormvloedkering werkt. Daarna mosselen in Yerseke!")
add("x:@hoeksteinlemmers", "en", "25 years of Hoekstein Lemmers! From a tiny office above a bakery in Utrecht to 140 colleagues in three cities. Thank you all 🎂")
add("x:@mila_travels", "en", "Used the Hoekrecht Claimbrief (€39) after my flight got cancelled and the airline paid €400 within a week. Best 39 euros I've spent this year.", meta={"price": ("HL-BRIEF", 39)})
add("x:@stefan_in_gent", "nl", "Hoekrecht abonnement opgezegd omdat ik naar België verhuis. Niks mis mee hoor, opzeggen ging in 2 minuten. Bedankt voor de hulp de afgelopen jaren!")
add("facebook:HoekrechtNL", "nl", "Onze kantoren in Utrecht, Amersfoort en Breda zijn gesloten op 1e en 2e Kerstdag. Spoed? Bel 0800-4635, er is altijd iemand bereikbaar.", at="2026-12-20T11:00:00+01:00")
add("x:@hoekrecht_help", "nl", "@boze_huurder033 Wat vervelend dat u nog niet bent teruggebeld, dat hoort niet. Wilt u ons een DM sturen met uw dossiernummer? Dan zorgen we dat uw advocaat vandaag contact opneemt.", kind="reply")
add("reddit:u/twijfelaar_utrecht", "nl", "Wie heeft ervaring met Hoekstein Lemmers voor een arbeidszaak? Twijfel tussen hen en een kleiner kantoor in Zeist. Tips welkom")
add("x:@evi_hl_jurist", "en", "On Thursday I'm hosting a webinar: 'Data breach in your business, now what?' Free for entrepreneurs, sign up at hoekstein-lemmers.nl/webinar")
add("x:@yusuf_rents", "en", "My landlord tried to keep my whole deposit. One letter from HL Advocaten and it was back in my account in 5 days. Legends.")
add("linkedin:marco-hendriksen-partner", "en", "Proud of our team: we represented 2,000 passengers in the class action against a budget airline, and today the court ruled in their favour. Consumer law matters.")
add("x:@mr_annekevos", "nl", "Mooie uitspraak van de Hoge Raad vandaag over ontslag op staande voet. Eindelijk duidelijkheid voor werknemers 👏")
add("x:@lars_wondert", "nl", "Is het waar dat Hoekstein vooral zaken wint tegen grote bedrijven? Heb een conflict met mijn energieleverancier, zou dat iets zijn?")
add("bluesky:@hoekstein-lemmers.bsky.social", "en", "Questions about your case? Call us on +31 30 555 0147 or email info@hoekstein-lemmers.nl. We're happy to help in English too.")
add("x:@sjoerd_dev_hl", "en", "Fun fact: an IBAN has check digits, so NL00 ABNA 0000 0000 00 can never be a real account number 🤓 #nerdalert", meta={"lookalike": 1})
add("reddit:u/expat_q_nl", "en", "What happens to my case if my lawyer leaves the firm halfway? Asking because mine at Hoekstein is going on maternity leave. Not complaining, just curious how it works.")
add("facebook:HoekrechtNL", "nl", "Rechtshulp Abonnement in januari met 25% korting: €135 voor een heel jaar juridische hulp.", at="2026-01-05T08:30:00+01:00", meta={"price": ("HL-RBP", 135)})
add("linkedin:hoekstein-lemmers-advocaten", "nl", "Merkregistratie Benelux voor een vaste prijs van €850, inclusief onderzoek naar bestaande merken. Bescherm wat je bouwt.", meta={"price": ("HL-MERK", 850)})
add("mastodon:@daanmeijerink@fosstodon.org", "en", "For the devs: our docs now show MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the example. Real keys only live in the vault.")
add("linkedin:ilse-brandsma-jurist", "en", "Tip for developers: never paste a production JWT into an online decoder. Treat it like a password. (Yes, this came up in a case this week.)")
add("x:@hoekrecht_help", "nl", "Door een landelijke storing bij onze telefonieprovider zijn we vanochtend slecht telefonisch bereikbaar. Mail ons gerust via klantenservice@hoekrecht.nl, we reageren vandaag nog.")
add("x:@henk_en_ria", "nl", "Scheiding Compleet was niet goedkoop (€2.450) maar alles is geregeld zonder ruzie over de kinderen. Geen spijt.", meta={"price": ("HL-SCHEID", 2450)})
add("threads:@noor.ophuis", "nl", "Welkom aan onze nieuwe collega's Karim en Jasmijn! 🎉 Taart staat in de keuken op de 2e.")
add("instagram:@lotte.advocaat", "nl", "Vrijdag = pizza op kantoor 🍕 het zware leven van een familierecht-advocaat 😅")
add("tiktok:@sophie_studeert", "nl", "mijn advocaat van hoekstein zei letterlijk 'geen paniek' en toen wonnen we gewoon 😭🙏 #huurrecht #gewonnen")
add("x:@hoekrecht_help", "nl", "@linda_k_76 Dank voor je geduld. Je klacht over de factuur is beoordeeld: we hebben het half uur gecrediteerd, excuses voor de verwarring.", kind="reply")
add("linkedin:karim-bouzid-hl", "nl", "Fraudetraining vandaag: waarom is 4929 1234 5678 9010 geen echt kaartnummer? De Luhn-check faalt! Leuk om te zien hoeveel collega's dat niet wisten.", meta={"lookalike": 1})
add("x:@koffieverslaafd", "nl", "Mijn koffiemachine ontplofte vanochtend bijna 😱 gelukkig bestaat de Claimbrief van Hoekrecht nog, die fabrikant gaat ervan horen 😂")
add("x:@dutchstartupnews", "en", "Dutch consumer law firm Hoekstein Lemmers has opened a new office in Breda, its third location. The firm focuses on tenants, employees and small businesses.")
add("facebook:Ana.Ribeiro.Utrecht", "en", "Thank you Lotte Wijnands and HL Advocaten for guiding me through my divorce with so much patience. I felt heard.")
add("instagram:@hoekstein.advocaten", "nl", "Sinterklaas-actie 🎁 Verkeersboete Bezwaar van €59 nu voor €49 (alleen deze week)", at="2026-11-30T10:00:00+01:00", meta={"price": ("HL-BOETE", 49)})
add("x:@financefreek", "en", "My little brother typed 987654321 as his BSN on an intake form by accident. Luckily the system rejected it 😂", meta={"lookalike": 1})
add("x:@nl_privacy_nerd", "en", "Good to see Hoekstein Lemmers publishing a clear privacy statement with a contact for data requests (info@hoekstein-lemmers.nl). More firms should do this.")
add("x:@travelclaims_nl", "en", "Wow, another airline got hacked this week. @hoekrecht_help does the Claimbrief also cover compensation for a data breach?", kind="reply")
add("x:@ondernemer_ivo", "en", "Had our shareholders' agreement drafted by HL Advocaten. Took a bit longer than planned but they kept us updated every step. Solid work.")
add("x:@hoeksteinlemmers", "en", "We're hiring paralegals in Amersfoort and Breda! Apply via vacatures@hoekstein-lemmers.nl or have a look at hoekstein-lemmers.nl/werken-bij")

# ---------------------------------------------------------------- build posts
SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"(?<![\w])NL\s?\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d(?![\w])")
CARD_RE = re.compile(r"(?<![\w.+/-])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.+/-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def id_scan(text):
    """Return (valid, invalid) lists of IBAN / card / BSN candidates (own IBANs excluded)."""
    valid, invalid = [], []
    for mm in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", mm.group())
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_check_ok(s) else invalid).append(("iban", s))
    scrubbed = IBAN_RE.sub(" ", text)
    for mm in CARD_RE.finditer(scrubbed):
        digits = re.sub(r"\D", "", mm.group())
        if 13 <= len(digits) <= 19:
            (valid if luhn_ok(digits) else invalid).append(("card", digits))
    for mm in BSN_RE.finditer(scrubbed):
        (valid if bsn_ok(mm.group()) else invalid).append(("bsn", mm.group()))
    return valid, invalid


def severity(cats, role, checked_id):
    lv = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checked_id):
                    lv = max(lv, 4)
                else:
                    lv = max(lv, 3)
            else:
                lv = max(lv, 2)
        elif c == CMP:
            lv = max(lv, 2)
        elif c == CRI:
            lv = max(lv, 3)
        elif c == ABU:
            lv = max(lv, 3 if insider else 2)
    return SEV[lv]


URLFMT = {
    "x": "https://x.com/{h}/status/{i}",
    "facebook": "https://www.facebook.com/{h}/posts/{i}",
    "instagram": "https://www.instagram.com/p/{i}/",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{i}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{i}",
    "reddit": "https://www.reddit.com/r/juridischadvies/comments/{i}/",
    "bluesky": "https://bsky.app/profile/{h}/post/{i}",
    "mastodon": "https://{inst}/@{h}/{i}",
    "threads": "https://www.threads.net/@{h}/post/{i}",
    "forum": "https://forum.juridischvragen.example/t/{i}",
}

START = dt.datetime(2026, 1, 5)
SPAN_DAYS = 350

order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
for n, idx in enumerate(order):
    c = CASES[idx]
    platform, handle = c["spec"].split(":", 1)
    if c["at"]:
        created = c["at"]
    else:
        # local Dutch time 07:00-23:59, written either with the local offset or in UTC
        local = START + dt.timedelta(days=rng.randint(0, SPAN_DAYS), hours=rng.randint(7, 23), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        hrs = 2 if 4 <= local.month <= 10 else 1
        if rng.random() < 0.3:
            created = (local - dt.timedelta(hours=hrs)).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            created = local.strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % hrs
    while True:
        num = str(rng.randint(10 ** 9, 10 ** 12))
        pid = "%s-%s" % (platform, num)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    h = handle.lstrip("@")
    inst = h.split("@")[1] if platform == "mastodon" and "@" in h else ""
    url = URLFMT[platform].format(h=h.split("@")[0], i=num, inst=inst)
    role = ROLE.get(c["spec"].lower(), "public")
    valid, invalid = id_scan(c["text"])
    sev = severity(c["cats"], role, bool(valid) and PII in c["cats"])
    low = c["text"].lower()
    brand = "Hoekrecht" if "hoekrecht" in low else "Hoekstein Lemmers"
    post = {
        "id": pid,
        "platform": platform,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": created,
        "url": url,
        "brand": brand,
    }
    c["_post"] = post
    c["_role"] = role
    c["_valid"] = valid
    c["_invalid"] = invalid
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def fail(msg, c=None):
    errors.append(msg + ("" if c is None else "  <<%s>> %s" % (c["spec"], c["text"][:90].replace("\n", " "))))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# shape (CONTRACT section 6), read back from the file
seen = set()
with open(out, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
for ln in raw_lines:
    obj = json.loads(ln)
    if set(obj) != {"post", "expect"}:
        fail("bad top-level keys %s" % list(obj))
    p, e = obj["post"], obj["expect"]
    for k in ("id", "platform", "account", "text", "created_at"):
        if k not in p:
            fail("missing %s" % k)
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        fail("bad/duplicate id %r" % p["id"])
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail("bad platform/kind %r" % p["id"])
    if not isinstance(p["account"], dict) or not isinstance(p["account"].get("handle"), str):
        fail("bad account %r" % p["id"])
    if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        fail("bad text %r" % p["id"])
    try:
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            fail("created_at out of range %r" % p["id"])
        if ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc):
            fail("2027 date not around the embargo %r" % p["id"])
    except ValueError:
        fail("bad created_at %r" % p["id"])
    if set(e) != {"categories", "severity"} or e["severity"] not in SEV:
        fail("bad expect %r" % p["id"])
    if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= TAXONOMY:
        fail("bad categories %r" % p["id"])
    if not e["categories"] and e["severity"] != "none":
        fail("benign with severity %r" % p["id"])
    if e["categories"] and e["severity"] in ("none", "info"):
        fail("positive with no severity %r" % p["id"])

# accounts
profile_specs = {s.lower() for r in ("corporate", "employee") for s in PROFILE["accounts"][r]}
used_specs = {c["spec"].lower() for c in CASES}
for s in profile_specs - used_specs:
    fail("profile account never used: %s" % s)
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    fail("too few accounts in profile")
for s in PROFILE["public_identifiers"]["ibans"]:
    if not iban_check_ok(s):
        fail("profile IBAN fails mod-97: %s" % s)
prods = {p["sku"]: p for p in PROFILE["products"]}
if not 15 <= len(prods) <= 25 or any(p["currency"] != "EUR" for p in prods.values()):
    fail("products")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    fail("ratio")
ratio = PROFILE["pricing"]["alert_below_ratio"]
embargo = [(e["terms"], parse_ts(e["until"])) for e in PROFILE["embargo"]]
if any(u.year != 2027 for _, u in embargo):
    fail("embargo until must be in 2027")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    fail("codenames/markers")

pub_emails = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_RE = re.compile(r"(?:\+31|0031)[\s-]?(?:\(0\))?[\s-]?6[\s-]?\d|(?<![\d-])\(?06\)?[\s-]?\d{2}")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AKIA_RE = re.compile(r"AKIA[A-Z2-7]{16}")
JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def wholeword(term, text):
    return re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", text.lower()) is not None


def aliases(sku):
    p = prods[sku]
    return [p["name"]] + p["aliases"]


for c in CASES:
    cats, text, meta, role = c["cats"], c["text"], c["meta"], c["_role"]
    post = c["_post"]
    ts = parse_ts(post["created_at"])
    valid, invalid = c["_valid"], c["_invalid"]
    # account roles: positives' authors are real, public handles are not in the profile
    if role == "public" and c["spec"].lower() in profile_specs:
        fail("public handle in profile", c)
    # checksummed identifiers
    if PII in cats:
        if invalid:
            fail("pii positive carries an id that fails its checksum %s" % invalid, c)
        if len(valid) != meta.get("ids", 0):
            fail("pii positive: expected %d valid ids, found %s" % (meta.get("ids", 0), valid), c)
    else:
        if valid:
            fail("non-pii case carries a valid checksummed id %s" % valid, c)
    if not cats:
        if len(invalid) < meta.get("lookalike", 0):
            fail("benign look-alike not found", c)
        for em in EMAIL_RE.findall(text):
            if em.lower() not in pub_emails:
                fail("benign with a non-public e-mail %s" % em, c)
        if MOBILE_RE.search(text):
            fail("benign with a mobile number", c)
        if meta.get("own_iban") and not any(re.sub(r"\s", "", mm.group()) in PUBLIC_IBANS for mm in IBAN_RE.finditer(text)):
            fail("own IBAN not found", c)
    # credentials
    for key in meta.get("secrets", []):
        if G[key] not in text:
            fail("secret %s missing" % key, c)
    for tok in GH_RE.findall(text):
        if github_ok(tok) and SEC not in cats:
            fail("valid GitHub token in non-secret case", c)
        if SEC in cats and not github_ok(tok):
            fail("GitHub token with bad checksum in a positive", c)
    for tok in AKIA_RE.findall(text):
        if not tok.endswith("EXAMPLE") and SEC not in cats:
            fail("AWS key id in non-secret case", c)
    for tok in JWT_RE.findall(text):
        if jwt_ok(tok) and SEC not in cats:
            fail("JWT in non-secret case", c)
        if SEC in cats and not jwt_ok(tok):
            fail("malformed JWT in positive", c)
    if SEC in cats and not meta.get("secrets"):
        fail("secret case without a generated secret", c)
    # internal names / embargo
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if wholeword(term, text) and CON not in cats:
            fail("internal term %r without leak.confidential" % term, c)
    for terms, until in embargo:
        for term in terms:
            if wholeword(term, text):
                if ts < until and CON not in cats:
                    fail("embargo term %r before until without leak.confidential" % term, c)
                if ts >= until and cats:
                    fail("post-embargo case should be benign here", c)
    # pricing
    if "price" in meta:
        sku, amount = meta["price"]
        if not any(wholeword(a, text) for a in aliases(sku)):
            fail("product alias for %s not in text" % sku, c)
        listp = prods[sku]["list_price"]
        if PRI in cats:
            if not (amount < ratio * listp or meta.get("error")):
                fail("pricing positive not below ratio", c)
        else:
            if amount < ratio * listp:
                fail("benign price below ratio", c)
    elif PRI in cats:
        fail("pricing positive without price metadata", c)

# mix
total = len(CASES)
benign = sum(1 for c in CASES if not c["cats"])
count = {}
for c in CASES:
    for cat in c["cats"]:
        count[cat] = count.get(cat, 0) + 1
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 170 <= total <= 180:
    fail("total %d" % total)
if not 55 <= benign <= 65:
    fail("benign %d" % benign)
TARGET = {CMP: 20, CON: 18, PII: 15, CRI: 15, SCY: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
for cat, tgt in TARGET.items():
    if abs(count.get(cat, 0) - tgt) > 3:
        fail("category %s count %d vs ~%d" % (cat, count.get(cat, 0), tgt))
if not 0.50 <= nl / total <= 0.60:
    fail("dutch share %.2f" % (nl / total))
from_insider = sum(1 for c in CASES if any(x.startswith("leak.") for x in c["cats"]) and c["_role"] != "public")
from_public = sum(1 for c in CASES if any(x.startswith("leak.") for x in c["cats"]) and c["_role"] == "public")
if not (from_insider > 2 * from_public and from_public >= 5):
    fail("leak author mix insider=%d public=%d" % (from_insider, from_public))

if errors:
    print("SELF-CHECK FAILED (%d problems):" % len(errors))
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("ok: %d cases, %d benign, %d positive, nl share %.2f, leaks insider/public %d/%d" % (
    total, benign, total - benign, nl / total, from_insider, from_public))
print("per category:", json.dumps(dict(sorted(count.items()))))
